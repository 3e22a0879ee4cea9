//! Walker's alias table for popularity draws, laid out for a million models.
//!
//! ```text
//! draw:     c ← Uniform{0..n}(rng);  u ← Uniform[0, W)(rng)
//! resolve:  entry ← table[c];  model ← if u < entry.odds { c } else { entry.alias }
//! ```
//!
//! Same table, same draws and same answers as `rand_distr`'s
//! `WeightedAliasIndex<f64>` (Vose's construction, as there: the code below
//! follows rand_distr 0.5's `WeightedAliasIndex::new` step by step, and a
//! test compares the two draw for draw), in another layout:
//!
//! * each candidate's odds and alias share one 16-byte entry, so a draw
//!   touches one cache line instead of two arrays (with a million models,
//!   a table of 16 MB, each touch a miss to main memory);
//! * the choice between candidate and alias is a select, not a branch on
//!   the loaded odds, so a miss does not also cost a mispredicted branch;
//! * a draw is split in two: [`AliasTable::draw`] takes the random numbers
//!   and names the entry it will need, [`AliasTable::resolve`] reads it.
//!   `ModelPicker` keeps a few draws in flight between the two and
//!   prefetches their entries, so the miss overlaps the events simulated
//!   before the arrival comes.

use mmesim_engine::SimRng;
use rand::distr::Uniform;
use rand::Rng;

/// One candidate: keep it with probability `odds / W`, else take `alias`.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C, align(16))]
struct Entry {
    odds: f64,
    alias: u32,
}

/// A drawn but unresolved sample: the candidate and the uniform number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Draw {
    candidate: u32,
    u: f64,
}

/// The alias table over a list of weights.
#[derive(Clone, Debug)]
pub(crate) struct AliasTable {
    entries: Box<[Entry]>,
    uniform_index: Uniform<u32>,
    uniform_within_weight_sum: Uniform<f64>,
}

impl AliasTable {
    /// The table over `weights` (non-negative, finite, not all zero, at
    /// most `u32::MAX` of them); `None` otherwise. (The simulation builds
    /// its tables with [`AliasTable::zipf`]; tests compare the two.)
    #[cfg(test)]
    pub(crate) fn new(weights: &[f64]) -> Option<Self> {
        Self::over(weights.iter().map(|&w| Entry { odds: w, alias: 0 }).collect())
    }

    /// The table over the normalised Zipf weights `k^-alpha / Σ j^-alpha`
    /// of ranks `k = 1..=n` (what `Popularity::probabilities` gives), made
    /// in the table's own entries: with a million models, no 8 MB array
    /// of weights, odds or aliases beside the 16 MB table (each is page
    /// faults at setup).
    pub(crate) fn zipf(alpha: f64, n: usize) -> Option<Self> {
        let mut entries: Box<[Entry]> = (1..=n).map(|k| Entry { odds: (k as f64).powf(-alpha), alias: 0 }).collect();
        // The same sum and divisions as `probabilities`, in the same order.
        let s: f64 = entries.iter().map(|e| e.odds).sum();
        entries.iter_mut().for_each(|e| e.odds /= s);
        Self::over(entries)
    }

    /// The table over the weights in `entries[i].odds`, built in place.
    fn over(mut entries: Box<[Entry]>) -> Option<Self> {
        let n = u32::try_from(entries.len()).ok().filter(|&n| n > 0)?;
        let max_weight = f64::MAX / n as f64;
        if !entries.iter().all(|e| (0.0..=max_weight).contains(&e.odds)) {
            return None;
        }
        let weight_sum = pairwise_sum(&entries).min(f64::MAX);
        if weight_sum == 0.0 {
            return None;
        }
        entries.iter_mut().for_each(|e| e.odds = (e.odds * n as f64).min(f64::MAX));
        // Two stacks (smalls, bigs) threaded through the aliases, as in
        // rand_distr: an index is on at most one of them at a time.
        const END: u32 = u32::MAX;
        let (mut smalls, mut bigs) = (END, END);
        for (i, e) in entries.iter_mut().enumerate() {
            let head = if e.odds < weight_sum { &mut smalls } else { &mut bigs };
            e.alias = *head;
            *head = i as u32;
        }
        while smalls != END && bigs != END {
            let s = smalls;
            smalls = entries[s as usize].alias;
            let b = bigs;
            bigs = entries[b as usize].alias;
            entries[s as usize].alias = b;
            let odds = entries[b as usize].odds - weight_sum + entries[s as usize].odds;
            entries[b as usize].odds = odds;
            let head = if odds < weight_sum { &mut smalls } else { &mut bigs };
            entries[b as usize].alias = *head;
            *head = b;
        }
        // What is left should have odds of about 100 % (exactly, but for
        // rounding): make it so. Its aliases are never read (a draw always
        // keeps its candidate); rand_distr leaves them as stack links too.
        for mut head in [smalls, bigs] {
            while head != END {
                let next = entries[head as usize].alias;
                entries[head as usize].odds = weight_sum;
                head = next;
            }
        }
        Some(AliasTable {
            entries,
            uniform_index: Uniform::new(0, n).ok()?,
            uniform_within_weight_sum: Uniform::new(0.0, weight_sum).ok()?,
        })
    }

