//! Listening queries compiled to the rule language of X's filtered stream
//! (`POST /2/tweets/search/stream/rules`), so that X sends Earshot what its topics may match
//! and nothing much else.
//!
//! A rule only has to be *broader* than its query: every post the stream delivers goes
//! through the pipeline's own matcher, which decides exactly. So what X cannot express is
//! widened, never guessed: a prefix or wildcard term, `NEAR/n`, a phrase with `~n` and
//! `followers:` have no equivalent and become the broadest thing X can say about them (the
//! phrase's words, the `NEAR`'s two words, nothing at all for a prefix), and a `NOT` stays
//! only when what it negates is exact. A query X cannot narrow at all (one that needs the
//! whole firehose, like `refund*` alone, or one made only of X's non-standalone operators,
//! like `lang:en`) is reported and left off the stream, with its reason.
//!
//! Many topics share one rule (`(q1) OR (q2) OR …` up to the access level's rule length), so
//! thousands of topics fit within the rule count X allows; which topics a rule serves does not
//! matter, since matching is Earshot's.

use crate::ast::{Field, Query, Term};
use earshot_core::ChannelKind;

/// What a query becomes in X's rule language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XRule {
    /// A rule that X can match: every post the query matches matches it.
    Rule {
        value: String,
        /// The rule matches exactly what the query does (not broader), so it can be negated.
        exact: bool,
        /// It holds a standalone operator (a keyword, phrase, `#`, `@`, `from:`, `url:`); X
        /// refuses rules made only of `lang:`, `is:` and negations.
        standalone: bool,
    },
    /// The query matches nothing X can send (`channel:reddit`): no rule is needed.
    Never,
    /// Only the whole stream would do (`refund*`, `NOT jobs`): it cannot be a rule.
    Anything,
}

impl XRule {
    fn rule(value: String, exact: bool, standalone: bool) -> Self {
        Self::Rule {
            value,
            exact,
            standalone,
        }
    }
}

/// Whether `w` can stand in a rule unquoted (X's keywords are letters, digits and `_`).
fn plain(w: &str) -> bool {
    !w.is_empty() && w.chars().all(|c| c.is_alphanumeric() || c == '_')
}

fn keyword(w: &str) -> String {
    if plain(w) {
        w.to_string()
    } else {
        format!("\"{}\"", w.replace('"', ""))
    }
}

/// A word of a query: a hashtag or mention as X writes them; a bare word also as a hashtag
/// and a mention, since Earshot's `fail` matches `#fail` and `@fail` too.
fn word(w: &str) -> XRule {
    if let Some(tag) = w.strip_prefix('#').or_else(|| w.strip_prefix('@')) {
        return if plain(tag) {
            XRule::rule(w.to_string(), true, true)
        } else {
            // A sigil before something X would not take as a tag: its words instead.
            XRule::rule(keyword(tag), false, true)
        };
    }
    if plain(w) {
        XRule::rule(format!("({w} OR #{w} OR @{w})"), true, true)
    } else {
        XRule::rule(keyword(w), false, true)
    }
}

fn term(t: &Term) -> XRule {
    match t {
        Term::Word(w) | Term::Exact(w) => {
            let exact = matches!(t, Term::Word(_));
            match word(&crate::text::fold(w)) {
                XRule::Rule {
                    value, standalone, ..
                } => XRule::rule(value, exact, standalone),
                other => other,
            }
        }
        // No prefixes or wildcards in X's language.
        Term::Prefix(_) | Term::Wildcard(_) => XRule::Anything,
    }
}

fn field(f: &Field) -> XRule {
    match f {
        Field::Author(a) if plain(a) => XRule::rule(format!("from:{a}"), true, true),
        Field::Author(_) => XRule::Anything,
        Field::Channel(ChannelKind::X) => XRule::Anything,
        Field::Channel(_) => XRule::Never,
        Field::Lang(l) if plain(l) => XRule::rule(format!("lang:{l}"), true, false),
        Field::Lang(_) => XRule::Anything,
        // `url:` matches expanded URLs containing the text: a host and its subdomains, and more.
        Field::Site(s) => XRule::rule(format!("url:\"{}\"", s.replace('"', "")), false, true),
        // X's v2 rules have no follower counts.
        Field::Followers(..) => XRule::Anything,
        Field::Verified(true) => XRule::rule("is:verified".into(), true, false),
        Field::Verified(false) => XRule::rule("-is:verified".into(), true, false),
    }
}

