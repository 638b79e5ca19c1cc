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
use serde_json::Value as Json;
use std::fmt::{self, Write as _};

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
    pub const ALL: [Field; 22] = [
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
            | Self::ContactTier => Kind::Text,
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

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Contains,
    NotContains,
    StartsWith,
    Gt,
    Lt,
    In,
    Present,
    Absent,
    Changed,
}

impl Op {
    const ALL: [Op; 11] = [
        Op::Eq,
        Op::Ne,
        Op::Contains,
        Op::NotContains,
        Op::StartsWith,
        Op::Gt,
        Op::Lt,
        Op::In,
        Op::Present,
        Op::Absent,
        Op::Changed,
    ];
    pub fn name(self) -> &'static str {
        match self {
            Op::Eq => "eq",
            Op::Ne => "ne",
            Op::Contains => "contains",
            Op::NotContains => "not_contains",
            Op::StartsWith => "starts_with",
            Op::Gt => "gt",
            Op::Lt => "lt",
            Op::In => "in",
            Op::Present => "present",
            Op::Absent => "absent",
            Op::Changed => "changed",
        }
    }
    fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == s)
    }
    fn valid_for(self, kind: Kind) -> bool {
        use Op::*;
        match kind {
            Kind::Text => !matches!(self, Gt | Lt),
            Kind::Number => !matches!(self, Contains | NotContains | StartsWith),
            Kind::Bool => matches!(self, Eq | Ne | Present | Absent | Changed),
            Kind::List => matches!(
                self,
                Contains | NotContains | In | Present | Absent | Changed
            ),
        }
    }
}

/// One comparison of a field with a value.
#[derive(Debug, Clone, PartialEq)]
pub struct Test {
    pub field: Field,
    pub op: Op,
    /// The operand (`Absent` for present/absent; a list for `in`).
    pub value: Value,
    /// For `changed`: the value before, and after, when the rule names them.
    pub from: Option<Value>,
    pub to: Option<Value>,
}

/// A tree of tests.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Test(Test),
}

/// Something wrong with a rule, and where (a JSON path such as `conditions.all[1].op`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleError {
    pub path: String,
    pub message: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

fn err(path: &str, message: impl Into<String>) -> RuleError {
    RuleError {
        path: path.to_owned(),
        message: message.into(),
    }
}

impl Condition {
    /// Parses a condition tree; every error found is reported, each with its path.
    pub fn parse(json: &Json, path: &str, errors: &mut Vec<RuleError>) -> Option<Condition> {
        let Some(obj) = json.as_object() else {
            errors.push(err(
                path,
                "a condition is an object: {\"all\": […]}, {\"any\": […]}, {\"not\": {…}} or {\"field\", \"op\", \"value\"}",
            ));
            return None;
        };
        for (key, make) in [
            ("all", Condition::All as fn(Vec<Condition>) -> Condition),
            ("any", Condition::Any),
        ] {
            if let Some(children) = obj.get(key) {
                if obj.len() != 1 {
                    errors.push(err(path, format!("`{key}` stands alone in its object")));
                    return None;
                }
                let Some(children) = children.as_array() else {
                    errors.push(err(
                        &format!("{path}.{key}"),
                        "expected a list of conditions",
                    ));
                    return None;
                };
                if children.is_empty() {
                    errors.push(err(&format!("{path}.{key}"), "is empty"));
                    return None;
                }
                let parsed: Vec<Option<Condition>> = children
                    .iter()
                    .enumerate()
                    .map(|(i, c)| Condition::parse(c, &format!("{path}.{key}[{i}]"), errors))
                    .collect();
                return parsed.into_iter().collect::<Option<Vec<_>>>().map(make);
            }
        }
        if let Some(inner) = obj.get("not") {
            if obj.len() != 1 {
                errors.push(err(path, "`not` stands alone in its object"));
                return None;
            }
            return Condition::parse(inner, &format!("{path}.not"), errors)
                .map(|c| Condition::Not(Box::new(c)));
        }
        Test::parse(obj, path, errors).map(Condition::Test)
    }

