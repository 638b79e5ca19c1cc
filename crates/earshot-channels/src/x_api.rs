//! Replies through the X API v2, signed with OAuth 1.0a (the user context the Account
//! Activity API subscribes): a public answer is `POST /2/tweets` with
//! `reply.in_reply_to_tweet_id` set to the customer's tweet; a private one is a DM,
//! `POST /2/dm_conversations/with/{participant_id}/messages`. A rate limit (`429`) waits
//! until `x-rate-limit-reset` instead of failing.

use crate::send::{call, call_with_headers, Accepted, Access, Failure, Outgoing};
use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Value};
use sha1::Sha1;

/// What a tweet holds. X weighs some characters double and every URL as 23; Earshot counts
/// characters, so a reply it lets through may still be refused (and is then `failed` with
/// X's reason).
pub const TWEET_CHARS: usize = 280;

/// RFC 3986's unreserved characters stay; everything else is percent-encoded (OAuth 1.0a,
/// section 3.6).
const OAUTH: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn pct(s: &str) -> String {
    utf8_percent_encode(s, OAUTH).to_string()
}

/// The OAuth 1.0a parameters of one request, before signing.
pub struct OAuth<'a> {
    pub consumer_key: &'a str,
    pub consumer_secret: &'a str,
    pub token: &'a str,
    pub token_secret: &'a str,
    pub nonce: &'a str,
    pub timestamp: i64,
}

impl OAuth<'_> {
    /// The `Authorization` header for `method url`, where `params` are the request's query
    /// and form parameters (a JSON body is not signed).
    pub fn header(&self, method: &str, url: &str, params: &[(&str, &str)]) -> String {
        let timestamp = self.timestamp.to_string();
        let mut oauth: Vec<(&str, &str)> = vec![
            ("oauth_consumer_key", self.consumer_key),
            ("oauth_nonce", self.nonce),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", &timestamp),
            ("oauth_token", self.token),
            ("oauth_version", "1.0"),
        ];
        let signature = self.signature(method, url, &oauth, params);
        oauth.push(("oauth_signature", &signature));
        oauth.sort();
        let fields: Vec<String> = oauth
            .iter()
            .map(|(k, v)| format!("{}=\"{}\"", pct(k), pct(v)))
            .collect();
        format!("OAuth {}", fields.join(", "))
    }

    fn signature(
        &self,
        method: &str,
        url: &str,
        oauth: &[(&str, &str)],
        params: &[(&str, &str)],
    ) -> String {
        let base = base_string(method, url, oauth.iter().chain(params).copied());
        let key = format!("{}&{}", pct(self.consumer_secret), pct(self.token_secret));
        let mut mac = Hmac::<Sha1>::new_from_slice(key.as_bytes()).expect("any key length");
        mac.update(base.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }
}

/// `METHOD&url&params`, the parameters encoded, sorted and joined (section 3.4.1).
fn base_string<'a>(
    method: &str,
    url: &str,
    params: impl Iterator<Item = (&'a str, &'a str)>,
) -> String {
    let mut encoded: Vec<(String, String)> = params.map(|(k, v)| (pct(k), pct(v))).collect();
    encoded.sort();
    let joined: Vec<String> = encoded.iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        pct(url),
        pct(&joined.join("&"))
    )
}

fn oauth_header(access: &Access, method: &str, url: &str) -> String {
    let nonce: String = {
        use rand::Rng as _;
        let mut rng = rand::rng();
        (0..32)
            .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
            .collect()
    };
    OAuth {
        consumer_key: access.get("consumer_key"),
        consumer_secret: access.get("consumer_secret"),
        token: access.get("access_token"),
        token_secret: access.get("access_token_secret"),
        nonce: &nonce,
        timestamp: earshot_core::time::now().timestamp(),
    }
    .header(method, url, &[])
}

/// An X API error answer sorted by what to do about it; a `429` waits for the reset time.
pub(crate) fn failure(status: u16, body: &Value, reset: Option<i64>) -> Failure {
    let detail = body["detail"]
        .as_str()
        .or_else(|| body["title"].as_str())
        .or_else(|| body.pointer("/errors/0/message").and_then(Value::as_str))
        .unwrap_or("no detail");
    let text = format!("HTTP {status} from the X API: {detail}");
    match status {
        401 => Failure::Reauth(text),
        429 => match reset.and_then(|s| chrono::DateTime::from_timestamp(s, 0)) {
            Some(until) => Failure::Wait { error: text, until },
            None => Failure::Transient(text),
        },
        s if s >= 500 => Failure::Transient(text),
        _ => Failure::Rejected(text),
    }
}

