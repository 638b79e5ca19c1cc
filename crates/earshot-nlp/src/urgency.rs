//! Urgency from 0 to 1: how soon a person should look. Five signals, each a share of urgency
//! on its own, combined as a noisy-or (1 − Π(1 − s)), so any one strong signal makes a message
//! urgent and several weak ones add up:
//!
//! | signal | share |
//! |---|---|
//! | safety, legal, outage, deadline and going-public phrases ([`crate::rules::URGENT`]) | each phrase's weight, noisy-or |
//! | negative sentiment | 0.5 × how far P(negative) is above 0.5, doubled (0 to 0.5) |
//! | intensity: all-caps words, `!!`, elongations | 0.05 a signal, at most 0.2 |
//! | churn risk (leaving, publicly or not) | 0.4 × its confidence |
//! | complaint | 0.2 × its confidence |

use crate::rules::{self, CueSet};
use earshot_core::enrichment::{Enrichment, Reason, UrgencyLabel};

pub struct Urgency {
    cues: CueSet,
}

impl Default for Urgency {
    fn default() -> Self {
        Self {
            cues: CueSet::new("urgency", rules::URGENT),
        }
    }
}

fn intensity(text: &str) -> usize {
    let caps = text
        .split_whitespace()
        .filter(|w| {
            let letters: Vec<char> = w.chars().filter(|c| c.is_alphabetic()).collect();
            letters.len() >= 3 && letters.iter().all(|c| c.is_uppercase())
        })
        .count();
    let bangs = text.matches("!!").count();
    let elongated = text
        .split_whitespace()
        .filter(|w| {
            let c: Vec<char> = w.chars().collect();
            c.windows(3)
                .any(|t| t[0] == t[1] && t[1] == t[2] && t[0].is_alphabetic())
        })
        .count();
    caps + bangs + elongated
}

impl Urgency {
    /// Urgency of `text` given what the earlier enrichers found (sentiment, intents).
    pub fn score(&self, text: &str, so_far: &Enrichment) -> UrgencyLabel {
        let mut because: Vec<Reason> = self
            .cues
            .hits(&rules::normalize(text))
            .into_iter()
            .map(|h| Reason::new(format!("rule:{}", h.phrase), h.weight))
            .collect();
        let negative = so_far.sentiment.scores.negative;
        if negative > 0.5 {
            because.push(Reason::new(
                "sentiment:negative",
                (negative - 0.5) * 2.0 * 0.5,
            ));
        }
        let intense = intensity(text);
        if intense > 0 {
            because.push(Reason::new("intensity", (0.05 * intense as f32).min(0.2)));
        }
        for (intent, share) in [("churn_risk", 0.4), ("complaint", 0.2)] {
            if let Some(i) = so_far.intents.iter().find(|i| i.name == intent) {
                because.push(Reason::new(
                    format!("intent:{intent}"),
                    share * i.confidence,
                ));
            }
        }
        let score = 1.0
            - because
                .iter()
                .map(|r| 1.0 - r.weight.clamp(0.0, 1.0))
                .product::<f32>();
        because.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        UrgencyLabel {
            score: earshot_core::enrichment::round3(score.clamp(0.0, 1.0)),
            because,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use earshot_core::enrichment::IntentLabel;

    #[test]
    fn safety_beats_thanks_and_signals_add_up() {
        let u = Urgency::default();
        let calm = Enrichment::default();
        let thanks = u.score("thanks for the quick help", &calm);
        assert_eq!(thanks.score, 0.0);
        assert!(thanks.because.is_empty());
        let fire = u.score("my charger caught fire and the kid was injured", &calm);
        assert!(fire.score > 0.9, "{fire:?}");
        assert_eq!(fire.because[0].feature, "rule:injured");

        let mut angry = Enrichment::default();
        angry.sentiment.scores.negative = 0.9;
        angry.intents.push(IntentLabel {
            name: "churn_risk".into(),
            confidence: 0.8,
            because: vec![],
        });
        let leaving = u.score("I'm DONE, switching to Verizon!!", &angry);
        let plain = u.score("switching to Verizon", &calm);
        assert!(
            leaving.score > plain.score + 0.3,
            "{leaving:?} vs {plain:?}"
        );
        assert!(leaving
            .because
            .iter()
            .any(|r| r.feature == "intent:churn_risk"));
        assert!(leaving.because.iter().any(|r| r.feature == "intensity"));
    }
}
