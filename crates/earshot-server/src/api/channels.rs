//! Connected channels: `POST /channels` joins a channel to its platform (settings checked,
//! every problem reported with its path; secrets sealed and never returned), `GET` lists or
//! shows them with secrets masked, `PATCH` changes settings (a secret left out keeps its
//! value), `DELETE` disconnects, and `POST /channels/{id}/test` makes one harmless call to
//! the platform; `GET /channels/{id}/calls` lists its newest webhook calls with what came of
//! each (what was stored, rejected or ignored, and why).

use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Router};
use earshot_core::{ChannelId, Workspace};
use earshot_engine::channels::{ChannelDraft, ChannelPatch, ChannelView};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/channels", get(list).post(create))
        .route("/channels/{id}", get(show).patch(update).delete(remove))
        .route("/channels/{id}/test", post(test))
        .route("/channels/{id}/calls", get(calls))
}

async fn list(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<axum::Json<Vec<ChannelView>>, ApiError> {
    Ok(axum::Json(state.channels.list(ws.id).await?))
}

async fn create(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(draft): Json<ChannelDraft>,
) -> Result<(StatusCode, axum::Json<ChannelView>), ApiError> {
    let view = state.channels.connect(ws.id, &draft).await?;
    Ok((StatusCode::CREATED, axum::Json(view)))
}

async fn show(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<axum::Json<ChannelView>, ApiError> {
    Ok(axum::Json(state.channels.get(ws.id, ChannelId(id)).await?))
}

async fn update(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Json(patch): Json<ChannelPatch>,
) -> Result<axum::Json<ChannelView>, ApiError> {
    Ok(axum::Json(
        state.channels.update(ws.id, ChannelId(id), &patch).await?,
    ))
}

async fn remove(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.channels.disconnect(ws.id, ChannelId(id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(
        match state.channels.test(ws.id, ChannelId(id)).await? {
            Ok(who) => json!({"ok": true, "message": format!("connected: {who}")}),
            Err(why) => json!({"ok": false, "message": why}),
        },
    ))
}

async fn calls(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<earshot_core::connector::WebhookCallRecord>>, ApiError> {
    let channel = ChannelId(id);
    state.store.connected_channel(ws.id, channel).await?;
    Ok(axum::Json(
        state.store.webhook_calls(ws.id, channel, 100).await?,
    ))
}
