//! The ingest algorithm, written once for both databases. Each database supplies set-based
//! statements through [`IngestTx`] (one round trip per step for a whole batch, not per
//! message); the decisions (dedupe, identity resolution, threading, timelines, status) are
//! made here and in `earshot-core`, inside the caller's transaction.

use async_trait::async_trait;
use earshot_core::store::{waiting_key, Annotations, IngestOutcome, StoreResult};
use earshot_core::threading::{self, KnownThreads, Target, ThreadInput};
use earshot_core::time::{to_millis, Timestamp};
use earshot_core::timeline::{Timeline, TimelineEntry};
use earshot_core::{
    ChannelId, ChannelKind, ChannelRole, ConversationId, ConversationStatus, Direction, Inbound,
    MessageId, WorkspaceId,
};
use std::collections::{BTreeSet, HashMap, HashSet};

mod identities;
mod links;
mod run;

pub(crate) use run::run;

/// An event ingest records by the system: (conversation id, at ms, kind, data JSON).
pub(crate) type EventRow = (i64, i64, &'static str, String);

/// Works a conversation's timeline figures (counts, first and last message, who waits since
/// when, first response) out again from the messages it still has, after some were deleted
/// (an erasure, retention); nobody waiting any more clears the priority and the SLA clock.
pub(crate) async fn recompute_timelines(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    ids: &[i64],
    now_ms: i64,
) -> StoreResult<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let current = tx.timelines(ws, ids).await?;
    let updates: Vec<ConversationUpdate> = ids
        .iter()
        .filter_map(|id| {
            let c = current.get(id)?;
            let timeline = Timeline::from_entries(&c.entries)?;
            let idle = timeline.waiting_since.is_none();
            Some(ConversationUpdate {
                id: *id,
                status: c.status,
                priority: idle.then_some((0, None)),
                sla_due: idle.then_some(None),
                mood: None,
                timeline,
            })
        })
        .collect();
    tx.update_conversations(ws, &updates, now_ms).await
}

