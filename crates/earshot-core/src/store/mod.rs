//! The `Store` trait: everything Earshot keeps, behind one interface implemented for SQLite
//! and PostgreSQL (crate `earshot-store`). Every method takes the workspace it acts in and
//! never sees or touches another workspace's rows.

use crate::inbound::Inbound;
use crate::time::Timestamp;
use crate::{Agent, ChannelId, ChannelRole};
use crate::{
    AgentId, ApiTokenId, Channel, ChannelKind, ContactId, Conversation, ConversationId,
    ConversationStatus, Message, MessageId, MessageSample, NewAgent, Team, TeamId, Topic,
    TopicDraft, TopicId, Workspace, WorkspaceId,
};
use async_trait::async_trait;
use serde::Serialize;

mod alerts;
mod channels;
mod contacts;
mod orders;
mod surveys;
pub use alerts::{AlertState, AlertStore, NewAlert, StoredAlert};
pub use channels::ChannelStore;
pub use contacts::ContactStore;
pub use orders::{OrderStore, ValueRecompute};
pub use surveys::{DueSurvey, SurveyCount, SurveyStore, SurveyTopicCount};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist in this workspace.
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: i64 },
    /// A unique name or key is taken.
    #[error("{0}")]
    Conflict(String),
    /// The request refers to something that can't be used (e.g. an agent of another workspace).
    #[error("{0}")]
    Invalid(String),
    /// The database failed; the message is for logs, not for API clients.
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// One batch's unit of work, inside one database transaction: the pipeline stores the
/// messages, reads what the decide stage needs, and writes its decisions (changes, deliveries,
/// automated replies), then commits once. Readers see all of it or none of it; a process
/// killed before [`BatchUnit::commit`] leaves nothing behind, so a resent batch is decided in
/// full. Dropping a unit without committing rolls it back.
#[async_trait]
pub trait BatchUnit: Send {
    /// [`Store::ingest_annotated`] inside the unit (the unit's own writes are visible to it).
    async fn ingest(
        &mut self,
        batch: &[Inbound],
        annotations: &[Annotations],
    ) -> StoreResult<Vec<IngestOutcome>>;
    /// [`Store::workflow_context`] as this unit sees it.
    async fn contexts(
        &mut self,
        ids: &[ConversationId],
    ) -> StoreResult<Vec<crate::workflow::Context>>;
    /// [`Store::change_conversations`] inside the unit.
    async fn change(
        &mut self,
        items: &[crate::workflow::ChangeRequest],
    ) -> StoreResult<Vec<crate::workflow::Changed>>;
    /// [`Store::enqueue`] inside the unit.
    async fn enqueue(&mut self, items: &[crate::workflow::NewOutbox]) -> StoreResult<Vec<i64>>;
    /// Records the consent keywords the batch's customer messages carried on their contacts'
    /// ledgers, each only when it changes the contact's state, and sets `opted_out` from it;
    /// per change, whether it was recorded.
    async fn record_consent(
        &mut self,
        changes: &[crate::consent::ConsentChange],
    ) -> StoreResult<Vec<bool>>;
    /// Surveys sent in the last [`crate::survey::ANSWER_DAYS`] days (by `now`) and not yet
    /// answered, whose customer wrote in one of `conversations` (the surveyed one, or a newer
    /// one of theirs on the same channel).
    async fn surveys_awaiting(
        &mut self,
        conversations: &[ConversationId],
        now: crate::time::Timestamp,
    ) -> StoreResult<Vec<crate::survey::Awaiting>>;
    /// [`SurveyStore::update_survey`] inside the unit.
    async fn update_survey(&mut self, id: i64, update: &crate::survey::Update)
        -> StoreResult<bool>;
    /// Makes everything durable at once.
    async fn commit(self: Box<Self>) -> StoreResult<()>;
}

