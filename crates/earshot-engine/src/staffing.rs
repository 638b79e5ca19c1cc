//! A week's staffing plan per channel (issue 17): the channel's history read once
//! (`Store::staffing_history`), its arrivals forecast per half-hour, its handle time and SLA
//! target, and Erlang C's agents needed beside the agents Earshot has (`earshot_core::staffing`
//! has the method and its limits). `GET /api/v1/reports/staffing` and the `/staffing` page
//! come here.
//!
//! **Handle time** is measured over the newest [`HANDLE_DAYS`] days of the history (with the
//! conversations begun in them), the forecast over all of it.
//!
//! **The SLA target** of a channel is the first-response target of the policy applied to
//! most of its conversations in the weeks read (rules apply policies); a channel none of whose
//! conversations had one gets the out-of-the-box target every workspace has (24 hours).
//!
//! **"Scheduled"** — Earshot keeps no shift schedules. The agents scheduled for a channel are
//! the agents online now who may take it (no channel skills, or this channel among them),
//! taken to be on for the whole week: a flat line, the staffing you have if today's roster
//! works every half-hour. An agent who may take several of the planned channels counts for
//! each in equal parts, and for at most their capacity of conversations at once. The expected
//! service level of an interval is Erlang C's with those agents, less shrinkage.

use earshot_core::sla::Policy;
use earshot_core::staffing::{
    agents_needed, default_concurrency, forecast_week, handle_time, load_of, scheduled_servers,
    service_level, weighted_compliance, HandleTime, ReplySample, Targets, HANDLE_CAP_SECONDS,
    INTERVALS_PER_WEEK, INTERVAL_MS, WEEKS,
};
use earshot_core::store::{StoreError, StoreResult};
use earshot_core::time::{from_millis, to_millis, Timestamp};
use earshot_core::{ChannelId, ChannelRole, Store, WorkspaceId};
use serde::Serialize;
use std::collections::HashMap;

/// Days of replies (the newest of the history) handle time is measured over: every reply is
/// read against the message before it, so their cost follows these days' messages.
pub const HANDLE_DAYS: i64 = 7;

/// What "scheduled" means in a plan, said with every plan.
pub const SCHEDULED_MEANS: &str = "Earshot keeps no shift schedules: scheduled means the agents online now who may take the channel (no channel skills, or this channel among them), taken to be on for the whole week; an agent who may take several planned channels counts for each in equal parts, and for at most their capacity of conversations at once";

/// What a plan aims for; the defaults are the industry's usual ones.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Params {
    /// The share of conversations answered within the SLA's first-response target.
    pub target: f64,
    /// The most occupancy allowed.
    pub occupancy: f64,
    /// The share of paid time not spent on conversations.
    pub shrinkage: f64,
    /// Conversations an agent works at once, for every channel planned (else each channel
    /// kind's default).
    pub concurrency: Option<u32>,
}

impl Default for Params {
    fn default() -> Self {
        Self {
            target: 0.8,
            occupancy: 0.85,
            shrinkage: 0.3,
            concurrency: None,
        }
    }
}

/// One half-hour of a channel's week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Interval {
    pub start: Timestamp,
    /// Conversations expected to begin.
    pub arrivals: f64,
    /// Agents to schedule, shrinkage included.
    pub agents_needed: u32,
    /// Of them, working conversations at any moment.
    pub on_contacts: u32,
    pub scheduled: f64,
    /// Expected share answered within the target, staffed as scheduled (`None` when nothing
    /// is expected).
    pub expected_service_level: Option<f64>,
}

/// A channel's week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChannelPlan {
    pub channel_id: ChannelId,
    pub kind: String,
    pub name: String,
    pub sla_policy: String,
    /// Why that policy.
    pub sla_policy_source: String,
    pub answer_within_seconds: f64,
    pub concurrency: u32,
    pub handle_time: HandleTime,
    pub forecast_basis: String,
    pub trend: f64,
    pub conversations_expected: f64,
    pub scheduled_agents: f64,
    /// Conversations the scheduled agents can work at once.
    pub scheduled_slots: f64,
    /// The most agents any half-hour needs.
    pub peak_agents_needed: u32,
    pub expected_compliance: Option<f64>,
    pub intervals: Vec<Interval>,
}

