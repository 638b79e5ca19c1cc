//! The customer's own choices, made on a preference page they open from a signed link (no
//! account needed; the link expires): the channel they want to be answered on, the purposes
//! they accept, and their level of engagement with the brand — from *service only* to
//! *advocate*. Their choices go on the consent ledger like every other change.

use crate::consent::ConsentEvent;
use crate::time::Timestamp;
use crate::{ChannelKind, ContactId, WorkspaceId};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use std::fmt;
use std::str::FromStr;

/// Every purpose a customer can accept or refuse. `support` (answering what they write) is
/// always theirs to have and is not offered to be refused.
pub const PURPOSES: [&str; 5] = ["support", "updates", "marketing", "surveys", "research"];

/// Purposes that need the customer's yes before anything is sent for them; the others hold
/// until withdrawn.
pub const OPT_IN: [&str; 2] = ["marketing", "research"];

/// How long a link lasts unless asked otherwise, and at most.
pub const DEFAULT_LINK_DAYS: u32 = 30;
pub const MAX_LINK_DAYS: u32 = 90;

/// How much the customer wants to engage with the brand, in their own words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EngagementLevel {
    ServiceOnly,
    Updates,
    Community,
    CoCreation,
    Advocate,
}

impl EngagementLevel {
    pub const ALL: [EngagementLevel; 5] = [
        Self::ServiceOnly,
        Self::Updates,
        Self::Community,
        Self::CoCreation,
        Self::Advocate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ServiceOnly => "service_only",
            Self::Updates => "updates",
            Self::Community => "community",
            Self::CoCreation => "co_creation",
            Self::Advocate => "advocate",
        }
    }

    /// As the page names it.
    pub fn title(self) -> &'static str {
        match self {
            Self::ServiceOnly => "Service only",
            Self::Updates => "Updates",
            Self::Community => "Community",
            Self::CoCreation => "Co-creation",
            Self::Advocate => "Advocate",
        }
    }

    /// What it means, in plain language, as the customer reads it.
    pub fn meaning(self) -> &'static str {
        match self {
            Self::ServiceOnly => "Answer me when I write to you, and nothing more.",
            Self::Updates => "Also tell me about my orders, changes to the products I use, and news I asked for.",
            Self::Community => "Also invite me to events, forums and groups of other customers.",
            Self::CoCreation => "Also ask me for ideas and feedback, and to try new things before they are released.",
            Self::Advocate => "Also ask me to share what I like, review, or recommend you to others.",
        }
    }
}

impl fmt::Display for EngagementLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EngagementLevel {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|l| l.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown engagement level `{s}`; expected one of service_only, updates, community, co_creation, advocate"
                )
            })
    }
}

/// Where one purpose stands for a contact, from its ledger.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PurposeState {
    pub purpose: &'static str,
    pub granted: bool,
    /// The ledger entry it follows from; `None`: nothing was said, the default holds
    /// (granted, except for [`OPT_IN`] purposes).
    pub since: Option<Timestamp>,
    pub how: Option<String>,
    /// The channel the entry was said on (`None`: everywhere).
    pub channel: Option<ChannelKind>,
}

/// Each purpose's state on `channel` (`None`: as the customer last said it anywhere), from
/// the ledger (oldest first): the latest entry naming the purpose that covers the channel —
/// said everywhere, or on that channel — decides.
pub fn current(ledger: &[ConsentEvent], channel: Option<ChannelKind>) -> Vec<PurposeState> {
    PURPOSES
        .iter()
        .map(|&purpose| {
            let latest = ledger.iter().rev().find(|e| {
                e.purposes.iter().any(|p| p == purpose)
                    && (channel.is_none() || e.channel.is_none() || e.channel == channel)
            });
            match latest {
                Some(e) => PurposeState {
                    purpose,
                    granted: e.granted,
                    since: Some(e.at),
                    how: Some(e.how.clone()),
                    channel: e.channel,
                },
                None => PurposeState {
                    purpose,
                    granted: !OPT_IN.contains(&purpose),
                    since: None,
                    how: None,
                    channel: None,
                },
            }
        })
        .collect()
}

/// What a customer chose on the preference page.
#[derive(Debug, Clone, PartialEq)]
pub struct Choice {
    pub level: EngagementLevel,
    /// The channel they want to be answered on; `None`: where they write.
    pub channel: Option<ChannelKind>,
    /// The purposes they accept (besides support, which is always theirs).
    pub purposes: Vec<String>,
}

/// A signed link to one contact's preference page: who, until when, and an HMAC-SHA256 of
/// both under the installation's link key. Nothing else is needed to open the page, so the
/// link is as private as the reply it is sent in; it stops working when it expires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreferenceLink {
    pub workspace: WorkspaceId,
    pub contact: ContactId,
    pub expires_at: i64,
}

/// Why a link does not open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("this link is not one Earshot made (it was changed or cut short)")]
    BadSignature,
    #[error("this link has expired; ask for a new one")]
    Expired,
}

