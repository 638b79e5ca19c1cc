//! The manager's dashboard: conversation volume over time by channel and by sentiment,
//! first-response time (median and 90th percentile), SLA compliance, the backlog and each
//! agent's load, and the top topics, as charts, for a range of days (UTC), with a CSV
//! download of exactly what is shown (`?format=csv`).
//!
//! The store counts everything in the database over index ranges (`Store::dashboard_counts`);
//! this module only arranges the counts ([`View`]) and draws them.

use super::chart::{self, Series, PALETTE};
use super::{failed, shell, Section, Session};
use crate::AppState;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::NaiveDate;
use earshot_core::report::{
    daily_series, day_of, day_start, minutes_in_words, quantile_minutes, sla_compliance,
    sla_missed, DashboardCounts, DayRange,
};
use earshot_core::ConversationStatus;
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

pub fn router() -> Router<AppState> {
    Router::new().route("/dashboard", get(dashboard)).route(
        "/dashboard/alerts/{id}/{action}",
        axum::routing::post(alert_action),
    )
}

#[derive(Debug, Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// Someone acknowledges or closes a kept alert from the Emerging card; recorded with their
/// email, then back to the dashboard.
async fn alert_action(
    State(state): State<AppState>,
    session: Session,
    axum::extract::Path((id, action)): axum::extract::Path<(i64, String)>,
    crate::extract::Form(form): crate::extract::Form<CsrfForm>,
) -> Response {
    if let Err(r) = session.check(&form.csrf) {
        return r;
    }
    let to = match action.as_str() {
        "acknowledge" => earshot_core::store::AlertState::Acknowledged,
        "close" => earshot_core::store::AlertState::Closed,
        _ => return super::not_found("alert action"),
    };
    match state
        .store
        .set_alert_state(session.user.workspace_id, id, to, &session.user.email)
        .await
    {
        Ok(_) => axum::response::Redirect::to("/dashboard#emerging-h").into_response(),
        Err(earshot_core::StoreError::NotFound { .. }) => super::not_found("alert"),
        Err(e) => failed(e),
    }
}

/// Days shown when no range is given: the month up to the newest conversation.
const DEFAULT_DAYS: i64 = 30;

#[derive(Debug, Deserialize, Default)]
struct Params {
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    from: Option<String>,
    /// `YYYY-MM-DD`, inclusive.
    #[serde(default)]
    to: Option<String>,
    /// `csv` for the download.
    #[serde(default)]
    format: Option<String>,
}

fn parse_day(field: &str, s: &str) -> Result<i64, String> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map(|d| day_of(d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc()))
        .map_err(|_| format!("`{field}`: `{s}` is not a date like 2026-11-30"))
}

fn label(day: i64) -> String {
    day_start(day).format("%Y-%m-%d").to_string()
}

/// The range asked for, or the default one ending on the day of the newest conversation
/// (today when there is none, or when it is later than today).
async fn range_of(state: &AppState, session: &Session, p: &Params) -> Result<DayRange, Response> {
    let given = |v: &Option<String>| {
        v.as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    };
    let bad = |m: String| super::refused(StatusCode::BAD_REQUEST, &m);
    let today = day_of(earshot_core::time::now());
    let to = match given(&p.to) {
        Some(t) => parse_day("to", &t).map_err(bad)?,
        None => {
            let last = state
                .store
                .last_activity(session.user.workspace_id)
                .await
                .map_err(failed)?;
            last.map(day_of).unwrap_or(today).min(today)
        }
    };
    match given(&p.from) {
        Some(f) => DayRange::new(parse_day("from", &f).map_err(bad)?, to).map_err(bad),
        None => Ok(DayRange::ending(to, DEFAULT_DAYS)),
    }
}

