//! Automation rules: when an event happens to a conversation and a tree of conditions over
//! the message, the conversation and the contact holds, do these actions. Pure: this module
//! parses and validates rule definitions (every error names where it is), compiles a
//! workspace's rules into a [`RuleSet`], and decides which rules fire for one event and why.
//! The engine applies the actions and records every firing on the conversation.
//!
//! Shape (JSON, as stored and as the API takes it):
//!
//! ```json
//! {
//!   "name": "Refund complaints to billing",
//!   "trigger": {"event": "message_received"},
//!   "conditions": {"all": [
//!     {"field": "message.intents", "op": "contains", "value": "complaint"},
//!     {"any": [
//!       {"field": "message.text", "op": "contains", "value": "refund"},
//!       {"field": "conversation.topics", "op": "contains", "value": "billing"}
//!     ]},
//!     {"not": {"field": "contact.tier", "op": "eq", "value": "vip"}}
//!   ]},
//!   "actions": [{"type": "assign_team", "team_id": 2}, {"type": "add_tag", "tag": "refund"}],
//!   "stop_processing": false
//! }
//! ```
//!
//! Semantics, like Zammad's triggers and Chatwoot's automation rules, with a nested tree:
//! - Rules run in their order. A rule that fires and has `stop_processing` ends the run.
//! - Effects of earlier rules in the same run are visible to later ones (a rule that sets the
//!   priority to 90 makes `conversation.priority gt 80` true for the next).
//! - Loop guard: events caused by a rule's actions never trigger rules (Chatwoot ignores events
//!   performed by an automation rule the same way); [`RuleSet::run`] refuses them.
//! - Text comparisons ignore case. A missing value (no language detected, no assignee) is
//!   `absent`: it equals nothing, is `ne` everything, and `contains` nothing.

use crate::ChannelKind;
use serde::{Deserialize, Serialize};
use std::fmt::{self, Write as _};

mod action;
mod condition;
mod rule;

pub use action::*;
pub use condition::*;
pub use rule::*;

/// What a rule reacts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Trigger {
    /// A customer message was stored (listening posts included when they open conversations).
    MessageReceived,
    /// A conversation was opened by its first message.
    ConversationCreated,
    /// Any change to a conversation: status, assignee, team, priority, tags.
    ConversationUpdated,
    StatusChanged,
    Assigned,
    /// The SLA's warning share of its target has passed with no answer.
    SlaWarning,
    SlaBreach,
    /// No message either way for `minutes` (checked by the timer worker).
    Idle {
        minutes: u32,
    },
    /// The customer has waited `minutes` for an answer (checked by the timer worker).
    Unanswered {
        minutes: u32,
    },
    /// An emerging-issue alert was raised and this conversation holds one of its top
    /// messages (checked by the timer worker every few minutes).
    SpikeDetected,
}

impl Trigger {
    /// The kind without its duration, for indexing.
    pub fn kind(self) -> &'static str {
        match self {
            Self::MessageReceived => "message_received",
            Self::ConversationCreated => "conversation_created",
            Self::ConversationUpdated => "conversation_updated",
            Self::StatusChanged => "status_changed",
            Self::Assigned => "assigned",
            Self::SlaWarning => "sla_warning",
            Self::SlaBreach => "sla_breach",
            Self::Idle { .. } => "idle",
            Self::Unanswered { .. } => "unanswered",
            Self::SpikeDetected => "spike_detected",
        }
    }
}

/// The attributes conditions can test, each with its kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum Field {
    MessageChannel,
    MessageText,
    MessageLanguage,
    MessageSentiment,
    MessageIntents,
    MessageUrgency,
    ConversationStatus,
    ConversationPriority,
    ConversationPriorityLabel,
    ConversationAssignee,
    ConversationTeam,
    ConversationTags,
    ConversationTopics,
    ConversationMessages,
    ConversationWaitingMinutes,
    ConversationIdleMinutes,
    AuthorFollowers,
    AuthorVerified,
    AuthorHandle,
    ContactTier,
    ContactValue,
    ContactOptedOut,
    /// The level of engagement the customer chose (`service_only`, `updates`, `community`,
    /// `co_creation`, `advocate`); absent until they chose.
    ContactEngagement,
}

/// What kind of value a field holds; it decides which operators and values are valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Number,
    Bool,
    List,
}

impl Field {
    pub const ALL: [Field; 23] = [
        Self::MessageChannel,
        Self::MessageText,
        Self::MessageLanguage,
        Self::MessageSentiment,
        Self::MessageIntents,
        Self::MessageUrgency,
        Self::ConversationStatus,
        Self::ConversationPriority,
        Self::ConversationPriorityLabel,
        Self::ConversationAssignee,
        Self::ConversationTeam,
        Self::ConversationTags,
        Self::ConversationTopics,
        Self::ConversationMessages,
        Self::ConversationWaitingMinutes,
        Self::ConversationIdleMinutes,
        Self::AuthorFollowers,
        Self::AuthorVerified,
        Self::AuthorHandle,
        Self::ContactTier,
        Self::ContactValue,
        Self::ContactOptedOut,
        Self::ContactEngagement,
    ];
    pub const COUNT: usize = Self::ALL.len();

