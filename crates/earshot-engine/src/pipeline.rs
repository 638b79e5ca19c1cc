//! The pipeline every inbound message goes through, whatever its entry (file, API):
//! the listen stage annotates each message with the workspace's topics it matches, then the
//! store dedupes, resolves, threads and stores (see `earshot-store`).

use earshot_core::store::{Annotations, IngestOutcome, StoreResult};
use earshot_core::{Inbound, Store, TopicId, WorkspaceId};
use earshot_listen::{parse, Matcher, Post};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct Pipeline {
    pub store: Arc<dyn Store>,
    listen: ListenStage,
}

impl Pipeline {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            listen: ListenStage::default(),
        }
    }

    /// Runs a batch through every stage and stores it.
    pub async fn ingest(
        &self,
        ws: WorkspaceId,
        batch: &[Inbound],
    ) -> StoreResult<Vec<IngestOutcome>> {
        let matcher = self.listen.matcher(self.store.as_ref(), ws).await?;
        let annotations: Vec<Annotations> = batch
            .iter()
            .map(|m| Annotations {
                topics: if matcher.is_empty() {
                    Vec::new()
                } else {
                    matcher.matches(&post_of(m))
                },
            })
            .collect();
        self.store.ingest_annotated(ws, batch, &annotations).await
    }

    /// Call after a workspace's topics change: the next message is matched against them.
    pub fn topics_changed(&self, ws: WorkspaceId) {
        self.listen.invalidate(ws);
    }
}

/// Compiled topic matchers per workspace, built on first use and rebuilt after a change.
/// A matcher is immutable: a rebuild makes a new one and swaps the `Arc`, so matching never
/// waits on an update.
#[derive(Default)]
struct ListenStage {
    matchers: RwLock<HashMap<WorkspaceId, Arc<Matcher<TopicId>>>>,
}

impl ListenStage {
    async fn matcher(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
    ) -> StoreResult<Arc<Matcher<TopicId>>> {
        if let Some(m) = self
            .matchers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ws)
        {
            return Ok(m.clone());
        }
        let mut queries = Vec::new();
        for topic in store
            .list_topics(ws)
            .await?
            .into_iter()
            .filter(|t| t.active)
        {
            match parse(&topic.query) {
                Ok(q) => queries.push((topic.id, q)),
                // Queries are validated on save; one that no longer parses (a syntax change)
                // is skipped, not allowed to stop ingestion.
                Err(e) => {
                    tracing::warn!(topic = %topic.id, error = %e, "skipping a topic whose query does not parse")
                }
            }
        }
        let matcher = Arc::new(Matcher::new(queries));
        self.matchers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ws, matcher.clone());
        Ok(matcher)
    }

    fn invalidate(&self, ws: WorkspaceId) {
        self.matchers
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&ws);
    }
}

/// What listening queries can see of an inbound message.
fn post_of(m: &Inbound) -> Post {
    let mut post = Post::new(&m.text).with_author(&m.author.external_id);
    if let Some(handle) = &m.author.handle {
        post = post.with_author(handle);
    }
    post.channel = Some(m.channel);
    post.followers = m.author.followers.map(u64::from);
    post.verified = m.author.verified;
    post
}