/// What the dashboard shows, arranged from the store's counts.
struct View {
    range: DayRange,
    conversations: i64,
    by_channel: Vec<(String, Vec<i64>)>,
    by_sentiment: Vec<(String, Vec<i64>)>,
    first_responses: i64,
    median_minutes: Option<i64>,
    p90_minutes: Option<i64>,
    /// (bucket, first responses in it)
    response_buckets: Vec<(String, i64)>,
    compliance: Option<f64>,
    sla_met: i64,
    sla_missed: i64,
    backlog: Vec<(String, i64)>,
    /// (agent, open conversations, capacity)
    agent_load: Vec<(String, i64, u32)>,
    /// (team, waiting for someone of the team)
    team_queue: Vec<(String, i64)>,
    topics: Vec<(String, i64)>,
    /// Share of voice: (topic with its share of all topic mentions, posts).
    voice: Vec<(String, i64)>,
    /// (listening source, posts heard: matched to a topic or only counted)
    heard: Vec<(String, i64)>,
    /// Emerging issues of this hour so far and the last one, most surprising first (one per
    /// series: the hour where it surprised most).
    emerging: Vec<earshot_engine::emerging::Alert>,
    /// The alerts the timer worker kept lately (to show each live alert's state and actions).
    kept: Vec<earshot_core::store::StoredAlert>,
    /// Satisfaction surveys of the range, in the scale most of them used.
    satisfaction: Option<(earshot_core::survey::Scale, earshot_core::survey::Summary)>,
    /// Each agent's work in the range, with the mean score of what they resolved.
    work: Vec<(String, earshot_core::agent_work::WorkSummary, Option<f64>)>,
}

type Satisfaction = Option<(earshot_core::survey::Scale, earshot_core::survey::Summary)>;
type AgentsWork = Vec<(String, earshot_core::agent_work::WorkSummary, Option<f64>)>;

/// The range's satisfaction (in the scale most surveys used) and each agent's work with the
/// mean score of the conversations they resolved.
fn satisfaction_and_work(
    surveys: &[earshot_core::store::SurveyCount],
    events: &[earshot_core::agent_work::WorkEvent],
    agents: &[earshot_core::Agent],
) -> (Satisfaction, AgentsWork) {
    let (scale, all, mut per_agent) = earshot_core::survey::by_agent(surveys);
    let satisfaction = (all.surveys > 0).then(|| (scale, all.finish(scale)));
    let work = earshot_core::agent_work::per_agent(events);
    let none = earshot_core::agent_work::Work::default();
    let mut rows: AgentsWork = agents
        .iter()
        .map(|a| {
            let mean = per_agent
                .remove(&a.id)
                .and_then(|s| s.finish(scale).average);
            (
                a.name.clone(),
                work.get(&a.id).unwrap_or(&none).summary(),
                mean,
            )
        })
        .collect();
    rows.sort_by(|a, b| b.1.handled.cmp(&a.1.handled).then_with(|| a.0.cmp(&b.0)));
    (satisfaction, rows)
}

const BUCKETS: [(&str, i64); 6] = [
    ("under 15 min", 15),
    ("15–60 min", 60),
    ("1–4 h", 240),
    ("4–8 h", 480),
    ("8–24 h", 1440),
    ("over 24 h", i64::MAX),
];

