//! [`earshot_core::store::BatchUnit`] for the backend's ingest transaction (`UnitTx`, with
//! the transaction `tx`, the workspace `ws` and a `stored` count): the shared ingest
//! algorithm and the shared queries inside one transaction; the backend's `finish` commits.

use super::*;

impl UnitTx {
    /// Writes the events ingest still holds, then commits.
    pub(crate) async fn finish(mut self) -> StoreResult<()> {
        let held = std::mem::take(&mut self.held);
        let ws = self.ws;
        crate::ingest::IngestTx::insert_events(&mut self, ws, &held).await?;
        self.commit_tx().await
    }
}

#[async_trait::async_trait]
impl earshot_core::store::BatchUnit for UnitTx {
    async fn ingest(
        &mut self,
        batch: &[earshot_core::Inbound],
        annotations: &[earshot_core::store::Annotations],
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::store::IngestOutcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let ws = self.ws;
        let outcomes =
            crate::ingest::run(self, ws, batch, annotations, earshot_core::time::now()).await?;
        self.stored += outcomes
            .iter()
            .filter(|o| matches!(o, earshot_core::store::IngestOutcome::Stored { .. }))
            .count() as u64;
        Ok(outcomes)
    }
    async fn contexts(
        &mut self,
        ids: &[earshot_core::ConversationId],
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::Context>> {
        workflow_context_in(&mut self.tx, self.ws, ids).await
    }
    async fn change(
        &mut self,
        items: &[earshot_core::workflow::ChangeRequest],
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::workflow::Changed>> {
        change_conversations_folding(&mut self.tx, self.ws, items, &mut self.held).await
    }
    async fn record_consent(
        &mut self,
        changes: &[earshot_core::consent::ConsentChange],
    ) -> earshot_core::store::StoreResult<Vec<bool>> {
        record_consent_in(&mut self.tx, self.ws, changes).await
    }
    async fn enqueue(
        &mut self,
        items: &[earshot_core::workflow::NewOutbox],
    ) -> earshot_core::store::StoreResult<Vec<i64>> {
        enqueue_in(&mut self.tx, self.ws, items).await
    }
    async fn surveys_awaiting(
        &mut self,
        conversations: &[earshot_core::ConversationId],
        now: earshot_core::time::Timestamp,
    ) -> earshot_core::store::StoreResult<Vec<earshot_core::survey::Awaiting>> {
        surveys_awaiting_in(&mut self.tx, self.ws, conversations, now).await
    }
    async fn update_survey(
        &mut self,
        id: i64,
        update: &earshot_core::survey::Update,
    ) -> earshot_core::store::StoreResult<bool> {
        update_survey_on(&mut *self.tx, self.ws, id, update).await
    }
    async fn commit(self: Box<Self>) -> earshot_core::store::StoreResult<()> {
        (*self).finish().await
    }
}

/// The identity steps' statements, written once for both backends.
#[async_trait::async_trait]
impl crate::ingest::IdentityTx for UnitTx {
    async fn attach_orders(
        &mut self,
        ws: WorkspaceId,
        keys: &[(earshot_core::identifiers::IdentifierKind, &str)],
        now: i64,
    ) -> StoreResult<()> {
        attach_orders_in(&mut self.tx, ws, keys, now).await
    }

    async fn insert_identifiers(
        &mut self,
        ws: WorkspaceId,
        rows: &[crate::ingest::NewIdentifier],
        now: i64,
    ) -> StoreResult<()> {
        insert_identifiers_in(&mut self.tx, ws, rows, now).await
    }

    async fn identifier_holders(
        &mut self,
        ws: WorkspaceId,
        keys: &[(earshot_core::identifiers::IdentifierKind, &str)],
    ) -> StoreResult<Vec<crate::ingest::Holder>> {
        identifier_holders_in(&mut self.tx, ws, keys).await
    }

    async fn verified_identifiers(
        &mut self,
        ws: WorkspaceId,
        contacts: &[i64],
    ) -> StoreResult<Vec<(i64, earshot_core::identifiers::IdentifierKind, String)>> {
        verified_identifiers_in(&mut self.tx, ws, contacts).await
    }

    async fn insert_identity_keys(
        &mut self,
        ws: WorkspaceId,
        rows: &[(i64, String)],
    ) -> StoreResult<()> {
        insert_identity_keys_in(&mut self.tx, ws, rows).await
    }

    async fn erasure_salt(&mut self, ws: WorkspaceId) -> StoreResult<Option<String>> {
        erasure_salt_in(&mut self.tx, ws).await
    }

    async fn erased_among(
        &mut self,
        ws: WorkspaceId,
        hashes: &[String],
    ) -> StoreResult<std::collections::HashSet<String>> {
        erased_among_in(&mut self.tx, ws, hashes).await
    }

    async fn rejected_pair(&mut self, ws: WorkspaceId, a: i64, b: i64) -> StoreResult<bool> {
        rejected_in(&mut self.tx, ws, a, b).await
    }

    async fn merge_contacts(
        &mut self,
        ws: WorkspaceId,
        into: i64,
        from: i64,
        at: earshot_core::time::Timestamp,
        reason: &str,
    ) -> StoreResult<()> {
        merge_in(
            &mut self.tx,
            ws,
            earshot_core::ContactId(into),
            earshot_core::ContactId(from),
            at,
            Some(reason),
        )
        .await
        .map(|_| ())
    }
}
