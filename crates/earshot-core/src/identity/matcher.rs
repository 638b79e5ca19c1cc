//! The Fellegi–Sunter matcher: weights, comparisons, suggestions.
//!
//! **Weights.** For each field and level, m = P(level | same person) and u = P(level |
//! different persons), both among candidate pairs (records that share a
//! [blocking key](super::blocking)); a pair's weight is the sum over present fields of
//! log2(m/u) (a field missing on either side adds 0). A weight of `w` multiplies the odds that
//! a candidate pair is one person by 2^w.
//!
//! **Value frequency.** Agreeing on a rare value says more than agreeing on a common one:
//! sharing "John Smith" or the handle stem `jsmith` is weaker evidence than sharing "Xiomara
//! Quenby" or `bluefox77`. A level that shares a value (see the table in
//! [`compare`](super::compare)) is adjusted by log2(reference / f), where f is the value's
//! frequency in the workspace (for name words the product of the words' frequencies, or the
//! whole phrase's if that is more common) and the reference is the mean log2 frequency of the
//! non-matching candidate pairs at that level, so a value as common as the typical
//! coincidence keeps the EM weight. The adjustment is at most ±[`MAX_VALUE_ADJUSTMENT`] bits.
//!
//! **Estimation** ([`Matcher::fit`], in [`fit`](super::fit)): EM under conditional
//! independence (Winkler) over the candidate pairs grouped by their levels. u starts from the
//! level frequencies of the candidate pairs themselves (almost all are non-matches, and random
//! pairs would say little about pairs that share a blocking key), m from
//! [`Parameters::default`]. Each estimate is smoothed towards its starting value by
//! [`PSEUDO_PAIRS`](super::fit::PSEUDO_PAIRS) pseudo-pairs, so no weight is infinite, and each
//! field's m/u is kept non-increasing from its best level to its worst (pool-adjacent
//! violators), without which EM happily finds "same culture" instead of "same person". EM
//! stops after [`MAX_ITERATIONS`](super::fit::MAX_ITERATIONS) or when nothing moves by more
//! than [`TOLERANCE`](super::fit::TOLERANCE). A workspace with fewer than
//! [`MIN_FIT_RECORDS`] records keeps the defaults.
//!
//! **Conflicts.** Two records that both have email addresses (or phone numbers) and share none
//! are most likely two people, but single-identity contacts make EM underrate that (two email
//! identities of one person always differ). The `different` weight of email and phone is
//! therefore at most [`CONFLICT_WEIGHT`], and [`Comparison::conflict`] says so, so that a caller
//! never merges across it without a person deciding.

use super::blocking::blocked_pairs;
use super::compare::{
    compare_prepared, shares_value, Outcome, Prepared, Shared, DIFFERENT_IDENTIFIER, EMAIL, FIELDS,
    MAX_LEVELS, MISSING, NF, PHONE,
};
use super::PersonRecord;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The weight (log2 likelihood ratio) from which a pair is suggested. Candidate pairs are
/// about 2 % matches (prior odds ≈ 2^-5.6), so 7 leaves posterior odds of about 2.5 : 1 for
/// the weakest suggestion, and pairwise precision at 0.95 or above on the synthetic populations
/// up to 100,000 identities (seeds 1, 2 and 42: realistic 0.960–0.962, listed 0.972–0.973; see
/// [`evaluate`](super::evaluate)); raise it for fewer, surer suggestions.
pub const DEFAULT_THRESHOLD: f64 = 7.0;
/// The most a `different` email or phone may weigh (it weighs at most this).
pub const CONFLICT_WEIGHT: f64 = -8.0;
/// The most the value-frequency adjustment adds or removes, in bits.
pub const MAX_VALUE_ADJUSTMENT: f64 = 10.0;
/// Fewer records than this keep [`Parameters::default`].
pub const MIN_FIT_RECORDS: usize = 1_000;

pub(crate) type Table = [[f64; MAX_LEVELS]; NF];

/// m and u of one level.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LevelParameters {
    pub level: String,
    pub m: f64,
    pub u: f64,
}

/// The levels of one field.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FieldParameters {
    pub field: String,
    pub levels: Vec<LevelParameters>,
}

