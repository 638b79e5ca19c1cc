//! Connected channels: a channel of the workspace joined to a platform account through a
//! [`Connector`] (its settings, its secrets sealed at rest, its webhook and its sender), and
//! the durable queue of the webhook calls it received.
//!
//! A channel that ingest created from a file or the API has no connector: it can be read and
//! answered in the inbox, but a reply on it is `not_sent`, never `sent`.

use crate::time::Timestamp;
use crate::{Channel, ChannelId, ChannelKind, ConversationId, WorkspaceId};
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// How a channel reaches its platform. The string forms are public API (`POST
/// /api/v1/channels` `kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Connector {
    /// WhatsApp Cloud API (Meta Graph API).
    Whatsapp,
    /// Facebook Messenger (a Page's conversations).
    Messenger,
    /// Instagram messaging (a professional account's DMs).
    Instagram,
    /// A Telegram bot.
    Telegram,
    /// A mailbox: IMAP in, SMTP out.
    Email,
    /// The chat widget on the brand's own site, served by Earshot.
    WebChat,
    /// An X (Twitter) account: Account Activity webhooks in (mentions, replies, DMs), replies
    /// through the X API v2 (`POST /2/tweets`, DMs), signed with OAuth 1.0a; with a
    /// `bearer_token`, also the v2 filtered stream as a listening source for the topics.
    X,
    /// A Mastodon account: its mentions polled from the instance, replies posted as it.
    Mastodon,
    /// A Reddit account (a script app): its inbox polled, replies commented as it.
    Reddit,
    /// An RSS or Atom feed: a listening source, polled with conditional requests.
    Feed,
    /// A Discourse forum: webhooks in (posts, public or private), replies posted as the
    /// channel's `api_username`.
    Discourse,
    /// A Shopify shop: its order webhooks (signed with `X-Shopify-Hmac-Sha256`) bring the
    /// customers' orders in. It carries no conversations.
    Shopify,
}

/// One setting a connector takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub name: &'static str,
    /// Sealed at rest, never returned by the API.
    pub secret: bool,
    pub required: bool,
}

const fn field(name: &'static str, secret: bool, required: bool) -> Setting {
    Setting {
        name,
        secret,
        required,
    }
}

const WHATSAPP: &[Setting] = &[
    field("app_secret", true, true),
    field("verify_token", true, true),
    field("access_token", true, true),
    field("phone_number_id", false, true),
    field("api_base", false, false),
];
const MESSENGER: &[Setting] = &[
    field("app_secret", true, true),
    field("verify_token", true, true),
    field("page_access_token", true, true),
    field("page_id", false, true),
    field("api_base", false, false),
];
const INSTAGRAM: &[Setting] = &[
    field("app_secret", true, true),
    field("verify_token", true, true),
    field("page_access_token", true, true),
    field("ig_user_id", false, true),
    field("api_base", false, false),
];
const EMAIL: &[Setting] = &[
    field("imap_url", true, true),
    field("smtp_url", true, true),
    field("address", false, true),
    field("poll_seconds", false, false),
];
const WEB_CHAT: &[Setting] = &[
    field("allowed_origins", false, true),
    field("greeting", false, false),
];
const SHOPIFY: &[Setting] = &[
    field("webhook_secret", true, true),
    field("shop_domain", false, true),
];
const X: &[Setting] = &[
    field("consumer_key", true, true),
    field("consumer_secret", true, true),
    field("access_token", true, true),
    field("access_token_secret", true, true),
    field("bearer_token", true, false),
    field("stream_rule_limit", false, false),
    field("stream_rule_chars", false, false),
    field("api_base", false, false),
];
const MASTODON: &[Setting] = &[
    field("instance_url", false, true),
    field("access_token", true, true),
    field("poll_seconds", false, false),
    field("hashtags", false, false),
    field("public_timeline", false, false),
];
const REDDIT: &[Setting] = &[
    field("client_id", false, true),
    field("client_secret", true, true),
    field("username", false, true),
    field("password", true, true),
    field("poll_seconds", false, false),
    field("subreddits", false, false),
    field("search", false, false),
    field("api_base", false, false),
];
const FEED: &[Setting] = &[
    field("url", false, true),
    field("poll_minutes", false, false),
];
const DISCOURSE: &[Setting] = &[
    field("base_url", false, true),
    field("api_key", true, true),
    field("api_username", false, true),
    field("webhook_secret", true, true),
];
const TELEGRAM: &[Setting] = &[
    field("bot_token", true, true),
    field("secret_token", true, true),
    field("api_base", false, false),
];

