//! The pipeline every inbound message goes through, whatever its entry (file, API):
//! the listen stage annotates each message with the workspace's topics it matches, the enrich
//! stage with its language, sentiment, intents and urgency (`earshot-nlp`), then the store
//! dedupes, resolves, threads and stores (see `earshot-store`).

use earshot_core::enrichment::Enrichment;
use earshot_core::priority;
use earshot_core::store::{Annotations, IngestOutcome, StoreResult};
use earshot_core::{ChannelRole, Direction, Inbound, Store, TopicId, WorkspaceId};
use earshot_listen::{parse, Matcher, Post};
use earshot_nlp::Understanding;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub struct Pipeline {
    pub store: Arc<dyn Store>,
    /// The rules and assign stages, and the agent actions around them.
    pub workflow: Arc<crate::workflow::Workflow>,
    /// Tells open inboxes that a workspace changed.
    pub changes: Arc<crate::live::Changes>,
    listen: ListenStage,
    enrich: Option<Arc<Understanding>>,
}

/// Below this many messages the enrich stage runs on the calling task; above it, on blocking
/// threads, one slice per core.
const PARALLEL_FROM: usize = 64;

impl Pipeline {
    /// The full pipeline, with Earshot's built-in models in the enrich stage.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self::with_understanding(store, Some(Arc::new(Understanding::builtin())))
    }

    /// A pipeline with the given enrich stage (`None`: messages are stored without one).
    pub fn with_understanding(store: Arc<dyn Store>, enrich: Option<Arc<Understanding>>) -> Self {
        Self::with_clock(store, enrich, Arc::new(earshot_core::time::SystemClock))
    }

    /// A pipeline whose decisions read the time from `clock` (tests set it).
    pub fn with_clock(
        store: Arc<dyn Store>,
        enrich: Option<Arc<Understanding>>,
        clock: Arc<dyn earshot_core::time::Clock>,
    ) -> Self {
        let changes = Arc::new(crate::live::Changes::default());
        Self {
            workflow: Arc::new(crate::workflow::Workflow::with_clock(
                store.clone(),
                changes.clone(),
                clock,
            )),
            changes,
            store,
            listen: ListenStage::default(),
            enrich,
        }
    }

    /// Runs a batch through every stage and stores it.
    pub async fn ingest(
        &self,
        ws: WorkspaceId,
        batch: &[Inbound],
    ) -> StoreResult<Vec<IngestOutcome>> {
        let annotations = self.annotate(ws, batch).await?;
        self.store_annotated(ws, batch, &annotations).await
    }

    /// The stages after annotation, for a batch [`Pipeline::annotate`] annotated: the store
    /// and decide stages in one unit of work (the messages and every decision about them
    /// commit together), then notify: open inboxes refresh once and see where each new
    /// message went.
    pub async fn store_annotated(
        &self,
        ws: WorkspaceId,
        batch: &[Inbound],
        annotations: &[Annotations],
    ) -> StoreResult<Vec<IngestOutcome>> {
        let outcomes = self.workflow.ingest(ws, batch, annotations).await?;
        self.changes.notify(ws);
        Ok(outcomes)
    }

    /// The stages before the store (dedupe, listen, enrich), one annotation per message;
    /// messages already stored get an empty one. A file import runs this for the next batch
    /// while the store writes the current one.
    pub async fn annotate(
        &self,
        ws: WorkspaceId,
        batch: &[Inbound],
    ) -> StoreResult<Vec<Annotations>> {
        self.annotate_with(ws, batch, false).await
    }

    /// Opens a conversation from a listening post that matched no topic, because an agent
    /// chose it (`GET /api/v1/listening/heard` lists them): the post goes through every stage
    /// as if a topic had matched — understood, prioritized, decided on by the rules — and is
    /// stored in its channel's thread. Opening it again finds what the first time stored
    /// (`Duplicate`).
    pub async fn open_heard(&self, ws: WorkspaceId, post: &Inbound) -> StoreResult<IngestOutcome> {
        let batch = std::slice::from_ref(post);
        let annotations = self.annotate_with(ws, batch, true).await?;
        let outcomes = self.store_annotated(ws, batch, &annotations).await?;
        Ok(outcomes
            .into_iter()
            .next()
            .expect("one outcome per message"))
    }

    async fn annotate_with(
        &self,
        ws: WorkspaceId,
        batch: &[Inbound],
        opened_by_agent: bool,
    ) -> StoreResult<Vec<Annotations>> {
        let matcher = self.listen.matcher(self.store.as_ref(), ws).await?;
        // Dedupe: messages already stored (a resent batch, a platform's redelivery) get no
        // work at all; the store reports them as duplicates. Without listening or enrich
        // there is no work to save, so no lookup.
        let stored = if matcher.is_empty() && self.enrich.is_none() {
            vec![false; batch.len()]
        } else {
            self.store.stored_among(ws, batch).await?
        };
        // The language, detected once: listening's `lang:` queries need it before the enrich
        // stage, which then takes it as found.
        let languages: Vec<Option<earshot_nlp::language::Language>> = batch
            .iter()
            .zip(&stored)
            .map(|(m, &known)| {
                (!known && !matcher.is_empty()).then(|| earshot_nlp::detect_language(&m.text))
            })
            .collect();
        let mut annotations: Vec<Annotations> = batch
            .iter()
            .zip(&languages)
            .zip(&stored)
            .map(|((m, lang), &known)| Annotations {
                topics: if known || matcher.is_empty() {
                    Vec::new()
                } else {
                    matcher.matches(&post_of(m, lang.as_ref()))
                },
                enrichment: None,
                priority: None,
                opened_by_agent,
            })
            .collect();
        if let Some(u) = &self.enrich {
            // Customers' new messages only (the brand's own replies need no triage), and not
            // listening posts that matched no topic: those are counted, not stored.
            let wanted: Vec<usize> = (0..batch.len())
                .filter(|&i| {
                    !stored[i]
                        && batch[i].direction == Direction::In
                        && !(batch[i].source == ChannelRole::Listening
                            && annotations[i].topics.is_empty()
                            && !annotations[i].opened_by_agent)
                })
                .collect();
            let texts: Vec<(String, Option<earshot_nlp::language::Language>)> = wanted
                .iter()
                .map(|&i| (batch[i].text.clone(), languages[i].clone()))
                .collect();
            for (i, e) in wanted.into_iter().zip(enrich_all(u.clone(), texts).await) {
                let author = priority::Author {
                    followers: batch[i].author.followers,
                    verified: batch[i].author.verified,
                };
                annotations[i].priority = Some(priority::score(&e, author));
                annotations[i].enrichment = Some(e);
            }
        }
        Ok(annotations)
    }

    /// Language, sentiment, intents and urgency of a text with their reasons (for dry runs);
    /// `None` when the pipeline runs without the enrich stage.
    pub fn understand(&self, text: &str) -> Option<Enrichment> {
        self.enrich.as_ref().map(|u| u.enrich(text))
    }

    /// Fills in the reasons of a stored enrichment of `text` (the stage stores labels only).
    pub fn explain(&self, text: &str, e: &mut Enrichment) {
        if let Some(u) = &self.enrich {
            u.explain(text, e);
        }
    }

    /// A number that changes whenever the workspace's topics were rebuilt (an X stream
    /// syncs its rules when it moves).
    pub fn topics_generation(&self, ws: WorkspaceId) -> u64 {
        self.listen
            .matchers
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&ws)
            .map_or(0, |(generation, _)| generation + 1)
    }

    /// Call after a workspace's topics change: builds the new matcher and swaps it in, so
    /// every message after this returns is matched against the new topics. Ingestion keeps
    /// using the previous matcher while the new one is built, so it never waits on a change.
    pub async fn topics_changed(&self, ws: WorkspaceId) -> StoreResult<()> {
        self.listen
            .rebuild(self.store.as_ref(), ws)
            .await
            .map(|_| ())
    }
}