    pub fn name(self) -> &'static str {
        match self {
            Self::MessageChannel => "message.channel",
            Self::MessageText => "message.text",
            Self::MessageLanguage => "message.language",
            Self::MessageSentiment => "message.sentiment",
            Self::MessageIntents => "message.intents",
            Self::MessageUrgency => "message.urgency",
            Self::ConversationStatus => "conversation.status",
            Self::ConversationPriority => "conversation.priority",
            Self::ConversationPriorityLabel => "conversation.priority_label",
            Self::ConversationAssignee => "conversation.assignee",
            Self::ConversationTeam => "conversation.team",
            Self::ConversationTags => "conversation.tags",
            Self::ConversationTopics => "conversation.topics",
            Self::ConversationMessages => "conversation.messages",
            Self::ConversationWaitingMinutes => "conversation.waiting_minutes",
            Self::ConversationIdleMinutes => "conversation.idle_minutes",
            Self::AuthorFollowers => "author.followers",
            Self::AuthorVerified => "author.verified",
            Self::AuthorHandle => "author.handle",
            Self::ContactTier => "contact.tier",
            Self::ContactValue => "contact.value",
            Self::ContactOptedOut => "contact.opted_out",
            Self::ContactEngagement => "contact.engagement",
        }
    }

    pub fn kind(self) -> Kind {
        match self {
            Self::MessageChannel
            | Self::MessageText
            | Self::MessageLanguage
            | Self::MessageSentiment
            | Self::ConversationStatus
            | Self::ConversationPriorityLabel
            | Self::AuthorHandle
            | Self::ContactTier
            | Self::ContactEngagement => Kind::Text,
            Self::MessageUrgency
            | Self::ConversationPriority
            | Self::ConversationAssignee
            | Self::ConversationTeam
            | Self::ConversationMessages
            | Self::ConversationWaitingMinutes
            | Self::ConversationIdleMinutes
            | Self::AuthorFollowers
            | Self::ContactValue => Kind::Number,
            Self::AuthorVerified | Self::ContactOptedOut => Kind::Bool,
            Self::MessageIntents | Self::ConversationTags | Self::ConversationTopics => Kind::List,
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name)
    }
}

/// A value of a field, as facts hold it. Text is kept lowercased.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    #[default]
    Absent,
    Text(String),
    Number(f64),
    Bool(bool),
    List(Vec<String>),
}

impl Value {
    pub fn text(s: impl AsRef<str>) -> Self {
        Self::Text(s.as_ref().to_lowercase())
    }
    pub fn list<S: AsRef<str>>(items: impl IntoIterator<Item = S>) -> Self {
        Self::List(
            items
                .into_iter()
                .map(|s| s.as_ref().to_lowercase())
                .collect(),
        )
    }
    fn is_present(&self) -> bool {
        match self {
            Self::Absent => false,
            Self::List(l) => !l.is_empty(),
            _ => true,
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Absent => f.write_str("absent"),
            Self::Text(s) => write!(f, "{s:?}"),
            Self::Number(n) => write!(f, "{n}"),
            Self::Bool(b) => write!(f, "{b}"),
            Self::List(l) => write!(f, "{l:?}"),
        }
    }
}

/// What is known about a conversation when an event happens: every field's value, and for
/// update events the values before the change (for the `changed` operator).
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    values: Vec<Value>,
    before: Option<Vec<Value>>,
}

impl Default for Facts {
    fn default() -> Self {
        Self {
            values: vec![Value::Absent; Field::COUNT],
            before: None,
        }
    }
}

impl Facts {
    pub fn get(&self, field: Field) -> &Value {
        &self.values[field as usize]
    }
    pub fn set(&mut self, field: Field, value: Value) -> &mut Self {
        self.values[field as usize] = value;
        self
    }
    /// The value before the change this event is about (`Absent` when there was none).
    pub fn before(&self, field: Field) -> Option<&Value> {
        self.before.as_ref().map(|b| &b[field as usize])
    }
    pub fn with_before(mut self, before: &Facts) -> Self {
        self.before = Some(before.values.clone());
        self
    }
}

/// Who caused an event. Events caused by rules never trigger rules (the loop guard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Actor {
    /// The customer (a message arrived).
    Customer,
    Agent(crate::AgentId),
    Rule(i64),
    /// Earshot itself: timers, assignment.
    System,
}

/// One rule that fired, with the tests that made it fire.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Firing {
    pub rule_id: i64,
    pub rule: String,
    /// Each decisive test with its outcome (only when explaining).
    pub because: Vec<String>,
    pub actions: Vec<Action>,
    pub stopped: bool,
}

