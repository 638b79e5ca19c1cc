//! A Mastodon account through its instance's REST API: the mentions it received since a
//! cursor (`GET /api/v1/notifications?types[]=mention`, the endpoint Mastodon documents for
//! catching up after a disconnect), and replies (`POST /api/v1/statuses` with
//! `in_reply_to_id`, the customer's visibility, and an `Idempotency-Key`, so a retried send
//! never posts twice). A channel that listens reads its public timelines in the same poll
//! ([`crate::mastodon_listen`]).

use crate::send::{call_with_headers, Accepted, Access, Failure, Outgoing, Polled};
use serde_json::{json, Value};

/// Mentions read per request (Mastodon's maximum page for notifications).
pub const PAGE: usize = 40;

fn instance(access: &Access) -> String {
    access.get("instance_url").trim_end_matches('/').to_string()
}

/// Whether Mastodon id `a` is newer than `b` (ids are decimal strings that grow).
pub fn newer(a: &str, b: &str) -> bool {
    (a.len(), a) > (b.len(), b)
}

/// The newest `id` of a page of entities (statuses, notifications), or `cursor` when the page
/// holds none newer.
pub(crate) fn newest(list: &[Value], cursor: Option<&str>) -> Option<String> {
    list.iter()
        .filter_map(|n| n.get("id").and_then(Value::as_str))
        .fold(cursor.map(str::to_string), |best, id| match best {
            Some(b) if !newer(id, &b) => Some(b),
            _ => Some(id.to_string()),
        })
}

/// The mentions newer than `cursor` (the latest page when there is none yet), oldest first.
pub async fn mentions_since(
    http: &reqwest::Client,
    access: &Access,
    account: &str,
    cursor: Option<&str>,
) -> Result<Polled, Failure> {
    let mut url = format!(
        "{}/api/v1/notifications?types[]=mention&limit={PAGE}",
        instance(access)
    );
    if let Some(c) = cursor {
        url.push_str(&format!("&min_id={c}"));
    }
    let answer = call_with_headers(
        http.get(&url).bearer_auth(access.get("access_token")),
        "Mastodon",
    )
    .await?;
    let body = &answer.body;
    if answer.status != 200 {
        return Err(failure(
            answer.status,
            body,
            answer.header("x-ratelimit-reset"),
        ));
    }
    let Some(list) = body.as_array() else {
        return Err(Failure::Rejected(
            "Mastodon answered the notifications with something other than a list".into(),
        ));
    };
    let newest = newest(list, cursor);
    // Newest first on the wire; oldest first into the pipeline, so replies thread.
    let oldest_first = Value::Array(list.iter().rev().cloned().collect());
    let records = if list.is_empty() {
        Vec::new()
    } else {
        crate::mastodon::decode_document(&oldest_first, account)
    };
    Ok(Polled {
        records,
        cursor: newest,
        more: list.len() >= PAGE,
        problems: Vec::new(),
    })
}

/// Pages read per source in one poll at most; a source with more is read again at once.
const PAGES_PER_SOURCE: usize = 5;

/// One read of the account: its mentions, then each public timeline it listens to
/// ([`crate::mastodon_listen`]), every source from its own position in the channel's cursor.
pub async fn poll(
    http: &reqwest::Client,
    access: &Access,
    account: &str,
    cursor: Option<&str>,
) -> Result<Polled, Failure> {
    use crate::cursors::{Cursors, INBOX};
    let stored = Cursors::parse(cursor);
    let timelines = crate::mastodon_listen::timelines(access);
    // Only the sources the channel reads now: a hashtag removed and added again starts from
    // its latest page, not from where it was months ago.
    let mut cursors = Cursors::default();
    cursors.set(INBOX, stored.get(INBOX).map(str::to_string));
    let mut records = Vec::new();
    let mut more = false;
    for _ in 0..PAGES_PER_SOURCE {
        let page = mentions_since(http, access, account, cursors.get(INBOX)).await?;
        cursors.set(INBOX, page.cursor);
        records.extend(page.records);
        more = page.more;
        if !more {
            break;
        }
    }
    let mut problems = Vec::new();
    for timeline in timelines {
        let key = timeline.key();
        cursors.set(&key, stored.get(&key).map(str::to_string));
        for _ in 0..PAGES_PER_SOURCE {
            match crate::mastodon_listen::since(http, access, account, &timeline, cursors.get(&key))
                .await
            {
                Ok(page) => {
                    let full = page.more;
                    records.extend(page.records);
                    cursors.set(&key, page.cursor);
                    more |= full;
                    if !full {
                        break;
                    }
                }
                // The account's allowance is spent: everything waits.
                Err(wait @ Failure::Wait { .. }) => return Err(wait),
                Err(e) => {
                    problems.push(format!("{key}: {}", e.text()));
                    break;
                }
            }
        }
    }
    Ok(Polled {
        records,
        cursor: cursors.encode(),
        more,
        problems,
    })
}