impl Connector {
    pub const ALL: [Connector; 12] = [
        Self::Whatsapp,
        Self::Messenger,
        Self::Instagram,
        Self::Telegram,
        Self::X,
        Self::Mastodon,
        Self::Reddit,
        Self::Discourse,
        Self::Feed,
        Self::Email,
        Self::WebChat,
        Self::Shopify,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Whatsapp => "whatsapp",
            Self::Messenger => "messenger",
            Self::Instagram => "instagram",
            Self::Telegram => "telegram",
            Self::X => "x",
            Self::Mastodon => "mastodon",
            Self::Reddit => "reddit",
            Self::Feed => "feed",
            Self::Discourse => "discourse",
            Self::Email => "email",
            Self::WebChat => "web_chat",
            Self::Shopify => "shopify",
        }
    }

    /// The channel kind its conversations have.
    pub fn channel_kind(self) -> ChannelKind {
        match self {
            Self::Whatsapp => ChannelKind::Whatsapp,
            Self::Messenger => ChannelKind::Facebook,
            Self::Instagram => ChannelKind::Instagram,
            Self::Telegram => ChannelKind::Telegram,
            Self::X => ChannelKind::X,
            Self::Mastodon => ChannelKind::Mastodon,
            Self::Reddit => ChannelKind::Reddit,
            Self::Feed => ChannelKind::Web,
            Self::Discourse => ChannelKind::Discourse,
            Self::Email => ChannelKind::Email,
            Self::WebChat => ChannelKind::WebChat,
            // A shop's channel holds no conversations; its orders come through the API's door.
            Self::Shopify => ChannelKind::Api,
        }
    }

    /// The settings it takes, by the names scripts rely on.
    pub fn settings(self) -> &'static [Setting] {
        match self {
            Self::Whatsapp => WHATSAPP,
            Self::Messenger => MESSENGER,
            Self::Instagram => INSTAGRAM,
            Self::Telegram => TELEGRAM,
            Self::X => X,
            Self::Mastodon => MASTODON,
            Self::Reddit => REDDIT,
            Self::Feed => FEED,
            Self::Discourse => DISCOURSE,
            Self::Email => EMAIL,
            Self::WebChat => WEB_CHAT,
            Self::Shopify => SHOPIFY,
        }
    }

    /// Where its platform's API is when `api_base` is not set.
    pub fn default_api_base(self) -> &'static str {
        match self {
            Self::Whatsapp | Self::Messenger | Self::Instagram => "https://graph.facebook.com",
            Self::Telegram => "https://api.telegram.org",
            Self::Reddit => "https://oauth.reddit.com",
            Self::X => "https://api.x.com",
            // A forum is where its `base_url` says.
            Self::Mastodon
            | Self::Discourse
            | Self::Feed
            | Self::Email
            | Self::WebChat
            | Self::Shopify => "",
        }
    }

    /// A shop: what it sends are orders, not messages, and nothing is sent to it.
    pub fn is_shop(self) -> bool {
        matches!(self, Self::Shopify)
    }

    /// Meta's platforms: the `hub.*` handshake and `X-Hub-Signature-256`.
    pub fn is_meta(self) -> bool {
        matches!(self, Self::Whatsapp | Self::Messenger | Self::Instagram)
    }

    /// Platforms that call `/webhooks/{id}` (a mailbox, Mastodon and Reddit are polled;
    /// the chat widget has its own endpoints). A shop calls it with orders.
    pub fn takes_webhooks(self) -> bool {
        !matches!(
            self,
            Self::Email | Self::Mastodon | Self::Reddit | Self::Feed | Self::WebChat
        )
    }

    /// Platforms Earshot reads by polling their API from a stored cursor.
    pub fn is_polled(self) -> bool {
        matches!(self, Self::Mastodon | Self::Reddit | Self::Feed)
    }

    /// A feed is a listening source (its posts are counted, and open a conversation only
    /// when a topic matches); every other connected channel is one of the brand's accounts.
    pub fn role(self) -> crate::ChannelRole {
        if self == Self::Feed {
            crate::ChannelRole::Listening
        } else {
            crate::ChannelRole::Owned
        }
    }
}

