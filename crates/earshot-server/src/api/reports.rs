//! Reports over the API. `GET /reports/share-of-voice?from=2026-11-01&to=2026-11-30` (UTC
//! days, both included; the last 30 days to today by default): per topic, the posts that
//! matched it and its share of all topic mentions (the classic share of voice, when topics
//! are the brand and its competitors); per source (channel), the posts listening heard —
//! matched to a topic or only counted — with each topic's share of them, and the same per
//! day. `GET /reports/emerging?hour=2026-12-01T14:00:00Z`: the topics, intents and channels
//! whose messages in that hour rose far above the same hour of past weeks.
//! `GET /reports/satisfaction?from=&to=`: satisfaction surveys of conversations resolved in
//! the range (UTC days) — asked, delivered, answered, response rate, mean, CSAT or NPS and the
//! scores' distribution — overall and per day, channel, team and agent.
//! `GET /reports/agents?from=&to=`: each agent's and team's work (`earshot_core::agent_work`):
//! handled, replies, first and next response times, resolutions and their time, reopen rate,
//! handle time between their own actions, SLA compliance of their replies, CSAT.

use crate::error::ApiError;
use crate::extract::Query;
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::NaiveDate;
use earshot_core::report::{day_of, day_start, DayRange};
use earshot_core::{ChannelId, TopicId, Workspace};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};

/// Days in the default range.
const DEFAULT_DAYS: i64 = 30;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/reports/share-of-voice", get(share_of_voice))
        .route("/reports/emerging", get(emerging))
        .route("/reports/satisfaction", get(satisfaction))
        .route("/reports/agents", get(agents))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EmergingParams {
    /// The hour to judge (any time in it, RFC 3339); the last complete hour by default.
    hour: Option<String>,
}