/// An error answer sorted by what to do about it; a `429` waits for `X-RateLimit-Reset`.
pub(crate) fn failure(status: u16, body: &Value, reset: Option<&str>) -> Failure {
    let text = format!(
        "HTTP {status} from Mastodon: {}",
        body.get("error")
            .and_then(Value::as_str)
            .unwrap_or("no detail")
    );
    match status {
        401 | 403 => Failure::Reauth(text),
        429 => match reset.and_then(|r| chrono::DateTime::parse_from_rfc3339(r).ok()) {
            Some(until) => Failure::Wait {
                error: text,
                until: until.to_utc(),
            },
            None => Failure::Transient(text),
        },
        s if s >= 500 => Failure::Transient(text),
        _ => Failure::Rejected(text),
    }
}

/// The reply's status: the customer's handle first (Mastodon notifies only those it
/// mentions), the visibility of the status it answers.
pub fn reply_body(out: &Outgoing<'_>) -> Result<Value, Failure> {
    let Some(answering) = out.answering else {
        return Err(Failure::NotSent(
            "a Mastodon reply answers a status, and this conversation has none from the customer"
                .into(),
        ));
    };
    let answered = out.answered.unwrap_or(&Value::Null);
    let acct = answered
        .pointer("/account/acct")
        .and_then(Value::as_str)
        .unwrap_or("");
    let mention = format!("@{acct}");
    let text = if acct.is_empty() || out.text.contains(&mention) {
        out.text.to_string()
    } else {
        format!("{mention} {}", out.text)
    };
    let visibility = answered
        .get("visibility")
        .and_then(Value::as_str)
        .unwrap_or(if out.public { "public" } else { "direct" });
    Ok(json!({"status": text, "in_reply_to_id": answering, "visibility": visibility}))
}

/// Posts the reply; `key` names this reply for the instance (the same on every attempt).
pub async fn send(http: &reqwest::Client, access: &Access, out: &Outgoing<'_>) -> Accepted {
    let body = reply_body(out)?;
    let request = http
        .post(format!("{}/api/v1/statuses", instance(access)))
        .bearer_auth(access.get("access_token"))
        .header("Idempotency-Key", out.key)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    let answer = call_with_headers(request, "Mastodon").await?;
    if answer.status == 200 {
        return answer
            .body
            .get("id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                Failure::Rejected("Mastodon answered 200 without the status id".into())
            });
    }
    Err(failure(
        answer.status,
        &answer.body,
        answer.header("x-ratelimit-reset"),
    ))
}

/// How long one streaming connection is held before it is opened again.
pub const STREAM_FOR: std::time::Duration = std::time::Duration::from_secs(25 * 60);

/// Where the instance serves its streaming API: `configuration.urls.streaming` of
/// `GET /api/v2/instance` (Mastodon 4), else `urls.streaming_api` of `/api/v1/instance`, else
/// the instance itself.
pub async fn streaming_base(http: &reqwest::Client, access: &Access) -> String {
    let base = instance(access);
    for (path, pointer) in [
        ("/api/v2/instance", "/configuration/urls/streaming"),
        ("/api/v1/instance", "/urls/streaming_api"),
    ] {
        let Ok((200, body)) =
            crate::send::call(http.get(format!("{base}{path}")), "Mastodon").await
        else {
            continue;
        };
        if let Some(url) = body.pointer(pointer).and_then(Value::as_str) {
            // `wss://host` for browsers; the same host answers server-sent events over HTTPS.
            let url = url
                .replacen("wss://", "https://", 1)
                .replacen("ws://", "http://", 1);
            return url.trim_end_matches('/').to_string();
        }
    }
    base
}

