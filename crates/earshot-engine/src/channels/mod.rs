//! Connected channels: connecting one (settings checked, secrets sealed, the platform's
//! webhook registered where the platform has an API for it), the sender that takes replies
//! out through the platform, and the webhook worker (`inbox`) that feeds what platforms send
//! into the pipeline.

mod inbox;
mod mailbox;
mod polled;
mod sender;
mod watchers;
mod x_stream;

pub use earshot_channels::secrets::{SecretBox, SecretError};
pub use earshot_channels::send::Access;
pub use inbox::WebhookWorker;
pub use mailbox::MailboxPoller;
pub use polled::NetworkPoller;
pub use sender::ChannelSender;
pub use x_stream::{LeftOff, StreamState, XStreams};

use earshot_channels::send;
use earshot_core::connector::{ConnectedChannel, Connection, Connector};
use earshot_core::store::{StoreError, StoreResult};
use earshot_core::{ChannelId, Store, WorkspaceId};
use serde_json::{Map, Value};
use std::sync::Arc;

/// What an admin asks for when connecting a channel.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelDraft {
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub settings: Map<String, Value>,
}

/// A change to a connected channel: a new name, and settings to replace (secrets left out
/// keep their value).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelPatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub settings: Map<String, Value>,
}

/// Why a channel could not be connected or changed: every problem, each with its path.
#[derive(Debug, thiserror::Error)]
pub enum ChannelError {
    #[error("{}", .0.iter().map(|(p, m)| format!("{p}: {m}")).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<(String, String)>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What the API and the settings page show of a connected channel: never a secret.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ChannelView {
    pub id: ChannelId,
    pub kind: Connector,
    pub name: String,
    pub status: earshot_core::connector::ChannelStatus,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status_reason: Option<String>,
    /// Settings, secrets masked.
    pub settings: Map<String, Value>,
    /// Where the platform must send its webhooks (not for a mailbox or the chat widget).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_url: Option<String>,
    /// For web chat: the tag to put on the brand's pages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed: Option<String>,
    /// Whether Earshot registered the webhook with the platform itself (Telegram), and if
    /// not, why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub webhook_registration: Option<String>,
    /// Whether it can deliver and be read now (not waiting for a new token).
    pub connected: bool,
    /// What it last did: the last poll, the last message or webhook call, the last error.
    pub activity: earshot_core::connector::Activity,
    /// An X channel with a `bearer_token`: its filtered stream as this process sees it (the
    /// connection, the rules and the topics they serve or leave off).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<StreamState>,
    pub created_at: earshot_core::time::Timestamp,
    pub updated_at: earshot_core::time::Timestamp,
}

/// How a set secret is shown.
pub const MASK: &str = "********";

pub struct Channels {
    store: Arc<dyn Store>,
    secrets: SecretBox,
    http: reqwest::Client,
    /// Earshot's public address (`EARSHOT_PUBLIC_URL`), for absolute webhook URLs.
    public_url: Option<String>,
    /// The X streams this process holds.
    streams: x_stream::StreamStates,
}

impl Channels {
    pub fn new(store: Arc<dyn Store>, secrets: SecretBox, public_url: Option<String>) -> Self {
        Self {
            store,
            secrets,
            http: send::client(),
            public_url: public_url
                .map(|u| u.trim_end_matches('/').to_string())
                .filter(|u| !u.is_empty()),
            streams: Default::default(),
        }
    }

    /// The X streams this process holds, by channel (for `/metrics`).
    pub fn stream_states(&self) -> Vec<(ChannelId, StreamState)> {
        let mut all: Vec<(ChannelId, StreamState)> = self
            .streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .map(|(id, s)| (*id, s.clone()))
            .collect();
        all.sort_by_key(|(id, _)| id.0);
        all
    }

    pub fn webhook_url(&self, id: ChannelId) -> String {
        format!(
            "{}/webhooks/{}",
            self.public_url.as_deref().unwrap_or(""),
            id.0
        )
    }

    /// A signed link to contact `contact`'s preference page, valid `days` days from now
    /// (1 to [`earshot_core::preferences::MAX_LINK_DAYS`]): its URL and when it expires.
    pub fn preference_link(
        &self,
        ws: earshot_core::WorkspaceId,
        contact: earshot_core::ContactId,
        days: u32,
    ) -> (String, earshot_core::time::Timestamp) {
        let days = days.clamp(1, earshot_core::preferences::MAX_LINK_DAYS);
        let expires = earshot_core::time::now() + chrono::Duration::days(i64::from(days));
        (self.preference_link_until(ws, contact, expires), expires)
    }

