//! A Discourse forum: its webhooks (`X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256(secret,
//! body)>`, the same form as Meta's) carry a `post` (created, edited, destroyed) or a `topic`;
//! posts become messages — public in a topic, private in a private-message topic — threaded
//! by topic: a post is known by `{topic_id}/{post_number}`, and answers the post it replies to
//! or else the topic's first post. Replies go to `POST {base_url}/posts.json` with `topic_id`,
//! `raw` and `reply_to_post_number`, as the channel's `api_username`.

use crate::send::{call, Accepted, Access, Failure, Outgoing};
use crate::webhook::WebhookBatch;
use crate::{Decoded, Location, Reject};
use chrono::{DateTime, Utc};
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use serde_json::{json, Value};

/// A post's platform id: `{topic_id}/{post_number}`.
pub fn post_key(topic: i64, number: i64) -> String {
    format!("{topic}/{number}")
}

/// The (topic, post number) of a platform id made by [`post_key`].
pub fn parse_key(key: &str) -> Option<(i64, i64)> {
    let (t, n) = key.split_once('/')?;
    Some((t.parse().ok()?, n.parse().ok()?))
}

/// One webhook body for the channel `account`; `brand` is the channel's `api_username`
/// (its posts are the brand's, outbound).
pub fn decode_webhook(v: &Value, account: &str, brand: &str) -> WebhookBatch {
    let mut out = WebhookBatch::default();
    if let Some(post) = v.get("post") {
        if post.get("deleted_at").is_some_and(|d| !d.is_null()) {
            match (
                post.get("topic_id").and_then(Value::as_i64),
                post.get("post_number").and_then(Value::as_i64),
            ) {
                (Some(t), Some(n)) => out.deleted.push(post_key(t, n)),
                _ => out.ignore(
                    "post",
                    "a deleted post without `topic_id` and `post_number`",
                ),
            }
            return out;
        }
        if post
            .get("post_type")
            .and_then(Value::as_i64)
            .is_some_and(|t| t != 1)
        {
            out.ignore(
                "post",
                "a moderator action, whisper or small action, not a post people read",
            );
            return out;
        }
        out.messages.push(Decoded {
            location: Location::Path("post".into()),
            result: message(post, account, brand),
        });
    } else if v.get("topic").is_some() {
        out.ignore(
            "topic",
            "a topic event: its first post comes as a post event",
        );
    } else {
        let keys: Vec<&str> = v
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .map(String::as_str)
            .collect();
        out.ignore(
            "",
            format!(
                "no post in the event ({}): nothing to read",
                keys.join(", ")
            ),
        );
    }
    out
}

fn message(p: &Value, account: &str, brand: &str) -> Result<Inbound, Reject> {
    let int = |k: &str| {
        p.get(k).and_then(Value::as_i64).ok_or_else(|| {
            Reject::new(
                "missing_field",
                format!("`post.{k}` is missing or not a number"),
            )
        })
    };
    let (topic, number) = (int("topic_id")?, int("post_number")?);
    let username = p
        .get("username")
        .and_then(Value::as_str)
        .ok_or_else(|| Reject::new("missing_field", "`post.username` is missing"))?;
    let created = p
        .get("created_at")
        .and_then(Value::as_str)
        .ok_or_else(|| Reject::new("missing_field", "`post.created_at` is missing"))?;
    let created_at: DateTime<Utc> = DateTime::parse_from_rfc3339(created)
        .map_err(|e| {
            Reject::new(
                "invalid_timestamp",
                format!("`post.created_at` is `{created}`: {e}"),
            )
        })?
        .to_utc();
    // The Markdown the author typed; `cooked` (HTML) only when the event lacks it.
    let text = match p.get("raw").and_then(Value::as_str) {
        Some(raw) => raw.trim().to_string(),
        None => crate::strip_html(p.get("cooked").and_then(Value::as_str).unwrap_or("")),
    };
    let parent = p
        .get("reply_to_post_number")
        .and_then(Value::as_i64)
        .or((number > 1).then_some(1));
    let private = p.get("topic_archetype").and_then(Value::as_str) == Some("private_message");
    let inbound = Inbound {
        channel: ChannelKind::Discourse,
        account: Some(account.to_string()),
        source: ChannelRole::Owned,
        external_id: post_key(topic, number),
        direction: if !brand.is_empty() && username.eq_ignore_ascii_case(brand) {
            Direction::Out
        } else {
            Direction::In
        },
        visibility: if private {
            Visibility::Private
        } else {
            Visibility::Public
        },
        author: InboundAuthor {
            external_id: username.to_string(),
            handle: Some(username.to_string()),
            display_name: p
                .get("name")
                .and_then(Value::as_str)
                .filter(|n| !n.is_empty())
                .map(str::to_string),
            followers: None,
            verified: false,
            email: None,
            phone: None,
        },
        text,
        created_at,
        in_reply_to: parent.map(|n| post_key(topic, n)),
        raw: Some(p.clone()),
        automated: false,
        signature: None,
        url: None,
        attachments: Vec::new(),
    };
    inbound.validate()?;
    Ok(inbound)
}