/// Sends `out`: a public reply to the customer's tweet, or a DM to the customer.
pub async fn send(http: &reqwest::Client, access: &Access, out: &Outgoing<'_>) -> Accepted {
    let base = access.api_base();
    let (url, body, id_at) = if out.public {
        let Some(tweet) = out.answering else {
            return Err(Failure::NotSent(
                "a public X reply answers a tweet, and this conversation has none from the customer".into(),
            ));
        };
        let chars = out.text.chars().count();
        if chars > TWEET_CHARS {
            return Err(Failure::NotSent(format!(
                "a tweet holds {TWEET_CHARS} characters and this reply has {chars}: shorten it or answer by DM"
            )));
        }
        (
            format!("{base}/2/tweets"),
            json!({"text": out.text, "reply": {"in_reply_to_tweet_id": tweet}}),
            "/data/id",
        )
    } else {
        (
            format!(
                "{base}/2/dm_conversations/with/{}/messages",
                pct(out.recipient)
            ),
            json!({"text": out.text}),
            "/data/dm_event_id",
        )
    };
    let request = http
        .post(&url)
        .header(
            reqwest::header::AUTHORIZATION,
            oauth_header(access, "POST", &url),
        )
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body.to_string());
    let answer = call_with_headers(request, "the X API").await?;
    // `x-rate-limit-reset`: Unix seconds.
    let reset = answer
        .header("x-rate-limit-reset")
        .and_then(|v| v.parse().ok());
    let (status, answer) = (answer.status, answer.body);
    if (200..300).contains(&status) {
        return answer
            .pointer(id_at)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| {
                Failure::Rejected(format!(
                    "the X API answered {status} without `{}`",
                    &id_at[1..].replace('/', ".")
                ))
            });
    }
    Err(failure(status, &answer, reset))
}

/// Who the channel's tokens act for: `GET /2/users/me`.
pub async fn test(http: &reqwest::Client, access: &Access) -> Result<String, Failure> {
    let url = format!("{}/2/users/me", access.api_base());
    let request = http.get(&url).header(
        reqwest::header::AUTHORIZATION,
        oauth_header(access, "GET", &url),
    );
    let (status, body) = call(request, "the X API").await?;
    if status == 200 {
        if let Some(name) = body.pointer("/data/username").and_then(Value::as_str) {
            return Ok(format!("the tokens act for @{name}"));
        }
    }
    Err(failure(status, &body, None))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of X's "Creating a signature" guide.
    #[test]
    fn the_signature_is_the_guides_worked_example() {
        let oauth = OAuth {
            consumer_key: "xvz1evFS4wEEPTGEFPHBog",
            consumer_secret: "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
            token: "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
            token_secret: "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
            nonce: "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg",
            timestamp: 1318622958,
        };
        let params = [
            ("include_entities", "true"),
            (
                "status",
                "Hello Ladies + Gentlemen, a signed OAuth request!",
            ),
        ];
        let url = "https://api.twitter.com/1.1/statuses/update.json";
        let timestamp = oauth.timestamp.to_string();
        let fields = [
            ("oauth_consumer_key", oauth.consumer_key),
            ("oauth_nonce", oauth.nonce),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", timestamp.as_str()),
            ("oauth_token", oauth.token),
            ("oauth_version", "1.0"),
        ];
        assert_eq!(
            base_string("post", url, fields.iter().chain(&params).copied()),
            "POST&https%3A%2F%2Fapi.twitter.com%2F1.1%2Fstatuses%2Fupdate.json&include_entities%3Dtrue%26oauth_consumer_key%3Dxvz1evFS4wEEPTGEFPHBog%26oauth_nonce%3DkYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg%26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1318622958%26oauth_token%3D370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb%26oauth_version%3D1.0%26status%3DHello%2520Ladies%2520%252B%2520Gentlemen%252C%2520a%2520signed%2520OAuth%2520request%2521"
        );
        let header = oauth.header("POST", url, &params);
        assert!(
            header.contains(r#"oauth_signature="hCtSmYh%2BiHYCEqBWrE7C7hYmtUk%3D""#),
            "{header}"
        );
        assert!(header.starts_with("OAuth oauth_consumer_key=\"xvz1evFS4wEEPTGEFPHBog\""));
    }

    #[test]
    fn rate_limits_wait_for_the_reset_and_tokens_need_an_admin() {
        let body = json!({"title": "Too Many Requests", "detail": "Too Many Requests"});
        match failure(429, &body, Some(1_900_000_000)) {
            Failure::Wait { until, .. } => assert_eq!(until.timestamp(), 1_900_000_000),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            failure(401, &json!({"title": "Unauthorized"}), None),
            Failure::Reauth(_)
        ));
        assert!(matches!(
            failure(403, &json!({"detail": "You are not allowed to reply"}), None),
            Failure::Rejected(e) if e.contains("not allowed")
        ));
        assert!(matches!(
            failure(503, &Value::Null, None),
            Failure::Transient(_)
        ));
    }
}