/// Everything a [`Matcher`] knows: store it after a fit, give it back to
/// [`Matcher::with_parameters`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Parameters {
    /// The share of candidate pairs that are one person.
    pub prior: f64,
    pub fields: Vec<FieldParameters>,
    /// Frequencies of name words, of name phrases (words sorted, space-separated) and of
    /// handle/email stems (`h:jsmith`), for values two or more records have (see
    /// [`fit::frequencies`](super::fit)). Empty: no value-frequency adjustment.
    pub frequencies: BTreeMap<String, f64>,
    /// The frequency of a name word or of a stem not in `frequencies`.
    pub rare_word_frequency: f64,
    pub rare_stem_frequency: f64,
    /// Per adjusted `field:level` (`name:equal`, `handle:equal`…), the mean log2 frequency of
    /// what the non-matching candidate pairs at that level share.
    pub references: BTreeMap<String, f64>,
    /// Candidate pairs the fit saw, and the EM iterations it ran (0 for the defaults).
    pub pairs: usize,
    pub iterations: usize,
}

/// m and u priors per field, level by level in the order of [`FIELDS`]: what a workspace too
/// small to fit gets. They describe candidate pairs, whose names agree far more often than
/// those of random people: rounded from the fit on 100,000 synthetic identities (see
/// [`population`](super::population)), except that an `equal` name weighs 6 rather than 7.7
/// bits: without the frequency table only a fit has, "John Smith" counts as much as "Xiomara
/// Quenby", so an equal name alone stays below [`DEFAULT_THRESHOLD`] and needs one more
/// agreeing field.
const PRIORS: [(&[f64], &[f64]); NF] = [
    // name: equal, subset, nearly equal, word and initial, equal one word, one word of the
    // other, partly equal, different
    (
        &[0.53, 0.09, 0.06, 0.05, 0.02, 0.14, 0.10, 0.01],
        &[0.008, 0.004, 0.0026, 0.003, 0.014, 0.147, 0.8054, 0.0168],
    ),
    // name/handle: full name, initial and surname, different
    (&[0.69, 0.12, 0.19], &[0.007, 0.028, 0.965]),
    // handle: equal, equal but digits, different
    (&[0.60, 0.15, 0.25], &[0.0013, 0.09, 0.9087]),
    // handle/email: equal, equal but digits, different
    (&[0.41, 0.19, 0.40], &[0.003, 0.075, 0.922]),
    // email: same address, same local part, different
    (&[0.58, 0.10, 0.32], &[0.00001, 0.0015, 0.99849]),
    // phone: same number, same last 7 digits, different
    (&[0.54, 0.10, 0.36], &[0.00002, 0.0004, 0.99958]),
    // location: same, different
    (&[0.85, 0.15], &[0.11, 0.89]),
    // language: same, overlap, disjoint
    (&[0.73, 0.25, 0.02], &[0.67, 0.27, 0.06]),
    // hours: close, similar, different
    (&[0.17, 0.50, 0.33], &[0.055, 0.315, 0.63]),
    // topics: close, some shared, none shared
    (&[0.59, 0.06, 0.35], &[0.058, 0.014, 0.928]),
];

impl Default for Parameters {
    /// The priors of the source's `PRIORS` table, a 2 % prior, no value frequencies.
    fn default() -> Parameters {
        let mut p = Parameters {
            prior: 0.02,
            fields: Vec::new(),
            frequencies: BTreeMap::new(),
            rare_word_frequency: 1e-4,
            rare_stem_frequency: 1e-4,
            references: BTreeMap::new(),
            pairs: 0,
            iterations: 0,
        };
        let (mut m, mut u) = ([[0.0; MAX_LEVELS]; NF], [[0.0; MAX_LEVELS]; NF]);
        for (f, (pm, pu)) in PRIORS.iter().enumerate() {
            m[f][..pm.len()].copy_from_slice(pm);
            u[f][..pu.len()].copy_from_slice(pu);
        }
        p.set_tables(&m, &u);
        p
    }
}

impl Parameters {
    /// m and u as tables; a field or level the parameters lack takes its prior.
    pub(crate) fn tables(&self) -> (Table, Table) {
        let (mut m, mut u) = ([[0.0; MAX_LEVELS]; NF], [[0.0; MAX_LEVELS]; NF]);
        for (f, field) in FIELDS.iter().enumerate() {
            let given = self.fields.iter().find(|p| p.field == field.name);
            for (l, level) in field.levels.iter().enumerate() {
                let p = given.and_then(|g| g.levels.iter().find(|p| p.level == *level));
                m[f][l] = p.map_or(PRIORS[f].0[l], |p| p.m);
                u[f][l] = p.map_or(PRIORS[f].1[l], |p| p.u);
            }
        }
        (m, u)
    }

