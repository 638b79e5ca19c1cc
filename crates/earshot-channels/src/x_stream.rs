//! X's v2 filtered stream as a listening source: the stream's rules
//! (`GET`/`POST /2/tweets/search/stream/rules`), the long-lived stream itself
//! (`GET /2/tweets/search/stream`, one JSON document per line, `\r\n` keep-alives every 20
//! seconds), its lines decoded, and the reconnection schedule X documents. All calls carry
//! the channel's app-only `bearer_token`.
//!
//! Earshot's rules carry the tag [`TAG`]; rules with other tags belong to someone else using
//! the same app and are left alone.

use crate::send::{call_with_headers, Access, Failure};
use crate::{DecodeOptions, Decoded};
use earshot_core::ChannelRole;
use serde_json::{json, Value};
use std::time::Duration;

/// The tag of the rules Earshot keeps.
pub const TAG: &str = "earshot";

/// What each post on the stream carries: the fields the decoder needs (author, time,
/// language, replies and quotes) and the author's handle, followers and verified mark.
pub const FIELDS: &str = "tweet.fields=created_at,author_id,lang,referenced_tweets,entities,conversation_id&expansions=author_id&user.fields=username,name,public_metrics,verified";

/// How long the stream may stay silent: X sends a keep-alive every 20 seconds, so nothing
/// for longer means the connection is gone even if TCP has not noticed.
pub const STALL: Duration = Duration::from_secs(20);

/// The most minutes a reconnect may ask X to re-send (`backfill_minutes`).
pub const MAX_BACKFILL_MINUTES: u32 = 5;

/// One of the stream's rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamRule {
    pub id: String,
    pub value: String,
    pub tag: Option<String>,
}

/// What a change of rules did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleChange {
    pub created: usize,
    pub deleted: usize,
    /// Rules X refused, with its reason (`value`, reason).
    pub refused: Vec<(String, String)>,
}

fn bearer(access: &Access) -> String {
    format!("Bearer {}", access.get("bearer_token"))
}

fn rules_url(access: &Access) -> String {
    format!("{}/2/tweets/search/stream/rules", access.api_base())
}

/// Sends a call to the rules endpoints: its body when the status is 2xx, else the answer
/// sorted as every X API error is (a `429` waits for `x-rate-limit-reset`).
async fn rules_call(request: reqwest::RequestBuilder) -> Result<Value, Failure> {
    let answer = call_with_headers(request, "the X API").await?;
    if (200..300).contains(&answer.status) {
        return Ok(answer.body);
    }
    let reset = answer
        .header("x-rate-limit-reset")
        .and_then(|v| v.parse().ok());
    Err(crate::x_api::failure(answer.status, &answer.body, reset))
}

/// The stream's rules now.
pub async fn list_rules(
    http: &reqwest::Client,
    access: &Access,
) -> Result<Vec<StreamRule>, Failure> {
    let body = rules_call(
        http.get(rules_url(access))
            .header(reqwest::header::AUTHORIZATION, bearer(access)),
    )
    .await?;
    Ok(body["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| {
            Some(StreamRule {
                id: r["id"].as_str()?.to_string(),
                value: r["value"].as_str()?.to_string(),
                tag: r["tag"].as_str().map(str::to_string),
            })
        })
        .collect())
}

/// Deletes the rules `delete` (ids), then adds `add` (values) tagged [`TAG`].
pub async fn change_rules(
    http: &reqwest::Client,
    access: &Access,
    add: &[String],
    delete: &[String],
) -> Result<RuleChange, Failure> {
    let mut change = RuleChange::default();
    let post = |body: Value| {
        rules_call(
            http.post(rules_url(access))
                .header(reqwest::header::AUTHORIZATION, bearer(access))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string()),
        )
    };
    let count = |body: &Value, what: &str| {
        body.pointer(&format!("/meta/summary/{what}"))
            .and_then(Value::as_u64)
            .unwrap_or(0) as usize
    };
    // X takes up to 1,000 ids or rules per request.
    for ids in delete.chunks(1_000) {
        let body = post(json!({"delete": {"ids": ids}})).await?;
        change.deleted += count(&body, "deleted");
    }
    for values in add.chunks(1_000) {
        let rules: Vec<Value> = values
            .iter()
            .map(|v| json!({"value": v, "tag": TAG}))
            .collect();
        let body = post(json!({"add": rules})).await?;
        change.created += count(&body, "created");
        for e in body["errors"].as_array().into_iter().flatten() {
            let value = e["value"].as_str().unwrap_or("").to_string();
            let reason = e["title"]
                .as_str()
                .or_else(|| e["detail"].as_str())
                .unwrap_or("refused");
            let details = e["details"]
                .as_array()
                .map(|d| {
                    d.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .filter(|d| !d.is_empty());
            change.refused.push((
                value,
                details.map_or_else(|| reason.to_string(), |d| format!("{reason}: {d}")),
            ));
        }
    }
    Ok(change)
}

/// Why the stream ended or could not be opened, sorted by how X asks clients to wait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disconnect {
    /// The connection could not be made or broke (TCP, TLS, a stall past [`STALL`]).
    Network(String),
    /// X answered with an HTTP error.
    Http(u16, String),
    /// `429`: too many connections or requests.
    RateLimited(String),
    /// `401`/`403`: the bearer token is refused (a new one is needed).
    Refused(String),
    /// X closed a healthy stream (a deploy, an operational disconnect).
    Closed(String),
}

