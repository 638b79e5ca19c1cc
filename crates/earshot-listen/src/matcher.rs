//! Many queries against every post, at a cost that grows with the post, not with the number
//! of queries.
//!
//! Like Lucene Monitor's term-filtered presearcher: each query is indexed under *anchors*,
//! terms at least one of which any matching post must contain (for `a AND b` the anchors of
//! the side whose terms fewest other queries share, then the longer; for `a OR b` the anchors
//! of both; a query with
//! no such terms, such as `NOT spam` or `followers:>1000`, is checked against every post).
//! A post looks up its own distinct tokens (and, for `refund*` queries, their prefixes) to
//! find candidate queries, and only those are evaluated exactly.

use crate::ast::{Query, Term};
use crate::eval::Post;
use crate::text::fold;
use std::collections::HashMap;

/// A term a matching post must contain (at least one of a query's anchors).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Anchor {
    Word(String),
    Prefix(String),
}

/// Every term anchor anywhere in `query` (for counting how common each term is).
fn all_anchors(query: &Query, out: &mut Vec<Anchor>) {
    match query {
        Query::Term(t) => out.extend(term_anchor(t)),
        Query::Phrase { terms, .. } => out.extend(terms.iter().filter_map(term_anchor)),
        Query::Near { left, right, .. } => {
            out.extend([left, right].into_iter().filter_map(term_anchor))
        }
        Query::And(parts) | Query::Or(parts) => parts.iter().for_each(|p| all_anchors(p, out)),
        Query::Not(inner) => all_anchors(inner, out),
        Query::Field(_) => {}
    }
}

/// How many queries mention each anchor: a query indexed under a term many queries share is
/// a candidate for every post with that term, so rarer terms make better anchors.
type Frequencies = HashMap<Anchor, u32>;

/// The cost of indexing a query under `set`: the queries sharing its terms (a longer term
/// wins a tie, as in Lucene's default weighting by length).
fn cost(set: &[Anchor], freq: &Frequencies) -> (u64, std::cmp::Reverse<usize>) {
    let shared: u64 = set
        .iter()
        .map(|a| u64::from(freq.get(a).copied().unwrap_or(0)))
        .sum();
    let shortest = set
        .iter()
        .map(|a| match a {
            Anchor::Word(w) => w.chars().count() + 1,
            Anchor::Prefix(p) => p.chars().count(),
        })
        .min()
        .unwrap_or(0);
    (shared, std::cmp::Reverse(shortest))
}

/// `None`: no anchor can be named; the query is checked against every post.
fn anchors(query: &Query, freq: &Frequencies) -> Option<Vec<Anchor>> {
    let one = |t: &Term| term_anchor(t).map(|a| vec![a]);
    match query {
        Query::Term(t) => one(t),
        Query::Phrase { terms, .. } => best(terms.iter().map(one), freq),
        Query::Near { left, right, .. } => best([left, right].into_iter().map(one), freq),
        Query::And(parts) => best(parts.iter().map(|p| anchors(p, freq)), freq),
        Query::Or(parts) => {
            let mut all = Vec::new();
            for p in parts {
                all.extend(anchors(p, freq)?);
            }
            Some(all)
        }
        Query::Not(_) | Query::Field(_) => None,
    }
}

/// Of several conjuncts' anchor sets, the cheapest (any one of them must be in a match).
fn best(
    options: impl Iterator<Item = Option<Vec<Anchor>>>,
    freq: &Frequencies,
) -> Option<Vec<Anchor>> {
    options
        .flatten()
        .filter(|set| !set.is_empty())
        .min_by_key(|set| cost(set, freq))
}

fn term_anchor(term: &Term) -> Option<Anchor> {
    match term {
        Term::Word(w) => Some(Anchor::Word(w.clone())),
        Term::Prefix(p) if !p.is_empty() => Some(Anchor::Prefix(p.clone())),
        Term::Prefix(_) => None,
        Term::Wildcard(pattern) => {
            let literal: String = pattern
                .chars()
                .take_while(|c| *c != '*' && *c != '?')
                .collect();
            (!literal.is_empty()).then_some(Anchor::Prefix(literal))
        }
        // A post's folded token is the fold of its exact form.
        Term::Exact(e) => Some(Anchor::Word(fold(e))),
    }
}