    /// Whether the tree holds for these facts.
    pub fn holds(&self, facts: &Facts) -> bool {
        match self {
            Self::All(cs) => cs.iter().all(|c| c.holds(facts)),
            Self::Any(cs) => cs.iter().any(|c| c.holds(facts)),
            Self::Not(c) => !c.holds(facts),
            Self::Test(t) => t.holds(facts),
        }
    }

    /// Whether it holds, with the tests that decided it (for dry runs and the audit trail).
    pub fn explain(&self, facts: &Facts, why: &mut Vec<String>) -> bool {
        match self {
            Self::All(cs) => {
                let mark = why.len();
                for c in cs {
                    if !c.explain(facts, why) {
                        let failed = why.pop();
                        why.truncate(mark);
                        why.extend(failed);
                        return false;
                    }
                }
                true
            }
            Self::Any(cs) => {
                let mark = why.len();
                for c in cs {
                    let before = why.len();
                    if c.explain(facts, why) {
                        let held: Vec<String> = why.drain(before..).collect();
                        why.truncate(mark);
                        why.extend(held);
                        return true;
                    }
                }
                why.truncate(mark);
                why.push("none of the alternatives held".into());
                false
            }
            Self::Not(c) => {
                let mark = why.len();
                let held = c.explain(facts, why);
                let inner: Vec<String> = why.drain(mark..).collect();
                why.push(format!("not ({})", inner.join(", ")));
                !held
            }
            Self::Test(t) => {
                let held = t.holds(facts);
                why.push(t.describe(facts, held));
                held
            }
        }
    }
}

impl Test {
    fn parse(
        obj: &serde_json::Map<String, Json>,
        path: &str,
        errors: &mut Vec<RuleError>,
    ) -> Option<Test> {
        let before = errors.len();
        for key in obj.keys() {
            if !matches!(key.as_str(), "field" | "op" | "value" | "from" | "to") {
                errors.push(err(
                    &format!("{path}.{key}"),
                    "unknown key; a test has field, op, value (and from/to for changed)",
                ));
            }
        }
        let field = match obj.get("field").and_then(Json::as_str) {
            Some(name) => Field::parse(name).or_else(|| {
                let known: Vec<&str> = Field::ALL.iter().map(|f| f.name()).collect();
                errors.push(err(
                    &format!("{path}.field"),
                    format!("unknown field `{name}`; known fields: {}", known.join(", ")),
                ));
                None
            }),
            None => {
                errors.push(err(
                    &format!("{path}.field"),
                    "missing (a field name such as message.text)",
                ));
                None
            }
        };
        let op = match obj.get("op").and_then(Json::as_str) {
            Some(name) => Op::parse(name).or_else(|| {
                let known: Vec<&str> = Op::ALL.iter().map(|o| o.name()).collect();
                errors.push(err(
                    &format!("{path}.op"),
                    format!(
                        "unknown operator `{name}`; expected one of {}",
                        known.join(", ")
                    ),
                ));
                None
            }),
            None => {
                errors.push(err(&format!("{path}.op"), "missing"));
                None
            }
        };
        let (field, op) = (field?, op?);
        let kind = field.kind();
        if !op.valid_for(kind) {
            errors.push(err(
                &format!("{path}.op"),
                format!(
                    "`{}` does not apply to {} (a {})",
                    op.name(),
                    field.name(),
                    kind_name(kind)
                ),
            ));
            return None;
        }
        // The operand: a scalar of the field's kind (list fields take text to look for), a
        // list of such scalars for `in`, nothing for present/absent, optional from/to for
        // changed.
        let scalar_kind = if kind == Kind::List { Kind::Text } else { kind };
        let mut value = Value::Absent;
        let (mut from, mut to) = (None, None);
        match op {
            Op::Present | Op::Absent => {
                if obj.contains_key("value") {
                    errors.push(err(
                        &format!("{path}.value"),
                        format!("`{}` takes no value", op.name()),
                    ));
                }
            }
            Op::Changed => {
                if obj.contains_key("value") {
                    errors.push(err(
                        &format!("{path}.value"),
                        "`changed` takes optional `from` and `to`, not `value`",
                    ));
                }
                for (key, slot) in [("from", &mut from), ("to", &mut to)] {
                    if let Some(v) = obj.get(key) {
                        *slot = scalar(v, scalar_kind, &format!("{path}.{key}"), errors);
                    }
                }
            }
            Op::In => match obj.get("value").and_then(Json::as_array) {
                Some(items) if !items.is_empty() => {
                    let mut list = Vec::new();
                    for (i, v) in items.iter().enumerate() {
                        match scalar(v, scalar_kind, &format!("{path}.value[{i}]"), errors) {
                            Some(Value::Text(s)) => list.push(s),
                            Some(Value::Number(n)) => list.push(number_key(n)),
                            Some(Value::Bool(b)) => list.push(b.to_string()),
                            _ => {}
                        }
                    }
                    value = Value::List(list);
                }
                _ => errors.push(err(&format!("{path}.value"), "`in` takes a non-empty list")),
            },
            _ => match obj.get("value") {
                Some(v) => {
                    if let Some(v) = scalar(v, scalar_kind, &format!("{path}.value"), errors) {
                        value = v;
                    }
                }
                None => errors.push(err(&format!("{path}.value"), "missing")),
            },
        }
        if (obj.contains_key("from") || obj.contains_key("to")) && op != Op::Changed {
            errors.push(err(
                path,
                "`from` and `to` belong to the `changed` operator",
            ));
        }
        (errors.len() == before).then_some(Test {
            field,
            op,
            value,
            from,
            to,
        })
    }