impl std::fmt::Display for Disconnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Network(e) => write!(f, "the X stream's connection failed: {e}"),
            Self::Http(s, e) => write!(f, "HTTP {s} from the X stream: {e}"),
            Self::RateLimited(e) => write!(f, "HTTP 429 from the X stream: {e}"),
            Self::Refused(e) => write!(f, "the X stream refused the bearer token: {e}"),
            Self::Closed(e) => write!(f, "X closed the stream: {e}"),
        }
    }
}

/// The stream's URL, asking for `backfill` minutes of what was missed (at most
/// [`MAX_BACKFILL_MINUTES`]; `0` for none).
pub fn stream_url(access: &Access, backfill: u32) -> String {
    let mut url = format!("{}/2/tweets/search/stream?{FIELDS}", access.api_base());
    if backfill > 0 {
        url.push_str(&format!(
            "&backfill_minutes={}",
            backfill.min(MAX_BACKFILL_MINUTES)
        ));
    }
    url
}

/// Opens the stream; its response is read line by line with [`Lines`].
pub async fn connect(
    http: &reqwest::Client,
    access: &Access,
    backfill: u32,
) -> Result<reqwest::Response, Disconnect> {
    let response = http
        .get(stream_url(access, backfill))
        .header(reqwest::header::AUTHORIZATION, bearer(access))
        .send()
        .await
        .map_err(|e| Disconnect::Network(e.to_string()))?;
    let status = response.status().as_u16();
    if status == 200 {
        return Ok(response);
    }
    let body: Value = response
        .bytes()
        .await
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let detail = body["detail"]
        .as_str()
        .or_else(|| body["title"].as_str())
        .unwrap_or("no detail")
        .to_string();
    Err(match status {
        401 | 403 => Disconnect::Refused(detail),
        429 => Disconnect::RateLimited(detail),
        s => Disconnect::Http(s, detail),
    })
}

/// Splits a stream's bytes into lines as they arrive.
#[derive(Debug, Default)]
pub struct Lines {
    pending: Vec<u8>,
}

impl Lines {
    /// The complete lines in `chunk` (with what was left of the previous chunks), without
    /// their line ends; a keep-alive is an empty line.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<Vec<u8>> {
        self.pending.extend_from_slice(chunk);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let mut line: Vec<u8> = self.pending.drain(..=end).collect();
            line.pop();
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            lines.push(line);
        }
        lines
    }
}

/// One line of the stream.
#[derive(Debug)]
pub enum Line {
    /// The 20-second heartbeat.
    KeepAlive,
    /// A post a rule matched, as a listening post (or why it cannot be one).
    Post(Box<Decoded>),
    /// Something X said instead of a post (an operational disconnect notice, an error).
    Notice(String),
}

/// Decodes one line of the stream. `account` is the brand's own X handle (its own posts are
/// outbound).
pub fn decode_line(line: &[u8], account: Option<&str>) -> Line {
    if line.iter().all(u8::is_ascii_whitespace) {
        return Line::KeepAlive;
    }
    let document: Value = match serde_json::from_slice(line) {
        Ok(v) => v,
        Err(e) => return Line::Notice(format!("a line of the stream is not JSON: {e}")),
    };
    let Some(id) = document.pointer("/data/id").and_then(Value::as_str) else {
        let said = document
            .pointer("/errors/0/title")
            .or_else(|| document.pointer("/errors/0/detail"))
            .and_then(Value::as_str)
            .unwrap_or("a line without `data`");
        return Line::Notice(said.to_string());
    };
    let options = DecodeOptions {
        account: account.map(str::to_string),
    };
    // The post itself; the referenced posts in `includes` are not what a rule matched.
    let decoded = crate::x::decode_document(line, &options)
        .into_iter()
        .find(|d| match &d.result {
            Ok(m) => m.external_id == id,
            Err(_) => matches!(&d.location, crate::Location::Path(p) if p == "data"),
        });
    match decoded {
        Some(mut d) => {
            if let Ok(m) = &mut d.result {
                m.source = ChannelRole::Listening;
            }
            Line::Post(Box::new(d))
        }
        None => Line::Notice(format!("post {id} could not be read")),
    }
}

