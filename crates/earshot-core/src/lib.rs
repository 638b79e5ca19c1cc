//! Earshot's domain: what a workspace, a channel, a message, a conversation and a contact
//! are, the [`Store`](store::Store) trait every database implements, and the pure logic of
//! care work (threading, conversation timelines). Nothing here does I/O; every other crate
//! depends inward on this one.

pub mod agent_work;
pub mod assign;
pub mod auth;
pub mod channel;
pub mod connector;
pub mod consent;
pub mod contact;
pub mod conversation;
pub mod emerging;
pub mod enrichment;
pub mod identifiers;
pub mod identity;
pub mod ids;
pub mod inbound;
pub mod message;
pub mod orders;
pub mod patch;
pub mod preferences;
pub mod priority;
pub mod privacy;
pub mod report;
pub mod route;
pub mod rules;
pub mod sla;
pub mod staffing;
pub mod store;
pub mod survey;
pub mod team;
pub mod threading;
pub mod time;
pub mod timeline;
pub mod topic;
pub mod workflow;

pub use channel::{Channel, ChannelKind, ChannelRole};
pub use contact::{Contact, ContactMerge, ContactPatch, ContactProfile, Identity};
pub use conversation::{Conversation, ConversationStatus};
pub use ids::*;
pub use inbound::{Inbound, InboundAuthor, InboundError};
pub use message::{Attachment, Direction, Message, Visibility};
pub use store::{Store, StoreError};
pub use team::{Agent, AgentPatch, NewAgent, Team};
pub use topic::{MessageSample, Topic, TopicDraft};

/// A tenant: every stored row belongs to exactly one workspace, and every store query is
/// scoped by it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Workspace {
    pub id: WorkspaceId,
    pub name: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}
