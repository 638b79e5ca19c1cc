//! The outbox over the API: replies, notifications and webhooks with their delivery state.

use crate::error::ApiError;
use crate::extract::Query;
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Router};
use earshot_core::workflow::OutboxItem;
use earshot_core::{ConversationId, Workspace};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/outbox", get(outbox))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutboxParams {
    conversation_id: Option<i64>,
}

async fn outbox(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(p): Query<OutboxParams>,
) -> Result<axum::Json<Vec<OutboxItem>>, ApiError> {
    Ok(axum::Json(
        state
            .store
            .list_outbox(ws.id, p.conversation_id.map(ConversationId))
            .await?,
    ))
}
