//! Properties: the compiled matcher gives exactly the plain evaluator's answers, and the
//! parser never panics.

use earshot_listen::{parse, Comparison, Field, Matcher, Post, Query, Term};
use proptest::prelude::*;

const WORDS: [&str; 10] = [
    "refund", "refunds", "late", "delivery", "delay", "cancel", "colour", "color", "café", "app",
];

fn term() -> impl Strategy<Value = Term> {
    prop_oneof![
        proptest::sample::select(&WORDS[..])
            .prop_map(|w| Term::Word(earshot_listen::text::fold(w))),
        proptest::sample::select(&["#refund", "@acme"][..]).prop_map(|w| Term::Word(w.to_string())),
        proptest::sample::select(&["ref", "refund", "de", "c", "caf"][..])
            .prop_map(|p| Term::Prefix(p.to_string())),
        proptest::sample::select(&["colo?r", "re*nd", "?ate", "*ay"][..])
            .prop_map(|p| Term::Wildcard(p.to_string())),
        proptest::sample::select(&["Refund", "Café", "APP"][..])
            .prop_map(|e| Term::Exact(e.to_string())),
    ]
}

fn query() -> impl Strategy<Value = Query> {
    let leaf = prop_oneof![
        4 => term().prop_map(Query::Term),
        1 => (proptest::collection::vec(term(), 2..4), proptest::option::of(0u32..4))
            .prop_map(|(terms, within)| Query::Phrase { terms, within }),
        1 => (term(), term(), 1u32..4, any::<bool>())
            .prop_map(|(left, right, distance, ordered)| Query::Near { left, right, distance, ordered }),
        1 => (0u64..3).prop_map(|n| Query::Field(Field::Followers(Comparison::Greater, n * 100))),
        1 => any::<bool>().prop_map(|v| Query::Field(Field::Verified(v))),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Query::And),
            proptest::collection::vec(inner.clone(), 2..4).prop_map(Query::Or),
            inner.prop_map(|q| Query::Not(Box::new(q))),
        ]
    })
}

fn post() -> impl Strategy<Value = Post> {
    let word = prop_oneof![
        proptest::sample::select(&WORDS[..]).prop_map(str::to_string),
        proptest::sample::select(
            &["REFUND", "Refund", "#Refund", "@Acme", "Café", "APP", "the", "😡", "cafe"][..]
        )
        .prop_map(str::to_string),
    ];
    (
        proptest::collection::vec(word, 0..12),
        0u64..300,
        any::<bool>(),
    )
        .prop_map(|(words, followers, verified)| {
            let mut p = Post::new(&words.join(" "));
            p.followers = Some(followers);
            p.verified = verified;
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn the_compiled_matcher_agrees_with_the_plain_evaluator(
        queries in proptest::collection::vec(query(), 1..40),
        posts in proptest::collection::vec(post(), 1..20),
    ) {
        let matcher = Matcher::new(queries.iter().cloned().enumerate().collect());
        for p in &posts {
            let expected: Vec<usize> = queries.iter().enumerate().filter(|(_, q)| q.matches(p)).map(|(i, _)| i).collect();
            prop_assert_eq!(matcher.matches(p), expected);
        }
    }

    #[test]
    fn the_parser_never_panics(input in "\\PC{0,80}") {
        let _ = parse(&input);
    }

    #[test]
    fn the_parser_never_panics_on_query_like_input(
        parts in proptest::collection::vec(
            proptest::sample::select(&["(", ")", "AND", "OR", "NOT", "NEAR/2", "NEAR/1f", "\"", "\"a b\"~2", "{X}", "{", "}", "refund*", "co?or", "#x", "@y", "author:", "followers:>", "followers:>5", "verified:true", "site:a.com", "~", "*", "?", "x"][..]),
            0..16,
        ),
    ) {
        let input = parts.join(" ");
        if let Ok(q) = parse(&input) {
            let _ = q.matches(&Post::new("x refund a b"));
        }
    }
}
