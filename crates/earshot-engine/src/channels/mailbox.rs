//! The mailbox poller: every connected email channel's IMAP mailbox is read for mail newer
//! than the channel's cursor (UIDVALIDITY and last UID, kept in the store), decoded, and fed
//! through the pipeline; the cursor moves only after the batch is committed, so a stop or a
//! lost connection never skips a mail, and a mail fetched twice is a duplicate by its
//! Message-ID.
//!
//! Each mailbox is read at start, every `poll_seconds` (default 60), and — where the server
//! offers IMAP IDLE — as soon as the server says it changed: a watcher per channel holds an
//! IDLE connection (renewed every [`IDLE_FOR`]) and wakes the poller, so new mail arrives in
//! seconds. IDLE only wakes; the UID-based read stays the one path that fetches, so a missed
//! or spurious wake costs nothing but a poll.

use super::Channels;
use crate::Pipeline;
use earshot_channels::send::Failure;
use earshot_core::connector::{ChannelStatus, ConnectedChannel, Connector};
use earshot_core::store::StoreResult;
use earshot_core::ChannelId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Mail taken from one mailbox per poll (the rest comes at the next).
const PER_POLL: usize = 500;
const DEFAULT_EVERY: Duration = Duration::from_secs(60);
/// How long one IDLE lasts before it is renewed (servers may drop a client idle for 30 min).
pub const IDLE_FOR: Duration = Duration::from_secs(25 * 60);
/// The longest a watcher waits before it tries IDLE again after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

pub struct MailboxPoller {
    channels: Arc<Channels>,
    pipeline: Arc<Pipeline>,
}

/// Holds IDLE on one mailbox and tells the poller when it changed, until the server turns
/// out not to offer IDLE.
async fn watch(
    store: Arc<dyn earshot_core::Store>,
    imap_url: String,
    id: ChannelId,
    wake: tokio::sync::mpsc::Sender<ChannelId>,
) {
    let mut backoff = Duration::from_secs(5);
    loop {
        // Where the poller got to: mail after it is news even if it came before this wait.
        let cursor = store.channel_cursor(id).await.ok().flatten();
        match earshot_channels::mailbox::wait_for_mail(&imap_url, cursor.as_deref(), IDLE_FOR).await
        {
            Ok(earshot_channels::mailbox::Waited::Changed) => {
                backoff = Duration::from_secs(5);
                if wake.send(id).await.is_err() {
                    return;
                }
                // Let the poll move the cursor before looking again.
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            Ok(earshot_channels::mailbox::Waited::Quiet) => backoff = Duration::from_secs(5),
            Ok(earshot_channels::mailbox::Waited::Unsupported) => {
                tracing::info!(
                    channel = id.0,
                    "the IMAP server does not offer IDLE: the mailbox is polled only"
                );
                return;
            }
            Err(e) => {
                tracing::debug!(channel = id.0, error = ?e, "IMAP IDLE failed; polling covers it, trying again later");
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
        }
    }
}

impl MailboxPoller {
    pub fn new(channels: Arc<Channels>, pipeline: Arc<Pipeline>) -> Self {
        Self { channels, pipeline }
    }

    fn every(ch: &ConnectedChannel) -> Duration {
        ch.settings
            .get("poll_seconds")
            .and_then(|v| v.as_str())
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|s| *s > 0)
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_EVERY)
    }

    /// Reads one mailbox once; how many new messages it held.
    pub async fn poll(&self, ch: &ConnectedChannel) -> StoreResult<usize> {
        let store = &self.channels.store;
        let Ok(access) = self.channels.access(ch) else {
            tracing::error!(
                channel = ch.channel.id.0,
                "the mailbox's secrets cannot be opened"
            );
            return Ok(0);
        };
        let cursor = store.channel_cursor(ch.channel.id).await?;
        let fetched = match earshot_channels::mailbox::fetch_new(
            access.get("imap_url"),
            cursor.as_deref(),
            PER_POLL,
        )
        .await
        {
            Ok(f) => f,
            Err(Failure::Reauth(e)) => {
                tracing::warn!(channel = ch.channel.id.0, error = %e, "the mailbox refused its login");
                self.channels.note(ch, false, false, Some(&e)).await;
                store
                    .set_channel_status(
                        ch.channel.workspace_id,
                        ch.channel.id,
                        ChannelStatus::NeedsReauth,
                        Some(&e),
                    )
                    .await?;
                return Ok(0);
            }
            Err(e) => {
                tracing::warn!(channel = ch.channel.id.0, error = ?e, "mailbox poll failed; trying again later");
                self.channels.note(ch, false, false, Some(e.text())).await;
                return Ok(0);
            }
        };
        let mut batch = Vec::new();
        for (uid, bytes) in &fetched.messages {
            // The mailbox's own address tells its outbound mail; the channel's name is the account.
            match earshot_channels::email::decode_message(bytes, access.get("address")) {
                Ok(mut m) => {
                    m.account = Some(ch.channel.name.clone());
                    batch.push(m);
                }
                Err(r) => {
                    tracing::info!(channel = ch.channel.id.0, uid, reason = %r.reason, "mail not imported")
                }
            }
        }
        if !batch.is_empty() {
            self.pipeline
                .ingest(ch.channel.workspace_id, &batch)
                .await?;
        }
        if cursor.as_deref() != Some(fetched.cursor.as_str()) {
            store
                .set_channel_cursor(ch.channel.id, &fetched.cursor)
                .await?;
        }
        self.channels
            .note(ch, true, !fetched.messages.is_empty(), None)
            .await;
        Ok(fetched.messages.len())
    }

    /// Polls every active email channel when its interval has passed or its IDLE watcher
    /// says it changed, until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last: HashMap<ChannelId, Instant> = HashMap::new();
        let mut watchers = super::watchers::Watchers::default();
        let (wake, mut woken) = tokio::sync::mpsc::channel::<ChannelId>(64);
        loop {
            match self.channels.store.channels_with(Connector::Email).await {
                Ok(list) => {
                    let active: Vec<&ConnectedChannel> = list
                        .iter()
                        .filter(|c| c.status == ChannelStatus::Active)
                        .collect();
                    watchers.keep(active.iter().copied(), |ch| {
                        let access = self.channels.access(ch).ok()?;
                        Some(tokio::spawn(watch(
                            self.channels.store.clone(),
                            access.get("imap_url").to_string(),
                            ch.channel.id,
                            wake.clone(),
                        )))
                    });
                    for ch in active {
                        let due = last
                            .get(&ch.channel.id)
                            .is_none_or(|t| t.elapsed() >= Self::every(ch));
                        if due {
                            last.insert(ch.channel.id, Instant::now());
                            self.poll_logged(ch).await;
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "listing mailboxes failed"),
            }
            tokio::select! {
                _ = &mut shutdown => break,
                Some(id) = woken.recv() => {
                    // Polled at the top of the loop, now.
                    last.remove(&id);
                }
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        watchers.stop_all();
    }

    async fn poll_logged(&self, ch: &ConnectedChannel) {
        match self.poll(ch).await {
            Ok(n) if n > 0 => tracing::info!(channel = ch.channel.id.0, n, "mail fetched"),
            Ok(_) => {}
            Err(e) => tracing::error!(channel = ch.channel.id.0, error = %e, "storing mail failed"),
        }
    }
}