type HmacSha256 = Hmac<Sha256>;

impl PreferenceLink {
    fn payload(&self) -> String {
        format!(
            "{}.{}.{}",
            self.workspace.0, self.contact.0, self.expires_at
        )
    }

    fn mac(key: &[u8; 32], payload: &str) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(b"earshot preference link v1\0");
        mac.update(payload.as_bytes());
        mac
    }

    /// The token for the link's URL.
    pub fn encode(&self, key: &[u8; 32]) -> String {
        let payload = self.payload();
        let tag = Self::mac(key, &payload).finalize().into_bytes();
        format!("{payload}.{}", B64.encode(&tag[..16]))
    }

    /// The link a token stands for, if it was made with `key` and has not expired at `now`
    /// (seconds since the epoch). The tag is checked in constant time before anything else
    /// is trusted.
    pub fn decode(token: &str, key: &[u8; 32], now: i64) -> Result<Self, LinkError> {
        let (payload, tag) = token.rsplit_once('.').ok_or(LinkError::BadSignature)?;
        let tag = B64.decode(tag).map_err(|_| LinkError::BadSignature)?;
        Self::mac(key, payload)
            .verify_truncated_left(&tag)
            .map_err(|_| LinkError::BadSignature)?;
        if tag.len() != 16 {
            return Err(LinkError::BadSignature);
        }
        let mut parts = payload.split('.');
        let mut next = || -> Result<i64, LinkError> {
            parts
                .next()
                .and_then(|p| p.parse().ok())
                .ok_or(LinkError::BadSignature)
        };
        let link = PreferenceLink {
            workspace: WorkspaceId(next()?),
            contact: ContactId(next()?),
            expires_at: next()?,
        };
        if link.expires_at <= now {
            return Err(LinkError::Expired);
        }
        Ok(link)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    fn link() -> PreferenceLink {
        PreferenceLink {
            workspace: WorkspaceId(1),
            contact: ContactId(42),
            expires_at: 2_000,
        }
    }

    #[test]
    fn a_link_opens_until_it_expires_and_only_as_made() {
        let token = link().encode(&KEY);
        assert_eq!(PreferenceLink::decode(&token, &KEY, 1_999), Ok(link()));
        assert_eq!(
            PreferenceLink::decode(&token, &KEY, 2_000),
            Err(LinkError::Expired)
        );
        // Another contact, a later expiry, another key, a cut tag: refused.
        let forged = token.replacen("1.42.", "1.43.", 1);
        assert_eq!(
            PreferenceLink::decode(&forged, &KEY, 0),
            Err(LinkError::BadSignature)
        );
        let longer = token.replacen(".2000.", ".9999.", 1);
        assert_eq!(
            PreferenceLink::decode(&longer, &KEY, 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            PreferenceLink::decode(&token, &[8; 32], 0),
            Err(LinkError::BadSignature)
        );
        assert_eq!(
            PreferenceLink::decode(&token[..token.len() - 4], &KEY, 0),
            Err(LinkError::BadSignature)
        );
        for junk in ["", ".", "a.b.c.d", "1.42.2000.", "1.42.2000.!!"] {
            assert_eq!(
                PreferenceLink::decode(junk, &KEY, 0),
                Err(LinkError::BadSignature),
                "{junk}"
            );
        }
    }

    fn event(
        purposes: &[&str],
        channel: Option<ChannelKind>,
        granted: bool,
        at: i64,
    ) -> ConsentEvent {
        ConsentEvent {
            id: at,
            contact_id: ContactId(1),
            purposes: purposes.iter().map(|p| p.to_string()).collect(),
            channel,
            granted,
            at: crate::time::from_millis(at),
            how: "test".into(),
            message_id: None,
        }
    }

    #[test]
    fn the_latest_word_on_a_purpose_for_a_channel_decides() {
        let granted = |states: &[PurposeState]| -> Vec<(&str, bool)> {
            states.iter().map(|s| (s.purpose, s.granted)).collect()
        };
        assert_eq!(
            granted(&current(&[], None)),
            [
                ("support", true),
                ("updates", true),
                ("marketing", false),
                ("surveys", true),
                ("research", false)
            ],
            "nothing said: marketing and research wait for a yes"
        );
        let ledger = [
            event(&["marketing", "research"], None, true, 1),
            event(
                &["updates", "marketing", "surveys", "research"],
                Some(ChannelKind::Whatsapp),
                false,
                2,
            ),
        ];
        let on_whatsapp = current(&ledger, Some(ChannelKind::Whatsapp));
        assert!(
            on_whatsapp[1..].iter().all(|s| !s.granted),
            "STOP on WhatsApp"
        );
        let by_email = current(&ledger, Some(ChannelKind::Email));
        assert_eq!(
            granted(&by_email),
            [
                ("support", true),
                ("updates", true),
                ("marketing", true),
                ("surveys", true),
                ("research", true)
            ],
            "a STOP on WhatsApp leaves email as it was"
        );
    }
}
