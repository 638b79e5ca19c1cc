//! RSS and Atom feeds (blogs, forums, review sites, news) as listening sources: each entry
//! becomes a listening post carrying its link (so `site:` queries test it), read with
//! conditional requests (`If-None-Match` / `If-Modified-Since` from the last answer's `ETag`
//! and `Last-Modified`): a feed that did not change costs one `304`. Parsing is feed-rs's
//! (RSS 0.9–2.0, Atom 1.0, JSON Feed).

use crate::send::{Access, Failure, Polled};
use crate::{Decoded, Location, Reject};
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use serde_json::{json, Value};

/// Entries read from one answer at most (a feed that lists more keeps the newest).
const MAX_ENTRIES: usize = 500;

/// Every entry of a feed document as a listening post on the channel `account`.
pub fn decode_feed(bytes: &[u8], account: &str) -> Vec<Decoded> {
    let feed = match feed_rs::parser::parse(bytes) {
        Ok(f) => f,
        Err(e) => {
            return vec![Decoded {
                location: Location::Path("feed".into()),
                result: Err(Reject::new(
                    "invalid_feed",
                    format!("not an RSS, Atom or JSON feed: {e}"),
                )),
            }]
        }
    };
    let source = feed.title.as_ref().map(|t| t.content.trim().to_string());
    let now = earshot_core::time::now();
    feed.entries
        .iter()
        .take(MAX_ENTRIES)
        .enumerate()
        .map(|(i, e)| Decoded {
            location: Location::Path(format!("entries[{i}]")),
            result: entry(e, account, source.as_deref(), now),
        })
        .collect()
}

fn entry(
    e: &feed_rs::model::Entry,
    account: &str,
    source: Option<&str>,
    now: earshot_core::time::Timestamp,
) -> Result<Inbound, Reject> {
    let title = e.title.as_ref().map(|t| crate::strip_html(&t.content));
    let body = e
        .content
        .as_ref()
        .and_then(|c| c.body.as_deref())
        .or_else(|| e.summary.as_ref().map(|s| s.content.as_str()))
        .map(crate::strip_html);
    let text = match (title, body) {
        (Some(t), Some(b)) if !b.is_empty() && !b.starts_with(&t) => format!("{t}\n\n{b}"),
        (Some(t), _) if !t.is_empty() => t,
        (_, Some(b)) => b,
        _ => String::new(),
    };
    let link = e.links.first().map(|l| l.href.clone());
    let author = e
        .authors
        .first()
        .map(|p| p.name.trim().to_string())
        .filter(|n| !n.is_empty());
    // An entry without a date is dated when it was read: a feed's order is not a clock.
    let created_at = e.published.or(e.updated).unwrap_or(now);
    let inbound = Inbound {
        channel: ChannelKind::Web,
        account: Some(account.to_string()),
        source: ChannelRole::Listening,
        external_id: e.id.clone(),
        direction: Direction::In,
        visibility: Visibility::Public,
        author: InboundAuthor {
            external_id: author
                .clone()
                .or_else(|| source.map(str::to_string))
                .unwrap_or_else(|| account.to_string()),
            handle: None,
            display_name: author.or_else(|| source.map(str::to_string)),
            followers: None,
            verified: false,
            email: None,
            phone: None,
        },
        text,
        created_at,
        in_reply_to: None,
        raw: Some(json!({"id": e.id, "link": link, "feed": source})),
        automated: false,
        signature: None,
        attachments: Vec::new(),
        url: link,
    };
    inbound.validate()?;
    Ok(inbound)
}

/// The conditional-request state kept as the channel's cursor.
fn validators(cursor: Option<&str>) -> (Option<String>, Option<String>) {
    let v: Value = cursor
        .and_then(|c| serde_json::from_str(c).ok())
        .unwrap_or(Value::Null);
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    (s("etag"), s("last_modified"))
}

