//! X API v2 responses: tweet lookups, searches and timelines (`data` plus `includes.users`
//! and `includes.tweets`), and DM events. Referenced tweets in `includes.tweets` are decoded
//! too, so replies thread onto the tweets they answer. Entries of `errors` (a deleted tweet,
//! say) are reported as rejected records.

use crate::{DecodeOptions, Decoded, Location, Reject};
use chrono::{DateTime, Utc};
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use serde_json::Value;
use std::collections::HashMap;

/// A tweet's text as people wrote it: X (and the TWCS export of its API) sends `&`, `<` and
/// `>` as `&amp;`, `&lt;` and `&gt;`; nothing else is encoded. One pass, so `&amp;lt;` is the
/// five characters `&lt;` someone typed.
pub(crate) fn tweet_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (decoded, len) = if rest.starts_with("&amp;") {
            ('&', 5)
        } else if rest.starts_with("&lt;") {
            ('<', 4)
        } else if rest.starts_with("&gt;") {
            ('>', 4)
        } else {
            ('&', 1)
        };
        out.push(decoded);
        rest = &rest[len..];
    }
    out.push_str(rest);
    out
}

struct User<'a> {
    username: Option<&'a str>,
    name: Option<&'a str>,
    followers: Option<u32>,
    verified: bool,
}

pub fn decode_document(bytes: &[u8], options: &DecodeOptions) -> Vec<Decoded> {
    let document: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            return vec![Decoded {
                location: Location::Path("document".into()),
                result: Err(Reject::new(
                    "invalid_json",
                    format!("not a valid X API response: {e}"),
                )),
            }]
        }
    };
    let mut users: HashMap<&str, User<'_>> = HashMap::new();
    for u in document
        .pointer("/includes/users")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(id) = u.get("id").and_then(Value::as_str) {
            users.insert(
                id,
                User {
                    username: u.get("username").and_then(Value::as_str),
                    name: u.get("name").and_then(Value::as_str),
                    followers: u
                        .pointer("/public_metrics/followers_count")
                        .and_then(Value::as_u64)
                        .map(|f| f.min(u64::from(u32::MAX)) as u32),
                    verified: u.get("verified").and_then(Value::as_bool).unwrap_or(false),
                },
            );
        }
    }

    let mut out = Vec::new();
    let mut visit = |path: String, item: &Value| {
        out.push(Decoded {
            result: item_to_inbound(item, &users, options),
            location: Location::Path(path),
        })
    };
    match document.get("data") {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .for_each(|(i, t)| visit(format!("data[{i}]"), t)),
        Some(item @ Value::Object(_)) => visit("data".into(), item),
        _ => {}
    }
    for (i, t) in document
        .pointer("/includes/tweets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        visit(format!("includes.tweets[{i}]"), t);
    }
    for (i, e) in document
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let text = |k: &str| e.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        out.push(Decoded {
            location: Location::Path(format!("errors[{i}]")),
            result: Err(Reject::new(
                "platform_error",
                format!("{}: {}", text("title"), text("detail")),
            )),
        });
    }
    if out.is_empty() {
        out.push(Decoded {
            location: Location::Path("document".into()),
            result: Err(Reject::new(
                "no_messages",
                "the document has no `data` and no `errors`",
            )),
        });
    }
    out
}

fn str_field<'a>(item: &'a Value, name: &str) -> Option<&'a str> {
    item.get(name).and_then(Value::as_str)
}

fn item_to_inbound(
    item: &Value,
    users: &HashMap<&str, User<'_>>,
    options: &DecodeOptions,
) -> Result<Inbound, Reject> {
    if !item.is_object() {
        return Err(Reject::new("invalid_value", "expected a tweet object"));
    }
    let is_dm = item.get("event_type").is_some();
    let id = str_field(item, "id")
        .ok_or_else(|| Reject::new("missing_field", "`id` is missing or not a string"))?;
    let author_field = if is_dm { "sender_id" } else { "author_id" };
    let author_id = str_field(item, author_field).ok_or_else(|| {
        Reject::new(
            "missing_field",
            format!(
                "`{author_field}` is missing: Earshot needs the author (request it with {})",
                if is_dm {
                    "dm_event.fields=sender_id"
                } else {
                    "tweet.fields=author_id"
                }
            ),
        )
    })?;
    let created = str_field(item, "created_at").ok_or_else(|| {
        Reject::new(
            "missing_field",
            format!(
                "`created_at` is missing (request it with {}.fields=created_at)",
                if is_dm { "dm_event" } else { "tweet" }
            ),
        )
    })?;
    let created_at: DateTime<Utc> = DateTime::parse_from_rfc3339(created)
        .map_err(|e| {
            Reject::new(
                "invalid_timestamp",
                format!("`created_at` is `{created}`: {e}"),
            )
        })?
        .to_utc();
    let text = tweet_text(
        str_field(item, "text").ok_or_else(|| Reject::new("missing_field", "`text` is missing"))?,
    );
    let in_reply_to = item
        .get("referenced_tweets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|r| str_field(r, "type") == Some("replied_to"))
        .and_then(|r| str_field(r, "id"))
        .map(str::to_string);
    let user = users.get(author_id);
    let handle = user.and_then(|u| u.username);
    let ours = options.account.as_deref().is_some_and(|account| {
        let account = account.trim_start_matches('@');
        handle.is_some_and(|h| h.eq_ignore_ascii_case(account)) || author_id == account
    });
    let inbound = Inbound {
        channel: ChannelKind::X,
        account: options.account.clone(),
        source: ChannelRole::Owned,
        external_id: id.to_string(),
        direction: if ours { Direction::Out } else { Direction::In },
        visibility: if is_dm {
            Visibility::Private
        } else {
            Visibility::Public
        },
        author: InboundAuthor {
            external_id: author_id.to_string(),
            handle: handle.map(str::to_string),
            display_name: user.and_then(|u| u.name).map(str::to_string),
            followers: user.and_then(|u| u.followers),
            verified: user.is_some_and(|u| u.verified),
            email: None,
            phone: None,
        },
        text,
        created_at,
        in_reply_to,
        raw: Some(item.clone()),
        automated: false,
        signature: None,
        url: crate::x_activity::status_url(handle, id).filter(|_| !is_dm),
        attachments: Vec::new(),
    };
    inbound.validate()?;
    Ok(inbound)
}

#[cfg(test)]
mod tests {
    use super::tweet_text;

    #[test]
    fn the_three_entities_x_encodes_are_decoded_once() {
        assert_eq!(tweet_text("a &amp; b &lt;3 &gt;:("), "a & b <3 >:(");
        assert_eq!(tweet_text("&amp;amp; &amp;lt;"), "&amp; &lt;");
        assert_eq!(
            tweet_text("&nbsp; & &am"),
            "&nbsp; & &am",
            "others are left alone"
        );
        assert_eq!(
            tweet_text("no entities, ünïcode ✓"),
            "no entities, ünïcode ✓"
        );
        assert_eq!(tweet_text("ends with &"), "ends with &");
    }
}
