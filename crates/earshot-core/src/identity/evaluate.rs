//! Pairwise precision and recall of the matcher on a generated [`Population`].
//!
//! A true pair is two records of the same person; recall is over **all** true pairs,
//! including those blocking never proposed. A suggestion is correct when its two records
//! belong to the same person.
//!
//! Measured at [`DEFAULT_THRESHOLD`](super::DEFAULT_THRESHOLD) (7.0), release build, 2 shared
//! cores (20,000: seed 7; 100,000: seeds 42, 1 and 2), on both
//! [profiles](super::population::Profile):
//!
//! | profile | identities | candidate pairs | precision | recall | fit | match |
//! |---|---|---|---|---|---|---|
//! | realistic | 20,000 | 0.22 M | 0.98 | 0.62 | 0.4 s | 0.3 s |
//! | realistic | 100,000 | 1.8 M | 0.960–0.962 | 0.555–0.562 | 4–5 s | 3–4 s |
//! | listed | 20,000 | 0.26 M | 0.99 | 0.82 | 0.5 s | 0.3 s |
//! | listed | 100,000 | 2.2–2.3 M | 0.972–0.973 | 0.816–0.825 | 4–6 s | 4–5 s |
//!
//! Realistic: blocking proposes 88 % (20,000) and 85 % (100,000) of the true pairs; the rest
//! share no key. Most of the recall lost above it is pairs where one side shows a first name
//! only, which no threshold keeping precision at 0.95 can accept. Lower thresholds trade
//! precision for recall (100,000, seed 42: 6 → 0.94 / 0.60, 4 → 0.86 / 0.68). About 6 % of the
//! true pairs (2,662 of 41,516 at 100,000) share no name word and no identifier at all.
//! Listed (every identity shows its full name): blocking proposes 99.4 % of the true pairs,
//! and the precision ≥ 0.95 at recall ≥ 0.80 holds at the default threshold.

use super::blocking::candidate_pairs;
use super::matcher::Matcher;
use super::population::Population;
use serde::Serialize;
use std::collections::HashMap;
use std::time::Instant;

/// What [`evaluate`] measured.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub identities: usize,
    pub persons: usize,
    /// Pairs of records of one person.
    pub true_pairs: usize,
    /// Pairs blocking proposes.
    pub candidate_pairs: usize,
    /// True pairs among the candidate pairs (the most recall could be).
    pub true_candidate_pairs: usize,
    pub threshold: f64,
    pub suggested: usize,
    pub true_positives: usize,
    pub precision: f64,
    pub recall: f64,
    /// Seconds to fit the matcher on the records.
    pub fit_seconds: f64,
    /// Seconds to compute the suggestions.
    pub match_seconds: f64,
}

/// Fits a matcher on the population's records, suggests pairs at `threshold` and scores them
/// against the truth.
pub fn evaluate(pop: &Population, threshold: f64) -> Evaluation {
    let start = Instant::now();
    let matcher = Matcher::fit(&pop.records);
    let fit_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let suggestions = matcher.suggestions(&pop.records, threshold);
    let match_seconds = start.elapsed().as_secs_f64();

    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for &p in &pop.person {
        *sizes.entry(p).or_default() += 1;
    }
    let true_pairs = sizes.values().map(|&k| k * (k - 1) / 2).sum();
    let index: HashMap<i64, usize> = (pop.records.iter().enumerate())
        .map(|(i, r)| (r.id, i))
        .collect();
    let person = |id: i64| pop.person[index[&id]];
    let true_positives = suggestions
        .iter()
        .filter(|s| person(s.a) == person(s.b))
        .count();
    let candidates = candidate_pairs(&pop.records);
    let true_candidate_pairs = candidates
        .iter()
        .filter(|&&(i, j)| pop.person[i] == pop.person[j])
        .count();
    let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    Evaluation {
        identities: pop.records.len(),
        persons: sizes.len(),
        true_pairs,
        candidate_pairs: candidates.len(),
        true_candidate_pairs,
        threshold,
        suggested: suggestions.len(),
        true_positives,
        precision: ratio(true_positives, suggestions.len()),
        recall: ratio(true_positives, true_pairs),
        fit_seconds,
        match_seconds,
    }
}