/// The streams that announce what the account's poll would read: its notifications, and
/// each public timeline it listens to.
pub fn streams(access: &Access) -> Vec<String> {
    std::iter::once("/api/v1/streaming/user/notification".to_string())
        .chain(
            crate::mastodon_listen::timelines(access)
                .iter()
                .map(|t| t.stream()),
        )
        .collect()
}

/// Holds one of the account's streams (`path` under the streaming host, server-sent events)
/// for up to [`STREAM_FOR`], calling `wake` for every `notification` or `update` event (the
/// poller then reads the catch-up endpoints: the stream only wakes it). Heartbeats (`:`
/// comment lines) keep it open. Ends when the server closes it or the time is up.
pub async fn stream_events(
    http: &reqwest::Client,
    access: &Access,
    streaming: &str,
    path: &str,
    mut wake: impl FnMut(),
) -> Result<(), Failure> {
    let mut response = http
        .get(format!("{streaming}{path}"))
        .bearer_auth(access.get("access_token"))
        .header(reqwest::header::ACCEPT, "text/event-stream")
        .timeout(STREAM_FOR)
        .send()
        .await
        .map_err(|e| Failure::Transient(format!("Mastodon stream: {e}")))?;
    let status = response.status().as_u16();
    if status != 200 {
        return Err(failure(status, &Value::Null, None));
    }
    let mut pending = String::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(c)) => c,
            Ok(None) => return Ok(()),
            // The stream's time is up (or the connection dropped): open it again.
            Err(e) if e.is_timeout() => return Ok(()),
            Err(e) => return Err(Failure::Transient(format!("Mastodon stream: {e}"))),
        };
        pending.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
        // Events end with a blank line.
        while let Some(end) = pending.find("\n\n") {
            let event: String = pending.drain(..end + 2).collect();
            let news = event
                .lines()
                .any(|l| matches!(l.trim(), "event: notification" | "event: update"));
            if news {
                wake();
            }
        }
    }
}

/// Who the token acts for: `GET /api/v1/accounts/verify_credentials`./// Who the token acts for: `GET /api/v1/accounts/verify_credentials`.
pub async fn test(http: &reqwest::Client, access: &Access) -> Result<String, Failure> {
    let url = format!("{}/api/v1/accounts/verify_credentials", instance(access));
    let (status, body) = crate::send::call(
        http.get(&url).bearer_auth(access.get("access_token")),
        "Mastodon",
    )
    .await?;
    match body.get("acct").and_then(Value::as_str) {
        Some(acct) if status == 200 => Ok(format!("the token acts for @{acct}")),
        _ => Err(failure(status, &body, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing<'a>(answered: &'a Value, text: &'a str) -> Outgoing<'a> {
        Outgoing {
            text,
            recipient: "9",
            answering: Some("55"),
            last_inbound_at: earshot_core::time::now(),
            now: earshot_core::time::now(),
            template: None,
            answered: Some(answered),
            public: false,
            key: "earshot-outbox-1",
        }
    }

    #[test]
    fn a_reply_mentions_the_customer_and_keeps_their_visibility() {
        let status =
            json!({"id": "55", "visibility": "direct", "account": {"acct": "dana@example.social"}});
        let body = reply_body(&outgoing(&status, "we are on it")).unwrap();
        assert_eq!(body["status"], "@dana@example.social we are on it");
        assert_eq!(body["visibility"], "direct");
        assert_eq!(body["in_reply_to_id"], "55");
        let body = reply_body(&outgoing(&status, "@dana@example.social done")).unwrap();
        assert_eq!(
            body["status"], "@dana@example.social done",
            "not mentioned twice"
        );
    }

    #[test]
    fn ids_compare_as_numbers_and_errors_are_sorted() {
        assert!(newer("110", "99"));
        assert!(!newer("99", "110"));
        assert!(!newer("5", "5"));
        assert!(
            matches!(failure(401, &json!({"error": "The access token is invalid"}), None), Failure::Reauth(e) if e.contains("invalid"))
        );
        assert!(matches!(
            failure(
                422,
                &json!({"error": "Validation failed: Text can't be blank"}),
                None
            ),
            Failure::Rejected(_)
        ));
        match failure(429, &Value::Null, Some("2026-12-02T10:05:00.000Z")) {
            Failure::Wait { until, .. } => {
                assert_eq!(until.to_rfc3339(), "2026-12-02T10:05:00+00:00")
            }
            other => panic!("{other:?}"),
        }
    }
}