impl fmt::Display for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Connector {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(c) = Self::ALL.into_iter().find(|c| c.as_str() == s) {
            return Ok(c);
        }
        Err(format!(
            "unknown channel kind `{s}`; expected one of whatsapp, messenger, instagram, telegram, x, mastodon, reddit, discourse, feed, email, web_chat, shopify"
        ))
    }
}

/// Whether a connected channel can deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelStatus {
    Active,
    /// The platform refused its token (expired or revoked): deliveries wait until an admin
    /// gives it a new one.
    NeedsReauth,
}

impl ChannelStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::NeedsReauth => "needs_reauth",
        }
    }
}

impl FromStr for ChannelStatus {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "active" => Ok(Self::Active),
            "needs_reauth" => Ok(Self::NeedsReauth),
            other => Err(format!("unknown channel status `{other}`")),
        }
    }
}

/// A channel joined to its platform.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectedChannel {
    pub channel: Channel,
    pub connector: Connector,
    /// The settings that are not secret (`phone_number_id`, `api_base`, …).
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// The secret settings, sealed by the engine; the store never sees them in clear.
    pub sealed_secrets: String,
    pub status: ChannelStatus,
    pub status_reason: Option<String>,
    /// What it last did.
    pub activity: Activity,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// What a connected channel last did, as its poller or webhook worker recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Activity {
    /// When its poller last read the platform successfully (polled channels).
    pub last_poll_at: Option<Timestamp>,
    /// When the last message or webhook call came.
    pub last_event_at: Option<Timestamp>,
    /// The last error (a refused token, an unreachable host, a call that did not decode),
    /// until a success clears it.
    pub last_error: Option<String>,
    pub last_error_at: Option<Timestamp>,
}

/// What one poll or webhook round did, for [`Activity`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ActivityReport {
    /// The poller read the platform (and so clears the last error).
    pub polled: bool,
    /// Messages or webhook calls came.
    pub events: bool,
    /// What went wrong, if anything.
    pub error: Option<String>,
}

/// What connecting (or reconnecting) a channel writes.
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    pub connector: Connector,
    pub name: String,
    pub settings: serde_json::Map<String, serde_json::Value>,
    pub sealed_secrets: String,
}

/// One verified webhook call, kept until the pipeline has processed it.
#[derive(Debug, Clone, PartialEq)]
pub struct WebhookCall {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    pub channel_id: ChannelId,
    /// The body exactly as received.
    pub body: Vec<u8>,
    pub received_at: Timestamp,
}

/// What became of a webhook call, for admins.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WebhookCallRecord {
    pub id: i64,
    pub received_at: Timestamp,
    /// `None` while it waits for the webhook worker.
    pub processed_at: Option<Timestamp>,
    /// What it carried and what was not applied, with the reasons.
    pub outcome: Option<String>,
    pub bytes: i64,
}

/// Whom a reply on a conversation goes to.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyTarget {
    pub channel_id: ChannelId,
    /// The platform id of the customer (WhatsApp number, Page-scoped id, Telegram user id).
    pub recipient: String,
    /// The customer's newest message: its platform id and when it was sent (messaging
    /// windows are counted from it).
    pub last_inbound_id: String,
    pub last_inbound_at: Timestamp,
    /// That message's native payload (an email's subject and references, say).
    pub last_inbound_raw: serde_json::Value,
    /// It was public (a comment, a post), not a private message: no messaging window applies,
    /// and the answer is public too.
    pub last_inbound_public: bool,
}

