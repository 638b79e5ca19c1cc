//! Conversations: a thread of messages with one customer on one channel, and the care state
//! around it (status, priority, who has it, how long the customer has been waiting).

use crate::time::Timestamp;
use crate::{AgentId, ChannelId, ChannelKind, ContactId, ConversationId, TeamId, WorkspaceId};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConversationStatus {
    /// Nobody on the brand's side has touched it yet.
    New,
    /// Being worked on.
    Open,
    /// Waiting for the customer; SLA clocks pause.
    Pending,
    /// Put aside until a time; a new customer message wakes it.
    Snoozed,
    /// Done; a new customer message reopens it.
    Resolved,
}

impl ConversationStatus {
    pub const ALL: [ConversationStatus; 5] = [
        Self::New,
        Self::Open,
        Self::Pending,
        Self::Snoozed,
        Self::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::New => "new",
            Self::Open => "open",
            Self::Pending => "pending",
            Self::Snoozed => "snoozed",
            Self::Resolved => "resolved",
        }
    }

    /// The status after new messages arrive: the brand answering moves a new conversation to
    /// open; the customer writing again wakes a snoozed, pending or resolved one.
    pub fn after_messages(self, new_inbound: bool, new_outbound: bool) -> Self {
        match self {
            Self::New if new_outbound => Self::Open,
            Self::Pending | Self::Snoozed | Self::Resolved if new_inbound => Self::Open,
            other => other,
        }
    }
}

impl FromStr for ConversationStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown status `{s}`; expected one of new, open, pending, snoozed, resolved"
                )
            })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Conversation {
    pub id: ConversationId,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub channel_kind: ChannelKind,
    /// The customer: the author of the first inbound message.
    pub contact_id: ContactId,
    pub status: ConversationStatus,
    /// 0 (none) to 100 (most urgent); the inbox is ordered by it.
    pub priority: i32,
    pub assignee_id: Option<AgentId>,
    pub team_id: Option<TeamId>,
    pub message_count: i64,
    pub first_message_at: Timestamp,
    pub last_message_at: Timestamp,
    /// The brand's first answer after the customer first wrote.
    pub first_response_at: Option<Timestamp>,
    /// The oldest customer message not yet answered; `None` when the brand spoke last.
    pub waiting_since: Option<Timestamp>,
    /// When the current service-level target (first or next response) is due; `None` when
    /// nobody waits. See `sla::Policy`.
    pub sla_due_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}
