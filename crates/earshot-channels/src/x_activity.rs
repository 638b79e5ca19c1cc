//! X's Account Activity API: the CRC challenge X sends to a registered webhook, the
//! `x-twitter-webhooks-signature` every delivery carries, and the events of the subscribed
//! account (`for_user_id`) decoded into messages: tweets that mention or answer the brand
//! (v1.1 status objects, public) and customers' direct messages (private). The brand's own
//! tweets are outbound messages, so a reply sent from X's own app threads and counts.
//! Favourites, follows, typing and read indicators, deletions and revokes are reported with
//! what Earshot does with them.

use crate::webhook::WebhookBatch;
use crate::{Decoded, Location, Reject};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;
use subtle::ConstantTimeEq as _;

/// `sha256=<base64 HMAC-SHA256(secret, data)>`, the form of both the CRC answer and the
/// delivery signature.
fn sign(secret: &str, data: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(data);
    format!(
        "sha256={}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// The `response_token` X expects for a CRC `crc_token`.
pub fn crc_response(consumer_secret: &str, crc_token: &str) -> String {
    sign(consumer_secret, crc_token.as_bytes())
}

/// The signature X puts on a delivery of `body` (for tests and fake servers).
pub fn signature(consumer_secret: &str, body: &[u8]) -> String {
    sign(consumer_secret, body)
}

/// Whether `header` (`x-twitter-webhooks-signature`) signs `body` with the consumer secret,
/// compared in constant time; failing closed on an empty secret.
pub fn signature_ok(consumer_secret: &str, body: &[u8], header: Option<&str>) -> bool {
    match header {
        Some(h) if !consumer_secret.is_empty() => {
            let want = sign(consumer_secret, body);
            h.len() == want.len() && bool::from(h.as_bytes().ct_eq(want.as_bytes()))
        }
        _ => false,
    }
}

/// The event kinds that carry no message, with what Earshot does with them.
const NOT_MESSAGES: &[(&str, &str)] = &[
    ("favorite_events", "a like carries no words to answer"),
    ("follow_events", "a follow carries no words to answer"),
    ("unfollow_events", "an unfollow carries no words to answer"),
    ("block_events", "a block carries no words to answer"),
    ("mute_events", "a mute carries no words to answer"),
    (
        "direct_message_indicate_typing_events",
        "a typing indicator is not a message",
    ),
    (
        "direct_message_mark_read_events",
        "a read receipt of a direct message is not recorded",
    ),
    (
        "user_event",
        "the account revoked the app's access: reconnect the channel to receive events again",
    ),
];

/// A v1.1 user object, or an entry of a DM delivery's `users` map.
struct User {
    handle: Option<String>,
    name: Option<String>,
    followers: Option<u32>,
    verified: bool,
}

fn user_of(u: &Value) -> User {
    let s = |k: &str| u.get(k).and_then(Value::as_str).map(str::to_string);
    User {
        handle: s("screen_name"),
        name: s("name"),
        followers: u
            .get("followers_count")
            .and_then(Value::as_u64)
            .map(|f| f.min(u64::from(u32::MAX)) as u32),
        verified: u.get("verified").and_then(Value::as_bool).unwrap_or(false),
    }
}

/// One Account Activity delivery for the channel `account` (the brand's handle).
pub fn decode_activity(v: &Value, account: &str) -> WebhookBatch {
    let mut out = WebhookBatch::default();
    let Some(brand) = v.get("for_user_id").and_then(Value::as_str) else {
        out.ignore(
            "for_user_id",
            "no `for_user_id`: not an Account Activity delivery",
        );
        return out;
    };
    for (i, t) in v
        .get("tweet_create_events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("tweet_create_events[{i}]");
        if t.get("retweeted_status").is_some() {
            out.ignore(at, "a retweet carries no words of its own to answer");
            continue;
        }
        out.messages.push(Decoded {
            location: Location::Path(at),
            result: tweet(t, brand, account),
        });
    }
    let users = v.get("users").filter(|u| u.is_object());
    for (i, e) in v
        .get("direct_message_events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let at = format!("direct_message_events[{i}]");
        if e.get("type").and_then(Value::as_str) != Some("message_create") {
            out.ignore(at, "a direct-message event other than a message");
            continue;
        }
        if str_at(e, "/message_create/sender_id") == Some(brand) {
            out.ignore(
                at,
                "a direct message the brand sent: Earshot's own are stored when sent, and one \
                 sent from X's app names no customer message to thread it to",
            );
            continue;
        }
        // X's documentation example nests the users under `apps`; deliveries have `users`.
        let lookup = |id: &str| {
            users
                .and_then(|u| u.get(id))
                .or_else(|| v.pointer("/apps").and_then(|a| a.get(id)))
                .map(user_of)
        };
        out.messages.push(Decoded {
            location: Location::Path(at),
            result: direct_message(e, account, lookup),
        });
    }
    for (i, d) in v
        .get("tweet_delete_events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        match d.pointer("/status/id").and_then(Value::as_str) {
            Some(id) => out.deleted.push(id.to_string()),
            None => out.ignore(
                format!("tweet_delete_events[{i}]"),
                "a deletion without `status.id`",
            ),
        }
    }
    for (key, why) in NOT_MESSAGES {
        if v.get(*key).is_some() {
            out.ignore(*key, *why);
        }
    }
    if out.messages.is_empty()
        && out.deleted.is_empty()
        && out.ignored.is_empty()
        && v.as_object().is_some_and(|o| o.len() > 1)
    {
        let keys: Vec<&str> = v
            .as_object()
            .into_iter()
            .flat_map(|o| o.keys())
            .map(String::as_str)
            .filter(|k| *k != "for_user_id")
            .collect();
        out.ignore("", format!("no event Earshot reads ({})", keys.join(", ")));
    }
    out
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> Option<&'a str> {
    v.pointer(pointer).and_then(Value::as_str)
}

fn missing(field: &str) -> Reject {
    Reject::new(
        "missing_field",
        format!("`{field}` is missing or not a string"),
    )
}

/// v1.1 status objects as a file: one, an array of them, or search results (`statuses`);
/// the brand's own (its handle is `account`) are outbound.
pub fn decode_v1_document(v: &Value, account: &str) -> Vec<Decoded> {
    let (items, at): (Vec<&Value>, &str) = match v {
        Value::Array(a) => (a.iter().collect(), ""),
        v if v.get("statuses").is_some_and(Value::is_array) => (
            v["statuses"].as_array().into_iter().flatten().collect(),
            "statuses",
        ),
        v => (vec![v], ""),
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, t)| Decoded {
            location: Location::Path(match (at, v.is_object() && at.is_empty()) {
                (_, true) => "status".to_string(),
                ("", _) => format!("[{i}]"),
                (at, _) => format!("{at}[{i}]"),
            }),
            result: if t.get("retweeted_status").is_some() {
                Err(Reject::new(
                    "not_a_message",
                    "a retweet carries no words of its own to answer",
                ))
            } else {
                tweet(t, "", account)
            },
        })
        .collect()
}

