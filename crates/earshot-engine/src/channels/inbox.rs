//! The webhook worker: what the webhook handlers accepted (kept in the store's queue before
//! they answered the platform) is decoded by the channel's platform module and fed through
//! the pipeline; delivery statuses move replies' states, deletions mark messages. A call is
//! marked processed only after what it carried is stored, so a process killed in between
//! processes it again at start, and dedupe makes that exactly once in effect.

use super::Channels;
use crate::Pipeline;
use earshot_core::connector::{ConnectedChannel, WebhookCall};
use earshot_core::store::StoreResult;
use earshot_core::{ChannelId, Inbound, WorkspaceId};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tokio::sync::Notify;

/// Calls taken per round (their messages go through the pipeline as one batch per
/// workspace).
const ROUND: u32 = 200;
/// How long processed calls stay for admins to look at (`GET /api/v1/channels/{id}/calls`).
const KEEP_PROCESSED: chrono::Duration = chrono::Duration::days(7);
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

pub struct WebhookWorker {
    channels: Arc<Channels>,
    pipeline: Arc<Pipeline>,
    /// Woken by the webhook handlers after each accepted call.
    pub wake: Arc<Notify>,
}

/// What one drain did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    pub calls: usize,
    pub messages: usize,
    pub statuses: usize,
}

/// What a call carried besides messages, to apply once its messages are stored.
struct Applied {
    ws: WorkspaceId,
    channel: earshot_core::Channel,
    statuses: Vec<earshot_core::connector::StatusReport>,
    deleted: Vec<String>,
    reactions: Vec<earshot_channels::webhook::Reaction>,
}

impl WebhookWorker {
    /// A reaction goes into the history of the conversation of the message it reacts to
    /// (a reaction to a message Earshot does not have is logged and dropped).
    async fn react(
        &self,
        ws: WorkspaceId,
        channel: &earshot_core::Channel,
        r: &earshot_channels::webhook::Reaction,
    ) -> StoreResult<()> {
        let store = &self.channels.store;
        let Some(m) = store
            .message_by_external_id(ws, channel.kind, &channel.name, &r.platform_id)
            .await?
        else {
            tracing::info!(channel = channel.id.0, message = %r.platform_id, "a reaction to a message Earshot does not have: dropped");
            return Ok(());
        };
        let data = serde_json::json!({"message_id": m.id, "platform_id": r.platform_id,
                                      "emoji": r.emoji, "removed": r.emoji.is_none(), "at": r.at});
        store
            .change_conversation(
                ws,
                m.conversation_id,
                &Default::default(),
                earshot_core::rules::Actor::Customer,
                &[earshot_core::workflow::NewEvent::new("reaction", data)],
            )
            .await?;
        Ok(())
    }

    pub fn new(channels: Arc<Channels>, pipeline: Arc<Pipeline>) -> Self {
        Self {
            channels,
            pipeline,
            wake: Arc::new(Notify::new()),
        }
    }

    /// Processes every pending call, oldest first.
    pub async fn drain(&self) -> StoreResult<Drained> {
        let mut total = Drained::default();
        let mut after = 0;
        loop {
            let calls = self.channels.store.pending_webhooks(after, ROUND).await?;
            let Some(last) = calls.last() else {
                return Ok(total);
            };
            after = last.id;
            let done = self.round(&calls).await?;
            total.calls += calls.len();
            total.messages += done.messages;
            total.statuses += done.statuses;
        }
    }

