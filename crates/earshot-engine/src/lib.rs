//! Earshot's engine: the pipeline that takes decoded messages to stored conversations.
//!
//! Today the pipeline is `decode → listen → dedupe → resolve → thread → store` (dedupe,
//! identity resolution and threading run inside the store's transaction, see
//! `earshot-store`); the enrich, score, rules and assign stages of ARCHITECTURE.md slot in
//! between listen and store as their crates land.

pub mod admin;
pub mod ingest;
pub mod live;
pub mod pipeline;
pub mod synth;
pub mod timers;
pub mod workflow;

pub use ingest::{ingest, IngestOptions, IngestReport, RejectRecord};
pub use pipeline::Pipeline;

/// The listening query language, for callers that validate or preview queries (the server).
pub use earshot_listen as listen;
