//! A Reddit account through the OAuth2 API (a "script" app: the account's own username and
//! password): its inbox polled — comment and post replies, username mentions, private
//! messages — and replies with `POST /api/comment`. Every request carries a unique
//! User-Agent, as Reddit's API rules require, and the `X-Ratelimit-*` headers are read: an
//! exhausted allowance waits for its reset instead of failing. A channel that listens reads
//! its subreddits in the same poll ([`crate::reddit_listen`]).

use crate::send::{Accepted, Access, Failure, Outgoing, Polled};
use crate::Decoded;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;

/// Things read per request (Reddit's maximum listing page).
pub const PAGE: usize = 100;

fn api_base(access: &Access) -> String {
    access.api_base()
}

/// Where tokens come from: `www.reddit.com`, or the `api_base` host when one is set.
fn token_url(access: &Access) -> String {
    let base = access.get("api_base");
    if base.is_empty() {
        "https://www.reddit.com/api/v1/access_token".into()
    } else {
        format!("{}/api/v1/access_token", base.trim_end_matches('/'))
    }
}

/// The User-Agent Reddit asks every client to send: platform, app, version, the account.
pub fn user_agent(access: &Access) -> String {
    format!(
        "server:earshot:{} (by /u/{})",
        env!("CARGO_PKG_VERSION"),
        access.get("username")
    )
}

/// A bearer token and when to stop using it.
type Token = (String, chrono::DateTime<chrono::Utc>);

/// Bearer tokens by (client id, username).
static TOKENS: Mutex<Option<HashMap<(String, String), Token>>> = Mutex::new(None);

fn cache_key(access: &Access) -> (String, String) {
    (
        access.get("client_id").to_string(),
        access.get("username").to_string(),
    )
}

fn forget_token(access: &Access) {
    if let Some(map) = TOKENS.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        map.remove(&cache_key(access));
    }
}

/// A bearer token for the account: cached until a minute before it expires, else fetched
/// with the password grant.
async fn token(http: &reqwest::Client, access: &Access) -> Result<String, Failure> {
    let now = earshot_core::time::now();
    if let Some((t, until)) = TOKENS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .as_ref()
        .and_then(|m| m.get(&cache_key(access)))
    {
        if *until > now {
            return Ok(t.clone());
        }
    }
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "password")
        .append_pair("username", access.get("username"))
        .append_pair("password", access.get("password"))
        .finish();
    let request = http
        .post(token_url(access))
        .basic_auth(access.get("client_id"), Some(access.get("client_secret")))
        .header(reqwest::header::USER_AGENT, user_agent(access))
        .header(
            reqwest::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        )
        .body(form);
    let (status, body) = crate::send::call(request, "Reddit token").await?;
    match body.get("access_token").and_then(Value::as_str) {
        Some(t) if status == 200 => {
            let seconds = body
                .get("expires_in")
                .and_then(Value::as_i64)
                .unwrap_or(3600);
            let until = now + chrono::Duration::seconds((seconds - 60).max(0));
            TOKENS
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .get_or_insert_with(HashMap::new)
                .insert(cache_key(access), (t.to_string(), until));
            Ok(t.to_string())
        }
        _ => {
            let why = body
                .get("error")
                .map(|e| e.to_string())
                .unwrap_or_else(|| format!("HTTP {status}"));
            let text = format!("Reddit refused the app's credentials: {why}");
            Err(if status == 401 || status == 400 || status == 200 {
                Failure::Reauth(text)
            } else {
                Failure::Transient(text)
            })
        }
    }
}

