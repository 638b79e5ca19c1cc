//! Mastodon's REST and streaming entities as files: a Status (or an array of them), a
//! Notification or `GET /api/v1/notifications` (mentions carry a status; favourites, boosts
//! and follows are reported), and a streaming event (`update` and `notification` payloads are
//! JSON-encoded strings). A status becomes a message: its HTML content as text, `direct`
//! visibility private, `in_reply_to_id` threading, the account's handle (`acct`, with its
//! instance when remote) and followers.

use crate::{Decoded, Location, Reject};
use chrono::{DateTime, Utc};
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use serde_json::Value;

/// Every message a Mastodon document holds, and a reject with the reason for the rest.
pub fn decode_document(v: &Value, account: &str) -> Vec<Decoded> {
    let mut out = Vec::new();
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                visit(item, format!("[{i}]"), account, &mut out);
            }
        }
        item => visit(item, String::new(), account, &mut out),
    }
    if out.is_empty() {
        out.push(Decoded {
            location: Location::Path("document".into()),
            result: Err(Reject::new(
                "no_messages",
                "an empty list: no statuses or notifications",
            )),
        });
    }
    out
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

fn visit(item: &Value, at: String, account: &str, out: &mut Vec<Decoded>) {
    let here = |s: &str| {
        Location::Path(if at.is_empty() {
            s.to_string()
        } else {
            at.clone()
        })
    };
    // A streaming event: its payload is a JSON string.
    if let Some(event) = item.get("event").and_then(Value::as_str) {
        let payload = item.get("payload").and_then(Value::as_str).unwrap_or("");
        match event {
            "update" | "notification" | "status.update" => match serde_json::from_str(payload) {
                Ok(inner) => visit(&inner, join(&at, "payload"), account, out),
                Err(e) => out.push(Decoded {
                    location: Location::Path(join(&at, "payload")),
                    result: Err(Reject::new(
                        "invalid_json",
                        format!("the `{event}` event's payload is not a JSON entity: {e}"),
                    )),
                }),
            },
            other => out.push(Decoded {
                location: here("event"),
                result: Err(Reject::new(
                    "not_a_message",
                    format!("a `{other}` streaming event carries no status"),
                )),
            }),
        }
        return;
    }
    // A notification: a mention carries the status; the others carry no words to answer.
    if let Some(kind) = item.get("type").and_then(Value::as_str) {
        if item.get("account").is_some() && item.get("content").is_none() {
            match (kind, item.get("status")) {
                ("mention", Some(status)) => out.push(Decoded {
                    location: Location::Path(join(&at, "status")),
                    result: status_message(status, account),
                }),
                _ => out.push(Decoded {
                    location: here("notification"),
                    result: Err(Reject::new(
                        "not_a_message",
                        format!("a `{kind}` notification carries no words to answer"),
                    )),
                }),
            }
            return;
        }
    }
    out.push(Decoded {
        location: here("status"),
        result: status_message(item, account),
    });
}

