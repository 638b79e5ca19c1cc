//! The outbox's sender: a reply leaves through its conversation's connected channel (the
//! platform's rules checked first), anything else through the webhook sender. A reply with
//! no connected channel is `not_sent`; a refused token marks the channel `needs_reauth` and
//! its replies wait for a new one instead of failing one by one.

use super::Channels;
use earshot_channels::outbound::Outbound;
use earshot_channels::send::{self, Failure, Outgoing};
use earshot_core::connector::ChannelStatus;
use earshot_core::store::StoreError;
use earshot_core::workflow::{OutboxItem, SendError, Sender, Sent};
use std::sync::Arc;

/// How long a reply on a channel that needs a new token waits before it looks again.
const PAUSE: chrono::Duration = chrono::Duration::minutes(10);

/// Replies through connected channels, the rest through `fallback`.
pub struct ChannelSender {
    channels: Arc<Channels>,
    fallback: Outbound,
}

impl ChannelSender {
    pub fn new(channels: Arc<Channels>, fallback: Outbound) -> Self {
        Self { channels, fallback }
    }

    async fn reply(&self, item: &OutboxItem) -> Result<Sent, SendError> {
        let db = |e: StoreError| SendError::Transient(e.to_string());
        let store = &self.channels.store;
        let ws = item.workspace_id;
        let conversation = item
            .conversation_id
            .ok_or_else(|| SendError::Rejected("the reply names no conversation".into()))?;
        let Some(target) = store.reply_target(ws, conversation).await.map_err(db)? else {
            return Err(SendError::NotSent(
                "the customer has not written on this conversation, so there is nobody to answer on the platform".into(),
            ));
        };
        let ch = match store.connected_channel(ws, target.channel_id).await {
            Ok(ch) => ch,
            Err(StoreError::NotFound { .. }) => {
                return Err(SendError::NotSent(format!(
                    "the {} account `{}` is not connected to its platform (connect it under Settings → Channels)",
                    item.payload["channel"].as_str().unwrap_or("channel"),
                    item.payload["account"].as_str().unwrap_or("?")
                )))
            }
            Err(e) => return Err(db(e)),
        };
        let now = earshot_core::time::now();
        if ch.status == ChannelStatus::NeedsReauth {
            return Err(SendError::Paused {
                error: format!(
                    "waiting: the channel `{}` needs a new token ({})",
                    ch.channel.name,
                    ch.status_reason
                        .as_deref()
                        .unwrap_or("the platform refused it")
                ),
                retry_at: now + PAUSE,
            });
        }
        let access = self.channels.access(&ch).map_err(SendError::Rejected)?;
        let text = item.payload["text"].as_str().unwrap_or("");
        let template: Option<earshot_core::connector::Template> =
            serde_json::from_value(item.payload["template"].clone()).ok();
        let key = format!("earshot-outbox-{}", item.id);
        let out = Outgoing {
            text,
            recipient: &target.recipient,
            answering: Some(
                item.payload["in_reply_to"]
                    .as_str()
                    .unwrap_or(&target.last_inbound_id),
            ),
            last_inbound_at: target.last_inbound_at,
            now,
            template: template.as_ref(),
            answered: Some(&target.last_inbound_raw),
            public: target.last_inbound_public,
            key: &key,
        };
        match send::reply(&self.channels.http, &access, &out).await {
            Ok(id) => Ok(Sent {
                platform_id: Some(id),
            }),
            Err(Failure::Reauth(e)) => {
                tracing::warn!(channel = ch.channel.id.0, error = %e, "the platform refused the channel's token");
                store
                    .set_channel_status(ws, ch.channel.id, ChannelStatus::NeedsReauth, Some(&e))
                    .await
                    .map_err(db)?;
                Err(SendError::Paused {
                    error: format!("waiting for a new token: {e}"),
                    retry_at: now + PAUSE,
                })
            }
            Err(Failure::Wait { error, until }) => Err(SendError::Paused {
                error: format!("waiting for the platform's rate limit: {error}"),
                retry_at: until.max(now),
            }),
            Err(Failure::Transient(e)) => Err(SendError::Transient(e)),
            Err(Failure::Rejected(e)) => Err(SendError::Rejected(e)),
            Err(f @ Failure::NotSent(_)) => Err(SendError::NotSent(f.text().to_string())),
        }
    }
}

#[async_trait::async_trait]
impl Sender for ChannelSender {
    async fn send(&self, item: &OutboxItem) -> Result<Sent, SendError> {
        match item.kind.as_str() {
            "reply" => self.reply(item).await,
            _ => self.fallback.send(item).await,
        }
    }
}
