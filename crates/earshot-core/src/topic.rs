//! Listening topics: what a brand listens for, as named boolean queries (the syntax of
//! `earshot-listen`). The store keeps them; the query text is validated before it is saved.

use crate::time::Timestamp;
use crate::{ChannelKind, MessageId, TopicId, WorkspaceId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Topic {
    pub id: TopicId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub query: String,
    /// Inactive topics are kept but not matched.
    pub active: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A new topic, or the new values of one (`query` already validated by the caller).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TopicDraft {
    pub name: String,
    pub query: String,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// A stored message with what listening queries can test about its author.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MessageSample {
    pub id: MessageId,
    pub channel_kind: ChannelKind,
    pub text: String,
    pub sent_at: Timestamp,
    pub author_external_id: String,
    pub author_handle: Option<String>,
    pub author_followers: Option<i64>,
    pub author_verified: bool,
}