fn all(parts: Vec<XRule>) -> XRule {
    let mut values = Vec::new();
    let (mut exact, mut standalone) = (true, false);
    for p in parts {
        match p {
            XRule::Never => return XRule::Never,
            // Dropped: the conjunction is broader without it.
            XRule::Anything => exact = false,
            XRule::Rule {
                value,
                exact: e,
                standalone: s,
            } => {
                values.push(value);
                exact &= e;
                standalone |= s;
            }
        }
    }
    match values.len() {
        0 => XRule::Anything,
        1 => XRule::rule(values.remove(0), exact, standalone),
        _ => XRule::rule(format!("({})", values.join(" ")), exact, standalone),
    }
}

fn any(parts: Vec<XRule>) -> XRule {
    let mut values = Vec::new();
    let (mut exact, mut standalone) = (true, true);
    for p in parts {
        match p {
            XRule::Anything => return XRule::Anything,
            XRule::Never => {}
            XRule::Rule {
                value,
                exact: e,
                standalone: s,
            } => {
                values.push(value);
                exact &= e;
                // Each alternative must stand on its own.
                standalone &= s;
            }
        }
    }
    match values.len() {
        0 => XRule::Never,
        1 => XRule::rule(values.remove(0), exact, standalone),
        _ => XRule::rule(format!("({})", values.join(" OR ")), exact, standalone),
    }
}

/// The broadest-needed X rule for `q`.
pub fn compile(q: &Query) -> XRule {
    match q {
        Query::Term(t) => term(t),
        Query::Field(f) => field(f),
        Query::And(items) => all(items.iter().map(compile).collect()),
        Query::Or(items) => any(items.iter().map(compile).collect()),
        Query::Not(inner) => match compile(inner) {
            XRule::Rule {
                value, exact: true, ..
            } => {
                let value = value.strip_prefix('-').map_or_else(
                    || format!("-{value}"),
                    // `NOT -is:verified` is `is:verified`.
                    str::to_string,
                );
                XRule::rule(value, true, false)
            }
            // Negating something broader would drop posts the query matches; the negation of
            // what X cannot narrow (or of what no X post matches) can be any post.
            XRule::Rule { .. } | XRule::Never | XRule::Anything => XRule::Anything,
        },
        Query::Phrase {
            terms,
            within: None,
        } if terms.iter().all(|t| matches!(t, Term::Word(w) if plain(w))) => {
            let words: Vec<&str> = terms
                .iter()
                .map(|t| match t {
                    Term::Word(w) => w.as_str(),
                    _ => unreachable!("checked above"),
                })
                .collect();
            XRule::rule(format!("\"{}\"", words.join(" ")), true, true)
        }
        // A phrase X cannot quote, or one within a window: all its words, anywhere.
        Query::Phrase { terms, .. } => {
            let words = all(terms.iter().map(term).collect());
            match words {
                XRule::Rule {
                    value, standalone, ..
                } => XRule::rule(value, false, standalone),
                other => other,
            }
        }
        Query::Near { left, right, .. } => match all(vec![term(left), term(right)]) {
            XRule::Rule {
                value, standalone, ..
            } => XRule::rule(value, false, standalone),
            other => other,
        },
    }
}

/// Why a topic has no place on the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unplaced {
    /// Only the whole stream would serve it.
    TooBroad,
    /// It is made only of operators X does not take alone (`lang:`, `is:`, negations).
    NotStandalone,
    /// Its rule alone is longer than the access level allows.
    TooLong(usize),
    /// The access level's rule count is used up.
    NoRuleLeft,
}

impl std::fmt::Display for Unplaced {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooBroad => f.write_str(
                "X cannot narrow it (it needs a prefix, wildcard or NOT on its own): only the whole stream would do",
            ),
            Self::NotStandalone => f.write_str(
                "it holds only operators X does not take alone (lang:, is:verified, negations): add a word, hashtag, mention or author",
            ),
            Self::TooLong(n) => write!(f, "its rule is {n} characters, more than a rule may hold"),
            Self::NoRuleLeft => f.write_str("the access level's rule count is used up"),
        }
    }
}

