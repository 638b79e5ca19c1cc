//! Agents' actions on a conversation over the API (reply, note, snooze, resolve, reopen,
//! tags) and its history of events; each goes through the workflow as one unit of work.

use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::{DateTime, Utc};
use earshot_core::rules::Actor;
use earshot_core::workflow::{ConversationChange, ConversationEvent, NewEvent};
use earshot_core::{
    AgentId, Conversation, ConversationId, ConversationStatus, MessageId, Workspace, WorkspaceId,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/conversations/{id}/events", get(events))
        .route("/conversations/{id}/reply", post(reply))
        .route("/conversations/{id}/notes", post(note))
        .route("/conversations/{id}/snooze", post(snooze))
        .route("/conversations/{id}/resolve", post(resolve))
        .route("/conversations/{id}/reopen", post(reopen))
        .route("/conversations/{id}/tags", post(tags))
}

/// The acting agent, checked to belong to the workspace; the workspace itself without one.
pub(crate) async fn actor(
    state: &AppState,
    ws: WorkspaceId,
    agent: Option<AgentId>,
) -> Result<Actor, ApiError> {
    match agent {
        None => Ok(Actor::System),
        Some(a) => {
            if state.store.list_agents(ws).await?.iter().any(|x| x.id == a) {
                Ok(Actor::Agent(a))
            } else {
                Err(ApiError::Unprocessable(format!(
                    "agent {a} does not exist in this workspace"
                )))
            }
        }
    }
}

