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
//! Labels: urgent from 65, high from 40, medium from 20, low below.
//!
//! [`adjust`] adds what the message alone does not know, when the care workflow knows it:
//!
//! | part | points |
//! |---|---|
//! | customer: a premium tier (`vip`, `platinum`, `gold`, `enterprise`, `premium`) 10, another tier 3; or their value, 2 per power of ten above 100 (the larger) | up to 10 |
//! | sla: the target is breached 15, at most 10% of it left 10, at most 25% left 5 | up to 15 |
//!
//! Rules can still set any priority (`set_priority`); the parts explain the computed one.

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
    finish(parts, e.has_intent("spam"))
}

/// The score of `parts` (capped at 5 for spam, with a `spam_cap` part so they still add up),
/// its label, the parts largest first.
fn finish(mut parts: Vec<PriorityPart>, spam: bool) -> Priority {
    let mut score: i32 = parts.iter().map(|p| p.points).sum();
    if spam && score > 5 {
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

/// What the care workflow knows beyond the message.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Context<'a> {
    pub tier: Option<&'a str>,
    pub value: Option<f64>,
    /// The share of the SLA target still left (negative: breached); `None` when no target runs.
    pub sla_left: Option<f64>,
}

const PREMIUM_TIERS: [&str; 5] = ["vip", "platinum", "gold", "enterprise", "premium"];

/// `base` with the customer and SLA parts of `context` (replacing any it had), the score and
/// label recomputed. A spam cap in `base` still caps the score at 5.
pub fn adjust(base: &Priority, context: Context<'_>) -> Priority {
    let mut parts: Vec<PriorityPart> = base
        .parts
        .iter()
        .filter(|p| p.part != "customer" && p.part != "sla" && p.part != "spam_cap")
        .cloned()
        .collect();
    let tier_points = context.tier.map_or(0, |t| {
        if PREMIUM_TIERS.contains(&t.to_lowercase().as_str()) {
            10
        } else if t.trim().is_empty() {
            0
        } else {
            3
        }
    });
    let value_points = context.value.map_or(0, |v| {
        (2.0 * (v.max(1.0).log10() - 2.0)).round().clamp(0.0, 10.0) as i32
    });
    let customer = tier_points.max(value_points);
    if customer > 0 {
        parts.push(PriorityPart {
            part: "customer".into(),
            points: customer,
        });
    }
    let sla = match context.sla_left {
        Some(left) if left <= 0.0 => 15,
        Some(left) if left <= 0.10 => 10,
        Some(left) if left <= 0.25 => 5,
        _ => 0,
    };
    if sla > 0 {
        parts.push(PriorityPart {
            part: "sla".into(),
            points: sla,
        });
    }
    finish(parts, base.parts.iter().any(|p| p.part == "spam_cap"))
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

    #[test]
    fn the_customer_and_the_sla_raise_a_priority_and_explain_it() {
        let base = score(&with(0.3, 0.9, &["complaint"]), Author::default());
        let gold = adjust(
            &base,
            Context {
                tier: Some("Gold"),
                ..Default::default()
            },
        );
        assert_eq!(gold.score, base.score + 10);
        assert!(gold
            .parts
            .iter()
            .any(|p| p.part == "customer" && p.points == 10));
        let rich = adjust(
            &base,
            Context {
                value: Some(1_000_000.0),
                ..Default::default()
            },
        );
        assert_eq!(rich.score, base.score + 8, "2 per power of ten above 100");
        let late = adjust(
            &gold,
            Context {
                tier: Some("gold"),
                sla_left: Some(-0.1),
                ..Default::default()
            },
        );
        assert_eq!(late.score, base.score + 25);
        // Adjusting again replaces the parts, never adds them twice.
        let again = adjust(
            &late,
            Context {
                tier: None,
                sla_left: Some(0.2),
                ..Default::default()
            },
        );
        assert_eq!(again.score, base.score + 5);
        assert_eq!(
            again.parts.iter().map(|p| p.points).sum::<i32>(),
            again.score
        );
        // Spam stays capped.
        let spam = score(&with(0.9, 0.9, &["spam"]), Author::default());
        assert_eq!(
            adjust(
                &spam,
                Context {
                    tier: Some("vip"),
                    sla_left: Some(-1.0),
                    ..Default::default()
                }
            )
            .score,
            5
        );
    }
}