impl View {
    async fn load(state: &AppState, session: &Session, range: DayRange) -> Result<Self, Response> {
        let ws = session.user.workspace_id;
        let store = &state.store;
        let (counts, channels, agents, teams, topics, voice, emerging, surveys, work_events, kept) =
            tokio::try_join!(
                store.dashboard_counts(ws, range.from(), range.until()),
                store.list_channels(ws),
                store.list_agents(ws),
                store.list_teams(ws),
                store.list_topics(ws),
                store.share_of_voice(ws, range.from(), range.until()),
                earshot_engine::emerging::now(store.as_ref(), ws),
                store.survey_counts(ws, range.from(), range.until()),
                store.agent_work_events(ws, range.from(), range.until()),
                store.list_alerts(ws, None, 100),
            )
            .map_err(failed)?;
        let (satisfaction, work) = satisfaction_and_work(&surveys, &work_events, &agents);
        let kinds: HashMap<_, _> = channels.iter().map(|c| (c.id, c.kind.as_str())).collect();
        let DashboardCounts {
            volume,
            first_response_minutes,
            backlog,
            topics: topic_counts,
            ..
        } = &counts;
        let by_channel = daily_series(
            range,
            volume.iter().map(|v| {
                (
                    v.day,
                    kinds
                        .get(&v.channel)
                        .copied()
                        .unwrap_or("unknown")
                        .to_string(),
                    v.conversations,
                )
            }),
        );
        let by_sentiment = daily_series(
            range,
            volume
                .iter()
                .map(|v| (v.day, v.sentiment.clone(), v.conversations)),
        );
        let mut response_buckets: Vec<(String, i64)> =
            BUCKETS.iter().map(|(l, _)| (l.to_string(), 0)).collect();
        for &(minutes, n) in first_response_minutes {
            let k = BUCKETS
                .iter()
                .position(|(_, up_to)| minutes < *up_to)
                .unwrap_or(BUCKETS.len() - 1);
            response_buckets[k].1 += n;
        }
        let mut by_status: BTreeMap<usize, i64> = BTreeMap::new();
        let mut per_agent: HashMap<_, i64> = HashMap::new();
        let mut per_team: HashMap<_, i64> = HashMap::new();
        for b in backlog {
            let order = ConversationStatus::ALL
                .iter()
                .position(|s| *s == b.status)
                .unwrap_or(0);
            *by_status.entry(order).or_default() += b.conversations;
            match (b.assignee, b.team) {
                (Some(a), _) => *per_agent.entry(a).or_default() += b.conversations,
                (None, Some(t)) => *per_team.entry(t).or_default() += b.conversations,
                (None, None) => {}
            }
        }
        let mut agent_load: Vec<(String, i64, u32)> = agents
            .iter()
            .map(|a| {
                (
                    a.name.clone(),
                    per_agent.get(&a.id).copied().unwrap_or(0),
                    a.capacity,
                )
            })
            .collect();
        agent_load.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let mut team_queue: Vec<(String, i64)> = teams
            .iter()
            .map(|t| (t.name.clone(), per_team.get(&t.id).copied().unwrap_or(0)))
            .collect();
        team_queue.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let topic_names: HashMap<_, _> = topics.iter().map(|t| (t.id, t.name.as_str())).collect();
        let topic_name = |t| topic_names.get(t).copied().unwrap_or("deleted topic");
        let mut per_topic: BTreeMap<earshot_core::TopicId, i64> = BTreeMap::new();
        for (_, _, t, n) in &voice.topics {
            *per_topic.entry(*t).or_default() += n;
        }
        let mentions: i64 = per_topic.values().sum();
        let mut voice_bars: Vec<(String, i64)> = per_topic
            .iter()
            .map(|(t, n)| {
                let pct = (*n as f64 * 100.0 / mentions.max(1) as f64).round();
                (format!("{} ({pct}%)", topic_name(t)), *n)
            })
            .collect();
        voice_bars.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        let names: HashMap<_, _> = channels
            .iter()
            .filter(|c| c.role == earshot_core::ChannelRole::Listening)
            .map(|c| (c.id, format!("{} {}", c.kind.as_str(), c.name)))
            .collect();
        let mut per_source: BTreeMap<String, (i64, i64)> = BTreeMap::new();
        for (_, ch, n) in &voice.matched {
            if let Some(name) = names.get(ch) {
                per_source.entry(name.clone()).or_default().0 += n;
            }
        }
        for (_, ch, n) in &voice.unmatched {
            if let Some(name) = names.get(ch) {
                per_source.entry(name.clone()).or_default().1 += n;
            }
        }
        let heard: Vec<(String, i64)> = per_source
            .into_iter()
            .flat_map(|(name, (m, u))| {
                [
                    (format!("{name}: on a topic"), m),
                    (format!("{name}: no topic"), u),
                ]
            })
            .collect();
        Ok(View {
            kept,
            satisfaction,
            work,
            voice: voice_bars,
            heard,
            emerging,
            range,
            conversations: volume.iter().map(|v| v.conversations).sum(),
            by_channel,
            by_sentiment,
            first_responses: first_response_minutes.iter().map(|h| h.1).sum(),
            median_minutes: quantile_minutes(first_response_minutes, 0.5),
            p90_minutes: quantile_minutes(first_response_minutes, 0.9),
            response_buckets,
            compliance: sla_compliance(&counts),
            sla_met: counts.sla_met,
            sla_missed: sla_missed(&counts),
            backlog: by_status
                .into_iter()
                .map(|(k, n)| (ConversationStatus::ALL[k].as_str().to_string(), n))
                .collect(),
            agent_load,
            team_queue,
            topics: topic_counts
                .iter()
                .map(|(t, n)| {
                    (
                        topic_names
                            .get(t)
                            .copied()
                            .unwrap_or("deleted topic")
                            .to_string(),
                        *n,
                    )
                })
                .collect(),
        })
    }

