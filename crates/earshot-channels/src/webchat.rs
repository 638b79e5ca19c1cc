//! The web chat widget's side of a channel: which sites may embed it (`allowed_origins`),
//! the visitors it gives an identity to, and what a visitor's message becomes.
//!
//! The widget posts `{visitor, id, text, name?, email?}`; the server checks the origin and
//! the fields, stamps when it received the message, and keeps the call in the same durable
//! queue as the platforms' webhooks, so a message the widget was told `202` for is never
//! lost. The webhook worker then decodes it here into an [`Inbound`].

use crate::webhook::WebhookBatch;
use crate::{Decoded, Location, Reject};
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

/// Longest message a visitor may send, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;
/// Longest visitor name.
pub const MAX_NAME_CHARS: usize = 100;

/// Reads an `allowed_origins` setting: origins (`https://shop.example.com`,
/// `http://localhost:8080`) separated by commas, spaces or new lines; each normalized to
/// `scheme://host[:port]`, as browsers send it in `Origin`.
pub fn parse_origins(setting: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    for raw in setting
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|s| !s.is_empty())
    {
        let url = url::Url::parse(raw).map_err(|e| format!("`{raw}` is not an origin: {e}"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!("`{raw}` must start with https:// or http://"));
        }
        if url.host_str().is_none()
            || url.path() != "/"
            || url.query().is_some()
            || url.fragment().is_some()
            || !url.username().is_empty()
        {
            return Err(format!(
                "`{raw}` must be an origin only (scheme, host and port), like https://shop.example.com"
            ));
        }
        let origin = url.origin().ascii_serialization();
        if !out.contains(&origin) {
            out.push(origin);
        }
    }
    if out.is_empty() {
        return Err("name at least one origin, like https://shop.example.com".into());
    }
    Ok(out)
}

/// Whether a request's `Origin` header is one of the channel's allowed origins, as the
/// setting holds them ([`parse_origins`] normalized them when the channel was saved, so no
/// URL is parsed per request). A request without one (not sent by a browser page) is
/// refused.
pub fn origin_allowed(allowed: &str, origin: Option<&str>) -> bool {
    let Some(origin) = origin else { return false };
    allowed
        .split(", ")
        .any(|a| !a.is_empty() && a.eq_ignore_ascii_case(origin))
}

/// A new visitor identity: 128 random bits in hex, kept in the visitor's browser. Knowing it
/// is what lets a browser read the visitor's conversation, so it is never guessable.
pub fn new_visitor() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Whether `v` has the shape [`new_visitor`] gives.
pub fn is_visitor(v: &str) -> bool {
    v.len() == 32
        && v.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// A visitor's message as the server keeps it, checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub visitor: String,
    /// The widget's id for the message: a resend of the same id stores one message.
    pub id: String,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Given when no agent was online, to be answered later.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The page the visitor was on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<String>,
    /// When the server received it (the widget's clock is not trusted).
    pub received_at: earshot_core::time::Timestamp,
}

/// What the widget posts, before checking.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChatPost {
    pub visitor: String,
    pub id: String,
    pub text: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
}

impl ChatPost {
    /// The message to keep, or every problem with it, each with its field.
    pub fn check(
        self,
        received_at: earshot_core::time::Timestamp,
    ) -> Result<ChatMessage, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut problem = |field: &str, why: &str| problems.push((field.into(), why.into()));
        if !is_visitor(&self.visitor) {
            problem(
                "visitor",
                "must be the visitor id this server gave (32 hex digits)",
            );
        }
        let id = self.id.trim();
        if id.is_empty()
            || id.len() > 64
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            problem("id", "must be 1 to 64 letters, digits, `-` or `_`");
        }
        let text = self.text.trim();
        if text.is_empty() {
            problem("text", "must not be empty");
        } else if text.chars().count() > MAX_TEXT_CHARS {
            problem("text", "must be at most 4,000 characters");
        }
        let clean = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let name = clean(self.name);
        if name
            .as_ref()
            .is_some_and(|n| n.chars().count() > MAX_NAME_CHARS || n.contains(char::is_control))
        {
            problem(
                "name",
                "must be at most 100 characters, without control characters",
            );
        }
        let email = clean(self.email);
        if let Some(e) = &email {
            let ok = e.len() <= 254
                && e.split_once('@').is_some_and(|(local, domain)| {
                    !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
                })
                && !e.contains(|c: char| c.is_whitespace() || c.is_control());
            if !ok {
                problem("email", "must be an email address, like jo@example.com");
            }
        }
        let page = clean(self.page).filter(|p| p.len() <= 2_000);
        if !problems.is_empty() {
            return Err(problems);
        }
        Ok(ChatMessage {
            visitor: self.visitor,
            id: id.to_string(),
            text: text.replace('\0', ""),
            name,
            email,
            page,
            received_at,
        })
    }
}

