//! Automation rules over the API: list, show, create, update, delete (validated, every
//! problem with its path) and dry runs.

use crate::error::ApiError;
use crate::extract::{Json, Path};
use crate::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Router};
use chrono::Utc;
use earshot_core::rules::{Rule, RuleSet, Trigger};
use earshot_core::workflow::RuleRecord;
use earshot_core::{ChannelKind, ConversationId, Workspace, WorkspaceId};
use serde::{Deserialize, Serialize};
use serde_json::Value as JsonValue;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/rules", get(list_rules).post(create_rule))
        .route("/rules/dry-run", post(dry_run))
        .route(
            "/rules/{id}",
            get(show_rule).put(update_rule).delete(delete_rule),
        )
}

/// A rule body checked in full: the rule, and optionally where it goes in the order. Every
/// problem is reported at once, each with its path: the rule's shape and values, the
/// position, and the teams, agents and SLA policies its actions name that do not exist in
/// the workspace.
pub(crate) async fn validated_rule(
    state: &AppState,
    ws: WorkspaceId,
    body: &JsonValue,
) -> Result<(Option<i64>, earshot_core::rules::RuleDraft), ApiError> {
    use earshot_core::rules::{Action, RuleError};
    let mut errors = Vec::new();
    let position = match body.get("position") {
        None | Some(JsonValue::Null) => None,
        Some(p) => {
            if p.as_i64().is_none() {
                errors.push(RuleError {
                    path: "position".into(),
                    message: "expected an integer".into(),
                });
            }
            p.as_i64()
        }
    };
    let parsed = Rule::from_json(0, body);
    if let Err(es) = &parsed {
        errors.extend(es.iter().cloned());
    }
    // The actions that parse on their own, so their references are checked even when
    // something else in the rule is wrong.
    let actions: Vec<(usize, Action)> = body
        .get("actions")
        .and_then(JsonValue::as_array)
        .map(|list| {
            list.iter()
                .enumerate()
                .filter_map(|(i, a)| serde_json::from_value(a.clone()).ok().map(|a| (i, a)))
                .collect()
        })
        .unwrap_or_default();
    errors.extend(missing_refs(state, ws, &actions).await?);
    match parsed {
        Ok((draft, _)) if errors.is_empty() => Ok((position, draft)),
        _ => Err(ApiError::InvalidRule(errors)),
    }
}

/// Team, agent and SLA policy ids that actions name but the workspace does not have.
async fn missing_refs(
    state: &AppState,
    ws: WorkspaceId,
    actions: &[(usize, earshot_core::rules::Action)],
) -> Result<Vec<earshot_core::rules::RuleError>, ApiError> {
    use earshot_core::rules::{Action, RuleError};
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    let teams = state.store.list_teams(ws).await?;
    let agents = state.store.list_agents(ws).await?;
    let policies = state.store.list_sla_policies(ws).await?;
    let mut errors = Vec::new();
    for (i, a) in actions {
        let missing = match a {
            Action::AssignTeam { team_id } if !teams.iter().any(|t| t.id == *team_id) => {
                Some(("team_id", format!("team {team_id} does not exist")))
            }
            Action::AssignAgent { agent_id } if !agents.iter().any(|t| t.id == *agent_id) => {
                Some(("agent_id", format!("agent {agent_id} does not exist")))
            }
            Action::Notify {
                agent_id: Some(agent_id),
                ..
            } if !agents.iter().any(|t| t.id == *agent_id) => {
                Some(("agent_id", format!("agent {agent_id} does not exist")))
            }
            Action::ApplySla { policy_id } if !policies.iter().any(|p| p.id == *policy_id) => {
                Some((
                    "policy_id",
                    format!("SLA policy {policy_id} does not exist"),
                ))
            }
            _ => None,
        };
        if let Some((field, message)) = missing {
            errors.push(RuleError {
                path: format!("actions[{i}].{field}"),
                message,
            });
        }
    }
    Ok(errors)
}

async fn list_rules(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<axum::Json<Vec<RuleRecord>>, ApiError> {
    Ok(axum::Json(state.store.list_rules(ws.id).await?))
}

async fn show_rule(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<axum::Json<RuleRecord>, ApiError> {
    state
        .store
        .list_rules(ws.id)
        .await?
        .into_iter()
        .find(|r| r.id == id)
        .map(axum::Json)
        .ok_or_else(|| ApiError::NotFound(format!("rule {id} not found")))
}

async fn create_rule(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(body): Json<JsonValue>,
) -> Result<(StatusCode, axum::Json<RuleRecord>), ApiError> {
    let (position, draft) = validated_rule(&state, ws.id, &body).await?;
    let rule = state
        .pipeline
        .admin()
        .create_rule(ws.id, position, &draft)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(rule)))
}

async fn update_rule(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Json(body): Json<JsonValue>,
) -> Result<axum::Json<RuleRecord>, ApiError> {
    let (position, draft) = validated_rule(&state, ws.id, &body).await?;
    let rule = state
        .pipeline
        .admin()
        .update_rule(ws.id, id, position, &draft)
        .await?;
    Ok(axum::Json(rule))
}

