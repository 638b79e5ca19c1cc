//! Who the customer is: an identity is one account on one channel kind; a contact is the
//! person behind one or more identities.

use crate::time::Timestamp;
use crate::{ChannelKind, ContactId, ConversationId, IdentityId, WorkspaceId};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Identity {
    pub id: IdentityId,
    pub workspace_id: WorkspaceId,
    pub contact_id: ContactId,
    pub kind: ChannelKind,
    pub external_id: String,
    pub handle: Option<String>,
    pub display_name: Option<String>,
    pub followers: Option<i64>,
    pub verified: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Contact {
    pub id: ContactId,
    pub workspace_id: WorkspaceId,
    pub display_name: Option<String>,
    /// The customer chose not to be engaged: no automated reply ever goes to them.
    pub opted_out: bool,
    /// A loyalty or contract tier from the brand's own systems (`gold`, `enterprise`, …).
    pub tier: Option<String>,
    /// The customer's value to the brand (lifetime spend, ARR…), in the brand's unit. When
    /// the contact has orders it is their lifetime value in the workspace's main currency
    /// (`value_from_orders`), and cannot be typed by hand.
    pub value: Option<f64>,
    /// `value` is derived from the contact's orders.
    pub value_from_orders: bool,
    /// How much the customer wants to engage with the brand, as they chose it on their
    /// preference page; `None` until they do.
    pub engagement_level: Option<crate::preferences::EngagementLevel>,
    /// The channel they want to be answered on, as they chose it; `None`: where they write.
    pub preferred_channel: Option<ChannelKind>,
    /// `tier` is derived from the contact's orders (`vip`: top 5 % of values; `repeat`: two
    /// orders or more; `customer`); a tier typed by hand is kept instead.
    pub tier_from_orders: bool,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    /// Merged into this contact (see [`ContactMerge`]): kept as it was, so an undo gives it
    /// back; it has no identities or conversations while merged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merged_into: Option<ContactId>,
    /// One of the brand's own accounts (it wrote the brand's outbound messages), not a
    /// customer: left out of the contact list and of merges.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub brand: bool,
}

/// One contact merged into another, with what moved, so that it can be undone exactly.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactMerge {
    pub id: i64,
    pub workspace_id: WorkspaceId,
    /// The contact that remains.
    pub into_id: ContactId,
    /// The contact merged into it.
    pub from_id: ContactId,
    /// The identities and conversations that moved.
    pub identities: Vec<IdentityId>,
    pub conversations: Vec<ConversationId>,
    /// The orders that moved (ids of [`crate::orders::Order`]).
    pub orders: Vec<i64>,
    pub merged_at: Timestamp,
    pub undone_at: Option<Timestamp>,
    /// Why ingest joined them on its own (a shared email address or phone number); `None`
    /// for a merge a person asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A contact with all of its identities, as the customer panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactProfile {
    #[serde(flatten)]
    pub contact: Contact,
    pub identities: Vec<Identity>,
    /// The email addresses and phone numbers known for its identities, verified or written
    /// by the customer.
    pub identifiers: Vec<crate::identifiers::StoredIdentifier>,
}

/// A change to a contact; absent fields stay as they are, `null` clears.
#[derive(Debug, Clone, PartialEq, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPatch {
    pub opted_out: Option<bool>,
    #[serde(default, with = "crate::patch")]
    pub tier: Option<Option<String>>,
    #[serde(default, with = "crate::patch")]
    pub value: Option<Option<f64>>,
}
