//! Listening topics: named boolean queries, validated on save (422 `invalid_topic_query` with
//! the column), and a preview of what a query would match among recent messages.

use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Router};
use earshot_core::{MessageSample, Topic, TopicDraft, TopicId, Workspace};
use earshot_engine::listen::{parse, Post, Query};
use serde::{Deserialize, Serialize};

/// Messages a preview scans by default, and at most.
const PREVIEW_DEFAULT: u32 = 1_000;
const PREVIEW_MAX: u32 = 10_000;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/topics", get(list).post(create))
        .route("/topics/preview", post(preview))
        .route("/topics/{id}", get(show).put(update).delete(remove))
}

fn validate(query: &str) -> Result<Query, ApiError> {
    parse(query).map_err(|e| ApiError::InvalidTopicQuery {
        column: e.column,
        message: e.message,
    })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TopicBody {
    name: String,
    query: String,
    #[serde(default)]
    active: Option<bool>,
}

impl TopicBody {
    fn draft(self) -> Result<TopicDraft, ApiError> {
        validate(&self.query)?;
        if self.name.trim().is_empty() {
            return Err(ApiError::Unprocessable("a topic needs a name".into()));
        }
        Ok(TopicDraft {
            name: self.name,
            query: self.query,
            active: self.active.unwrap_or(true),
        })
    }
}

async fn list(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<axum::Json<Vec<Topic>>, ApiError> {
    Ok(axum::Json(state.store.list_topics(ws.id).await?))
}

async fn create(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(body): Json<TopicBody>,
) -> Result<(StatusCode, axum::Json<Topic>), ApiError> {
    let topic = state
        .pipeline
        .admin()
        .create_topic(ws.id, &body.draft()?)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(topic)))
}

async fn show(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Topic>, ApiError> {
    state
        .store
        .get_topic(ws.id, TopicId(id))
        .await?
        .map(axum::Json)
        .ok_or_else(|| ApiError::NotFound(format!("topic {id} not found")))
}

async fn update(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Json(body): Json<TopicBody>,
) -> Result<axum::Json<Topic>, ApiError> {
    let topic = state
        .pipeline
        .admin()
        .update_topic(ws.id, TopicId(id), &body.draft()?)
        .await?;
    Ok(axum::Json(topic))
}

async fn remove(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state
        .pipeline
        .admin()
        .delete_topic(ws.id, TopicId(id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    query: String,
    /// How many of the most recent inbound messages to scan (default 1,000, at most 10,000).
    last: Option<u32>,
    /// How many matching messages to return (default 10, at most 50).
    samples: Option<usize>,
}

#[derive(Debug, Serialize)]
pub(crate) struct PreviewResult {
    pub scanned: usize,
    pub matched: usize,
    pub samples: Vec<MessageSample>,
    /// Every one of the `last` messages was scanned (`false`: the time budget ran out first,
    /// and the counts are of the `scanned` newest).
    pub complete: bool,
}

/// How long one preview may match: the rest of the messages are left unscanned, and said so.
const PREVIEW_BUDGET: std::time::Duration = std::time::Duration::from_secs(2);

async fn preview(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(body): Json<PreviewBody>,
) -> Result<axum::Json<PreviewResult>, ApiError> {
    let query = validate(&body.query)?;
    let last = body.last.unwrap_or(PREVIEW_DEFAULT).clamp(1, PREVIEW_MAX);
    let wanted = body.samples.unwrap_or(10).min(50);
    Ok(axum::Json(
        preview_matches(&state, ws.id, &query, last, wanted).await?,
    ))
}

/// What `query` matches among the workspace's `last` most recent inbound messages: how many
/// were scanned and matched, and the first `wanted` matches (the API's and the topic
/// editor's preview).
pub(crate) async fn preview_matches(
    state: &AppState,
    ws: earshot_core::WorkspaceId,
    query: &Query,
    last: u32,
    wanted: usize,
) -> Result<PreviewResult, earshot_core::StoreError> {
    let recent = state.store.recent_messages(ws, last).await?;
    let query = query.clone();
    // Matching is CPU work: on the blocking pool, within a time budget, so a heavy query
    // never holds the threads that answer other requests.
    let work = move || {
        let started = std::time::Instant::now();
        let (mut scanned, mut matched, mut samples) = (0, 0, Vec::new());
        let mut complete = true;
        for m in recent {
            if scanned % 64 == 0 && started.elapsed() > PREVIEW_BUDGET {
                complete = false;
                break;
            }
            scanned += 1;
            let mut post = Post::new(&m.text).with_author(&m.author_external_id);
            if let Some(h) = &m.author_handle {
                post = post.with_author(h);
            }
            post.channel = Some(m.channel_kind);
            post.followers = m.author_followers.and_then(|f| u64::try_from(f).ok());
            post.verified = m.author_verified;
            if query.matches(&post) {
                matched += 1;
                if samples.len() < wanted {
                    samples.push(m);
                }
            }
        }
        PreviewResult {
            scanned,
            matched,
            samples,
            complete,
        }
    };
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| earshot_core::StoreError::Database(format!("the preview failed: {e}").into()))
}
