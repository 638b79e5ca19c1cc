//! Estimating a matcher's [`Parameters`] from a workspace's records: value frequencies, EM
//! over the candidate pairs, and the frequency references (see [`matcher`](super::matcher)).

use super::blocking::blocked_pairs;
use super::compare::{compare_prepared, shares_value, Prepared, FIELDS, MAX_LEVELS, MISSING, NF};
use super::matcher::{Matcher, Parameters, Table};
use std::collections::HashMap;

/// EM stops after this many iterations…
pub const MAX_ITERATIONS: usize = 500;
/// … or when no m, u or prior moves by more than this.
pub const TOLERANCE: f64 = 1e-6;
/// The weight of the starting values in every smoothed estimate, in pairs.
pub const PSEUDO_PAIRS: f64 = 10.0;
/// A phrase's own frequency is stored when this many records show it (see [`frequencies`]).
pub const MIN_PHRASE_RECORDS: u32 = 4;

/// Fills the value frequencies of `parameters`: name words, name phrases, stems.
///
/// A word's (or stem's) frequency is the share of the named records (the records with a
/// handle or email) that have it, counting one record fewer than have it (a pair that shares
/// it is two of them); values seen once are not stored and get the rare frequency, one
/// record's worth. A phrase (a whole name of two or more words) is stored when
/// [`MIN_PHRASE_RECORDS`] or more records have it: "god is good" is as common as the phrase,
/// not as its words. Three records of one phrase are not enough: one person writing on three
/// channels shows their name three times, and counting that as a common phrase weighed down
/// exactly the pairs it should join (on the synthetic population, thousands of true pairs of
/// rare names weighed 2–4 bits, where the same name on two records mostly weighs 10 or more).
pub(crate) fn frequencies(prepared: &[Prepared], parameters: &mut Parameters) {
    let mut words: HashMap<&str, u32> = HashMap::new();
    let mut phrases: HashMap<&str, u32> = HashMap::new();
    let mut stems: HashMap<&str, u32> = HashMap::new();
    let (mut named, mut stemmed) = (0u32, 0u32);
    for p in prepared {
        let mut w: Vec<&str> = (p.names.iter().flat_map(|n| &n.tokens))
            .map(String::as_str)
            .collect();
        w.sort_unstable();
        w.dedup();
        named += u32::from(!w.is_empty());
        for t in w {
            *words.entry(t).or_default() += 1;
        }
        let mut ph: Vec<&str> = (p.names.iter().filter(|n| n.tokens.len() > 1))
            .map(|n| n.sorted_joined.as_str())
            .collect();
        ph.sort_unstable();
        ph.dedup();
        for t in ph {
            *phrases.entry(t).or_default() += 1;
        }
        let mut s: Vec<&str> = (p.handles.iter().map(|h| h.1.as_str()))
            .chain(p.emails.iter().map(|e| e.2.as_str()))
            .filter(|s| s.len() >= 3)
            .collect();
        s.sort_unstable();
        s.dedup();
        stemmed += u32::from(!s.is_empty());
        for t in s {
            *stems.entry(t).or_default() += 1;
        }
    }
    let (named, stemmed) = (f64::from(named.max(1)), f64::from(stemmed.max(1)));
    parameters.rare_word_frequency = 1.0 / named;
    parameters.rare_stem_frequency = 1.0 / stemmed;
    let f = |c: u32, n: f64| f64::from(c - 1) / n;
    parameters.frequencies = (words.into_iter().filter(|&(_, c)| c >= 2))
        .map(|(t, c)| (t.to_string(), f(c, named)))
        .chain(
            (phrases
                .into_iter()
                .filter(|&(_, c)| c >= MIN_PHRASE_RECORDS))
            .map(|(t, c)| (t.to_string(), f(c, named))),
        )
        .chain(
            (stems.into_iter().filter(|&(_, c)| c >= 2))
                .map(|(t, c)| (format!("h:{t}"), f(c, stemmed))),
        )
        .collect();
}