    /// The preference link's URL for a link that works until `expires`.
    pub fn preference_link_until(
        &self,
        ws: earshot_core::WorkspaceId,
        contact: earshot_core::ContactId,
        expires: earshot_core::time::Timestamp,
    ) -> String {
        let link = earshot_core::preferences::PreferenceLink {
            workspace: ws,
            contact,
            expires_at: expires.timestamp(),
        };
        format!(
            "{}/preferences/{}",
            self.public_url.as_deref().unwrap_or(""),
            link.encode(self.secrets.link_key())
        )
    }

    /// The preference link a token stands for, if Earshot made it and it has not expired.
    pub fn open_preference_link(
        &self,
        token: &str,
    ) -> Result<earshot_core::preferences::PreferenceLink, earshot_core::preferences::LinkError>
    {
        earshot_core::preferences::PreferenceLink::decode(
            token,
            self.secrets.link_key(),
            earshot_core::time::now().timestamp(),
        )
    }

    /// The tag that puts a web chat channel's widget on a page.
    pub fn embed(&self, id: ChannelId) -> String {
        format!(
            r#"<script src="{}/widget.js" data-channel="{}" async></script>"#,
            self.public_url.as_deref().unwrap_or(""),
            id.0
        )
    }

    /// The channel's settings with its secrets opened.
    pub fn access(&self, ch: &ConnectedChannel) -> Result<Access, String> {
        let secrets = if ch.sealed_secrets.is_empty() {
            Map::new()
        } else {
            let plain = self
                .secrets
                .open(&ch.sealed_secrets)
                .map_err(|e| e.to_string())?;
            match serde_json::from_slice(&plain) {
                Ok(Value::Object(m)) => m,
                _ => return Err("the channel's secrets are not a JSON object".into()),
            }
        };
        Ok(Access {
            connector: ch.connector,
            settings: ch.settings.clone(),
            secrets,
        })
    }

