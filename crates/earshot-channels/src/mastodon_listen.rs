//! Listening on Mastodon beyond the account's mentions: the public posts of hashtags
//! (`hashtags`: `acme, acmesupport`) and of the instance's public timeline (`public_timeline`:
//! `local`, `remote` or `all`). Each is read from its REST timeline after the position kept
//! for it (`GET /api/v1/timelines/tag/:hashtag` or `/api/v1/timelines/public`, `min_id`: the
//! endpoints Mastodon documents for reading what came after a status), and its streaming
//! counterpart (`/api/v1/streaming/hashtag?tag=`, `/api/v1/streaming/public[/local|/remote]`)
//! wakes the poller as soon as a post arrives, as the notification stream does for mentions.
//!
//! What these timelines carry are listening posts: the workspace's topics decide whether each
//! becomes a conversation or is counted for share of voice. The brand's own posts are left
//! out, and so are posts that mention the brand's account: those arrive as mentions, in the
//! inbox, where they are answered.

use crate::send::{call_with_headers, Access, Failure, Polled};
use earshot_core::ChannelRole;
use serde_json::Value;

/// Statuses read per request (Mastodon's maximum page for timelines).
pub const PAGE: usize = 40;

/// Which part of the public timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every public post the instance knows.
    All,
    /// Posts of the instance's own accounts.
    Local,
    /// Posts of other instances' accounts.
    Remote,
}

/// One public timeline a channel listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timeline {
    Tag(String),
    Public(Scope),
}

/// `hashtags` read: names with or without `#`, separated by commas or spaces; each made of
/// letters, digits and `_` (what Mastodon makes a hashtag of), compared without case.
pub fn parse_hashtags(v: &str) -> Result<Vec<String>, String> {
    let mut tags: Vec<String> = Vec::new();
    for word in v.split([',', ' ']).map(str::trim).filter(|w| !w.is_empty()) {
        let tag = word.trim_start_matches('#');
        if tag.is_empty() || tag.chars().count() > 100 {
            return Err(format!("`{word}` is not a hashtag"));
        }
        if let Some(c) = tag.chars().find(|c| !(c.is_alphanumeric() || *c == '_')) {
            return Err(format!(
                "`{word}` is not a hashtag: `{c}` cannot be part of one (letters, digits and _)"
            ));
        }
        let tag = tag.to_lowercase();
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > 20 {
        return Err(format!(
            "{} hashtags: at most 20 (each is a connection to the instance)",
            tags.len()
        ));
    }
    Ok(tags)
}

/// `public_timeline` read: empty for none.
pub fn parse_public(v: &str) -> Result<Option<Scope>, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "" | "none" => Ok(None),
        "all" => Ok(Some(Scope::All)),
        "local" => Ok(Some(Scope::Local)),
        "remote" => Ok(Some(Scope::Remote)),
        other => Err(format!(
            "must be `local`, `remote` or `all` (or empty), not `{other}`"
        )),
    }
}

