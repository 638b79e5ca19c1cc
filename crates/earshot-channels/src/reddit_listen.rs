//! Listening on Reddit beyond the account's inbox: the subreddits a channel names
//! (`subreddits`: `acme, gadgets`), their new posts — or, with `search` set, the posts Reddit's
//! search finds there (`GET /r/{subs}/search?q=…&restrict_sr=1&sort=new`) — and their new
//! comments (`GET /r/{subs}/comments`). Each listing is read newest first, page after page
//! (`after`), until it reaches the position kept for it (the newest `created_utc` stored) or
//! five pages, through the same token, User-Agent and rate-limit handling as the inbox.
//!
//! What these listings carry are listening posts: the workspace's topics decide whether each
//! becomes a conversation or is counted for share of voice. The account's own posts are left
//! out, and so are comments that name it (`u/acme_care`): those arrive in the inbox as
//! username mentions, where they are answered.

use crate::send::{Access, Failure, Polled};
use earshot_core::ChannelRole;
use serde_json::Value;

/// Pages read per listing and poll at most (100 things each: Reddit's listings end at about
/// 1,000). Past them the listing's position moves to the newest thing anyway — older ones
/// that were never read are then skipped, and the source says so (`problems`).
const PAGES: usize = 10;

/// One listing a channel listens to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Listing {
    /// New posts of the subreddits (their search, when `search` is set).
    Posts,
    /// New comments of the subreddits.
    Comments,
}

/// `subreddits` read: names with or without `r/`, separated by commas, spaces or `+`; each
/// 2–21 letters, digits or `_` (Reddit's rule for a subreddit's name).
pub fn parse_subreddits(v: &str) -> Result<Vec<String>, String> {
    let mut subs: Vec<String> = Vec::new();
    for word in v
        .split([',', ' ', '+'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        let name = word.trim_start_matches('/').trim_start_matches("r/");
        let fits = (2..=21).contains(&name.len())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !fits {
            return Err(format!(
                "`{word}` is not a subreddit's name (2–21 letters, digits or _)"
            ));
        }
        let name = name.to_ascii_lowercase();
        if !subs.contains(&name) {
            subs.push(name);
        }
    }
    if subs.len() > 50 {
        return Err(format!("{} subreddits: at most 50", subs.len()));
    }
    Ok(subs)
}

/// The listings the channel's settings ask for (none without subreddits).
pub fn listings(access: &Access) -> Vec<Listing> {
    match parse_subreddits(access.get("subreddits")) {
        Ok(subs) if !subs.is_empty() => vec![Listing::Posts, Listing::Comments],
        _ => Vec::new(),
    }
}

fn encode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

impl Listing {
    /// Its name among the channel's cursors.
    pub fn key(&self) -> &'static str {
        match self {
            Self::Posts => "posts",
            Self::Comments => "comments",
        }
    }

    /// The listing's path and query under the API host (before `after`).
    pub fn path(&self, access: &Access) -> String {
        let subs = parse_subreddits(access.get("subreddits"))
            .unwrap_or_default()
            .join("+");
        let search = access.get("search").trim();
        match self {
            Self::Posts if !search.is_empty() => format!(
                "/r/{subs}/search?q={}&restrict_sr=1&sort=new&limit=100&raw_json=1",
                encode(search)
            ),
            Self::Posts => format!("/r/{subs}/new?limit=100&raw_json=1"),
            Self::Comments => format!("/r/{subs}/comments?limit=100&raw_json=1"),
        }
    }
}

fn created(thing: &Value) -> Option<f64> {
    thing.pointer("/data/created_utc").and_then(Value::as_f64)
}

