//! The binary's allocator: the system's, with large blocks backed by
//! transparent huge pages where the kernel offers them.
//!
//! A run with a million models keeps per-model arrays of 8–32 MB (the
//! popularity table, the models' facts, the routing view's copies) and
//! reads them at random, one model per request. With 4 KiB pages, nearly
//! every such read also misses the TLB, and setting the arrays up takes
//! one page fault per 4 KiB. Most Linux systems hand out 2 MiB pages only
//! to memory that asks for them (`/sys/kernel/mm/transparent_hugepage/
//! enabled` = `madvise`), so every block of [`HUGE_FROM`] bytes or more is
//! advised `MADV_HUGEPAGE` when it is allocated or grown. On the
//! million-model benchmark this cut the setup's page faults sevenfold
//! (13,300 → 1,800) and its time from 0.15–0.18 s to 0.11–0.14 s
//! (docs/PERFORMANCE.md, step 9). Where free memory is fragmented, the
//! kernel may compact memory before it hands out a huge page (its
//! `defrag` setting): a one-off stall of a few tenths of a second. On a
//! virtual machine whose balloon driver returns free 2 MiB blocks to the
//! host, a huge page taken from one costs the host's faults when first
//! written: there the setup after an idle spell took 0.15–0.21 s with the
//! advice and 0.06–0.09 s without, yet whole runs without it were 0.97×
//! (step 10), so the advice stays.
//!
//! Memory and results are unchanged: the advice only changes how the
//! kernel backs the pages. Elsewhere than Linux, or where the kernel
//! declines (THP `never`), this is the system allocator.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of this many bytes or more are advised to use huge pages.
pub const HUGE_FROM: usize = 4 << 20;

/// The system allocator, advising huge pages for large blocks.
pub struct HugePages;

#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const PAGE: usize = 4096;

/// The whole pages of the block at `p` of `size` bytes, `(start, len)`,
/// if it is large enough to advise: madvise wants a page-aligned start,
/// and the block's first partial page (the allocator's header shares it)
/// and last one are left as they are.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn advice_range(p: usize, size: usize) -> Option<(usize, usize)> {
    if p == 0 || size < HUGE_FROM {
        return None;
    }
    let start = p.next_multiple_of(PAGE);
    let len = (p + size).saturating_sub(start) / PAGE * PAGE;
    Some((start, len))
}

#[cfg(target_os = "linux")]
fn advise(p: *mut u8, size: usize) {
    let Some((start, len)) = advice_range(p as usize, size) else { return };
    // SAFETY: the range lies within the block just allocated
    // (`advice_range`); advice changes no contents. A failure (THP
    // disabled) is harmless: the block keeps small pages.
    unsafe {
        libc::madvise(start as *mut libc::c_void, len, libc::MADV_HUGEPAGE);
    }
}

#[cfg(not(target_os = "linux"))]
fn advise(_p: *mut u8, _size: usize) {}

// SAFETY: every call goes to `System` with the caller's layout unchanged;
// `advise` only gives the kernel a hint about pages of the block returned.
unsafe impl GlobalAlloc for HugePages {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let p = unsafe { System.alloc_zeroed(layout) };
        advise(p, layout.size());
        p
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(p, layout) }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: the caller's contract, passed on.
        let q = unsafe { System.realloc(p, layout, new_size) };
        advise(q, new_size);
        q
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Only whole pages inside a large block are advised.
    #[test]
    fn advice_stays_within_the_block() {
        assert_eq!(advice_range(0x1000_0010, HUGE_FROM - 1), None, "small blocks keep small pages");
        assert_eq!(advice_range(0, HUGE_FROM), None, "a failed allocation");
        // Header in the first page: the advice starts at the next page and
        // stops at the last whole page.
        let (p, size) = (0x1000_0010, HUGE_FROM + 100);
        assert_eq!(advice_range(p, size), Some((0x1000_1000, HUGE_FROM - PAGE)));
        assert_eq!(advice_range(0x2000_0000, HUGE_FROM), Some((0x2000_0000, HUGE_FROM)));
        for (p, size) in [(0x10, HUGE_FROM), (0x7ff0, 3 * HUGE_FROM + 5), (0x1234_5678, HUGE_FROM + 4095)] {
            let (start, len) = advice_range(p, size).unwrap();
            assert!(start >= p && start + len <= p + size, "{p:#x} + {size}");
            assert!(start.is_multiple_of(PAGE) && len.is_multiple_of(PAGE));
            assert!(len + 2 * PAGE > size, "no whole page left out");
        }
    }

    /// Blocks of every size come back usable, aligned as asked, keep their
    /// contents through growth past the threshold, and zeroed ones are zero.
    #[test]
    fn behaves_as_the_system_allocator() {
        let a = HugePages;
        for size in [1, 4095, HUGE_FROM - 1, HUGE_FROM, 3 * HUGE_FROM + 17] {
            for align in [1, 8, 64, 4096] {
                let layout = Layout::from_size_align(size, align).unwrap();
                // SAFETY: non-zero size; freed with the same layout.
                unsafe {
                    let p = a.alloc_zeroed(layout);
                    assert!(!p.is_null() && (p as usize).is_multiple_of(align), "size {size}, align {align}");
                    assert!(std::slice::from_raw_parts(p, size).iter().all(|&b| b == 0));
                    p.write_bytes(0xA5, size);
                    let q = a.realloc(p, layout, size * 2 + HUGE_FROM);
                    assert!(!q.is_null() && (q as usize).is_multiple_of(align));
                    assert!(std::slice::from_raw_parts(q, size).iter().all(|&b| b == 0xA5), "size {size}");
                    a.dealloc(q, Layout::from_size_align(size * 2 + HUGE_FROM, align).unwrap());
                }
            }
        }
    }
}