    fn labels(&self) -> Vec<String> {
        self.range.days().map(label).collect()
    }

    /// Every number the page shows, one per line: `metric,series,day,value`.
    fn csv(&self) -> String {
        let mut out = String::from("metric,series,day,value\n");
        let labels = self.labels();
        let mut line = |metric: &str, series: &str, day: &str, value: String| {
            out.push_str(&format!("{metric},{},{day},{value}\n", csv_field(series)));
        };
        for (metric, series) in [
            ("conversations_by_channel", &self.by_channel),
            ("conversations_by_sentiment", &self.by_sentiment),
        ] {
            for (name, values) in series {
                for (day, v) in labels.iter().zip(values) {
                    line(metric, name, day, v.to_string());
                }
            }
        }
        let opt = |v: Option<i64>| v.map(|m| m.to_string()).unwrap_or_default();
        line(
            "first_response_minutes",
            "median",
            "",
            opt(self.median_minutes),
        );
        line("first_response_minutes", "p90", "", opt(self.p90_minutes));
        for (bucket, n) in &self.response_buckets {
            line("first_responses", bucket, "", n.to_string());
        }
        line(
            "sla_compliance",
            "share_met",
            "",
            self.compliance
                .map(|c| format!("{c:.4}"))
                .unwrap_or_default(),
        );
        line("sla", "met", "", self.sla_met.to_string());
        line("sla", "missed", "", self.sla_missed.to_string());
        for (status, n) in &self.backlog {
            line("backlog", status, "", n.to_string());
        }
        for (team, n) in &self.team_queue {
            line("team_queue", team, "", n.to_string());
        }
        for (agent, n, _) in &self.agent_load {
            line("agent_open", agent, "", n.to_string());
        }
        for (topic, n) in &self.topics {
            line("topic_messages", topic, "", n.to_string());
        }
        for (topic, n) in &self.voice {
            line("share_of_voice_posts", topic, "", n.to_string());
        }
        for (source, n) in &self.heard {
            line("listening_posts", source, "", n.to_string());
        }
        out
    }
}

/// A CSV field, quoted when it must be (RFC 4180); a leading `=`, `+`, `-` or `@` is
/// prefixed with `'` so a spreadsheet does not run it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

async fn dashboard(
    State(state): State<AppState>,
    session: Session,
    Query(params): Query<Params>,
) -> Response {
    let range = match range_of(&state, &session, &params).await {
        Ok(r) => r,
        Err(r) => return r,
    };
    let view = match View::load(&state, &session, range).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    if params.format.as_deref() == Some("csv") {
        let name = format!(
            "earshot-dashboard-{}-{}.csv",
            label(range.first),
            label(range.last)
        );
        return (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}\""),
                ),
            ],
            view.csv(),
        )
            .into_response();
    }
    shell(
        &session,
        Section::Dashboard,
        "Dashboard",
        render(&view, &session),
    )
    .into_response()
}