/// What happened to one message of an ingest batch, in the batch's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum IngestOutcome {
    Stored {
        message_id: MessageId,
        conversation_id: ConversationId,
        /// It answers a message Earshot has not seen yet; it joins that message's
        /// conversation when it arrives.
        awaiting_parent: bool,
        /// The batch changed its conversation's status (from, to): the brand answered a new
        /// conversation, or the customer wrote to a resolved, pending or snoozed one.
        #[serde(skip_serializing_if = "Option::is_none")]
        status_changed: Option<(crate::ConversationStatus, crate::ConversationStatus)>,
    },
    /// Already stored (same channel and external id); nothing changed.
    Duplicate { message_id: MessageId },
    /// A post from a listening source that matched no topic: counted for share of voice,
    /// not stored as a message, opening no conversation (again: still counted once).
    Counted,
    /// Its author was erased (the right to erasure): nothing of it is stored.
    Erased,
}

/// What the pipeline's stages found out about one inbound message before it is stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Annotations {
    /// The workspace's active topics the message matched.
    pub topics: Vec<TopicId>,
    /// Language, sentiment, intents and urgency (inbound messages; `None` when the pipeline
    /// runs without the enrich stage).
    pub enrichment: Option<crate::enrichment::Enrichment>,
    /// The priority this message gives its conversation (customers' enriched messages); the
    /// newest such message of a batch sets it.
    pub priority: Option<crate::priority::Priority>,
    /// An agent opened a conversation from this listening post (it is stored although it
    /// matched no topic).
    pub opened_by_agent: bool,
}

/// Which assignee a conversation list asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AssigneeFilter {
    Agent(AgentId),
    Unassigned,
}

/// A position in the inbox order (priority desc, oldest waiting first, then id), so the next
/// page starts exactly after the last row of this one even while rows are added.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConversationCursor {
    pub priority: i32,
    /// `waiting_since` in milliseconds, or `i64::MAX` for nobody waiting (sorts last).
    pub waiting_key: i64,
    pub id: ConversationId,
}

impl ConversationCursor {
    pub fn of(c: &Conversation) -> Self {
        Self {
            priority: c.priority,
            waiting_key: waiting_key(c.waiting_since),
            id: c.id,
        }
    }

    /// An opaque string for clients.
    pub fn encode(&self) -> String {
        format!("c1.{}.{}.{}", self.priority, self.waiting_key, self.id.0)
    }

    pub fn decode(s: &str) -> Option<Self> {
        let mut parts = s.strip_prefix("c1.")?.splitn(3, '.');
        let priority = parts.next()?.parse().ok()?;
        let waiting_key = parts.next()?.parse().ok()?;
        let id = ConversationId(parts.next()?.parse().ok()?);
        Some(Self {
            priority,
            waiting_key,
            id,
        })
    }
}

/// The sort key stored beside `waiting_since`.
pub fn waiting_key(waiting_since: Option<Timestamp>) -> i64 {
    waiting_since.map_or(i64::MAX, |t| t.timestamp_millis())
}

#[derive(Debug, Clone, Default)]
pub struct ConversationQuery {
    pub status: Option<ConversationStatus>,
    pub channel: Option<ChannelKind>,
    pub assignee: Option<AssigneeFilter>,
    pub updated_since: Option<Timestamp>,
    /// The team's conversations.
    pub team: Option<crate::TeamId>,
    /// The sentiment of the newest enriched customer message (`negative`, …).
    pub sentiment: Option<String>,
    /// An intent of the newest enriched customer message (`complaint`, …).
    pub intent: Option<String>,
    pub tag: Option<String>,
    /// A message of the conversation matched this listening topic.
    pub topic: Option<crate::TopicId>,
    /// The customer's conversations.
    pub contact: Option<crate::ContactId>,
    pub after: Option<ConversationCursor>,
    /// 1..=200; the store clamps it.
    pub limit: u32,
}

#[derive(Debug, Clone, Default)]
pub struct ContactQuery {
    /// Contacts with an id greater than this (id order).
    pub after: Option<ContactId>,
    pub limit: u32,
    /// Only contacts whose name, or one of whose identities' handle, name or platform id
    /// (an email address, a phone number), contains this, ignoring case.
    pub search: Option<String>,
}

