//! Blocking: which pairs of records are worth comparing at all.
//!
//! Two records are a candidate pair when they share a blocking key:
//!
//! * `n:` each word of a name (2+ letters): "garcia", "xiomara";
//! * `fl:` first word + initial of the last, `lf:` last word + initial of the first (a typo
//!   in the other word still blocks): "john:s", "smith:j";
//! * `f:` the whole name, words sorted: "john smith";
//! * `h:` the letters of a handle or an email local part, and what a handle made of a name
//!   would be ("johnsmith", "smithjohn", "jsmith"), so that `laura.figanales@…` meets
//!   "Laura Figanales";
//! * `e:` an email local part as written ("j.smith84");
//! * `p:` the last 7 digits of a phone number.
//!
//! A key shared by more than [`MAX_BLOCK`] records proposes no pairs: "john" alone is no
//! evidence, and a block of n records costs n²/2 comparisons. So each record is compared with
//! at most a few hundred others, and the cost grows with the records, not with their pairs.

use super::compare::Prepared;
use super::PersonRecord;
use std::collections::HashMap;

/// A key shared by more records than this proposes no pairs.
pub const MAX_BLOCK: usize = 100;

pub(crate) fn keys_of(p: &Prepared) -> Vec<String> {
    let mut keys = Vec::new();
    for n in &p.names {
        let t = &n.tokens;
        keys.extend(t.iter().filter(|t| t.len() > 1).map(|t| format!("n:{t}")));
        if t.len() >= 2 {
            let (first, last) = (&t[0], &t[t.len() - 1]);
            let initial = |s: &str| s.chars().next().unwrap_or('_');
            keys.push(format!("fl:{first}:{}", initial(last)));
            keys.push(format!("lf:{last}:{}", initial(first)));
            keys.push(format!("f:{}", n.sorted_joined));
        }
    }
    for (stem, _) in &p.name_stems {
        keys.push(format!("h:{stem}"));
    }
    for (_, stem) in &p.handles {
        if stem.len() >= 3 {
            keys.push(format!("h:{stem}"));
        }
    }
    for (_, local, stem) in &p.emails {
        keys.push(format!("e:{local}"));
        if stem.len() >= 3 {
            keys.push(format!("h:{stem}"));
        }
    }
    for phone in &p.phones {
        keys.push(format!("p:{}", &phone[phone.len() - 7..]));
    }
    keys.sort();
    keys.dedup();
    keys
}

/// The blocking keys of a record. A database finds a contact's candidates as the contacts that
/// share any of its keys, skipping a key that more than [`MAX_BLOCK`] contacts share, and
/// scores them with [`Matcher::candidates`](super::Matcher::candidates).
pub fn blocking_keys(record: &PersonRecord) -> Vec<String> {
    keys_of(&Prepared::new(record))
}

/// Candidate pairs `(i, j)`, `i < j`, deduplicated and sorted.
pub(crate) fn blocked_pairs(prepared: &[Prepared]) -> Vec<(u32, u32)> {
    let mut blocks: HashMap<String, Vec<u32>> = HashMap::new();
    for (i, p) in prepared.iter().enumerate() {
        for k in keys_of(p) {
            blocks.entry(k).or_default().push(i as u32);
        }
    }
    let mut pairs: Vec<u64> = Vec::new();
    for block in blocks
        .values()
        .filter(|b| b.len() >= 2 && b.len() <= MAX_BLOCK)
    {
        for (x, &i) in block.iter().enumerate() {
            for &j in &block[x + 1..] {
                pairs.push((u64::from(i) << 32) | u64::from(j));
            }
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    pairs
        .into_iter()
        .map(|p| ((p >> 32) as u32, p as u32))
        .collect()
}

/// The candidate pairs blocking proposes for `records`, as index pairs `(i, j)`, `i < j`.
pub fn candidate_pairs(records: &[PersonRecord]) -> Vec<(usize, usize)> {
    let prepared: Vec<Prepared> = records.iter().map(Prepared::new).collect();
    blocked_pairs(&prepared)
        .into_iter()
        .map(|(i, j)| (i as usize, j as usize))
        .collect()
}
