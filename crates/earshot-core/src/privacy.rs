//! The customer's privacy rights as the store keeps them: erasure (what it deleted, and the
//! salted tombstone that keeps an erased person from coming back) and the privacy log.

use crate::time::Timestamp;
use crate::{ChannelKind, ContactId};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// What an erasure deleted (counts only: nothing about the person survives it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Erasure {
    pub contact_id: ContactId,
    pub identities: u64,
    pub conversations: u64,
    pub messages: u64,
    /// Contacts that had been merged into this one (kept for undo), erased with it.
    pub merged_contacts: u64,
    /// Replies, notifications and webhooks queued or kept for its conversations.
    pub outbox: u64,
    /// Their orders (matched to them, or carrying one of their email addresses or numbers).
    pub orders: u64,
    pub erased_at: Timestamp,
}

/// One privacy action: who did what to which contact, and when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PrivacyEvent {
    pub id: i64,
    /// `export`, `erase` or `retention` (messages past the workspace's retention).
    pub action: String,
    /// The contact it was about; none for a retention pass.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_id: Option<ContactId>,
    /// Who asked: an API token's name, a signed-in user's email, `cli`.
    pub actor: String,
    pub at: Timestamp,
    /// Counts and options; never the person's data.
    pub detail: serde_json::Value,
}

/// How long a workspace keeps messages: on every channel (`channel_id: None`) or on one,
/// which then overrides the workspace's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RetentionPolicy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_id: Option<crate::ChannelId>,
    pub days: u32,
}

/// What a retention pass deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RetentionPass {
    pub messages: u64,
    pub conversations: u64,
    /// Unmatched listening posts whose words were forgotten (kept a week, or less under a
    /// shorter policy; their counts stay for share of voice).
    pub heard: u64,
    /// The batch was full: more is due at once.
    pub more: bool,
}

/// The tombstone of an erased identity: SHA-256 of the workspace's salt, the channel kind
/// and the platform id, hex. Without the salt, it cannot be matched against a list of
/// addresses or numbers.
pub fn tombstone(salt: &str, kind: ChannelKind, external_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(kind.as_str().as_bytes());
    h.update([0]);
    h.update(external_id.as_bytes());
    hex::encode(h.finalize())
}

/// The salted hash an erasure leaves of each message it deleted (the person's and the brand's
/// answers to them), so that a re-import of the brand's own sent messages (a mailbox's sent
/// folder, an export of the care account's tweets) does not bring back the answers, nor an
/// answer to one of the person's messages that Earshot had not stored yet. Distinct from every
/// identity's [`tombstone`] (no channel kind is `message:…`).
pub fn message_tombstone(salt: &str, kind: ChannelKind, external_id: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(b"message:");
    h.update(kind.as_str().as_bytes());
    h.update([0]);
    h.update(external_id.as_bytes());
    hex::encode(h.finalize())
}

/// The salted hash an erasure leaves of a person's email address or phone number, so that a
/// re-imported order (which names the buyer by these, not by a platform account) does not
/// bring them back. Distinct from every identity's [`tombstone`] (no channel kind is
/// `identifier:…`).
pub fn identifier_tombstone(
    salt: &str,
    kind: crate::identifiers::IdentifierKind,
    value: &str,
) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(b"identifier:");
    h.update(kind.as_str().as_bytes());
    h.update([0]);
    h.update(value.as_bytes());
    hex::encode(h.finalize())
}

/// The salted hash an erasure leaves of a shop's customer id that was the erased person's,
/// so their later orders (which may carry nothing else) are not stored.
pub fn customer_ref_tombstone(salt: &str, customer_ref: &str) -> String {
    let mut h = Sha256::new();
    h.update(salt.as_bytes());
    h.update([0]);
    h.update(b"customer_ref");
    h.update([0]);
    h.update(customer_ref.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tombstones_depend_on_salt_kind_and_id() {
        let a = tombstone("s1", ChannelKind::Email, "dana@example.com");
        assert_eq!(a.len(), 64);
        assert_eq!(a, tombstone("s1", ChannelKind::Email, "dana@example.com"));
        assert_ne!(a, tombstone("s2", ChannelKind::Email, "dana@example.com"));
        assert_ne!(a, tombstone("s1", ChannelKind::X, "dana@example.com"));
        assert!(!a.contains("dana"));
    }
}
