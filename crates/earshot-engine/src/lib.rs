//! Earshot's engine: the pipeline that takes decoded messages to stored conversations.
//!
//! Today the pipeline is `decode → dedupe → resolve → thread → store` (dedupe, identity
//! resolution and threading run inside the store's transaction, see `earshot-store`); the
//! listen, enrich, score, rules and assign stages of ARCHITECTURE.md slot in between decode
//! and store as their crates land.

pub mod ingest;
pub mod synth;

pub use ingest::{ingest, IngestOptions, IngestReport, RejectRecord};
