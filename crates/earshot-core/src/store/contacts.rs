//! The store's role for contacts: the customers behind the identities, their merges and
//! undos, their consent ledger, the identity matcher's candidates and rejections, and the
//! right to erasure with its privacy log.

use super::{ContactQuery, Page, StoreResult};
use crate::time::Timestamp;
use crate::{Contact, ContactId, ContactProfile, WorkspaceId};
use async_trait::async_trait;

/// Contacts: the customers behind the identities.
#[async_trait]
pub trait ContactStore: Send + Sync {
    async fn list_contacts(
        &self,
        workspace: WorkspaceId,
        query: &ContactQuery,
    ) -> StoreResult<Page<Contact>>;
    async fn get_contact(
        &self,
        workspace: WorkspaceId,
        id: ContactId,
    ) -> StoreResult<Option<ContactProfile>>;
    async fn update_contact(
        &self,
        workspace: WorkspaceId,
        id: ContactId,
        patch: &crate::ContactPatch,
    ) -> StoreResult<Contact>;
    /// Merges `from` into `into`: its identities and conversations move to `into`, which
    /// takes the fields it lacks (and stays opted out if either was); `from` is kept, marked
    /// merged. Serialized with ingest. A contact into itself is `Invalid`; a contact that is
    /// missing or already merged away is `NotFound` / `Conflict`, naming it.
    async fn merge_contacts(
        &self,
        workspace: WorkspaceId,
        into: ContactId,
        from: ContactId,
        at: Timestamp,
    ) -> StoreResult<crate::ContactMerge>;
    /// Undoes a merge: both contacts as they were before it, identities and conversations
    /// back where they were (with the conversations the moved identities started since).
    /// An undone merge, or one whose survivor was merged again since, is a `Conflict`.
    async fn undo_merge(
        &self,
        workspace: WorkspaceId,
        merge: i64,
        at: Timestamp,
    ) -> StoreResult<crate::ContactMerge>;
    /// What the customer chose on their preference page: purposes that change go on the
    /// ledger (`how`, said everywhere), `opted_out` follows, level and channel are kept. An
    /// unknown purpose is `Invalid`; a contact merged away is a `Conflict`; the brand's own
    /// account is `NotFound`.
    async fn set_preferences(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
        choice: &crate::preferences::Choice,
        how: &str,
        at: Timestamp,
    ) -> StoreResult<Contact>;
    /// A contact's consent ledger, oldest first.
    async fn consent_ledger(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
    ) -> StoreResult<Vec<crate::consent::ConsentEvent>>;
    /// The merges a contact took part in, newest first.
    async fn contact_merges(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
    ) -> StoreResult<Vec<crate::ContactMerge>>;
    /// The live customer contacts sharing a blocking key of the identity matcher with
    /// `contact` (keys that more than `max_block` identities share are skipped), most shared
    /// keys first, without the pairs an agent rejected; at most `limit`.
    async fn match_candidates(
        &self,
        workspace: WorkspaceId,
        contact: ContactId,
        max_block: usize,
        limit: u32,
    ) -> StoreResult<Vec<ContactId>>;
    /// What the identity matcher compares, for each of `contacts` that exists, in order.
    async fn person_records(
        &self,
        workspace: WorkspaceId,
        contacts: &[ContactId],
    ) -> StoreResult<Vec<crate::identity::PersonRecord>>;
    /// Erases a customer (and every contact merged into them): their messages, conversations,
    /// payloads, enrichments, identities, identifiers, consent, merges and queued replies, in
    /// one transaction; leaves a salted tombstone per identity, so their messages are
    /// `Erased` if they come again, and a line on the privacy log (counts only). A merged-away
    /// contact is a `Conflict` (erase the survivor); the brand's own account is `Invalid`.
    async fn erase_contact(
        &self,
        workspace: WorkspaceId,
        id: ContactId,
        actor: &str,
        at: Timestamp,
    ) -> StoreResult<crate::privacy::Erasure>;
    /// Appends a privacy action (an export) to the privacy log.
    async fn log_privacy(
        &self,
        workspace: WorkspaceId,
        action: &str,
        contact: ContactId,
        actor: &str,
        detail: &serde_json::Value,
    ) -> StoreResult<()>;
    /// The privacy log, newest first.
    async fn privacy_log(
        &self,
        workspace: WorkspaceId,
        limit: u32,
    ) -> StoreResult<Vec<crate::privacy::PrivacyEvent>>;
    /// Remembers that an agent said `a` and `b` are two people: never suggested again.
    async fn reject_match(
        &self,
        workspace: WorkspaceId,
        a: ContactId,
        b: ContactId,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// Keeps the identity matcher's parameters fitted on this workspace (JSON), replacing
    /// earlier ones.
    async fn save_match_parameters(
        &self,
        workspace: WorkspaceId,
        parameters: &str,
        records: u64,
        at: Timestamp,
    ) -> StoreResult<()>;
    /// The workspace's fitted parameters (JSON), how many records they were fitted on and
    /// when; `None` before the first fit. The JSON (large: a frequency table) is left out
    /// (`None`) when the fit is the one `known` names, so a caller holding it pays one lookup.
    async fn match_parameters(
        &self,
        workspace: WorkspaceId,
        known: Option<Timestamp>,
    ) -> StoreResult<Option<(Option<String>, u64, Timestamp)>>;
    /// Sets (`Some(days)`) or removes (`None`) how long the workspace keeps messages, on
    /// one channel or on all (`channel: None`).
    async fn set_retention(
        &self,
        workspace: WorkspaceId,
        channel: Option<crate::ChannelId>,
        days: Option<u32>,
    ) -> StoreResult<()>;
    async fn retention_policies(
        &self,
        workspace: WorkspaceId,
    ) -> StoreResult<Vec<crate::privacy::RetentionPolicy>>;
    /// Deletes up to `limit` messages older than their workspace's retention, across
    /// workspaces, with the conversations they leave empty; each workspace's deletion is on
    /// its privacy log.
    async fn apply_retention(
        &self,
        now: Timestamp,
        limit: u32,
    ) -> StoreResult<crate::privacy::RetentionPass>;
}