/// A message's attachments as the `attachments` column keeps them: a JSON array, or NULL
/// when it carried none.
pub(crate) fn attachments_json(m: &earshot_core::Inbound) -> Option<String> {
    (!m.attachments.is_empty())
        .then(|| serde_json::to_string(&m.attachments).expect("attachments serialize"))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdTable {
    Contacts,
    Identities,
    Conversations,
    Messages,
}

impl IdTable {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Contacts => "contacts",
            Self::Identities => "identities",
            Self::Conversations => "conversations",
            Self::Messages => "messages",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IdentityRow {
    pub id: i64,
    pub contact_id: i64,
    pub kind: ChannelKind,
    pub external_id: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub followers: Option<i64>,
    pub verified: bool,
}

impl IdentityRow {
    fn same_profile(&self, other: &IdentityRow) -> bool {
        self.handle == other.handle
            && self.display_name == other.display_name
            && self.followers == other.followers
            && self.verified == other.verified
    }
}

#[derive(Debug, Clone)]
pub(crate) struct ContactRow {
    pub id: i64,
    pub display_name: Option<String>,
    /// One of the brand's own accounts (it authored outbound messages): not a customer.
    pub brand: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct ConversationRow {
    pub id: i64,
    pub channel_id: i64,
    pub contact_id: i64,
    /// Provisional: the timeline update of the same transaction sets the real figures.
    pub sent_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct MessageRow<'a> {
    pub id: i64,
    pub channel_id: i64,
    pub conversation_id: i64,
    pub identity_id: i64,
    pub inbound: &'a Inbound,
    pub raw: String,
}

/// One identifier to record beside an identity.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewIdentifier {
    pub identity_id: i64,
    pub kind: earshot_core::identifiers::IdentifierKind,
    pub value: String,
    pub verified: bool,
    pub message_id: Option<i64>,
}

/// A live customer contact that holds an identifier.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Holder {
    pub kind: earshot_core::identifiers::IdentifierKind,
    pub value: String,
    pub contact_id: i64,
    pub verified: bool,
    pub display_name: Option<String>,
}

/// A conversation as a batch finds it.
#[derive(Debug, Clone)]
pub(crate) struct Current {
    pub status: ConversationStatus,
    pub priority: i32,
    pub sla_due: Option<i64>,
    pub entries: Vec<TimelineEntry>,
}

#[derive(Debug, Clone)]
pub(crate) struct ConversationUpdate {
    pub id: i64,
    pub status: ConversationStatus,
    pub timeline: Timeline,
    /// The new priority score and its serialized detail: set when a customer message of
    /// this batch was scored, `(0, None)` when nobody waits any more (the brand answered: the
    /// conversation needs no attention until the customer writes again); `None` keeps the
    /// stored one.
    pub priority: Option<(i32, Option<String>)>,
    /// `None`: keep the stored due time; `Some(None)`: nobody waits any more;
    /// `Some(Some((due, warn)))`: the new due and warning times (ms).
    pub sla_due: Option<Option<(i64, i64)>>,
    /// The sentiment and intents (a JSON array) of the newest scored customer message of the
    /// batch; `None` keeps the stored ones.
    pub mood: Option<(String, String)>,
}

impl ConversationUpdate {
    pub(crate) fn waiting_key(&self) -> i64 {
        waiting_key(self.timeline.waiting_since)
    }
}

/// The SLA due time after a batch: cleared when nobody waits; when a customer message of the
/// batch was scored, its priority picks the out-of-the-box policy (urgent: 1 hour, otherwise
/// 24 hours) counted from the oldest unanswered customer message; otherwise unchanged.
fn sla_due(
    t: &Timeline,
    priority: Option<&earshot_core::priority::Priority>,
) -> Option<Option<(i64, i64)>> {
    let Some(waiting) = t.waiting_since else {
        return Some(None);
    };
    let p = priority?;
    let policy = earshot_core::sla::Policy::out_of_the_box(&p.label);
    let answered = t.first_response_at.is_some();
    let due = policy.response_due(waiting, answered)?;
    let warn = policy.warning_due(waiting, answered).unwrap_or(due);
    Some(Some((due.timestamp_millis(), warn.timestamp_millis())))
}

/// The identity steps' statements (identifiers, blocking keys, tombstones, links): the same
/// SQL on both databases, so they are implemented once, in `shared/unit.rs`, for each
/// backend's transaction.
#[async_trait]
pub(crate) trait IdentityTx: Send {
    /// Records identifiers beside identities (a known one stays; it becomes verified).
    async fn insert_identifiers(
        &mut self,
        ws: WorkspaceId,
        rows: &[NewIdentifier],
        now: i64,
    ) -> StoreResult<()>;
    /// The live customer contacts holding any of these identifiers.
    async fn identifier_holders(
        &mut self,
        ws: WorkspaceId,
        keys: &[(earshot_core::identifiers::IdentifierKind, &str)],
    ) -> StoreResult<Vec<Holder>>;
    /// The verified identifiers of these contacts: (contact, kind, value).
    async fn verified_identifiers(
        &mut self,
        ws: WorkspaceId,
        contacts: &[i64],
    ) -> StoreResult<Vec<(i64, earshot_core::identifiers::IdentifierKind, String)>>;
    /// The workspace's erasure salt, when it ever erased anyone.
    async fn erasure_salt(&mut self, ws: WorkspaceId) -> StoreResult<Option<String>>;
    /// Which of these tombstones are on file.
    async fn erased_among(
        &mut self,
        ws: WorkspaceId,
        hashes: &[String],
    ) -> StoreResult<HashSet<String>>;
    /// Records the matcher's blocking keys: (identity id, key); known ones stay.
    async fn insert_identity_keys(
        &mut self,
        ws: WorkspaceId,
        rows: &[(i64, String)],
    ) -> StoreResult<()>;
    /// Whether the pair was rejected as one person (by an agent, or by undoing a join).
    async fn rejected_pair(&mut self, ws: WorkspaceId, a: i64, b: i64) -> StoreResult<bool>;
    /// Merges contact `from` into `into`, recorded (with `reason`) so it can be undone.
    async fn merge_contacts(
        &mut self,
        ws: WorkspaceId,
        into: i64,
        from: i64,
        at: Timestamp,
        reason: &str,
    ) -> StoreResult<()>;
    /// Gives the orders that no contact held yet and that name one of these identifiers to
    /// the contact now holding it, and derives that contact's value.
    async fn attach_orders(
        &mut self,
        ws: WorkspaceId,
        keys: &[(earshot_core::identifiers::IdentifierKind, &str)],
        now: i64,
    ) -> StoreResult<()>;
}

/// The database side of one ingest transaction.
#[async_trait]
pub(crate) trait IngestTx: IdentityTx + Send {
    async fn channel(
        &mut self,
        ws: WorkspaceId,
        kind: ChannelKind,
        name: &str,
        role: ChannelRole,
        now: i64,
    ) -> StoreResult<ChannelId>;
    /// Stored messages of the channel among `external_ids`: external id → message id.
    async fn stored_messages(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<HashMap<String, MessageId>>;
    /// Conversations of stored messages among `external_ids`.
    async fn conversations_of(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<HashMap<String, ConversationId>>;
    /// Conversations of stored replies to `external_ids`: (answered id, conversation).
    /// For each author (their external id on the channel): the newest conversation of their
    /// contact on this channel that is not resolved.
    async fn open_conversations_of(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        kind: earshot_core::ChannelKind,
        authors: &[&str],
    ) -> StoreResult<HashMap<String, ConversationId>>;
    async fn conversations_of_replies_to(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<Vec<(String, ConversationId)>>;
    async fn identities(
        &mut self,
        ws: WorkspaceId,
        kind: ChannelKind,
        external_ids: &[&str],
    ) -> StoreResult<Vec<IdentityRow>>;
    /// `n` fresh ids for `table`, valid for this transaction.
    async fn allocate_ids(&mut self, table: IdTable, n: usize) -> StoreResult<Vec<i64>>;
    async fn insert_contacts(
        &mut self,
        ws: WorkspaceId,
        rows: &[ContactRow],
        now: i64,
    ) -> StoreResult<()>;
    async fn insert_identities(
        &mut self,
        ws: WorkspaceId,
        rows: &[IdentityRow],
        now: i64,
    ) -> StoreResult<()>;
    async fn update_identity(
        &mut self,
        ws: WorkspaceId,
        row: &IdentityRow,
        now: i64,
    ) -> StoreResult<()>;
    async fn insert_conversations(
        &mut self,
        ws: WorkspaceId,
        rows: &[ConversationRow],
        now: i64,
    ) -> StoreResult<()>;
    /// Moves every message of `from` into `into` and deletes `from`.
    async fn merge_conversation(
        &mut self,
        ws: WorkspaceId,
        from: ConversationId,
        into: ConversationId,
    ) -> StoreResult<()>;
    async fn insert_messages(
        &mut self,
        ws: WorkspaceId,
        rows: &[MessageRow<'_>],
        now: i64,
    ) -> StoreResult<()>;
    /// Current status, priority and SLA due time, and every message's direction and time,
    /// per conversation.
    async fn timelines(
        &mut self,
        ws: WorkspaceId,
        ids: &[i64],
    ) -> StoreResult<HashMap<i64, Current>>;
    async fn update_conversations(
        &mut self,
        ws: WorkspaceId,
        rows: &[ConversationUpdate],
        now: i64,
    ) -> StoreResult<()>;
    /// Which of `external_ids` were already counted as unmatched listening posts.
    async fn counted_unmatched(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        external_ids: &[&str],
    ) -> StoreResult<HashSet<String>>;
    /// Remembers unmatched listening posts (counted once for share of voice) and keeps what
    /// each said (`listening_heard`, for agents, a week).
    async fn insert_unmatched(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        rows: &[Unmatched<'_>],
    ) -> StoreResult<()>;
    /// Changes made by the batch, as events by the system.
    async fn insert_events(&mut self, ws: WorkspaceId, rows: &[EventRow]) -> StoreResult<()>;
    /// The decisions ingest made about the batch's conversations (priority, SLA due time),
    /// held until the unit commits: the decide stage's changes of the same fields in the
    /// same unit fold into them (see [`crate::changes::fold_held`]), so a batch records one
    /// change per field, from what it was before the batch to what was decided.
    fn held_events(&mut self) -> &mut Vec<EventRow>;
    /// (message id, topic id) pairs.
    async fn insert_message_topics(
        &mut self,
        ws: WorkspaceId,
        rows: &[(i64, i64)],
    ) -> StoreResult<()>;
    async fn insert_enrichments(
        &mut self,
        ws: WorkspaceId,
        rows: &[EnrichmentRow],
    ) -> StoreResult<()>;
}

/// One message's enrichment as stored: the filterable columns and the whole as JSON.
pub(crate) struct EnrichmentRow {
    pub message_id: i64,
    pub language: String,
    pub sentiment: String,
    pub polarity: f32,
    pub urgency: f32,
    pub intents: String,
    pub detail: String,
}

/// The names of the intents that hold, as the JSON array stored beside messages and
/// conversations.
fn intents_json(e: &earshot_core::enrichment::Enrichment) -> String {
    let intents: Vec<&str> = e.intents.iter().map(|i| i.name.as_str()).collect();
    serde_json::to_string(&intents).expect("strings serialize")
}

impl EnrichmentRow {
    fn new(message_id: i64, e: &earshot_core::enrichment::Enrichment) -> Self {
        Self {
            message_id,
            language: e.language.clone(),
            sentiment: e.sentiment.label.clone(),
            polarity: e.sentiment.score,
            urgency: e.urgency.score,
            intents: intents_json(e),
            detail: serde_json::to_string(e).expect("an enrichment serializes"),
        }
    }
}

/// A listening post that matched no topic, as ingest keeps it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Unmatched<'a> {
    pub external_id: &'a str,
    pub sent_at: i64,
    pub heard_at: i64,
    pub author_id: &'a str,
    /// Its words, lower-cased (what agents search).
    pub text: String,
    /// The post in the normalized format (JSON).
    pub post: String,
}
