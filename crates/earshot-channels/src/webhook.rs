//! What platforms send to a channel's webhook: verified the platform's way, then decoded by
//! the platform's module into messages and the other events a care team needs applied.

use crate::{Decoded, Location};
use earshot_core::connector::{Connector, StatusReport};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

/// One webhook body, decoded.
#[derive(Debug, Clone, Default)]
pub struct WebhookBatch {
    /// Messages (or why one could not be read), in payload order.
    pub messages: Vec<Decoded>,
    /// Delivery statuses of the brand's own messages.
    pub statuses: Vec<StatusReport>,
    /// Platform ids of messages their authors deleted.
    pub deleted: Vec<String>,
    /// Reactions to messages (an emoji on the brand's reply, say): applied to the
    /// conversation's history; a reaction is no message, so nobody is made to wait by it.
    pub reactions: Vec<Reaction>,
    /// Events that are not applied, each with where it was and why.
    pub ignored: Vec<(Location, String)>,
}

/// A customer's reaction to a message, or its removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    /// The platform id of the message reacted to.
    pub platform_id: String,
    /// `None`: the reaction was removed.
    pub emoji: Option<String>,
    /// The customer's platform id.
    pub author: String,
    pub at: earshot_core::time::Timestamp,
}

impl WebhookBatch {
    pub(crate) fn ignore(&mut self, at: impl Into<String>, why: impl Into<String>) {
        self.ignored.push((Location::Path(at.into()), why.into()));
    }

    /// A one-line account of it, for the webhook call's stored outcome and logs.
    pub fn summary(&self) -> String {
        let rejected = self.messages.iter().filter(|d| d.result.is_err()).count();
        let mut parts = vec![format!(
            "{} message(s), {} status(es), {} deletion(s)",
            self.messages.len() - rejected,
            self.statuses.len(),
            self.deleted.len()
        )];
        if !self.reactions.is_empty() {
            parts[0].push_str(&format!(", {} reaction(s)", self.reactions.len()));
        }
        for d in &self.messages {
            if let Err(r) = &d.result {
                parts.push(format!(
                    "rejected {}: {} ({})",
                    d.location, r.reason, r.code
                ));
            }
        }
        for (at, why) in &self.ignored {
            parts.push(format!("ignored {at}: {why}"));
        }
        parts.join("; ")
    }
}

/// Decodes a webhook body a channel with `connector` received; `account` is the channel's
/// name (the account its messages belong to), `settings` its settings that are not secret.
pub fn decode(
    connector: Connector,
    body: &[u8],
    account: &str,
    settings: &serde_json::Map<String, serde_json::Value>,
) -> Result<WebhookBatch, String> {
    let value: serde_json::Value =
        serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
    Ok(match connector {
        Connector::Whatsapp => crate::whatsapp::decode_webhook(&value, account),
        Connector::Messenger | Connector::Instagram => {
            crate::messenger::decode_webhook(&value, account, connector)
        }
        Connector::Telegram => crate::telegram::decode_update(&value, account),
        Connector::X => crate::x_activity::decode_activity(&value, account),
        Connector::Discourse => crate::discourse::decode_webhook(
            &value,
            account,
            settings
                .get("api_username")
                .and_then(serde_json::Value::as_str)
                .unwrap_or(""),
        ),
        Connector::Email => {
            return Err("email channels poll their mailbox; they take no webhooks".into())
        }
        Connector::Mastodon | Connector::Reddit | Connector::Feed => {
            return Err(format!(
                "{connector} channels are polled; they take no webhooks"
            ))
        }
        Connector::WebChat => crate::webchat::decode(&value, account),
        Connector::Shopify => {
            return Err(
                "a shop's webhooks carry orders: they are stored as orders on arrival".into(),
            )
        }
    })
}

