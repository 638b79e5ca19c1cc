//! The poller of the networks Earshot reads through their APIs (Mastodon's mentions and the
//! hashtags it listens to, a Reddit inbox and the subreddits it listens to, feeds): what each
//! connected account received after the channel's cursor (kept in the store, one position per
//! source: see `earshot_channels::cursors`) is read, decoded and fed through the pipeline; the
//! cursor moves only after the batch is committed, so a stop or a lost connection never skips
//! a message, and one read twice is a duplicate by its platform id. Each account is read at
//! start and every `poll_seconds` (default 30); a Mastodon account also as soon as one of its
//! streams says something came (a watcher per channel holds the streaming API's server-sent
//! events — its notifications and each public timeline it listens to — and wakes the poller:
//! the stream only wakes, the catch-up read stays the one path that fetches, so a missed or
//! spurious event costs nothing but a poll).

use super::Channels;
use crate::Pipeline;
use earshot_channels::send::Failure;
use earshot_core::connector::{ChannelStatus, ConnectedChannel, Connector};
use earshot_core::store::StoreResult;
use earshot_core::ChannelId;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const DEFAULT_EVERY: Duration = Duration::from_secs(30);
/// The longest a stream watcher waits before it connects again after a failure.
const MAX_BACKOFF: Duration = Duration::from_secs(300);
/// Reads per poll at most (a page each: 40 Mastodon mentions, 100 Reddit things); the rest
/// come at the next poll.
const PAGES: usize = 25;

pub struct NetworkPoller {
    channels: Arc<Channels>,
    pipeline: Arc<Pipeline>,
    /// Channels whose platform said to wait (a spent rate limit), until when: not read before.
    waiting: std::sync::Mutex<HashMap<ChannelId, earshot_core::time::Timestamp>>,
}

/// Holds a Mastodon account's streams (its notifications, and the public timelines it
/// listens to: one connection each, as Mastodon serves server-sent events one stream per
/// request) and wakes the poller on each event, each stream reconnecting with a growing pause
/// after failures. Stopping the watcher stops them all.
async fn watch(
    http: reqwest::Client,
    access: earshot_channels::send::Access,
    id: ChannelId,
    wake: tokio::sync::mpsc::Sender<ChannelId>,
) {
    let paths = earshot_channels::mastodon_api::streams(&access);
    // A poll reads every source (a request each); a busy hashtag must not make the poller
    // spend the account's allowance (Mastodon: 300 requests in 5 minutes) in a minute and
    // leave mentions waiting for the reset. So a listening stream wakes the poller at most
    // once per two seconds per source read, and at least 15 s apart; mentions at once.
    let calm = Duration::from_secs((2 * paths.len() as u64).max(15));
    let mut streams = tokio::task::JoinSet::new();
    for (n, path) in paths.into_iter().enumerate() {
        let gap = if n == 0 { Duration::ZERO } else { calm };
        streams.spawn(watch_one(
            http.clone(),
            access.clone(),
            path,
            id,
            wake.clone(),
            gap,
        ));
    }
    while streams.join_next().await.is_some() {}
}