    pub fn view(&self, ch: &ConnectedChannel, registration: Option<String>) -> ChannelView {
        // Required secrets are set: masked without opening them. An optional one (X's
        // `bearer_token`) is masked when it is set, and left out when it is not.
        let mut settings = ch.settings.clone();
        let spec = ch.connector.settings();
        let opened = spec
            .iter()
            .any(|s| s.secret && !s.required)
            .then(|| self.access(ch).ok())
            .flatten();
        for s in spec.iter().filter(|s| s.secret) {
            let set = s.required || opened.as_ref().is_some_and(|a| !a.get(s.name).is_empty());
            if set {
                settings.insert(s.name.into(), Value::String(MASK.into()));
            }
        }
        let stream = self
            .streams
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ch.channel.id)
            .cloned();
        ChannelView {
            id: ch.channel.id,
            kind: ch.connector,
            name: ch.channel.name.clone(),
            status: ch.status,
            status_reason: ch.status_reason.clone(),
            connected: ch.status == earshot_core::connector::ChannelStatus::Active,
            activity: ch.activity.clone(),
            stream,
            settings,
            webhook_url: ch
                .connector
                .takes_webhooks()
                .then(|| self.webhook_url(ch.channel.id)),
            embed: (ch.connector == Connector::WebChat).then(|| self.embed(ch.channel.id)),
            webhook_registration: registration,
            created_at: ch.created_at,
            updated_at: ch.updated_at,
        }
    }

    pub async fn list(&self, ws: WorkspaceId) -> StoreResult<Vec<ChannelView>> {
        Ok(self
            .store
            .connected_channels(ws)
            .await?
            .iter()
            .map(|c| self.view(c, None))
            .collect())
    }

    pub async fn get(&self, ws: WorkspaceId, id: ChannelId) -> StoreResult<ChannelView> {
        Ok(self.view(&self.store.connected_channel(ws, id).await?, None))
    }

    /// Connects a channel; for Telegram, also registers its webhook with the bot.
    pub async fn connect(
        &self,
        ws: WorkspaceId,
        draft: &ChannelDraft,
    ) -> Result<ChannelView, ChannelError> {
        let connector = draft
            .kind
            .parse::<Connector>()
            .map_err(|e| ChannelError::Invalid(vec![("kind".into(), e)]))?;
        let connection = self.connection(connector, &draft.name, &draft.settings)?;
        let ch = self.store.connect_channel(ws, &connection).await?;
        let registration = self.register(&ch).await;
        Ok(self.view(&ch, registration))
    }

    pub async fn update(
        &self,
        ws: WorkspaceId,
        id: ChannelId,
        patch: &ChannelPatch,
    ) -> Result<ChannelView, ChannelError> {
        let ch = self.store.connected_channel(ws, id).await?;
        let old = self
            .access(&ch)
            .map_err(|e| ChannelError::Invalid(vec![("settings".into(), e)]))?;
        let mut merged = ch.settings.clone();
        merged.extend(old.secrets.clone());
        for (k, v) in &patch.settings {
            if v.as_str() != Some(MASK) {
                merged.insert(k.clone(), v.clone());
            }
        }
        let name = patch.name.as_deref().unwrap_or(&ch.channel.name);
        let connection = self.connection(ch.connector, name, &merged)?;
        let ch = self.store.reconnect_channel(ws, id, &connection).await?;
        let registration = self.register(&ch).await;
        Ok(self.view(&ch, registration))
    }

    /// Disconnects a channel (Telegram: deletes the bot's webhook first, best effort).
    pub async fn disconnect(&self, ws: WorkspaceId, id: ChannelId) -> StoreResult<()> {
        let ch = self.store.connected_channel(ws, id).await?;
        if ch.connector == Connector::Telegram {
            if let Ok(access) = self.access(&ch) {
                if let Err(e) =
                    earshot_channels::telegram::delete_webhook(&self.http, &access).await
                {
                    tracing::warn!(channel = id.0, error = ?e, "Telegram deleteWebhook failed");
                }
            }
        }
        self.store.disconnect_channel(ws, id).await
    }

    /// Why a reply on this conversation may not go now (its platform's messaging window is
    /// closed), checked before the reply is taken; `None` when it may go (or when no
    /// connected channel carries it, which the sender reports as `not_sent`).
    pub async fn reply_refusal(
        &self,
        ws: WorkspaceId,
        conversation: earshot_core::ConversationId,
        template: bool,
    ) -> StoreResult<Option<String>> {
        let Some(target) = self.store.reply_target(ws, conversation).await? else {
            return Ok(None);
        };
        // Messaging windows govern private messages; a public comment is answered in public.
        if target.last_inbound_public {
            return Ok(None);
        }
        match self.store.connected_channel(ws, target.channel_id).await {
            Ok(ch) => Ok(send::window_closed(
                ch.connector,
                target.last_inbound_at,
                earshot_core::time::now(),
                template,
            )),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Applies what a platform reported about a reply on `channel`: its delivery state moves
    /// (forward only) and the conversation's history says so.
    pub async fn apply_status(
        &self,
        ws: WorkspaceId,
        channel: ChannelId,
        report: &earshot_core::connector::StatusReport,
    ) -> StoreResult<()> {
        use earshot_core::connector::DeliveryState;
        let Some(changed) = self.store.record_status(ws, channel, report).await? else {
            return Ok(());
        };
        let kind = match report.state {
            DeliveryState::Delivered => "reply_delivered",
            DeliveryState::Read => "reply_read",
            DeliveryState::Failed => "reply_failed",
            _ => return Ok(()),
        };
        if let Some(c) = changed.conversation_id {
            let data = serde_json::json!({"outbox_id": changed.outbox_id, "platform_id": report.platform_id,
                              "at": report.at, "error": report.error});
            self.store
                .change_conversation(
                    ws,
                    c,
                    &Default::default(),
                    earshot_core::rules::Actor::System,
                    &[earshot_core::workflow::NewEvent::new(kind, data)],
                )
                .await?;
        }
        Ok(())
    }

    /// One harmless call to the platform with the channel's settings.
    pub async fn test(
        &self,
        ws: WorkspaceId,
        id: ChannelId,
    ) -> StoreResult<Result<String, String>> {
        let ch = self.store.connected_channel(ws, id).await?;
        let access = match self.access(&ch) {
            Ok(a) => a,
            Err(e) => return Ok(Err(e)),
        };
        Ok(send::test_connection(&self.http, &access)
            .await
            .map_err(|f| f.text().to_string()))
    }

    /// Checks `settings` against what the connector takes (every problem at once) and seals
    /// the secret ones.
    fn connection(
        &self,
        connector: Connector,
        name: &str,
        settings: &Map<String, Value>,
    ) -> Result<Connection, ChannelError> {
        let mut problems = Vec::new();
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            problems.push(("name".into(), "must be 1 to 100 characters".into()));
        }
        let spec = connector.settings();
        for k in settings.keys() {
            if !spec.iter().any(|s| s.name == k) {
                let known: Vec<&str> = spec.iter().map(|s| s.name).collect();
                problems.push((
                    format!("settings.{k}"),
                    format!("not a {connector} setting; expected {}", known.join(", ")),
                ));
            }
        }
        let mut plain = Map::new();
        let mut secret = Map::new();
        for s in spec {
            let path = format!("settings.{}", s.name);
            match settings.get(s.name) {
                None | Some(Value::Null) if s.required => {
                    problems.push((path, "is required".into()));
                }
                None | Some(Value::Null) => {}
                Some(Value::String(v)) if v.trim().is_empty() && s.required => {
                    problems.push((path, "must not be empty".into()));
                }
                Some(Value::String(v)) if v.contains(char::is_control) => {
                    problems.push((path, "contains a control character".into()));
                }
                Some(Value::String(v))
                    if (s.name == "imap_url"
                        && !(v.starts_with("imap://") || v.starts_with("imaps://")))
                        || (s.name == "smtp_url"
                            && !(v.starts_with("smtp://") || v.starts_with("smtps://"))) =>
                {
                    let scheme = if s.name == "imap_url" {
                        "imap:// or imaps://"
                    } else {
                        "smtp:// or smtps://"
                    };
                    problems.push((path, format!("must be a {scheme} URL")));
                }
                Some(Value::String(v)) if s.name == "allowed_origins" => {
                    match earshot_channels::webchat::parse_origins(v) {
                        Ok(origins) => {
                            plain.insert(s.name.into(), Value::String(origins.join(", ")));
                        }
                        Err(e) => problems.push((path, e)),
                    }
                }
                Some(Value::String(v))
                    if matches!(
                        s.name,
                        "stream_rule_limit" | "stream_rule_chars" | "poll_seconds" | "poll_minutes"
                    ) && !v.trim().parse::<u32>().is_ok_and(|n| n > 0) =>
                {
                    problems.push((path, format!("must be a whole number above 0, not `{v}`")));
                }
                Some(Value::String(v)) if s.name == "hashtags" => {
                    match earshot_channels::mastodon_listen::parse_hashtags(v) {
                        Ok(tags) => {
                            plain.insert(s.name.into(), Value::String(tags.join(", ")));
                        }
                        Err(e) => problems.push((path, e)),
                    }
                }
                Some(Value::String(v)) if s.name == "public_timeline" => {
                    if let Err(e) = earshot_channels::mastodon_listen::parse_public(v) {
                        problems.push((path, e));
                    } else {
                        plain.insert(s.name.into(), Value::String(v.trim().to_lowercase()));
                    }
                }
                Some(Value::String(v)) if s.name == "subreddits" => {
                    match earshot_channels::reddit_listen::parse_subreddits(v) {
                        Ok(subs) => {
                            plain.insert(s.name.into(), Value::String(subs.join("+")));
                        }
                        Err(e) => problems.push((path, e)),
                    }
                }
                Some(Value::String(v)) if s.name == "search" && v.chars().count() > 512 => {
                    problems.push((
                        path,
                        "must be at most 512 characters (Reddit's limit)".into(),
                    ));
                }
                Some(Value::String(v)) if s.name == "address" && !v.contains('@') => {
                    problems.push((path, "must be an email address".into()));
                }
                Some(Value::String(v))
                    if matches!(s.name, "api_base" | "instance_url" | "base_url" | "url")
                        && !v.is_empty() =>
                {
                    if !(v.starts_with("https://") || v.starts_with("http://")) {
                        problems.push((path, "must be an http:// or https:// URL".into()));
                    } else {
                        plain.insert(s.name.into(), Value::String(v.trim().into()));
                    }
                }
                Some(Value::String(v)) => {
                    let target = if s.secret { &mut secret } else { &mut plain };
                    target.insert(s.name.into(), Value::String(v.trim().into()));
                }
                Some(_) => problems.push((path, "must be a string".into())),
            }
        }
        if !problems.is_empty() {
            return Err(ChannelError::Invalid(problems));
        }
        Ok(Connection {
            connector,
            name: name.to_string(),
            settings: plain,
            sealed_secrets: self
                .secrets
                .seal(Value::Object(secret).to_string().as_bytes()),
        })
    }

    /// Registers the webhook where the platform lets Earshot do it (Telegram's `setWebhook`);
    /// says what happened, or what the admin must do.
    async fn register(&self, ch: &ConnectedChannel) -> Option<String> {
        if ch.connector != Connector::Telegram {
            return None;
        }
        let Some(_) = &self.public_url else {
            return Some(
                "not registered: EARSHOT_PUBLIC_URL is not set, so Earshot does not know its public address; \
                 set it and save the channel again, or call setWebhook with this webhook_url and secret_token"
                    .into(),
            );
        };
        let access = self.access(ch).ok()?;
        Some(
            match earshot_channels::telegram::set_webhook(
                &self.http,
                &access,
                &self.webhook_url(ch.channel.id),
            )
            .await
            {
                Ok(()) => "registered with Telegram (setWebhook)".into(),
                Err(f) => format!("not registered: {}", f.text()),
            },
        )
    }
}