/// A v1.1 status object: a customer's mention or reply (in) or the brand's own tweet (out:
/// by the subscribed user id `brand`, or by the handle `account`).
fn tweet(t: &Value, brand: &str, account: &str) -> Result<Inbound, Reject> {
    let id = str_at(t, "/id_str").ok_or_else(|| missing("id_str"))?;
    let author = str_at(t, "/user/id_str").ok_or_else(|| missing("user.id_str"))?;
    let created = str_at(t, "/created_at").ok_or_else(|| missing("created_at"))?;
    let created_at = DateTime::parse_from_str(created, "%a %b %d %H:%M:%S %z %Y")
        .map_err(|e| {
            Reject::new(
                "invalid_timestamp",
                format!("`created_at` is `{created}`: {e}"),
            )
        })?
        .with_timezone(&Utc);
    // Long tweets carry their words in `extended_tweet.full_text`; `text` is cut at 140.
    let text = str_at(t, "/extended_tweet/full_text")
        .or_else(|| str_at(t, "/full_text"))
        .or_else(|| str_at(t, "/text"))
        .ok_or_else(|| missing("text"))?;
    let user = t.get("user").map(user_of);
    let user_handle = user.as_ref().and_then(|u| u.handle.clone());
    let handle_is_ours = {
        let account = account.trim_start_matches('@');
        !account.is_empty()
            && user
                .as_ref()
                .and_then(|u| u.handle.as_deref())
                .is_some_and(|h| h.eq_ignore_ascii_case(account))
    };
    let inbound = Inbound {
        channel: ChannelKind::X,
        account: Some(account.to_string()),
        source: ChannelRole::Owned,
        external_id: id.to_string(),
        direction: if author == brand || handle_is_ours {
            Direction::Out
        } else {
            Direction::In
        },
        visibility: Visibility::Public,
        author: author_of(author, user),
        text: crate::x::tweet_text(text),
        created_at,
        in_reply_to: str_at(t, "/in_reply_to_status_id_str").map(str::to_string),
        raw: Some(t.clone()),
        automated: false,
        signature: None,
        url: status_url(user_handle.as_deref(), id),
        attachments: Vec::new(),
    };
    inbound.validate()?;
    Ok(inbound)
}

