//! Intents: several may hold at once, each with a confidence and its reasons. Five are
//! learned ([`Learned`](crate::recipes::Learned) models: complaint, question, suggestion, churn risk, spam); purchase
//! intent is documented rules only ([`crate::rules`]); praise is the sentiment model's positive
//! score weighed by praise cues; question, suggestion and churn risk combine their model with
//! their cue phrases (noisy-or), because their training data is thin or not social text.
//! `models/intents.md` says which is which and how each measures.

use crate::features::Analysis;
use crate::linear::{LinearModel, ModelError};
use crate::rules::{self, CueSet, Hit};
use earshot_core::enrichment::{IntentLabel, Reason};

/// Every intent, in the order [`Intents::score_of`] returns them (defined in the core, where
/// the inbox's filters read them too).
pub use earshot_core::enrichment::INTENTS;

/// An intent holds from this confidence up.
pub const THRESHOLD: f32 = 0.5;

pub struct Intents {
    /// The five learned models' margins side by side, one row per bucket: one memory fetch
    /// per feature scores all five (they share features and bucket count).
    packed: Packed,
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

/// The model files Intents needs, by [`Learned`](crate::recipes::Learned) kind.
pub struct IntentFiles<'a> {
    pub complaint: &'a [u8],
    pub question: &'a [u8],
    pub suggestion: &'a [u8],
    pub churn_risk: &'a [u8],
    pub spam: &'a [u8],
}

fn reasons(hits: &[Hit]) -> Vec<Reason> {
    hits.iter()
        .map(|h| Reason::new(format!("rule:{}", h.phrase), h.weight))
        .collect()
}

const LEARNED: usize = 5;
const COMPLAINT: usize = 0;
const QUESTION: usize = 1;
const SUGGESTION: usize = 2;
const CHURN: usize = 3;
const SPAM: usize = 4;

struct Packed {
    buckets: u32,
    /// `margins[bucket * LEARNED + model]`
    margins: Vec<f32>,
    bias: [f32; LEARNED],
}

impl Packed {
    fn new(models: [&LinearModel; LEARNED]) -> Result<Self, ModelError> {
        let buckets = models[0].buckets();
        let mut margins = vec![0.0; buckets as usize * LEARNED];
        let mut bias = [0.0; LEARNED];
        for (k, m) in models.iter().enumerate() {
            if m.buckets() != buckets {
                return Err(ModelError::Corrupt("intent models of different sizes"));
            }
            let (w, b) = m.margins().ok_or(ModelError::Classes {
                expected: 2,
                found: m.classes(),
            })?;
            for (i, w) in w.into_iter().enumerate() {
                margins[i * LEARNED + k] = w;
            }
            bias[k] = b;
        }
        Ok(Self {
            buckets,
            margins,
            bias,
        })
    }

    /// P(intent) of each learned model.
    fn scores(&self, a: &Analysis) -> [f32; LEARNED] {
        let mut z = self.bias;
        for &(f, v) in a.features(self.buckets).iter() {
            let row = &self.margins[f as usize * LEARNED..f as usize * LEARNED + LEARNED];
            for k in 0..LEARNED {
                z[k] += row[k] * v;
            }
        }
        z.map(|z| 1.0 / (1.0 + (-z).exp()))
    }
}

/// The model's reasons, worked out only when asked and for an intent that holds (they cost
/// several times the score).
fn model_reasons(model: &LinearModel, a: &Analysis, confidence: f32, explain: bool) -> Vec<Reason> {
    // The same rounding as the confidence shown, so an intent held at 0.4996 → 0.5 is
    // explained too.
    if !explain || earshot_core::enrichment::round3(confidence) < THRESHOLD {
        return Vec::new();
    }
    model
        .explain_of(a, 1, 3)
        .into_iter()
        .map(|(feature, weight)| Reason::new(feature, weight))
        .collect()
}

fn noisy_or(a: f32, b: f32) -> f32 {
    1.0 - (1.0 - a) * (1.0 - b)
}