pub const MAX_PAGE: u32 = 200;

pub fn clamp_limit(limit: u32) -> i64 {
    i64::from(limit.clamp(1, MAX_PAGE))
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub channels: i64,
    pub contacts: i64,
    pub identities: i64,
    pub conversations: i64,
    pub messages: i64,
}

/// Everything Earshot keeps, as role traits (a caller that needs one role can take just that
/// one); `Store` is all of them, implemented for every type that implements the roles. On a
/// `dyn Store` every role's methods are callable as they are; code generic over one role
/// brings it into scope with `use earshot_core::store::roles::*`.
pub trait Store:
    WorkspaceStore
    + IngestStore
    + ConversationStore
    + ContactStore
    + PeopleStore
    + TopicStore
    + RuleStore
    + TimerStore
    + AccountStore
    + ReadModelStore
    + ChannelStore
    + OrderStore
    + SurveyStore
    + AlertStore
    + 'static
{
}

impl<
        T: WorkspaceStore
            + IngestStore
            + ConversationStore
            + ContactStore
            + PeopleStore
            + TopicStore
            + RuleStore
            + TimerStore
            + AccountStore
            + ReadModelStore
            + ChannelStore
            + OrderStore
            + SurveyStore
            + AlertStore
            + 'static,
    > Store for T
{
}

/// The role traits, for `use earshot_core::store::roles::*`.
pub mod roles {
    pub use super::{
        AccountStore, AlertStore, ContactStore, ConversationStore, IngestStore, OrderStore,
        PeopleStore, ReadModelStore, RuleStore, SurveyStore, TimerStore, TopicStore,
        WorkspaceStore,
    };
}

