//! Reddit's API listings as files: a `Listing` (or an array of them, as
//! `/comments/{article}` answers: the submission, then its comment tree) of things — `t3`
//! submissions, `t1` comments (with their `replies` trees, and inbox mentions), `t4` private
//! messages. Each thing is known by its fullname (`t1_…`) and answers its `parent_id`, so a
//! thread is one conversation; private messages are private, the rest public.

use crate::{Decoded, Location, Reject};
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use serde_json::Value;

/// Every message of the listings in `v`, and a reject with the reason for the rest.
pub fn decode_document(v: &Value, account: &str) -> Vec<Decoded> {
    let mut out = Vec::new();
    match v {
        Value::Array(listings) => {
            for (i, l) in listings.iter().enumerate() {
                listing(l, &format!("[{i}]"), account, &mut out);
            }
        }
        l => listing(l, "", account, &mut out),
    }
    if out.is_empty() {
        out.push(Decoded {
            location: Location::Path("document".into()),
            result: Err(Reject::new(
                "no_messages",
                "no things in the listing (`data.children` is empty)",
            )),
        });
    }
    out
}

fn listing(l: &Value, at: &str, account: &str, out: &mut Vec<Decoded>) {
    if l.get("kind").and_then(Value::as_str) != Some("Listing") {
        out.push(Decoded {
            location: Location::Path(if at.is_empty() { "kind".into() } else { at.into() }),
            result: Err(Reject::new(
                "not_a_listing",
                "expected a Reddit `Listing` (`{\"kind\": \"Listing\", \"data\": {\"children\": [...]}}`)",
            )),
        });
        return;
    }
    let prefix = if at.is_empty() {
        String::new()
    } else {
        format!("{at}.")
    };
    for (i, thing) in l
        .pointer("/data/children")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let here = format!("{prefix}data.children[{i}]");
        let kind = thing.get("kind").and_then(Value::as_str).unwrap_or("");
        let data = thing.get("data").unwrap_or(&Value::Null);
        match kind {
            "t1" | "t3" | "t4" => out.push(Decoded {
                location: Location::Path(here.clone()),
                result: message(kind, data, account),
            }),
            "more" => out.push(Decoded {
                location: Location::Path(here.clone()),
                result: Err(Reject::new(
                    "not_a_message",
                    "a `more` stub: the comments it stands for must be fetched with /api/morechildren",
                )),
            }),
            other => out.push(Decoded {
                location: Location::Path(here.clone()),
                result: Err(Reject::new(
                    "not_a_message",
                    format!("a `{other}` thing is no post, comment or message"),
                )),
            }),
        }
        // A comment's replies are a listing of their own ("" when there are none).
        if let Some(replies) = data.get("replies").filter(|r| r.is_object()) {
            listing(replies, &format!("{here}.data.replies"), account, out);
        }
    }
}

