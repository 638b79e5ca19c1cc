//! Understanding messages. So far: sentiment (negative / neutral / positive) from a linear
//! model over tweet-aware hashed features, trained by `earshot train sentiment` on
//! `../shared/data/sentiment`, with per-class metrics and feature-level explanations.

pub mod data;
pub mod features;
pub mod metrics;
pub mod sentiment;

pub use sentiment::{Sentiment, SentimentModel, TrainConfig};