/// Reads the feed at the channel's `url`, conditionally on the last answer's validators.
pub async fn poll(
    http: &reqwest::Client,
    access: &Access,
    account: &str,
    cursor: Option<&str>,
) -> Result<Polled, Failure> {
    let url = access.get("url");
    let (etag, modified) = validators(cursor);
    let mut request = http.get(url);
    if let Some(e) = &etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, e);
    }
    if let Some(m) = &modified {
        request = request.header(reqwest::header::IF_MODIFIED_SINCE, m);
    }
    let response = request
        .send()
        .await
        .map_err(|e| Failure::Transient(format!("the feed: {e}")))?;
    let status = response.status().as_u16();
    if status == 304 {
        return Ok(Polled {
            records: Vec::new(),
            cursor: cursor.map(str::to_string),
            more: false,
            problems: Vec::new(),
        });
    }
    let header = |n: reqwest::header::HeaderName| {
        response
            .headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let next = json!({
        "etag": header(reqwest::header::ETAG),
        "last_modified": header(reqwest::header::LAST_MODIFIED),
    })
    .to_string();
    let bytes = response
        .bytes()
        .await
        .map_err(|e| Failure::Transient(format!("the feed: reading the answer: {e}")))?;
    match status {
        200 => Ok(Polled {
            records: decode_feed(&bytes, account),
            cursor: Some(next),
            more: false,
            problems: Vec::new(),
        }),
        s if s >= 500 || s == 429 => Err(Failure::Transient(format!("the feed answered HTTP {s}"))),
        s => Err(Failure::Rejected(format!("the feed answered HTTP {s}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RSS: &str = r#"<?xml version="1.0"?><rss version="2.0"><channel><title>Gadget Reviews</title>
      <item><guid>r-1</guid><title>Acme X2 review: &lt;b&gt;great&lt;/b&gt; battery</title>
        <link>https://reviews.example.com/acme-x2</link><author>kim@example.com (Kim)</author>
        <pubDate>Tue, 01 Dec 2026 10:00:00 GMT</pubDate>
        <description>&lt;p&gt;The refund process was slow.&lt;/p&gt;</description></item>
      <item><title>No guid, no date</title><link>https://reviews.example.com/2</link></item>
    </channel></rss>"#;

    #[test]
    fn rss_entries_are_listening_posts_with_their_links() {
        let d = decode_feed(RSS.as_bytes(), "reviews");
        assert_eq!(d.len(), 2);
        let m = d[0].result.as_ref().unwrap();
        assert_eq!(m.source, ChannelRole::Listening);
        assert_eq!(m.channel, ChannelKind::Web);
        assert_eq!(m.external_id, "r-1");
        assert_eq!(
            m.url.as_deref(),
            Some("https://reviews.example.com/acme-x2")
        );
        assert_eq!(
            m.text,
            "Acme X2 review: great battery\n\nThe refund process was slow."
        );
        assert_eq!(m.created_at.to_rfc3339(), "2026-12-01T10:00:00+00:00");
        let second = d[1].result.as_ref().unwrap();
        assert!(
            !second.external_id.is_empty(),
            "feed-rs gives an entry without a guid an id"
        );
        assert_eq!(
            second.author.display_name.as_deref(),
            Some("Gadget Reviews")
        );
    }

    #[test]
    fn atom_entries_read_and_garbage_is_named() {
        let atom = r#"<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom">
          <title>Forum</title><id>urn:f</id><updated>2026-12-01T10:00:00Z</updated>
          <entry><id>urn:e1</id><title>Login broken</title><updated>2026-12-01T09:00:00Z</updated>
            <link href="https://forum.example.com/t/9"/><author><name>Lee</name></author>
            <content type="html">&lt;p&gt;since the update&lt;/p&gt;</content></entry></feed>"#;
        let d = decode_feed(atom.as_bytes(), "forum");
        let m = d[0].result.as_ref().unwrap();
        assert_eq!(m.text, "Login broken\n\nsince the update");
        assert_eq!(m.author.display_name.as_deref(), Some("Lee"));
        assert_eq!(m.url.as_deref(), Some("https://forum.example.com/t/9"));
        let bad = decode_feed(b"<html>not a feed</html>", "forum");
        assert_eq!(bad[0].result.as_ref().unwrap_err().code, "invalid_feed");
        assert_eq!(
            validators(Some(r#"{"etag": "\"v1\"", "last_modified": null}"#)),
            (Some("\"v1\"".into()), None)
        );
    }
}
