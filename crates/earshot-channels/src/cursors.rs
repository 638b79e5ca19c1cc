//! Where each source of a polled channel was read up to. A channel reads its inbox (Mastodon
//! mentions, a Reddit inbox) and, when it listens, public timelines beside it (hashtags, a
//! subreddit's posts and comments), each with its own position. They are kept together as
//! the channel's one stored cursor, so they move together after the batch they produced is
//! committed: a JSON object of source → position. A channel that reads its inbox alone keeps
//! the inbox position bare, as it did before listening existed, and a bare stored cursor is
//! read as the inbox's.

use std::collections::BTreeMap;

/// The source every polled channel has.
pub const INBOX: &str = "inbox";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursors(BTreeMap<String, String>);

impl Cursors {
    /// The channel's stored cursor read back; anything that is not a JSON object of strings is
    /// the inbox's bare position.
    pub fn parse(stored: Option<&str>) -> Self {
        let Some(stored) = stored.filter(|s| !s.is_empty()) else {
            return Self::default();
        };
        match serde_json::from_str::<BTreeMap<String, String>>(stored) {
            Ok(map) if stored.trim_start().starts_with('{') => Self(map),
            _ => Self(BTreeMap::from([(INBOX.to_string(), stored.to_string())])),
        }
    }

    pub fn get(&self, source: &str) -> Option<&str> {
        self.0.get(source).map(String::as_str)
    }

    /// Moves `source` to `position` (`None` leaves it where it was).
    pub fn set(&mut self, source: &str, position: Option<String>) {
        if let Some(p) = position {
            self.0.insert(source.to_string(), p);
        }
    }

    /// What to store: nothing before any read, the inbox's position bare when it is the only
    /// source, else the object.
    pub fn encode(&self) -> Option<String> {
        match self.0.len() {
            0 => None,
            1 if self.0.contains_key(INBOX) => self.0.get(INBOX).cloned(),
            _ => Some(serde_json::to_string(&self.0).expect("strings encode")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_cursor_is_the_inbox_and_listening_sources_sit_beside_it() {
        let old = Cursors::parse(Some("110"));
        assert_eq!(old.get(INBOX), Some("110"));
        assert_eq!(old.encode().as_deref(), Some("110"), "unchanged when alone");
        // A Reddit cursor is a number too, with a fraction.
        assert_eq!(
            Cursors::parse(Some("1733133600.5")).get(INBOX),
            Some("1733133600.5")
        );

        let mut c = old.clone();
        c.set("tag:acme", Some("205".into()));
        c.set("tag:other", None);
        let stored = c.encode().unwrap();
        let back = Cursors::parse(Some(&stored));
        assert_eq!(back, c);
        assert_eq!(back.get("tag:acme"), Some("205"));
        assert_eq!(back.get("tag:other"), None);
        assert_eq!(back.get(INBOX), Some("110"));

        assert_eq!(Cursors::parse(None).encode(), None);
        assert_eq!(Cursors::parse(Some("")).encode(), None);
        // A listening source alone is still an object (it is not the inbox).
        let mut l = Cursors::default();
        l.set("comments", Some("7".into()));
        assert_eq!(l.encode().as_deref(), Some(r#"{"comments":"7"}"#));
    }
}
