//! Emerging issues, detected on demand for one hour: every topic's, intent's and channel's
//! inbound messages of that hour judged against the same hour of past weeks
//! (`earshot_core::emerging`), each alert with the messages of its hour whose authors reach
//! the most people. `GET /api/v1/reports/emerging` comes here.

use earshot_core::emerging::{hours_read, judge, Hourly, SeriesKey, Spike, TopMessage};
use earshot_core::store::StoreResult;
use earshot_core::{Store, WorkspaceId};
use serde::Serialize;
use std::collections::HashMap;

const HOUR_MS: i64 = 3_600_000;
/// Messages shown per alert.
const TOP: u32 = 5;

/// A series that rose far above its usual level in the hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    pub series: SeriesKey,
    /// The topic's or channel's name, or the intent.
    pub name: String,
    /// The hour judged (its start).
    pub hour: earshot_core::time::Timestamp,
    #[serde(flatten)]
    pub spike: Spike,
    pub top_messages: Vec<TopMessage>,
}

/// The alerts of the hour starting at `hour_start` (rounded down to the hour), most
/// surprising first.
pub async fn detect(
    store: &dyn Store,
    ws: WorkspaceId,
    hour_start: earshot_core::time::Timestamp,
) -> StoreResult<Vec<Alert>> {
    let hour = earshot_core::time::to_millis(hour_start).div_euclid(HOUR_MS);
    detect_hours(store, ws, hour, hour).await
}

/// What is emerging now: the alerts of this hour so far and of the last one, one per series
/// (the hour where it surprised most; an alert of this hour counts what came so far, so it
/// can only be an undercount), from one read of the counts.
pub async fn now(store: &dyn Store, ws: WorkspaceId) -> StoreResult<Vec<Alert>> {
    emerging_at(store, ws, earshot_core::time::now()).await
}

/// [`now`] as it stood at `moment`: the alerts of its hour so far and of the one before.
pub async fn emerging_at(
    store: &dyn Store,
    ws: WorkspaceId,
    moment: earshot_core::time::Timestamp,
) -> StoreResult<Vec<Alert>> {
    let hour = earshot_core::time::to_millis(moment).div_euclid(HOUR_MS);
    detect_hours(store, ws, hour - 1, hour).await
}

