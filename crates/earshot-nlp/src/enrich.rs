//! The enrich stage: enrichers run in order on each inbound message, each reading what the
//! earlier ones found and adding its part (language, then sentiment, then intents, which need
//! sentiment, then urgency, which needs both).

use crate::features::Analysis;
use crate::intents::{IntentFiles, Intents};
use crate::language;
use crate::linear::ModelError;
use crate::sentiment::SentimentModel;
use crate::urgency::Urgency;
use earshot_core::enrichment::{round3, Enrichment, Reason, SentimentLabel, SentimentScores};

/// One step of understanding: synchronous, one message in (its text, analysed once into the
/// features every model shares), its part of the enrichment out. Must give a defined result
/// for any string (never panic, `unknown` when nothing can be said).
pub trait Enricher: Send + Sync {
    fn name(&self) -> &'static str;
    /// Adds this enricher's labels (and reasons only where they cost nothing extra).
    fn enrich(&self, message: &Analysis, so_far: &mut Enrichment);
    /// Adds the reasons behind this enricher's labels in `e`, which may have been stored
    /// earlier: explanations cost several times the labels, so the enrich stage stores labels
    /// and the API explains the messages a person opens.
    fn explain(&self, _message: &Analysis, _e: &mut Enrichment) {}
}

pub struct LanguageEnricher;

impl Enricher for LanguageEnricher {
    fn name(&self) -> &'static str {
        "language"
    }
    fn enrich(&self, message: &Analysis, so_far: &mut Enrichment) {
        let l = language::detect(message.text());
        so_far.language = l.code.to_string();
        so_far.language_confidence = round3(l.confidence);
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
        let scores = self.0.scores_of(message);
        let class = crate::linear::argmax(&scores);
        so_far.sentiment = SentimentLabel {
            label: crate::sentiment::LABELS[class].to_string(),
            score: round3(scores[2] - scores[0]),
            scores: SentimentScores {
                negative: round3(scores[0]),
                neutral: round3(scores[1]),
                positive: round3(scores[2]),
            },
            because: Vec::new(),
        };
    }

    fn explain(&self, message: &Analysis, e: &mut Enrichment) {
        let Some(class) = crate::sentiment::LABELS
            .iter()
            .position(|l| *l == e.sentiment.label)
        else {
            return;
        };
        e.sentiment.because = self
            .0
            .explain_of(message, class, 5)
            .into_iter()
            .map(|(feature, weight)| Reason::new(feature, weight))
            .collect();
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
        so_far.intents = self
            .0
            .holding(message, so_far.sentiment.scores.positive, false);
    }

    fn explain(&self, message: &Analysis, e: &mut Enrichment) {
        if e.intents.is_empty() {
            return;
        }
        let all = self.0.score_of(message, e.sentiment.scores.positive, true);
        for intent in &mut e.intents {
            if let Some(now) = all.iter().find(|i| i.name == intent.name) {
                intent.because = now.because.clone();
            }
        }
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

/// The language of a message as the enrich stage sees it (its opening): what listening's
/// `lang:` queries match and what is stored, detected once per message.
pub fn detect_language(text: &str) -> language::Language {
    language::detect(opening(text))
}

/// The first [`MAX_TEXT_BYTES`] of `text`, cut at a character boundary.
fn opening(text: &str) -> &str {
    let mut end = text.len().min(MAX_TEXT_BYTES);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

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

    /// Labels and their reasons: what `earshot classify` prints.
    pub fn enrich(&self, text: &str) -> Enrichment {
        let mut e = self.label(text);
        self.explain(text, &mut e);
        e
    }

    /// Labels only (urgency keeps its reasons, which cost nothing extra): what the enrich
    /// stage stores.
    pub fn label(&self, text: &str) -> Enrichment {
        self.label_in(text, None)
    }

    /// [`Self::label`] for a text whose language an earlier stage already detected (with
    /// [`detect_language`]): it is not detected again.
    pub fn label_in(&self, text: &str, language: Option<&language::Language>) -> Enrichment {
        let message = Analysis::new(opening(text));
        let mut e = Enrichment::default();
        if let Some(l) = language {
            e.language = l.code.to_string();
            e.language_confidence = round3(l.confidence);
        }
        for enricher in &self.enrichers {
            if language.is_some() && enricher.name() == "language" {
                continue;
            }
            enricher.enrich(&message, &mut e);
        }
        e
    }

    /// Fills in the reasons of the labels in `e` (as [`Self::label`] gave them for `text`,
    /// perhaps stored long ago; a label the current models would not give still gets the
    /// features that speak for it).
    pub fn explain(&self, text: &str, e: &mut Enrichment) {
        let message = Analysis::new(opening(text));
        for enricher in &self.enrichers {
            enricher.explain(&message, e);
        }
    }
}
