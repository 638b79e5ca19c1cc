//! [`earshot_core::store::ContactStore`] for the backend: contacts, merges, consent, the
//! identity matcher's reads and erasure.

use super::*;

#[async_trait::async_trait]
impl earshot_core::store::ContactStore for Backend {
    async fn list_contacts(
        &self,
        ws: earshot_core::WorkspaceId,
        query: &earshot_core::store::ContactQuery,
    ) -> earshot_core::store::StoreResult<earshot_core::store::Page<earshot_core::Contact>> {
        list_contacts(self.reader(), ws, query).await
    }
    async fn get_contact(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::ContactId,
    ) -> earshot_core::store::StoreResult<Option<earshot_core::ContactProfile>> {
        get_contact(self.reader(), ws, id).await
    }
    async fn update_contact(
        &self,
        ws: earshot_core::WorkspaceId,
        id: earshot_core::ContactId,
        patch: &earshot_core::ContactPatch,
    ) -> earshot_core::store::StoreResult<earshot_core::Contact> {
        update_contact(self.writer(), ws, id, patch).await
    }
    async fn merge_contacts(
        &self,
        ws: WorkspaceId,
        into: ContactId,
        from: ContactId,
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<earshot_core::ContactMerge> {
        merge_contacts(self, ws, into, from, at).await
    }
    async fn match_candidates(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        max_block: usize,
        limit: u32,
    ) -> StoreResult<Vec<ContactId>> {
        match_candidates(self.reader(), ws, contact, max_block, limit).await
    }
    async fn person_records(
        &self,
        ws: WorkspaceId,
        contacts: &[ContactId],
    ) -> StoreResult<Vec<earshot_core::identity::PersonRecord>> {
        person_records(self.reader(), ws, contacts).await
    }
    async fn erase_contact(
        &self,
        ws: WorkspaceId,
        id: ContactId,
        actor: &str,
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<earshot_core::privacy::Erasure> {
        let erased = erase_contact(self, ws, id, actor, at).await?;
        self.after_erasure().await?;
        Ok(erased)
    }
    async fn log_privacy(
        &self,
        ws: WorkspaceId,
        action: &str,
        contact: ContactId,
        actor: &str,
        detail: &serde_json::Value,
    ) -> StoreResult<()> {
        log_privacy(
            self.writer(),
            ws,
            action,
            contact,
            actor,
            earshot_core::time::now(),
            detail,
        )
        .await
    }
    async fn privacy_log(
        &self,
        ws: WorkspaceId,
        limit: u32,
    ) -> StoreResult<Vec<earshot_core::privacy::PrivacyEvent>> {
        privacy_log(self.reader(), ws, limit).await
    }
    async fn reject_match(
        &self,
        ws: WorkspaceId,
        a: ContactId,
        b: ContactId,
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<()> {
        reject_match(self.writer(), ws, a, b, at).await
    }
    async fn undo_merge(
        &self,
        ws: WorkspaceId,
        merge: i64,
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<earshot_core::ContactMerge> {
        undo_merge(self, ws, merge, at).await
    }
    async fn set_preferences(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
        choice: &earshot_core::preferences::Choice,
        how: &str,
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<earshot_core::Contact> {
        set_preferences(self.writer(), ws, contact, choice, how, at).await
    }
    async fn consent_ledger(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
    ) -> StoreResult<Vec<earshot_core::consent::ConsentEvent>> {
        consent_ledger(self.reader(), ws, contact).await
    }
    async fn contact_merges(
        &self,
        ws: WorkspaceId,
        contact: ContactId,
    ) -> StoreResult<Vec<earshot_core::ContactMerge>> {
        contact_merges(self.reader(), ws, contact).await
    }
    async fn save_match_parameters(
        &self,
        ws: WorkspaceId,
        parameters: &str,
        records: u64,
        at: earshot_core::time::Timestamp,
    ) -> StoreResult<()> {
        save_match_parameters(self.writer(), ws, parameters, records, at).await
    }
    async fn match_parameters(
        &self,
        ws: WorkspaceId,
        known: Option<earshot_core::time::Timestamp>,
    ) -> StoreResult<Option<(Option<String>, u64, earshot_core::time::Timestamp)>> {
        match_parameters(self.reader(), ws, known).await
    }
    async fn set_retention(
        &self,
        ws: WorkspaceId,
        channel: Option<earshot_core::ChannelId>,
        days: Option<u32>,
    ) -> StoreResult<()> {
        set_retention(self.writer(), ws, channel, days).await
    }
    async fn retention_policies(
        &self,
        ws: WorkspaceId,
    ) -> StoreResult<Vec<earshot_core::privacy::RetentionPolicy>> {
        retention_policies(self.reader(), ws).await
    }
    async fn apply_retention(
        &self,
        now: earshot_core::time::Timestamp,
        limit: u32,
    ) -> StoreResult<earshot_core::privacy::RetentionPass> {
        apply_retention(self, now, limit).await
    }
}