/// An authorized request's answer: status, JSON body, and the rate-limit wait if the
/// allowance is spent. A `401` (an expired token) is retried once with a fresh token.
pub(crate) async fn authorized(
    http: &reqwest::Client,
    access: &Access,
    build: impl Fn(&str) -> reqwest::RequestBuilder,
) -> Result<(u16, Value), Failure> {
    for attempt in 0..2 {
        let bearer = token(http, access).await?;
        let answer = crate::send::call_with_headers(
            build(&bearer).header(reqwest::header::USER_AGENT, user_agent(access)),
            "Reddit",
        )
        .await?;
        let number = |n: &str| answer.header(n).and_then(|v| v.parse::<f64>().ok());
        let (remaining, reset) = (number("x-ratelimit-remaining"), number("x-ratelimit-reset"));
        let (status, body) = (answer.status, answer.body);
        if status == 401 && attempt == 0 {
            forget_token(access);
            continue;
        }
        if status == 429 || remaining.is_some_and(|r| r < 1.0) && status != 200 {
            let wait = reset.unwrap_or(60.0).ceil() as i64;
            return Err(Failure::Wait {
                error: format!("Reddit's rate limit: the allowance resets in {wait} s"),
                until: earshot_core::time::now() + chrono::Duration::seconds(wait),
            });
        }
        return Ok((status, body));
    }
    Err(Failure::Reauth("Reddit refused a fresh token (401)".into()))
}

/// One read of the account: its inbox, then each subreddit listing it listens to
/// ([`crate::reddit_listen`]), every source from its own position in the channel's cursor.
pub async fn poll(
    http: &reqwest::Client,
    access: &Access,
    account: &str,
    cursor: Option<&str>,
) -> Result<Polled, Failure> {
    use crate::cursors::{Cursors, INBOX};
    let stored = Cursors::parse(cursor);
    // Only the sources the channel reads now (see `mastodon_api::poll`).
    let mut cursors = Cursors::default();
    let inbox = inbox_since(http, access, account, stored.get(INBOX)).await?;
    cursors.set(INBOX, inbox.cursor);
    let mut records = inbox.records;
    let mut problems = Vec::new();
    for listing in crate::reddit_listen::listings(access) {
        let key = listing.key();
        cursors.set(key, stored.get(key).map(str::to_string));
        match crate::reddit_listen::since(http, access, account, &listing, cursors.get(key)).await {
            Ok(page) => {
                records.extend(page.records);
                problems.extend(page.problems);
                cursors.set(key, page.cursor);
            }
            // The app's allowance is spent, or its token refused: everything waits.
            Err(e @ (Failure::Wait { .. } | Failure::Reauth(_))) => return Err(e),
            // A subreddit gone private or banned is this source's problem; the inbox is read.
            Err(e) => problems.push(format!("{key}: {}", e.text())),
        }
    }
    Ok(Polled {
        records,
        cursor: cursors.encode(),
        more: false,
        problems,
    })
}

/// The inbox things newer than `cursor` (Unix seconds of the newest one stored; everything on
/// the first page when there is none yet), oldest first, and the next cursor.
pub async fn inbox_since(
    http: &reqwest::Client,
    access: &Access,
    account: &str,
    cursor: Option<&str>,
) -> Result<Polled, Failure> {
    let url = format!("{}/message/inbox?limit={PAGE}&raw_json=1", api_base(access));
    let (status, body) = authorized(http, access, |t| http.get(&url).bearer_auth(t)).await?;
    if status != 200 {
        return Err(failure(status, &body));
    }
    let since: f64 = cursor.and_then(|c| c.parse().ok()).unwrap_or(f64::MIN);
    let mut children: Vec<Value> = body
        .pointer("/data/children")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|t| {
            t.pointer("/data/created_utc")
                .and_then(Value::as_f64)
                .is_some_and(|c| c >= since)
        })
        .collect();
    // Newest first on the wire; oldest first into the pipeline, so replies thread.
    children.reverse();
    let newest = children
        .iter()
        .filter_map(|t| t.pointer("/data/created_utc").and_then(Value::as_f64))
        .fold(None::<f64>, |m, c| Some(m.map_or(c, |m| m.max(c))));
    let records: Vec<Decoded> = if children.is_empty() {
        Vec::new()
    } else {
        let listing = serde_json::json!({"kind": "Listing", "data": {"children": children}});
        crate::reddit::decode_document(&listing, account)
    };
    Ok(Polled {
        records,
        cursor: newest.map(|c| c.to_string()).or(cursor.map(str::to_string)),
        // The inbox is read from its newest page: reading again brings nothing older.
        more: false,
        problems: Vec::new(),
    })
}