/// The effect of an action on the facts later rules of the same run see.
pub fn apply_to_facts(action: &Action, facts: &mut Facts) {
    match action {
        Action::AssignTeam { team_id } => {
            facts.set(Field::ConversationTeam, Value::Number(team_id.0 as f64));
        }
        Action::AssignAgent { agent_id } => {
            facts.set(
                Field::ConversationAssignee,
                Value::Number(agent_id.0 as f64),
            );
        }
        Action::SetPriority { priority } => {
            facts.set(
                Field::ConversationPriority,
                Value::Number(f64::from(*priority)),
            );
            facts.set(
                Field::ConversationPriorityLabel,
                Value::text(crate::priority::label(*priority)),
            );
        }
        Action::AddTag { tag } | Action::RemoveTag { tag } => {
            let slot = &mut facts.values[Field::ConversationTags as usize];
            if !matches!(slot, Value::List(_)) {
                *slot = Value::List(Vec::new());
            }
            if let Value::List(tags) = slot {
                let tag = tag.to_lowercase();
                tags.retain(|t| *t != tag);
                if matches!(action, Action::AddTag { .. }) {
                    tags.push(tag);
                }
            }
        }
        Action::SetStatus { status } => {
            facts.set(Field::ConversationStatus, Value::text(status.as_str()));
        }
        Action::Snooze { .. } => {
            facts.set(Field::ConversationStatus, Value::text("snoozed"));
        }
        _ => {}
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryRunRule {
    pub rule_id: i64,
    pub rule: String,
    pub fires: bool,
    pub because: Vec<String>,
    pub actions: Vec<Action>,
}

/// Facts about a message and the conversation it lands in, from the parts the pipeline has.
#[derive(Debug, Clone, Default)]
pub struct MessageFacts<'a> {
    pub channel: Option<ChannelKind>,
    pub text: &'a str,
    pub enrichment: Option<&'a crate::enrichment::Enrichment>,
    pub followers: Option<u32>,
    pub verified: bool,
    pub handle: &'a str,
}

impl Facts {
    /// Fills the message and author fields.
    pub fn with_message(mut self, m: &MessageFacts<'_>) -> Self {
        if let Some(c) = m.channel {
            self.set(Field::MessageChannel, Value::text(c.as_str()));
        }
        self.set(Field::MessageText, Value::text(m.text));
        if let Some(e) = m.enrichment {
            if e.language != "unknown" && !e.language.is_empty() {
                self.set(Field::MessageLanguage, Value::text(&e.language));
            }
            if e.sentiment.label != "unknown" && !e.sentiment.label.is_empty() {
                self.set(Field::MessageSentiment, Value::text(&e.sentiment.label));
            }
            self.set(
                Field::MessageIntents,
                Value::list(e.intents.iter().map(|i| i.name.as_str())),
            );
            self.set(
                Field::MessageUrgency,
                Value::Number(f64::from(e.urgency.score)),
            );
        }
        if let Some(f) = m.followers {
            self.set(Field::AuthorFollowers, Value::Number(f64::from(f)));
        }
        self.set(Field::AuthorVerified, Value::Bool(m.verified));
        if !m.handle.is_empty() {
            self.set(Field::AuthorHandle, Value::text(m.handle));
        }
        self
    }

    /// Fills the conversation fields.
    pub fn with_conversation(
        mut self,
        c: &crate::Conversation,
        tags: &[String],
        topics: &[String],
        now: crate::time::Timestamp,
    ) -> Self {
        self.set(Field::ConversationStatus, Value::text(c.status.as_str()));
        self.set(
            Field::ConversationPriority,
            Value::Number(f64::from(c.priority)),
        );
        self.set(
            Field::ConversationPriorityLabel,
            Value::text(crate::priority::label(c.priority)),
        );
        if let Some(a) = c.assignee_id {
            self.set(Field::ConversationAssignee, Value::Number(a.0 as f64));
        }
        if let Some(t) = c.team_id {
            self.set(Field::ConversationTeam, Value::Number(t.0 as f64));
        }
        self.set(Field::ConversationTags, Value::list(tags));
        self.set(Field::ConversationTopics, Value::list(topics));
        self.set(
            Field::ConversationMessages,
            Value::Number(c.message_count as f64),
        );
        if let Some(w) = c.waiting_since {
            self.set(
                Field::ConversationWaitingMinutes,
                Value::Number(((now - w).num_seconds().max(0) / 60) as f64),
            );
        }
        self.set(
            Field::ConversationIdleMinutes,
            Value::Number(((now - c.last_message_at).num_seconds().max(0) / 60) as f64),
        );
        if self.get(Field::MessageChannel) == &Value::Absent {
            self.set(Field::MessageChannel, Value::text(c.channel_kind.as_str()));
        }
        self
    }

    /// Fills the contact fields.
    pub fn with_contact(mut self, tier: Option<&str>, value: Option<f64>, opted_out: bool) -> Self {
        if let Some(t) = tier {
            self.set(Field::ContactTier, Value::text(t));
        }
        if let Some(v) = value {
            self.set(Field::ContactValue, Value::Number(v));
        }
        self.set(Field::ContactOptedOut, Value::Bool(opted_out));
        self
    }

    /// The level of engagement the customer chose on their preference page.
    pub fn with_engagement(mut self, level: Option<&str>) -> Self {
        if let Some(l) = level {
            self.set(Field::ContactEngagement, Value::text(l));
        }
        self
    }
}
