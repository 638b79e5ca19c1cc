//! A seeded generator of listening workloads for `earshot bench listen`: queries of the kind
//! brand analysts write, and posts shaped like customer tweets. The same seed gives the same
//! queries and posts.
//!
//! - Brands: `queries / 10` made-up brand names built from syllables (`zentrix`, `novacom`),
//!   so each brand has about ten queries, as a workspace's topics would.
//! - Queries, one of eight templates per query: `brand AND (issue OR issue)`,
//!   `"brand product" AND issue*`, `brand NEAR/3 issue`, `#brand OR @brandcare`,
//!   `(brand OR brandcare) AND NOT (jobs OR hiring)`, `brand AND followers:>1000`,
//!   `"product issue"~3 AND brand`, `@brandcare AND (refund* OR cancel*)`.
//! - Posts: 8–30 words of everyday tweet text with a product and an issue word; 60% mention
//!   one brand (as a word, `@brandcare` or `#brand`), chosen with a skew so that popular
//!   brands are mentioned far more often; some emoji and URLs.

use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const SYLLABLES: [&str; 24] = [
    "zen", "tri", "nova", "com", "lux", "ora", "vex", "tal", "mira", "pex", "quo", "ren", "sol",
    "tek", "vo", "lin", "dra", "kor", "ix", "ano", "bel", "cy", "fi", "gro",
];
const PRODUCTS: [&str; 16] = [
    "phone",
    "router",
    "app",
    "account",
    "order",
    "flight",
    "card",
    "laptop",
    "subscription",
    "package",
    "tv",
    "plan",
    "booking",
    "update",
    "charger",
    "headphones",
];
const ISSUES: [&str; 20] = [
    "refund",
    "late",
    "broken",
    "cancel",
    "charged",
    "outage",
    "crash",
    "delay",
    "lost",
    "slow",
    "rude",
    "waiting",
    "error",
    "damaged",
    "overcharged",
    "missing",
    "scam",
    "hacked",
    "leak",
    "fire",
];
const FILLER: [&str; 40] = [
    "my",
    "the",
    "is",
    "still",
    "not",
    "working",
    "again",
    "why",
    "does",
    "this",
    "keep",
    "happening",
    "i",
    "have",
    "been",
    "for",
    "hours",
    "days",
    "please",
    "help",
    "what",
    "a",
    "joke",
    "so",
    "now",
    "and",
    "no",
    "one",
    "answers",
    "since",
    "yesterday",
    "can",
    "you",
    "fix",
    "it",
    "thanks",
    "love",
    "great",
    "service",
    "today",
];
const EXTRAS: [&str; 6] = ["😡", "🙏", "😂", "https://t.co/x1y2z3", "!!!", "??"];

fn brand_name(i: usize) -> String {
    let a = SYLLABLES[i % SYLLABLES.len()];
    let b = SYLLABLES[(i / SYLLABLES.len()) % SYLLABLES.len()];
    let c = SYLLABLES[(i / (SYLLABLES.len() * SYLLABLES.len())) % SYLLABLES.len()];
    let n = i / (SYLLABLES.len().pow(3));
    if n == 0 {
        format!("{a}{b}{c}")
    } else {
        format!("{a}{b}{c}{n}")
    }
}

/// `count` queries as `(id, query text)`.
pub fn queries(count: usize, seed: u64) -> Vec<(String, String)> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let brands = (count / 10).max(1);
    (0..count)
        .map(|i| {
            let brand = brand_name(rng.random_range(0..brands));
            let product = *PRODUCTS.choose(&mut rng).unwrap();
            let issue = *ISSUES.choose(&mut rng).unwrap();
            let other = *ISSUES.choose(&mut rng).unwrap();
            let text = match rng.random_range(0..8) {
                0 => format!("{brand} AND ({issue} OR {other})"),
                1 => format!("\"{brand} {product}\" AND {issue}*"),
                2 => format!("{brand} NEAR/3 {issue}"),
                3 => format!("#{brand} OR @{brand}care"),
                4 => format!("({brand} OR {brand}care) AND NOT (jobs OR hiring)"),
                5 => format!("{brand} AND followers:>1000"),
                6 => format!("\"{product} {issue}\"~3 AND {brand}"),
                _ => format!("@{brand}care AND (refund* OR cancel*)"),
            };
            (format!("q{i}"), text)
        })
        .collect()
}

/// `count` post texts for a workload of `brands` brands (use `queries / 10`).
pub fn posts(count: usize, brands: usize, seed: u64) -> Vec<String> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x9e37_79b9_7f4a_7c15);
    let brands = brands.max(1);
    (0..count)
        .map(|_| {
            let len = rng.random_range(8..30);
            let mut words: Vec<String> = (0..len)
                .map(|_| FILLER.choose(&mut rng).unwrap().to_string())
                .collect();
            let at = |rng: &mut ChaCha8Rng, n: usize| rng.random_range(0..n);
            let k = at(&mut rng, len);
            words[k] = PRODUCTS.choose(&mut rng).unwrap().to_string();
            let k = at(&mut rng, len);
            words[k] = ISSUES.choose(&mut rng).unwrap().to_string();
            if rng.random_bool(0.6) {
                // Skewed popularity: squaring a uniform draw favours low-numbered brands.
                let u: f64 = rng.random();
                let brand = brand_name(((u * u) * brands as f64) as usize % brands);
                let mention = match rng.random_range(0..3) {
                    0 => brand,
                    1 => format!("@{brand}care"),
                    _ => format!("#{brand}"),
                };
                let k = at(&mut rng, len);
                words.insert(k, mention);
            }
            if rng.random_bool(0.3) {
                words.push(EXTRAS.choose(&mut rng).unwrap().to_string());
            }
            words.join(" ")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_workload_and_every_query_parses() {
        assert_eq!(queries(500, 3), queries(500, 3));
        assert_ne!(queries(500, 3), queries(500, 4));
        assert_eq!(posts(100, 50, 3), posts(100, 50, 3));
        for (_, q) in queries(2_000, 1) {
            crate::parse(&q).unwrap_or_else(|e| panic!("{q}: {e}"));
        }
    }
}