/// Enriches `texts` (each with its language when an earlier stage detected it) in order:
/// small batches inline, large ones on blocking threads, one contiguous slice per core, so a
/// file import uses every core and the async runtime never stalls on model arithmetic.
async fn enrich_all(
    u: Arc<Understanding>,
    texts: Vec<(String, Option<earshot_nlp::language::Language>)>,
) -> Vec<Enrichment> {
    let label = |u: &Understanding, (t, l): &(String, Option<earshot_nlp::language::Language>)| {
        u.label_in(t, l.as_ref())
    };
    if texts.len() < PARALLEL_FROM {
        return texts.iter().map(|t| label(&u, t)).collect();
    }
    let work = move || {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let chunk = texts.len().div_ceil(cores);
        std::thread::scope(|scope| {
            let handles: Vec<_> = texts
                .chunks(chunk)
                .map(|slice| {
                    let u = &u;
                    scope.spawn(move || slice.iter().map(|t| label(u, t)).collect::<Vec<_>>())
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().expect("an enricher panicked"))
                .collect::<Vec<_>>()
        })
    };
    tokio::task::spawn_blocking(work)
        .await
        .expect("the enrich task panicked")
}

/// A workspace's compiled topics and the generation they were built at.
type Versioned = (u64, Arc<Matcher<TopicId>>);

/// Compiled topic matchers per workspace, built on first use and rebuilt when topics change.
/// A matcher is immutable: a rebuild makes a new one and swaps the `Arc`, so matching never
/// waits on an update.
#[derive(Default)]
struct ListenStage {
    /// Per workspace: the generation it was built at, and the matcher.
    matchers: RwLock<HashMap<WorkspaceId, Versioned>>,
    /// Taken before a rebuild reads the topics: a rebuild that read older topics never
    /// replaces one that read newer (a slow first load racing a topic change).
    generation: std::sync::atomic::AtomicU64,
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
            return Ok(m.1.clone());
        }
        self.rebuild(store, ws).await
    }

    /// Builds the workspace's matcher from its active topics and swaps it in; the lock is
    /// held only for the swap.
    async fn rebuild(
        &self,
        store: &dyn Store,
        ws: WorkspaceId,
    ) -> StoreResult<Arc<Matcher<TopicId>>> {
        let generation = self
            .generation
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
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
        let mut matchers = self.matchers.write().unwrap_or_else(|e| e.into_inner());
        match matchers.get(&ws) {
            Some((newer, current)) if *newer > generation => Ok(current.clone()),
            _ => {
                matchers.insert(ws, (generation, matcher.clone()));
                Ok(matcher)
            }
        }
    }
}

/// What listening queries can see of an inbound message, with its detected language.
fn post_of(m: &Inbound, lang: Option<&earshot_nlp::language::Language>) -> Post {
    let mut post = Post::new(&m.text).with_author(&m.author.external_id);
    if let Some(handle) = &m.author.handle {
        post = post.with_author(handle);
    }
    if let Some(url) = &m.url {
        post = post.with_url(url);
    }
    post.channel = Some(m.channel);
    post.followers = m.author.followers.map(u64::from);
    post.lang = lang
        .filter(|l| l.code != "unknown")
        .map(|l| l.code.to_string());
    post.verified = m.author.verified;
    post
}