impl Intents {
    pub fn from_files(files: &IntentFiles) -> Result<Self, ModelError> {
        let complaint = LinearModel::from_bytes_with(files.complaint, 2)?;
        let question = LinearModel::from_bytes_with(files.question, 2)?;
        let suggestion = LinearModel::from_bytes_with(files.suggestion, 2)?;
        let churn = LinearModel::from_bytes_with(files.churn_risk, 2)?;
        let spam = LinearModel::from_bytes_with(files.spam, 2)?;
        Ok(Self {
            packed: Packed::new([&complaint, &question, &suggestion, &churn, &spam])?,
            complaint,
            question,
            suggestion,
            churn,
            spam,
            suggestion_cues: CueSet::new("suggestion", rules::SUGGESTION),
            question_cues: CueSet::new("question", rules::QUESTION),
            praise_cues: CueSet::new("praise", rules::PRAISE),
            purchase_cues: CueSet::new("purchase_intent", rules::PURCHASE),
            churn_cues: CueSet::new("churn_risk", rules::CHURN),
        })
    }

    /// Every intent with its confidence, in [`INTENTS`] order, and, with `explain`, the
    /// reasons of each intent that holds (confidence ≥ [`THRESHOLD`]; the enrich stage stores
    /// labels, the API explains them when a conversation is opened). `positive` is the
    /// sentiment model's P(positive) for the message (praise needs it).
    pub fn score_of(&self, a: &Analysis, positive: f32, explain: bool) -> Vec<IntentLabel> {
        let lower = rules::normalize(a.text());
        let label = |name: &str, confidence: f32, because: Vec<Reason>| IntentLabel {
            name: name.to_string(),
            confidence: earshot_core::enrichment::round3(confidence.clamp(0.0, 1.0)),
            because: if explain { because } else { Vec::new() },
        };
        // The complaint model learned from airline tweets, where negative means complaint;
        // a message the sentiment model finds more likely positive than not is rarely one.
        let p = self.packed.scores(a);
        let complaint = p[COMPLAINT];
        let complaint = if positive > 0.5 {
            complaint * (1.0 - positive)
        } else {
            complaint
        };
        let mut complaint_why = model_reasons(&self.complaint, a, complaint, explain);
        if positive > 0.5 && earshot_core::enrichment::round3(complaint) >= THRESHOLD {
            complaint_why.push(Reason::new("sentiment:positive (discounts)", -positive));
        }

        let question_hits = self.question_cues.hits(&lower);
        let question = noisy_or(p[QUESTION], rules::combine(&question_hits));
        let mut question_why = reasons(&question_hits);
        question_why.extend(model_reasons(&self.question, a, question, explain));

        let praise_hits = self.praise_cues.hits(&lower);
        let praise = positive * (0.6 + 0.4 * rules::combine(&praise_hits));
        let mut praise_why = reasons(&praise_hits);
        praise_why.push(Reason::new("sentiment:positive", positive));

        let suggestion_hits = self.suggestion_cues.hits(&lower);
        let suggestion = noisy_or(p[SUGGESTION], rules::combine(&suggestion_hits));
        let mut suggestion_why = reasons(&suggestion_hits);
        suggestion_why.extend(model_reasons(&self.suggestion, a, suggestion, explain));

        let purchase_hits = self.purchase_cues.hits(&lower);

        let churn_hits = self.churn_cues.hits(&lower);
        let churn = noisy_or(p[CHURN], rules::combine(&churn_hits));
        let mut churn_why = reasons(&churn_hits);
        churn_why.extend(model_reasons(&self.churn, a, churn, explain));

        let spam = p[SPAM];
        let spam_why = model_reasons(&self.spam, a, spam, explain);

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
    pub fn holding(&self, a: &Analysis, positive: f32, explain: bool) -> Vec<IntentLabel> {
        let mut all: Vec<IntentLabel> = self
            .score_of(a, positive, explain)
            .into_iter()
            .filter(|i| i.confidence >= THRESHOLD)
            .collect();
        all.sort_by(|a, b| b.confidence.total_cmp(&a.confidence));
        all
    }
}