/// A file holding platform payloads (`earshot ingest`): its messages, and a reject with the
/// reason for everything in it that is not a message (statuses, ignored events), so nothing
/// in the file goes unaccounted for. Documentation templates with `//` comments are read as
/// far as they are JSON once the comments are removed.
pub fn decode_file(
    format: crate::Format,
    bytes: &[u8],
    options: &crate::DecodeOptions,
) -> Vec<Decoded> {
    use crate::{Format, Reject};
    let text = String::from_utf8_lossy(bytes);
    let value: serde_json::Value = match serde_json::from_str(&text)
        .or_else(|_| serde_json::from_str(&strip_comments(&text)))
    {
        Ok(v) => v,
        Err(e) => {
            return vec![Decoded {
                location: Location::Line(e.line() as u64),
                result: Err(Reject::new(
                    "invalid_json",
                    format!("not valid JSON, even without comments: {e}"),
                )),
            }]
        }
    };
    let (connector, kind) = match format {
        Format::Whatsapp => (Connector::Whatsapp, "whatsapp"),
        Format::Instagram => (Connector::Instagram, "instagram"),
        Format::Telegram => (Connector::Telegram, "telegram"),
        _ => (Connector::Messenger, "facebook"),
    };
    let account = options.account.as_deref().unwrap_or(kind);
    let items: Vec<&serde_json::Value> = match (&value, connector) {
        (serde_json::Value::Array(a), _) => a.iter().collect(),
        (v, Connector::Telegram) if v["result"].is_array() => {
            v["result"].as_array().unwrap().iter().collect()
        }
        (v, _) => vec![v],
    };
    let mut out = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let batch = match connector {
            Connector::Whatsapp => crate::whatsapp::decode_webhook(item, account),
            Connector::Telegram => crate::telegram::decode_update(item, account),
            c => crate::messenger::decode_webhook(item, account, c),
        };
        let prefix = |l: Location| match l {
            Location::Path(p) if i > 0 || matches!(value, serde_json::Value::Array(_)) => {
                Location::Path(format!("[{i}].{p}"))
            }
            other => other,
        };
        out.extend(batch_records(batch, prefix));
    }
    out
}

/// A decoded webhook body as file records: its messages, and a reject with the reason for
/// everything else in it (statuses, reactions, deletions and ignored events are applied by
/// the webhook worker, not by an import); `prefix` places each location in the file.
pub(crate) fn batch_records(
    batch: WebhookBatch,
    prefix: impl Fn(Location) -> Location,
) -> Vec<Decoded> {
    use crate::Reject;
    let mut out = Vec::new();
    for d in batch.messages {
        out.push(Decoded {
            location: prefix(d.location),
            result: d.result,
        });
    }
    for s in batch.statuses {
        out.push(Decoded {
            location: prefix(Location::Path("statuses".into())),
            result: Err(Reject::new(
                "not_a_message",
                format!(
                    "a `{}` status for {}: applied to replies by the webhook, not imported",
                    s.state.as_str(),
                    s.platform_id
                ),
            )),
        });
    }
    for r in batch.reactions {
        out.push(Decoded {
            location: prefix(Location::Path("reaction".into())),
            result: Err(Reject::new(
                "not_a_message",
                format!(
                    "a reaction {} to {}: applied to conversations by the webhook, not imported",
                    r.emoji.as_deref().unwrap_or("(removed)"),
                    r.platform_id
                ),
            )),
        });
    }
    for id in batch.deleted {
        out.push(Decoded {
            location: prefix(Location::Path("deleted".into())),
            result: Err(Reject::new(
                "not_a_message",
                format!("the deletion of {id}: applied by the webhook, not imported"),
            )),
        });
    }
    for (at, why) in batch.ignored {
        out.push(Decoded {
            location: prefix(at),
            result: Err(Reject::new("not_a_message", why)),
        });
    }
    out
}

/// `text` without `//` and `/* */` comments (outside strings).
pub fn strip_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                }
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match (c, chars.peek()) {
            ('"', _) => {
                in_string = true;
                out.push(c);
            }
            ('/', Some('/')) => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            ('/', Some('*')) => {
                chars.next();
                let mut last = ' ';
                for n in chars.by_ref() {
                    if last == '*' && n == '/' {
                        break;
                    }
                    last = n;
                }
            }
            _ => out.push(c),
        }
    }
    out
}

