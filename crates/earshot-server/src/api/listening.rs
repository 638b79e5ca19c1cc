//! What listening heard over the API. `GET /listening/heard?channel_id=&q=&limit=`: the
//! posts heard in the last week that matched no topic, the last heard first (`q`: words their
//! text contains; `limit` 1–500, default 50). `POST
//! /listening/conversations {"channel_id", "external_id"}` opens a conversation from one of
//! them (an agent's click): `201` with the conversation, or `200` with the one it is in
//! already; `404` once it is older than a week or was never heard.

use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Router};
use earshot_core::store::{HeardFilter, HeardPost, HEARD_FOR_DAYS};
use earshot_core::{ChannelId, Workspace};
use earshot_engine::heard::{OpenError, Opened};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/listening/heard", get(heard))
        .route("/listening/conversations", post(open))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HeardParams {
    channel_id: Option<i64>,
    q: Option<String>,
    limit: Option<u32>,
}

/// A heard post as the API shows it (its platform payload stays out: export has it).
pub(crate) fn post_view(h: &HeardPost) -> Value {
    let p = &h.post;
    json!({
        "channel_id": h.channel_id.0,
        "external_id": h.external_id,
        "sent_at": h.sent_at,
        "heard_at": h.heard_at,
        "kind": p.channel,
        "text": p.text,
        "url": p.url,
        "in_reply_to": p.in_reply_to,
        "author": {
            "external_id": p.author.external_id,
            "handle": p.author.handle,
            "display_name": p.author.display_name,
            "followers": p.author.followers,
            "verified": p.author.verified,
        },
    })
}

async fn heard(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(p): Query<HeardParams>,
) -> Result<axum::Json<Value>, ApiError> {
    let limit = p.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: format!("`limit`: {limit} is not between 1 and 500"),
        });
    }
    let filter = HeardFilter {
        channel: p.channel_id.map(ChannelId),
        text: p.q,
        limit,
        ..Default::default()
    };
    let posts = state.store.heard_posts(ws.id, &filter).await?;
    Ok(axum::Json(json!({
        "kept_days": HEARD_FOR_DAYS,
        "posts": posts.iter().map(post_view).collect::<Vec<_>>(),
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OpenBody {
    channel_id: i64,
    external_id: String,
}

async fn open(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(body): Json<OpenBody>,
) -> Result<(StatusCode, axum::Json<Opened>), ApiError> {
    let opened = earshot_engine::heard::open(
        &state.pipeline,
        ws.id,
        ChannelId(body.channel_id),
        &body.external_id,
    )
    .await
    .map_err(|e| match e {
        OpenError::NotHeard { .. } => ApiError::NotFound(e.to_string()),
        OpenError::Store(s) => s.into(),
    })?;
    let status = if opened.new {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(opened)))
}