    pub fn holds(&self, facts: &Facts) -> bool {
        let actual = facts.get(self.field);
        match self.op {
            Op::Present => actual.is_present(),
            Op::Absent => !actual.is_present(),
            Op::Changed => match facts.before(self.field) {
                None => false,
                Some(before) => {
                    before != actual
                        && self.from.as_ref().is_none_or(|f| equals(before, f))
                        && self.to.as_ref().is_none_or(|t| equals(actual, t))
                }
            },
            Op::Eq => equals(actual, &self.value),
            Op::Ne => !equals(actual, &self.value),
            Op::Contains => contains(actual, &self.value),
            Op::NotContains => !contains(actual, &self.value),
            Op::StartsWith => match (actual, &self.value) {
                (Value::Text(a), Value::Text(b)) => a.starts_with(b.as_str()),
                _ => false,
            },
            Op::Gt | Op::Lt => match (actual, &self.value) {
                (Value::Number(a), Value::Number(b)) => {
                    if self.op == Op::Gt {
                        a > b
                    } else {
                        a < b
                    }
                }
                _ => false,
            },
            Op::In => match (actual, &self.value) {
                (Value::Text(a), Value::List(options)) => options.iter().any(|o| o == a),
                (Value::Number(a), Value::List(options)) => {
                    let key = number_key(*a);
                    options.contains(&key)
                }
                (Value::Bool(a), Value::List(options)) => {
                    options.iter().any(|o| *o == a.to_string())
                }
                (Value::List(items), Value::List(options)) => {
                    items.iter().any(|i| options.contains(i))
                }
                _ => false,
            },
        }
    }

    fn describe(&self, facts: &Facts, held: bool) -> String {
        let actual = facts.get(self.field);
        let mut s = format!("{} {}", self.field.name(), self.op.name());
        match self.op {
            Op::Present | Op::Absent => {}
            Op::Changed => {
                if let Some(f) = &self.from {
                    let _ = write!(s, " from {f}");
                }
                if let Some(t) = &self.to {
                    let _ = write!(s, " to {t}");
                }
                let before = facts.before(self.field).cloned().unwrap_or_default();
                let _ = write!(s, " (was {before}, is {actual})");
                return format!("{s}: {}", if held { "yes" } else { "no" });
            }
            _ => {
                let _ = write!(s, " {}", self.value);
            }
        }
        if matches!(self.field, Field::MessageText) {
            format!("{s}: {}", if held { "yes" } else { "no" })
        } else {
            format!("{s} (is {actual}): {}", if held { "yes" } else { "no" })
        }
    }
}

fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "text",
        Kind::Number => "number",
        Kind::Bool => "true/false",
        Kind::List => "list",
    }
}

