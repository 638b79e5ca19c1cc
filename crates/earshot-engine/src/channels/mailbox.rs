//! The mailbox poller: every connected email channel's IMAP mailbox is read for mail newer
//! than the channel's cursor (UIDVALIDITY and last UID, kept in the store), decoded, and fed
//! through the pipeline; the cursor moves only after the batch is committed, so a stop or a
//! lost connection never skips a mail, and a mail fetched twice is a duplicate by its
//! Message-ID. IMAP IDLE is not used yet: each mailbox is polled every `poll_seconds`
//! (default 60).

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

pub struct MailboxPoller {
    channels: Arc<Channels>,
    pipeline: Arc<Pipeline>,
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
        Ok(fetched.messages.len())
    }

    /// Polls every active email channel when its interval has passed, until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last: HashMap<ChannelId, Instant> = HashMap::new();
        loop {
            match self.channels.store.channels_with(Connector::Email).await {
                Ok(list) => {
                    for ch in list.iter().filter(|c| c.status == ChannelStatus::Active) {
                        let due = last
                            .get(&ch.channel.id)
                            .is_none_or(|t| t.elapsed() >= Self::every(ch));
                        if due {
                            last.insert(ch.channel.id, Instant::now());
                            match self.poll(ch).await {
                                Ok(n) if n > 0 => {
                                    tracing::info!(channel = ch.channel.id.0, n, "mail fetched")
                                }
                                Ok(_) => {}
                                Err(e) => {
                                    tracing::error!(channel = ch.channel.id.0, error = %e, "storing mail failed")
                                }
                            }
                        }
                    }
                }
                Err(e) => tracing::error!(error = %e, "listing mailboxes failed"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }
}
