//! What listening heard and matched no topic, for agents: the posts of the last week
//! ([`earshot_core::store::HEARD_FOR_DAYS`]) and a conversation opened from one that matters
//! (an agent's click, where a topic's match is the other way in). The API and the web page
//! both come here.

use crate::Pipeline;
use earshot_core::store::{IngestOutcome, StoreError, HEARD_FOR_DAYS};
use earshot_core::{ChannelId, ConversationId, MessageId, WorkspaceId};

/// The conversation a heard post is in now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Opened {
    pub conversation_id: ConversationId,
    pub message_id: MessageId,
    /// `false`: it had been opened before (by someone else, or by a topic added since).
    pub new: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("post `{external_id}` of channel {channel} was not heard in the last {HEARD_FOR_DAYS} days (what a listening post that matched no topic said is kept a week)", channel = channel.0)]
    NotHeard {
        channel: ChannelId,
        external_id: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Opens (or finds) the conversation of heard post `external_id` of `channel`.
pub async fn open(
    pipeline: &Pipeline,
    ws: WorkspaceId,
    channel: ChannelId,
    external_id: &str,
) -> Result<Opened, OpenError> {
    let not_heard = || OpenError::NotHeard {
        channel,
        external_id: external_id.to_string(),
    };
    let heard = pipeline
        .store
        .heard_post(ws, channel, external_id)
        .await?
        .ok_or_else(not_heard)?;
    match pipeline.open_heard(ws, &heard.post).await? {
        IngestOutcome::Stored {
            message_id,
            conversation_id,
            ..
        } => Ok(Opened {
            conversation_id,
            message_id,
            new: true,
        }),
        IngestOutcome::Duplicate { .. } => {
            let post = &heard.post;
            let message = pipeline
                .store
                .message_by_external_id(ws, post.channel, post.account_name(), &post.external_id)
                .await?
                .ok_or_else(not_heard)?;
            Ok(Opened {
                conversation_id: message.conversation_id,
                message_id: message.id,
                new: false,
            })
        }
        // Erasure deletes what an erased person's posts said, so neither comes back here.
        IngestOutcome::Counted | IngestOutcome::Erased => Err(not_heard()),
    }
}
