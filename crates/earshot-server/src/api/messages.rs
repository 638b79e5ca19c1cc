//! `POST /api/v1/messages`: one message or a batch in Earshot's normalized format.
//!
//! A batch is all or nothing: if any item is invalid, the answer is 422 with every invalid
//! item's index and reason, and nothing is stored, so a client can fix the batch and send it
//! again. Resending is always safe: messages already stored come back as `duplicate`.

use crate::error::{ApiError, ItemError};
use crate::extract::Body;
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Extension, Json, Router};
use earshot_core::store::IngestOutcome;
use earshot_core::{Inbound, Workspace};
use serde::Serialize;
use serde_json::Value;

/// Most messages accepted in one request.
pub const MAX_BATCH: usize = 1000;

pub fn router() -> Router<AppState> {
    Router::new().route("/messages", post(create))
}

#[derive(Debug, Serialize)]
struct Accepted {
    stored: usize,
    duplicates: usize,
    /// Listening posts that matched no topic: counted for share of voice, not stored.
    counted: usize,
    /// Messages of erased people, not stored (shown only when there were some).
    #[serde(skip_serializing_if = "is_zero")]
    erased: usize,
    /// One entry per message, in the order sent.
    results: Vec<IngestOutcome>,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

async fn create(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Body(body): Body,
) -> Result<(StatusCode, Json<Accepted>), ApiError> {
    let value: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::bad_request("invalid_json", format!("the body is not valid JSON: {e}"))
    })?;
    let items = match value {
        Value::Array(items) => items,
        item @ Value::Object(_) => vec![item],
        _ => {
            return Err(ApiError::bad_request(
                "invalid_json",
                "the body must be a message object or an array of them",
            ))
        }
    };
    if items.is_empty() {
        return Err(ApiError::bad_request(
            "empty_batch",
            "the batch has no messages",
        ));
    }
    if items.len() > MAX_BATCH {
        return Err(ApiError::PayloadTooLarge(format!(
            "{} messages in one request; the limit is {MAX_BATCH}",
            items.len()
        )));
    }
    let total = items.len();
    let mut messages: Vec<Inbound> = Vec::with_capacity(total);
    let mut errors = Vec::new();
    for (index, item) in items.into_iter().enumerate() {
        match Inbound::from_json(item) {
            Ok(m) => messages.push(m),
            Err(e) => errors.push(ItemError {
                index,
                code: e.code(),
                message: e.to_string(),
            }),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::InvalidMessages {
            message: format!(
                "{} of {total} messages are invalid; nothing was stored",
                errors.len()
            ),
            errors,
        });
    }
    let results = state.pipeline.ingest(ws.id, &messages).await?;
    let count = |f: fn(&IngestOutcome) -> bool| results.iter().filter(|r| f(r)).count();
    let stored = count(|r| matches!(r, IngestOutcome::Stored { .. }));
    let duplicates = count(|r| matches!(r, IngestOutcome::Duplicate { .. }));
    let counted = count(|r| matches!(r, IngestOutcome::Counted));
    let erased = count(|r| matches!(r, IngestOutcome::Erased));
    Ok((
        StatusCode::ACCEPTED,
        Json(Accepted {
            stored,
            duplicates,
            counted,
            erased,
            results,
        }),
    ))
}