    pub(crate) fn set_tables(&mut self, m: &Table, u: &Table) {
        let round = |x: f64| (x * 1e9).round() / 1e9;
        self.fields = (FIELDS.iter().enumerate())
            .map(|(f, field)| FieldParameters {
                field: field.name.to_string(),
                levels: (field.levels.iter().enumerate())
                    .map(|(l, level)| LevelParameters {
                        level: level.to_string(),
                        m: round(m[f][l]),
                        u: round(u[f][l]),
                    })
                    .collect(),
            })
            .collect();
    }
}

/// One field's contribution to a comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Part {
    pub field: &'static str,
    pub level: &'static str,
    pub weight: f64,
}

/// Two records compared: the total weight and its parts, largest |weight| first.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub weight: f64,
    pub parts: Vec<Part>,
}

impl Comparison {
    /// Both sides have email addresses and share none, or phone numbers and share none: never
    /// merge these without a person deciding.
    pub fn conflict(&self) -> bool {
        self.parts
            .iter()
            .any(|p| matches!(p.field, "email" | "phone") && p.level == "different")
    }
}

/// A pair of records that are likely one person.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Suggestion {
    pub a: i64,
    pub b: i64,
    pub weight: f64,
    pub parts: Vec<Part>,
    /// See [`Comparison::conflict`].
    pub conflict: bool,
}

/// A fitted (or default) Fellegi–Sunter matcher.
#[derive(Clone, Debug)]
pub struct Matcher {
    parameters: Parameters,
    weights: Table,
    /// `parameters.references` by field and level (NaN: none).
    references: Table,
}

impl Matcher {
    /// A matcher with these parameters (stored from an earlier fit, or the defaults).
    pub fn with_parameters(parameters: Parameters) -> Matcher {
        let (m, u) = parameters.tables();
        let mut weights = [[0.0; MAX_LEVELS]; NF];
        let mut references = [[f64::NAN; MAX_LEVELS]; NF];
        for (f, field) in FIELDS.iter().enumerate() {
            for (l, level) in field.levels.iter().enumerate() {
                weights[f][l] = (m[f][l].max(1e-9) / u[f][l].max(1e-9)).log2();
                if let Some(&r) = parameters
                    .references
                    .get(&format!("{}:{level}", field.name))
                {
                    references[f][l] = r;
                }
            }
            if f == EMAIL || f == PHONE {
                let w = &mut weights[f][DIFFERENT_IDENTIFIER as usize];
                *w = w.min(CONFLICT_WEIGHT);
            }
        }
        Matcher {
            parameters,
            weights,
            references,
        }
    }

    /// The parameters, to store or to inspect.
    pub fn parameters(&self) -> &Parameters {
        &self.parameters
    }

    /// Estimates m, u, the prior and the value frequencies from a workspace's records (see the
    /// module docs); fewer than [`MIN_FIT_RECORDS`] records give the defaults.
    pub fn fit(records: &[PersonRecord]) -> Matcher {
        if records.len() < MIN_FIT_RECORDS {
            return Matcher::with_parameters(Parameters::default());
        }
        let prepared: Vec<Prepared> = records.iter().map(Prepared::new).collect();
        Matcher::with_parameters(super::fit::fit(&prepared))
    }