/// The alerts of the hours `first..=last`, one per series, most surprising first.
async fn detect_hours(
    store: &dyn Store,
    ws: WorkspaceId,
    first: i64,
    last: i64,
) -> StoreResult<Vec<Alert>> {
    let at = |h: i64| earshot_core::time::from_millis(h * HOUR_MS);
    let hours: Vec<i64> = (first..=last).flat_map(hours_read).collect();
    let counts = store.hourly_counts(ws, &hours).await?;
    let Some(history_from) = counts.first_hour else {
        return Ok(Vec::new());
    };
    let mut series: HashMap<SeriesKey, Hourly> = HashMap::new();
    for (h, topic, n) in counts.topics {
        *series
            .entry(SeriesKey::Topic(topic))
            .or_default()
            .entry(h)
            .or_default() += n;
    }
    for (h, intents, n) in counts.intents {
        let names: Vec<String> = serde_json::from_str(&intents).unwrap_or_default();
        for name in names {
            *series
                .entry(SeriesKey::Intent(name))
                .or_default()
                .entry(h)
                .or_default() += n;
        }
    }
    for (h, channel, n) in counts.channels {
        *series
            .entry(SeriesKey::Channel(channel))
            .or_default()
            .entry(h)
            .or_default() += n;
    }
    let spikes: Vec<(SeriesKey, i64, Spike)> = series
        .iter()
        .filter_map(|(key, hourly)| {
            (first..=last)
                .filter_map(|h| judge(hourly, h, history_from).map(|s| (h, s)))
                .max_by(|a, b| a.1.surprise.total_cmp(&b.1.surprise))
                .map(|(h, s)| (key.clone(), h, s))
        })
        .collect();
    // A topic added last week (or a channel connected) has no messages before: judged from
    // the workspace's history alone, its quiet past would be zeros and every busy hour an
    // alert. A candidate is judged again from its own first message.
    let mut kept = Vec::with_capacity(spikes.len());
    for (key, hour, spike) in spikes {
        match store.series_first_hour(ws, &key).await? {
            Some(own) if own > history_from => {
                if let Some(spike) = series.get(&key).and_then(|hourly| judge(hourly, hour, own)) {
                    kept.push((key, hour, spike));
                }
            }
            _ => kept.push((key, hour, spike)),
        }
    }
    let mut spikes = kept;
    if spikes.is_empty() {
        return Ok(Vec::new());
    }
    spikes.sort_by(|a, b| b.2.surprise.total_cmp(&a.2.surprise));
    let topics = store.list_topics(ws).await?;
    let channels = store.list_channels(ws).await?;
    let mut alerts = Vec::with_capacity(spikes.len());
    for (key, hour, spike) in spikes {
        let name = match &key {
            SeriesKey::Topic(t) => topics
                .iter()
                .find(|x| x.id == *t)
                .map_or_else(|| format!("topic {}", t.0), |x| x.name.clone()),
            SeriesKey::Intent(i) => i.clone(),
            SeriesKey::Channel(c) => channels.iter().find(|x| x.id == *c).map_or_else(
                || format!("channel {}", c.0),
                // "x acme"; an account named like its network (the API's default) once.
                |x| {
                    if x.name == x.kind.as_str() {
                        x.name.clone()
                    } else {
                        format!("{} {}", x.kind, x.name)
                    }
                },
            ),
        };
        let top_messages = store
            .top_messages(ws, &key, at(hour), at(hour + 1), TOP)
            .await?;
        alerts.push(Alert {
            series: key,
            name,
            hour: at(hour),
            spike,
            top_messages,
        });
    }
    Ok(alerts)
}

/// Watches a workspace at `moment`: what is emerging then is kept as alerts (one per series
/// and hour), and for each new one the `spike_detected` rules (if the workspace has any) run
/// for the conversations of its top messages — so a rule can tag, prioritize, route them or
/// send a signed webhook. Returns how many alerts are new.
pub async fn raise(
    store: &dyn Store,
    workflow: &crate::workflow::Workflow,
    ws: WorkspaceId,
    moment: earshot_core::time::Timestamp,
) -> StoreResult<usize> {
    let alerts = emerging_at(store, ws, moment).await?;
    if alerts.is_empty() {
        return Ok(0);
    }
    let new: Vec<earshot_core::store::NewAlert> = alerts
        .iter()
        .map(|a| {
            let (dimension, key) = a.series.parts();
            earshot_core::store::NewAlert {
                dimension: dimension.into(),
                series_key: key,
                name: a.name.clone(),
                hour: a.hour,
                severity: a.spike.severity.as_str().into(),
                observed: a.spike.observed,
                expected: a.spike.baseline.expected,
                surprise: a.spike.surprise,
                detail: serde_json::to_value(a).unwrap_or_default(),
            }
        })
        .collect();
    let recorded = store.record_alerts(ws, &new).await?;
    let fresh: Vec<&Alert> = alerts
        .iter()
        .zip(&recorded)
        .filter_map(|(a, (_, new))| new.then_some(a))
        .collect();
    let trigger = earshot_core::rules::Trigger::SpikeDetected;
    let has_rule = workflow
        .rules(ws)
        .await?
        .rules()
        .iter()
        .any(|r| r.enabled && r.trigger == trigger);
    if has_rule {
        let mut seen = std::collections::HashSet::new();
        for m in fresh.iter().flat_map(|a| &a.top_messages) {
            if seen.insert(m.conversation_id) {
                workflow.timed(ws, m.conversation_id, trigger).await?;
            }
        }
    }
    Ok(fresh.len())
}