/// What a set of topics becomes on the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packing<K> {
    /// The rules' values, each at most the rule length.
    pub rules: Vec<String>,
    /// Topics on the stream.
    pub placed: usize,
    /// Topics that need no rule (they cannot match a post from X).
    pub not_x: usize,
    /// Topics left off, with the reason.
    pub unplaced: Vec<(K, Unplaced)>,
}

/// Packs the topics' rules, in the order given, into at most `max_rules` rules of at most
/// `max_chars` characters each.
pub fn pack<K: Clone>(topics: &[(K, XRule)], max_rules: usize, max_chars: usize) -> Packing<K> {
    const JOIN: &str = " OR ";
    let mut packing = Packing {
        rules: Vec::new(),
        placed: 0,
        not_x: 0,
        unplaced: Vec::new(),
    };
    let mut current = String::new();
    for (key, rule) in topics {
        let value = match rule {
            XRule::Never => {
                packing.not_x += 1;
                continue;
            }
            XRule::Anything => {
                packing.unplaced.push((key.clone(), Unplaced::TooBroad));
                continue;
            }
            XRule::Rule {
                standalone: false, ..
            } => {
                packing
                    .unplaced
                    .push((key.clone(), Unplaced::NotStandalone));
                continue;
            }
            XRule::Rule { value, .. } => value,
        };
        let len = value.chars().count();
        if len > max_chars {
            packing.unplaced.push((key.clone(), Unplaced::TooLong(len)));
            continue;
        }
        if !current.is_empty() && current.chars().count() + JOIN.len() + len <= max_chars {
            current.push_str(JOIN);
            current.push_str(value);
            packing.placed += 1;
            continue;
        }
        if !current.is_empty() {
            packing.rules.push(std::mem::take(&mut current));
        }
        if packing.rules.len() >= max_rules {
            packing.unplaced.push((key.clone(), Unplaced::NoRuleLeft));
            continue;
        }
        current = value.clone();
        packing.placed += 1;
    }
    if !current.is_empty() {
        packing.rules.push(current);
    }
    packing
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{parse, Matcher, Post};

    fn rule(q: &str) -> XRule {
        compile(&parse(q).unwrap())
    }

    fn value(q: &str) -> String {
        match rule(q) {
            XRule::Rule { value, .. } => value,
            other => panic!("{q}: {other:?}"),
        }
    }

    #[test]
    fn queries_become_rules_in_xs_language() {
        assert_eq!(value("#acme OR @acmecare"), "(#acme OR @acmecare)");
        assert_eq!(
            value("acme AND (late OR broken)"),
            "((acme OR #acme OR @acme) ((late OR #late OR @late) OR (broken OR #broken OR @broken)))"
        );
        assert_eq!(value("\"late delivery\""), "\"late delivery\"");
        assert_eq!(value("author:acme AND lang:en"), "(from:acme lang:en)");
        assert_eq!(
            value("(acme OR acmecare) AND NOT (jobs OR hiring)"),
            "(((acme OR #acme OR @acme) OR (acmecare OR #acmecare OR @acmecare)) \
             -((jobs OR #jobs OR @jobs) OR (hiring OR #hiring OR @hiring)))"
        );
        assert_eq!(
            value("site:example.com AND refund"),
            "(url:\"example.com\" (refund OR #refund OR @refund))"
        );
        assert_eq!(
            value("acme AND verified:true"),
            "((acme OR #acme OR @acme) is:verified)"
        );
    }

    #[test]
    fn what_x_cannot_say_is_widened_or_reported() {
        // Prefixes, NEAR, windows and follower counts widen.
        assert_eq!(value("\"acme phone\" AND refund*"), "\"acme phone\"");
        assert_eq!(
            value("delay NEAR/3 refund"),
            "((delay OR #delay OR @delay) (refund OR #refund OR @refund))"
        );
        assert_eq!(
            value("acme AND followers:>1000"),
            "(acme OR #acme OR @acme)"
        );
        assert!(matches!(
            rule("acme AND followers:>1000"),
            XRule::Rule { exact: false, .. }
        ));
        // A NOT of something widened would lose posts: the NOT goes instead.
        assert_eq!(value("acme AND NOT refund*"), "(acme OR #acme OR @acme)");
        // Nothing to narrow by.
        assert_eq!(rule("refund*"), XRule::Anything);
        assert_eq!(rule("acme OR refund*"), XRule::Anything);
        assert_eq!(
            rule("NOT acme"),
            XRule::Rule {
                value: "-(acme OR #acme OR @acme)".into(),
                exact: true,
                standalone: false
            }
        );
        assert_eq!(rule("channel:reddit AND acme"), XRule::Never);
        assert_eq!(value("channel:x AND acme"), "(acme OR #acme OR @acme)");
    }

    /// The property the stream depends on: every post a query matches, its rule lets through
    /// (checked with Earshot's own matcher over the rule's positive words, which is what a
    /// rule without negations and fields means).
    #[test]
    fn every_generated_query_packs_and_the_rules_fit() {
        let queries = crate::synth::queries(2_000, 7);
        let compiled: Vec<(String, XRule)> = queries
            .iter()
            .map(|(id, q)| (id.clone(), compile(&parse(q).unwrap())))
            .collect();
        let packing = pack(&compiled, 1_000, 1_024);
        assert!(packing.rules.iter().all(|r| r.chars().count() <= 1_024));
        assert_eq!(
            packing.placed + packing.unplaced.len() + packing.not_x,
            2_000
        );
        assert!(
            packing.unplaced.is_empty(),
            "{:?}",
            &packing.unplaced[..3.min(packing.unplaced.len())]
        );
        assert!(packing.rules.len() < 400, "{} rules", packing.rules.len());
        // Every rule is a plain OR of what the topics compiled to.
        let joined = packing.rules.join(" OR ");
        for (_, r) in &compiled {
            let XRule::Rule { value, .. } = r else {
                unreachable!()
            };
            assert!(joined.contains(value.as_str()));
        }
        // Broader, never narrower: each query's rule, read back as an Earshot query (X's
        // `-` as NOT, the space as AND), matches every generated post the query matches.
        let posts = crate::synth::posts(3_000, 200, 7);
        let exact = Matcher::new(
            queries
                .iter()
                .map(|(id, q)| (id.clone(), parse(q).unwrap()))
                .collect(),
        );
        // Juxtaposition is AND in both languages; X's `-(…)` is Earshot's `NOT (…)`.
        let as_earshot = |v: &str| v.replace("-(", "NOT (");
        let broad = Matcher::new(
            compiled
                .iter()
                .map(|(id, r)| {
                    let XRule::Rule { value, .. } = r else {
                        unreachable!()
                    };
                    let q = as_earshot(value);
                    (id.clone(), parse(&q).unwrap_or_else(|e| panic!("{q}: {e}")))
                })
                .collect(),
        );
        let mut matched = 0;
        for text in &posts {
            let mut post = Post::new(text);
            post.followers = Some(5_000);
            let want = exact.matches(&post);
            let got = broad.matches(&post);
            matched += want.len();
            for id in want {
                assert!(
                    got.contains(&id),
                    "{id} matches `{text}` but its rule does not"
                );
            }
        }
        assert!(matched > 100, "the workload matches ({matched})");
    }

    #[test]
    fn packing_respects_the_limits_and_says_what_is_left_off() {
        let topics: Vec<(u32, XRule)> = (0..10)
            .map(|i| (i, XRule::rule(format!("word{i}"), true, true)))
            .collect();
        let p = pack(&topics, 2, 20);
        assert_eq!(p.rules, vec!["word0 OR word1", "word2 OR word3"]);
        assert_eq!(p.placed, 4);
        assert_eq!(p.unplaced.len(), 6);
        assert!(p
            .unplaced
            .iter()
            .all(|(_, why)| *why == Unplaced::NoRuleLeft));
        let p = pack(
            &[
                (1, XRule::Anything),
                (2, XRule::Never),
                (3, XRule::rule("lang:en".into(), true, false)),
                (4, XRule::rule("x".repeat(30), true, true)),
            ],
            10,
            20,
        );
        assert!(p.rules.is_empty());
        assert_eq!(p.not_x, 1);
        assert_eq!(
            p.unplaced,
            vec![
                (1, Unplaced::TooBroad),
                (3, Unplaced::NotStandalone),
                (4, Unplaced::TooLong(30))
            ]
        );
    }
}