fn render(v: &View, session: &Session) -> Markup {
    let labels = v.labels();
    let (from, to) = (label(v.range.first), label(v.range.last));
    let channel_series: Vec<Series> = v
        .by_channel
        .iter()
        .enumerate()
        .map(|(i, (name, values))| Series {
            name,
            colour: PALETTE[i % PALETTE.len()],
            values,
        })
        .collect();
    let sentiment_series: Vec<Series> = v
        .by_sentiment
        .iter()
        .map(|(name, values)| Series {
            name,
            colour: chart::sentiment_colour(name),
            values,
        })
        .collect();
    let words = |m: Option<i64>| m.map(minutes_in_words).unwrap_or_else(|| "—".into());
    let compliance = v
        .compliance
        .map(|c| format!("{:.1}%", c * 100.0))
        .unwrap_or_else(|| "—".into());
    let buckets: Vec<(String, i64, &str)> = v
        .response_buckets
        .iter()
        .map(|(l, n)| (l.clone(), *n, PALETTE[0]))
        .collect();
    let sla: Vec<(String, i64, &str)> = vec![
        ("met".into(), v.sla_met, "#009E73"),
        ("missed".into(), v.sla_missed, "#D55E00"),
    ];
    let backlog: Vec<(String, i64, &str)> = v
        .backlog
        .iter()
        .map(|(s, n)| (s.clone(), *n, PALETTE[1]))
        .collect();
    let load: Vec<(String, i64, &str)> = v
        .agent_load
        .iter()
        .map(|(a, n, cap)| {
            (
                format!("{a} (of {cap})"),
                *n,
                if *n as u64 >= u64::from(*cap) {
                    "#D55E00"
                } else {
                    PALETTE[4]
                },
            )
        })
        .collect();
    let queue: Vec<(String, i64, &str)> = v
        .team_queue
        .iter()
        .map(|(t, n)| (t.clone(), *n, PALETTE[3]))
        .collect();
    let topics: Vec<(String, i64, &str)> = v
        .topics
        .iter()
        .map(|(t, n)| (t.clone(), *n, PALETTE[2]))
        .collect();
    let voice: Vec<(String, i64, &str)> = v
        .voice
        .iter()
        .map(|(t, n)| (t.clone(), *n, PALETTE[1]))
        .collect();
    let heard: Vec<(String, i64, &str)> = v
        .heard
        .iter()
        .map(|(t, n)| (t.clone(), *n, PALETTE[4]))
        .collect();
    let range_form = html! {
        form.filters method="get" action="/dashboard" aria-label="Date range" {
            div.field {
                label for="from" { "From" }
                input type="date" id="from" name="from" value=(from);
            }
            div.field {
                label for="to" { "To" }
                input type="date" id="to" name="to" value=(to);
            }
            button type="submit" { "Show" }
            " "
            a href={ "/dashboard?from=" (from) "&to=" (to) "&format=csv" } download {
                "Download CSV"
            }
        }
    };
    html! {
        h1 { "Dashboard" }
        (range_form)
        p.muted { (from) " to " (to) " (UTC days). Backlog and load are as of now." }
        div.kpis {
            (kpi("kpi-conversations", &v.conversations.to_string(), "conversations"))
            (kpi("kpi-median", &words(v.median_minutes), "median first response"))
            (kpi("kpi-p90", &words(v.p90_minutes), "90th percentile first response"))
            (kpi("kpi-sla", &compliance, "SLA met"))
            (kpi("kpi-satisfaction", &satisfaction_value(v), &satisfaction_label(v)))
        }
        (emerging_card(&v.emerging, &v.kept, session))
        (work_card(&v.work))
        div.grid2 {
            (card(true, "Conversations by channel", chart::stacked_columns(
                "vol-ch", "Conversations by channel per day", &labels, &channel_series,
            )))
            (card(true, "Conversations by sentiment", chart::stacked_columns(
                "vol-s", "Conversations by sentiment per day", &labels, &sentiment_series,
            )))
            (card(false, &format!("First responses ({})", v.first_responses), chart::bars(
                "frt", "First responses by time to answer", &buckets,
            )))
            (card(false, "SLA: replies to waiting customers", chart::bars(
                "sla", "SLA targets met and missed", &sla,
            )))
            (card(false, "Backlog by status", chart::bars(
                "backlog", "Open conversations by status", &backlog,
            )))
            (card(false, "Agent load (open conversations)", chart::bars(
                "load", "Open conversations per agent", &load,
            )))
            (card(false, "Waiting in team queues", chart::bars(
                "queue", "Conversations waiting in each team's queue", &queue,
            )))
            (card(false, "Top topics", chart::bars("topics", "Messages per topic", &topics)))
            (card(false, "Share of voice", chart::bars(
                "voice", "Posts per topic and each topic's share of all topic mentions", &voice,
            )))
            (card(false, "Heard per listening source", chart::bars(
                "heard", "Listening posts on a topic and with none, per source", &heard,
            )))
        }
    }
}