/// The coming week's plan for a workspace's channels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub week_start: Timestamp,
    /// The history read: the weeks before the plan's week, up to now.
    pub history_from: Timestamp,
    pub history_until: Timestamp,
    pub params: Params,
    pub scheduled_means: &'static str,
    pub channels: Vec<ChannelPlan>,
    /// Over every channel and half-hour, weighted by the conversations expected.
    pub expected_compliance: Option<f64>,
}

/// The plan for the week from `week_start` (rounded down to the half-hour), from the
/// [`WEEKS`] weeks before it as far as `now`: every owned channel with conversations in them,
/// or only `channel` (which is planned even without any). Parameters are checked by the
/// caller ([`Targets::new`] says which is wrong).
pub async fn plan(
    store: &dyn Store,
    ws: WorkspaceId,
    week_start: Timestamp,
    now: Timestamp,
    channel: Option<ChannelId>,
    params: &Params,
) -> StoreResult<Plan> {
    let week_interval = to_millis(week_start).div_euclid(INTERVAL_MS);
    let week_start = from_millis(week_interval * INTERVAL_MS);
    let history_from = week_start - chrono::Duration::weeks(WEEKS);
    let history_until = now.min(week_start).max(history_from);
    let replies_from = (history_until - chrono::Duration::days(HANDLE_DAYS)).max(history_from);
    let (history, channels, agents, policies) = tokio::try_join!(
        store.staffing_history(
            ws,
            history_from,
            history_until,
            replies_from,
            HANDLE_CAP_SECONDS * 1000
        ),
        store.list_channels(ws),
        store.list_agents(ws),
        store.list_sla_policies(ws),
    )?;

    // Per channel: arrivals per interval, conversations per policy.
    let mut counts: HashMap<ChannelId, HashMap<i64, i64>> = HashMap::new();
    let mut by_policy: HashMap<ChannelId, HashMap<Option<i64>, i64>> = HashMap::new();
    for &(ch, interval, policy, n) in &history.arrivals {
        *counts.entry(ch).or_default().entry(interval).or_default() += n;
        *by_policy.entry(ch).or_default().entry(policy).or_default() += n;
    }
    let first_day: HashMap<ChannelId, i64> = history.first_day.iter().copied().collect();
    let replies: HashMap<ChannelId, ReplySample> = history.replies.iter().copied().collect();
    let planned: Vec<&earshot_core::Channel> = channels
        .iter()
        .filter(|c| {
            (c.role == ChannelRole::Owned && counts.contains_key(&c.id)) || Some(c.id) == channel
        })
        .collect();

    // Who is scheduled where: online agents, shared equally among the channels they may take.
    let online: Vec<&earshot_core::Agent> = agents
        .iter()
        .filter(|a| a.availability == earshot_core::assign::Availability::Online)
        .collect();
    let may_take = |a: &earshot_core::Agent, c: &earshot_core::Channel| {
        a.skills.channels.is_empty() || a.skills.channels.contains(&c.kind)
    };
    let shares: Vec<f64> = online
        .iter()
        .map(|a| {
            let n = planned.iter().filter(|c| may_take(a, c)).count();
            if n == 0 {
                0.0
            } else {
                1.0 / n as f64
            }
        })
        .collect();

    let observed_until = to_millis(history_until).div_euclid(INTERVAL_MS);
    let mut out = Vec::new();
    for c in planned
        .iter()
        .filter(|c| channel.is_none_or(|id| id == c.id))
    {
        let empty = HashMap::new();
        let counts = counts.get(&c.id).unwrap_or(&empty);
        let observed_from = first_day.get(&c.id).map_or(observed_until, |d| d * 48);
        let forecast = forecast_week(counts, week_interval, observed_from, observed_until);
        let replies_interval = to_millis(replies_from).div_euclid(INTERVAL_MS);
        let conversations: i64 = counts
            .iter()
            .filter(|(&i, _)| i >= replies_interval)
            .map(|(_, n)| n)
            .sum();
        let handle = handle_time(
            &replies.get(&c.id).copied().unwrap_or_default(),
            conversations,
        );
        let begun: i64 = counts.values().sum();
        let (policy, source) = policy_of(by_policy.get(&c.id), &policies, begun)?;
        let answer_within = policy.first_response.num_seconds() as f64;
        let targets = Targets::new(
            params.target,
            answer_within,
            params.occupancy,
            params.shrinkage,
        )
        .map_err(StoreError::Invalid)?;
        let concurrency = params
            .concurrency
            .unwrap_or_else(|| default_concurrency(c.kind))
            .max(1);
        let (mut scheduled, mut slots) = (0.0, 0.0);
        for (a, share) in online.iter().zip(&shares) {
            if may_take(a, c) {
                scheduled += share;
                slots += share * f64::from(concurrency.min(a.capacity));
            }
        }
        let servers = scheduled_servers(slots, params.shrinkage);
        let intervals: Vec<Interval> = forecast
            .arrivals
            .iter()
            .enumerate()
            .map(|(s, &arrivals)| {
                let need = agents_needed(arrivals, handle.seconds, concurrency, &targets);
                Interval {
                    start: from_millis((week_interval + s as i64) * INTERVAL_MS),
                    arrivals,
                    agents_needed: need.agents,
                    on_contacts: need.on_contacts,
                    scheduled,
                    expected_service_level: (arrivals > 0.0).then(|| {
                        service_level(
                            servers,
                            load_of(arrivals, handle.seconds),
                            handle.seconds,
                            answer_within,
                        )
                    }),
                }
            })
            .collect();
        debug_assert_eq!(intervals.len(), INTERVALS_PER_WEEK);
        out.push(ChannelPlan {
            channel_id: c.id,
            kind: c.kind.as_str().to_string(),
            name: c.name.clone(),
            sla_policy: policy.name.clone(),
            sla_policy_source: source,
            answer_within_seconds: answer_within,
            concurrency,
            handle_time: handle,
            forecast_basis: forecast.basis,
            trend: forecast.trend,
            conversations_expected: forecast.arrivals.iter().sum(),
            scheduled_agents: scheduled,
            scheduled_slots: slots,
            peak_agents_needed: intervals.iter().map(|i| i.agents_needed).max().unwrap_or(0),
            expected_compliance: compliance(&intervals),
            intervals,
        });
    }
    let expected_compliance = compliance(out.iter().flat_map(|c| &c.intervals));
    Ok(Plan {
        week_start,
        history_from,
        history_until,
        params: *params,
        scheduled_means: SCHEDULED_MEANS,
        channels: out,
        expected_compliance,
    })
}

