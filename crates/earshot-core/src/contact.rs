//! Who the customer is: an identity is one account on one channel kind; a contact is the
//! person behind one or more identities.

use crate::time::Timestamp;
use crate::{ChannelKind, ContactId, IdentityId, WorkspaceId};
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
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
}

/// A contact with all of its identities, as the customer panel shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ContactProfile {
    #[serde(flatten)]
    pub contact: Contact,
    pub identities: Vec<Identity>,
}
