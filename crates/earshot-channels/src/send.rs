//! Replies out through the platforms' send APIs, with each platform's rules checked first.
//! The platform's answer decides the outcome: its message id when it accepted the reply,
//! otherwise its error code and message, sorted into what is worth retrying, what needs an
//! admin (a refused token) and what will never go.

use earshot_core::connector::Connector;
use earshot_core::time::Timestamp;
use serde_json::{Map, Value};
use std::time::Duration;

/// The Graph API version Earshot's requests are written against.
pub const GRAPH_VERSION: &str = "v21.0";

/// What a channel needs to reach its platform: its settings, and its secrets opened.
#[derive(Clone)]
pub struct Access {
    pub connector: Connector,
    pub settings: Map<String, Value>,
    pub secrets: Map<String, Value>,
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Access")
            .field("connector", &self.connector)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

impl Access {
    /// A setting or secret by name (`""` when absent).
    pub fn get(&self, name: &str) -> &str {
        self.secrets
            .get(name)
            .or_else(|| self.settings.get(name))
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The API host, without a trailing slash.
    pub fn api_base(&self) -> String {
        let base = self.get("api_base");
        let base = if base.is_empty() {
            self.connector.default_api_base()
        } else {
            base
        };
        base.trim_end_matches('/').to_string()
    }
}

/// One reply to send.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub text: &'a str,
    /// The customer's platform id (a WhatsApp number, a Page- or Instagram-scoped id).
    pub recipient: &'a str,
    /// The platform id of the customer message it answers.
    pub answering: Option<&'a str>,
    /// When the customer last wrote (messaging windows count from it).
    pub last_inbound_at: Timestamp,
    pub now: Timestamp,
    /// An approved template to send instead of free text (WhatsApp).
    pub template: Option<&'a earshot_core::connector::Template>,
    /// The native payload of the customer's last message (an email's subject, references).
    pub answered: Option<&'a Value>,
    /// The customer wrote in public (an Instagram comment): the answer goes there too.
    pub public: bool,
    /// Names this reply for the platform, the same on every attempt (Mastodon's
    /// `Idempotency-Key`: a retried send never posts twice).
    pub key: &'a str,
}

/// Why a reply did not leave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later.
    Transient(String),
    /// Refused for good.
    Rejected(String),
    /// Never offered to the platform (one of its rules forbids it now).
    NotSent(String),
    /// The platform refused the channel's token: an admin must give it a new one.
    Reauth(String),
    /// The platform's rate limit: try again at `until` (without using up an attempt).
    Wait { error: String, until: Timestamp },
}

impl Failure {
    /// What went wrong, in the platform's words.
    pub fn text(&self) -> &str {
        match self {
            Failure::Transient(e)
            | Failure::Rejected(e)
            | Failure::NotSent(e)
            | Failure::Reauth(e)
            | Failure::Wait { error: e, .. } => e,
        }
    }
}

/// What one read of a polled channel brought: its messages (or why one could not be read),
/// oldest first, and where the next read starts (`None`: nowhere yet).
pub struct Polled {
    pub records: Vec<crate::Decoded>,
    pub cursor: Option<String>,
    /// A source still had more after this read (read again at once).
    pub more: bool,
    /// Listening sources that could not be read this time, each with why (the inbox was read
    /// all the same).
    pub problems: Vec<String>,
}

/// Reads what a polled channel (Mastodon, Reddit) received after `cursor`; `account` is the
/// channel's name.
pub async fn poll(
    http: &reqwest::Client,
    access: &Access,
    account: &str,
    cursor: Option<&str>,
) -> Result<Polled, Failure> {
    match access.connector {
        Connector::Mastodon => crate::mastodon_api::poll(http, access, account, cursor).await,
        Connector::Reddit => crate::reddit_api::poll(http, access, account, cursor).await,
        Connector::Feed => crate::feed::poll(http, access, account, cursor).await,
        other => Err(Failure::Rejected(format!(
            "{other} channels are not polled"
        ))),
    }
}

