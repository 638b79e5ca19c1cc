//! What a listening query means, once parsed.

use earshot_core::ChannelKind;

/// One word-level pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    /// A folded word, hashtag (`#refund`) or mention (`@acme`).
    Word(String),
    /// `refund*`: folded words starting with the prefix.
    Prefix(String),
    /// `colo?r`, `re*und`: `?` is one character, `*` any run; folded.
    Wildcard(String),
    /// `{Apple}`: the word exactly as written (case and accents kept).
    Exact(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
    Equal,
}

/// A test on the post's metadata rather than its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Field {
    /// `author:acme` matches the author's handle or id (folded, without `@`).
    Author(String),
    Channel(ChannelKind),
    /// `lang:en`: the post's language code, if known.
    Lang(String),
    /// `site:example.com` / `url:…`: the post's URL host is the site or a subdomain of it.
    Site(String),
    Followers(Comparison, u64),
    Verified(bool),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    And(Vec<Query>),
    Or(Vec<Query>),
    Not(Box<Query>),
    Term(Term),
    /// `"late delivery"`: the words consecutive and in order; with `~N` (`"late
    /// delivery"~5`), all of them within a window of N + 1 word positions, in any order.
    Phrase {
        terms: Vec<Term>,
        within: Option<u32>,
    },
    /// `delay NEAR/3 refund`: word positions at most 3 apart (at most two words between);
    /// `NEAR/3f`: and in that order.
    Near {
        left: Term,
        right: Term,
        distance: u32,
        ordered: bool,
    },
    Field(Field),
}