/// An error answer sorted by what to do about it; a `429` waits for `Retry-After`.
fn failure(
    status: u16,
    body: &Value,
    retry_after: Option<i64>,
    now: earshot_core::time::Timestamp,
) -> Failure {
    let detail = body
        .get("errors")
        .and_then(Value::as_array)
        .map(|e| {
            e.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("; ")
        })
        .filter(|e| !e.is_empty())
        .or_else(|| {
            body.get("error_type")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "no detail".into());
    let text = format!("HTTP {status} from Discourse: {detail}");
    match status {
        401 | 403 => Failure::Reauth(text),
        429 => Failure::Wait {
            error: text,
            until: now + chrono::Duration::seconds(retry_after.unwrap_or(60)),
        },
        s if s >= 500 => Failure::Transient(text),
        _ => Failure::Rejected(text),
    }
}

fn base(access: &Access) -> String {
    access.get("base_url").trim_end_matches('/').to_string()
}

/// Posts the reply in the customer's topic, answering their post.
pub async fn send(http: &reqwest::Client, access: &Access, out: &Outgoing<'_>) -> Accepted {
    let Some((topic, number)) = out.answering.and_then(parse_key) else {
        return Err(Failure::NotSent(
            "a Discourse reply answers a post, and this conversation has none from the customer"
                .into(),
        ));
    };
    let url = format!("{}/posts.json", base(access));
    let body = json!({"topic_id": topic, "raw": out.text, "reply_to_post_number": number});
    let request = http
        .post(&url)
        .header("Api-Key", access.get("api_key"))
        .header("Api-Username", access.get("api_username"))
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    let answer = crate::send::call_with_headers(request, "Discourse").await?;
    let retry_after = answer.header("retry-after").and_then(|v| v.parse().ok());
    let (status, answer) = (answer.status, answer.body);
    if status == 200 {
        return match (
            answer.get("topic_id").and_then(Value::as_i64),
            answer.get("post_number").and_then(Value::as_i64),
        ) {
            (Some(t), Some(n)) => Ok(post_key(t, n)),
            _ => Err(Failure::Rejected(
                "Discourse answered 200 without the post's `topic_id` and `post_number`".into(),
            )),
        };
    }
    Err(failure(status, &answer, retry_after, out.now))
}

/// Who the API key acts for: `GET /u/{api_username}.json`.
pub async fn test(http: &reqwest::Client, access: &Access) -> Result<String, Failure> {
    let user = access.get("api_username");
    let url = format!("{}/u/{}.json", base(access), user);
    let request = http
        .get(&url)
        .header("Api-Key", access.get("api_key"))
        .header("Api-Username", user);
    let (status, body) = call(request, "Discourse").await?;
    match body.pointer("/user/username").and_then(Value::as_str) {
        Some(name) if status == 200 => Ok(format!("the API key acts for @{name}")),
        _ => Err(failure(status, &body, None, earshot_core::time::now())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_captured_private_message_is_a_private_post_in_its_topic() {
        let path = format!(
            "{}/../../../shared/fixtures/discourse/post_created.private_message.koishi_captured.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let b = decode_webhook(&v, "forum", "acme_care");
        let m = b.messages[0].result.as_ref().unwrap();
        assert_eq!(m.external_id, "12/2");
        assert_eq!(
            m.in_reply_to.as_deref(),
            Some("12/1"),
            "the topic's first post"
        );
        assert_eq!(m.visibility, Visibility::Private);
        assert_eq!(m.direction, Direction::In);
        assert_eq!(m.author.handle.as_deref(), Some("Anillc"));
        assert!(m.text.starts_with("![1666892869705"), "{}", m.text);
        // The brand's own post is outbound.
        let b = decode_webhook(&v, "forum", "anillc");
        assert_eq!(
            b.messages[0].result.as_ref().unwrap().direction,
            Direction::Out
        );
    }

    #[test]
    fn deletions_topics_and_bad_posts_say_what_they_are() {
        let deleted = json!({"post": {"id": 1, "topic_id": 5, "post_number": 3, "deleted_at": "2026-01-01T00:00:00Z"}});
        assert_eq!(decode_webhook(&deleted, "f", "b").deleted, ["5/3"]);
        let topic = decode_webhook(&json!({"topic": {"id": 5}}), "f", "b");
        assert!(
            topic.summary().contains("topic event"),
            "{}",
            topic.summary()
        );
        let bad = json!({"post": {"topic_id": 5, "username": "dana", "created_at": "2026-01-01T00:00:00Z", "raw": "hi"}});
        let b = decode_webhook(&bad, "f", "b");
        let reason = &b.messages[0].result.as_ref().unwrap_err().reason;
        assert!(reason.contains("post_number"), "{reason}");
        let cooked = json!({"post": {"topic_id": 5, "post_number": 1, "username": "dana",
            "created_at": "2026-01-01T00:00:00Z", "cooked": "<p>My order &amp; <b>refund</b></p>"}});
        let m = decode_webhook(&cooked, "f", "b")
            .messages
            .remove(0)
            .result
            .unwrap();
        assert_eq!(m.text, "My order & refund");
        assert_eq!(
            m.in_reply_to, None,
            "a topic's first post opens its conversation"
        );
        assert_eq!(m.visibility, Visibility::Public);
    }

    #[test]
    fn errors_are_sorted_and_rate_limits_wait() {
        let now = earshot_core::time::now();
        assert!(matches!(
            failure(422, &json!({"errors": ["Body is too short (minimum is 20 characters)"]}), None, now),
            Failure::Rejected(e) if e.contains("too short")
        ));
        assert!(matches!(
            failure(403, &json!({"error_type": "invalid_access"}), None, now),
            Failure::Reauth(_)
        ));
        match failure(429, &Value::Null, Some(30), now) {
            Failure::Wait { until, .. } => assert_eq!((until - now).num_seconds(), 30),
            other => panic!("{other:?}"),
        }
        assert_eq!(parse_key("12/3"), Some((12, 3)));
        assert_eq!(parse_key("12"), None);
    }
}
