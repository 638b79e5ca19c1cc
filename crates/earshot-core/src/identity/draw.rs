//! Random draws and noise for the synthetic [`population`](super::population): Zipf–Mandelbrot
//! sampling, synthetic names, unique handles and addresses, typos.

use super::compare::fold;
use super::names::{Culture, CODAS, ONSETS, VOWELS};
use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::HashSet;

/// Cumulative Zipf–Mandelbrot weights: p(rank r) ∝ 1/(r + q)^s.
pub(crate) struct Zipf(Vec<f64>);

impl Zipf {
    pub fn new(n: usize, q: f64, s: f64) -> Zipf {
        let mut acc = 0.0;
        Zipf(
            (1..=n)
                .map(|r| {
                    acc += 1.0 / (r as f64 + q).powf(s);
                    acc
                })
                .collect(),
        )
    }
    pub fn sample(&self, rng: &mut ChaCha8Rng) -> usize {
        let x = rng.random::<f64>() * self.0[self.0.len() - 1];
        self.0.partition_point(|&c| c <= x).min(self.0.len() - 1)
    }
}

pub(crate) fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[(T, f64)]) -> T {
    let total: f64 = items.iter().map(|i| i.1).sum();
    let mut x = rng.random::<f64>() * total;
    for &(item, w) in items {
        if x < w {
            return item;
        }
        x -= w;
    }
    items[items.len() - 1].0
}

pub(crate) fn normal(rng: &mut ChaCha8Rng, mean: f64, sd: f64) -> f64 {
    let (u, v): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
    mean + sd * (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// Synthetic first names and surnames per culture, after the real ones.
pub(crate) const FIRST_TAIL: usize = 1_000;
pub(crate) const SURNAME_TAIL: usize = 5_000;

/// `n` names root + ending not among `head`, in random order.
pub(crate) fn tail(
    endings: &[&str],
    head: &HashSet<String>,
    n: usize,
    rng: &mut ChaCha8Rng,
) -> Vec<String> {
    let mut names: Vec<String> = ONSETS
        .iter()
        .flat_map(|o| VOWELS.iter().map(move |v| format!("{o}{v}")))
        .flat_map(|ov| CODAS.iter().map(move |c| format!("{ov}{c}")))
        .flat_map(|root| endings.iter().map(move |e| format!("{root}{e}")))
        .filter(|n| !head.contains(&fold(n)))
        .collect();
    names.sort();
    names.dedup();
    names.shuffle(rng);
    names.truncate(n);
    names
}

pub(crate) fn digits(rng: &mut ChaCha8Rng, n: usize) -> String {
    (0..n)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

pub(crate) fn unique(
    rng: &mut ChaCha8Rng,
    taken: &mut HashSet<String>,
    base: &str,
    at: &str,
) -> String {
    let mut candidate = format!("{base}{at}");
    let mut n = 1;
    while !taken.insert(candidate.clone()) {
        let width = if n < 3 {
            1
        } else if n < 10 {
            2
        } else {
            4
        };
        candidate = format!("{base}{}{at}", digits(rng, width));
        n += 1;
    }
    candidate
}

/// Folded, letters and digits only: how a name goes into a handle.
pub(crate) fn squash(s: &str) -> String {
    fold(s)
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

pub(crate) fn strip_accents(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let f = if c.is_ascii() {
            String::new()
        } else {
            fold(&c.to_string())
        };
        if !f.is_empty() && f.chars().all(|a| a.is_ascii_alphabetic()) {
            if c.is_uppercase() {
                out.push_str(&f.to_uppercase());
            } else {
                out.push_str(&f);
            }
        } else {
            out.push(c);
        }
    }
    out
}

pub(crate) fn typo(rng: &mut ChaCha8Rng, s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let letters: Vec<usize> = (1..chars.len())
        .filter(|&i| chars[i].is_alphabetic())
        .collect();
    if letters.len() < 2 {
        return s.to_string();
    }
    let i = letters[rng.random_range(0..letters.len())];
    match rng.random_range(0..4) {
        0 if i + 1 < chars.len() && chars[i + 1].is_alphabetic() => chars.swap(i, i + 1),
        1 => {
            chars.remove(i);
        }
        2 => chars.insert(i, chars[i]),
        _ => chars[i] = char::from(b'a' + rng.random_range(0..26u8)),
    }
    chars.into_iter().collect()
}

/// A city as an X or Messenger profile writes it.
pub(crate) fn shown_location(rng: &mut ChaCha8Rng, c: &Culture, city: usize) -> String {
    let (name, _, _, country) = c.cities[city];
    let s = match rng.random_range(0..10) {
        0..5 => name.to_string(),
        5..8 => format!("{name}, {country}"),
        8 => name.to_lowercase(),
        _ => country.to_string(),
    };
    if rng.random_bool(0.3) {
        strip_accents(&s)
    } else {
        s
    }
}