/// The timelines the channel's settings name (settings were checked when they were saved;
/// what does not read is left out).
pub fn timelines(access: &Access) -> Vec<Timeline> {
    let mut out: Vec<Timeline> = parse_hashtags(access.get("hashtags"))
        .unwrap_or_default()
        .into_iter()
        .map(Timeline::Tag)
        .collect();
    if let Ok(Some(scope)) = parse_public(access.get("public_timeline")) {
        out.push(Timeline::Public(scope));
    }
    out
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Timeline {
    /// Its name among the channel's cursors.
    pub fn key(&self) -> String {
        match self {
            Self::Tag(t) => format!("tag:{t}"),
            Self::Public(Scope::All) => "public".into(),
            Self::Public(Scope::Local) => "public:local".into(),
            Self::Public(Scope::Remote) => "public:remote".into(),
        }
    }

    /// The REST timeline (path and query, before `min_id`).
    pub fn rest(&self) -> String {
        match self {
            Self::Tag(t) => format!("/api/v1/timelines/tag/{}?limit={PAGE}", encode(t)),
            Self::Public(Scope::All) => format!("/api/v1/timelines/public?limit={PAGE}"),
            Self::Public(Scope::Local) => {
                format!("/api/v1/timelines/public?local=true&limit={PAGE}")
            }
            Self::Public(Scope::Remote) => {
                format!("/api/v1/timelines/public?remote=true&limit={PAGE}")
            }
        }
    }

    /// The streaming endpoint that announces its new posts (`update` events).
    pub fn stream(&self) -> String {
        match self {
            Self::Tag(t) => format!("/api/v1/streaming/hashtag?tag={}", encode(t)),
            Self::Public(Scope::All) => "/api/v1/streaming/public".into(),
            Self::Public(Scope::Local) => "/api/v1/streaming/public/local".into(),
            Self::Public(Scope::Remote) => "/api/v1/streaming/public/remote".into(),
        }
    }
}

/// Whether the status mentions the brand's account (it is then read as a mention).
fn mentions(status: &Value, brand: &str) -> bool {
    status
        .get("mentions")
        .and_then(Value::as_array)
        .is_some_and(|list| {
            list.iter().any(|m| {
                // `acct` is the bare username for the instance's own accounts (the brand's), and
                // `user@other.example` for a namesake elsewhere.
                let acct = m.get("acct").and_then(Value::as_str).unwrap_or("");
                acct.eq_ignore_ascii_case(brand)
            })
        })
}

/// The timeline's posts newer than `cursor` (its latest page when there is none yet), oldest
/// first, as listening posts, and the newest id seen.
pub async fn since(
    http: &reqwest::Client,
    access: &Access,
    account: &str,
    timeline: &Timeline,
    cursor: Option<&str>,
) -> Result<Polled, Failure> {
    let mut url = format!(
        "{}{}",
        access.get("instance_url").trim_end_matches('/'),
        timeline.rest()
    );
    if let Some(c) = cursor {
        url.push_str(&format!("&min_id={}", encode(c)));
    }
    let answer = call_with_headers(
        http.get(&url).bearer_auth(access.get("access_token")),
        "Mastodon",
    )
    .await?;
    if answer.status != 200 {
        // A refused timeline is this source's problem, not the account's: the mentions are
        // still read (a token without `read:statuses` is refused here, not for mentions).
        return Err(
            match crate::mastodon_api::failure(
                answer.status,
                &answer.body,
                answer.header("x-ratelimit-reset"),
            ) {
                Failure::Reauth(e) => Failure::Rejected(format!(
                    "{e} (the token needs the read:statuses scope to listen)"
                )),
                other => other,
            },
        );
    }
    let Some(list) = answer.body.as_array() else {
        return Err(Failure::Rejected(format!(
            "Mastodon answered the {} timeline with something other than a list",
            timeline.key()
        )));
    };
    let newest = crate::mastodon_api::newest(list, cursor);
    let brand = account.trim_start_matches('@');
    let mut records = Vec::new();
    // Newest first on the wire; oldest first into the pipeline, so replies thread.
    for (i, status) in list.iter().enumerate().rev() {
        if mentions(status, brand) {
            continue;
        }
        let mut result = crate::mastodon::status_message(status, account);
        match &mut result {
            Ok(m) if m.direction == earshot_core::Direction::Out => continue,
            Ok(m) => m.source = ChannelRole::Listening,
            Err(_) => {}
        }
        records.push(crate::Decoded {
            location: crate::Location::Path(format!("{}[{i}]", timeline.key())),
            result,
        });
    }
    Ok(Polled {
        records,
        cursor: newest,
        more: list.len() >= PAGE,
        problems: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_name_the_timelines_and_bad_ones_say_why() {
        assert_eq!(
            parse_hashtags("#Acme, acmesupport  #acme").unwrap(),
            vec!["acme", "acmesupport"]
        );
        assert_eq!(parse_hashtags("").unwrap(), Vec::<String>::new());
        assert_eq!(parse_hashtags("café_lovers").unwrap(), vec!["café_lovers"]);
        let e = parse_hashtags("acme, acme-support").unwrap_err();
        assert!(e.contains("`acme-support`") && e.contains("`-`"), "{e}");
        assert!(parse_hashtags("#").is_err());
        assert_eq!(parse_public("Local").unwrap(), Some(Scope::Local));
        assert_eq!(parse_public("").unwrap(), None);
        assert!(parse_public("federated")
            .unwrap_err()
            .contains("`federated`"));

        let tag = Timeline::Tag("café".into());
        assert_eq!(tag.key(), "tag:café");
        assert_eq!(tag.rest(), "/api/v1/timelines/tag/caf%C3%A9?limit=40");
        assert_eq!(tag.stream(), "/api/v1/streaming/hashtag?tag=caf%C3%A9");
        assert_eq!(
            Timeline::Public(Scope::Local).rest(),
            "/api/v1/timelines/public?local=true&limit=40"
        );
        assert_eq!(
            Timeline::Public(Scope::Remote).stream(),
            "/api/v1/streaming/public/remote"
        );
    }

    #[test]
    fn a_post_that_mentions_the_brand_is_left_to_the_inbox() {
        let status = serde_json::json!({"mentions": [{"acct": "Acme", "username": "acme"}]});
        assert!(mentions(&status, "acme"));
        let namesake =
            serde_json::json!({"mentions": [{"acct": "acme@other.example", "username": "acme"}]});
        assert!(!mentions(&namesake, "acme"), "another instance's @acme");
        assert!(!mentions(&serde_json::json!({"mentions": []}), "acme"));
    }
}