/// A Status entity; `account` is the brand's account on the instance (its statuses are
/// outbound).
pub fn status_message(s: &Value, account: &str) -> Result<Inbound, Reject> {
    let text = |k: &str| s.get(k).and_then(Value::as_str);
    let id = text("id").ok_or_else(|| Reject::new("missing_field", "`id` is missing"))?;
    if s.get("reblog").is_some_and(|r| !r.is_null()) {
        return Err(Reject::new(
            "not_a_message",
            "a boost carries no words of its own to answer",
        ));
    }
    let author = s
        .get("account")
        .ok_or_else(|| Reject::new("missing_field", "`account` is missing"))?;
    let author_text = |k: &str| author.get(k).and_then(Value::as_str);
    let author_id =
        author_text("id").ok_or_else(|| Reject::new("missing_field", "`account.id` is missing"))?;
    let created = text("created_at")
        .ok_or_else(|| Reject::new("missing_field", "`created_at` is missing"))?;
    let created_at: DateTime<Utc> = DateTime::parse_from_rfc3339(created)
        .map_err(|e| {
            Reject::new(
                "invalid_timestamp",
                format!("`created_at` is `{created}`: {e}"),
            )
        })?
        .to_utc();
    let mut words = crate::strip_html(text("content").unwrap_or(""));
    if let Some(warning) = text("spoiler_text").filter(|w| !w.is_empty()) {
        words = format!("[{warning}] {words}");
    }
    let handle = author_text("acct").map(str::to_string);
    let brand = account.trim_start_matches('@');
    let ours = !brand.is_empty()
        && handle
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(brand));
    let inbound = Inbound {
        channel: ChannelKind::Mastodon,
        account: Some(account.to_string()),
        source: ChannelRole::Owned,
        external_id: id.to_string(),
        direction: if ours { Direction::Out } else { Direction::In },
        visibility: if text("visibility") == Some("direct") {
            Visibility::Private
        } else {
            Visibility::Public
        },
        author: InboundAuthor {
            external_id: author_id.to_string(),
            handle,
            display_name: author_text("display_name")
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            followers: author
                .get("followers_count")
                .and_then(Value::as_u64)
                .map(|f| f.min(u64::from(u32::MAX)) as u32),
            verified: false,
            email: None,
            phone: None,
        },
        text: words,
        created_at,
        in_reply_to: text("in_reply_to_id").map(str::to_string),
        raw: Some(s.clone()),
        automated: author.get("bot").and_then(Value::as_bool).unwrap_or(false),
        signature: None,
        url: text("url").map(str::to_string),
        attachments: Vec::new(),
    };
    inbound.validate()?;
    Ok(inbound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../../shared/fixtures/mastodon/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn the_documented_status_and_streaming_update_are_messages() {
        let d = decode_document(&fixture("status_entity_example.json"), "acme");
        let m = d[0].result.as_ref().unwrap();
        assert_eq!(m.channel, ChannelKind::Mastodon);
        assert_eq!(m.author.handle.as_deref(), Some("Gargron"));
        assert!(m.author.followers.is_some());
        assert!(!m.text.contains('<'), "{}", m.text);
        assert_eq!(m.visibility, Visibility::Public);

        let d = decode_document(&fixture("streaming_update_event_example.json"), "acme");
        assert_eq!(d[0].location, Location::Path("payload".into()));
        let m = d[0].result.as_ref().unwrap();
        assert_eq!(m.external_id, "108913983692647032");
        assert_eq!(m.in_reply_to.as_deref(), Some("108913981098896721"));
        assert_eq!(
            m.url.as_deref(),
            Some("https://fosstodon.org/@tobtobxx/108913983628474640")
        );
        assert!(
            m.text.starts_with("And now I can't exit the inner nvim"),
            "{}",
            m.text
        );
    }

    #[test]
    fn a_favourite_is_reported_and_a_mention_read() {
        let d = decode_document(
            &fixture("notification_favourite.mastodonkit_fixture.json"),
            "acme",
        );
        let why = &d[0].result.as_ref().unwrap_err().reason;
        assert!(why.contains("`favourite` notification"), "{why}");
        let mention = serde_json::json!([{"id": "1", "type": "mention", "account": {"id": "9"},
            "status": {"id": "55", "created_at": "2026-12-01T10:00:00Z", "visibility": "direct",
              "content": "<p>@acme my order &amp; my refund?</p>",
              "account": {"id": "9", "acct": "dana@example.social", "display_name": "Dana"}}}]);
        let d = decode_document(&mention, "acme");
        let m = d[0].result.as_ref().unwrap();
        assert_eq!(d[0].location, Location::Path("[0].status".into()));
        assert_eq!(m.visibility, Visibility::Private, "direct");
        assert_eq!(m.text, "@acme my order & my refund?");
        assert_eq!(m.author.handle.as_deref(), Some("dana@example.social"));
    }
}