/// X's reconnection schedule ("Handling disconnections"): after a network error, wait
/// 250 ms longer each time up to 16 s; after an HTTP error, 5 s doubling up to 320 s; after a
/// `429`, a minute doubling (up to 16 minutes). A stream that delivered something starts the
/// schedule over; one X closed cleanly is opened again at once — but a stream closed again
/// and again with nothing delivered waits like a network error, so it never spins.
#[derive(Debug, Clone, Default)]
pub struct Backoff {
    network: u32,
    http: u32,
    limited: u32,
    closed: u32,
}

impl Backoff {
    /// How long to wait before connecting again after `why`.
    pub fn after(&mut self, why: &Disconnect) -> Duration {
        match why {
            Disconnect::Closed(_) => {
                self.closed += 1;
                Duration::from_millis(250 * u64::from(self.closed - 1)).min(Duration::from_secs(16))
            }
            Disconnect::Network(_) => {
                self.network += 1;
                Duration::from_millis(250 * u64::from(self.network)).min(Duration::from_secs(16))
            }
            Disconnect::Http(..) | Disconnect::Refused(_) => {
                self.http += 1;
                Duration::from_secs(5 << (self.http - 1).min(6))
            }
            Disconnect::RateLimited(_) => {
                self.limited += 1;
                Duration::from_secs(60 << (self.limited - 1).min(4))
            }
        }
    }

    /// The stream delivered: the next failure waits the shortest time again.
    pub fn reset(&mut self) {
        *self = Self::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_backoff_schedule() {
        let mut b = Backoff::default();
        let net = Disconnect::Network("reset".into());
        let waits: Vec<u64> = (0..70).map(|_| b.after(&net).as_millis() as u64).collect();
        assert_eq!(&waits[..3], &[250, 500, 750]);
        assert_eq!(*waits.last().unwrap(), 16_000);
        let http = Disconnect::Http(503, "Service Unavailable".into());
        let waits: Vec<u64> = (0..9).map(|_| b.after(&http).as_secs()).collect();
        assert_eq!(waits, vec![5, 10, 20, 40, 80, 160, 320, 320, 320]);
        let limited = Disconnect::RateLimited("TooManyConnections".into());
        let waits: Vec<u64> = (0..6).map(|_| b.after(&limited).as_secs()).collect();
        assert_eq!(waits, vec![60, 120, 240, 480, 960, 960]);
        b.reset();
        assert_eq!(b.after(&net), Duration::from_millis(250));
        assert_eq!(
            b.after(&Disconnect::Closed("deploy".into())),
            Duration::ZERO
        );
    }

    #[test]
    fn lines_split_across_chunks_and_keep_alives() {
        let mut lines = Lines::default();
        assert!(lines.push(b"{\"data\":").is_empty());
        let got = lines.push(b"{}}\r\n\r\n{\"a\"");
        assert_eq!(got, vec![b"{\"data\":{}}".to_vec(), Vec::new()]);
        assert_eq!(lines.push(b":1}\n"), vec![b"{\"a\":1}".to_vec()]);
    }

    #[test]
    fn a_stream_line_is_a_listening_post_with_its_author() {
        let line = json!({
            "data": {"id": "1800", "text": "my acme phone arrived broken", "author_id": "42",
                     "created_at": "2026-12-02T10:00:00.000Z", "lang": "en",
                     "referenced_tweets": [{"type": "quoted", "id": "1700"}]},
            "includes": {"users": [{"id": "42", "username": "dana", "name": "Dana",
                                    "public_metrics": {"followers_count": 1234}, "verified": true}],
                         "tweets": [{"id": "1700", "text": "quoted", "author_id": "7",
                                     "created_at": "2026-12-01T10:00:00.000Z"}]},
            "matching_rules": [{"id": "1", "tag": "earshot"}]
        })
        .to_string();
        let Line::Post(d) = decode_line(line.as_bytes(), Some("acme")) else {
            panic!("a post")
        };
        let m = d.result.unwrap();
        assert_eq!(m.external_id, "1800");
        assert_eq!(m.source, ChannelRole::Listening);
        assert_eq!(m.author.handle.as_deref(), Some("dana"));
        assert_eq!(m.author.followers, Some(1234));
        assert!(m.author.verified);
        assert_eq!(m.url.as_deref(), Some("https://x.com/dana/status/1800"));
        assert!(matches!(decode_line(b"", None), Line::KeepAlive));
        assert!(matches!(decode_line(b"  ", None), Line::KeepAlive));
        let notice = json!({"errors": [{"title": "operational-disconnect",
            "disconnect_type": "UpstreamOperationalDisconnect"}]})
        .to_string();
        assert!(
            matches!(decode_line(notice.as_bytes(), None), Line::Notice(n) if n == "operational-disconnect")
        );
        let Line::Post(d) = decode_line(br#"{"data": {"id": "9", "text": "no author"}}"#, None)
        else {
            panic!("a post, refused")
        };
        assert!(d.result.unwrap_err().reason.contains("author_id"));
    }
}