fn compliance<'a>(intervals: impl IntoIterator<Item = &'a Interval>) -> Option<f64> {
    weighted_compliance(
        intervals
            .into_iter()
            .filter_map(|i| i.expected_service_level.map(|sl| (i.arrivals, sl))),
    )
}

/// The policy applied to most of a channel's conversations, with why; the out-of-the-box
/// one when none was applied to any.
fn policy_of(
    applied: Option<&HashMap<Option<i64>, i64>>,
    policies: &[earshot_core::workflow::SlaPolicyRecord],
    conversations: i64,
) -> StoreResult<(Policy, String)> {
    let most = applied.and_then(|m| {
        m.iter()
            .filter_map(|(p, n)| p.map(|p| (p, *n)))
            .max_by_key(|&(p, n)| (n, std::cmp::Reverse(p)))
    });
    if let Some((id, n)) = most {
        if let Some(record) = policies.iter().find(|r| r.id == id) {
            let policy = record
                .policy
                .compile()
                .map_err(|e| StoreError::Invalid(format!("SLA policy {id}: {}", e.0)))?;
            let share = n as f64 / conversations.max(1) as f64;
            return Ok((
                policy,
                format!(
                    "applied to {:.0}% of the channel's conversations in the weeks read",
                    share * 100.0
                ),
            ));
        }
    }
    Ok((
        Policy::out_of_the_box("normal"),
        "out of the box: no policy was applied to the channel's conversations in the weeks read"
            .to_string(),
    ))
}
