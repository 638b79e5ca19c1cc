//! One batch through the store, as named steps: channels, dedupe, identities, threading,
//! messages, timelines, identity links. Each step reads and writes set-based through [`IngestTx`].

use super::identities::resolve_identities;
use super::links::link_identities;
use super::*;

/// Channel → the batch's messages on it, in batch order.
type Groups = Vec<(ChannelId, Vec<usize>)>;
/// Per conversation, the status change the batch made (from, to).
type Transitions = HashMap<i64, (ConversationStatus, ConversationStatus)>;
/// (kind, author's external id) → (identity id, contact id).
type Identities<'b> = HashMap<(ChannelKind, &'b str), (i64, i64)>;

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
    let groups = channels(tx, ws, batch, now_ms).await?;
    // Erased people first: nothing of theirs is kept, not even what an unmatched listening
    // post said (dedupe keeps that).
    let groups = drop_erased(tx, ws, batch, groups, &mut outcomes).await?;
    let (fresh, duplicate_of) =
        dedupe(tx, ws, batch, annotations, &groups, &mut outcomes, now_ms).await?;
    let resolved = resolve_identities(tx, ws, batch, &fresh, now_ms).await?;
    let identity_of = &resolved.identity_of;
    let threads = thread(tx, ws, batch, annotations, &fresh, identity_of, now_ms).await?;
    let message_id_of = store_messages(
        tx,
        ws,
        batch,
        annotations,
        &fresh,
        &threads,
        identity_of,
        now_ms,
    )
    .await?;
    let transitions = update_timelines(tx, ws, annotations, &threads, now_ms).await?;
    link_identities(tx, ws, batch, &fresh, &resolved, &message_id_of, now).await?;

    for (_, items) in &fresh {
        for &i in items {
            let conversation = threads.conversation_of[&i];
            outcomes[i] = Some(IngestOutcome::Stored {
                message_id: MessageId(message_id_of[&i]),
                conversation_id: ConversationId(conversation),
                awaiting_parent: threads.awaiting.contains(&i),
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

/// Leaves out the messages of erased people (their identity's tombstone is on file), before
/// anything of the batch is kept: they are `Erased`. Costs nothing in a workspace that never
/// erased anyone.
async fn drop_erased(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    batch: &[Inbound],
    groups: Groups,
    outcomes: &mut [Option<IngestOutcome>],
) -> StoreResult<Groups> {
    let Some(salt) = tx.erasure_salt(ws).await? else {
        return Ok(groups);
    };
    // A message is erased when its author was, when it is one an erasure deleted (the brand's
    // answer to the person, sent again), or when the brand's message answers one of those.
    let hashes_of = |m: &Inbound| {
        use earshot_core::privacy::{message_tombstone, tombstone};
        let mut h = vec![
            tombstone(&salt, m.channel, &m.author.external_id),
            message_tombstone(&salt, m.channel, &m.external_id),
        ];
        if let (Direction::Out, Some(parent)) = (m.direction, &m.in_reply_to) {
            h.push(message_tombstone(&salt, m.channel, parent));
        }
        h
    };
    let hashes: HashMap<usize, Vec<String>> = groups
        .iter()
        .flat_map(|(_, items)| items.iter().map(|&i| (i, hashes_of(&batch[i]))))
        .collect();
    let mut all: Vec<String> = hashes.values().flatten().cloned().collect();
    all.sort_unstable();
    all.dedup();
    let erased = tx.erased_among(ws, &all).await?;
    if erased.is_empty() {
        return Ok(groups);
    }
    Ok(groups
        .into_iter()
        .map(|(channel, items)| {
            let kept = items
                .into_iter()
                .filter(|i| {
                    let keep = !hashes[i].iter().any(|h| erased.contains(h));
                    if !keep {
                        outcomes[*i] = Some(IngestOutcome::Erased);
                    }
                    keep
                })
                .collect();
            (channel, kept)
        })
        .collect())
}

/// The channel of every message (created when new), and the batch grouped by channel
/// (threading never crosses channels).
async fn channels(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    batch: &[Inbound],
    now_ms: i64,
) -> StoreResult<Groups> {
    let mut channel_ids: HashMap<(ChannelKind, &str, ChannelRole), ChannelId> = HashMap::new();
    let mut groups: Groups = Vec::new();
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
    Ok(groups)
}

/// Dedupe against the store and within the batch; listening posts that matched no topic are
/// counted (once), not stored. Returns the fresh messages per channel, and the batch's
/// repeats with the index of their first occurrence.
async fn dedupe(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    batch: &[Inbound],
    annotations: &[Annotations],
    groups: &Groups,
    outcomes: &mut [Option<IngestOutcome>],
    now_ms: i64,
) -> StoreResult<(Groups, Vec<(usize, usize)>)> {
    let mut fresh: Groups = Vec::new();
    let mut duplicate_of: Vec<(usize, usize)> = Vec::new();
    for (channel, items) in groups {
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
        let (unmatched, keep): (Vec<usize>, Vec<usize>) = keep.into_iter().partition(|&i| {
            batch[i].source == ChannelRole::Listening
                && annotations[i].topics.is_empty()
                && !annotations[i].opened_by_agent
        });
        if !unmatched.is_empty() {
            let ids: Vec<&str> = unmatched
                .iter()
                .map(|&i| batch[i].external_id.as_str())
                .collect();
            let counted = tx.counted_unmatched(ws, *channel, &ids).await?;
            let new: Vec<super::Unmatched> = unmatched
                .iter()
                .filter(|&&i| !counted.contains(batch[i].external_id.as_str()))
                .map(|&i| super::Unmatched {
                    external_id: batch[i].external_id.as_str(),
                    sent_at: to_millis(batch[i].created_at),
                    heard_at: now_ms,
                    author_id: batch[i].author.external_id.as_str(),
                    text: batch[i].text.to_lowercase(),
                    post: serde_json::to_string(&batch[i]).expect("a message encodes"),
                })
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
    // A second copy of a listening post that was only counted is counted too (it has no
    // stored message to be a duplicate of).
    let duplicate_of = duplicate_of
        .into_iter()
        .filter(|&(i, first)| {
            let counted = matches!(outcomes[first], Some(IngestOutcome::Counted));
            if counted {
                outcomes[i] = Some(IngestOutcome::Counted);
            }
            !counted
        })
        .collect();
    Ok((fresh, duplicate_of))
}

/// Where threading put the fresh messages, and what that touched.
#[derive(Default)]
struct Threads {
    conversation_of: HashMap<usize, i64>,
    awaiting: HashSet<usize>,
    touched: BTreeSet<i64>,
    new_inbound: HashSet<i64>,
    /// Conversations the brand answered in this batch (automated messages answer nobody).
    new_outbound: HashSet<i64>,
    /// Per conversation, the newest customer message of the batch that carries a priority.
    scored: HashMap<i64, usize>,
}

/// Threads every fresh message into a conversation (new ones opened for their founders,
/// conversations joined by a late parent merged) with `earshot_core::threading::plan`.
async fn thread(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    batch: &[Inbound],
    annotations: &[Annotations],
    fresh: &Groups,
    identity_of: &Identities<'_>,
    now_ms: i64,
) -> StoreResult<Threads> {
    let mut t = Threads::default();
    for (channel, items) in fresh {
        let inputs: Vec<ThreadInput<'_>> = items
            .iter()
            .map(|&i| ThreadInput {
                external_id: &batch[i].external_id,
                in_reply_to: batch[i].in_reply_to.as_deref(),
                session: is_session(&batch[i]).then_some(batch[i].author.external_id.as_str()),
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
            sessions: HashMap::new(),
        };
        let authors: Vec<&str> = inputs.iter().filter_map(|t| t.session).collect();
        if !authors.is_empty() {
            let kind = batch[items[0]].channel;
            known.sessions = tx
                .open_conversations_of(ws, *channel, kind, &authors)
                .await?;
        }
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
            t.touched.insert(into.0);
        }

        for (k, &i) in items.iter().enumerate() {
            let conversation = match plan.targets[k] {
                Target::Existing(c) => c.0,
                Target::New(g) => new_ids[g],
            };
            t.conversation_of.insert(i, conversation);
            t.touched.insert(conversation);
            // An automated message (a rule's acknowledgement) answers nobody: it does not
            // move a new conversation to open.
            match batch[i].direction {
                Direction::In => t.new_inbound.insert(conversation),
                Direction::Out if !batch[i].automated => t.new_outbound.insert(conversation),
                Direction::Out => false,
            };
            if batch[i].direction == Direction::In && annotations[i].priority.is_some() {
                let newer = match t.scored.get(&conversation) {
                    None => true,
                    Some(&j) => batch[i].created_at >= batch[j].created_at,
                };
                if newer {
                    t.scored.insert(conversation, i);
                }
            }
            if plan.awaiting_parent[k] {
                t.awaiting.insert(i);
            }
        }
    }
    Ok(t)
}

/// A customer's private message that answers nothing: it continues their open conversation.
fn is_session(m: &Inbound) -> bool {
    m.direction == Direction::In
        && m.visibility == earshot_core::Visibility::Private
        && m.in_reply_to.is_none()
}

/// Inbound before outbound, then the earliest.
fn founder_rank(m: &Inbound) -> (bool, Timestamp) {
    (m.direction == Direction::Out, m.created_at)
}

/// Writes the fresh messages, their matched topics and their enrichments; returns each
/// message's id.
#[allow(clippy::too_many_arguments)]
async fn store_messages(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    batch: &[Inbound],
    annotations: &[Annotations],
    fresh: &Groups,
    threads: &Threads,
    identity_of: &Identities<'_>,
    now_ms: i64,
) -> StoreResult<HashMap<usize, i64>> {
    let count: usize = fresh.iter().map(|(_, items)| items.len()).sum();
    let message_ids = tx.allocate_ids(IdTable::Messages, count).await?;
    let mut next_id = message_ids.iter();
    let mut message_id_of: HashMap<usize, i64> = HashMap::new();
    let mut rows: Vec<MessageRow<'_>> = Vec::with_capacity(count);
    for (channel, items) in fresh {
        for &i in items {
            let m = &batch[i];
            let id = *next_id.next().expect("allocated one id per message");
            message_id_of.insert(i, id);
            rows.push(MessageRow {
                id,
                channel_id: channel.0,
                conversation_id: threads.conversation_of[&i],
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
    let in_order = || fresh.iter().flat_map(|(_, items)| items.iter());
    let topic_rows: Vec<(i64, i64)> = rows
        .iter()
        .zip(in_order())
        .flat_map(|(row, &i)| annotations[i].topics.iter().map(move |t| (row.id, t.0)))
        .collect();
    if !topic_rows.is_empty() {
        tx.insert_message_topics(ws, &topic_rows).await?;
    }
    let enrichment_rows: Vec<EnrichmentRow> = rows
        .iter()
        .zip(in_order())
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
    Ok(message_id_of)
}

/// Recomputes the timeline, status, priority, mood and out-of-the-box SLA due time of every
/// conversation the batch touched, and records what changed on their histories (by the
/// system). Returns the status changes, per conversation.
async fn update_timelines(
    tx: &mut dyn IngestTx,
    ws: WorkspaceId,
    annotations: &[Annotations],
    threads: &Threads,
    now_ms: i64,
) -> StoreResult<Transitions> {
    let touched: Vec<i64> = threads.touched.iter().copied().collect();
    let current = tx.timelines(ws, &touched).await?;
    let updates: Vec<ConversationUpdate> = touched
        .iter()
        .filter_map(|id| {
            let Current {
                status, entries, ..
            } = current.get(id)?;
            let timeline = Timeline::from_entries(entries)?;
            let scored = threads.scored.get(id).copied();
            let priority = scored.and_then(|i| annotations[i].priority.as_ref());
            let mood = scored
                .and_then(|i| annotations[i].enrichment.as_ref())
                .map(|e| (e.sentiment.label.clone(), intents_json(e)));
            Some(ConversationUpdate {
                mood,
                id: *id,
                status: status.after_messages(
                    threads.new_inbound.contains(id),
                    threads.new_outbound.contains(id),
                ),
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
    let (transitions, events) = history(&updates, &current, now_ms);
    // Status changes are facts of the messages; priority and SLA due are decisions the
    // decide stage may still make again in this unit, so they are held until it commits.
    let (decisions, facts): (Vec<_>, Vec<_>) = events
        .into_iter()
        .partition(|e| matches!(e.2, "priority_changed" | "sla_due"));
    tx.insert_events(ws, &facts).await?;
    tx.held_events().extend(decisions);
    Ok(transitions)
}

/// What the messages changed, as events by the system: status (the brand answering a new
/// conversation, the customer writing to a resolved, pending or snoozed one), priority (a
/// customer message scored; nobody waiting any more) and the SLA due time.
fn history(
    updates: &[ConversationUpdate],
    current: &HashMap<i64, Current>,
    now_ms: i64,
) -> (Transitions, Vec<(i64, i64, &'static str, String)>) {
    let mut transitions = HashMap::new();
    let mut events = Vec::new();
    for u in updates {
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
    (transitions, events)
}