pub(crate) fn message(kind: &str, d: &Value, account: &str) -> Result<Inbound, Reject> {
    let text = |k: &str| d.get(k).and_then(Value::as_str);
    let name = text("name").ok_or_else(|| Reject::new("missing_field", "`name` is missing"))?;
    let author =
        text("author").ok_or_else(|| Reject::new("missing_field", "`author` is missing"))?;
    if author == "[deleted]" {
        return Err(Reject::new(
            "deleted",
            format!("{name} was deleted by its author (Reddit shows it as [deleted])"),
        ));
    }
    let created = d
        .get("created_utc")
        .and_then(Value::as_f64)
        .ok_or_else(|| Reject::new("missing_field", "`created_utc` is missing"))?;
    let created_at = chrono::DateTime::from_timestamp_millis((created * 1000.0) as i64)
        .ok_or_else(|| {
            Reject::new(
                "invalid_timestamp",
                format!("`created_utc` {created} is out of range"),
            )
        })?;
    let words = match kind {
        // A submission: its title, and its text for a self post.
        "t3" => {
            let title = text("title").unwrap_or("");
            match text("selftext").filter(|s| !s.is_empty()) {
                Some(body) => format!("{title}\n\n{body}"),
                None => match text("url").filter(|u| !u.contains("/comments/")) {
                    Some(link) => format!("{title}\n{link}"),
                    None => title.to_string(),
                },
            }
        }
        _ => text("body").unwrap_or("").to_string(),
    };
    // A `t4` is a private message unless it is the inbox's copy of a comment.
    let private = kind == "t4"
        && !d
            .get("was_comment")
            .and_then(Value::as_bool)
            .unwrap_or(false);
    let brand = account.trim_start_matches("u/").trim_start_matches('/');
    let inbound = Inbound {
        channel: ChannelKind::Reddit,
        account: Some(account.to_string()),
        source: ChannelRole::Owned,
        external_id: name.to_string(),
        direction: if !brand.is_empty() && author.eq_ignore_ascii_case(brand) {
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
            external_id: text("author_fullname").unwrap_or(author).to_string(),
            handle: Some(author.to_string()),
            display_name: None,
            followers: None,
            verified: false,
            email: None,
            phone: None,
        },
        text: words,
        created_at,
        in_reply_to: text("parent_id")
            .filter(|p| !p.is_empty())
            .map(str::to_string),
        raw: Some(d.clone()),
        automated: false,
        signature: None,
        url: text("permalink")
            .filter(|p| p.starts_with('/'))
            .map(|p| format!("https://www.reddit.com{p}")),
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
            "{}/../../../shared/fixtures/reddit/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_submission_and_its_comment_tree_thread_by_parent() {
        let d = decode_document(
            &fixture("submission_with_comment_tree.recorded.json"),
            "acme",
        );
        let ok: Vec<&Inbound> = d.iter().filter_map(|d| d.result.as_ref().ok()).collect();
        assert!(ok.len() >= 2, "{d:?}");
        assert_eq!(ok[0].external_id, "t3_2gmzqe");
        assert!(ok[0]
            .text
            .starts_with("[PRAW] HTTPS enabled PRAW testing needed"));
        assert_eq!(ok[0].in_reply_to, None);
        assert_eq!(ok[1].external_id, "t1_cklfmye");
        assert_eq!(ok[1].in_reply_to.as_deref(), Some("t3_2gmzqe"));
        assert_eq!(ok[1].author.handle.as_deref(), Some("paneer_burrito"));
        // Nested replies are read too, and everything is accounted for.
        assert!(d
            .iter()
            .all(|x| x.result.is_ok() || !x.result.as_ref().unwrap_err().reason.is_empty()));
    }

    #[test]
    fn inbox_mentions_and_comments_by_id_are_public_messages() {
        let d = decode_document(
            &fixture("inbox_mentions_listing.recorded_first3.json"),
            "acme",
        );
        assert_eq!(d.len(), 3);
        let m = d[0].result.as_ref().unwrap();
        assert_eq!(m.external_id, "t1_ekftbox");
        assert_eq!(m.visibility, Visibility::Public);
        assert_eq!(m.in_reply_to.as_deref(), Some("t3_bb24k7"));
        let d = decode_document(
            &fixture("comment_t1_listing_api_info.recorded.json"),
            "bboe",
        );
        let m = d[0].result.as_ref().unwrap();
        assert_eq!(m.direction, Direction::Out, "the brand's own comment");
        assert_eq!(m.in_reply_to.as_deref(), Some("t1_cklfmye"));
    }

    #[test]
    fn private_messages_deleted_things_and_strangers_say_what_they_are() {
        let v = serde_json::json!({"kind": "Listing", "data": {"children": [
            {"kind": "t4", "data": {"name": "t4_1", "author": "dana", "created_utc": 1.7e9, "body": "my order?"}},
            {"kind": "t1", "data": {"name": "t1_2", "author": "[deleted]", "created_utc": 1.7e9, "body": "[deleted]"}},
            {"kind": "t5", "data": {"name": "t5_3"}}]}});
        let d = decode_document(&v, "acme");
        assert_eq!(
            d[0].result.as_ref().unwrap().visibility,
            Visibility::Private
        );
        assert_eq!(d[1].result.as_ref().unwrap_err().code, "deleted");
        assert!(d[2].result.as_ref().unwrap_err().reason.contains("`t5`"));
        let d = decode_document(&serde_json::json!({"data": []}), "acme");
        assert_eq!(d[0].result.as_ref().unwrap_err().code, "not_a_listing");
    }
}
