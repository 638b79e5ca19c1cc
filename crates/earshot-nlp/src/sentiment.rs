//! Sentiment: a multinomial logistic regression over hashed tweet features, trained with
//! seeded, averaged SGD and class-balanced weights (neutral outnumbers negative three to one in
//! TweetEval, and macro-averaged recall is the measure), stored quantized to 16 bits.

use crate::data::Example;
use crate::features::{bucket, extract, named};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

pub const LABELS: [&str; 3] = ["negative", "neutral", "positive"];
const MAGIC: &[u8; 8] = b"ESNTSEN1";

#[derive(Debug, Clone, Copy)]
pub struct TrainConfig {
    /// Hash buckets (a power of two).
    pub buckets: u32,
    pub epochs: usize,
    pub learning_rate: f32,
    pub l2: f32,
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            buckets: 1 << 18,
            epochs: 10,
            learning_rate: 0.4,
            l2: 1e-6,
            seed: 42,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct SentimentModel {
    buckets: u32,
    /// `weights[bucket * 3 + class]`
    weights: Vec<f32>,
    bias: [f32; 3],
}

/// A message's sentiment: the label, the probability of each class (negative, neutral,
/// positive), and the features that pushed most towards the label.
#[derive(Debug, Clone, PartialEq)]
pub struct Sentiment {
    pub label: &'static str,
    pub class: usize,
    pub scores: [f32; 3],
    pub because: Vec<(String, f32)>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not an Earshot sentiment model (bad header)")]
    BadHeader,
    #[error("the model file is truncated or corrupt: {0}")]
    Corrupt(&'static str),
}

fn softmax(z: [f32; 3]) -> [f32; 3] {
    let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let e = z.map(|v| (v - m).exp());
    let s: f32 = e.iter().sum();
    e.map(|v| v / s)
}

impl SentimentModel {
    /// Trains on `examples`; the same examples, order and config give the same model.
    pub fn train(examples: &[Example], config: &TrainConfig) -> Self {
        assert!(
            config.buckets.is_power_of_two(),
            "buckets must be a power of two"
        );
        let feats: Vec<_> = examples
            .iter()
            .map(|(t, _)| extract(t, config.buckets))
            .collect();
        let mut counts = [0usize; 3];
        examples.iter().for_each(|(_, c)| counts[*c] += 1);
        let n = examples.len() as f32;
        let class_weight = counts.map(|c| if c == 0 { 0.0 } else { n / (3.0 * c as f32) });
        let mut model = Self {
            buckets: config.buckets,
            weights: vec![0.0; config.buckets as usize * 3],
            bias: [0.0; 3],
        };
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        // Averaged SGD: the returned weights are the mean of the weights after every step,
        // kept sparsely as `w - acc / steps` where `acc` sums each update times its step.
        let mut acc = vec![0.0f32; model.weights.len()];
        let mut acc_bias = [0.0f32; 3];
        let mut step = 1.0f32;
        // A constant rate: averaging does the annealing.
        let lr = config.learning_rate;
        for _ in 0..config.epochs {
            order.shuffle(&mut rng);
            for &i in &order {
                let (x, y) = (&feats[i], examples[i].1);
                let p = softmax(model.logits(x));
                let cw = class_weight[y];
                for c in 0..3 {
                    let g = (p[c] - if c == y { 1.0 } else { 0.0 }) * cw;
                    let db = lr * g * 0.1;
                    model.bias[c] -= db;
                    acc_bias[c] -= step * db;
                    for &(f, v) in x {
                        let k = f as usize * 3 + c;
                        let dw = lr * (g * v + config.l2 * model.weights[k]);
                        model.weights[k] -= dw;
                        acc[k] -= step * dw;
                    }
                }
                step += 1.0;
            }
        }
        for (w, a) in model.weights.iter_mut().zip(&acc) {
            *w -= a / step;
        }
        for (b, a) in model.bias.iter_mut().zip(acc_bias) {
            *b -= a / step;
        }
        model.quantized()
    }

    fn logits(&self, x: &[(u32, f32)]) -> [f32; 3] {
        let mut z = self.bias;
        for &(f, v) in x {
            let w = &self.weights[f as usize * 3..f as usize * 3 + 3];
            z[0] += w[0] * v;
            z[1] += w[1] * v;
            z[2] += w[2] * v;
        }
        z
    }

    /// Probabilities of negative, neutral, positive.
    pub fn scores(&self, text: &str) -> [f32; 3] {
        softmax(self.logits(&extract(text, self.buckets)))
    }

    /// The most likely class.
    pub fn predict(&self, text: &str) -> usize {
        let s = self.scores(text);
        (0..3).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap_or(1)
    }