    /// Takes one sample's random numbers from `rng` (the same ones, in the
    /// same order, as `WeightedAliasIndex::sample`).
    #[inline(always)]
    pub(crate) fn draw(&self, rng: &mut SimRng) -> Draw {
        let candidate = rng.sample(self.uniform_index);
        let u = rng.sample(self.uniform_within_weight_sum);
        Draw { candidate, u }
    }

    /// Starts reading the entry `d` needs.
    #[inline(always)]
    pub(crate) fn prefetch(&self, d: Draw) {
        mmesim_engine::prefetch(&self.entries, d.candidate as usize);
    }

    /// The index drawn.
    #[inline(always)]
    pub(crate) fn resolve(&self, d: Draw) -> u32 {
        let e = self.entries[d.candidate as usize];
        if d.u < e.odds {
            d.candidate
        } else {
            e.alias
        }
    }
}

/// rand_distr's `pairwise_sum` (its `AliasableWeight::sum` for floats),
/// over the odds of `entries`: halves summed recursively, runs of up to 32
/// summed in order. The same additions in the same order give the same
/// total, bit for bit.
fn pairwise_sum(entries: &[Entry]) -> f64 {
    if entries.len() <= 32 {
        entries.iter().map(|e| e.odds).sum()
    } else {
        let (a, b) = entries.split_at(entries.len() / 2);
        pairwise_sum(a) + pairwise_sum(b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mmesim_engine::{RngStreams, Stream};
    use proptest::prelude::*;
    use rand_distr::weighted::WeightedAliasIndex;
    use rand_distr::Distribution;

    fn same_draws(weights: Vec<f64>, seed: u64, draws: usize) -> Result<(), TestCaseError> {
        let ours = AliasTable::new(&weights);
        let theirs = WeightedAliasIndex::new(weights.clone());
        prop_assert_eq!(ours.is_some(), theirs.is_ok(), "weights {:?}", weights);
        let (Some(ours), Ok(theirs)) = (ours, theirs) else { return Ok(()) };
        let (mut a, mut b) =
            (RngStreams::new(seed).stream(Stream::Popularity), RngStreams::new(seed).stream(Stream::Popularity));
        for k in 0..draws {
            let x = ours.resolve(ours.draw(&mut a));
            let y = theirs.sample(&mut b) as u32;
            prop_assert_eq!(x, y, "draw {}", k);
        }
        Ok(())
    }

    #[test]
    fn a_hand_worked_table() {
        // Weights 1, 3 over n = 2: W = 4, odds ×2 = 2, 6. Index 0 is small
        // (2 < 4), 1 big; 0 takes alias 1, and 1's odds become 6 − 4 + 2 = 4
        // = W (always itself; its alias, never read, is the end of the
        // stack it was left on). So P(0) = ½ · 2/4 = ¼.
        let t = AliasTable::new(&[1.0, 3.0]).expect("valid");
        assert_eq!(t.entries[..], [Entry { odds: 2.0, alias: 1 }, Entry { odds: 4.0, alias: u32::MAX }]);
        assert_eq!(t.resolve(Draw { candidate: 0, u: 1.99 }), 0);
        assert_eq!(t.resolve(Draw { candidate: 0, u: 2.0 }), 1);
        assert_eq!(t.resolve(Draw { candidate: 1, u: 3.99 }), 1);
    }

    /// The table made in place from Zipf's ranks is the one made from
    /// `Popularity::probabilities` (same entries, same uniform ranges),
    /// at the sizes where the sums split differently.
    #[test]
    fn zipf_in_place_is_the_table_of_the_probabilities() {
        for n in [1, 2, 32, 33, 1000, 65_537, 1_000_000] {
            for alpha in [0.0, 0.6, 0.9, 1.3] {
                let probs = crate::Popularity::Zipf { alpha }.probabilities(n);
                let (ours, theirs) = (AliasTable::zipf(alpha, n), AliasTable::new(&probs));
                let (Some(ours), Some(theirs)) = (ours, theirs) else { panic!("n {n}, alpha {alpha}: refused") };
                assert!(ours.entries == theirs.entries, "n {n}, alpha {alpha}");
                assert_eq!(ours.uniform_index, theirs.uniform_index);
                assert_eq!(ours.uniform_within_weight_sum, theirs.uniform_within_weight_sum);
            }
        }
    }

    #[test]
    fn refuses_what_rand_distr_refuses() {
        for w in [vec![], vec![0.0, 0.0], vec![1.0, -1.0], vec![f64::NAN], vec![f64::INFINITY], vec![f64::MAX, 1.0]] {
            assert!(AliasTable::new(&w).is_none(), "{w:?}");
            assert!(WeightedAliasIndex::new(w.clone()).is_err(), "{w:?}");
        }
    }

    #[test]
    fn zipf_over_a_million_models_matches_rand_distr() {
        let w: Vec<f64> = (1..=1_000_000).map(|k| (k as f64).powf(-0.9)).collect();
        same_draws(w, 7, 200_000).expect("same draws");
    }

    proptest! {
        #[test]
        fn draws_match_rand_distr(
            weights in proptest::collection::vec(prop_oneof![Just(0.0), 0.0..1.0, 1.0..1e6], 1..300),
            seed in any::<u64>(),
        ) {
            same_draws(weights, seed, 2_000)?;
        }
    }
}
