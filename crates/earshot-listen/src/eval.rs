//! The plain evaluator: one query against one post. The compiled [`Matcher`](crate::Matcher)
//! must always agree with it (a property test checks that).

use crate::ast::{Comparison, Field, Query, Term};
use crate::text::{fold, tokenize, Token};
use earshot_core::ChannelKind;

/// A post as queries see it: its tokens and the metadata fields queries can test.
#[derive(Debug, Clone, Default)]
pub struct Post {
    pub tokens: Vec<Token>,
    /// Folded author handle and id (without `@`).
    pub authors: Vec<String>,
    pub channel: Option<ChannelKind>,
    pub lang: Option<String>,
    /// Lower-case host of the post's URL.
    pub site: Option<String>,
    pub followers: Option<u64>,
    pub verified: bool,
}

impl Post {
    /// A post with only text.
    pub fn new(text: &str) -> Self {
        Self {
            tokens: tokenize(text),
            ..Self::default()
        }
    }

    /// Adds an author handle or id.
    pub fn with_author(mut self, author: &str) -> Self {
        self.authors.push(fold(author.trim_start_matches('@')));
        self
    }

    /// The post's address on the web: `site:` queries match its host (lower-cased, without
    /// scheme, user, port or path). An address without a host leaves the post without a site.
    pub fn with_url(mut self, url: &str) -> Self {
        let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = authority.rsplit('@').next().unwrap_or("");
        let host = host.split(':').next().unwrap_or("").trim_end_matches('.');
        if !host.is_empty() && !host.contains(char::is_whitespace) {
            self.site = Some(host.to_ascii_lowercase());
        }
        self
    }
}

impl Term {
    pub(crate) fn matches(&self, token: &Token) -> bool {
        match self {
            Term::Word(w) => token.folded == *w,
            Term::Prefix(p) => token.folded.starts_with(p.as_str()),
            Term::Wildcard(pattern) => glob(pattern, &token.folded),
            Term::Exact(e) => token.exact == *e,
        }
    }

    fn positions<'p>(&'p self, post: &'p Post) -> impl Iterator<Item = u32> + 'p {
        post.tokens
            .iter()
            .filter(|t| self.matches(t))
            .map(|t| t.position)
    }
}

/// `?` matches one character, `*` any run (including none).
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

impl Query {
    /// Whether `post` matches this query.
    pub fn matches(&self, post: &Post) -> bool {
        match self {
            Query::And(parts) => parts.iter().all(|q| q.matches(post)),
            Query::Or(parts) => parts.iter().any(|q| q.matches(post)),
            Query::Not(inner) => !inner.matches(post),
            Query::Term(t) => post.tokens.iter().any(|token| t.matches(token)),
            Query::Phrase {
                terms,
                within: None,
            } => {
                let first: Vec<u32> = terms[0].positions(post).collect();
                first.into_iter().any(|start| {
                    terms.iter().enumerate().skip(1).all(|(k, t)| {
                        post.tokens
                            .iter()
                            .any(|tok| tok.position == start + k as u32 && t.matches(tok))
                    })
                })
            }
            Query::Phrase {
                terms,
                within: Some(n),
            } => within_window(terms, post, *n),
            Query::Near {
                left,
                right,
                distance,
                ordered,
            } => {
                let rights: Vec<u32> = right.positions(post).collect();
                left.positions(post).any(|l| {
                    rights.iter().any(|&r| {
                        if *ordered {
                            r > l && r - l <= *distance
                        } else {
                            r != l && l.abs_diff(r) <= *distance
                        }
                    })
                })
            }
            Query::Field(f) => f.matches(post),
        }
    }
}

/// Every term at some position, all within `n` words of each other (max − min ≤ n).
fn within_window(terms: &[Term], post: &Post, n: u32) -> bool {
    let lists: Vec<Vec<u32>> = terms.iter().map(|t| t.positions(post).collect()).collect();
    if lists.iter().any(Vec::is_empty) {
        return false;
    }
    // Try each occurrence as the window's start: every term needs a position in [s, s + n].
    lists.iter().flatten().any(|&s| {
        lists
            .iter()
            .all(|l| l.iter().any(|&p| p >= s && p <= s + n))
    })
}