    async fn round(&self, calls: &[WebhookCall]) -> StoreResult<Drained> {
        let store = &self.channels.store;
        let mut found: HashMap<ChannelId, Option<ConnectedChannel>> = HashMap::new();
        let mut messages: BTreeMap<WorkspaceId, Vec<Inbound>> = BTreeMap::new();
        let mut outcomes = Vec::with_capacity(calls.len());
        let mut applied = Vec::new();
        let mut drained = Drained::default();
        // Per channel that received calls: the last error among them, if any.
        let mut activity: HashMap<ChannelId, Option<String>> = HashMap::new();
        for call in calls {
            if let std::collections::hash_map::Entry::Vacant(e) = found.entry(call.channel_id) {
                e.insert(store.webhook_channel(call.channel_id).await?);
            }
            let Some(ch) = found[&call.channel_id].as_ref() else {
                outcomes.push((
                    call.id,
                    "dropped: the channel was disconnected before it was processed".to_string(),
                ));
                continue;
            };
            match earshot_channels::webhook::decode(
                ch.connector,
                &call.body,
                &ch.channel.name,
                &ch.settings,
            ) {
                Err(e) => {
                    tracing::warn!(channel = ch.channel.id.0, call = call.id, error = %e, "webhook call not decoded");
                    activity.insert(
                        ch.channel.id,
                        Some(format!("a webhook call not decoded: {e}")),
                    );
                    outcomes.push((call.id, format!("rejected: {e}")));
                }
                Ok(batch) => {
                    let mut summary = batch.summary();
                    if !batch.ignored.is_empty() || batch.messages.iter().any(|d| d.result.is_err())
                    {
                        tracing::info!(channel = ch.channel.id.0, call = call.id, %summary, "webhook call partly applied");
                    }
                    // The brand's messages the platform echoes back (X): those Earshot sent
                    // itself are stored already, as its replies.
                    let echoes: Vec<String> = batch
                        .messages
                        .iter()
                        .filter_map(|d| d.result.as_ref().ok())
                        .filter(|m| m.direction == earshot_core::Direction::Out)
                        .map(|m| m.external_id.clone())
                        .collect();
                    let ours: std::collections::HashSet<String> = if echoes.is_empty() {
                        Default::default()
                    } else {
                        store
                            .sent_by_earshot(call.workspace_id, ch.channel.id, &echoes)
                            .await?
                            .into_iter()
                            .collect()
                    };
                    if !ours.is_empty() {
                        summary.push_str(&format!(
                            "; {} echo(es) of Earshot's own replies (stored when sent)",
                            ours.len()
                        ));
                    }
                    let list = messages.entry(call.workspace_id).or_default();
                    for d in batch.messages {
                        if let Ok(m) = d.result {
                            if !ours.contains(&m.external_id) {
                                list.push(m);
                            }
                        }
                    }
                    activity.entry(ch.channel.id).or_insert(None);
                    applied.push(Applied {
                        ws: call.workspace_id,
                        channel: ch.channel.clone(),
                        statuses: batch.statuses,
                        deleted: batch.deleted,
                        reactions: batch.reactions,
                    });
                    outcomes.push((call.id, summary));
                }
            }
        }
        for (ws, batch) in &messages {
            drained.messages += batch.len();
            self.pipeline.ingest(*ws, batch).await?;
        }
        for a in applied {
            let (ws, channel) = (a.ws, a.channel.id);
            for report in &a.statuses {
                drained.statuses += 1;
                self.channels.apply_status(ws, channel, report).await?;
            }
            if !a.deleted.is_empty() {
                store
                    .mark_deleted(ws, channel, &a.deleted, earshot_core::time::now())
                    .await?;
            }
            for r in &a.reactions {
                self.react(ws, &a.channel, r).await?;
            }
        }
        store
            .webhooks_processed(&outcomes, earshot_core::time::now())
            .await?;
        for (id, error) in activity {
            if let Some(Some(ch)) = found.get(&id) {
                self.channels.note(ch, false, true, error.as_deref()).await;
            }
        }
        Ok(drained)
    }

    /// Drains at start (what was accepted before a stop), then whenever a handler wakes it,
    /// and every few seconds in case a wake was missed, until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last_sweep: Option<std::time::Instant> = None;
        loop {
            // Processed calls are kept a week for admins, then forgotten.
            if last_sweep.is_none_or(|t| t.elapsed() >= SWEEP_EVERY) {
                last_sweep = Some(std::time::Instant::now());
                let before = earshot_core::time::now() - KEEP_PROCESSED;
                match self.channels.store.forget_processed_webhooks(before).await {
                    Ok(n) if n > 0 => tracing::info!(n, "old webhook calls forgotten"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "forgetting old webhook calls failed"),
                }
            }
            match self.drain().await {
                Ok(d) if d.calls > 0 => tracing::debug!(?d, "webhook calls processed"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "processing webhook calls failed; retrying"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(std::time::Duration::from_secs(5)) => {}
            }
        }
    }
}
