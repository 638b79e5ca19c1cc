//! X's filtered stream as a listening source, one connection per X channel that has a
//! `bearer_token`:
//!
//! - **Rules follow the topics.** The workspace's active topics are compiled to X's rule
//!   language (`earshot_listen::x_rules`: broader where X cannot say exactly what a query
//!   means) and packed into at most `stream_rule_limit` rules of `stream_rule_chars`
//!   characters (defaults: 1,000 and 1,024, X's Pro access; set your access level's). The
//!   rules are synced (deletes and adds by rule id, only the rules tagged `earshot`) when the
//!   stream starts and whenever the topics change; what could not be placed is reported with
//!   its reason on the channel.
//! - **One long-lived connection**, read line by line; silence past X's 20-second keep-alive
//!   means the connection is gone. It is opened again on X's documented schedule
//!   (`earshot_channels::x_stream::Backoff`), asking for `backfill_minutes` of what was
//!   missed (the time since the last post, at most 5 minutes; after a restart, since the
//!   stored cursor).
//! - **Nothing twice.** What a reconnect re-delivers is dropped by post id before any work
//!   (the last 100,000 ids are kept); what reaches the pipeline twice anyway (after a
//!   restart) is a duplicate there by its platform id, so stored posts are never doubled.
//! - Posts are fed to the pipeline in batches (up to 500, or what came in 250 ms), read and
//!   stored concurrently, with a bounded queue between them so a slow store slows the reader.
//!   Every post goes through the whole pipeline: the listen stage decides exactly which
//!   topics it matches; one that matches none is counted for share of voice, not stored.

use super::Channels;
use crate::Pipeline;
use earshot_channels::send::{Access, Failure};
use earshot_channels::x_stream::{self, Backoff, Disconnect, Line, Lines};
use earshot_core::connector::{ChannelStatus, ConnectedChannel, Connector};
use earshot_core::time::Timestamp;
use earshot_core::{ChannelId, Inbound, TopicId, WorkspaceId};
use serde::Serialize;
use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Default rule count and length: X's Pro access.
const DEFAULT_RULES: usize = 1_000;
const DEFAULT_RULE_CHARS: usize = 1_024;
/// Post ids remembered to drop what a reconnect re-delivers.
const REMEMBERED: usize = 100_000;
const BATCH: usize = 2_000;
const BATCH_WAIT: Duration = Duration::from_millis(250);

/// A topic left off the stream, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOff {
    pub topic_id: TopicId,
    pub topic: String,
    pub reason: String,
}

/// What a channel's stream is doing, as this process sees it (`GET /api/v1/channels/{id}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct StreamState {
    pub connected: bool,
    pub connected_since: Option<Timestamp>,
    pub last_post_at: Option<Timestamp>,
    /// Posts read since this process started, and of those, posts through the pipeline
    /// (committed: stored, or counted for share of voice).
    pub posts: u64,
    pub ingested: u64,
    /// Posts a reconnect re-delivered, dropped.
    pub redelivered: u64,
    /// Connections opened again after the first.
    pub reconnects: u64,
    /// Rules on the stream, and the most the access level allows.
    pub rules: usize,
    pub rule_limit: usize,
    /// Topics the rules serve, and topics that need none (they cannot match a post on X).
    pub topics_on_stream: usize,
    pub topics_not_on_x: usize,
    pub topics_left_off: Vec<LeftOff>,
    /// Rules X refused: the rule and its reason.
    pub rules_refused: Vec<(String, String)>,
    pub rules_synced_at: Option<Timestamp>,
    pub last_error: Option<String>,
}

/// The stream states of every streamed channel, shared with the API.
pub type StreamStates = Arc<Mutex<HashMap<ChannelId, StreamState>>>;

/// Runs a stream for every active X channel with a `bearer_token`.
pub struct XStreams {
    channels: Arc<Channels>,
    pipeline: Arc<Pipeline>,
}

/// Post ids seen lately, oldest forgotten first.
struct Recent {
    ids: HashSet<String>,
    order: VecDeque<String>,
}

impl Recent {
    fn new() -> Self {
        Self {
            ids: HashSet::new(),
            order: VecDeque::new(),
        }
    }

    /// Whether `id` is new (and remembers it).
    fn first(&mut self, id: &str) -> bool {
        if self.ids.contains(id) {
            return false;
        }
        if self.order.len() >= REMEMBERED {
            if let Some(old) = self.order.pop_front() {
                self.ids.remove(&old);
            }
        }
        self.ids.insert(id.to_string());
        self.order.push_back(id.to_string());
        true
    }
}

