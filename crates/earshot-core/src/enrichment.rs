//! What the enrich stage learned about a message: language, sentiment, intents and urgency,
//! each with the reasons behind it. Stored on the message and returned by the API as is.

use serde::{Deserialize, Serialize};

/// Every intent the enrich stage decides, in the order its models score them.
pub const INTENTS: [&str; 7] = [
    "complaint",
    "question",
    "praise",
    "suggestion",
    "purchase_intent",
    "churn_risk",
    "spam",
];

/// The sentiments a message can be labelled with (besides `unknown`: nothing to judge).
pub const SENTIMENTS: [&str; 3] = ["negative", "neutral", "positive"];

/// One reason behind a label: a feature of the text (`w:refund` a word, `b:not working` a word
/// pair, `c:<los` a character n-gram, `l:neg2` a strongly negative lexicon word) or a
/// documented rule (`rule:…`), and how much it contributed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reason {
    pub feature: String,
    pub weight: f32,
}

impl Reason {
    /// A reason with its weight rounded to three decimals (what is stored and shown).
    pub fn new(feature: impl Into<String>, weight: f32) -> Self {
        Self {
            feature: feature.into(),
            weight: round3(weight),
        }
    }
}

/// Rounded to three decimals: probabilities and weights are stored and shown this way (more
/// digits say nothing to an agent and triple the stored size).
pub fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentScores {
    pub negative: f32,
    pub neutral: f32,
    pub positive: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentimentLabel {
    /// `negative`, `neutral`, `positive`, or `unknown` when the text has nothing to judge.
    pub label: String,
    /// From -1 (certainly negative) to +1 (certainly positive).
    pub score: f32,
    pub scores: SentimentScores,
    pub because: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntentLabel {
    /// `complaint`, `question`, `praise`, `suggestion`, `purchase_intent`, `churn_risk`, `spam`.
    pub name: String,
    pub confidence: f32,
    pub because: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UrgencyLabel {
    /// From 0 (can wait) to 1 (act now).
    pub score: f32,
    pub because: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Enrichment {
    /// ISO 639-1 code (`en`, `es`, …) or `unknown` when the text gives no evidence.
    pub language: String,
    pub language_confidence: f32,
    pub sentiment: SentimentLabel,
    /// The intents that hold (confidence ≥ 0.5), most confident first.
    pub intents: Vec<IntentLabel>,
    pub urgency: UrgencyLabel,
}

impl Enrichment {
    pub fn has_intent(&self, name: &str) -> bool {
        self.intents.iter().any(|i| i.name == name)
    }
}

impl Default for Enrichment {
    /// Nothing known: language and sentiment `unknown`, no intents, urgency 0.
    fn default() -> Self {
        Self {
            language: "unknown".into(),
            language_confidence: 0.0,
            sentiment: SentimentLabel {
                label: "unknown".into(),
                score: 0.0,
                scores: SentimentScores {
                    negative: 0.0,
                    neutral: 0.0,
                    positive: 0.0,
                },
                because: Vec::new(),
            },
            intents: Vec::new(),
            urgency: UrgencyLabel {
                score: 0.0,
                because: Vec::new(),
            },
        }
    }
}