/// The listing's things at or after `cursor` (its first page when there is none yet), oldest
/// first, as listening posts, and the newest `created_utc` seen.
pub async fn since(
    http: &reqwest::Client,
    access: &Access,
    account: &str,
    listing: &Listing,
    cursor: Option<&str>,
) -> Result<Polled, Failure> {
    let since: Option<f64> = cursor.and_then(|c| c.parse().ok());
    let base = format!("{}{}", access.api_base(), listing.path(access));
    let mut things: Vec<Value> = Vec::new();
    let mut after: Option<String> = None;
    let mut gap = since.is_some();
    for _ in 0..PAGES {
        let url = match &after {
            Some(a) => format!("{base}&after={}", encode(a)),
            None => base.clone(),
        };
        let (status, body) =
            crate::reddit_api::authorized(http, access, |t| http.get(&url).bearer_auth(t)).await?;
        if status != 200 {
            return Err(crate::reddit_api::failure(status, &body));
        }
        let page: Vec<Value> = body
            .pointer("/data/children")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let reached = since.is_none()
            || page
                .iter()
                .any(|t| created(t).is_some_and(|c| Some(c) < since));
        things.extend(
            page.into_iter()
                .filter(|t| created(t).is_some_and(|c| since.is_none_or(|s| c >= s))),
        );
        after = body
            .pointer("/data/after")
            .and_then(Value::as_str)
            .map(str::to_string);
        if reached || after.is_none() {
            gap = false;
            break;
        }
    }
    // Newest first on the wire; oldest first into the pipeline, so replies thread.
    things.reverse();
    let newest = things
        .iter()
        .filter_map(created)
        .fold(since, |m, c| Some(m.map_or(c, |m| m.max(c))));
    let brand = account.trim_start_matches("u/").trim_start_matches('/');
    let named = format!("u/{}", brand.to_ascii_lowercase());
    // `u/acme_care` names the account; `u/acme_care_fan` does not.
    let names_brand = |body: &str| {
        let body = body.to_ascii_lowercase();
        body.match_indices(&named).any(|(at, _)| {
            !body[at + named.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        })
    };
    let mut records = Vec::new();
    for (i, thing) in things.iter().enumerate() {
        let kind = thing.get("kind").and_then(Value::as_str).unwrap_or("");
        let data = thing.get("data").unwrap_or(&Value::Null);
        let body = data.get("body").and_then(Value::as_str).unwrap_or("");
        if !brand.is_empty() && names_brand(body) {
            continue;
        }
        let mut result = crate::reddit::message(kind, data, account);
        match &mut result {
            Ok(m) if m.direction == earshot_core::Direction::Out => continue,
            Ok(m) => m.source = ChannelRole::Listening,
            Err(_) => {}
        }
        records.push(crate::Decoded {
            location: crate::Location::Path(format!("{}[{i}]", listing.key())),
            result,
        });
    }
    let problems = if gap {
        vec![format!(
            "{}: more than {} new things since the last read; the older ones were skipped",
            listing.key(),
            PAGES * 100
        )]
    } else {
        Vec::new()
    };
    Ok(Polled {
        records,
        cursor: newest.map(|c| c.to_string()),
        more: false,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn access(settings: Value) -> Access {
        Access {
            connector: earshot_core::connector::Connector::Reddit,
            settings: settings.as_object().unwrap().clone(),
            secrets: Default::default(),
        }
    }

    #[test]
    fn settings_name_the_listings_and_bad_names_say_why() {
        assert_eq!(
            parse_subreddits("r/Acme, gadgets+acme").unwrap(),
            vec!["acme", "gadgets"]
        );
        let e = parse_subreddits("acme, a").unwrap_err();
        assert!(e.contains("`a`"), "{e}");
        assert!(parse_subreddits("acme-care").is_err());

        let a = access(serde_json::json!({"subreddits": "acme+gadgets"}));
        assert_eq!(listings(&a), vec![Listing::Posts, Listing::Comments]);
        assert_eq!(
            Listing::Posts.path(&a),
            "/r/acme+gadgets/new?limit=100&raw_json=1"
        );
        assert_eq!(
            Listing::Comments.path(&a),
            "/r/acme+gadgets/comments?limit=100&raw_json=1"
        );
        let a = access(
            serde_json::json!({"subreddits": "acme", "search": "battery OR \"won't charge\""}),
        );
        assert_eq!(
            Listing::Posts.path(&a),
            "/r/acme/search?q=battery+OR+%22won%27t+charge%22&restrict_sr=1&sort=new&limit=100&raw_json=1"
        );
        assert!(listings(&access(serde_json::json!({}))).is_empty());
    }
}
