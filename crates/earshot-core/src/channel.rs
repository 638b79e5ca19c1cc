//! Channels: where conversations happen. A channel is one owned account (the brand's X
//! handle, its WhatsApp number, its support mailbox) or one listening source (the public
//! stream of a network, a review site) of one kind.

use crate::{ChannelId, WorkspaceId};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The platforms Earshot hears. The string forms are public API (JSON, database, CLI).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelKind {
    X,
    Facebook,
    Instagram,
    Whatsapp,
    Telegram,
    Mastodon,
    Reddit,
    Discourse,
    Review,
    /// Web pages read from feeds: blogs, forums, review sites, news.
    Web,
    Email,
    WebChat,
    Api,
}

impl ChannelKind {
    pub const ALL: [ChannelKind; 13] = [
        Self::X,
        Self::Facebook,
        Self::Instagram,
        Self::Whatsapp,
        Self::Telegram,
        Self::Mastodon,
        Self::Reddit,
        Self::Discourse,
        Self::Review,
        Self::Web,
        Self::Email,
        Self::WebChat,
        Self::Api,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::X => "x",
            Self::Facebook => "facebook",
            Self::Instagram => "instagram",
            Self::Whatsapp => "whatsapp",
            Self::Telegram => "telegram",
            Self::Mastodon => "mastodon",
            Self::Reddit => "reddit",
            Self::Discourse => "discourse",
            Self::Review => "review",
            Self::Web => "web",
            Self::Email => "email",
            Self::WebChat => "web_chat",
            Self::Api => "api",
        }
    }
}

impl fmt::Display for ChannelKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown channel kind `{0}`; expected one of x, facebook, instagram, whatsapp, telegram, mastodon, reddit, discourse, review, web, email, web_chat, api")]
pub struct UnknownChannelKind(pub String);

impl FromStr for ChannelKind {
    type Err = UnknownChannelKind;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| UnknownChannelKind(s.to_string()))
    }
}

/// Whether the brand owns the account (every message to it opens a conversation) or only
/// listens to a public source (matching messages are counted and may open one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelRole {
    #[default]
    Owned,
    Listening,
}

impl ChannelRole {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owned => "owned",
            Self::Listening => "listening",
        }
    }
}

impl FromStr for ChannelRole {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "owned" => Ok(Self::Owned),
            "listening" => Ok(Self::Listening),
            other => Err(format!(
                "unknown channel role `{other}`; expected owned or listening"
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Channel {
    pub id: ChannelId,
    pub workspace_id: WorkspaceId,
    pub kind: ChannelKind,
    /// The account handle or source name, unique per workspace and kind.
    pub name: String,
    pub role: ChannelRole,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_round_trips_through_its_string_and_json() {
        for kind in ChannelKind::ALL {
            assert_eq!(kind.as_str().parse::<ChannelKind>().unwrap(), kind);
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert!("twitter"
            .parse::<ChannelKind>()
            .unwrap_err()
            .to_string()
            .contains("twitter"));
    }
}
