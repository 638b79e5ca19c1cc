//! An ingest run: records from a decoder, in batches, into a store.
//!
//! Decoding runs on its own thread and hands full batches over a bounded channel, so parsing
//! the next batch overlaps writing this one and a slow database pushes back on the reader
//! instead of filling memory. Bad records are counted and handed to the caller's reject sink
//! with their location; they never stop the run.

use crate::Pipeline;
use earshot_channels::Decoded;
use earshot_core::store::{Annotations, IngestOutcome, StoreError};
use earshot_core::{Inbound, WorkspaceId};
use serde::Serialize;
use std::time::{Duration, Instant};

/// Messages per store transaction. Each commit of a durable store costs a sync to disk
/// (≈ 20 ms on the benchmark machine), so larger batches amortize it; 5,000 messages keep a
/// batch's memory small (a few MB) while making that cost a small share (BENCHMARKS.md).
pub const DEFAULT_BATCH: usize = 5000;

#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Messages per store transaction.
    pub batch_size: usize,
    /// Label for reject records (the file name).
    pub source: String,
}

impl Default for IngestOptions {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH,
            source: String::new(),
        }
    }
}

/// Counts of a run. `read = stored + duplicates + counted + rejected` always holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct IngestReport {
    pub read: u64,
    pub stored: u64,
    pub duplicates: u64,
    /// Listening posts that matched no topic: counted, not stored.
    pub counted: u64,
    /// Messages of erased people: not stored (their tombstone is on file).
    pub erased: u64,
    pub rejected: u64,
    /// Stored replies whose parent has not arrived (yet); they wait in their own
    /// conversation and join the parent's when it comes.
    pub awaiting_parent: u64,
    #[serde(skip)]
    pub elapsed: Duration,
}

impl IngestReport {
    /// Records per second over the run (stored or not).
    pub fn rate(&self) -> f64 {
        self.read as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    pub fn merge(&mut self, other: &IngestReport) {
        self.read += other.read;
        self.stored += other.stored;
        self.duplicates += other.duplicates;
        self.counted += other.counted;
        self.erased += other.erased;
        self.rejected += other.rejected;
        self.awaiting_parent += other.awaiting_parent;
        self.elapsed += other.elapsed;
    }
}

/// One rejected record, as written to the rejects file (one JSON object per line).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectRecord {
    pub source: String,
    /// `line 12` or a JSON path such as `data[3]`.
    pub at: String,
    /// The line number, for line-based formats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    pub code: String,
    pub reason: String,
}

enum Chunk {
    Batch(Vec<Inbound>, u64),
    Rejects(Vec<RejectRecord>),
}

/// Ingests `records` into `workspace`. `on_reject` sees every bad record, `on_progress` the
/// running counts after each batch. Fails only when the store fails; batches committed
/// before that stay committed.
pub async fn ingest<I>(
    pipeline: &Pipeline,
    workspace: WorkspaceId,
    records: I,
    options: &IngestOptions,
    mut on_reject: impl FnMut(&RejectRecord),
    mut on_progress: impl FnMut(&IngestReport),
) -> Result<IngestReport, StoreError>
where
    I: Iterator<Item = Decoded> + Send + 'static,
{
    let started = Instant::now();
    let batch_size = options.batch_size.max(1);
    let source = options.source.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Chunk>(4);
    let reader = std::thread::spawn(move || {
        let mut batch = Vec::with_capacity(batch_size);
        let mut rejects = Vec::new();
        let mut read = 0u64;
        for decoded in records {
            read += 1;
            match decoded.result {
                Ok(message) => batch.push(message),
                Err(reject) => rejects.push(RejectRecord {
                    source: source.clone(),
                    at: decoded.location.to_string(),
                    line: match decoded.location {
                        earshot_channels::Location::Line(n) => Some(n),
                        earshot_channels::Location::Path(_) => None,
                    },
                    code: reject.code.to_string(),
                    reason: reject.reason,
                }),
            }
            if batch.len() >= batch_size {
                if !rejects.is_empty()
                    && tx
                        .blocking_send(Chunk::Rejects(std::mem::take(&mut rejects)))
                        .is_err()
                {
                    return;
                }
                let full = std::mem::replace(&mut batch, Vec::with_capacity(batch_size));
                if tx.blocking_send(Chunk::Batch(full, read)).is_err() {
                    return;
                }
                read = 0;
            }
        }
        if !rejects.is_empty() {
            let _ = tx.blocking_send(Chunk::Rejects(rejects));
        }
        let _ = tx.blocking_send(Chunk::Batch(batch, read));
    });

    let mut report = IngestReport::default();
    let mut failure = None;
    // Two batches in flight: while the store writes one, the listen and enrich stages
    // annotate the next (on other cores), so the enrich stage costs little throughput.
    let mut annotated: Option<(Vec<Inbound>, u64, Vec<Annotations>)> = None;
    loop {
        let chunk = rx.recv().await;
        let (batch, read) = match chunk {
            Some(Chunk::Rejects(rejects)) => {
                report.rejected += rejects.len() as u64;
                rejects.iter().for_each(&mut on_reject);
                continue;
            }
            Some(Chunk::Batch(batch, read)) => (batch, read),
            None => (Vec::new(), 0),
        };
        let done = batch.is_empty() && read == 0;
        let store = async {
            match annotated.take() {
                Some((b, r, a)) => Some((r, pipeline.store_annotated(workspace, &b, &a).await)),
                None => None,
            }
        };
        let annotate = async {
            if done {
                Ok(Vec::new())
            } else {
                pipeline.annotate(workspace, &batch).await
            }
        };
        let (stored, next) = tokio::join!(store, annotate);
        if let Some((r, result)) = stored {
            report.read += r;
            match result {
                Ok(outcomes) => tally(&mut report, &outcomes),
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
            report.elapsed = started.elapsed();
            on_progress(&report);
        }
        if done {
            break;
        }
        match next {
            Ok(a) => annotated = Some((batch, read, a)),
            Err(e) => {
                failure = Some(e);
                break;
            }
        }
    }
    drop(rx);
    let _ = reader.join();
    report.elapsed = started.elapsed();
    match failure {
        Some(e) => Err(e),
        None => Ok(report),
    }
}

fn tally(report: &mut IngestReport, outcomes: &[IngestOutcome]) {
    for outcome in outcomes {
        match outcome {
            IngestOutcome::Stored {
                awaiting_parent, ..
            } => {
                report.stored += 1;
                report.awaiting_parent += u64::from(*awaiting_parent);
            }
            IngestOutcome::Duplicate { .. } => report.duplicates += 1,
            IngestOutcome::Counted => report.counted += 1,
            IngestOutcome::Erased => report.erased += 1,
        }
    }
}
