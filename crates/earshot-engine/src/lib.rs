//! Earshot's engine: the pipeline that takes decoded messages to stored, decided
//! conversations (`pipeline`, `workflow`), the file ingest run (`ingest`), connected channels
//! and their webhook worker (`channels`), settings that invalidate what depends on them
//! (`admin`), the timer worker (`timers`), live-update notices (`live`), the week's staffing
//! plan per channel (`staffing`) and the synthetic conversation generator (`synth`).

pub mod admin;
pub mod channels;
pub mod emerging;
pub mod heard;
pub mod ingest;
pub mod live;
pub mod orders;
pub mod pipeline;
pub mod privacy;
pub mod staffing;
pub mod suggestions;
pub mod synth;
pub mod timers;
pub mod workflow;

pub use ingest::{ingest, IngestOptions, IngestReport, RejectRecord};
pub use pipeline::Pipeline;

/// The listening query language, for callers that validate or preview queries (the server).
pub use earshot_listen as listen;