/// What the platform accepted: its id for the message.
pub type Accepted = Result<String, Failure>;

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(15))
        .user_agent(concat!("earshot/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("an HTTP client")
}

/// Sends `out` on the channel `access` reaches.
pub async fn reply(http: &reqwest::Client, access: &Access, out: &Outgoing<'_>) -> Accepted {
    match access.connector {
        Connector::Whatsapp => crate::whatsapp::send(http, access, out).await,
        Connector::Messenger | Connector::Instagram => {
            crate::messenger::send(http, access, out).await
        }
        Connector::Telegram => crate::telegram::send(http, access, out).await,
        Connector::X => crate::x_api::send(http, access, out).await,
        Connector::Discourse => crate::discourse::send(http, access, out).await,
        Connector::Mastodon => crate::mastodon_api::send(http, access, out).await,
        Connector::Reddit => crate::reddit_api::send(http, access, out).await,
        Connector::Feed => Err(Failure::NotSent(
            "a feed is a listening source: answer where the post is (its link is on the message)"
                .into(),
        )),
        Connector::Email => crate::mailbox::send(access, out).await,
        // Earshot is the platform: the reply is released to the visitor's widget.
        Connector::WebChat => Ok(format!("webchat-{}", crate::webchat::new_visitor())),
        Connector::Shopify => Err(Failure::NotSent(
            "a Shopify channel brings orders in; it has no conversations to answer".into(),
        )),
    }
}

/// One harmless call that shows the settings work (who the token belongs to).
pub async fn test_connection(http: &reqwest::Client, access: &Access) -> Result<String, Failure> {
    match access.connector {
        Connector::Whatsapp => crate::whatsapp::test(http, access).await,
        Connector::Messenger | Connector::Instagram => crate::messenger::test(http, access).await,
        Connector::Telegram => crate::telegram::test(http, access).await,
        Connector::X => crate::x_api::test(http, access).await,
        Connector::Discourse => crate::discourse::test(http, access).await,
        Connector::Mastodon => crate::mastodon_api::test(http, access).await,
        Connector::Reddit => crate::reddit_api::test(http, access).await,
        Connector::Feed => {
            let polled = crate::feed::poll(http, access, "feed", None).await?;
            let read = polled.records.iter().filter(|r| r.result.is_ok()).count();
            match polled.records.first().map(|r| &r.result) {
                Some(Err(e)) if read == 0 => Err(Failure::Rejected(e.reason.clone())),
                _ => Ok(format!("the feed lists {read} entries")),
            }
        }
        Connector::Email => crate::mailbox::test(access).await,
        Connector::WebChat => crate::webchat::parse_origins(access.get("allowed_origins"))
            .map(|o| {
                format!(
                    "nothing to call: the widget talks to Earshot itself, from {}",
                    o.join(", ")
                )
            })
            .map_err(Failure::Rejected),
        Connector::Shopify => Ok(format!(
            "nothing to call: {} sends its order webhooks here, signed with the webhook secret",
            access.get("shop_domain")
        )),
    }
}

/// A POST or GET's answer: its status and JSON body (`Null` when it had none or no JSON).
pub(crate) async fn call(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<(u16, Value), Failure> {
    call_with_headers(request, what)
        .await
        .map(|a| (a.status, a.body))
}

/// A platform's answer with the headers some platforms put their rate limits in.
pub(crate) struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    /// The JSON body, `Null` when it had none or no JSON.
    pub body: Value,
}

impl Answer {
    /// A header's value as text, if present and readable.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// [`call`], keeping the answer's headers.
pub(crate) async fn call_with_headers(
    request: reqwest::RequestBuilder,
    what: &str,
) -> Result<Answer, Failure> {
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Transient(format!("{what}: {e}")))?;
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| Failure::Transient(format!("{what}: reading the answer: {e}")))?;
    Ok(Answer {
        status,
        headers,
        body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    })
}

/// Sorts a Graph API error (`{"error": {"code", "message", …}}`) by what to do about it.
pub(crate) fn graph_failure(status: u16, body: &Value) -> Failure {
    let e = &body["error"];
    let code = e["code"].as_i64();
    let text = format!(
        "HTTP {status}, Graph API error {}: {}",
        code.map(|c| c.to_string()).unwrap_or_else(|| "?".into()),
        e["message"].as_str().unwrap_or("no message")
    );
    match code {
        // Expired, revoked or otherwise invalid token; missing permission.
        Some(190) | Some(102) | Some(10) | Some(200) => Failure::Reauth(text),
        // Temporary errors and rate limits.
        Some(1) | Some(2) | Some(4) | Some(17) | Some(32) | Some(613) | Some(80007)
        | Some(130429) | Some(131048) | Some(131056) => Failure::Transient(text),
        _ if status >= 500 || status == 429 => Failure::Transient(text),
        _ => Failure::Rejected(text),
    }
}

/// Why the platform's messaging window forbids a reply now (the customer last wrote at
/// `last_inbound_at`), or `None` when a reply may go. WhatsApp: 24 hours (after that only an
/// approved template); Messenger and Instagram: 24 hours, and up to 7 days with the
/// `HUMAN_AGENT` tag; Telegram: none. An approved `template` may go any time on WhatsApp
/// and nowhere else.
pub fn window_closed(
    connector: Connector,
    last_inbound_at: Timestamp,
    now: Timestamp,
    template: bool,
) -> Option<String> {
    let hours = hours_since(last_inbound_at, now);
    match connector {
        Connector::Whatsapp if template => None,
        _ if template => Some(format!(
            "message templates are WhatsApp's; {connector} replies are free text"
        )),
        Connector::Whatsapp if hours >= 24 => Some(format!(
            "outside WhatsApp's 24-hour customer-service window (the customer last wrote {hours} hours ago): only an approved template message can be sent now"
        )),
        Connector::Messenger | Connector::Instagram if hours >= 24 * 7 => Some(format!(
            "outside {}'s messaging window: the customer last wrote {} days ago, and a person may answer for 7 days only (HUMAN_AGENT)",
            if connector == Connector::Instagram { "Instagram" } else { "Messenger" },
            hours / 24
        )),
        _ => None,
    }
}

/// Hours between two moments, for messaging windows.
pub(crate) fn hours_since(from: Timestamp, now: Timestamp) -> i64 {
    (now - from).num_hours()
}

/// A JSON body on a request, without reqwest's `json` feature.
pub(crate) trait JsonBody {
    fn json_body(self, body: &Value) -> Self;
}

impl JsonBody for reqwest::RequestBuilder {
    fn json_body(self, body: &Value) -> Self {
        self.header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body.to_string())
    }
}