/// Compiled queries. Build a new one to add or remove queries (building does not touch a
/// matcher in use, so callers swap an `Arc<Matcher>` and matching never waits).
pub struct Matcher<Id> {
    queries: Vec<(Id, Query)>,
    by_word: HashMap<String, Vec<u32>>,
    by_prefix: HashMap<String, Vec<u32>>,
    /// Character lengths of the prefixes present, so a token probes only those.
    prefix_lengths: Vec<usize>,
    always: Vec<u32>,
}

impl<Id: Clone> Matcher<Id> {
    pub fn new(queries: Vec<(Id, Query)>) -> Self {
        let mut by_word: HashMap<String, Vec<u32>> = HashMap::new();
        let mut by_prefix: HashMap<String, Vec<u32>> = HashMap::new();
        let mut always = Vec::new();
        let mut freq = Frequencies::new();
        for (_, q) in &queries {
            let mut terms = Vec::new();
            all_anchors(q, &mut terms);
            terms.sort_unstable();
            terms.dedup();
            for t in terms {
                *freq.entry(t).or_default() += 1;
            }
        }
        for (i, (_, q)) in queries.iter().enumerate() {
            let i = i as u32;
            match anchors(q, &freq) {
                None => always.push(i),
                Some(set) => {
                    for a in set {
                        let list = match a {
                            Anchor::Word(w) => by_word.entry(w).or_default(),
                            Anchor::Prefix(p) => by_prefix.entry(p).or_default(),
                        };
                        if list.last() != Some(&i) {
                            list.push(i);
                        }
                    }
                }
            }
        }
        let mut prefix_lengths: Vec<usize> = by_prefix.keys().map(|p| p.chars().count()).collect();
        prefix_lengths.sort_unstable();
        prefix_lengths.dedup();
        Self {
            queries,
            by_word,
            by_prefix,
            prefix_lengths,
            always,
        }
    }

    pub fn len(&self) -> usize {
        self.queries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    /// How many queries can't be filtered and are evaluated on every post.
    pub fn unfiltered(&self) -> usize {
        self.always.len()
    }

    /// The ids of the queries `post` matches, in the order the queries were given.
    pub fn matches(&self, post: &Post) -> Vec<Id> {
        let mut candidates: Vec<u32> = self.always.clone();
        let mut seen_tokens: Vec<&str> = Vec::with_capacity(post.tokens.len());
        for token in &post.tokens {
            let t = token.folded.as_str();
            if seen_tokens.contains(&t) {
                continue;
            }
            seen_tokens.push(t);
            if let Some(ids) = self.by_word.get(t) {
                candidates.extend_from_slice(ids);
            }
            for &len in &self.prefix_lengths {
                // The byte end of the first `len` characters (ASCII: `len` itself).
                let end = if t.is_ascii() {
                    (len <= t.len()).then_some(len)
                } else {
                    t.char_indices().map(|(i, _)| i).chain([t.len()]).nth(len)
                };
                let Some(end) = end else { break };
                if let Some(ids) = self.by_prefix.get(&t[..end]) {
                    candidates.extend_from_slice(ids);
                }
            }
        }
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .filter(|&i| self.queries[i as usize].1.matches(post))
            .map(|i| self.queries[i as usize].0.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse;

    fn matcher(queries: &[&str]) -> Matcher<usize> {
        Matcher::new(
            queries
                .iter()
                .enumerate()
                .map(|(i, q)| (i, parse(q).unwrap()))
                .collect(),
        )
    }

    #[test]
    fn only_queries_whose_terms_appear_are_evaluated_and_results_are_exact() {
        let m = matcher(&[
            "refund AND late",
            "cancel* OR switching",
            "NOT refund",
            "\"late delivery\"",
            "colo?r",
            "followers:>10",
        ]);
        assert_eq!(m.unfiltered(), 2);
        assert_eq!(m.matches(&Post::new("late refund please")), vec![0]);
        assert_eq!(
            m.matches(&Post::new("I'm cancelling, the colour is wrong")),
            vec![1, 2, 4]
        );
        assert_eq!(m.matches(&Post::new("a late delivery")), vec![2, 3]);
        assert_eq!(m.len(), 6);
    }
}