/// Emerging issues now: what rose far above the same hour of past weeks, this hour so far or
/// the last (whatever the range above shows), with the message of the most followed author.
fn emerging_card(
    alerts: &[earshot_engine::emerging::Alert],
    kept: &[earshot_core::store::StoredAlert],
    session: &Session,
) -> Markup {
    use earshot_core::emerging::Severity;
    use earshot_core::store::AlertState;
    // The kept alert of a live one: same series and hour.
    let kept_of = |a: &earshot_engine::emerging::Alert| {
        let (dimension, key) = a.series.parts();
        kept.iter()
            .find(|k| k.dimension == dimension && k.series_key == key && k.hour == a.hour)
    };
    html! {
        section.card.emerging aria-labelledby="emerging-h" {
            h2 #emerging-h { "Emerging now" }
            @if alerts.is_empty() {
                p.muted { "Nothing is far above its usual level for this hour of the week, this hour or the last." }
            } @else {
                ul.alerts {
                    @for a in alerts {
                        li {
                            @match a.spike.severity {
                                Severity::Critical => span.badge.bad { "critical" },
                                Severity::Warning => span.badge.warn { "warning" },
                            }
                            " " strong { (a.name) }
                            " (" (match &a.series {
                                earshot_core::emerging::SeriesKey::Topic(_) => "topic",
                                earshot_core::emerging::SeriesKey::Intent(_) => "intent",
                                earshot_core::emerging::SeriesKey::Channel(_) => "channel",
                            }) "): "
                            (a.spike.observed) " messages from " (a.hour.format("%H:00 UTC").to_string())
                            ", usually " (format!("{:.1}", a.spike.baseline.expected))
                            " (" (a.spike.baseline.basis) ")"
                            @if let Some(top) = a.top_messages.first() {
                                br;
                                span.muted {
                                    @if let Some(h) = &top.handle { "@" (h) }
                                    @if let Some(f) = top.followers { " (" (f) " followers)" }
                                    ": "
                                }
                                a href={ "/c/" (top.conversation_id.0) } {
                                    (top.text.chars().take(140).collect::<String>())
                                }
                            }
                            @if let Some(k) = kept_of(a) {
                                br;
                                @match k.state {
                                    AlertState::Open => {
                                        span.muted { "Open. " }
                                        (super::post_form(session, &format!("/dashboard/alerts/{}/acknowledge", k.id), "Acknowledge this alert", html! { button.link type="submit" { "Acknowledge" } }))
                                        (super::post_form(session, &format!("/dashboard/alerts/{}/close", k.id), "Close this alert", html! { button.link type="submit" { "Close" } }))
                                    }
                                    AlertState::Acknowledged => {
                                        span.muted { "Acknowledged by " (k.acknowledged_by.as_deref().unwrap_or("someone")) ". " }
                                        (super::post_form(session, &format!("/dashboard/alerts/{}/close", k.id), "Close this alert", html! { button.link type="submit" { "Close" } }))
                                    }
                                    AlertState::Closed => {
                                        span.muted { "Closed by " (k.closed_by.as_deref().unwrap_or("someone")) "." }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// CSAT as the share of 4 and 5, NPS in points; with the mean and how many answered.
fn satisfaction_value(v: &View) -> String {
    use earshot_core::survey::Scale;
    match &v.satisfaction {
        Some((Scale::Csat, s)) => s
            .score
            .map(|c| format!("{:.0}%", c * 100.0))
            .unwrap_or_else(|| "—".into()),
        Some((Scale::Nps, s)) => s
            .score
            .map(|n| format!("{n:+.0}"))
            .unwrap_or_else(|| "—".into()),
        None => "—".into(),
    }
}

fn satisfaction_label(v: &View) -> String {
    use earshot_core::survey::Scale;
    match &v.satisfaction {
        Some((scale, s)) => format!(
            "{} ({} answered of {} asked{})",
            if *scale == Scale::Csat { "CSAT" } else { "NPS" },
            s.answered,
            s.sent,
            s.average
                .map(|a| format!(", mean {a:.1}"))
                .unwrap_or_default()
        ),
        None => "satisfaction (no surveys in the range)".into(),
    }
}

/// Each agent's work in the range (see `earshot_core::agent_work` for what each counts).
fn work_card(rows: &[(String, earshot_core::agent_work::WorkSummary, Option<f64>)]) -> Markup {
    let time = |s: Option<i64>| {
        s.map(|s| minutes_in_words(s / 60))
            .unwrap_or_else(|| "—".into())
    };
    let share = |r: Option<f64>| {
        r.map(|r| format!("{:.0}%", r * 100.0))
            .unwrap_or_else(|| "—".into())
    };
    html! {
        section.card.wide aria-labelledby="work-h" {
            h2 #work-h { "Agents' work" }
            @if rows.iter().all(|r| r.1.handled == 0) {
                p.muted { "No agent replied in or resolved a conversation in this range." }
            } @else {
                div.table-wrap {
                    table {
                        caption { "Each agent's own replies and resolutions in the range; handle time is measured between their actions (a floor of the time worked, not time on screen)" }
                        thead { tr {
                            @for h in ["Agent", "Handled", "Replies", "Median first response", "Median next response", "Resolved", "Reopened", "Median handle time", "SLA met", "Mean score"] {
                                th scope="col" { (h) }
                            }
                        } }
                        tbody {
                            @for (name, w, mean) in rows.iter().filter(|r| r.1.handled > 0) {
                                tr {
                                    td { (name) }
                                    td { (w.handled) }
                                    td { (w.replies) }
                                    td { (time(w.first_response.median_seconds)) }
                                    td { (time(w.next_response.median_seconds)) }
                                    td { (w.resolved) }
                                    td { (share(w.reopen_rate)) }
                                    td { (time(w.handle_median_seconds)) }
                                    td { (share(w.sla_compliance)) }
                                    td { (mean.map(|m| format!("{m:.1}")).unwrap_or_else(|| "—".into())) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// A key figure, large, with what it counts.
fn kpi(id: &str, value: &str, what: &str) -> Markup {
    html! {
        div.kpi { span.n id=(id) { (value) } span { (what) } }
    }
}

/// A chart in its card, with its heading; a wide one spans the row.
fn card(wide: bool, heading: &str, chart: Markup) -> Markup {
    html! {
        section.card.wide[wide] { h2 { (heading) } (chart) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_and_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }

    #[test]
    fn days_parse_or_say_what_is_wrong() {
        assert_eq!(parse_day("from", "1970-01-02"), Ok(1));
        let e = parse_day("to", "30/11/2026").unwrap_err();
        assert!(e.contains("`to`") && e.contains("30/11/2026"), "{e}");
    }
}