    /// Label, scores and the `top` features that contributed most to the label.
    pub fn classify(&self, text: &str, top: usize) -> Sentiment {
        let x = extract(text, self.buckets);
        let scores = softmax(self.logits(&x));
        let class = (0..3)
            .max_by(|&a, &b| scores[a].total_cmp(&scores[b]))
            .unwrap_or(1);
        let value: std::collections::HashMap<u32, f32> = x.into_iter().collect();
        let mut contributions: Vec<(String, f32)> = Vec::new();
        for name in named(text) {
            if contributions.iter().any(|(n, _)| *n == name) {
                continue;
            }
            let b = bucket(&name, self.buckets);
            let w = &self.weights[b as usize * 3..b as usize * 3 + 3];
            let v = value.get(&b).copied().unwrap_or(0.0);
            // How much this feature favours the label over the other classes.
            let others = (w[0] + w[1] + w[2] - w[class]) / 2.0;
            contributions.push((name, (w[class] - others) * v));
        }
        contributions.retain(|(_, c)| *c > 0.0);
        contributions.sort_by(|a, b| b.1.total_cmp(&a.1));
        contributions.truncate(top);
        Sentiment {
            label: LABELS[class],
            class,
            scores,
            because: contributions,
        }
    }

    /// The weights rounded to 16-bit steps, as the model file stores them.
    fn quantized(mut self) -> Self {
        let scale = self.scale();
        self.weights
            .iter_mut()
            .for_each(|w| *w = (*w / scale).round() * scale);
        self
    }

    fn scale(&self) -> f32 {
        let max = self.weights.iter().fold(0.0f32, |m, w| m.max(w.abs()));
        if max == 0.0 {
            1.0
        } else {
            max / 32767.0
        }
    }

    /// The model file: header, buckets, scale, 16-bit weights, biases (little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let scale = self.scale();
        let mut out = Vec::with_capacity(16 + self.weights.len() * 2 + 12);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.buckets.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for w in &self.weights {
            out.extend_from_slice(&((w / scale).round() as i16).to_le_bytes());
        }
        for b in self.bias {
            out.extend_from_slice(&b.to_le_bytes());
        }
        out
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, ModelError> {
        let rest = bytes
            .strip_prefix(MAGIC.as_slice())
            .ok_or(ModelError::BadHeader)?;
        let word = |at: usize| -> Result<[u8; 4], ModelError> {
            rest.get(at..at + 4)
                .and_then(|s| s.try_into().ok())
                .ok_or(ModelError::Corrupt("header"))
        };
        let buckets = u32::from_le_bytes(word(0)?);
        let scale = f32::from_le_bytes(word(4)?);
        if !buckets.is_power_of_two() || buckets > 1 << 24 {
            return Err(ModelError::Corrupt("bucket count"));
        }
        let n = buckets as usize * 3;
        let body = rest
            .get(8..8 + n * 2)
            .ok_or(ModelError::Corrupt("weights"))?;
        let weights = body
            .chunks_exact(2)
            .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) * scale)
            .collect();
        let tail = rest
            .get(8 + n * 2..)
            .filter(|t| t.len() == 12)
            .ok_or(ModelError::Corrupt("biases"))?;
        let bias = [0, 1, 2]
            .map(|k| f32::from_le_bytes(tail[k * 4..k * 4 + 4].try_into().expect("4 bytes")));
        Ok(Self {
            buckets,
            weights,
            bias,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny() -> Vec<Example> {
        let mut v = Vec::new();
        for _ in 0..20 {
            v.push(("I love this, great service".to_string(), 2));
            v.push(("terrible, I hate waiting".to_string(), 0));
            v.push(("the flight leaves at noon".to_string(), 1));
        }
        v
    }

    #[test]
    fn learns_a_separable_toy_set_and_explains_itself() {
        let config = TrainConfig {
            buckets: 1 << 12,
            ..TrainConfig::default()
        };
        let m = SentimentModel::train(&tiny(), &config);
        assert_eq!(m.predict("great, love it"), 2);
        assert_eq!(m.predict("hate this, terrible"), 0);
        let s = m.classify("I hate waiting", 3);
        assert_eq!(s.label, "negative");
        assert!(
            s.because.iter().any(|(f, _)| f.contains("hate")),
            "{:?}",
            s.because
        );
        assert!((s.scores.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }

    #[test]
    fn the_file_round_trips_and_bad_files_are_refused() {
        let config = TrainConfig {
            buckets: 1 << 10,
            ..TrainConfig::default()
        };
        let m = SentimentModel::train(&tiny(), &config);
        assert_eq!(SentimentModel::from_bytes(&m.to_bytes()).unwrap(), m);
        assert!(matches!(
            SentimentModel::from_bytes(b"nope"),
            Err(ModelError::BadHeader)
        ));
        let bytes = m.to_bytes();
        assert!(matches!(
            SentimentModel::from_bytes(&bytes[..bytes.len() - 1]),
            Err(ModelError::Corrupt(_))
        ));
        assert_eq!(
            SentimentModel::train(&tiny(), &config),
            m,
            "same data, same seed, same model"
        );
    }

    #[test]
    fn any_text_gets_a_defined_answer() {
        let m = SentimentModel::train(
            &tiny(),
            &TrainConfig {
                buckets: 1 << 10,
                ..TrainConfig::default()
            },
        );
        for text in [
            "",
            "😡😡😡",
            "中文 مرحبا नमस्ते",
            "\u{0}\u{7}",
            &"a".repeat(100_000),
        ] {
            let s = m.classify(text, 5);
            assert!(s.scores.iter().all(|p| p.is_finite()));
        }
    }
}