/// Numbers in lists (for `in`) compare by their shortest decimal form.
fn number_key(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn scalar(v: &Json, kind: Kind, path: &str, errors: &mut Vec<RuleError>) -> Option<Value> {
    let parsed = match kind {
        Kind::Text | Kind::List => v.as_str().map(Value::text),
        Kind::Number => v.as_f64().map(Value::Number),
        Kind::Bool => v.as_bool().map(Value::Bool),
    };
    if parsed.is_none() {
        errors.push(err(path, format!("expected {}, got {v}", kind_name(kind))));
    }
    parsed
}

fn equals(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Absent, _) | (_, Value::Absent) => false,
        (Value::Text(a), Value::Text(b)) => a == b,
        (Value::Number(a), Value::Number(b)) => a == b,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::List(a), Value::List(b)) => a == b,
        (Value::List(a), Value::Text(b)) => a.len() == 1 && a[0] == *b,
        _ => false,
    }
}

fn contains(actual: &Value, needle: &Value) -> bool {
    match (actual, needle) {
        (Value::Text(hay), Value::Text(n)) => hay.contains(n.as_str()),
        (Value::List(items), Value::Text(n)) => items.iter().any(|i| i == n),
        _ => false,
    }
}

/// What a rule does when it fires.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    /// To a team: the team's assignment strategy picks the agent (or the backlog keeps it).
    AssignTeam {
        team_id: crate::TeamId,
    },
    AssignAgent {
        agent_id: crate::AgentId,
    },
    SetPriority {
        priority: i32,
    },
    AddTag {
        tag: String,
    },
    RemoveTag {
        tag: String,
    },
    SetStatus {
        status: crate::ConversationStatus,
    },
    /// Snoozed for this long; a customer message wakes it earlier.
    Snooze {
        minutes: u32,
    },
    /// Use this SLA policy (by id) for the conversation's targets.
    ApplySla {
        policy_id: i64,
    },
    /// An automated reply on the conversation's channel. `{{contact.name}}`,
    /// `{{contact.handle}}` and `{{conversation.id}}` are filled in. Never sent to a contact
    /// who opted out of engagement (the firing is recorded as skipped). An automated reply
    /// is not a response: the customer still waits, the SLA clock runs and response times
    /// do not count it, unless `counts_as_response` is set (a rule that answers in full).
    Reply {
        template: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        counts_as_response: bool,
    },
    /// A private note on the conversation, seen only by agents.
    Note {
        text: String,
    },
    /// A notification for an agent (or everyone in the workspace without `agent_id`).
    Notify {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        agent_id: Option<crate::AgentId>,
        message: String,
    },
    /// POST the event to a URL (signed, retried, from the outbox).
    Webhook {
        url: String,
    },
}

/// Placeholders a reply template may use.
pub const TEMPLATE_PLACEHOLDERS: [&str; 3] = [
    "{{contact.name}}",
    "{{contact.handle}}",
    "{{conversation.id}}",
];

