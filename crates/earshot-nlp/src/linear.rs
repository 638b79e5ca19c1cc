//! A multinomial logistic regression over hashed features (see [`crate::features`]), trained
//! with seeded, averaged SGD and class-balanced weights, and stored quantized to 16 bits. Every
//! learned model in Earshot (sentiment, and each learned intent) is one of these.

use crate::data::Example;
use crate::features::{extract, Analysis, Feature};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

const MAGIC: &[u8; 8] = b"ESNTLIN1";
const MAX_CLASSES: usize = 16;

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
pub struct LinearModel {
    classes: usize,
    buckets: u32,
    /// `weights[bucket * classes + class]`
    weights: Vec<f32>,
    bias: Vec<f32>,
}

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("not an Earshot model file (bad header)")]
    BadHeader,
    #[error("the model file is truncated or corrupt: {0}")]
    Corrupt(&'static str),
    #[error("the model has {found} classes where {expected} are needed")]
    Classes { expected: usize, found: usize },
}

fn softmax(mut z: Vec<f32>) -> Vec<f32> {
    let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    z.iter_mut().for_each(|v| *v = (*v - m).exp());
    let s: f32 = z.iter().sum();
    z.iter_mut().for_each(|v| *v /= s);
    z
}

impl LinearModel {
    /// Trains a `classes`-way model on `examples` (class indices below `classes`); the same
    /// examples, order and config give the same model, byte for byte.
    pub fn train(examples: &[Example], classes: usize, config: &TrainConfig) -> Self {
        assert!(
            config.buckets.is_power_of_two(),
            "buckets must be a power of two"
        );
        assert!((2..=MAX_CLASSES).contains(&classes), "2 to 16 classes");
        let feats: Vec<Vec<Feature>> = examples
            .iter()
            .map(|(t, _)| extract(t, config.buckets))
            .collect();
        let mut counts = vec![0usize; classes];
        examples.iter().for_each(|(_, c)| counts[*c] += 1);
        let n = examples.len() as f32;
        // Class-balanced: every class weighs as much in total, because the measures we report
        // (macro recall, a minority class's F1) care about the small classes.
        let class_weight: Vec<f32> = counts
            .iter()
            .map(|&c| {
                if c == 0 {
                    0.0
                } else {
                    n / (classes as f32 * c as f32)
                }
            })
            .collect();
        let mut model = Self {
            classes,
            buckets: config.buckets,
            weights: vec![0.0; config.buckets as usize * classes],
            bias: vec![0.0; classes],
        };
        let mut order: Vec<usize> = (0..examples.len()).collect();
        let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
        // Averaged SGD: the returned weights are the mean of the weights after every step,
        // kept sparsely as `w - acc / steps` where `acc` sums each update times its step.
        let mut acc = vec![0.0f32; model.weights.len()];
        let mut acc_bias = vec![0.0f32; classes];
        let mut step = 1.0f32;
        // A constant rate: averaging does the annealing.
        let lr = config.learning_rate;
        for _ in 0..config.epochs {
            order.shuffle(&mut rng);
            for &i in &order {
                let (x, y) = (&feats[i], examples[i].1);
                let p = softmax(model.logits(x));
                let cw = class_weight[y];
                for c in 0..classes {
                    let g = (p[c] - if c == y { 1.0 } else { 0.0 }) * cw;
                    let db = lr * g * 0.1;
                    model.bias[c] -= db;
                    acc_bias[c] -= step * db;
                    for &(f, v) in x {
                        let k = f as usize * classes + c;
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

    pub fn classes(&self) -> usize {
        self.classes
    }

    pub fn buckets(&self) -> u32 {
        self.buckets
    }

    /// For a two-class model: the margin of class 1 over class 0 per bucket, and of the
    /// biases, so P(class 1) = sigmoid(bias + Σ margin · value) (what softmax over two
    /// classes is).
    pub fn margins(&self) -> Option<(Vec<f32>, f32)> {
        (self.classes == 2).then(|| {
            (
                self.weights.chunks_exact(2).map(|w| w[1] - w[0]).collect(),
                self.bias[1] - self.bias[0],
            )
        })
    }

    fn logits(&self, x: &[Feature]) -> Vec<f32> {
        let k = self.classes;
        let mut z = self.bias.clone();
        for &(f, v) in x {
            let w = &self.weights[f as usize * k..f as usize * k + k];
            z.iter_mut().zip(w).for_each(|(z, w)| *z += w * v);
        }
        z
    }

    /// The probability of each class.
    pub fn scores(&self, text: &str) -> Vec<f32> {
        self.scores_of(&Analysis::new(text))
    }

    /// The probability of each class, from a text already analysed.
    pub fn scores_of(&self, a: &Analysis) -> Vec<f32> {
        softmax(self.logits(&a.features(self.buckets)))
    }

    /// The most likely class.
    pub fn predict(&self, text: &str) -> usize {
        argmax(&self.scores(text))
    }

    /// The `top` named features that favour `class` most over the other classes (the feature's
    /// weight for the class minus its mean weight for the others, times its value), strongest
    /// first; only features that favour the class, or `prior` and the bias margin when none
    /// does (the label then rests on what the model expects before reading anything).
    pub fn explain(&self, text: &str, class: usize, top: usize) -> Vec<(String, f32)> {
        self.explain_of(&Analysis::new(text), class, top)
    }

    /// [`Self::explain`] for a text already analysed.
    pub fn explain_of(&self, a: &Analysis, class: usize, top: usize) -> Vec<(String, f32)> {
        let k = self.classes;
        let mut contributions: Vec<(u32, f32)> = a
            .features(self.buckets)
            .iter()
            .map(|&(b, v)| {
                let w = &self.weights[b as usize * k..b as usize * k + k];
                let others = (w.iter().sum::<f32>() - w[class]) / (k - 1) as f32;
                (b, (w[class] - others) * v)
            })
            .filter(|(_, c)| *c > 0.0)
            .collect();
        contributions.sort_by(|x, y| y.1.total_cmp(&x.1));
        contributions.truncate(top);
        let wanted: Vec<u32> = contributions.iter().map(|(b, _)| *b).collect();
        let mut names = a.names_of(self.buckets, &wanted);
        let mut out: Vec<(String, f32)> = contributions
            .into_iter()
            .filter_map(|(b, c)| {
                let k = names.iter().position(|(nb, _)| *nb == b)?;
                Some((std::mem::take(&mut names[k].1), c))
            })
            .collect();
        if out.is_empty() {
            // No feature speaks for the class: the model's prior (its bias) is why.
            let others = (self.bias.iter().sum::<f32>() - self.bias[class]) / (k - 1) as f32;
            out.push(("prior".to_string(), self.bias[class] - others));
        }
        out
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

    /// The model file: header, classes, buckets, scale, 16-bit weights, biases
    /// (little-endian).
    pub fn to_bytes(&self) -> Vec<u8> {
        let scale = self.scale();
        let mut out = Vec::with_capacity(20 + self.weights.len() * 2 + 4 * self.classes);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.classes as u32).to_le_bytes());
        out.extend_from_slice(&self.buckets.to_le_bytes());
        out.extend_from_slice(&scale.to_le_bytes());
        for w in &self.weights {
            out.extend_from_slice(&((w / scale).round() as i16).to_le_bytes());
        }
        for b in &self.bias {
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
        let classes = u32::from_le_bytes(word(0)?) as usize;
        let buckets = u32::from_le_bytes(word(4)?);
        let scale = f32::from_le_bytes(word(8)?);
        if !(2..=MAX_CLASSES).contains(&classes) {
            return Err(ModelError::Corrupt("class count"));
        }
        if !buckets.is_power_of_two() || buckets > 1 << 24 {
            return Err(ModelError::Corrupt("bucket count"));
        }
        let n = buckets as usize * classes;
        let body = rest
            .get(12..12 + n * 2)
            .ok_or(ModelError::Corrupt("weights"))?;
        let weights = body
            .chunks_exact(2)
            .map(|c| f32::from(i16::from_le_bytes([c[0], c[1]])) * scale)
            .collect();
        let tail = rest
            .get(12 + n * 2..)
            .filter(|t| t.len() == 4 * classes)
            .ok_or(ModelError::Corrupt("biases"))?;
        let bias = tail
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Ok(Self {
            classes,
            buckets,
            weights,
            bias,
        })
    }

    /// Reads a model file and checks it has `classes` classes.
    pub fn from_bytes_with(bytes: &[u8], classes: usize) -> Result<Self, ModelError> {
        let m = Self::from_bytes(bytes)?;
        if m.classes != classes {
            return Err(ModelError::Classes {
                expected: classes,
                found: m.classes,
            });
        }
        Ok(m)
    }
}

pub(crate) fn argmax(s: &[f32]) -> usize {
    (0..s.len())
        .max_by(|&a, &b| s[a].total_cmp(&s[b]))
        .unwrap_or(0)
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

    fn small() -> TrainConfig {
        TrainConfig {
            buckets: 1 << 10,
            ..TrainConfig::default()
        }
    }

    #[test]
    fn learns_a_separable_toy_set_and_explains_itself() {
        let m = LinearModel::train(&tiny(), 3, &small());
        assert_eq!(m.predict("great, love it"), 2);
        assert_eq!(m.predict("hate this, terrible"), 0);
        let because = m.explain("I hate waiting", 0, 10);
        assert!(
            because.iter().any(|(f, _)| f.contains("hate")),
            "{because:?}"
        );
        assert!((m.scores("I hate waiting").iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }

    #[test]
    fn the_file_round_trips_and_bad_files_are_refused() {
        let m = LinearModel::train(&tiny(), 3, &small());
        assert_eq!(LinearModel::from_bytes(&m.to_bytes()).unwrap(), m);
        assert!(matches!(
            LinearModel::from_bytes(b"nope"),
            Err(ModelError::BadHeader)
        ));
        let bytes = m.to_bytes();
        assert!(matches!(
            LinearModel::from_bytes(&bytes[..bytes.len() - 1]),
            Err(ModelError::Corrupt(_))
        ));
        assert!(matches!(
            LinearModel::from_bytes_with(&bytes, 2),
            Err(ModelError::Classes {
                expected: 2,
                found: 3
            })
        ));
        assert_eq!(
            LinearModel::train(&tiny(), 3, &small()),
            m,
            "same data, same seed, same model"
        );
    }

    #[test]
    fn any_text_gets_a_defined_answer() {
        let m = LinearModel::train(&tiny(), 3, &small());
        for text in [
            "",
            "😡😡😡",
            "中文 مرحبا नमस्ते",
            "\u{0}\u{7}",
            &"a".repeat(100_000),
        ] {
            assert!(m.scores(text).iter().all(|p| p.is_finite()));
            let _ = m.explain(text, 1, 5);
        }
    }
}