/// A tweet's page, when its author's handle is known.
pub(crate) fn status_url(handle: Option<&str>, id: &str) -> Option<String> {
    handle.map(|h| format!("https://x.com/{h}/status/{id}"))
}

fn author_of(id: &str, user: Option<User>) -> InboundAuthor {
    let user = user.unwrap_or(User {
        handle: None,
        name: None,
        followers: None,
        verified: false,
    });
    InboundAuthor {
        external_id: id.to_string(),
        handle: user.handle,
        display_name: user.name,
        followers: user.followers,
        verified: user.verified,
        email: None,
        phone: None,
    }
}

/// A `message_create` event: the customer's DM.
fn direct_message(
    e: &Value,
    account: &str,
    user: impl Fn(&str) -> Option<User>,
) -> Result<Inbound, Reject> {
    let id = str_at(e, "/id").ok_or_else(|| missing("id"))?;
    let sender = str_at(e, "/message_create/sender_id")
        .ok_or_else(|| missing("message_create.sender_id"))?;
    let millis = str_at(e, "/created_timestamp")
        .and_then(|s| s.parse::<i64>().ok())
        .ok_or_else(|| missing("created_timestamp"))?;
    let created_at = DateTime::from_timestamp_millis(millis).ok_or_else(|| {
        Reject::new(
            "invalid_timestamp",
            format!("`created_timestamp` {millis} is out of range"),
        )
    })?;
    let text = str_at(e, "/message_create/message_data/text")
        .ok_or_else(|| missing("message_create.message_data.text"))?;
    let inbound = Inbound {
        channel: ChannelKind::X,
        account: Some(account.to_string()),
        source: ChannelRole::Owned,
        external_id: id.to_string(),
        direction: Direction::In,
        visibility: Visibility::Private,
        author: author_of(sender, user(sender)),
        text: crate::x::tweet_text(text),
        created_at,
        in_reply_to: None,
        raw: Some(e.clone()),
        automated: false,
        signature: None,
        url: None,
        attachments: Vec::new(),
    };
    inbound.validate()?;
    Ok(inbound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let path = format!(
            "{}/../../../shared/fixtures/x_twitter/account_activity/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        serde_json::from_str(&text).unwrap()
    }

    #[test]
    fn the_crc_answer_is_the_documented_hmac() {
        // HMAC-SHA256("secret", "challenge"), base64: computed independently with
        // `printf challenge | openssl dgst -sha256 -hmac secret -binary | base64`.
        assert_eq!(
            crc_response("secret", "challenge"),
            "sha256=oeUF6Wxqoezggrue+wbIDxKRPSF6esKwizR2MHh9HaA="
        );
        let body = br#"{"for_user_id":"1"}"#;
        let good = signature("secret", body);
        assert!(signature_ok("secret", body, Some(&good)));
        assert!(!signature_ok("other", body, Some(&good)));
        assert!(!signature_ok("secret", b"{}", Some(&good)));
        assert!(!signature_ok("", body, Some(&signature("", body))));
        assert!(!signature_ok("secret", body, None));
    }

    #[test]
    fn a_customers_mention_and_the_brands_answer_are_in_and_out() {
        let v = json!({"for_user_id": "100", "tweet_create_events": [
            {"id_str": "2", "created_at": "Thu Nov 08 02:31:41 +0000 2012",
             "text": "@brand my order is late &amp; nobody answers",
             "user": {"id_str": "7", "screen_name": "dana", "name": "Dana", "followers_count": 120, "verified": false}},
            {"id_str": "3", "created_at": "Thu Nov 08 02:40:00 +0000 2012", "text": "short",
             "extended_tweet": {"full_text": "@dana sorry, Dana: we are on it"},
             "in_reply_to_status_id_str": "2",
             "user": {"id_str": "100", "screen_name": "brand"}}]});
        let batch = decode_activity(&v, "brand");
        let m: Vec<&Inbound> = batch
            .messages
            .iter()
            .map(|d| d.result.as_ref().unwrap())
            .collect();
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].direction, Direction::In);
        assert_eq!(m[0].text, "@brand my order is late & nobody answers");
        assert_eq!(m[0].author.handle.as_deref(), Some("dana"));
        assert_eq!(m[0].author.followers, Some(120));
        assert_eq!(m[0].visibility, Visibility::Public);
        assert_eq!(m[1].direction, Direction::Out);
        assert_eq!(
            m[1].text, "@dana sorry, Dana: we are on it",
            "the full text"
        );
        assert_eq!(m[1].in_reply_to.as_deref(), Some("2"));
    }

    #[test]
    fn every_account_activity_fixture_decodes_or_says_why() {
        let dm = decode_activity(&fixture("direct_message_events.docs_example.json"), "brand");
        let m = dm.messages[0].result.as_ref().unwrap();
        assert_eq!(m.external_id, "954491830116155396");
        assert_eq!(m.direction, Direction::In, "sent to the brand");
        assert_eq!(m.visibility, Visibility::Private);
        assert_eq!(m.text, "Hello World!");
        assert_eq!(m.author.handle.as_deref(), Some("furiouscamper"));
        assert_eq!(m.author.followers, Some(22));

        let tweets = decode_activity(
            &fixture("tweet_create_events.composed_from_real_v1_1_status.json"),
            "brand",
        );
        // A real v1.1 status by the subscribed account itself: the brand's own tweet.
        let t = tweets.messages[0].result.as_ref().unwrap();
        assert_eq!(t.external_id, "266367358078169089");
        assert_eq!(t.direction, Direction::Out);
        assert_eq!(t.author.handle.as_deref(), Some("Twitter"));
        assert_eq!(t.author.followers, Some(56_335_782));
        assert!(t.author.verified);
        assert!(
            t.text.starts_with("RT @TwitterEng: Bolstering"),
            "{}",
            t.text
        );
        let mut retweet = fixture("tweet_create_events.composed_from_real_v1_1_status.json");
        retweet["tweet_create_events"][0]["retweeted_status"] = json!({"id_str": "1"});
        let b = decode_activity(&retweet, "brand");
        assert!(b.messages.is_empty());
        assert!(b.summary().contains("a retweet"), "{}", b.summary());

        let deleted = decode_activity(&fixture("tweet_delete_events.docs_example.json"), "brand");
        assert_eq!(deleted.deleted.len(), 1, "{}", deleted.summary());
        for name in [
            "direct_message_indicate_typing_events.docs_example.json",
            "direct_message_mark_read_events.docs_example.json",
        ] {
            let b = decode_activity(&fixture(name), "brand");
            assert!(b.messages.is_empty(), "{name}");
            assert_eq!(b.ignored.len(), 1, "{name}: {}", b.summary());
        }
    }

    #[test]
    fn bad_events_are_rejected_with_the_field() {
        let v = json!({"for_user_id": "1", "tweet_create_events": [
            {"id_str": "9", "created_at": "yesterday", "text": "hi", "user": {"id_str": "2"}},
            {"created_at": "Thu Nov 08 02:31:41 +0000 2012", "text": "hi", "user": {"id_str": "2"}}]});
        let b = decode_activity(&v, "brand");
        let reasons: Vec<String> = b
            .messages
            .iter()
            .map(|d| d.result.as_ref().unwrap_err().reason.clone())
            .collect();
        assert!(reasons[0].contains("created_at"), "{reasons:?}");
        assert!(reasons[1].contains("id_str"), "{reasons:?}");
        assert!(decode_activity(&json!({"x": 1}), "brand")
            .summary()
            .contains("for_user_id"));
    }
}