/// The short handle a visitor without an email is shown by.
pub fn visitor_handle(visitor: &str) -> String {
    format!("visitor-{}", &visitor[..visitor.len().min(8)])
}

/// A kept web chat call (one [`ChatMessage`]) as the pipeline's message. The visitor is the
/// author's platform id; their email, when they gave one, is the handle the inbox shows.
pub fn decode(value: &serde_json::Value, account: &str) -> WebhookBatch {
    let mut batch = WebhookBatch::default();
    let result = serde_json::from_value::<ChatMessage>(value.clone())
        .map_err(|e| Reject::new("invalid_field", format!("not a web chat message: {e}")))
        .and_then(|m| {
            if is_visitor(&m.visitor) {
                Ok(m)
            } else {
                Err(Reject::new(
                    "invalid_field",
                    "`visitor` is not a visitor id",
                ))
            }
        })
        .map(|m| Inbound {
            channel: ChannelKind::WebChat,
            account: Some(account.to_string()),
            source: ChannelRole::Owned,
            external_id: format!("{}:{}", m.visitor, m.id),
            direction: Direction::In,
            visibility: Visibility::Private,
            author: InboundAuthor {
                handle: Some(
                    m.email
                        .clone()
                        .unwrap_or_else(|| visitor_handle(&m.visitor)),
                ),
                display_name: m.name.clone(),
                external_id: m.visitor.clone(),
                followers: None,
                verified: false,
                email: None,
                phone: None,
            },
            text: m.text.clone(),
            created_at: m.received_at,
            in_reply_to: None,
            raw: Some(value.clone()),
            automated: false,
            signature: None,
            url: None,
            attachments: Vec::new(),
        });
    batch.messages.push(Decoded {
        location: Location::Path("message".into()),
        result,
    });
    batch
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_normalized_and_checked() {
        assert_eq!(
            parse_origins(
                "https://Shop.example.com, http://localhost:8080\nhttps://shop.example.com:443"
            )
            .unwrap(),
            vec!["https://shop.example.com", "http://localhost:8080"]
        );
        assert!(parse_origins("https://shop.example.com/page")
            .unwrap_err()
            .contains("origin only"));
        assert!(parse_origins("ftp://x.example")
            .unwrap_err()
            .contains("https://"));
        assert!(parse_origins(" , ").unwrap_err().contains("at least one"));
        assert!(origin_allowed(
            "https://shop.example.com",
            Some("https://shop.example.com")
        ));
        assert!(!origin_allowed(
            "https://shop.example.com",
            Some("https://evil.example.com")
        ));
        assert!(!origin_allowed("https://shop.example.com", None));
        // As the setting keeps them: normalized, joined by ", ".
        let kept = parse_origins("https://Shop.example.com http://localhost:8080")
            .unwrap()
            .join(", ");
        assert!(origin_allowed(&kept, Some("http://localhost:8080")));
        assert!(!origin_allowed(&kept, Some("http://localhost")));
    }

    #[test]
    fn a_post_reports_every_problem() {
        let post = ChatPost {
            visitor: "not-a-visitor".into(),
            id: "".into(),
            text: "  ".into(),
            name: None,
            email: Some("jo at example".into()),
            page: None,
        };
        let problems = post.check(earshot_core::time::now()).unwrap_err();
        let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["visitor", "id", "text", "email"]);
    }

    #[test]
    fn a_message_decodes_with_the_visitor_as_author() {
        let visitor = new_visitor();
        assert!(is_visitor(&visitor));
        let at = earshot_core::time::now();
        let m = ChatPost {
            visitor: visitor.clone(),
            id: "m-1".into(),
            text: " Where is my order? ".into(),
            name: Some("Jo".into()),
            email: Some("jo@example.com".into()),
            page: Some("https://shop.example.com/orders".into()),
        }
        .check(at)
        .unwrap();
        let batch = decode(&serde_json::to_value(&m).unwrap(), "Site chat");
        let inbound = batch.messages[0].result.as_ref().unwrap();
        assert_eq!(inbound.external_id, format!("{visitor}:m-1"));
        assert_eq!(inbound.author.external_id, visitor);
        assert_eq!(inbound.author.handle.as_deref(), Some("jo@example.com"));
        assert_eq!(inbound.text, "Where is my order?");
        assert_eq!(inbound.visibility, Visibility::Private);
        assert_eq!(inbound.created_at, at);
    }
}