impl Field {
    fn matches(&self, post: &Post) -> bool {
        match self {
            Field::Author(a) => post.authors.iter().any(|x| x == a),
            Field::Channel(c) => post.channel == Some(*c),
            Field::Lang(l) => post.lang.as_deref() == Some(l.as_str()),
            Field::Site(s) => post
                .site
                .as_deref()
                .is_some_and(|host| host == s || host.ends_with(&format!(".{s}"))),
            Field::Followers(cmp, n) => post.followers.is_some_and(|f| match cmp {
                Comparison::Greater => f > *n,
                Comparison::GreaterOrEqual => f >= *n,
                Comparison::Less => f < *n,
                Comparison::LessOrEqual => f <= *n,
                Comparison::Equal => f == *n,
            }),
            Field::Verified(v) => post.verified == *v,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{parse, Post};

    fn hit(query: &str, text: &str) -> bool {
        parse(query).unwrap().matches(&Post::new(text))
    }

    #[test]
    fn boolean_terms_and_wildcards() {
        assert!(hit(
            "refund AND late",
            "Still waiting on my REFUND, it's late"
        ));
        assert!(!hit("refund AND NOT late", "refund is late"));
        assert!(hit("refund*", "I want refunds now"));
        assert!(!hit("refund*", "prefund"));
        assert!(hit("colo?r", "what colour is it"));
        assert!(!hit("colo?r", "color"));
        assert!(hit("re*nd", "refund"));
        assert!(hit("#fail", "this is an #EpicFail #fail"));
        assert!(hit("fail", "#fail"), "a hashtag's word counts as the word");
        assert!(!hit("#fail", "fail"), "a hashtag query needs the hashtag");
        assert!(hit("{Apple}", "Apple support"));
        assert!(!hit("{Apple}", "apple pie"));
        assert!(hit("cafe", "Café au lait"));
        assert!(hit("😡", "so angry 😡😡"));
    }

    #[test]
    fn phrases_and_proximity() {
        assert!(hit("\"late delivery\"", "such a late delivery again"));
        assert!(!hit("\"late delivery\"", "delivery was late"));
        assert!(hit("\"late delivery\"~3", "delivery was very late"));
        assert!(!hit("\"late delivery\"~2", "late for the big delivery"));
        // NEAR/N: positions at most N apart (at most N - 1 words between).
        assert!(hit("delay NEAR/3 refund", "refund after long delay"));
        assert!(!hit("delay NEAR/3 refund", "refund after a long delay"));
        assert!(!hit("delay NEAR/3f refund", "refund after long delay"));
        assert!(hit("delay NEAR/3f refund", "delay then no refund"));
        assert!(!hit("delay NEAR/2 refund", "delay then no refund"));
        assert!(
            !hit("refund NEAR/3 refund", "one refund only"),
            "two occurrences needed"
        );
    }

    #[test]
    fn fields_test_metadata() {
        let mut post = Post::new("hello").with_author("@AcmeCare");
        post.followers = Some(5000);
        post.verified = true;
        post.channel = Some(earshot_core::ChannelKind::X);
        post.site = Some("forum.example.com".into());
        assert_eq!(
            Post::new("")
                .with_url("https://User@Forum.Example.com:8443/t/1?x#y")
                .site,
            post.site,
            "the host of a URL, as listening compares it"
        );
        assert_eq!(Post::new("").with_url("not a url").site, None);
        post.lang = Some("en".into());
        for q in [
            "author:acmecare",
            "followers:>1000",
            "verified:true",
            "channel:x",
            "site:example.com",
            "lang:en",
            "hello followers:>=5000",
        ] {
            assert!(parse(q).unwrap().matches(&post), "{q}");
        }
        for q in [
            "author:other",
            "followers:<1000",
            "verified:false",
            "channel:reddit",
            "site:ample.com",
            "lang:fr",
        ] {
            assert!(!parse(q).unwrap().matches(&post), "{q}");
        }
    }
}
