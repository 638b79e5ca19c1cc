//! The enrich stage: enrichers run in order on each inbound message, each reading what the
//! earlier ones found and adding its part (language, then sentiment, then intents, which need
//! sentiment, then urgency, which needs both).

use crate::features::Analysis;
use crate::intents::{IntentFiles, Intents};
use crate::language;
use crate::linear::ModelError;
use crate::sentiment::SentimentModel;
use crate::urgency::Urgency;
use earshot_core::enrichment::{Enrichment, Reason, SentimentLabel, SentimentScores};

/// One step of understanding: synchronous, one message in (its text, analysed once into the
/// features every model shares), its part of the enrichment out. Must give a defined result
/// for any string (never panic, `unknown` when nothing can be said).
pub trait Enricher: Send + Sync {
    fn name(&self) -> &'static str;
    fn enrich(&self, message: &Analysis, so_far: &mut Enrichment);
}

pub struct LanguageEnricher;

impl Enricher for LanguageEnricher {
    fn name(&self) -> &'static str {
        "language"
    }
    fn enrich(&self, message: &Analysis, so_far: &mut Enrichment) {
        let l = language::detect(message.text());
        so_far.language = l.code.to_string();
        so_far.language_confidence = l.confidence;
    }
}

pub struct SentimentEnricher(pub SentimentModel);

impl Enricher for SentimentEnricher {
    fn name(&self) -> &'static str {
        "sentiment"
    }
    fn enrich(&self, message: &Analysis, so_far: &mut Enrichment) {
        // Nothing to judge: no word, emoji or sign the features see.
        if message.is_empty() {
            return;
        }
        let s = self.0.classify_of(message, 5);
        so_far.sentiment = SentimentLabel {
            label: s.label.to_string(),
            score: s.polarity(),
            scores: SentimentScores {
                negative: s.scores[0],
                neutral: s.scores[1],
                positive: s.scores[2],
            },
            because: s
                .because
                .into_iter()
                .map(|(feature, weight)| Reason { feature, weight })
                .collect(),
        };
    }
}

pub struct IntentEnricher(pub Intents);

impl Enricher for IntentEnricher {
    fn name(&self) -> &'static str {
        "intents"
    }
    fn enrich(&self, message: &Analysis, so_far: &mut Enrichment) {
        if so_far.sentiment.label == "unknown" {
            return;
        }
        so_far.intents = self.0.holding(message, so_far.sentiment.scores.positive);
    }
}

pub struct UrgencyEnricher(pub Urgency);

impl Enricher for UrgencyEnricher {
    fn name(&self) -> &'static str {
        "urgency"
    }
    fn enrich(&self, message: &Analysis, so_far: &mut Enrichment) {
        so_far.urgency = self.0.score(message.text(), so_far);
    }
}

/// Texts longer than this are judged on their first 4 KiB (at a character boundary): a
/// social message or an email's opening says what it is about, and 100 KB of pasted logs
/// must not stall the pipeline.
pub const MAX_TEXT_BYTES: usize = 4096;

/// All enrichers, in order.
pub struct Understanding {
    enrichers: Vec<Box<dyn Enricher>>,
}

/// The models shipped with Earshot, trained by `earshot train` (see `models/*.md`).
pub mod builtin {
    pub const SENTIMENT: &[u8] = include_bytes!("../models/sentiment.bin");
    pub const COMPLAINT: &[u8] = include_bytes!("../models/complaint.bin");
    pub const QUESTION: &[u8] = include_bytes!("../models/question.bin");
    pub const SUGGESTION: &[u8] = include_bytes!("../models/suggestion.bin");
    pub const CHURN_RISK: &[u8] = include_bytes!("../models/churn_risk.bin");
    pub const SPAM: &[u8] = include_bytes!("../models/spam.bin");
}

impl Understanding {
    pub fn new(enrichers: Vec<Box<dyn Enricher>>) -> Self {
        Self { enrichers }
    }

    /// Language, sentiment, intents and urgency from the given model files.
    pub fn from_models(sentiment: &[u8], intents: &IntentFiles) -> Result<Self, ModelError> {
        Ok(Self::new(vec![
            Box::new(LanguageEnricher),
            Box::new(SentimentEnricher(SentimentModel::from_bytes(sentiment)?)),
            Box::new(IntentEnricher(Intents::from_files(intents)?)),
            Box::new(UrgencyEnricher(Urgency::default())),
        ]))
    }

    /// The models built into Earshot.
    pub fn builtin() -> Self {
        Self::from_models(
            builtin::SENTIMENT,
            &IntentFiles {
                complaint: builtin::COMPLAINT,
                question: builtin::QUESTION,
                suggestion: builtin::SUGGESTION,
                churn_risk: builtin::CHURN_RISK,
                spam: builtin::SPAM,
            },
        )
        .expect("the built-in models load (checked by tests)")
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.enrichers.iter().map(|e| e.name()).collect()
    }

    pub fn enrich(&self, text: &str) -> Enrichment {
        let mut end = text.len().min(MAX_TEXT_BYTES);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        let message = Analysis::new(&text[..end]);
        let mut e = Enrichment::default();
        for enricher in &self.enrichers {
            enricher.enrich(&message, &mut e);
        }
        e
    }
}
