//! Sentiment: negative / neutral / positive from a three-class [`LinearModel`] trained by
//! `earshot train sentiment` on TweetEval (see `models/sentiment.md`).

use crate::data::Example;
use crate::features::Analysis;
use crate::linear::{argmax, LinearModel, ModelError, TrainConfig};

pub const LABELS: [&str; 3] = ["negative", "neutral", "positive"];

#[derive(Debug, Clone, PartialEq)]
pub struct SentimentModel(LinearModel);

/// A message's sentiment: the label, the probability of each class (negative, neutral,
/// positive), and the features that pushed most towards the label.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentiment {
    pub label: &'static str,
    pub class: usize,
    pub scores: [f32; 3],
    pub because: Vec<(String, f32)>,
}

impl SentimentModel {
    pub fn train(examples: &[Example], config: &TrainConfig) -> Self {
        Self(LinearModel::train(examples, 3, config))
    }

    /// Probabilities of negative, neutral, positive.
    pub fn scores(&self, text: &str) -> [f32; 3] {
        self.scores_of(&Analysis::new(text))
    }

    pub fn scores_of(&self, a: &Analysis) -> [f32; 3] {
        let s = self.0.scores_of(a);
        [s[0], s[1], s[2]]
    }

    pub fn predict(&self, text: &str) -> usize {
        self.0.predict(text)
    }

    /// Label, scores and the `top` features that contributed most to the label.
    pub fn classify(&self, text: &str, top: usize) -> Sentiment {
        self.classify_of(&Analysis::new(text), top)
    }

    pub fn classify_of(&self, a: &Analysis, top: usize) -> Sentiment {
        let scores = self.scores_of(a);
        let class = argmax(&scores);
        Sentiment {
            label: LABELS[class],
            class,
            scores,
            because: self.0.explain_of(a, class, top),
        }
    }

    /// The `top` features that favour `class` most, for a text already analysed.
    pub fn explain_of(&self, a: &Analysis, class: usize, top: usize) -> Vec<(String, f32)> {
        self.0.explain_of(a, class, top)
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        self.0.to_bytes()
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        LinearModel::from_bytes_with(bytes, 3).map(Self)
    }
}