fn number(ch: &ConnectedChannel, name: &str, default: usize) -> usize {
    ch.settings
        .get(name)
        .and_then(|v| v.as_str())
        .and_then(|s| s.trim().parse::<usize>().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

/// One channel's stream.
struct Follow {
    channels: Arc<Channels>,
    pipeline: Arc<Pipeline>,
    ch: ConnectedChannel,
    access: Access,
    /// A client without the channels' 15-second limit: the stream stays open for days.
    http: reqwest::Client,
}

impl Follow {
    fn ws(&self) -> WorkspaceId {
        self.ch.channel.workspace_id
    }

    fn update(&self, f: impl FnOnce(&mut StreamState)) {
        let mut states = self
            .channels
            .streams
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        f(states.entry(self.ch.channel.id).or_default());
    }

    /// Makes the stream's rules those the workspace's active topics need.
    async fn sync_rules(&self) -> Result<(), Failure> {
        let store = &self.channels.store;
        let topics = store
            .list_topics(self.ws())
            .await
            .map_err(|e| Failure::Transient(format!("reading the topics failed: {e}")))?;
        let mut compiled: Vec<(&earshot_core::Topic, earshot_listen::x_rules::XRule)> = topics
            .iter()
            .filter(|t| t.active)
            .filter_map(|t| {
                let q = earshot_listen::parse(&t.query).ok()?;
                Some((t, earshot_listen::x_rules::compile(&q)))
            })
            .collect();
        compiled.sort_by_key(|(t, _)| t.id);
        let keyed: Vec<(usize, earshot_listen::x_rules::XRule)> = compiled
            .iter()
            .enumerate()
            .map(|(i, (_, r))| (i, r.clone()))
            .collect();
        let limit = number(&self.ch, "stream_rule_limit", DEFAULT_RULES);
        let chars = number(&self.ch, "stream_rule_chars", DEFAULT_RULE_CHARS);
        let packing = earshot_listen::x_rules::pack(&keyed, limit, chars);
        let existing = x_stream::list_rules(&self.http, &self.access).await?;
        let ours: Vec<&x_stream::StreamRule> = existing
            .iter()
            .filter(|r| r.tag.as_deref() == Some(x_stream::TAG))
            .collect();
        let wanted: HashSet<&str> = packing.rules.iter().map(String::as_str).collect();
        let delete: Vec<String> = ours
            .iter()
            .filter(|r| !wanted.contains(r.value.as_str()))
            .map(|r| r.id.clone())
            .collect();
        let have: HashSet<&str> = ours.iter().map(|r| r.value.as_str()).collect();
        let add: Vec<String> = packing
            .rules
            .iter()
            .filter(|v| !have.contains(v.as_str()))
            .cloned()
            .collect();
        let change = if add.is_empty() && delete.is_empty() {
            x_stream::RuleChange::default()
        } else {
            x_stream::change_rules(&self.http, &self.access, &add, &delete).await?
        };
        if !add.is_empty() || !delete.is_empty() {
            tracing::info!(
                channel = self.ch.channel.id.0,
                added = change.created,
                deleted = change.deleted,
                refused = change.refused.len(),
                "X stream rules synced"
            );
        }
        let left_off = packing
            .unplaced
            .iter()
            .map(|(i, why)| LeftOff {
                topic_id: compiled[*i].0.id,
                topic: compiled[*i].0.name.clone(),
                reason: why.to_string(),
            })
            .collect();
        self.update(|s| {
            s.rules = packing.rules.len() - change.refused.len();
            s.rule_limit = limit;
            s.topics_on_stream = packing.placed;
            s.topics_not_on_x = packing.not_x;
            s.topics_left_off = left_off;
            s.rules_refused = change.refused.clone();
            s.rules_synced_at = Some(earshot_core::time::now());
        });
        Ok(())
    }

    /// Syncs the rules when the topics changed since `synced` (the pipeline's topic
    /// generation); the generation now.
    async fn sync_if_changed(&self, synced: Option<u64>) -> Option<u64> {
        let now = self.pipeline.topics_generation(self.ws());
        if synced.is_some() && synced == Some(now) {
            return synced;
        }
        match self.sync_rules().await {
            Ok(()) => Some(now),
            Err(e) => {
                let why = e.text().to_string();
                tracing::warn!(channel = self.ch.channel.id.0, error = %why, "syncing the X stream's rules failed");
                self.update(|s| s.last_error = Some(format!("syncing the rules: {why}")));
                self.channels.note(&self.ch, false, false, Some(&why)).await;
                // Tried again at the next check.
                synced
            }
        }
    }

    /// Reads one connection until it ends; why it ended.
    async fn read(
        &self,
        mut response: reqwest::Response,
        seen: &mut Recent,
        synced: &mut Option<u64>,
        out: &tokio::sync::mpsc::Sender<Vec<Inbound>>,
        last_data: &mut Option<Instant>,
        backoff: &mut Backoff,
    ) -> Disconnect {
        let account = self.ch.channel.name.clone();
        let mut lines = Lines::default();
        let mut batch: Vec<Inbound> = Vec::new();
        let mut batch_started = Instant::now();
        let mut heard = Instant::now();
        let mut checked = Instant::now();
        loop {
            let chunk = tokio::time::timeout(BATCH_WAIT, response.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => {
                    heard = Instant::now();
                    for line in lines.push(&bytes) {
                        match x_stream::decode_line(&line, Some(&account)) {
                            Line::KeepAlive => {}
                            Line::Notice(n) => {
                                tracing::info!(channel = self.ch.channel.id.0, notice = %n, "the X stream said")
                            }
                            Line::Post(d) => match d.result {
                                Ok(m) => {
                                    *last_data = Some(Instant::now());
                                    backoff.reset();
                                    if seen.first(&m.external_id) {
                                        if batch.is_empty() {
                                            batch_started = Instant::now();
                                        }
                                        batch.push(m);
                                    } else {
                                        self.update(|s| s.redelivered += 1);
                                    }
                                }
                                Err(r) => {
                                    tracing::info!(channel = self.ch.channel.id.0, reason = %r.reason, "a stream post was not imported")
                                }
                            },
                        }
                    }
                }
                Ok(Ok(None)) => {
                    let _ = self.flush(&mut batch, out).await;
                    return Disconnect::Closed("the connection ended".into());
                }
                Ok(Err(e)) => {
                    let _ = self.flush(&mut batch, out).await;
                    return Disconnect::Network(e.to_string());
                }
                Err(_) if heard.elapsed() > x_stream::STALL => {
                    let _ = self.flush(&mut batch, out).await;
                    return Disconnect::Network(format!(
                        "nothing, not even a keep-alive, for {} seconds",
                        x_stream::STALL.as_secs()
                    ));
                }
                Err(_) => {}
            }
            let due = batch.len() >= BATCH
                || (!batch.is_empty() && batch_started.elapsed() >= BATCH_WAIT);
            if due && self.flush(&mut batch, out).await.is_err() {
                return Disconnect::Closed("stopping".into());
            }
            if checked.elapsed() >= Duration::from_secs(1) {
                checked = Instant::now();
                *synced = self.sync_if_changed(*synced).await;
            }
        }
    }

    async fn flush(
        &self,
        batch: &mut Vec<Inbound>,
        out: &tokio::sync::mpsc::Sender<Vec<Inbound>>,
    ) -> Result<(), ()> {
        if batch.is_empty() {
            return Ok(());
        }
        let n = batch.len() as u64;
        self.update(|s| {
            s.posts += n;
            s.last_post_at = Some(earshot_core::time::now());
        });
        out.send(std::mem::take(batch)).await.map_err(|_| ())
    }

    /// Feeds what the reader batched into the pipeline, and moves the cursor (the time of
    /// the last post stored) after each batch is committed.
    async fn ingest(&self, mut batches: tokio::sync::mpsc::Receiver<Vec<Inbound>>) {
        let mut noted = Instant::now() - Duration::from_secs(60);
        while let Some(batch) = batches.recv().await {
            loop {
                match self.pipeline.ingest(self.ws(), &batch).await {
                    Ok(_) => break,
                    Err(e) => {
                        // Kept and tried again: the reader waits behind the bounded queue.
                        tracing::error!(channel = self.ch.channel.id.0, error = %e, "storing stream posts failed; trying again");
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                }
            }
            let n = batch.len() as u64;
            self.update(|s| s.ingested += n);
            let now = earshot_core::time::now();
            if let Err(e) = self
                .channels
                .store
                .set_channel_cursor(self.ch.channel.id, &now.to_rfc3339())
                .await
            {
                tracing::warn!(channel = self.ch.channel.id.0, error = %e, "keeping the stream's cursor failed");
            }
            if noted.elapsed() >= Duration::from_secs(5) {
                noted = Instant::now();
                self.channels.note(&self.ch, true, true, None).await;
            }
        }
    }

    /// Minutes to ask X to re-send: since the last post read, or after a restart since the
    /// stored cursor; none when that is more than 5 minutes ago (X keeps no more).
    async fn backfill(&self, last_data: Option<Instant>) -> u32 {
        let gap = match last_data {
            Some(t) => t.elapsed(),
            None => {
                let cursor = self.channels.store.channel_cursor(self.ch.channel.id).await;
                let Some(at) = cursor
                    .ok()
                    .flatten()
                    .and_then(|c| chrono::DateTime::parse_from_rfc3339(&c).ok())
                else {
                    return 0;
                };
                (earshot_core::time::now() - at.to_utc())
                    .to_std()
                    .unwrap_or_default()
            }
        };
        let minutes = gap.as_secs().div_ceil(60).max(1);
        if minutes > u64::from(x_stream::MAX_BACKFILL_MINUTES) {
            0
        } else {
            minutes as u32
        }
    }

    async fn run(self) {
        let (tx, rx) = tokio::sync::mpsc::channel::<Vec<Inbound>>(8);
        let reader = async {
            let mut backoff = Backoff::default();
            let mut seen = Recent::new();
            let mut synced = None;
            let mut last_data: Option<Instant> = None;
            let mut opened = 0u64;
            loop {
                synced = self.sync_if_changed(synced).await;
                let backfill = self.backfill(last_data).await;
                let why = match x_stream::connect(&self.http, &self.access, backfill).await {
                    Ok(response) => {
                        opened += 1;
                        self.update(|s| {
                            s.connected = true;
                            s.connected_since = Some(earshot_core::time::now());
                            s.reconnects = opened - 1;
                            s.last_error = None;
                        });
                        self.channels.note(&self.ch, true, false, None).await;
                        let why = self
                            .read(
                                response,
                                &mut seen,
                                &mut synced,
                                &tx,
                                &mut last_data,
                                &mut backoff,
                            )
                            .await;
                        self.update(|s| s.connected = false);
                        why
                    }
                    Err(why) => why,
                };
                if tx.is_closed() {
                    return;
                }
                let wait = backoff.after(&why);
                let text = why.to_string();
                tracing::info!(channel = self.ch.channel.id.0, reason = %text, wait_ms = wait.as_millis() as u64, "the X stream ended; connecting again");
                if !matches!(why, Disconnect::Closed(_)) {
                    self.update(|s| s.last_error = Some(text.clone()));
                    self.channels
                        .note(&self.ch, false, false, Some(&text))
                        .await;
                }
                tokio::time::sleep(wait).await;
            }
        };
        tokio::join!(reader, self.ingest(rx));
    }
}

impl XStreams {
    pub fn new(channels: Arc<Channels>, pipeline: Arc<Pipeline>) -> Self {
        Self { channels, pipeline }
    }

    /// Keeps one stream per active X channel with a bearer token (started, stopped and
    /// restarted as channels come, go and change), until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut watchers = super::watchers::Watchers::default();
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            .user_agent(concat!("earshot/", env!("CARGO_PKG_VERSION")))
            .build()
            .expect("an HTTP client");
        loop {
            match self.channels.store.channels_with(Connector::X).await {
                Ok(list) => {
                    let streamed: Vec<(ConnectedChannel, Access)> = list
                        .into_iter()
                        .filter(|c| c.status == ChannelStatus::Active)
                        .filter_map(|c| {
                            let access = self.channels.access(&c).ok()?;
                            (!access.get("bearer_token").is_empty()).then_some((c, access))
                        })
                        .collect();
                    let mut access_of: HashMap<ChannelId, Access> = streamed
                        .iter()
                        .map(|(c, a)| (c.channel.id, a.clone()))
                        .collect();
                    {
                        let ids: HashSet<ChannelId> = access_of.keys().copied().collect();
                        let mut states = self
                            .channels
                            .streams
                            .lock()
                            .unwrap_or_else(|e| e.into_inner());
                        states.retain(|id, _| ids.contains(id));
                    }
                    watchers.keep(streamed.iter().map(|(c, _)| c), |ch| {
                        let access = access_of.remove(&ch.channel.id)?;
                        let follow = Follow {
                            channels: self.channels.clone(),
                            pipeline: self.pipeline.clone(),
                            ch: ch.clone(),
                            access,
                            http: http.clone(),
                        };
                        Some(tokio::spawn(follow.run()))
                    });
                }
                Err(e) => tracing::error!(error = %e, "listing X channels failed"),
            }
            tokio::select! {
                _ = &mut shutdown => break,
                _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            }
        }
        watchers.stop_all();
    }
}

#[cfg(test)]
mod tests {
    use super::Recent;

    #[test]
    fn redelivered_ids_are_dropped_and_old_ones_forgotten() {
        let mut r = Recent::new();
        assert!(r.first("1"));
        assert!(!r.first("1"));
        for i in 0..super::REMEMBERED {
            r.first(&format!("n{i}"));
        }
        assert!(
            r.first("1"),
            "forgotten after {} newer ids",
            super::REMEMBERED
        );
        assert_eq!(r.ids.len(), r.order.len());
        assert!(r.order.len() <= super::REMEMBERED);
    }
}