async fn events(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<axum::Json<Vec<ConversationEvent>>, ApiError> {
    let id = ConversationId(id);
    if state.store.get_conversation(ws.id, id).await?.is_none() {
        return Err(ApiError::NotFound(format!("conversation {id} not found")));
    }
    Ok(axum::Json(
        state.store.conversation_events(ws.id, id).await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    #[serde(default)]
    text: String,
    /// An approved WhatsApp template, for outside the customer-service window.
    #[serde(default)]
    template: Option<earshot_core::connector::Template>,
    #[serde(default)]
    agent_id: Option<AgentId>,
    /// The newest message the agent saw; a reply sent after it by someone else refuses this
    /// one (409 `reply_collision`) unless `force`.
    #[serde(default)]
    last_seen_message_id: Option<MessageId>,
    #[serde(default)]
    force: bool,
}

async fn reply(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Json(body): Json<ReplyBody>,
) -> Result<(StatusCode, axum::Json<earshot_engine::workflow::Replied>), ApiError> {
    let actor = actor(&state, ws.id, body.agent_id).await?;
    let agent = match actor {
        Actor::Agent(a) => Some(a),
        _ => None,
    };
    if let Some(why) = state
        .channels
        .reply_refusal(ws.id, ConversationId(id), body.template.is_some())
        .await?
    {
        return Err(ApiError::OutsideWindow(why));
    }
    let replied = match agent {
        Some(a) => {
            state
                .pipeline
                .workflow
                .reply(
                    ws.id,
                    ConversationId(id),
                    a,
                    earshot_engine::workflow::ReplyDraft {
                        text: &body.text,
                        template: body.template.as_ref(),
                        last_seen: body.last_seen_message_id,
                        force: body.force,
                    },
                )
                .await?
        }
        None => {
            return Err(ApiError::Unprocessable(
                "`agent_id`: a reply is sent by an agent of the workspace".into(),
            ));
        }
    };
    Ok((StatusCode::CREATED, axum::Json(replied)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NoteBody {
    text: String,
    #[serde(default)]
    agent_id: Option<AgentId>,
}

async fn note(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Json(body): Json<NoteBody>,
) -> Result<(StatusCode, axum::Json<Vec<ConversationEvent>>), ApiError> {
    let text = body.text.trim();
    if text.is_empty() || text.len() > 10_000 {
        return Err(ApiError::Unprocessable(
            "`text`: 1 to 10000 characters".into(),
        ));
    }
    let actor = actor(&state, ws.id, body.agent_id).await?;
    let changed = state
        .pipeline
        .workflow
        .change(
            ws.id,
            ConversationId(id),
            ConversationChange::default(),
            actor,
            &[NewEvent::new("note", json!({"text": text}))],
        )
        .await?;
    Ok((StatusCode::CREATED, axum::Json(changed.events)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SnoozeBody {
    /// RFC 3339.
    until: DateTime<Utc>,
    #[serde(default)]
    agent_id: Option<AgentId>,
}

async fn snooze(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Json(body): Json<SnoozeBody>,
) -> Result<axum::Json<Conversation>, ApiError> {
    if body.until <= Utc::now() {
        return Err(ApiError::Unprocessable("`until` is in the past".into()));
    }
    let actor = actor(&state, ws.id, body.agent_id).await?;
    let change = ConversationChange {
        status: Some(ConversationStatus::Snoozed),
        snoozed_until: Some(Some(body.until)),
        ..Default::default()
    };
    let changed = state
        .pipeline
        .workflow
        .change(ws.id, ConversationId(id), change, actor, &[])
        .await?;
    Ok(axum::Json(changed.after))
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct ActorBody {
    #[serde(default)]
    agent_id: Option<AgentId>,
}

async fn set_status(
    state: &AppState,
    ws: WorkspaceId,
    id: i64,
    status: ConversationStatus,
    agent: Option<AgentId>,
) -> Result<axum::Json<Conversation>, ApiError> {
    let actor = actor(state, ws, agent).await?;
    let change = ConversationChange {
        status: Some(status),
        ..Default::default()
    };
    let changed = state
        .pipeline
        .workflow
        .change(ws, ConversationId(id), change, actor, &[])
        .await?;
    Ok(axum::Json(changed.after))
}

/// An optional `{"agent_id": …}` body.
fn optional_actor(body: &[u8]) -> Result<Option<AgentId>, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice::<ActorBody>(body)
        .map(|b| b.agent_id)
        .map_err(|e| ApiError::bad_request("invalid_json", e.to_string()))
}

async fn resolve(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    crate::extract::Body(body): crate::extract::Body,
) -> Result<axum::Json<Conversation>, ApiError> {
    let agent = optional_actor(&body)?;
    set_status(&state, ws.id, id, ConversationStatus::Resolved, agent).await
}

async fn reopen(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    crate::extract::Body(body): crate::extract::Body,
) -> Result<axum::Json<Conversation>, ApiError> {
    let agent = optional_actor(&body)?;
    set_status(&state, ws.id, id, ConversationStatus::Open, agent).await
}

/// Status changes through the workflow (for `/conversations/{id}/status`).
pub(crate) async fn change_status(
    state: &AppState,
    ws: WorkspaceId,
    id: i64,
    status: ConversationStatus,
    agent: Option<AgentId>,
) -> Result<axum::Json<Conversation>, ApiError> {
    set_status(state, ws, id, status, agent).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TagsBody {
    #[serde(default)]
    add: Vec<String>,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    agent_id: Option<AgentId>,
}

#[derive(Debug, Serialize)]
struct Tagged {
    tags: Vec<String>,
}

async fn tags(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Json(body): Json<TagsBody>,
) -> Result<axum::Json<Tagged>, ApiError> {
    if body.add.is_empty() && body.remove.is_empty() {
        return Err(ApiError::Unprocessable(
            "give tags to `add` or `remove`".into(),
        ));
    }
    let actor = actor(&state, ws.id, body.agent_id).await?;
    let change = ConversationChange {
        add_tags: body.add,
        remove_tags: body.remove,
        ..Default::default()
    };
    let changed = state
        .pipeline
        .workflow
        .change(ws.id, ConversationId(id), change, actor, &[])
        .await?;
    Ok(axum::Json(Tagged { tags: changed.tags }))
}