/// Estimates everything from the records (at least [`MIN_FIT_RECORDS`](super::MIN_FIT_RECORDS)).
pub(crate) fn fit(prepared: &[Prepared]) -> Parameters {
    let mut parameters = Parameters::default();
    frequencies(prepared, &mut parameters);
    let valued = Matcher::with_parameters(parameters.clone());
    let pairs = blocked_pairs(prepared);
    // Pairs grouped by their levels (for EM), and by their levels and the frequencies of what
    // they share, in half bits (for the references).
    let mut by_levels: HashMap<[u8; NF], f64> = HashMap::new();
    let mut by_value: HashMap<([u8; NF], [i8; NF]), f64> = HashMap::new();
    for &(i, j) in &pairs {
        let o = compare_prepared(&prepared[i as usize], &prepared[j as usize]);
        *by_levels.entry(o.levels).or_default() += 1.0;
        let mut f = [i8::MIN; NF];
        let mut any = false;
        for (field, slot) in f.iter_mut().enumerate() {
            let level = o.levels[field];
            if level != MISSING && shares_value(field, level) {
                if let Some(v) = valued.value_frequency(o.shared[field]) {
                    *slot = (v * 2.0).round().clamp(-127.0, 0.0) as i8;
                    any = true;
                }
            }
        }
        if any {
            *by_value.entry((o.levels, f)).or_default() += 1.0;
        }
    }
    let patterns: Vec<([u8; NF], f64)> = by_levels.into_iter().collect();
    // u starts from the level frequencies of the candidate pairs themselves: nearly all are
    // non-matches, and they are the pairs the weights are used on.
    let mut counts = [[1.0; MAX_LEVELS]; NF];
    for (levels, count) in &patterns {
        for (f, &l) in levels.iter().enumerate() {
            if l != MISSING {
                counts[f][l as usize] += count;
            }
        }
    }
    let mut u0 = [[0.0; MAX_LEVELS]; NF];
    for f in 0..NF {
        let k = FIELDS[f].levels.len();
        let total: f64 = counts[f][..k].iter().sum();
        for l in 0..k {
            u0[f][l] = counts[f][l] / total;
        }
    }
    let (m0, _) = parameters.tables();
    let (m, u, prior, iterations) = em(&patterns, &m0, &u0, parameters.prior);
    parameters.set_tables(&m, &u);
    parameters.prior = prior;
    parameters.pairs = pairs.len();
    parameters.iterations = iterations;
    // The references: per adjusted level, the non-match-weighted mean log2 frequency.
    let mut sums = [[(0.0, 0.0); MAX_LEVELS]; NF];
    for ((levels, f), count) in by_value {
        let w = (1.0 - posterior(&levels, &m, &u, prior)) * count;
        for field in (0..NF).filter(|&field| f[field] != i8::MIN) {
            let s = &mut sums[field][levels[field] as usize];
            s.0 += w * f64::from(f[field]) / 2.0;
            s.1 += w;
        }
    }
    for (field, spec) in FIELDS.iter().enumerate() {
        for (l, level) in spec.levels.iter().enumerate() {
            let (s, w) = sums[field][l];
            if w > 0.0 {
                let key = format!("{}:{level}", spec.name);
                parameters.references.insert(key, s / w);
            }
        }
    }
    parameters
}

fn posterior(levels: &[u8; NF], m: &Table, u: &Table, prior: f64) -> f64 {
    let (mut lm, mut lu) = (prior.ln(), (1.0 - prior).ln());
    for (f, &l) in levels.iter().enumerate() {
        if l != MISSING {
            lm += m[f][l as usize].ln();
            lu += u[f][l as usize].ln();
        }
    }
    1.0 / (1.0 + (lu - lm).exp())
}

/// EM over (levels, count): m, u, prior and the iterations run.
fn em(
    patterns: &[([u8; NF], f64)],
    m0: &Table,
    u0: &Table,
    prior0: f64,
) -> (Table, Table, f64, usize) {
    let (mut m, mut u, mut prior) = (*m0, *u0, prior0);
    let total: f64 = patterns.iter().map(|p| p.1).sum();
    for iteration in 1..=MAX_ITERATIONS {
        let (mut mn, mut un) = ([[0.0; MAX_LEVELS]; NF], [[0.0; MAX_LEVELS]; NF]);
        let (mut md, mut ud) = ([0.0; NF], [0.0; NF]);
        let mut matches = 0.0;
        for (levels, count) in patterns {
            let p = posterior(levels, &m, &u, prior);
            matches += p * count;
            for (f, &l) in levels.iter().enumerate() {
                if l != MISSING {
                    mn[f][l as usize] += p * count;
                    md[f] += p * count;
                    un[f][l as usize] += (1.0 - p) * count;
                    ud[f] += (1.0 - p) * count;
                }
            }
        }
        let mut change: f64 = 0.0;
        for f in 0..NF {
            let k = FIELDS[f].levels.len();
            let (old_m, old_u) = (m[f], u[f]);
            for l in 0..k {
                m[f][l] = (mn[f][l] + PSEUDO_PAIRS * m0[f][l]) / (md[f] + PSEUDO_PAIRS);
                u[f][l] = (un[f][l] + PSEUDO_PAIRS * u0[f][l]) / (ud[f] + PSEUDO_PAIRS);
            }
            monotone(&mut m[f][..k], &u[f][..k]);
            for l in 0..k {
                change = change
                    .max((m[f][l] - old_m[l]).abs())
                    .max((u[f][l] - old_u[l]).abs());
            }
        }
        let next = ((matches + 1.0) / (total + 2.0)).clamp(1e-6, 0.5);
        change = change.max((next - prior).abs());
        prior = next;
        if change < TOLERANCE {
            return (m, u, prior, iteration);
        }
    }
    (m, u, prior, MAX_ITERATIONS)
}

/// Makes m/u non-increasing from the best level to the worst (pool-adjacent-violators on the
/// likelihood ratio, u kept): agreeing more can never count against a match.
pub(crate) fn monotone(m: &mut [f64], u: &[f64]) {
    // (sum of m, sum of u, levels) per pooled block.
    let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
    for (&ml, &ul) in m.iter().zip(u) {
        blocks.push((ml, ul, 1));
        while blocks.len() >= 2 {
            let (b, a) = (blocks[blocks.len() - 1], blocks[blocks.len() - 2]);
            if a.0 * b.1 >= b.0 * a.1 {
                break;
            }
            blocks.pop();
            *blocks.last_mut().expect("two blocks") = (a.0 + b.0, a.1 + b.1, a.2 + b.2);
        }
    }
    let mut l = 0;
    for (bm, bu, n) in blocks {
        for _ in 0..n {
            m[l] = bm * u[l] / bu;
            l += 1;
        }
    }
}