pub(crate) fn failure(status: u16, body: &Value) -> Failure {
    let text = format!(
        "HTTP {status} from Reddit: {}",
        body.get("message")
            .or_else(|| body.get("error"))
            .map(|m| m.to_string())
            .unwrap_or_else(|| "no detail".into())
    );
    match status {
        401 => Failure::Reauth(text),
        s if s >= 500 => Failure::Transient(text),
        _ => Failure::Rejected(text),
    }
}

/// Comments under the customer's thing (a comment, a post or a private message).
pub async fn send(http: &reqwest::Client, access: &Access, out: &Outgoing<'_>) -> Accepted {
    let Some(parent) = out.answering.filter(|p| p.starts_with('t')) else {
        return Err(Failure::NotSent(
            "a Reddit reply answers a post, comment or message, and this conversation has none from the customer".into(),
        ));
    };
    let url = format!("{}/api/comment", api_base(access));
    let form = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("api_type", "json")
        .append_pair("thing_id", parent)
        .append_pair("text", out.text)
        .finish();
    let (status, body) = authorized(http, access, |t| {
        http.post(&url)
            .bearer_auth(t)
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form.clone())
    })
    .await?;
    if status != 200 {
        return Err(failure(status, &body));
    }
    // `{"json": {"errors": [[code, message, field]], "data": {"things": [...]}}}`
    if let Some(e) = body.pointer("/json/errors/0").and_then(Value::as_array) {
        let code = e.first().and_then(Value::as_str).unwrap_or("");
        let message = e.get(1).and_then(Value::as_str).unwrap_or("");
        let text = format!("Reddit refused the comment: {code}: {message}");
        return Err(if code == "RATELIMIT" {
            Failure::Wait {
                error: text,
                until: out.now + chrono::Duration::minutes(wait_minutes(message)),
            }
        } else {
            Failure::Rejected(text)
        });
    }
    body.pointer("/json/data/things/0/data/name")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| Failure::Rejected("Reddit answered without the new comment's name".into()))
}

/// "… try again in 5 minutes." → 5 (at least 1).
fn wait_minutes(message: &str) -> i64 {
    message
        .split_whitespace()
        .filter_map(|w| w.parse::<i64>().ok())
        .next()
        .unwrap_or(1)
        .max(1)
}

/// Who the app acts for: `GET /api/v1/me`.
pub async fn test(http: &reqwest::Client, access: &Access) -> Result<String, Failure> {
    let url = format!("{}/api/v1/me", api_base(access));
    let (status, body) = authorized(http, access, |t| http.get(&url).bearer_auth(t)).await?;
    match body.get("name").and_then(Value::as_str) {
        Some(name) if status == 200 => Ok(format!("the app acts for u/{name}")),
        _ => Err(failure(status, &body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_agent_names_the_app_and_the_account() {
        let access = Access {
            connector: earshot_core::connector::Connector::Reddit,
            settings: serde_json::json!({"username": "acme_care"})
                .as_object()
                .unwrap()
                .clone(),
            secrets: Default::default(),
        };
        assert!(user_agent(&access).starts_with("server:earshot:"));
        assert!(user_agent(&access).ends_with("(by /u/acme_care)"));
        assert_eq!(
            token_url(&access),
            "https://www.reddit.com/api/v1/access_token"
        );
        assert_eq!(
            wait_minutes("you are doing that too much. try again in 5 minutes."),
            5
        );
        assert_eq!(wait_minutes("try again in a moment"), 1);
    }
}
