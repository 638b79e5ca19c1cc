//! The inbox: conversations in priority order, and one conversation with its thread.

mod actions;

use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{DateTime, Utc};
use earshot_core::store::{AssigneeFilter, ConversationCursor, ConversationQuery, Page};
use earshot_core::{
    AgentId, ChannelKind, ContactProfile, Conversation, ConversationId, ConversationStatus,
    Message, Workspace,
};
use serde::{Deserialize, Serialize};

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(actions::router())
        .route("/conversations", get(list))
        .route("/conversations/{id}", get(show))
        .route("/conversations/{id}/assign", axum::routing::post(assign))
        .route(
            "/conversations/{id}/status",
            axum::routing::post(set_status),
        )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    /// The agent, or `null` to unassign (the conversation goes back to its team's desk).
    agent_id: Option<AgentId>,
    #[serde(default)]
    team_id: Option<earshot_core::TeamId>,
    /// Who does it (for the history); the workspace itself when absent.
    #[serde(default)]
    by_agent_id: Option<AgentId>,
}

/// Assign, transfer (assign to another) or unassign; an agent or team of another workspace
/// is refused (422). Recorded on the conversation's history; assignment rules run.
async fn assign(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    crate::extract::Json(body): crate::extract::Json<AssignBody>,
) -> Result<Json<Conversation>, ApiError> {
    let actor = actions::actor(&state, ws.id, body.by_agent_id).await?;
    let change = earshot_core::workflow::ConversationChange {
        assignee: Some(body.agent_id),
        team: Some(body.team_id),
        ..Default::default()
    };
    let changed = state
        .pipeline
        .workflow
        .change(ws.id, ConversationId(id), change, actor, &[])
        .await?;
    Ok(Json(changed.after))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
    #[serde(default)]
    agent_id: Option<AgentId>,
}

async fn set_status(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    crate::extract::Json(body): crate::extract::Json<StatusBody>,
) -> Result<Json<Conversation>, ApiError> {
    let status: ConversationStatus = body.status.parse().map_err(ApiError::Unprocessable)?;
    if status == ConversationStatus::Snoozed {
        return Err(ApiError::Unprocessable(
            "snooze with POST /conversations/{id}/snooze, which takes the time to wake it".into(),
        ));
    }
    actions::change_status(&state, ws.id, id, status, body.agent_id).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    status: Option<String>,
    channel: Option<String>,
    /// An agent id, or `none` for unassigned conversations.
    assignee: Option<String>,
    /// RFC 3339.
    updated_since: Option<String>,
    team: Option<i64>,
    /// `negative`, `neutral`, `positive` (of the newest enriched customer message).
    sentiment: Option<String>,
    /// An intent of the newest enriched customer message.
    intent: Option<String>,
    tag: Option<String>,
    topic: Option<i64>,
    contact: Option<i64>,
    cursor: Option<String>,
    limit: Option<u32>,
}

fn parse<T, E: std::fmt::Display>(
    value: Option<&str>,
    parse: impl Fn(&str) -> Result<T, E>,
) -> Result<Option<T>, ApiError> {
    value
        .map(|v| parse(v).map_err(|e| ApiError::bad_request("invalid_query", e.to_string())))
        .transpose()
}

impl ListParams {
    fn into_query(self) -> Result<ConversationQuery, ApiError> {
        Ok(ConversationQuery {
            status: parse(self.status.as_deref(), str::parse::<ConversationStatus>)?,
            channel: parse(self.channel.as_deref(), str::parse::<ChannelKind>)?,
            assignee: parse(self.assignee.as_deref(), |a| match a {
                "none" => Ok(AssigneeFilter::Unassigned),
                id => id
                    .parse()
                    .map(|id| AssigneeFilter::Agent(AgentId(id)))
                    .map_err(|_| format!("assignee `{id}` is neither an agent id nor `none`")),
            })?,
            updated_since: parse(self.updated_since.as_deref(), |s| {
                DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).map_err(|e| {
                    format!("updated_since `{s}` is not an RFC 3339 time ({e}), e.g. 2017-10-31T22:10:47Z")
                })
            })?,
            after: parse(self.cursor.as_deref(), |c| {
                ConversationCursor::decode(c)
                    .ok_or_else(|| format!("cursor `{c}` is not one this API handed out"))
            })?,
            team: self.team.map(earshot_core::TeamId),
            sentiment: self.sentiment,
            intent: self.intent,
            tag: self.tag,
            topic: self.topic.map(earshot_core::TopicId),
            contact: self.contact.map(earshot_core::ContactId),
            limit: self.limit.unwrap_or(50),
        })
    }
}

async fn list(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Conversation>>, ApiError> {
    let query = params.into_query()?;
    Ok(Json(state.store.list_conversations(ws.id, &query).await?))
}

#[derive(Debug, Serialize)]
struct ConversationDetail {
    conversation: Conversation,
    /// The priority's score, label and parts (`null` until a customer message was scored).
    priority: Option<earshot_core::priority::Priority>,
    messages: Vec<AnnotatedMessage>,
    contact: Option<ContactProfile>,
    tags: Vec<String>,
    /// The SLA policy applied by a rule (`null`: the out-of-the-box one), business time left
    /// while paused, and the end of a snooze.
    sla: earshot_core::workflow::SlaState,
}

#[derive(Debug, Serialize)]
struct AnnotatedMessage {
    #[serde(flatten)]
    message: Message,
    /// Listening topics the message matched when it arrived.
    topics: Vec<earshot_core::TopicId>,
    /// Language, sentiment, intents and urgency with their reasons (customers' messages;
    /// `null` for the brand's replies).
    enrichment: Option<earshot_core::enrichment::Enrichment>,
}

async fn show(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<Json<ConversationDetail>, ApiError> {
    let id = ConversationId(id);
    let conversation = state
        .store
        .get_conversation(ws.id, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("conversation {id} not found")))?;
    let messages = state.store.conversation_messages(ws.id, id).await?;
    let mut topics: std::collections::HashMap<_, Vec<_>> = std::collections::HashMap::new();
    for (message, topic) in state.store.conversation_topics(ws.id, id).await? {
        topics.entry(message).or_default().push(topic);
    }
    let mut enrichments: std::collections::HashMap<_, _> = state
        .store
        .conversation_enrichments(ws.id, id)
        .await?
        .into_iter()
        .collect();
    let messages = messages
        .into_iter()
        .map(|m| AnnotatedMessage {
            topics: topics.remove(&m.id).unwrap_or_default(),
            enrichment: enrichments.remove(&m.id).map(|mut e| {
                state.pipeline.explain(&m.text, &mut e);
                e
            }),
            message: m,
        })
        .collect();
    let contact = state
        .store
        .get_contact(ws.id, conversation.contact_id)
        .await?;
    let priority = state.store.conversation_priority(ws.id, id).await?;
    let tags = state.store.conversation_tags(ws.id, id).await?;
    let sla = state.store.sla_state(ws.id, id).await?;
    Ok(Json(ConversationDetail {
        conversation,
        priority,
        messages,
        contact,
        tags,
        sla,
    }))
}