/// A webhook call's check, the platform's way. `header` looks a request header up by its
/// lowercase name.
pub fn verify_webhook(
    access: &Access,
    body: &[u8],
    header: impl Fn(&str) -> Option<String>,
) -> bool {
    use earshot_channels::webhook::{meta_signature_ok, token_matches};
    if access.connector.is_shop() {
        // Failing closed: no secret, no call is genuine (an empty key is anyone's).
        let secret = access.get("webhook_secret");
        !secret.is_empty()
            && earshot_channels::shopify::verify(
                secret.as_bytes(),
                body,
                header("x-shopify-hmac-sha256").as_deref(),
            )
    } else if access.connector == Connector::Discourse {
        // `sha256=<hex HMAC-SHA256(secret, body)>`: Meta's form, under the webhook secret.
        let secret = access.get("webhook_secret");
        !secret.is_empty()
            && meta_signature_ok(
                secret,
                body,
                header("x-discourse-event-signature").as_deref(),
            )
    } else if access.connector == Connector::X {
        earshot_channels::x_activity::signature_ok(
            access.get("consumer_secret"),
            body,
            header("x-twitter-webhooks-signature").as_deref(),
        )
    } else if access.connector.is_meta() {
        meta_signature_ok(
            access.get("app_secret"),
            body,
            header("x-hub-signature-256").as_deref(),
        )
    } else {
        token_matches(
            access.get("secret_token"),
            header("x-telegram-bot-api-secret-token").as_deref(),
        )
    }
}

