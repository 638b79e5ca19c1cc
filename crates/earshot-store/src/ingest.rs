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

/// The database side of one ingest transaction.
#[async_trait]
pub(crate) trait IngestTx: Send {
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
    /// Remembers unmatched listening posts: (external id, sent at).
    async fn insert_unmatched(
        &mut self,
        ws: WorkspaceId,
        channel: ChannelId,
        rows: &[(&str, i64)],
    ) -> StoreResult<()>;
    /// Changes made by the batch, as events by the system: (conversation id, at ms, kind,
    /// data JSON).
    async fn insert_events(
        &mut self,
        ws: WorkspaceId,
        rows: &[(i64, i64, &'static str, String)],
    ) -> StoreResult<()>;
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

/// Runs one batch. `now` is the received time stamped on every stored message.
pub(crate) async fn run(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    batch: &[Inbound],
    annotations: &[Annotations],
    now: Timestamp,
) -> StoreResult<Vec<IngestOutcome>> {
    if annotations.len() != batch.len() {
        return Err(earshot_core::store::StoreError::Invalid(format!(
            "{} annotations for {} messages",
            annotations.len(),
            batch.len()
        )));
    }
    let now_ms = to_millis(now);
    let mut outcomes: Vec<Option<IngestOutcome>> = vec![None; batch.len()];

    // Channels, and the batch grouped by channel (threading never crosses channels).
    let mut channel_ids: HashMap<(ChannelKind, &str, ChannelRole), ChannelId> = HashMap::new();
    let mut groups: Vec<(ChannelId, Vec<usize>)> = Vec::new();
    for (i, m) in batch.iter().enumerate() {
        let key = (m.channel, m.account_name(), m.source);
        let channel = match channel_ids.get(&key) {
            Some(&c) => c,
            None => {
                let c = tx.channel(ws, key.0, key.1, key.2, now_ms).await?;
                channel_ids.insert(key, c);
                c
            }
        };
        match groups.iter_mut().find(|(c, _)| *c == channel) {
            Some((_, items)) => items.push(i),
            None => groups.push((channel, vec![i])),
        }
    }

    // Dedupe against the store and within the batch.
    let mut fresh: Vec<(ChannelId, Vec<usize>)> = Vec::new();
    let mut duplicate_of: Vec<(usize, usize)> = Vec::new();
    for (channel, items) in &groups {
        let ids: Vec<&str> = items
            .iter()
            .map(|&i| batch[i].external_id.as_str())
            .collect();
        let stored = tx.stored_messages(ws, *channel, &ids).await?;
        let mut first_in_batch: HashMap<&str, usize> = HashMap::new();
        let mut keep = Vec::new();
        for &i in items {
            let ext = batch[i].external_id.as_str();
            if let Some(&id) = stored.get(ext) {
                outcomes[i] = Some(IngestOutcome::Duplicate { message_id: id });
            } else if let Some(&first) = first_in_batch.get(ext) {
                duplicate_of.push((i, first));
            } else {
                first_in_batch.insert(ext, i);
                keep.push(i);
            }
        }
        // Listening posts that matched no topic are counted, not stored.
        let (unmatched, keep): (Vec<usize>, Vec<usize>) = keep.into_iter().partition(|&i| {
            batch[i].source == ChannelRole::Listening && annotations[i].topics.is_empty()
        });
        if !unmatched.is_empty() {
            let ids: Vec<&str> = unmatched
                .iter()
                .map(|&i| batch[i].external_id.as_str())
                .collect();
            let counted = tx.counted_unmatched(ws, *channel, &ids).await?;
            let new: Vec<(&str, i64)> = unmatched
                .iter()
                .map(|&i| {
                    (
                        batch[i].external_id.as_str(),
                        to_millis(batch[i].created_at),
                    )
                })
                .filter(|(e, _)| !counted.contains(*e))
                .collect();
            tx.insert_unmatched(ws, *channel, &new).await?;
            for i in unmatched {
                outcomes[i] = Some(IngestOutcome::Counted);
            }
        }
        if !keep.is_empty() {
            fresh.push((*channel, keep));
        }
    }

    let identity_of = resolve_identities(tx, ws, batch, &fresh, now_ms).await?;

    let mut message_conversation: HashMap<usize, i64> = HashMap::new();
    let mut awaiting: HashSet<usize> = HashSet::new();
    let mut touched: BTreeSet<i64> = BTreeSet::new();
    let mut new_inbound: HashSet<i64> = HashSet::new();
    // Per conversation, the newest customer message of the batch that carries a priority.
    let mut scored: HashMap<i64, usize> = HashMap::new();
    let mut new_outbound: HashSet<i64> = HashSet::new();
    let mut rows: Vec<MessageRow<'_>> = Vec::new();

    for (channel, items) in &fresh {
        let inputs: Vec<ThreadInput<'_>> = items
            .iter()
            .map(|&i| ThreadInput {
                external_id: &batch[i].external_id,
                in_reply_to: batch[i].in_reply_to.as_deref(),
            })
            .collect();
        let in_batch: HashSet<&str> = inputs.iter().map(|t| t.external_id).collect();
        let parents: Vec<&str> = inputs
            .iter()
            .filter_map(|t| t.in_reply_to)
            .filter(|p| !in_batch.contains(p))
            .collect();
        let ids: Vec<&str> = inputs.iter().map(|t| t.external_id).collect();
        let mut known = KnownThreads {
            parents: if parents.is_empty() {
                HashMap::new()
            } else {
                tx.conversations_of(ws, *channel, &parents).await?
            },
            children: HashMap::new(),
        };
        for (answered, conversation) in tx.conversations_of_replies_to(ws, *channel, &ids).await? {
            known
                .children
                .entry(answered)
                .or_default()
                .push(conversation);
        }
        let plan = threading::plan(&inputs, &known);

        // New conversations: the customer is the author of the earliest inbound message.
        let new_ids = tx
            .allocate_ids(IdTable::Conversations, plan.new_conversations)
            .await?;
        let mut founder: Vec<Option<usize>> = vec![None; plan.new_conversations];
        for (k, &i) in items.iter().enumerate() {
            if let Target::New(g) = plan.targets[k] {
                let better = match founder[g] {
                    None => true,
                    Some(f) => founder_rank(&batch[i]) < founder_rank(&batch[f]),
                };
                if better {
                    founder[g] = Some(i);
                }
            }
        }
        let conversations: Vec<ConversationRow> = founder
            .iter()
            .zip(&new_ids)
            .map(|(f, &id)| {
                let m = &batch[f.expect("every new conversation has a message")];
                ConversationRow {
                    id,
                    channel_id: channel.0,
                    contact_id: identity_of[&(m.channel, m.author.external_id.as_str())].1,
                    sent_at: to_millis(m.created_at),
                }
            })
            .collect();
        tx.insert_conversations(ws, &conversations, now_ms).await?;
        for &(from, into) in &plan.merges {
            tx.merge_conversation(ws, from, into).await?;
            touched.insert(into.0);
        }

        for (k, &i) in items.iter().enumerate() {
            let conversation = match plan.targets[k] {
                Target::Existing(c) => c.0,
                Target::New(g) => new_ids[g],
            };
            message_conversation.insert(i, conversation);
            touched.insert(conversation);
            // An automated message (a rule's acknowledgement) answers nobody: it does not
            // move a new conversation to open.
            match batch[i].direction {
                Direction::In => new_inbound.insert(conversation),
                Direction::Out if !batch[i].automated => new_outbound.insert(conversation),
                Direction::Out => false,
            };
            if batch[i].direction == Direction::In && annotations[i].priority.is_some() {
                let newer = match scored.get(&conversation) {
                    None => true,
                    Some(&j) => batch[i].created_at >= batch[j].created_at,
                };
                if newer {
                    scored.insert(conversation, i);
                }
            }
            if plan.awaiting_parent[k] {
                awaiting.insert(i);
            }
        }
    }

    // Messages.
    let count: usize = fresh.iter().map(|(_, items)| items.len()).sum();
    let message_ids = tx.allocate_ids(IdTable::Messages, count).await?;
    let mut next_id = message_ids.iter();
    let mut message_id_of: HashMap<usize, i64> = HashMap::new();
    for (channel, items) in &fresh {
        for &i in items {
            let m = &batch[i];
            let id = *next_id.next().expect("allocated one id per message");
            message_id_of.insert(i, id);
            rows.push(MessageRow {
                id,
                channel_id: channel.0,
                conversation_id: message_conversation[&i],
                identity_id: identity_of[&(m.channel, m.author.external_id.as_str())].0,
                inbound: m,
                raw: m
                    .raw
                    .as_ref()
                    .map_or_else(|| "null".to_string(), |r| r.to_string()),
            });
        }
    }
    tx.insert_messages(ws, &rows, now_ms).await?;
    let topic_rows: Vec<(i64, i64)> = rows
        .iter()
        .zip(fresh.iter().flat_map(|(_, items)| items.iter()))
        .flat_map(|(row, &i)| annotations[i].topics.iter().map(move |t| (row.id, t.0)))
        .collect();
    if !topic_rows.is_empty() {
        tx.insert_message_topics(ws, &topic_rows).await?;
    }
    let enrichment_rows: Vec<EnrichmentRow> = rows
        .iter()
        .zip(fresh.iter().flat_map(|(_, items)| items.iter()))
        .filter_map(|(row, &i)| {
            annotations[i]
                .enrichment
                .as_ref()
                .map(|e| EnrichmentRow::new(row.id, e))
        })
        .collect();
    if !enrichment_rows.is_empty() {
        tx.insert_enrichments(ws, &enrichment_rows).await?;
    }

    // Timelines and statuses of every conversation the batch touched.
    let touched: Vec<i64> = touched.into_iter().collect();
    let current = tx.timelines(ws, &touched).await?;
    let updates: Vec<ConversationUpdate> = touched
        .iter()
        .filter_map(|id| {
            let Current {
                status, entries, ..
            } = current.get(id)?;
            let timeline = Timeline::from_entries(entries)?;
            let priority = scored
                .get(id)
                .and_then(|&i| annotations[i].priority.as_ref());
            let mood = scored
                .get(id)
                .and_then(|&i| annotations[i].enrichment.as_ref())
                .map(|e| (e.sentiment.label.clone(), intents_json(e)));
            Some(ConversationUpdate {
                mood,
                id: *id,
                status: status.after_messages(new_inbound.contains(id), new_outbound.contains(id)),
                priority: match priority {
                    _ if timeline.waiting_since.is_none() => Some((0, None)),
                    Some(p) => Some((
                        p.score,
                        Some(serde_json::to_string(p).expect("a priority serializes")),
                    )),
                    None => None,
                },
                sla_due: sla_due(&timeline, priority),
                timeline,
            })
        })
        .collect();
    tx.update_conversations(ws, &updates, now_ms).await?;
    // What the messages changed goes on the conversations' histories (by the system): status
    // (the brand answering a new conversation, the customer writing to a resolved, pending or
    // snoozed one), priority (a customer message scored; nobody waiting any more) and the SLA
    // due time.
    let mut transitions: HashMap<i64, (ConversationStatus, ConversationStatus)> = HashMap::new();
    let mut events: Vec<(i64, i64, &'static str, String)> = Vec::new();
    for u in &updates {
        let Some(before) = current.get(&u.id) else {
            continue;
        };
        if before.status != u.status {
            transitions.insert(u.id, (before.status, u.status));
            let by = if u.status == ConversationStatus::Open
                && before.status == ConversationStatus::New
            {
                "the brand answered"
            } else {
                "the customer wrote"
            };
            events.push((
                u.id,
                now_ms,
                "status_changed",
                serde_json::json!({"from": before.status, "to": u.status, "because": by})
                    .to_string(),
            ));
        }
        if let Some((to, _)) = &u.priority {
            if *to != before.priority {
                events.push((
                    u.id,
                    now_ms,
                    "priority_changed",
                    serde_json::json!({"from": before.priority, "to": to}).to_string(),
                ));
            }
        }
        if let Some(due) = u.sla_due {
            let to = due.map(|d| d.0);
            if to != before.sla_due {
                let ms = |v: Option<i64>| v.map(earshot_core::time::from_millis);
                events.push((
                    u.id,
                    now_ms,
                    "sla_due",
                    serde_json::json!({"from": ms(before.sla_due), "to": ms(to)}).to_string(),
                ));
            }
        }
    }
    if !events.is_empty() {
        tx.insert_events(ws, &events).await?;
    }

    for (_, items) in &fresh {
        for &i in items {
            let conversation = message_conversation[&i];
            outcomes[i] = Some(IngestOutcome::Stored {
                message_id: MessageId(message_id_of[&i]),
                conversation_id: ConversationId(conversation),
                awaiting_parent: awaiting.contains(&i),
                status_changed: transitions.get(&conversation).copied(),
            });
        }
    }
    for (i, first) in duplicate_of {
        outcomes[i] = Some(IngestOutcome::Duplicate {
            message_id: MessageId(message_id_of[&first]),
        });
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.expect("every message has an outcome"))
        .collect())
}

/// Inbound before outbound, then the earliest.
fn founder_rank(m: &Inbound) -> (bool, Timestamp) {
    (m.direction == Direction::Out, m.created_at)
}

/// Finds or creates the identity (and, for a new one, its contact) of every author in the
/// fresh messages, refreshing profiles that changed. Returns (kind, external id) →
/// (identity id, contact id).
async fn resolve_identities<'b>(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    batch: &'b [Inbound],
    fresh: &[(ChannelId, Vec<usize>)],
    now: i64,
) -> StoreResult<HashMap<(ChannelKind, &'b str), (i64, i64)>> {
    // The latest profile of each author in the batch wins.
    let mut latest: HashMap<(ChannelKind, &'b str), &'b Inbound> = HashMap::new();
    for (_, items) in fresh {
        for &i in items {
            let m = &batch[i];
            latest
                .entry((m.channel, m.author.external_id.as_str()))
                .and_modify(|seen| {
                    if m.created_at >= seen.created_at {
                        *seen = m;
                    }
                })
                .or_insert(m);
        }
    }
    let mut by_kind: HashMap<ChannelKind, Vec<&'b str>> = HashMap::new();
    for (kind, ext) in latest.keys() {
        by_kind.entry(*kind).or_default().push(ext);
    }

    let mut resolved = HashMap::new();
    let mut missing: Vec<(ChannelKind, &'b str)> = Vec::new();
    for (kind, externals) in &mut by_kind {
        externals.sort_unstable();
        let stored: HashMap<String, IdentityRow> = tx
            .identities(ws, *kind, externals)
            .await?
            .into_iter()
            .map(|r| (r.external_id.clone(), r))
            .collect();
        for ext in externals.iter() {
            match stored.get(*ext) {
                Some(row) => {
                    let wanted = refreshed(row, latest[&(*kind, *ext)]);
                    if !row.same_profile(&wanted) {
                        tx.update_identity(ws, &wanted, now).await?;
                    }
                    resolved.insert((*kind, *ext), (row.id, row.contact_id));
                }
                None => missing.push((*kind, ext)),
            }
        }
    }
    if missing.is_empty() {
        return Ok(resolved);
    }
    missing.sort_unstable();
    let contact_ids = tx.allocate_ids(IdTable::Contacts, missing.len()).await?;
    let identity_ids = tx.allocate_ids(IdTable::Identities, missing.len()).await?;
    let mut contacts = Vec::with_capacity(missing.len());
    let mut identities = Vec::with_capacity(missing.len());
    for ((key, &contact_id), &identity_id) in missing.iter().zip(&contact_ids).zip(&identity_ids) {
        let m = latest[key];
        contacts.push(ContactRow {
            id: contact_id,
            display_name: m
                .author
                .display_name
                .clone()
                .or_else(|| m.author.handle.clone()),
        });
        identities.push(profile_row(identity_id, contact_id, m));
        resolved.insert(*key, (identity_id, contact_id));
    }
    tx.insert_contacts(ws, &contacts, now).await?;
    tx.insert_identities(ws, &identities, now).await?;
    Ok(resolved)
}

/// A stored profile updated with what the new message says; a message that says nothing of a
/// field (an X tweet without the user expansion, say) leaves it as it was.
fn refreshed(stored: &IdentityRow, m: &Inbound) -> IdentityRow {
    IdentityRow {
        handle: m.author.handle.clone().or_else(|| stored.handle.clone()),
        display_name: m
            .author
            .display_name
            .clone()
            .or_else(|| stored.display_name.clone()),
        followers: m.author.followers.map(i64::from).or(stored.followers),
        verified: m.author.verified || stored.verified,
        ..stored.clone()
    }
}

fn profile_row(id: i64, contact_id: i64, m: &Inbound) -> IdentityRow {
    IdentityRow {
        id,
        contact_id,
        kind: m.channel,
        external_id: m.author.external_id.clone(),
        handle: m.author.handle.clone(),
        display_name: m.author.display_name.clone(),
        followers: m.author.followers.map(i64::from),
        verified: m.author.verified,
    }
}
