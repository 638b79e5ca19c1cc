//! Understanding messages: language, sentiment, intents and urgency, each explained.
//!
//! - [`enrich::Understanding`] runs the enrichers in order on one message and returns its
//!   [`earshot_core::enrichment::Enrichment`]; the engine runs it as the enrich stage.
//! - The learned models are [`LinearModel`]s over tweet-aware hashed features
//!   ([`features`], with the VADER [`lexicon`] as features), trained by `earshot train` from
//!   `../shared/data` following [`recipes`]; [`rules`] holds the documented cue phrases that
//!   complete the thin-data intents and urgency.
//! - [`metrics`] gives the per-class figures `earshot eval` prints.

pub mod data;
pub mod enrich;
pub mod eval;
pub mod features;
pub mod intents;
pub mod language;
pub mod lexicon;
pub mod linear;
pub mod metrics;
pub mod recipes;
pub mod rules;
pub mod sentiment;
pub mod urgency;

pub use enrich::{detect_language, Enricher, Understanding};
pub use linear::{LinearModel, ModelError, TrainConfig};
pub use sentiment::{Sentiment, SentimentModel};