    /// log2 of the frequency of a shared value, when there is a frequency table.
    pub(crate) fn value_frequency(&self, shared: Shared) -> Option<f64> {
        let p = &self.parameters;
        if p.frequencies.is_empty() {
            return None;
        }
        let word = |t: &str| {
            p.frequencies
                .get(t)
                .copied()
                .unwrap_or(p.rare_word_frequency)
        };
        match shared {
            Shared::Nothing => None,
            Shared::Stem(s) => {
                let f = p.frequencies.get(&format!("h:{s}"));
                Some(f.copied().unwrap_or(p.rare_stem_frequency).log2())
            }
            Shared::Either(a, b) => {
                let (fa, fb) = (
                    self.value_frequency(Shared::Words(a)),
                    self.value_frequency(Shared::Words(b)),
                );
                fa.zip(fb).map(|(x, y)| x.max(y))
            }
            Shared::Words(tokens) => {
                let mut words: Vec<&str> = (tokens.iter().map(String::as_str))
                    .filter(|t| t.len() > 1)
                    .collect();
                let product: f64 = words.iter().map(|t| word(t).log2()).sum();
                if words.len() < 2 {
                    return Some(product);
                }
                // Words that go together ("god is good") are as common as the phrase.
                words.sort_unstable();
                let phrase = p.frequencies.get(&words.join(" "));
                Some(product.max(phrase.map_or(f64::NEG_INFINITY, |f| f.log2())))
            }
        }
    }

    fn part_weight(&self, f: usize, level: u8, o: &Outcome) -> f64 {
        let mut w = self.weights[f][level as usize];
        let reference = self.references[f][level as usize];
        if shares_value(f, level) && !reference.is_nan() {
            if let Some(freq) = self.value_frequency(o.shared[f]) {
                w += (reference - freq).clamp(-MAX_VALUE_ADJUSTMENT, MAX_VALUE_ADJUSTMENT);
            }
        }
        w
    }

    fn total(&self, o: &Outcome) -> f64 {
        (0..NF)
            .filter(|&f| o.levels[f] != MISSING)
            .map(|f| self.part_weight(f, o.levels[f], o))
            .sum()
    }

    fn comparison(&self, o: &Outcome) -> Comparison {
        let mut parts: Vec<Part> = (0..NF)
            .filter(|&f| o.levels[f] != MISSING)
            .map(|f| Part {
                field: FIELDS[f].name,
                level: FIELDS[f].levels[o.levels[f] as usize],
                weight: self.part_weight(f, o.levels[f], o),
            })
            .collect();
        parts.sort_by(|x, y| y.weight.abs().total_cmp(&x.weight.abs()));
        Comparison {
            weight: parts.iter().map(|p| p.weight).sum(),
            parts,
        }
    }

    /// Compares two records.
    pub fn compare(&self, a: &PersonRecord, b: &PersonRecord) -> Comparison {
        let (pa, pb) = (Prepared::new(a), Prepared::new(b));
        self.comparison(&compare_prepared(&pa, &pb))
    }

    /// Every candidate pair of `records` weighing at least `threshold`, heaviest first.
    pub fn suggestions(&self, records: &[PersonRecord], threshold: f64) -> Vec<Suggestion> {
        let prepared: Vec<Prepared> = records.iter().map(Prepared::new).collect();
        let mut out = Vec::new();
        for (i, j) in blocked_pairs(&prepared) {
            let (i, j) = (i as usize, j as usize);
            let o = compare_prepared(&prepared[i], &prepared[j]);
            if self.total(&o) >= threshold {
                out.push(self.suggestion(records[i].id, records[j].id, &o));
            }
        }
        out.sort_by(|x, y| {
            y.weight
                .total_cmp(&x.weight)
                .then((x.a, x.b).cmp(&(y.a, y.b)))
        });
        out
    }

    /// `record` against a few others (fetched by its
    /// [`blocking_keys`](super::blocking_keys)): those weighing at least `threshold`, heaviest
    /// first. Others with the record's own id are skipped.
    pub fn candidates(
        &self,
        record: &PersonRecord,
        others: &[PersonRecord],
        threshold: f64,
    ) -> Vec<Suggestion> {
        let p = Prepared::new(record);
        let mut out: Vec<Suggestion> = (others.iter().filter(|o| o.id != record.id))
            .filter_map(|other| {
                let q = Prepared::new(other);
                let o = compare_prepared(&p, &q);
                (self.total(&o) >= threshold).then(|| self.suggestion(record.id, other.id, &o))
            })
            .collect();
        out.sort_by(|x, y| y.weight.total_cmp(&x.weight).then(x.b.cmp(&y.b)));
        out
    }

    fn suggestion(&self, a: i64, b: i64, o: &Outcome) -> Suggestion {
        let c = self.comparison(o);
        Suggestion {
            a,
            b,
            weight: c.weight,
            conflict: c.conflict(),
            parts: c.parts,
        }
    }
}