/// Meta's `X-Hub-Signature-256` check: `sha256=<hex HMAC-SHA256(app_secret, body)>` over the
/// body exactly as received, compared in constant time. A missing or malformed header fails.
pub fn meta_signature_ok(app_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_sig) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(expected) = hex::decode(hex_sig) else {
        return false;
    };
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// The header value Meta would send for `body` (for tests and tools that sign as Meta does).
pub fn meta_signature(app_secret: &str, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(app_secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// A shared-token check (Telegram's `X-Telegram-Bot-Api-Secret-Token`, Meta's
/// `hub.verify_token`), in constant time; an empty expected token never matches.
pub fn token_matches(secret_token: &str, header: Option<&str>) -> bool {
    match header {
        Some(h) => {
            !secret_token.is_empty() && bool::from(h.as_bytes().ct_eq(secret_token.as_bytes()))
        }
        None => false,
    }
}

/// Unix seconds (a number or a numeric string, as Meta sends them) as a timestamp.
pub(crate) fn unix_seconds(v: &serde_json::Value) -> Option<earshot_core::time::Timestamp> {
    let secs = match v {
        serde_json::Value::String(s) => s.parse::<i64>().ok()?,
        other => other.as_i64()?,
    };
    chrono::DateTime::from_timestamp(secs, 0)
}

/// Unix milliseconds as a timestamp.
pub(crate) fn unix_millis(v: &serde_json::Value) -> Option<earshot_core::time::Timestamp> {
    chrono::DateTime::from_timestamp_millis(v.as_i64()?)
}

/// A customer's private message on an owned channel, validated.
pub(crate) struct Private<'a> {
    pub channel: earshot_core::ChannelKind,
    pub account: &'a str,
    pub external_id: String,
    pub author_id: String,
    pub handle: Option<String>,
    pub name: Option<String>,
    pub text: String,
    pub at: earshot_core::time::Timestamp,
    pub in_reply_to: Option<String>,
    pub raw: serde_json::Value,
    pub attachments: Vec<earshot_core::Attachment>,
}

impl Private<'_> {
    pub(crate) fn build(self) -> Result<earshot_core::Inbound, crate::Reject> {
        let in_reply_to = self.in_reply_to.filter(|p| *p != self.external_id);
        let inbound = earshot_core::Inbound {
            channel: self.channel,
            account: Some(self.account.to_string()),
            source: earshot_core::ChannelRole::Owned,
            external_id: self.external_id,
            direction: earshot_core::Direction::In,
            visibility: earshot_core::Visibility::Private,
            author: earshot_core::InboundAuthor {
                external_id: self.author_id,
                handle: self.handle,
                display_name: self.name,
                followers: None,
                verified: false,
                email: None,
                phone: None,
            },
            text: self.text,
            created_at: self.at,
            in_reply_to,
            raw: Some(self.raw),
            automated: false,
            signature: None,
            url: None,
            attachments: self.attachments,
        };
        inbound.validate()?;
        Ok(inbound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_signatures_are_checked_over_the_raw_bytes() {
        let body = br#"{"object":"whatsapp_business_account", "entry":[]}"#;
        let good = meta_signature("s3cret", body);
        assert!(meta_signature_ok("s3cret", body, Some(&good)));
        assert!(!meta_signature_ok("other", body, Some(&good)));
        assert!(!meta_signature_ok("s3cret", b"{}", Some(&good)));
        assert!(!meta_signature_ok("s3cret", body, None));
        assert!(!meta_signature_ok("s3cret", body, Some("sha1=abc")));
        assert!(!meta_signature_ok("s3cret", body, Some("sha256=zz")));
    }

    #[test]
    fn shared_tokens_must_match_exactly() {
        assert!(token_matches("tok", Some("tok")));
        assert!(!token_matches("tok", Some("tok2")));
        assert!(!token_matches("tok", None));
        assert!(!token_matches("", Some("")));
    }
}
