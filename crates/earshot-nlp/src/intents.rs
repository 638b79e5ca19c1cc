//! Intents: several may hold at once, each with a confidence and its reasons. Five are
//! learned ([`Learned`] models: complaint, question, suggestion, churn risk, spam); purchase
//! intent is documented rules only ([`crate::rules`]); praise is the sentiment model's positive
//! score weighed by praise cues; question, suggestion and churn risk combine their model with
//! their cue phrases (noisy-or), because their training data is thin or not social text.
//! `models/intents.md` says which is which and how each measures.

use crate::features::Analysis;
use crate::linear::{LinearModel, ModelError};
use crate::recipes::Learned;
use crate::rules::{self, CueSet, Hit};
use earshot_core::enrichment::{IntentLabel, Reason};

/// Every intent, in the order [`Intents::score`] returns them.
pub const INTENTS: [&str; 7] = [
    "complaint",
    "question",
    "praise",
    "suggestion",
    "purchase_intent",
    "churn_risk",
    "spam",
];

/// An intent holds from this confidence up.
pub const THRESHOLD: f32 = 0.5;

pub struct Intents {
    complaint: LinearModel,
    question: LinearModel,
    suggestion: LinearModel,
    churn: LinearModel,
    spam: LinearModel,
    suggestion_cues: CueSet,
    question_cues: CueSet,
    praise_cues: CueSet,
    purchase_cues: CueSet,
    churn_cues: CueSet,
}

/// The model files Intents needs, by [`Learned`] kind.
pub struct IntentFiles<'a> {
    pub complaint: &'a [u8],
    pub question: &'a [u8],
    pub suggestion: &'a [u8],
    pub churn_risk: &'a [u8],
    pub spam: &'a [u8],
}

fn reasons(hits: &[Hit]) -> Vec<Reason> {
    hits.iter()
        .map(|h| Reason {
            feature: format!("rule:{}", h.phrase),
            weight: h.weight,
        })
        .collect()
}

fn learned(model: &LinearModel, a: &Analysis) -> f32 {
    model.scores_of(a)[1]
}

/// The model's reasons, worked out only for an intent that holds (they cost more than the
/// score).
fn model_reasons(model: &LinearModel, a: &Analysis, confidence: f32) -> Vec<Reason> {
    if confidence < THRESHOLD {
        return Vec::new();
    }
    model
        .explain_of(a, 1, 5)
        .into_iter()
        .map(|(feature, weight)| Reason { feature, weight })
        .collect()
}

fn noisy_or(a: f32, b: f32) -> f32 {
    1.0 - (1.0 - a) * (1.0 - b)
}

impl Intents {
    pub fn from_files(files: &IntentFiles) -> Result<Self, ModelError> {
        Ok(Self {
            complaint: LinearModel::from_bytes_with(files.complaint, 2)?,
            question: LinearModel::from_bytes_with(files.question, 2)?,
            suggestion: LinearModel::from_bytes_with(files.suggestion, 2)?,
            churn: LinearModel::from_bytes_with(files.churn_risk, 2)?,
            spam: LinearModel::from_bytes_with(files.spam, 2)?,
            suggestion_cues: CueSet::new("suggestion", rules::SUGGESTION),
            question_cues: CueSet::new("question", rules::QUESTION),
            praise_cues: CueSet::new("praise", rules::PRAISE),
            purchase_cues: CueSet::new("purchase_intent", rules::PURCHASE),
            churn_cues: CueSet::new("churn_risk", rules::CHURN),
        })
    }

    /// The learned model of one intent, for evaluation.
    pub fn model(&self, kind: Learned) -> Option<&LinearModel> {
        match kind {
            Learned::Complaint => Some(&self.complaint),
            Learned::Question => Some(&self.question),
            Learned::Suggestion => Some(&self.suggestion),
            Learned::ChurnRisk => Some(&self.churn),
            Learned::Spam => Some(&self.spam),
            Learned::Sentiment => None,
        }
    }

    /// Every intent with its confidence, in [`INTENTS`] order; the reasons of each intent
    /// that holds (confidence ≥ [`THRESHOLD`]). `positive` is the sentiment model's
    /// P(positive) for the message (praise needs it).
    pub fn score(&self, text: &str, positive: f32) -> Vec<IntentLabel> {
        self.score_of(&Analysis::new(text), positive)
    }

    pub fn score_of(&self, a: &Analysis, positive: f32) -> Vec<IntentLabel> {
        let lower = rules::normalize(a.text());
        let label = |name: &str, confidence: f32, because: Vec<Reason>| IntentLabel {
            name: name.to_string(),
            confidence: confidence.clamp(0.0, 1.0),
            because,
        };
        // The complaint model learned from airline tweets, where negative means complaint;
        // a message the sentiment model finds more likely positive than not is rarely one.
        let complaint = learned(&self.complaint, a);
        let complaint = if positive > 0.5 {
            complaint * (1.0 - positive)
        } else {
            complaint
        };
        let mut complaint_why = model_reasons(&self.complaint, a, complaint);
        if positive > 0.5 && complaint >= THRESHOLD {
            complaint_why.push(Reason {
                feature: "sentiment:positive (discounts)".into(),
                weight: -positive,
            });
        }

        let question_hits = self.question_cues.hits(&lower);
        let question = noisy_or(learned(&self.question, a), rules::combine(&question_hits));
        let mut question_why = reasons(&question_hits);
        question_why.extend(model_reasons(&self.question, a, question));

        let praise_hits = self.praise_cues.hits(&lower);
        let praise = positive * (0.6 + 0.4 * rules::combine(&praise_hits));
        let mut praise_why = reasons(&praise_hits);
        praise_why.push(Reason {
            feature: "sentiment:positive".into(),
            weight: positive,
        });

        let suggestion_hits = self.suggestion_cues.hits(&lower);
        let suggestion = noisy_or(
            learned(&self.suggestion, a),
            rules::combine(&suggestion_hits),
        );
        let mut suggestion_why = reasons(&suggestion_hits);
        suggestion_why.extend(model_reasons(&self.suggestion, a, suggestion));

        let purchase_hits = self.purchase_cues.hits(&lower);

        let churn_hits = self.churn_cues.hits(&lower);
        let churn = noisy_or(learned(&self.churn, a), rules::combine(&churn_hits));
        let mut churn_why = reasons(&churn_hits);
        churn_why.extend(model_reasons(&self.churn, a, churn));

        let spam = learned(&self.spam, a);
        let spam_why = model_reasons(&self.spam, a, spam);

        vec![
            label("complaint", complaint, complaint_why),
            label("question", question, question_why),
            label("praise", praise, praise_why),
            label("suggestion", suggestion, suggestion_why),
            label(
                "purchase_intent",
                rules::combine(&purchase_hits),
                reasons(&purchase_hits),
            ),
            label("churn_risk", churn, churn_why),
            label("spam", spam, spam_why),
        ]
    }

    /// The intents that hold, most confident first.
    pub fn holding(&self, a: &Analysis, positive: f32) -> Vec<IntentLabel> {
        let mut all: Vec<IntentLabel> = self
            .score_of(a, positive)
            .into_iter()
            .filter(|i| i.confidence >= THRESHOLD)
            .collect();
        all.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        all
    }
}