impl Action {
    pub fn name(&self) -> &'static str {
        match self {
            Self::AssignTeam { .. } => "assign_team",
            Self::AssignAgent { .. } => "assign_agent",
            Self::SetPriority { .. } => "set_priority",
            Self::AddTag { .. } => "add_tag",
            Self::RemoveTag { .. } => "remove_tag",
            Self::SetStatus { .. } => "set_status",
            Self::Snooze { .. } => "snooze",
            Self::ApplySla { .. } => "apply_sla",
            Self::Reply { .. } => "reply",
            Self::Note { .. } => "note",
            Self::Notify { .. } => "notify",
            Self::Webhook { .. } => "webhook",
        }
    }

    fn validate(&self, path: &str, errors: &mut Vec<RuleError>) {
        match self {
            Self::SetPriority { priority } if !(0..=100).contains(priority) => {
                errors.push(err(&format!("{path}.priority"), "must be 0 to 100"))
            }
            Self::AddTag { tag } | Self::RemoveTag { tag }
                if tag.trim().is_empty() || tag.len() > 64 =>
            {
                errors.push(err(&format!("{path}.tag"), "must be 1 to 64 characters"))
            }
            Self::Snooze { minutes: 0 } => {
                errors.push(err(&format!("{path}.minutes"), "must be at least 1"))
            }
            Self::Reply { template, .. } => {
                if template.trim().is_empty() {
                    errors.push(err(&format!("{path}.template"), "is empty"));
                }
                let mut rest = template.as_str();
                while let Some(start) = rest.find("{{") {
                    let end = rest[start..].find("}}").map(|e| start + e + 2);
                    let Some(end) = end else {
                        errors.push(err(&format!("{path}.template"), "an unclosed `{{`"));
                        break;
                    };
                    let placeholder = &rest[start..end];
                    if !TEMPLATE_PLACEHOLDERS.contains(&placeholder) {
                        errors.push(err(
                            &format!("{path}.template"),
                            format!(
                                "unknown placeholder `{placeholder}`; known: {}",
                                TEMPLATE_PLACEHOLDERS.join(", ")
                            ),
                        ));
                    }
                    rest = &rest[end..];
                }
            }
            Self::Note { text } | Self::Notify { message: text, .. } if text.trim().is_empty() => {
                errors.push(err(path, "the text is empty"))
            }
            Self::Webhook { url }
                if !(url.starts_with("https://") || url.starts_with("http://"))
                    || url.len() < 10 =>
            {
                errors.push(err(&format!("{path}.url"), "must be an http(s) URL"))
            }
            _ => {}
        }
    }
}

/// Fills a reply template.
pub fn render_template(
    template: &str,
    contact_name: &str,
    handle: &str,
    conversation: i64,
) -> String {
    template
        .replace("{{contact.name}}", contact_name)
        .replace("{{contact.handle}}", handle)
        .replace("{{conversation.id}}", &conversation.to_string())
}

/// A rule as the API takes and returns it (the stored form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDraft {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub trigger: Trigger,
    /// `null`/missing: always.
    #[serde(default)]
    pub conditions: Option<Json>,
    pub actions: Vec<Action>,
    #[serde(default)]
    pub stop_processing: bool,
}

fn yes() -> bool {
    true
}

/// A rule ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub trigger: Trigger,
    pub condition: Option<Condition>,
    pub actions: Vec<Action>,
    pub stop_processing: bool,
}

