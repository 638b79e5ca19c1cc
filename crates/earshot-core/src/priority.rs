//! Priority: a 0–100 score and a label for a conversation, from what its newest customer
//! message says (the enrich stage's urgency, sentiment and intents) and who said it (reach),
//! explained by its parts. Pure; the pipeline computes it and the store keeps it, so the inbox
//! (ordered by priority) puts the angry customer with a safety problem above the thank-you.
//!
//! | part | points |
//! |---|---|
//! | urgency (0–1) | up to 50 |
//! | negative sentiment: P(negative) above 0.5 | up to 15 |
//! | intent: churn risk 15, complaint 10, question 8, purchase intent 8, suggestion 3 (the largest that holds) | up to 15 |
//! | reach: followers, 3 points per power of ten above 100 | up to 12 |
//! | verified author | 5 |
//! | spam | the total is capped at 5 |
//!
//! Labels: urgent from 65, high from 40, medium from 20, low below. The contact's tier and the
//! SLA time left join the parts when those exist (issue 5).

use crate::enrichment::Enrichment;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PriorityPart {
    /// `urgency`, `negative_sentiment`, `intent:<name>`, `reach`, `verified`, `spam_cap`.
    pub part: String,
    pub points: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Priority {
    /// 0 to 100.
    pub score: i32,
    /// `low`, `medium`, `high` or `urgent`.
    pub label: String,
    /// What the score is made of, largest first; they add up to the score.
    pub parts: Vec<PriorityPart>,
}

/// The label of a score.
pub fn label(score: i32) -> &'static str {
    match score {
        s if s >= 65 => "urgent",
        s if s >= 40 => "high",
        s if s >= 20 => "medium",
        _ => "low",
    }
}

/// Who wrote the message, as far as priority cares.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Author {
    pub followers: Option<u32>,
    pub verified: bool,
}

pub fn score(e: &Enrichment, author: Author) -> Priority {
    let mut parts: Vec<PriorityPart> = Vec::new();
    let mut add = |part: &str, points: f32| {
        let points = points.round() as i32;
        if points > 0 {
            parts.push(PriorityPart {
                part: part.to_string(),
                points,
            });
        }
    };
    add("urgency", 50.0 * e.urgency.score.clamp(0.0, 1.0));
    add(
        "negative_sentiment",
        15.0 * ((e.sentiment.scores.negative - 0.5) * 2.0).clamp(0.0, 1.0),
    );
    let intent = [
        ("churn_risk", 15.0),
        ("complaint", 10.0),
        ("question", 8.0),
        ("purchase_intent", 8.0),
        ("suggestion", 3.0),
    ]
    .into_iter()
    .find(|(name, _)| e.has_intent(name));
    if let Some((name, points)) = intent {
        add(&format!("intent:{name}"), points);
    }
    if let Some(f) = author.followers {
        add(
            "reach",
            (3.0 * (f64::from(f).max(1.0).log10() - 2.0) as f32).clamp(0.0, 12.0),
        );
    }
    if author.verified {
        add("verified", 5.0);
    }
    let mut score: i32 = parts.iter().map(|p| p.points).sum();
    if e.has_intent("spam") && score > 5 {
        parts.push(PriorityPart {
            part: "spam_cap".into(),
            points: 5 - score,
        });
        score = 5;
    }
    let score = score.clamp(0, 100);
    parts.sort_by_key(|p| std::cmp::Reverse(p.points));
    Priority {
        score,
        label: label(score).to_string(),
        parts,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::enrichment::IntentLabel;
    use proptest::prelude::*;

    fn with(urgency: f32, negative: f32, intents: &[&str]) -> Enrichment {
        let mut e = Enrichment::default();
        e.urgency.score = urgency;
        e.sentiment.scores.negative = negative;
        e.intents = intents
            .iter()
            .map(|n| IntentLabel {
                name: n.to_string(),
                confidence: 0.9,
                because: vec![],
            })
            .collect();
        e
    }

    #[test]
    fn a_safety_complaint_outranks_a_question_and_thanks() {
        let fire = score(&with(0.95, 0.9, &["complaint"]), Author::default());
        let question = score(&with(0.1, 0.2, &["question"]), Author::default());
        let thanks = score(&with(0.0, 0.0, &["praise"]), Author::default());
        assert_eq!(fire.label, "urgent", "{fire:?}");
        assert!(fire.score > question.score && question.score > thanks.score);
        assert_eq!(thanks.label, "low");
        assert_eq!(thanks.score, 0);
        assert_eq!(
            fire.parts.iter().map(|p| p.points).sum::<i32>(),
            fire.score,
            "the parts add up"
        );
        assert_eq!(fire.parts[0].part, "urgency");
    }

    #[test]
    fn reach_and_verification_count_and_spam_is_capped() {
        let plain = score(&with(0.3, 0.6, &["complaint"]), Author::default());
        let famous = score(
            &with(0.3, 0.6, &["complaint"]),
            Author {
                followers: Some(1_000_000),
                verified: true,
            },
        );
        assert_eq!(famous.score, plain.score + 12 + 5);
        let spam = score(&with(0.9, 0.9, &["spam", "complaint"]), Author::default());
        assert_eq!(spam.score, 5);
        assert_eq!(spam.parts.iter().map(|p| p.points).sum::<i32>(), 5);
    }

    proptest! {
        #[test]
        fn the_score_is_bounded_monotonic_in_urgency_and_its_parts_add_up(
            u in 0.0f32..1.0, d in 0.0f32..0.5, neg in 0.0f32..1.0,
            followers in proptest::option::of(any::<u32>()), verified: bool,
        ) {
            let author = Author { followers, verified };
            let low = score(&with(u, neg, &[]), author);
            let high = score(&with((u + d).min(1.0), neg, &[]), author);
            prop_assert!((0..=100).contains(&low.score));
            prop_assert!(high.score >= low.score);
            prop_assert_eq!(low.parts.iter().map(|p| p.points).sum::<i32>(), low.score);
            prop_assert_eq!(low.label.as_str(), label(low.score));
        }
    }
}
