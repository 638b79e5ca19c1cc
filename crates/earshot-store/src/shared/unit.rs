//! [`earshot_core::store::BatchUnit`] for the backend's ingest transaction (`UnitTx`, with
//! the transaction `tx`, the workspace `ws` and a `stored` count): the shared ingest
//! algorithm and the shared queries inside one transaction; the backend's `finish` commits.

use super::*;

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
        change_conversations_in(&mut self.tx, self.ws, items).await
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
    async fn commit(self: Box<Self>) -> earshot_core::store::StoreResult<()> {
        (*self).finish().await
    }
}
