//! Messages as stored: one post, reply, DM or email, in or out, with the native payload kept.

use crate::time::Timestamp;
use crate::{ChannelId, ChannelKind, ConversationId, IdentityId, MessageId, WorkspaceId};
use serde::{Deserialize, Serialize};
use std::str::FromStr;

/// `in`: the customer (or the public) spoke; `out`: the brand did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    In,
    Out,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::In => "in",
            Self::Out => "out",
        }
    }
}

impl FromStr for Direction {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "in" => Ok(Self::In),
            "out" => Ok(Self::Out),
            other => Err(format!("unknown direction `{other}`; expected in or out")),
        }
    }
}

/// Public posts are seen by everyone (a reply must respect that); private ones are DMs,
/// emails and chats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Visibility {
    #[default]
    Public,
    Private,
}

impl Visibility {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Private => "private",
        }
    }
}

impl FromStr for Visibility {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "public" => Ok(Self::Public),
            "private" => Ok(Self::Private),
            other => Err(format!(
                "unknown visibility `{other}`; expected public or private"
            )),
        }
    }
}

/// A file, place or card a message carried, as the platform described it. The content itself
/// stays on the platform (`media_id` or `url` fetch it there); Earshot keeps what it is.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attachment {
    /// `image`, `video`, `audio`, `document`, `sticker`, `location`, `contacts`, `file`, …
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// In bytes, when the platform says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The platform's id for the media (WhatsApp media id, Telegram `file_id`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A file name, a place's name, a contact's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Attachment {
    pub fn new(kind: impl Into<String>) -> Self {
        Self {
            kind: kind.into(),
            ..Default::default()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    pub id: MessageId,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    pub channel_kind: ChannelKind,
    pub conversation_id: ConversationId,
    pub identity_id: IdentityId,
    /// The platform's own id, unique per channel.
    pub external_id: String,
    pub direction: Direction,
    pub visibility: Visibility,
    pub text: String,
    /// When the author posted it, by the platform's clock.
    pub sent_at: Timestamp,
    /// When Earshot stored it.
    pub received_at: Timestamp,
    /// The platform id of the message this one answers, if any.
    pub in_reply_to: Option<String>,
    /// The native payload exactly as received (JSON).
    pub raw: serde_json::Value,
    /// What it carried besides its text.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<Attachment>,
    /// When its author deleted it on the platform (a revoke); the text is kept for the
    /// care team's record, shown as deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted_at: Option<Timestamp>,
}
