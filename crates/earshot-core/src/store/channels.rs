//! The store's role for connected channels: the channels joined to their platforms, the
//! durable queue of their webhook calls, delivery states, and the web chat transcript.

use super::StoreResult;
use crate::time::Timestamp;
use crate::{ChannelId, ConversationId, WorkspaceId};
use async_trait::async_trait;

/// Connected channels, the webhook calls they received, and what their platforms report
/// about the replies sent on them.
#[async_trait]
pub trait ChannelStore: Send + Sync {
    /// Joins a channel to its platform. A channel of the same kind and name that ingest
    /// created is adopted (its conversations stay); one already connected is a `Conflict`.
    async fn connect_channel(
        &self,
        workspace: WorkspaceId,
        connection: &crate::connector::Connection,
    ) -> StoreResult<crate::connector::ConnectedChannel>;
    /// The workspace's connected channels, oldest first.
    async fn connected_channels(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<crate::connector::ConnectedChannel>>;
    /// `NotFound` when the channel is not connected in this workspace.
    async fn connected_channel(
        &self,
        workspace: WorkspaceId,
        id: ChannelId,
    ) -> StoreResult<crate::connector::ConnectedChannel>;
    /// The connected channel a webhook URL names, whatever its workspace (the URL is all a
    /// platform knows).
    async fn webhook_channel(
        &self,
        id: ChannelId,
    ) -> StoreResult<Option<crate::connector::ConnectedChannel>>;
    /// Replaces the name, settings and sealed secrets, and makes the channel `active` again.
    async fn reconnect_channel(
        &self,
        workspace: WorkspaceId,
        id: ChannelId,
        connection: &crate::connector::Connection,
    ) -> StoreResult<crate::connector::ConnectedChannel>;
    /// Forgets the platform connection (settings and secrets); the channel's conversations
    /// stay, and replies on it are `not_sent` from now on.
    async fn disconnect_channel(&self, workspace: WorkspaceId, id: ChannelId) -> StoreResult<()>;
    /// Records what a poll or a webhook round did on a channel, at `at`.
    async fn record_activity(
        &self,
        id: ChannelId,
        report: &crate::connector::ActivityReport,
        at: Timestamp,
    ) -> StoreResult<()>;
    async fn set_channel_status(
        &self,
        workspace: WorkspaceId,
        id: ChannelId,
        status: crate::connector::ChannelStatus,
        reason: Option<&str>,
    ) -> StoreResult<()>;
    /// Keeps verified webhook calls (workspace, channel, body as received) until they are
    /// processed, in one transaction; returns their ids in order. Durable when it returns:
    /// the handlers answer the platform only after this.
    async fn accept_webhooks(
        &self,
        calls: &[(WorkspaceId, ChannelId, &[u8])],
        at: Timestamp,
    ) -> StoreResult<Vec<i64>>;
    /// Calls not processed yet, of every workspace, in the order they came, after `after`.
    async fn pending_webhooks(
        &self,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<crate::connector::WebhookCall>>;
    /// A channel's newest calls first, at most `limit`, with what came of each.
    async fn webhook_calls(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        limit: u32,
    ) -> StoreResult<Vec<crate::connector::WebhookCallRecord>>;
    /// Deletes processed calls received before `before`; how many.
    async fn forget_processed_webhooks(&self, before: Timestamp) -> StoreResult<u64>;
    /// Marks calls processed, with what came of each (kept for admins).
    async fn webhooks_processed(&self, done: &[(i64, String)], at: Timestamp) -> StoreResult<()>;
    /// The customer a reply on this conversation goes to: the author of its newest customer
    /// message. `None` when the customer never wrote (nothing to answer).
    async fn reply_target(
        &self,
        workspace: WorkspaceId,
        conversation: ConversationId,
    ) -> StoreResult<Option<crate::connector::ReplyTarget>>;
    /// Records what a platform reported about a message it accepted on this channel, if the
    /// state moves (see [`crate::connector::DeliveryState::moves_to`]).
    async fn record_status(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        report: &crate::connector::StatusReport,
    ) -> StoreResult<Option<crate::connector::DeliveryChanged>>;
    /// Where a channel's poller got to (an IMAP mailbox's UIDVALIDITY and last UID), if
    /// anywhere yet.
    async fn channel_cursor(&self, id: ChannelId) -> StoreResult<Option<String>>;
    async fn set_channel_cursor(&self, id: ChannelId, cursor: &str) -> StoreResult<()>;
    /// Every connected channel of every workspace with this connector (for pollers).
    async fn channels_with(
        &self,
        connector: crate::connector::Connector,
    ) -> StoreResult<Vec<crate::connector::ConnectedChannel>>;
    /// Of `platform_ids`, those a reply Earshot sent on this channel was given by the platform
    /// (X echoes the brand's own tweets and DMs back: Earshot's copy is already stored).
    async fn sent_by_earshot(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        platform_ids: &[String],
    ) -> StoreResult<Vec<String>>;
    /// Marks a channel's messages deleted by their author (a revoke), by platform id.
    async fn mark_deleted(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        platform_ids: &[String],
        at: Timestamp,
    ) -> StoreResult<u64>;
    /// A web chat visitor's conversations on a channel as their widget shows them: what they
    /// wrote and the replies released to them (`sent` or further; a queued or refused reply is
    /// not shown), messages after `after` oldest first, or with `after` 0 the newest `limit`.
    async fn chat_transcript(
        &self,
        workspace: WorkspaceId,
        channel: ChannelId,
        visitor: &str,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<crate::connector::ChatLine>>;
}
