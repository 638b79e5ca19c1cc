//! Orders in: a file (`earshot import orders FILE`, CSV or JSON lines) read in one streaming
//! pass that checks every line before anything is written, then stored in batches with the
//! values derived once at the end; and the orders a message names, for the conversation page.

use earshot_core::orders::parse::{FileFormat, OrderReader};
use earshot_core::orders::{NewOrder, Order, OrderError, OrderImport, OrderSource};
use earshot_core::store::{StoreResult, ValueRecompute};
use earshot_core::{Store, StoreError, WorkspaceId};
use serde::Serialize;
use std::path::Path;
use std::time::Instant;

/// Orders stored per transaction during a file import.
pub const IMPORT_BATCH: usize = 5_000;
/// At most this many bad lines are reported (the first ones).
pub const MAX_REPORTED_ERRORS: usize = 20;

/// What an import of a file did, and how long each part took.
#[derive(Debug, Clone, Serialize)]
pub struct FileImport {
    /// Lines (records) read.
    pub read: u64,
    #[serde(flatten)]
    pub stored: OrderImport,
    /// The values derived again once every batch was stored.
    pub values: ValueRecompute,
    pub check_seconds: f64,
    pub store_seconds: f64,
    pub recompute_seconds: f64,
}

/// Why a file was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{path}: {message}")]
    File { path: String, message: String },
    /// Bad lines (the first [`MAX_REPORTED_ERRORS`]) and how many there were: nothing was
    /// written.
    #[error("{path}: {} bad line{} (nothing was imported); first: {}", .total, if *.total == 1 { "" } else { "s" }, .errors.first().map(ToString::to_string).unwrap_or_default())]
    Invalid {
        path: String,
        errors: Vec<OrderError>,
        total: usize,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn open(path: &Path) -> Result<OrderReader, ImportError> {
    let shown = path.display().to_string();
    let format = FileFormat::from_path(path).ok_or_else(|| ImportError::File {
        path: shown.clone(),
        message: "unknown file type; expected .csv, .jsonl, .ndjson or .json (JSON lines)".into(),
    })?;
    let file = std::fs::File::open(path).map_err(|e| ImportError::File {
        path: shown,
        message: e.to_string(),
    })?;
    Ok(OrderReader::new(
        Box::new(std::io::BufReader::with_capacity(1 << 20, file)),
        format,
    ))
}

/// Imports a file of orders into the workspace: every line is checked first (a bad line
/// means nothing is written, and the first bad lines are named), then the orders are stored
/// [`IMPORT_BATCH`] at a time and the contacts' values derived once at the end. Importing the
/// same file again changes nothing (`unchanged`).
pub async fn import_file(
    store: &dyn Store,
    ws: WorkspaceId,
    path: &Path,
) -> Result<FileImport, ImportError> {
    let shown = path.display().to_string();
    let started = Instant::now();
    let mut errors = Vec::new();
    let mut total_errors = 0;
    let mut read = 0u64;
    for record in open(path)? {
        read += 1;
        if let Err(e) = record {
            total_errors += 1;
            if errors.len() < MAX_REPORTED_ERRORS {
                errors.push(e);
            }
        }
    }
    if total_errors > 0 {
        return Err(ImportError::Invalid {
            path: shown,
            errors,
            total: total_errors,
        });
    }
    let check_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut stored = OrderImport::default();
    let mut batch: Vec<NewOrder> = Vec::with_capacity(IMPORT_BATCH);
    let now = earshot_core::time::now();
    let mut reader = open(path)?;
    loop {
        let next = reader.next();
        let done = next.is_none();
        if let Some(record) = next {
            // Checked above; a file changed since is refused rather than half-read.
            batch.push(record.map_err(|e| ImportError::File {
                path: shown.clone(),
                message: format!("changed while it was imported: {e}"),
            })?);
        }
        if batch.len() == IMPORT_BATCH || (done && !batch.is_empty()) {
            let r = store
                .upsert_orders(ws, &batch, OrderSource::Import, false, now)
                .await?;
            add(&mut stored, &r);
            batch.clear();
        }
        if done {
            break;
        }
    }
    let store_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let values = store
        .recompute_order_values(ws, earshot_core::time::now())
        .await?;
    stored.contacts_updated = values.contacts;
    Ok(FileImport {
        read,
        stored,
        values,
        check_seconds,
        store_seconds,
        recompute_seconds: started.elapsed().as_secs_f64(),
    })
}

fn add(total: &mut OrderImport, r: &OrderImport) {
    total.created += r.created;
    total.updated += r.updated;
    total.unchanged += r.unchanged;
    total.matched += r.matched;
    total.erased += r.erased;
}

/// Orders pushed by the API or a shop's webhook: stored with the values of their contacts
/// derived in the same transaction.
pub async fn accept(
    store: &dyn Store,
    ws: WorkspaceId,
    orders: &[NewOrder],
    source: OrderSource,
) -> StoreResult<OrderImport> {
    store
        .upsert_orders(ws, orders, source, true, earshot_core::time::now())
        .await
}

/// The orders that the texts name by number (`#1001`, `order 1001`), newest first.
pub async fn named_in<'a>(
    store: &dyn Store,
    ws: WorkspaceId,
    texts: impl IntoIterator<Item = &'a str>,
) -> StoreResult<Vec<Order>> {
    let mut keys: Vec<String> = Vec::new();
    for t in texts {
        for k in earshot_core::orders::mentions::order_numbers(t) {
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        if keys.len() >= 20 {
            break;
        }
    }
    store.orders_by_number(ws, &keys).await
}