impl Rule {
    /// Parses a rule from JSON: every problem is reported with its path.
    pub fn from_json(id: i64, json: &Json) -> Result<(RuleDraft, Rule), Vec<RuleError>> {
        let mut errors = Vec::new();
        let Some(obj) = json.as_object() else {
            return Err(vec![err("", "a rule is a JSON object")]);
        };
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "name"
                    | "enabled"
                    | "trigger"
                    | "conditions"
                    | "actions"
                    | "stop_processing"
                    | "id"
                    | "position"
            ) {
                errors.push(err(key, "unknown key"));
            }
        }
        match obj.get("name").and_then(Json::as_str) {
            Some(n) if !n.trim().is_empty() && n.len() <= 200 => {}
            _ => errors.push(err("name", "missing or empty (1 to 200 characters)")),
        }
        match obj.get("trigger") {
            Some(t) => {
                if let Err(e) = serde_json::from_value::<Trigger>(t.clone()) {
                    errors.push(err("trigger", format!("{e}")));
                }
            }
            None => errors.push(err(
                "trigger",
                "missing, e.g. {\"event\": \"message_received\"}",
            )),
        }
        let condition = match obj.get("conditions") {
            None | Some(Json::Null) => None,
            Some(c) => Condition::parse(c, "conditions", &mut errors),
        };
        match obj.get("actions").and_then(Json::as_array) {
            Some(actions) if !actions.is_empty() => {
                for (i, a) in actions.iter().enumerate() {
                    let path = format!("actions[{i}]");
                    match serde_json::from_value::<Action>(a.clone()) {
                        Ok(action) => action.validate(&path, &mut errors),
                        Err(e) => errors.push(err(&path, e.to_string())),
                    }
                }
            }
            _ => errors.push(err("actions", "a rule needs at least one action")),
        }
        for key in ["enabled", "stop_processing"] {
            if obj.get(key).is_some_and(|v| !v.is_boolean()) {
                errors.push(err(key, "expected true or false"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut draft: RuleDraft =
            serde_json::from_value(json.clone()).map_err(|e| vec![err("", e.to_string())])?;
        if matches!(draft.conditions, Some(Json::Null)) {
            draft.conditions = None;
        }
        let rule = Rule {
            id,
            name: draft.name.clone(),
            enabled: draft.enabled,
            trigger: draft.trigger,
            condition,
            actions: draft.actions.clone(),
            stop_processing: draft.stop_processing,
        };
        Ok((draft, rule))
    }

    pub fn from_draft(id: i64, draft: &RuleDraft) -> Result<Rule, Vec<RuleError>> {
        let json = serde_json::to_value(draft).map_err(|e| vec![err("", e.to_string())])?;
        Rule::from_json(id, &json).map(|(_, r)| r)
    }
}

/// Who caused an event. Events caused by rules never trigger rules (the loop guard).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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

/// A workspace's rules, compiled, in their order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

/// Why [`RuleSet::run`] did nothing for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The event was caused by a rule (loop guard).
    CausedByRule,
}

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> Self {
        Self { rules }
    }
    pub fn len(&self) -> usize {
        self.rules.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that fire for `trigger` caused by `actor`, in order, each with its actions.
    /// `facts` are updated with the actions' effects as the run goes, so later rules see
    /// them. With `explain`, each firing carries the tests that decided it.
    pub fn run(
        &self,
        trigger: Trigger,
        actor: Actor,
        facts: &mut Facts,
        explain: bool,
    ) -> Result<Vec<Firing>, Refused> {
        if matches!(actor, Actor::Rule(_)) {
            return Err(Refused::CausedByRule);
        }
        let mut fired = Vec::new();
        let mut why = Vec::new();
        for rule in &self.rules {
            if !rule.enabled || rule.trigger != trigger {
                continue;
            }
            why.clear();
            let holds = match &rule.condition {
                None => {
                    if explain {
                        why.push("no conditions".into());
                    }
                    true
                }
                Some(c) if explain => c.explain(facts, &mut why),
                Some(c) => c.holds(facts),
            };
            if !holds {
                continue;
            }
            for action in &rule.actions {
                apply_to_facts(action, facts);
            }
            fired.push(Firing {
                rule_id: rule.id,
                rule: rule.name.clone(),
                because: std::mem::take(&mut why),
                actions: rule.actions.clone(),
                stopped: rule.stop_processing,
            });
            if rule.stop_processing {
                break;
            }
        }
        Ok(fired)
    }

    /// Every rule for `trigger` with whether it would fire and why (a dry run), in order;
    /// rules after one that stops processing are reported as not reached.
    pub fn dry_run(&self, trigger: Trigger, facts: &Facts) -> Vec<DryRunRule> {
        let mut facts = facts.clone();
        let mut out = Vec::new();
        let mut stopped_by: Option<String> = None;
        for rule in &self.rules {
            if rule.trigger != trigger {
                continue;
            }
            if let Some(by) = &stopped_by {
                out.push(DryRunRule {
                    rule_id: rule.id,
                    rule: rule.name.clone(),
                    fires: false,
                    because: vec![format!("not reached: `{by}` stopped processing")],
                    actions: Vec::new(),
                });
                continue;
            }
            if !rule.enabled {
                out.push(DryRunRule {
                    rule_id: rule.id,
                    rule: rule.name.clone(),
                    fires: false,
                    because: vec!["disabled".into()],
                    actions: Vec::new(),
                });
                continue;
            }
            let mut why = Vec::new();
            let fires = match &rule.condition {
                None => {
                    why.push("no conditions".into());
                    true
                }
                Some(c) => c.explain(&facts, &mut why),
            };
            if fires {
                for a in &rule.actions {
                    apply_to_facts(a, &mut facts);
                }
                if rule.stop_processing {
                    stopped_by = Some(rule.name.clone());
                }
            }
            out.push(DryRunRule {
                rule_id: rule.id,
                rule: rule.name.clone(),
                fires,
                because: why,
                actions: if fires {
                    rule.actions.clone()
                } else {
                    Vec::new()
                },
            });
        }
        out
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
}