async fn delete_rule(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<StatusCode, ApiError> {
    state.pipeline.admin().delete_rule(ws.id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DryRunMessage {
    text: String,
    #[serde(default)]
    channel: Option<ChannelKind>,
    #[serde(default)]
    followers: Option<u32>,
    #[serde(default)]
    verified: bool,
    #[serde(default)]
    handle: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DryRunContact {
    #[serde(default)]
    tier: Option<String>,
    #[serde(default)]
    value: Option<f64>,
    #[serde(default)]
    opted_out: bool,
    /// The level of engagement the customer chose (`service_only` … `advocate`).
    #[serde(default)]
    engagement: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DryRunBody {
    /// Defaults to `message_received`.
    #[serde(default)]
    trigger: Option<Trigger>,
    message: Option<DryRunMessage>,
    /// Take the conversation, contact and tags from a stored conversation.
    #[serde(default)]
    conversation_id: Option<ConversationId>,
    #[serde(default)]
    contact: Option<DryRunContact>,
    /// Test these rules instead of the workspace's (not saved).
    #[serde(default)]
    rules: Option<Vec<JsonValue>>,
}

#[derive(Debug, Serialize)]
struct DryRunResult {
    trigger: Trigger,
    enrichment: Option<earshot_core::enrichment::Enrichment>,
    #[serde(flatten)]
    decided: earshot_engine::workflow::DryRun,
}

/// Which rules would fire for a message (and a stored conversation or a described contact),
/// in order, each with the tests that decided it, and what the decide stage would write and
/// send: the pipeline's own decide stage runs, on a copy of the desk. Nothing is stored or
/// changed.
async fn dry_run(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Json(body): Json<DryRunBody>,
) -> Result<axum::Json<DryRunResult>, ApiError> {
    let trigger = body.trigger.unwrap_or(Trigger::MessageReceived);
    let set = match &body.rules {
        Some(rules) => {
            let mut compiled = Vec::new();
            let mut errors = Vec::new();
            for (i, r) in rules.iter().enumerate() {
                match Rule::from_json(i as i64 + 1, r) {
                    Ok((_, rule)) => compiled.push(rule),
                    Err(es) => errors.extend(es.into_iter().map(|mut e| {
                        e.path = format!("rules[{i}].{}", e.path);
                        e
                    })),
                }
            }
            if !errors.is_empty() {
                return Err(ApiError::InvalidRule(errors));
            }
            Some(RuleSet::new(compiled))
        }
        None => None,
    };
    let now = Utc::now();
    let mut context = match body.conversation_id {
        Some(id) => state
            .store
            .workflow_context(ws.id, &[id])
            .await?
            .pop()
            .ok_or_else(|| ApiError::NotFound(format!("conversation {id} not found")))?,
        None => described_conversation(ws.id, body.message.as_ref(), now),
    };
    if let Some(c) = &body.contact {
        context.contact_tier = c.tier.clone();
        context.contact_value = c.value;
        context.opted_out = c.opted_out;
        context.contact_engagement = c.engagement.clone();
    }
    let mut enrichment = None;
    let mut base = None;
    let mut message = None;
    if let Some(m) = &body.message {
        if m.text.trim().is_empty() {
            return Err(ApiError::Unprocessable(
                "`message.text` must not be empty".into(),
            ));
        }
        enrichment = state.pipeline.understand(&m.text);
        base = enrichment.as_ref().map(|e| {
            earshot_core::priority::score(
                e,
                earshot_core::priority::Author {
                    followers: m.followers,
                    verified: m.verified,
                },
            )
        });
        message = Some(earshot_core::Inbound {
            channel: m.channel.unwrap_or(context.conversation.channel_kind),
            account: None,
            source: earshot_core::ChannelRole::Owned,
            external_id: "dry-run".into(),
            direction: earshot_core::Direction::In,
            visibility: Default::default(),
            author: earshot_core::InboundAuthor {
                external_id: m.handle.clone().unwrap_or_else(|| "dry-run".into()),
                handle: m.handle.clone(),
                display_name: None,
                followers: m.followers,
                verified: m.verified,
                email: None,
                phone: None,
            },
            text: m.text.clone(),
            created_at: now,
            in_reply_to: None,
            raw: None,
            automated: false,
            signature: None,
            url: None,
            attachments: Vec::new(),
        });
    }
    if let (None, Some(p)) = (body.conversation_id, &base) {
        context.conversation.priority = p.score;
    }
    let decided = state
        .pipeline
        .workflow
        .dry_run(
            ws.id,
            earshot_engine::workflow::DryRunEvent {
                trigger,
                context,
                message: message
                    .as_ref()
                    .map(|m| (m, enrichment.as_ref(), base.as_ref())),
                rules: set,
            },
        )
        .await?;
    Ok(axum::Json(DryRunResult {
        trigger,
        enrichment,
        decided,
    }))
}

/// A new conversation as a described message would open it (dry runs without a stored one).
fn described_conversation(
    ws: WorkspaceId,
    message: Option<&DryRunMessage>,
    now: chrono::DateTime<Utc>,
) -> earshot_core::workflow::Context {
    let handle = message.and_then(|m| m.handle.clone());
    let channel = message.and_then(|m| m.channel).unwrap_or(ChannelKind::Api);
    earshot_core::workflow::Context {
        conversation: earshot_core::Conversation {
            id: ConversationId(0),
            workspace_id: ws,
            channel_id: earshot_core::ChannelId(0),
            channel_kind: channel,
            contact_id: earshot_core::ContactId(0),
            status: earshot_core::ConversationStatus::New,
            priority: 0,
            assignee_id: None,
            team_id: None,
            message_count: 1,
            first_message_at: now,
            last_message_at: now,
            first_response_at: None,
            waiting_since: Some(now),
            sla_due_at: None,
            created_at: now,
            updated_at: now,
        },
        tags: Vec::new(),
        topics: Vec::new(),
        contact_tier: None,
        contact_value: None,
        opted_out: false,
        contact_engagement: None,
        sla_policy: None,
        sla_remaining_seconds: None,
        contact_name: handle.clone(),
        contact_handle: handle,
        channel_name: channel.as_str().to_string(),
    }
}
