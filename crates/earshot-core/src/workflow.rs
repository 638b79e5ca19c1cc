//! The care workflow's records: the audit trail of a conversation (every change of status,
//! assignee, team, priority, tags, SLA, every rule firing, note and reply is an event), the
//! change an agent, a rule or Earshot makes to a conversation, and the outbox of replies,
//! notifications and webhooks waiting to be delivered.

use crate::rules::Actor;
use crate::time::Timestamp;
use crate::{AgentId, ConversationId, ConversationStatus, MessageId, TeamId, WorkspaceId};
use serde::{Deserialize, Serialize};

/// One entry of a conversation's history.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConversationEvent {
    pub id: i64,
    pub conversation_id: ConversationId,
    pub at: Timestamp,
    /// `status_changed`, `assigned`, `priority_changed`, `tagged`, `untagged`, `snoozed`,
    /// `sla_due`, `sla_warning`, `sla_breach`, `rule_fired`, `rule_skipped`, `note`,
    /// `reply_queued`, `reply_sent`, `reply_failed`, `notification`, `webhook_queued`,
    /// `backlogged`.
    pub kind: String,
    pub actor: Actor,
    /// What changed (`from`/`to`), or the note, rule, reply… of the event.
    pub data: serde_json::Value,
}

/// An event to record.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: &'static str,
    pub data: serde_json::Value,
}

impl NewEvent {
    pub fn new(kind: &'static str, data: serde_json::Value) -> Self {
        Self { kind, data }
    }
}

/// A change to a conversation; `None` fields stay as they are. The store records an event for
/// each field that really changes, with the change's actor.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ConversationChange {
    pub status: Option<ConversationStatus>,
    pub assignee: Option<Option<AgentId>>,
    pub team: Option<Option<TeamId>>,
    pub priority: Option<i32>,
    /// The computed priority's parts, stored with a computed score (see `priority::adjust`).
    pub priority_detail: Option<crate::priority::Priority>,
    /// Until when it sleeps (with status `snoozed`), or `Some(None)` to clear.
    pub snoozed_until: Option<Option<Timestamp>>,
    pub add_tags: Vec<String>,
    pub remove_tags: Vec<String>,
    /// A new SLA due time, or `Some(None)` when no target runs (nobody waits, or paused;
    /// the warning time is cleared with it).
    pub sla_due_at: Option<Option<Timestamp>>,
    /// A new SLA warning time (set with a due time from a policy).
    pub sla_warn_at: Option<Option<Timestamp>>,
    /// When the resolution target is due, or `Some(None)` to clear it.
    pub resolution_due_at: Option<Option<Timestamp>>,
    /// Business time left on the target while the clock is paused (pending, snoozed), or
    /// `Some(None)` to clear it when the clock runs again.
    pub sla_remaining: Option<Option<chrono::Duration>>,
    /// The SLA policy chosen by a rule, or `Some(None)` for the default.
    pub sla_policy: Option<Option<i64>>,
}

/// Tags one change may add or remove, and the longest tag (as rules' `add_tag` takes).
pub const MAX_TAGS_PER_CHANGE: usize = 50;
pub const MAX_TAG_CHARS: usize = 64;

impl ConversationChange {
    /// Whether its tags are within bounds: the reason when not.
    pub fn check_tags(&self) -> Result<(), String> {
        for (field, tags) in [("add", &self.add_tags), ("remove", &self.remove_tags)] {
            if tags.len() > MAX_TAGS_PER_CHANGE {
                return Err(format!(
                    "`{field}`: {} tags; one change takes at most {MAX_TAGS_PER_CHANGE}",
                    tags.len()
                ));
            }
            if let Some((i, t)) = tags
                .iter()
                .enumerate()
                .find(|(_, t)| t.trim().is_empty() || t.chars().count() > MAX_TAG_CHARS)
            {
                return Err(format!(
                    "`{field}[{i}]`: a tag has 1 to {MAX_TAG_CHARS} characters, not {}",
                    t.chars().count()
                ));
            }
        }
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// One change of a batch (see `Store::change_conversations`).
#[derive(Debug, Clone, PartialEq)]
pub struct ChangeRequest {
    pub conversation: ConversationId,
    pub change: ConversationChange,
    pub actor: Actor,
    pub extra: Vec<NewEvent>,
}

/// What a change did.
#[derive(Debug, Clone, PartialEq)]
pub struct Changed {
    pub before: crate::Conversation,
    pub after: crate::Conversation,
    pub tags: Vec<String>,
    /// The events recorded (the changes', then the extra ones given).
    pub events: Vec<ConversationEvent>,
}

/// The SLA state of a conversation beyond its due time.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SlaState {
    pub policy_id: Option<i64>,
    /// Business time left while paused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remaining_seconds: Option<i64>,
    pub snoozed_until: Option<Timestamp>,
}

/// Something to deliver: a reply on the customer's channel, a notification, a webhook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub conversation_id: Option<ConversationId>,
    /// `reply`, `notification` or `webhook`.
    pub kind: String,
    /// For replies: the stored outbound message.
    pub message_id: Option<MessageId>,
    pub payload: serde_json::Value,
    /// `queued`, `sent` or `failed` (gave up after the last retry, or it could not leave).
    pub status: String,
    /// Where the platform says the message is (replies), or `sent`/`failed` for the rest.
    pub delivery: crate::connector::DeliveryState,
    /// The platform's id for what was sent, once it accepted it.
    pub platform_id: Option<String>,
    pub attempts: i32,
    pub next_attempt_at: Option<Timestamp>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewOutbox {
    pub conversation_id: Option<ConversationId>,
    pub kind: &'static str,
    pub message_id: Option<MessageId>,
    pub payload: serde_json::Value,
}

/// Delivers one outbox item: a reply on its channel, a notification, a webhook.
#[async_trait::async_trait]
pub trait Sender: Send + Sync {
    async fn send(&self, item: &OutboxItem) -> Result<Sent, SendError>;
}

/// What the platform (or webhook receiver) accepted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sent {
    /// The platform's id for the message, when it gives one (a WhatsApp `wamid`, a
    /// Telegram `message_id`): statuses it reports later name it.
    pub platform_id: Option<String>,
}

