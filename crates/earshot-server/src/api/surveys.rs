//! Satisfaction surveys over the API (see `earshot_core::survey`).
//!
//! - `GET /surveys/settings`: the workspace's survey (`{"enabled": false}` when off).
//! - `PUT /surveys/settings` `{"scale": "csat", "delay_minutes": 60, "channels": ["whatsapp"],
//!   "question": "…"}`: turns surveys on or changes them (only `scale` is required; the
//!   question defaults to the scale's own).
//! - `DELETE /surveys/settings`: turns them off (scheduled ones end `not_sent`).
//! - `GET /surveys?state=answered&conversation=&before=&limit=`: surveys, newest first, each
//!   with its state, why it was not sent, its question's delivery, the score and comment.

use crate::error::ApiError;
use crate::extract::{Json, Query};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Extension, Router};
use earshot_core::survey::{Scale, Settings, Survey};
use earshot_core::{ChannelKind, ConversationId, Workspace};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/surveys/settings",
            get(get_settings).put(put_settings).delete(delete_settings),
        )
        .route("/surveys", get(list))
}

fn settings_json(s: Option<Settings>) -> Value {
    match s {
        Some(s) => json!({"enabled": true, "scale": s.scale, "delay_minutes": s.delay_minutes,
                          "channels": s.channels, "question": s.question}),
        None => json!({"enabled": false}),
    }
}

async fn get_settings(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<axum::Json<Value>, ApiError> {
    Ok(axum::Json(settings_json(
        state.store.survey_settings(ws.id).await?,
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    /// Read as text, so that a wrong one is named with its field.
    scale: String,
    #[serde(default = "default_delay")]
    delay_minutes: u32,
    #[serde(default)]
    channels: Vec<ChannelKind>,
    question: Option<String>,
}

/// An hour: long enough for a customer who writes again at once not to be asked about a
/// conversation that is not over.
fn default_delay() -> u32 {
    60
}

async fn put_settings(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(body): Json<SettingsBody>,
) -> Result<axum::Json<Value>, ApiError> {
    let scale: Scale = body
        .scale
        .trim()
        .parse()
        .map_err(|m| ApiError::Unprocessable(format!("`scale`: {m}")))?;
    let settings = Settings {
        scale,
        delay_minutes: body.delay_minutes,
        channels: body.channels,
        question: body
            .question
            .unwrap_or_else(|| scale.default_question().to_string()),
    };
    settings.check().map_err(ApiError::Unprocessable)?;
    state
        .store
        .set_survey_settings(ws.id, Some(&settings))
        .await?;
    Ok(axum::Json(settings_json(
        state.store.survey_settings(ws.id).await?,
    )))
}

async fn delete_settings(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<StatusCode, ApiError> {
    state.store.set_survey_settings(ws.id, None).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    state: Option<String>,
    conversation: Option<i64>,
    before: Option<i64>,
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(p): Query<ListParams>,
) -> Result<axum::Json<Vec<Survey>>, ApiError> {
    if let Some(c) = p.conversation {
        let one = state
            .store
            .conversation_survey(ws.id, ConversationId(c))
            .await?;
        return Ok(axum::Json(one.into_iter().collect()));
    }
    let wanted = p
        .state
        .as_deref()
        .map(str::parse)
        .transpose()
        .map_err(|m: String| ApiError::BadRequest {
            code: "invalid_query",
            message: format!("`state`: {m} (scheduled, sent, not_sent or answered)"),
        })?;
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::BadRequest {
            code: "invalid_query",
            message: format!("`limit`: {limit} is not between 1 and 500"),
        });
    }
    Ok(axum::Json(
        state
            .store
            .list_surveys(ws.id, wanted, p.before, limit)
            .await?,
    ))
}