/// Workspaces, their API tokens and channels: what every request starts from.
#[async_trait]
pub trait WorkspaceStore: Send + Sync {
    /// `sqlite` or `postgres`.
    fn backend(&self) -> &'static str;
    /// Succeeds when the database answers a query.
    async fn ping(&self) -> StoreResult<()>;
    async fn ensure_workspace(&self, name: &str) -> StoreResult<Workspace>;
    async fn workspace_by_name(&self, name: &str) -> StoreResult<Option<Workspace>>;
    /// Stores the hash of a freshly minted token.
    async fn create_api_token(
        &self,
        workspace: WorkspaceId,
        label: &str,
        token_hash: &str,
    ) -> StoreResult<ApiTokenId>;
    /// The workspace a token opens, with the token's label (who acts through it).
    async fn workspace_for_token(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<(Workspace, String)>>;
    async fn ensure_channel(
        &self,
        workspace: WorkspaceId,
        kind: ChannelKind,
        name: &str,
        role: ChannelRole,
    ) -> StoreResult<Channel>;
    async fn list_channels(&self, workspace: WorkspaceId) -> StoreResult<Vec<Channel>>;
    async fn counts(&self, workspace: WorkspaceId) -> StoreResult<Counts>;
}

/// Storing batches: the dedupe lookup and the unit of work that stores and decides.
#[async_trait]
pub trait IngestStore: Send + Sync {
    /// Stores a batch of validated messages in one transaction: dedupes on channel and
    /// external id, resolves authors to identities and contacts, threads every message into
    /// a conversation and updates the conversations' timelines and statuses.
    async fn ingest(
        &self,
        workspace: WorkspaceId,
        batch: &[Inbound],
    ) -> StoreResult<Vec<IngestOutcome>> {
        let none = vec![Annotations::default(); batch.len()];
        self.ingest_annotated(workspace, batch, &none).await
    }
    /// [`Store::ingest`] with what the pipeline found about each message (same order and
    /// length as `batch`): matched topics are recorded, and listening-source posts that
    /// matched no topic are only counted.
    async fn ingest_annotated(
        &self,
        workspace: WorkspaceId,
        batch: &[Inbound],
        annotations: &[Annotations],
    ) -> StoreResult<Vec<IngestOutcome>> {
        let mut unit = self.begin_batch(workspace).await?;
        let outcomes = unit.ingest(batch, annotations).await?;
        unit.commit().await?;
        Ok(outcomes)
    }
    /// Which messages of `batch` are already stored (same channel and external id), read
    /// without a transaction: the pipeline's dedupe stage skips their annotation. The unit's
    /// own ingest stays the authority (a message stored in between is still a duplicate).
    async fn stored_among(
        &self,
        workspace: WorkspaceId,
        batch: &[Inbound],
    ) -> StoreResult<Vec<bool>>;
    /// Opens one batch's unit of work: its messages and every decision about them are
    /// written in one transaction, serialized with every other batch of the workspace.
    async fn begin_batch(&self, workspace: WorkspaceId) -> StoreResult<Box<dyn BatchUnit>>;
}

/// Conversations and their messages: the inbox, a thread, what the stages found, changes with their history.
#[async_trait]
pub trait ConversationStore: Send + Sync {
    /// The topics each message of a conversation matched, as (message, topic) pairs.
    async fn conversation_topics(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<(MessageId, TopicId)>>;
    /// The conversation's priority with its parts, once a customer message was scored.
    async fn conversation_priority(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Option<crate::priority::Priority>>;
    /// What the enrich stage found in each message of a conversation that has an enrichment.
    async fn conversation_enrichments(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Vec<(MessageId, crate::enrichment::Enrichment)>>;
    /// The inbox: ordered by priority (highest first), then the longest waiting, then id.
    async fn list_conversations(
        &self,
        workspace: WorkspaceId,
        query: &ConversationQuery,
    ) -> StoreResult<Page<Conversation>>;
    async fn get_conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Option<Conversation>>;
    /// Messages of a conversation in the order they were sent.
    async fn conversation_messages(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Vec<Message>>;
    async fn message_by_external_id(
        &self,
        workspace: WorkspaceId,
        kind: ChannelKind,
        account: &str,
        external_id: &str,
    ) -> StoreResult<Option<Message>>;
    /// The most recently stored inbound messages (newest first), for previewing queries.
    async fn recent_messages(
        &self,
        workspace: WorkspaceId,
        limit: u32,
    ) -> StoreResult<Vec<MessageSample>>;
    /// Applies a change to a conversation in one transaction, recording an event (with
    /// `actor`) for every field that really changed, then `extra` events (rule firings, notes,
    /// replies…). An agent or team of another workspace is `Invalid`.
    async fn change_conversation(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
        change: &crate::workflow::ConversationChange,
        actor: crate::rules::Actor,
        extra: &[crate::workflow::NewEvent],
    ) -> StoreResult<crate::workflow::Changed>;
    /// [`Store::change_conversation`] for several changes, applied in order in one
    /// transaction: all or none.
    async fn change_conversations(
        &self,
        workspace: WorkspaceId,
        items: &[crate::workflow::ChangeRequest],
    ) -> StoreResult<Vec<crate::workflow::Changed>>;
    /// The state rules need of each of these conversations (those that exist), in one go.
    async fn workflow_context(
        &self,
        workspace: WorkspaceId,
        ids: &[ConversationId],
    ) -> StoreResult<Vec<crate::workflow::Context>>;
    /// The conversation's history, oldest first.
    async fn conversation_events(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Vec<crate::workflow::ConversationEvent>>;
    async fn conversation_tags(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<Vec<String>>;
    async fn sla_state(
        &self,
        workspace: WorkspaceId,
        id: ConversationId,
    ) -> StoreResult<crate::workflow::SlaState>;
}

/// Teams and agents, and the conversations their desk holds.
#[async_trait]
pub trait PeopleStore: Send + Sync {
    async fn create_team(&self, workspace: WorkspaceId, name: &str) -> StoreResult<Team>;
    async fn list_teams(&self, workspace: WorkspaceId) -> StoreResult<Vec<Team>>;
    async fn create_agent(&self, workspace: WorkspaceId, agent: &NewAgent) -> StoreResult<Agent>;
    async fn list_agents(&self, workspace: WorkspaceId) -> StoreResult<Vec<Agent>>;
    async fn update_agent(
        &self,
        workspace: WorkspaceId,
        id: AgentId,
        patch: &crate::AgentPatch,
    ) -> StoreResult<Agent>;
    async fn set_team_strategy(
        &self,
        workspace: WorkspaceId,
        id: TeamId,
        strategy: crate::assign::Strategy,
    ) -> StoreResult<Team>;
    /// Unresolved conversations that belong to a team (assigned or waiting in its backlog).
    async fn team_conversations(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<crate::workflow::TeamConversation>>;
}

/// Listening topics and what listening counted without one.
#[async_trait]
pub trait TopicStore: Send + Sync {
    /// Listening posts counted without a topic, per channel.
    async fn unmatched_listening_counts(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<(ChannelId, i64)>>;
    /// Saves a listening topic; its name is unique in the workspace.
    async fn create_topic(&self, workspace: WorkspaceId, draft: &TopicDraft) -> StoreResult<Topic>;
    async fn list_topics(&self, workspace: WorkspaceId) -> StoreResult<Vec<Topic>>;
    async fn get_topic(&self, workspace: WorkspaceId, id: TopicId) -> StoreResult<Option<Topic>>;
    async fn update_topic(
        &self,
        workspace: WorkspaceId,
        id: TopicId,
        draft: &TopicDraft,
    ) -> StoreResult<Topic>;
    async fn delete_topic(&self, workspace: WorkspaceId, id: TopicId) -> StoreResult<()>;
}

/// Automation rules and SLA policies.
#[async_trait]
pub trait RuleStore: Send + Sync {
    /// Saves a rule (validated by the caller) at `position`, or after the last rule.
    async fn create_rule(
        &self,
        workspace: WorkspaceId,
        position: Option<i64>,
        rule: &crate::rules::RuleDraft,
    ) -> StoreResult<crate::workflow::RuleRecord>;
    /// The workspace's rules in the order they run.
    async fn list_rules(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<crate::workflow::RuleRecord>>;
    async fn update_rule(
        &self,
        workspace: WorkspaceId,
        id: i64,
        position: Option<i64>,
        rule: &crate::rules::RuleDraft,
    ) -> StoreResult<crate::workflow::RuleRecord>;
    async fn delete_rule(&self, workspace: WorkspaceId, id: i64) -> StoreResult<()>;
    async fn create_sla_policy(
        &self,
        workspace: WorkspaceId,
        policy: &crate::sla::PolicyDraft,
    ) -> StoreResult<crate::workflow::SlaPolicyRecord>;
    async fn list_sla_policies(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<crate::workflow::SlaPolicyRecord>>;
}

/// What the timer worker reads: due times, its cursors, and the outbox it delivers.
#[async_trait]
pub trait TimerStore: Send + Sync {
    /// Conversations of every workspace whose SLA fell due after `after` and by `until`,
    /// earliest first, at most `limit`: what an SLA worker pass acts on (an index range scan).
    /// The worker keeps `until` of its last pass as the next `after`.
    async fn sla_due(
        &self,
        after: crate::time::Timestamp,
        until: crate::time::Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<(WorkspaceId, ConversationId, crate::time::Timestamp)>>;
    /// Like [`Store::sla_due`], for another stored time.
    async fn timers_due(
        &self,
        timer: crate::workflow::Timer,
        after: crate::time::Timestamp,
        until: crate::time::Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<(WorkspaceId, ConversationId, crate::time::Timestamp)>>;
    /// Workspaces that have automation rules (for the timer worker's time-based rules).
    async fn workspaces_with_rules(&self) -> StoreResult<Vec<WorkspaceId>>;
    /// Where a timer worker got to (`None` before its first pass).
    async fn timer_cursor(&self, name: &str) -> StoreResult<Option<crate::time::Timestamp>>;
    async fn set_timer_cursor(&self, name: &str, until: crate::time::Timestamp) -> StoreResult<()>;
    /// Queues deliveries; returns their ids.
    async fn enqueue(
        &self,
        workspace: WorkspaceId,
        items: &[crate::workflow::NewOutbox],
    ) -> StoreResult<Vec<i64>>;
    /// Queued deliveries of every workspace whose next attempt is due by `now`, oldest first.
    async fn outbox_due(
        &self,
        now: crate::time::Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<crate::workflow::OutboxItem>>;
    /// Records how an attempt ended.
    async fn outbox_result(
        &self,
        id: i64,
        delivery: &crate::workflow::Delivery,
        at: crate::time::Timestamp,
    ) -> StoreResult<()>;
    async fn list_outbox(
        &self,
        workspace: WorkspaceId,
        conversation: Option<ConversationId>,
    ) -> StoreResult<Vec<crate::workflow::OutboxItem>>;
}

/// People who sign in and their sessions.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Adds a person who signs in; the email is unique across workspaces (`Conflict`).
    async fn create_user(
        &self,
        workspace: WorkspaceId,
        email: &str,
        name: &str,
        role: &str,
        agent: Option<AgentId>,
        password_hash: &str,
    ) -> StoreResult<crate::auth::User>;
    /// The person with this email (any workspace) and their password hash.
    async fn user_by_email(&self, email: &str) -> StoreResult<Option<(crate::auth::User, String)>>;
    async fn create_session(
        &self,
        user: i64,
        token_hash: &str,
        csrf_token: &str,
        expires_at: crate::time::Timestamp,
    ) -> StoreResult<()>;
    /// The signed-in person and the session's CSRF token, if the session exists and has not
    /// expired at `now`.
    async fn session(
        &self,
        token_hash: &str,
        now: crate::time::Timestamp,
    ) -> StoreResult<Option<(crate::auth::User, String)>>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    /// The workspace's people, in the order they were added.
    async fn list_users(&self, workspace: WorkspaceId) -> StoreResult<Vec<crate::auth::User>>;
}

/// The web inbox's and dashboard's read models, and saved replies.
#[async_trait]
pub trait ReadModelStore: Send + Sync {
    /// For each of these conversations (in the workspace; others are left out): the
    /// customer's name, the first words of its first message, and the sentiment and intents
    /// of its newest enriched customer message. One query for a page of the inbox.
    async fn inbox_details(
        &self,
        workspace: WorkspaceId,
        conversations: &[ConversationId],
    ) -> StoreResult<Vec<InboxDetail>>;
    /// Saved replies agents insert into the reply box, by name.
    async fn list_saved_replies(&self, workspace: WorkspaceId) -> StoreResult<Vec<SavedReply>>;
    /// A name is unique in its workspace (`Conflict`); name 1–100 characters, text 1–5000.
    async fn create_saved_reply(
        &self,
        workspace: WorkspaceId,
        name: &str,
        text: &str,
    ) -> StoreResult<SavedReply>;
    async fn delete_saved_reply(&self, workspace: WorkspaceId, id: i64) -> StoreResult<()>;
    /// The day the newest conversation began, if any (the dashboard's default range ends there).
    async fn last_activity(&self, workspace: WorkspaceId) -> StoreResult<Option<Timestamp>>;
    /// What the dashboard counts from `from` (inclusive) to `until` (exclusive).
    async fn dashboard_counts(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<crate::report::DashboardCounts>;
    /// What the installation holds now, over every workspace (`/metrics`), at `now`.
    async fn operations(&self, now: Timestamp) -> StoreResult<crate::report::Operations>;
    /// What listening heard from `from` (inclusive) to `until` (exclusive), by the posts' own
    /// time, per UTC day and source.
    async fn share_of_voice(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<crate::report::VoiceCounts>;
    /// Listening posts heard in the last [`HEARD_FOR_DAYS`] that matched no topic, the last
    /// heard first, at most `filter.limit`.
    async fn heard_posts(
        &self,
        workspace: WorkspaceId,
        filter: &HeardFilter,
    ) -> StoreResult<Vec<HeardPost>>;
    /// Inbound messages in each of these hours (hour numbers: Unix milliseconds / 3,600,000),
    /// for emerging-issue detection (`crate::emerging`): only the hours a judgement reads, so
    /// the cost follows their messages, not a month's.
    async fn hourly_counts(
        &self,
        workspace: WorkspaceId,
        hours: &[i64],
    ) -> StoreResult<crate::emerging::HourlyCounts>;
    /// The hour of a series' first message (a topic's first match, a channel's first
    /// message); `None` for an intent (its history is the workspace's) or an empty series.
    async fn series_first_hour(
        &self,
        workspace: WorkspaceId,
        series: &crate::emerging::SeriesKey,
    ) -> StoreResult<Option<i64>>;
    /// A series' inbound messages from `from` to `until`, the most followed authors first, at
    /// most `limit`.
    async fn top_messages(
        &self,
        workspace: WorkspaceId,
        series: &crate::emerging::SeriesKey,
        from: Timestamp,
        until: Timestamp,
        limit: u32,
    ) -> StoreResult<Vec<crate::emerging::TopMessage>>;
    /// One of them, while it is kept (heard in the last [`HEARD_FOR_DAYS`]).
    async fn heard_post(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        external_id: &str,
    ) -> StoreResult<Option<HeardPost>>;
    /// What agents' work is read from (`crate::agent_work`): the events agents recorded in
    /// [from, until), and every reopening (a status change from resolved) in it, each with
    /// its conversation's first message time.
    async fn agent_work_events(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        until: Timestamp,
    ) -> StoreResult<Vec<crate::agent_work::WorkEvent>>;

    // ---- Staffing (issue 17): what `crate::staffing` plans from. Kept last, in one group. ----

    /// From `from` (inclusive) to `until` (exclusive): conversations begun per channel,
    /// 30-minute interval and applied SLA policy; each of those channels' first day. From
    /// `replies_from` to `until`: the brand's replies (not automated) to a customer message,
    /// with those that came within `quick_ms` of it and their time in all.
    async fn staffing_history(
        &self,
        workspace: WorkspaceId,
        from: Timestamp,
        until: Timestamp,
        replies_from: Timestamp,
        quick_ms: i64,
    ) -> StoreResult<crate::staffing::StaffingHistory>;
}

/// How long what an unmatched listening post said is kept after it was heard (its count
/// stays).
pub const HEARD_FOR_DAYS: i64 = 7;

/// Which heard posts to list.
#[derive(Debug, Clone, Default)]
pub struct HeardFilter {
    pub channel: Option<ChannelId>,
    /// Words the post's text contains (case-insensitive, as written).
    pub text: Option<String>,
    /// Only posts by these accounts (channel kind, platform id: a person's identities, for
    /// their export).
    pub authors: Option<Vec<(crate::ChannelKind, String)>>,
    pub limit: u32,
}

/// A listening post that matched no topic, as it was heard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeardPost {
    pub channel_id: ChannelId,
    pub external_id: String,
    /// When its author posted it.
    pub sent_at: Timestamp,
    /// When Earshot heard it (what is kept counts from here).
    pub heard_at: Timestamp,
    pub post: crate::Inbound,
}

/// A reply agents use often.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SavedReply {
    pub id: i64,
    pub name: String,
    pub text: String,
}

/// What an inbox row shows beside the conversation itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxDetail {
    pub id: ConversationId,
    /// The contact's display name, else `@` and a handle of theirs (or their platform id).
    pub customer: Option<String>,
    /// The first 120 characters of the first message.
    pub first_words: String,
    pub sentiment: Option<String>,
    pub intents: Vec<String>,
}