/// Emerging issues in one hour (`earshot_engine::emerging`): every topic, intent and channel
/// whose inbound messages rose far above the same hour of past weeks, with the expected and
/// observed counts, how surprising the rise is, and the messages whose authors reach the most.
async fn emerging(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(p): Query<EmergingParams>,
) -> Result<Json<Value>, ApiError> {
    let hour = match p.hour.as_deref() {
        Some(h) => chrono::DateTime::parse_from_rfc3339(h.trim())
            .map_err(|_| ApiError::BadRequest {
                code: "invalid_query",
                message: format!("`hour`: `{h}` is not a time like 2026-12-01T14:00:00Z"),
            })?
            .to_utc(),
        None => earshot_core::time::now() - chrono::Duration::hours(1),
    };
    let start = earshot_core::time::from_millis(
        earshot_core::time::to_millis(hour).div_euclid(3_600_000) * 3_600_000,
    );
    let alerts = earshot_engine::emerging::detect(state.store.as_ref(), ws.id, start).await?;
    Ok(Json(json!({
        "hour": start,
        "method": "expected: the median of the same hour of the week over the previous 4 weeks (else of the same hour of the day over the previous 7 days); surprise: -log10 P(X >= observed) for a Poisson at the expected level (at least 0.5); an alert needs at least 5 messages and twice the expected level; warning from surprise 3, critical from 6",
        "alerts": alerts,
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RangeParams {
    from: Option<String>,
    to: Option<String>,
}

fn day(field: &str, s: &str) -> Result<i64, ApiError> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| day_of(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()))
        .map_err(|_| ApiError::BadRequest {
            code: "invalid_query",
            message: format!("`{field}`: `{s}` is not a date like 2026-11-30"),
        })
}

fn label(d: i64) -> String {
    day_start(d).format("%Y-%m-%d").to_string()
}

fn share(part: i64, whole: i64) -> Value {
    if whole == 0 {
        Value::Null
    } else {
        json!((part as f64 / whole as f64 * 10_000.0).round() / 10_000.0)
    }
}

fn range_of(p: &RangeParams) -> Result<DayRange, ApiError> {
    let to = match p.to.as_deref() {
        Some(t) => day("to", t)?,
        None => day_of(earshot_core::time::now()),
    };
    match p.from.as_deref() {
        Some(f) => DayRange::new(day("from", f)?, to).map_err(|m| ApiError::BadRequest {
            code: "invalid_query",
            message: m,
        }),
        None => Ok(DayRange::ending(to, DEFAULT_DAYS)),
    }
}

/// Satisfaction per scale (a workspace that changed scale has both), overall and per day,
/// channel, team and agent.
async fn satisfaction(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(p): Query<RangeParams>,
) -> Result<Json<Value>, ApiError> {
    use earshot_core::survey::{Scale, Summary};
    let range = range_of(&p)?;
    let store = &state.store;
    let (counts, by_topic, channels, teams, agents, topics) = tokio::try_join!(
        store.survey_counts(ws.id, range.from(), range.until()),
        store.survey_topic_counts(ws.id, range.from(), range.until()),
        store.list_channels(ws.id),
        store.list_teams(ws.id),
        store.list_agents(ws.id),
        store.list_topics(ws.id),
    )?;
    #[derive(Default)]
    struct Groups {
        all: Summary,
        days: BTreeMap<i64, Summary>,
        channels: BTreeMap<i64, Summary>,
        teams: BTreeMap<Option<i64>, Summary>,
        agents: BTreeMap<Option<i64>, Summary>,
        topics: BTreeMap<i64, Summary>,
    }
    let mut scales: BTreeMap<&'static str, (Scale, Groups)> = BTreeMap::new();
    for c in &counts {
        let (_, g) = scales
            .entry(c.scale.as_str())
            .or_insert_with(|| (c.scale, Groups::default()));
        let d = c.delivery.as_deref();
        for s in [
            &mut g.all,
            g.days.entry(c.day).or_default(),
            g.channels.entry(c.channel_id.0).or_default(),
            g.teams.entry(c.team_id.map(|t| t.0)).or_default(),
            g.agents.entry(c.agent_id.map(|a| a.0)).or_default(),
        ] {
            s.add(c.state, d, c.score, c.count);
        }
    }
    for c in &by_topic {
        let (_, g) = scales
            .entry(c.scale.as_str())
            .or_insert_with(|| (c.scale, Groups::default()));
        g.topics.entry(c.topic_id.0).or_default().add(
            c.state,
            c.delivery.as_deref(),
            c.score,
            c.count,
        );
    }
    let topic_name = |id: i64| topics.iter().find(|t| t.id.0 == id).map(|t| t.name.clone());
    let channel_name = |id: i64| {
        channels
            .iter()
            .find(|c| c.id.0 == id)
            .map(|c| format!("{} {}", c.kind, c.name))
    };
    let team_name = |id: Option<i64>| {
        id.and_then(|id| teams.iter().find(|t| t.id.0 == id))
            .map(|t| t.name.clone())
    };
    let agent_name = |id: Option<i64>| {
        id.and_then(|id| agents.iter().find(|a| a.id.0 == id))
            .map(|a| a.name.clone())
    };
    let out: serde_json::Map<String, Value> = scales
        .into_iter()
        .map(|(name, (scale, g))| {
            (
                name.to_string(),
                json!({
                    "overall": g.all.finish(scale),
                    "daily": g.days.into_iter().map(|(d, s)| json!({"day": label(d), "summary": s.finish(scale)})).collect::<Vec<_>>(),
                    "channels": g.channels.into_iter().map(|(c, s)| json!({"channel_id": c, "name": channel_name(c), "summary": s.finish(scale)})).collect::<Vec<_>>(),
                    "teams": g.teams.into_iter().map(|(t, s)| json!({"team_id": t, "name": team_name(t), "summary": s.finish(scale)})).collect::<Vec<_>>(),
                    "agents": g.agents.into_iter().map(|(a, s)| json!({"agent_id": a, "name": agent_name(a), "summary": s.finish(scale)})).collect::<Vec<_>>(),
                    "topics": g.topics.into_iter().map(|(t, s)| json!({"topic_id": t, "name": topic_name(t), "summary": s.finish(scale)})).collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    Ok(Json(json!({
        "from": label(range.first),
        "to": label(range.last),
        "counted": "surveys of conversations resolved in the range (UTC days), by the team and agent the conversation had when it was resolved, and per topic its messages matched (a survey counts once for each of its topics); response rate: answered of sent; csat score: the share of answers 4 or 5; nps score: promoters (9-10) minus detractors (0-6), in points",
        "scales": out,
    })))
}

/// Agents' and teams' work over a range (see `earshot_core::agent_work` for what each figure
/// counts), with their satisfaction scores.
async fn agents(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(p): Query<RangeParams>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(agents_report(&state, &ws, &range_of(&p)?).await?))
}

/// The agents report as JSON (the API's body, the page's data).
pub(crate) async fn agents_report(
    state: &AppState,
    ws: &Workspace,
    range: &DayRange,
) -> Result<Value, ApiError> {
    use earshot_core::agent_work::{per_agent, Work};
    let store = &state.store;
    let (events, surveys, agents, teams) = tokio::try_join!(
        store.agent_work_events(ws.id, range.from(), range.until()),
        store.survey_counts(ws.id, range.from(), range.until()),
        store.list_agents(ws.id),
        store.list_teams(ws.id),
    )?;
    let work = per_agent(&events);
    let (scale, _, csat) = earshot_core::survey::by_agent(&surveys);
    let none = Work::default();
    let mut team_work: BTreeMap<i64, Work> = BTreeMap::new();
    let agents_out: Vec<Value> = agents
        .iter()
        .map(|a| {
            let w = work.get(&a.id).unwrap_or(&none);
            if let Some(t) = a.team_id {
                team_work.entry(t.0).or_default().absorb(w);
            }
            let satisfaction = csat
                .get(&a.id)
                .map(|s| json!({"scale": scale, "summary": s.clone().finish(scale)}));
            json!({"agent_id": a.id.0, "name": a.name, "team_id": a.team_id.map(|t| t.0),
                   "work": w.summary(), "satisfaction": satisfaction})
        })
        .collect();
    let teams_out: Vec<Value> = teams
        .iter()
        .map(|t| {
            let w = team_work.get(&t.id.0).unwrap_or(&none);
            json!({"team_id": t.id.0, "name": t.name, "work": w.summary()})
        })
        .collect();
    Ok(json!({
        "from": label(range.first),
        "to": label(range.last),
        "counted": "each agent's own actions in the range (UTC days): handled = conversations they replied in or resolved; response times = how long the customer had waited at each reply (first response and later ones); resolution time = from the conversation's first message to their resolving it; reopen rate = their resolutions reopened afterwards within the range; handle time = spells of their actions on a conversation (actions under 10 minutes apart are one spell, from its first to its last action plus 1 minute), a floor of time worked, not time on screen; SLA = their replies with a due time sent in time; a team = its agents together",
        "agents": agents_out,
        "teams": teams_out,
    }))
}

async fn share_of_voice(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(p): Query<RangeParams>,
) -> Result<Json<Value>, ApiError> {
    let range = range_of(&p)?;
    let store = &state.store;
    let (counts, channels, topics) = tokio::try_join!(
        store.share_of_voice(ws.id, range.from(), range.until()),
        store.list_channels(ws.id),
        store.list_topics(ws.id),
    )?;
    let topic_name: HashMap<TopicId, &str> =
        topics.iter().map(|t| (t.id, t.name.as_str())).collect();
    let name_of = |t: TopicId| topic_name.get(&t).copied().unwrap_or("deleted topic");

    // Per source: totals, per topic, per day.
    #[derive(Default)]
    struct Source {
        matched: i64,
        unmatched: i64,
        topics: BTreeMap<TopicId, i64>,
        days: BTreeMap<i64, (i64, i64, BTreeMap<TopicId, i64>)>,
    }
    let mut sources: BTreeMap<ChannelId, Source> = BTreeMap::new();
    let mut all_topics: BTreeMap<TopicId, i64> = BTreeMap::new();
    for &(d, ch, topic, n) in &counts.topics {
        let s = sources.entry(ch).or_default();
        *s.topics.entry(topic).or_default() += n;
        *s.days.entry(d).or_default().2.entry(topic).or_default() += n;
        *all_topics.entry(topic).or_default() += n;
    }
    for &(d, ch, n) in &counts.matched {
        let s = sources.entry(ch).or_default();
        s.matched += n;
        s.days.entry(d).or_default().0 += n;
    }
    for &(d, ch, n) in &counts.unmatched {
        let s = sources.entry(ch).or_default();
        s.unmatched += n;
        s.days.entry(d).or_default().1 += n;
    }
    let mentions: i64 = all_topics.values().sum();
    let by_id: HashMap<ChannelId, &earshot_core::Channel> =
        channels.iter().map(|c| (c.id, c)).collect();
    let sources: Vec<Value> = sources
        .into_iter()
        .map(|(id, s)| {
            let heard = s.matched + s.unmatched;
            let ch = by_id.get(&id);
            json!({
                "channel_id": id.0,
                "kind": ch.map(|c| c.kind.as_str()),
                "name": ch.map(|c| c.name.as_str()),
                "role": ch.map(|c| c.role.as_str()),
                "posts": heard,
                "matched": s.matched,
                "unmatched": s.unmatched,
                "topics": s.topics.iter().map(|(t, n)| json!({
                    "topic_id": t.0, "name": name_of(*t), "posts": n, "share": share(*n, heard)
                })).collect::<Vec<_>>(),
                "daily": s.days.iter().map(|(d, (m, u, t))| json!({
                    "day": label(*d), "matched": m, "unmatched": u,
                    "topics": t.iter().map(|(t, n)| (t.0.to_string(), json!(n))).collect::<serde_json::Map<_, _>>()
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({
        "from": label(range.first),
        "to": label(range.last),
        "topics": all_topics.iter().map(|(t, n)| json!({
            "topic_id": t.0, "name": name_of(*t), "posts": n, "share": share(*n, mentions)
        })).collect::<Vec<_>>(),
        "sources": sources,
    })))
}
