//! How each learned model is trained and measured: which files of `../shared/data`, which
//! split is held out, and the training configuration. `earshot train`, `earshot eval` and the
//! reproduction test all read these recipes, so the model cards describe one thing.

use crate::data::{
    banking77, bitext, clinc150, holdout, semeval_suggestions, sms, tweeteval, DataError, Example,
};
use crate::linear::TrainConfig;
use std::path::Path;

/// A learned model Earshot ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learned {
    Sentiment,
    Complaint,
    Question,
    Suggestion,
    ChurnRisk,
    Spam,
}

impl Learned {
    pub const ALL: [Learned; 6] = [
        Learned::Sentiment,
        Learned::Complaint,
        Learned::Question,
        Learned::Suggestion,
        Learned::ChurnRisk,
        Learned::Spam,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Learned::Sentiment => "sentiment",
            Learned::Complaint => "complaint",
            Learned::Question => "question",
            Learned::Suggestion => "suggestion",
            Learned::ChurnRisk => "churn_risk",
            Learned::Spam => "spam",
        }
    }

    /// The model file under `crates/earshot-nlp/models/`: `<name>.bin`.
    pub fn file_name(self) -> String {
        format!("{}.bin", self.name())
    }

    /// The committed model file, as built into Earshot.
    pub fn builtin(self) -> &'static [u8] {
        use crate::enrich::builtin;
        match self {
            Learned::Sentiment => builtin::SENTIMENT,
            Learned::Complaint => builtin::COMPLAINT,
            Learned::Question => builtin::QUESTION,
            Learned::Suggestion => builtin::SUGGESTION,
            Learned::ChurnRisk => builtin::CHURN_RISK,
            Learned::Spam => builtin::SPAM,
        }
    }

    pub fn labels(self) -> &'static [&'static str] {
        match self {
            Learned::Sentiment => &crate::sentiment::LABELS,
            Learned::Complaint => &["other", "complaint"],
            Learned::Question => &["other", "question"],
            Learned::Suggestion => &["other", "suggestion"],
            Learned::ChurnRisk => &["other", "churn_risk"],
            Learned::Spam => &["ham", "spam"],
        }
    }

    pub fn config(self) -> TrainConfig {
        match self {
            Learned::Sentiment => TrainConfig::default(),
            // SMS spam: 20 epochs measured F1 0.926 on sms-holdout-20, 10 epochs 0.912.
            Learned::Spam => TrainConfig {
                buckets: 1 << 16,
                epochs: 20,
                ..TrainConfig::default()
            },
            // Binary intents: a quarter of the buckets (256 KB a model) lose nothing measurable.
            _ => TrainConfig {
                buckets: 1 << 16,
                ..TrainConfig::default()
            },
        }
    }

    /// The training examples.
    pub fn training_set(self, data: &Path) -> Result<Vec<Example>, DataError> {
        Ok(match self {
            Learned::Sentiment => tweeteval(&data.join("sentiment/tweeteval"), "train")?,
            Learned::Suggestion => {
                semeval_suggestions(&data.join("suggestion/semeval2019/train.csv"))?
            }
            Learned::Spam => holdout(&sms(&data.join("spam/sms/SMSSpamCollection.tsv"))?).0,
            Learned::Complaint => {
                let mut out = holdout(&airline(data)?).0;
                // Bitext's (generated) complaints widen the phrasing beyond airlines.
                out.extend(
                    bitext(&data.join("intent/bitext/customer_support_27_intents.csv"))?
                        .into_iter()
                        .filter(|(_, intent)| intent == "complaint")
                        .map(|(t, _)| (t, 1)),
                );
                out
            }
            Learned::ChurnRisk => holdout(&churn(data)?).0,
            Learned::Question => {
                let mut out: Vec<Example> =
                    clinc150(&data.join("intent/clinc150/train_val.json"), "train")?
                        .into_iter()
                        .map(|(t, _)| (t, 1))
                        .collect();
                out.extend(requests(data)?);
                out.extend(
                    tweeteval(&data.join("sentiment/tweeteval"), "train")?
                        .into_iter()
                        .filter(|(t, _)| !t.contains('?'))
                        .map(|(t, _)| (t, 0)),
                );
                out
            }
        })
    }

    /// The held-out examples the model card reports, and the split's name.
    pub fn dev_set(self, data: &Path) -> Result<(&'static str, Vec<Example>), DataError> {
        Ok(match self {
            Learned::Sentiment => (
                "TweetEval val",
                tweeteval(&data.join("sentiment/tweeteval"), "val")?,
            ),
            Learned::Suggestion => (
                "SemEval-2019 Task 9 dev",
                semeval_suggestions(&data.join("suggestion/semeval2019/dev.csv"))?,
            ),
            Learned::Spam => (
                "sms-holdout-20",
                holdout(&sms(&data.join("spam/sms/SMSSpamCollection.tsv"))?).1,
            ),
            Learned::Complaint => ("airline-holdout-20", holdout(&airline(data)?).1),
            Learned::ChurnRisk => ("churn-holdout-20", holdout(&churn(data)?).1),
            Learned::Question => {
                let mut out: Vec<Example> =
                    clinc150(&data.join("intent/clinc150/train_val.json"), "val")?
                        .into_iter()
                        .map(|(t, _)| (t, 1))
                        .collect();
                out.extend(
                    tweeteval(&data.join("sentiment/tweeteval"), "val")?
                        .into_iter()
                        .filter(|(t, _)| !t.contains('?'))
                        .map(|(t, _)| (t, 0)),
                );
                (
                    "CLINC150 val (questions) + TweetEval val without `?` (others)",
                    out,
                )
            }
        })
    }
}

/// Customer-service requests: every BANKING77 query and every Bitext instruction.
fn requests(data: &Path) -> Result<Vec<Example>, DataError> {
    let mut out: Vec<Example> = banking77(&data.join("intent/banking77/train.csv"))?
        .into_iter()
        .map(|(t, _)| (t, 1))
        .collect();
    out.extend(
        bitext(&data.join("intent/bitext/customer_support_27_intents.csv"))?
            .into_iter()
            .map(|(t, _)| (t, 1)),
    );
    Ok(out)
}

/// Airline tweets as complaints (1) or not (0).
fn airline(data: &Path) -> Result<Vec<Example>, DataError> {
    Ok(
        crate::data::airline(&data.join("sentiment/airline/train.csv"))?
            .into_iter()
            .map(|t| {
                let y = usize::from(t.is_complaint());
                (t.text, y)
            })
            .collect(),
    )
}

/// Churn: BANKING77 `terminate_account` and Bitext `delete_account` are leaving (1); every
/// other BANKING77 and Bitext query, and every fourth TweetEval training tweet, is not (0),
/// so the model sees social text that is not about leaving. Interleaved in a fixed order.
fn churn(data: &Path) -> Result<Vec<Example>, DataError> {
    let mut out: Vec<Example> = banking77(&data.join("intent/banking77/train.csv"))?
        .into_iter()
        .map(|(t, c)| (t, usize::from(c == "terminate_account")))
        .collect();
    out.extend(
        bitext(&data.join("intent/bitext/customer_support_27_intents.csv"))?
            .into_iter()
            .map(|(t, c)| (t, usize::from(c == "delete_account"))),
    );
    out.extend(
        tweeteval(&data.join("sentiment/tweeteval"), "train")?
            .into_iter()
            .step_by(4)
            .map(|(t, _)| (t, 0)),
    );
    Ok(out)
}