/// A reply's delivery state as the platform reports it, in the order it moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    Queued,
    Sent,
    Delivered,
    Read,
    Failed,
    /// It never left: no connected channel, a platform rule (a closed messaging window).
    NotSent,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::NotSent => "not_sent",
        }
    }

    /// Whether a report of `next` moves a delivery in this state: states only move forward
    /// (a late `delivered` after `read` changes nothing); a failure can follow `sent`.
    pub fn moves_to(self, next: DeliveryState) -> bool {
        match (self, next) {
            (Self::NotSent | Self::Failed, _) => false,
            (_, Self::Failed) => true,
            (a, b) => b > a && b != Self::NotSent,
        }
    }
}

impl FromStr for DeliveryState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            Self::Queued,
            Self::Sent,
            Self::Delivered,
            Self::Read,
            Self::Failed,
            Self::NotSent,
        ]
        .into_iter()
        .find(|d| d.as_str() == s)
        .ok_or_else(|| format!("unknown delivery state `{s}`"))
    }
}

/// A message template the platform approved (WhatsApp), sent where free text may not go:
/// outside the 24-hour customer-service window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Template {
    pub name: String,
    /// The template's language code (`en_US`).
    pub language: String,
    /// Values for the body's `{{1}}`, `{{2}}`, … in order.
    #[serde(default)]
    pub parameters: Vec<String>,
}

impl Template {
    /// How the reply reads in the inbox.
    pub fn describe(&self) -> String {
        let mut s = format!("[template {} ({})]", self.name, self.language);
        if !self.parameters.is_empty() {
            s.push(' ');
            s.push_str(&self.parameters.join(" · "));
        }
        s
    }
}

/// A delivery status a platform sent about one of the brand's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusReport {
    /// The platform's id of the message (what its send API answered).
    pub platform_id: String,
    pub state: DeliveryState,
    pub at: Timestamp,
    /// For `failed`: the platform's error code and message.
    pub error: Option<String>,
}

/// One line of a web chat visitor's transcript.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChatLine {
    /// The stored message's id (the widget's event id: it asks for what came after).
    pub id: i64,
    pub direction: crate::Direction,
    pub text: String,
    pub sent_at: Timestamp,
    /// For a reply: the id it was released under and its delivery state.
    #[serde(skip)]
    pub platform_id: Option<String>,
    #[serde(skip)]
    pub delivery: Option<DeliveryState>,
}

/// What recording a status changed: the reply's outbox item and conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryChanged {
    pub outbox_id: i64,
    pub conversation_id: Option<ConversationId>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_move_forward_only() {
        use DeliveryState::*;
        assert!(Queued.moves_to(Sent));
        assert!(Sent.moves_to(Delivered));
        assert!(Sent.moves_to(Read));
        assert!(Delivered.moves_to(Failed));
        assert!(!Read.moves_to(Delivered));
        assert!(!Delivered.moves_to(Delivered));
        assert!(!Failed.moves_to(Read));
        assert!(!Sent.moves_to(NotSent));
    }

    #[test]
    fn optional_secrets_are_only_those_the_view_checks() {
        // The API masks a required secret without opening the sealed ones; an optional one
        // (X's bearer token, which turns the filtered stream on) makes it open them to see
        // whether it is set. Keep that to the settings that need it.
        for c in Connector::ALL {
            let optional: Vec<&str> = c
                .settings()
                .iter()
                .filter(|s| s.secret && !s.required)
                .map(|s| s.name)
                .collect();
            let expected: &[&str] = if c == Connector::X {
                &["bearer_token"]
            } else {
                &[]
            };
            assert_eq!(optional, expected, "{c}");
        }
    }

    #[test]
    fn kinds_parse_and_unknown_ones_are_named() {
        assert_eq!(
            "telegram".parse::<Connector>().unwrap(),
            Connector::Telegram
        );
        assert!("fax".parse::<Connector>().unwrap_err().contains("`fax`"));
        for c in Connector::ALL {
            assert_eq!(c.as_str().parse::<Connector>().unwrap(), c);
        }
    }
}
