//! The instance catalog as a table or JSON: what `mmesim catalog` prints
//! (the built-in types of [`mmesim_core::Catalog::builtin`], or a
//! scenario's catalog with its `[[instance_types]]`). docs/guide.md §4
//! gives the sources of every figure.

use mmesim_core::{Catalog, InstanceType, StorageKind};
use serde::Serialize;
use std::fmt::Write;

const MB: f64 = 1e6;
const GBPS: f64 = 1e9 / 8.0;

/// One instance type, in the units of the scenario file (`mmesim catalog
/// --json` prints an array of these).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TypeRow {
    /// The type's name (`ml.m5.xlarge`).
    pub name: String,
    /// vCPUs.
    pub vcpus: u32,
    /// Speed of a vCPU relative to the reference.
    pub cpu_speed: f64,
    /// RAM, GiB.
    pub memory_gib: f64,
    /// RAM kept for the OS and the container, GiB (no role on GPU types).
    pub reserved_memory_gib: f64,
    /// The container's RAM per loaded model beyond its footprint, MiB.
    pub model_overhead_mib: f64,
    /// Share of RAM in use at which the container unloads.
    pub memory_watermark: f64,
    /// The memory tier, MiB: RAM × watermark − reserved on CPU types, the
    /// usable GPU memory on GPU types.
    pub model_memory_mib: f64,
    /// Where the memory tier is: `ram` or `gpu`.
    pub model_memory_in: &'static str,
    /// The GPU, if any.
    pub gpu: Option<GpuRow>,
    /// Inference slots (vCPUs on CPU types, the GPU's slots on GPU types).
    pub slots: u32,
    /// The disk tier.
    pub storage: StorageRow,
    /// Baseline network bandwidth, Gbit/s.
    pub network_gbps: f64,
    /// Burst ("up to") network bandwidth, Gbit/s (the baseline when none
    /// is published).
    pub network_burst_gbps: f64,
    /// Bandwidth of all downloads of an instance together, MB/s (10^6
    /// bytes).
    pub download_mb_per_s: f64,
    /// S3 connections one download uses (0: no per-download limit).
    pub download_streams: u32,
    /// Most one S3 connection moves, MB/s.
    pub s3_stream_mb_per_s: f64,
    /// Hourly price, USD (approximate, unverified: guide §4).
    pub price_per_hour: f64,
    /// Whether the scenario's `[[instance_types]]` defines or overrides it.
    pub from_scenario: bool,
}

/// The GPU of a type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GpuRow {
    /// GPUs.
    pub count: u32,
    /// The GPU model where the catalog knows it (`T4`, `A10G`), else null.
    pub model: Option<&'static str>,
    /// Usable GPU memory (all GPUs), MiB.
    pub memory_mib: f64,
}

/// The disk tier of a type.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StorageRow {
    /// `ebs` or `nvme`.
    pub kind: &'static str,
    /// Capacity, GiB.
    pub size_gib: f64,
    /// Capacity, GB (10^9 bytes).
    pub size_gb: f64,
    /// Read throughput, MB/s (10^6 bytes).
    pub read_mb_per_s: f64,
}

/// The GPU model of a catalog family.
fn gpu_model(name: &str) -> Option<&'static str> {
    match family(name) {
        "ml.g4dn" => Some("T4"),
        "ml.g5" => Some("A10G"),
        _ => None,
    }
}

/// `ml.m5` of `ml.m5.xlarge`.
fn family(name: &str) -> &str {
    name.rsplit_once('.').map_or(name, |(f, _)| f)
}

/// The row of one type.
pub fn row(t: &InstanceType, from_scenario: bool) -> TypeRow {
    TypeRow {
        name: t.name.clone(),
        vcpus: t.vcpus,
        cpu_speed: t.cpu_speed,
        memory_gib: t.memory.as_gib(),
        reserved_memory_gib: t.reserved_memory.as_gib(),
        model_overhead_mib: t.model_overhead.as_mib(),
        memory_watermark: t.memory_watermark,
        model_memory_mib: t.model_memory().as_mib(),
        model_memory_in: if t.gpu.is_some() { "gpu" } else { "ram" },
        gpu: t.gpu.map(|g| GpuRow { count: g.count, model: gpu_model(&t.name), memory_mib: g.memory.as_mib() }),
        slots: t.slots(),
        storage: StorageRow {
            kind: match t.storage.kind {
                StorageKind::Ebs => "ebs",
                StorageKind::Nvme => "nvme",
            },
            size_gib: t.storage.size.as_gib(),
            size_gb: t.storage.size.0 as f64 / 1e9,
            read_mb_per_s: t.storage.read_bytes_per_s / MB,
        },
        network_gbps: t.network_bytes_per_s / GBPS,
        network_burst_gbps: t.network_burst_bytes_per_s / GBPS,
        download_mb_per_s: t.download_bytes_per_s / MB,
        download_streams: t.download_streams,
        s3_stream_mb_per_s: t.s3_stream_bytes_per_s / MB,
        price_per_hour: t.price_per_hour,
        from_scenario,
    }
}