/// Why an item did not leave.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// Worth another try later (network, timeouts, 5xx, rate limits): see [`after_failure`].
    #[error("{0}")]
    Transient(String),
    /// The platform refused it for good (its error code and message).
    #[error("{0}")]
    Rejected(String),
    /// It cannot leave and was never offered to a platform: no connected channel, a closed
    /// messaging window.
    #[error("not sent: {0}")]
    NotSent(String),
    /// The channel cannot deliver until an admin acts (an expired or revoked token): the item
    /// waits without using up its attempts.
    #[error("{error}")]
    Paused { error: String, retry_at: Timestamp },
}

/// How a delivery attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Delivery {
    Sent {
        platform_id: Option<String>,
    },
    /// Try again at this time.
    Retry {
        error: String,
        at: Timestamp,
    },
    /// Give up.
    Failed {
        error: String,
    },
    /// It never left (see [`SendError::NotSent`]).
    NotSent {
        reason: String,
    },
    /// Waits for its channel, without counting an attempt.
    Paused {
        error: String,
        at: Timestamp,
    },
}

impl Delivery {
    /// How an attempt that ended with `result` is recorded (`attempts`: the item's attempts
    /// before this one).
    pub fn of(result: Result<Sent, SendError>, attempts: i32, now: Timestamp) -> Self {
        match result {
            Ok(sent) => Self::Sent {
                platform_id: sent.platform_id,
            },
            Err(SendError::Transient(e)) => after_failure(attempts + 1, e, now),
            Err(SendError::Rejected(error)) => Self::Failed { error },
            Err(SendError::NotSent(reason)) => Self::NotSent { reason },
            Err(SendError::Paused { error, retry_at }) => Self::Paused {
                error,
                at: retry_at,
            },
        }
    }
}

/// Retries: 1 min, 5 min, 30 min, 2 h, 6 h, then give up.
pub const RETRY_BACKOFF_MINUTES: [i64; 5] = [1, 5, 30, 120, 360];

/// What happens after a failed attempt number `attempts` (1-based).
pub fn after_failure(attempts: i32, error: String, now: Timestamp) -> Delivery {
    match RETRY_BACKOFF_MINUTES.get(attempts.saturating_sub(1) as usize) {
        Some(m) => Delivery::Retry {
            error,
            at: now + chrono::Duration::minutes(*m),
        },
        None => Delivery::Failed { error },
    }
}

/// A stored automation rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleRecord {
    pub id: i64,
    /// Rules run in ascending position, then id.
    pub position: i64,
    #[serde(flatten)]
    pub rule: crate::rules::RuleDraft,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A stored SLA policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaPolicyRecord {
    pub id: i64,
    #[serde(flatten)]
    pub policy: crate::sla::PolicyDraft,
}

/// An unresolved conversation that belongs to a team, as the assignment desk loads it.
#[derive(Debug, Clone, PartialEq)]
pub struct TeamConversation {
    pub id: ConversationId,
    pub team: TeamId,
    pub assignee: Option<AgentId>,
    pub channel: crate::ChannelKind,
    pub priority: i32,
    /// The customer's oldest unanswered message, or the first message when nobody waits.
    pub waiting_since: Timestamp,
}

/// A stored time a timer worker acts on (besides the SLA due time, see `Store::sla_due`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timer {
    /// The SLA warning time.
    SlaWarning,
    /// The end of a snooze.
    SnoozeEnd,
    /// When the customer started waiting (not snoozed, not resolved): `unanswered` rules.
    WaitingSince,
    /// The last message either way (not resolved): `idle` rules.
    LastMessage,
    /// A policy's resolution target (not resolved).
    ResolutionDue,
}

/// What rules need to know about a conversation besides the message: read for a whole batch
/// at once (`Store::workflow_context`).
#[derive(Debug, Clone, PartialEq)]
pub struct Context {
    pub conversation: crate::Conversation,
    pub tags: Vec<String>,
    /// Names of the topics its messages matched, lowercase.
    pub topics: Vec<String>,
    pub contact_tier: Option<String>,
    pub contact_value: Option<f64>,
    pub opted_out: bool,
    /// The level of engagement the customer chose (`service_only` … `advocate`).
    pub contact_engagement: Option<String>,
    /// The SLA policy a rule applied, if any.
    pub sla_policy: Option<i64>,
    /// Business time left on a paused SLA clock (pending or snoozed), in seconds.
    pub sla_remaining_seconds: Option<i64>,
    /// How an automated reply greets the customer: the contact's name and first handle.
    pub contact_name: Option<String>,
    pub contact_handle: Option<String>,
    /// The channel's name in the workspace (the account replies leave from).
    pub channel_name: String,
}