async fn watch_one(
    http: reqwest::Client,
    access: earshot_channels::send::Access,
    path: String,
    id: ChannelId,
    wake: tokio::sync::mpsc::Sender<ChannelId>,
    gap: Duration,
) {
    let mut backoff = Duration::from_secs(5);
    let mut last_wake: Option<Instant> = None;
    loop {
        let streaming = earshot_channels::mastodon_api::streaming_base(&http, &access).await;
        let woke = std::sync::atomic::AtomicBool::new(false);
        let result = earshot_channels::mastodon_api::stream_events(
            &http,
            &access,
            &streaming,
            &path,
            || {
                woke.store(true, std::sync::atomic::Ordering::SeqCst);
                if last_wake.is_none_or(|t| t.elapsed() >= gap) {
                    last_wake = Some(Instant::now());
                    let _ = wake.try_send(id);
                }
            },
        )
        .await;
        match result {
            Ok(()) => backoff = Duration::from_secs(5),
            Err(e) => {
                tracing::debug!(channel = id.0, %path, error = ?e, "Mastodon stream failed; polling covers it, trying again later");
                if !woke.load(std::sync::atomic::Ordering::SeqCst) {
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
        if wake.is_closed() {
            return;
        }
    }
}

impl NetworkPoller {
    pub fn new(channels: Arc<Channels>, pipeline: Arc<Pipeline>) -> Self {
        Self {
            channels,
            pipeline,
            waiting: Default::default(),
        }
    }

    /// Whether the channel's platform asked to wait until after now (its rate limit).
    fn must_wait(&self, id: ChannelId) -> bool {
        let mut waiting = self.waiting.lock().unwrap_or_else(|e| e.into_inner());
        match waiting.get(&id) {
            Some(until) if *until > earshot_core::time::now() => true,
            Some(_) => {
                waiting.remove(&id);
                false
            }
            None => false,
        }
    }

    fn every(ch: &ConnectedChannel) -> Duration {
        let setting = |name: &str| {
            ch.settings
                .get(name)
                .and_then(|v| v.as_str())
                .and_then(|s| s.trim().parse::<u64>().ok())
                .filter(|s| *s > 0)
        };
        if ch.connector == Connector::Feed {
            // Feeds change slowly, and their hosts ask readers not to hammer them.
            return Duration::from_secs(setting("poll_minutes").unwrap_or(15) * 60);
        }
        setting("poll_seconds")
            .map(Duration::from_secs)
            .unwrap_or(DEFAULT_EVERY)
    }

    /// Reads one account's new messages; how many there were.
    pub async fn poll(&self, ch: &ConnectedChannel) -> StoreResult<usize> {
        let store = &self.channels.store;
        let Ok(access) = self.channels.access(ch) else {
            tracing::error!(
                channel = ch.channel.id.0,
                "the channel's secrets cannot be opened"
            );
            return Ok(0);
        };
        let mut stored = 0;
        let mut problems: Vec<String> = Vec::new();
        for _ in 0..PAGES {
            let cursor = store.channel_cursor(ch.channel.id).await?;
            let page = match earshot_channels::send::poll(
                &self.channels.http,
                &access,
                &ch.channel.name,
                cursor.as_deref(),
            )
            .await
            {
                Ok(p) => p,
                Err(Failure::Reauth(e)) => {
                    tracing::warn!(channel = ch.channel.id.0, error = %e, "the platform refused the channel's credentials");
                    self.channels.note(ch, false, stored > 0, Some(&e)).await;
                    store
                        .set_channel_status(
                            ch.channel.workspace_id,
                            ch.channel.id,
                            ChannelStatus::NeedsReauth,
                            Some(&e),
                        )
                        .await?;
                    return Ok(stored);
                }
                Err(e) => {
                    if let Failure::Wait { until, .. } = &e {
                        // The platform's rate limit: no read before it resets (a wake from the
                        // stream waits too), instead of spending requests it will refuse.
                        self.waiting
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(ch.channel.id, *until);
                    }
                    tracing::warn!(channel = ch.channel.id.0, error = ?e, "poll failed; trying again later");
                    let why = e.text().to_string();
                    self.channels.note(ch, false, stored > 0, Some(&why)).await;
                    return Ok(stored);
                }
            };
            let mut batch = Vec::new();
            for d in page.records {
                match d.result {
                    Ok(m) => batch.push(m),
                    Err(r) => {
                        tracing::info!(channel = ch.channel.id.0, at = %d.location, reason = %r.reason, "not imported")
                    }
                }
            }
            stored += batch.len();
            if !batch.is_empty() {
                self.pipeline
                    .ingest(ch.channel.workspace_id, &batch)
                    .await?;
            }
            if let Some(next) = &page.cursor {
                if cursor.as_deref() != Some(next.as_str()) {
                    store.set_channel_cursor(ch.channel.id, next).await?;
                }
            }
            problems.extend(page.problems);
            // Each source reads its pages within one read; a read that left more behind
            // (a source past its pages for one read) goes on at once, the rest is caught up.
            if !page.more {
                break;
            }
        }
        problems.dedup();
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        if let Some(p) = &problem {
            tracing::warn!(channel = ch.channel.id.0, problem = %p, "a listening source was not read");
        }
        self.channels
            .note(ch, true, stored > 0, problem.as_deref())
            .await;
        Ok(stored)
    }

    /// Polls every active polled channel when its interval has passed or its stream says
    /// something came, until `shutdown`.
    pub async fn run(self: Arc<Self>, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut last: HashMap<ChannelId, Instant> = HashMap::new();
        let mut watchers = super::watchers::Watchers::default();
        let (wake, mut woken) = tokio::sync::mpsc::channel::<ChannelId>(64);
        loop {
            let mut listed = Vec::new();
            for connector in Connector::ALL.into_iter().filter(|c| c.is_polled()) {
                match self.channels.store.channels_with(connector).await {
                    Ok(list) => listed.extend(list),
                    Err(e) => tracing::error!(error = %e, %connector, "listing channels failed"),
                }
            }
            let streamed = listed.iter().filter(|c| {
                c.connector == Connector::Mastodon && c.status == ChannelStatus::Active
            });
            watchers.keep(streamed, |ch| {
                let access = self.channels.access(ch).ok()?;
                Some(tokio::spawn(watch(
                    self.channels.http.clone(),
                    access,
                    ch.channel.id,
                    wake.clone(),
                )))
            });
            for ch in listed.iter().filter(|c| c.status == ChannelStatus::Active) {
                let due = last
                    .get(&ch.channel.id)
                    .is_none_or(|t| t.elapsed() >= Self::every(ch))
                    && !self.must_wait(ch.channel.id);
                if due {
                    last.insert(ch.channel.id, Instant::now());
                    match self.poll(ch).await {
                        Ok(n) if n > 0 => {
                            tracing::info!(channel = ch.channel.id.0, n, "messages fetched")
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::error!(channel = ch.channel.id.0, error = %e, "storing fetched messages failed")
                        }
                    }
                }
            }
            tokio::select! {
                _ = &mut shutdown => break,
                Some(id) = woken.recv() => {
                    // Polled at the top of the loop, now.
                    last.remove(&id);
                }
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        watchers.stop_all();
    }
}