/// Every type of `catalog`, by family, then size (vCPUs), then name;
/// those named in `from_scenario` are marked.
pub fn rows(catalog: &Catalog, from_scenario: &[String]) -> Vec<TypeRow> {
    let mut types: Vec<&InstanceType> = catalog.iter().collect();
    types.sort_by(|a, b| (family(&a.name), a.vcpus, &a.name).cmp(&(family(&b.name), b.vcpus, &b.name)));
    types.into_iter().map(|t| row(t, from_scenario.contains(&t.name))).collect()
}

/// `x` with at most `decimals` decimals, trailing zeros dropped.
fn num(x: f64, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// The cells of a row, in the columns of [`table`].
fn cells(r: &TypeRow) -> Vec<String> {
    let name = if r.from_scenario { format!("{} *", r.name) } else { r.name.clone() };
    let gpu_type = r.gpu.is_some();
    let reserved = num(r.reserved_memory_gib, 2);
    let reserved = if gpu_type { format!("{reserved} (unused)") } else { reserved };
    let model_memory = if gpu_type {
        format!("{} MiB (GPU)", crate::fmt::thousands(r.model_memory_mib))
    } else {
        format!("{} GiB", num(r.model_memory_mib / 1024.0, 1))
    };
    let gpu = match &r.gpu {
        Some(g) => format!("{} × {}, {} MiB", g.count, g.model.unwrap_or("GPU"), crate::fmt::thousands(g.memory_mib)),
        None => "—".into(),
    };
    let s = &r.storage;
    let storage = match s.kind {
        "ebs" => format!("EBS gp2 {} GiB", num(s.size_gib, 1)),
        _ => format!("NVMe {} GB ({} GiB)", crate::fmt::thousands(s.size_gb), num(s.size_gib, 1)),
    };
    let burst = if r.network_burst_gbps == r.network_gbps { "—".into() } else { num(r.network_burst_gbps, 2) };
    vec![
        name,
        r.vcpus.to_string(),
        num(r.memory_gib, 2),
        reserved,
        model_memory,
        gpu,
        r.slots.to_string(),
        storage,
        num(s.read_mb_per_s, 1),
        format!("{} / {burst}", num(r.network_gbps, 2)),
        num(r.download_mb_per_s, 2),
        num(r.price_per_hour, 3),
    ]
}

/// The rows as an aligned table (the columns of docs/guide.md §4); a type
/// from the scenario's `[[instance_types]]` is marked `*`.
pub fn table(rows: &[TypeRow]) -> String {
    let head = [
        "type",
        "vCPUs",
        "memory GiB",
        "reserved GiB",
        "model memory",
        "GPU (usable memory)",
        "slots",
        "storage",
        "read MB/s",
        "network Gbps (base / burst)",
        "download MB/s",
        "$/hour",
    ];
    // Text columns left-aligned, numbers right-aligned.
    let left = [true, false, false, false, false, true, false, true, false, true, false, false];
    let body: Vec<Vec<String>> = rows.iter().map(cells).collect();
    let width = |k: usize| body.iter().map(|r| r[k].chars().count()).chain([head[k].chars().count()]).max();
    let widths: Vec<usize> = (0..head.len()).map(|k| width(k).unwrap_or(0)).collect();
    let mut out = String::new();
    let heads: Vec<String> = head.iter().map(|h| h.to_string()).collect();
    for line in std::iter::once(&heads).chain(body.iter()) {
        let cells: Vec<String> = line
            .iter()
            .enumerate()
            .map(|(k, c)| {
                let pad = " ".repeat(widths[k] - c.chars().count());
                if left[k] {
                    format!("{c}{pad}")
                } else {
                    format!("{pad}{c}")
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
    }
    out
}