/// X's challenge-response check (CRC): the `response_token` for `crc_token`, signed with the
/// channel's consumer secret; `None` for other platforms or without a secret.
pub fn crc_answer(access: &Access, crc_token: &str) -> Option<String> {
    let secret = access.get("consumer_secret");
    (access.connector == Connector::X && !secret.is_empty())
        .then(|| earshot_channels::x_activity::crc_response(secret, crc_token))
}

/// Meta's subscription handshake: the challenge to echo when `mode` and `token` are right.
pub fn handshake<'a>(
    access: &Access,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
) -> Option<&'a str> {
    let token_ok = earshot_channels::webhook::token_matches(access.get("verify_token"), token);
    (access.connector.is_meta() && mode == Some("subscribe") && token_ok)
        .then_some(challenge)
        .flatten()
}

impl Channels {
    /// Records what a poll or webhook round did on `ch` (its activity for admins); a failure
    /// to record it is logged, never passed on.
    pub(crate) async fn note(
        &self,
        ch: &ConnectedChannel,
        polled: bool,
        events: bool,
        error: Option<&str>,
    ) {
        let report = earshot_core::connector::ActivityReport {
            polled,
            events,
            error: error.map(str::to_string),
        };
        if let Err(e) = self
            .store
            .record_activity(ch.channel.id, &report, earshot_core::time::now())
            .await
        {
            tracing::warn!(channel = ch.channel.id.0, error = %e, "recording the channel's activity failed");
        }
    }
}
