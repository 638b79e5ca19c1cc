//! Staffing per channel (issue 17): how many agents each half-hour of the coming week needs to
//! meet the workspace's first-response target, from the channel's own history. Pure: the
//! store counts, the engine (`earshot_engine::staffing`) puts the counts through these
//! functions.
//!
//! **Erlang C.** Contacts arrive at random (Poisson) and wait in one queue for the first of
//! `N` servers; handle times are exponential. With a load of `A = λ·AHT` Erlangs, the chance
//! that a contact waits is `P_wait = C(N, A)`, computed from the Erlang B recurrence
//! `B(0) = 1, B(n) = A·B(n−1) / (n + A·B(n−1))` and `C = N·B / (N − A·(1 − B))` — no
//! factorials or powers, so it stays exact for hundreds of servers. The share answered within
//! `t` is `SL(t) = 1 − P_wait·e^(−(N−A)·t/AHT)`, the average speed of answer
//! `ASA = P_wait·AHT/(N − A)`, occupancy `A/N`. With `N ≤ A` the queue grows without bound:
//! nobody is answered in time (`SL = 0`).
//!
//! **Agents needed** in an interval: the least `N` with `SL(t) ≥` the target share and
//! occupancy `≤` the cap ([`servers_needed`]); then raised by shrinkage (breaks, training,
//! absence: the share of paid time not spent on contacts), `⌈N / (1 − shrinkage)⌉`
//! ([`with_shrinkage`]).
//!
//! **Concurrency (asynchronous channels).** On email, social networks and messaging an agent
//! works several conversations at once: while one customer types, the agent answers another.
//! Earshot models an agent who works `k` conversations at once as `k` servers of the queue,
//! each conversation holding one of them for its handle time as measured (the time the brand
//! owed the customer a reply, which already includes the agent switching between their
//! conversations). Agents needed are then `⌈servers / (k·(1 − shrinkage))⌉`. The other common model — one server
//! per agent with the handle time divided by `k` — would pretend an agent writes each reply
//! `k` times faster, which shortens every wait in the formula's exponent as well and so
//! understates how long a customer waits when all slots are full; `k` servers keep each
//! conversation's own duration. The defaults per channel kind are [`default_concurrency`];
//! an agent never counts for more slots than their capacity (most open conversations).
//!
//! **Forecast** ([`forecast_week`]): for each half-hour of the coming week, the mean of the
//! same half-hour of the week over the previous [`WEEKS`] weeks (only weeks the channel's
//! history covers: after its first conversation and before the history ends), times a trend
//! factor — the newest complete week's total over the mean of the complete weeks' totals
//! (two complete weeks at least; else 1), bounded to [`TREND_BOUNDS`] so one unusual week
//! cannot double or halve a plan. With less than a week of history, a half-hour no past
//! week covers takes the mean of the same half-hour of the day over the days covered; with
//! no history the forecast is zero and says so. Times are UTC, like the dashboard's days.
//!
//! **Limits.** Erlang C assumes nobody abandons and every contact is independent: a burst
//! (an outage that everyone tweets about) is not Poisson, and the model overstates the agents
//! needed when customers give up. The forecast cannot foresee a campaign or a holiday; the
//! trend is a level adjustment, not a model of growth. The SLA calendar's working hours are
//! not applied: every half-hour is planned as if the clock ran.

use crate::{ChannelId, ChannelKind};
use serde::Serialize;
use std::collections::HashMap;

/// Seconds in a planning interval.
pub const INTERVAL_SECONDS: f64 = 1800.0;
/// Milliseconds in a planning interval (interval numbers are Unix milliseconds / this).
pub const INTERVAL_MS: i64 = 1_800_000;
/// Planning intervals in a week (48 a day).
pub const INTERVALS_PER_WEEK: usize = 336;
/// Weeks of history the forecast reads.
pub const WEEKS: i64 = 4;
/// The trend factor is kept within these bounds.
pub const TREND_BOUNDS: (f64, f64) = (2.0 / 3.0, 1.5);
/// A reply that came longer than this after the customer's message waited in a queue: its
/// time is not taken as work ([`handle_time`]).
pub const HANDLE_CAP_SECONDS: i64 = 15 * 60;
/// The time a reply takes when a channel has too few quick replies to measure it.
pub const DEFAULT_REPLY_SECONDS: f64 = 300.0;
/// The fewest quick replies from which a channel's own reply time is used.
pub const MIN_REPLIES: i64 = 20;

const INTERVALS_PER_DAY: i64 = 48;

/// The chance that a contact waits (Erlang C) with `servers` servers and `load` Erlangs;
/// 1 when the servers cannot carry the load.
pub fn p_wait(servers: u32, load: f64) -> f64 {
    if load <= 0.0 {
        return 0.0;
    }
    let n = f64::from(servers);
    if n <= load {
        return 1.0;
    }
    // Erlang B by its recurrence, then C from B.
    let mut b = 1.0;
    for k in 1..=servers {
        b = load * b / (f64::from(k) + load * b);
    }
    n * b / (n - load * (1.0 - b))
}

/// The share of contacts answered within `answer_within` seconds, 0..=1.
pub fn service_level(servers: u32, load: f64, handle_seconds: f64, answer_within: f64) -> f64 {
    if load <= 0.0 {
        return 1.0;
    }
    let n = f64::from(servers);
    if n <= load {
        return 0.0;
    }
    let waits = p_wait(servers, load) * (-(n - load) * answer_within / handle_seconds).exp();
    (1.0 - waits).clamp(0.0, 1.0)
}

/// The average wait before an answer, in seconds (infinite when the load cannot be carried).
pub fn average_speed_of_answer(servers: u32, load: f64, handle_seconds: f64) -> f64 {
    if load <= 0.0 {
        return 0.0;
    }
    let n = f64::from(servers);
    if n <= load {
        return f64::INFINITY;
    }
    p_wait(servers, load) * handle_seconds / (n - load)
}

/// The share of the servers' time spent on contacts, 0..=1.
pub fn occupancy(servers: u32, load: f64) -> f64 {
    if servers == 0 {
        return if load > 0.0 { 1.0 } else { 0.0 };
    }
    (load / f64::from(servers)).clamp(0.0, 1.0)
}

/// The load in Erlangs of `arrivals` contacts in one interval, each held `handle_seconds`.
pub fn load_of(arrivals: f64, handle_seconds: f64) -> f64 {
    arrivals.max(0.0) * handle_seconds / INTERVAL_SECONDS
}

/// What an interval must achieve.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Targets {
    /// The share of contacts answered within `answer_within_seconds` (0.8).
    pub share: f64,
    pub answer_within_seconds: f64,
    /// The most occupancy allowed (0.85): above it agents burn out, whatever the SLA says.
    pub max_occupancy: f64,
    /// The share of paid time not spent on contacts (0.3).
    pub shrinkage: f64,
}

impl Targets {
    /// Checks each share; the error names the one out of range.
    pub fn new(
        share: f64,
        answer_within_seconds: f64,
        max_occupancy: f64,
        shrinkage: f64,
    ) -> Result<Self, String> {
        if !(share > 0.0 && share < 1.0) {
            return Err(format!("`target`: {share} is not a share between 0 and 1"));
        }
        if !(answer_within_seconds > 0.0 && answer_within_seconds.is_finite()) {
            return Err(format!(
                "the answer-within time {answer_within_seconds} s is not positive"
            ));
        }
        if !(max_occupancy > 0.0 && max_occupancy <= 1.0) {
            return Err(format!(
                "`occupancy`: {max_occupancy} is not a share above 0 and at most 1"
            ));
        }
        if !(0.0..1.0).contains(&shrinkage) {
            return Err(format!(
                "`shrinkage`: {shrinkage} is not a share from 0 up to (not including) 1"
            ));
        }
        Ok(Self {
            share,
            answer_within_seconds,
            max_occupancy,
            shrinkage,
        })
    }
}

/// The least number of servers that answers `targets.share` of the contacts within the
/// target time with occupancy at most the cap; 0 when there is no load.
pub fn servers_needed(load: f64, handle_seconds: f64, targets: &Targets) -> u32 {
    if load <= 0.0 {
        return 0;
    }
    // Start where the occupancy cap allows and the queue is stable, then add one at a time
    // (SL rises with every server, so the first that meets the target is the least).
    let by_occupancy = (load / targets.max_occupancy - 1e-9).ceil().max(1.0);
    let mut n = (by_occupancy as u32).max(load.floor() as u32 + 1);
    while service_level(n, load, handle_seconds, targets.answer_within_seconds) < targets.share {
        n += 1;
    }
    n
}

/// One interval's need.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Need {
    /// Load in Erlangs (conversation slots busy on average).
    pub load: f64,
    /// Servers (conversation slots) the targets need.
    pub servers: u32,
    /// Agents working contacts: `⌈servers / concurrency⌉`.
    pub on_contacts: u32,
    /// Agents to schedule, shrinkage included: `⌈servers / (concurrency·(1 − shrinkage))⌉`.
    pub agents: u32,
    /// The service level and occupancy those servers give.
    pub service_level: f64,
    pub occupancy: f64,
}

/// The agents an interval needs for `arrivals` contacts held `handle_seconds` each, agents
/// working `concurrency` conversations at once.
pub fn agents_needed(
    arrivals: f64,
    handle_seconds: f64,
    concurrency: u32,
    targets: &Targets,
) -> Need {
    let load = load_of(arrivals, handle_seconds);
    let servers = servers_needed(load, handle_seconds, targets);
    let k = concurrency.max(1);
    let on_contacts = servers.div_ceil(k);
    let agents = with_shrinkage(servers, k, targets.shrinkage);
    Need {
        load,
        servers,
        on_contacts,
        agents,
        service_level: service_level(servers, load, handle_seconds, targets.answer_within_seconds),
        occupancy: occupancy(servers, load),
    }
}

/// The agents to schedule for `servers` busy slots, each agent working `concurrency`
/// conversations at once for the share of their time shrinkage leaves:
/// `⌈servers / (concurrency·(1 − shrinkage))⌉` (rounded once, at the end, so that an agent's
/// spare slots are not rounded up twice), without the float noise that would make 14 / 0.7
/// into 21.
pub fn with_shrinkage(servers: u32, concurrency: u32, shrinkage: f64) -> u32 {
    let per_agent = f64::from(concurrency.max(1)) * (1.0 - shrinkage.clamp(0.0, 0.99));
    (f64::from(servers) / per_agent - 1e-9).ceil().max(0.0) as u32
}

/// The servers that `scheduled` agents give, each working `slots` conversations at once, once
/// shrinkage takes its share (whole servers: a part of a slot answers nobody).
pub fn scheduled_servers(scheduled_slots: f64, shrinkage: f64) -> u32 {
    (scheduled_slots * (1.0 - shrinkage) + 1e-9)
        .floor()
        .max(0.0) as u32
}

/// How many conversations an agent works at once on a channel of this kind, unless the
/// workspace says otherwise: one for the API (a synchronous integration), two for live chat
/// and private messaging (a customer waits at the screen), three for email and public social
/// networks (nobody expects an answer within seconds, and agents batch them).
pub fn default_concurrency(kind: ChannelKind) -> u32 {
    use ChannelKind::*;
    match kind {
        Api => 1,
        WebChat | Whatsapp | Telegram | Facebook | Instagram => 2,
        X | Mastodon | Reddit | Discourse | Review | Web | Email => 3,
    }
}

/// What the store measured of a channel's replies ([`handle_time`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReplySample {
    /// The brand's replies (not automated) to a customer message.
    pub replies: i64,
    /// Those that came within [`HANDLE_CAP_SECONDS`] of the customer's message.
    pub quick_replies: i64,
    /// The time those quick replies took, in all (milliseconds).
    pub quick_reply_ms: i64,
}

/// A channel's average handle time per conversation, and what it came from.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct HandleTime {
    /// Average handle time of a conversation, seconds.
    pub seconds: f64,
    /// The time one reply takes, seconds.
    pub per_reply_seconds: f64,
    /// The brand's replies per conversation begun.
    pub replies_per_conversation: f64,
    /// False when the channel had fewer than [`MIN_REPLIES`] quick replies and
    /// [`DEFAULT_REPLY_SECONDS`] stood in.
    pub measured: bool,
}

/// Average handle time per conversation from what was stored (there is no on-screen timer):
/// a reply that came within [`HANDLE_CAP_SECONDS`] of the customer's message (the newest one
/// before it) is taken as the time it took to write, an upper bound that includes the moments
/// the message waited; a later reply waited in a queue, so its time is not work, and it counts
/// as a typical reply. A conversation takes the channel's replies per conversation begun (at
/// least one) times that. The consecutive actions of one agent would measure work more
/// closely, but replies imported from the platforms name no agent.
pub fn handle_time(sample: &ReplySample, conversations: i64) -> HandleTime {
    let measured = sample.quick_replies >= MIN_REPLIES;
    let per_reply = if measured {
        sample.quick_reply_ms as f64 / 1000.0 / sample.quick_replies as f64
    } else {
        DEFAULT_REPLY_SECONDS
    };
    let per_conversation = if conversations > 0 {
        (sample.replies as f64 / conversations as f64).max(1.0)
    } else {
        1.0
    };
    HandleTime {
        seconds: (per_reply * per_conversation).max(1.0),
        per_reply_seconds: per_reply,
        replies_per_conversation: per_conversation,
        measured,
    }
}

/// What the store reads for a plan (`Store::staffing_history`), from one time to another.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StaffingHistory {
    /// Conversations begun: (channel, interval number = Unix ms / [`INTERVAL_MS`], the SLA
    /// policy applied to them or none, how many).
    pub arrivals: Vec<(ChannelId, i64, Option<i64>, i64)>,
    /// For each channel in `arrivals`: the UTC day (days since 1970-01-01) of its first
    /// conversation ever, where its history starts.
    pub first_day: Vec<(ChannelId, i64)>,
    /// The brand's replies per channel ([`handle_time`]).
    pub replies: Vec<(ChannelId, ReplySample)>,
}

/// The forecast of a channel's coming week.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Forecast {
    /// Conversations expected in each half-hour of the week, from its start.
    pub arrivals: Vec<f64>,
    /// The trend factor applied (1 without two complete weeks).
    pub trend: f64,
    /// Complete weeks of history read.
    pub complete_weeks: u32,
    /// How the forecast was made, in words.
    pub basis: String,
}

/// The coming week's arrivals per half-hour (see the module's docs). `counts` holds
/// conversations begun per interval number (Unix ms / [`INTERVAL_MS`]); history is what lies
/// in `observed_from..observed_until` (interval numbers; before the channel's first
/// conversation is not history, nor is what has not happened yet); the week starts at
/// interval `week_start`.
pub fn forecast_week(
    counts: &HashMap<i64, i64>,
    week_start: i64,
    observed_from: i64,
    observed_until: i64,
) -> Forecast {
    let week = INTERVALS_PER_WEEK as i64;
    let covered = |i: i64| i >= observed_from && i < observed_until.min(week_start);
    let count = |i: i64| counts.get(&i).copied().unwrap_or(0) as f64;
    // Complete weeks and their totals, newest first.
    let complete: Vec<f64> = (1..=WEEKS)
        .filter(|w| covered(week_start - week * w) && covered(week_start - week * (w - 1) - 1))
        .map(|w| (0..week).map(|s| count(week_start - week * w + s)).sum())
        .collect();
    let trend = if complete.len() >= 2 {
        let mean = complete.iter().sum::<f64>() / complete.len() as f64;
        if mean > 0.0 {
            (complete[0] / mean).clamp(TREND_BOUNDS.0, TREND_BOUNDS.1)
        } else {
            1.0
        }
    } else {
        1.0
    };
    let mut weeks_read = 0;
    let mut days_read = 0;
    let arrivals = (0..week)
        .map(|s| {
            let same_week: Vec<f64> = (1..=WEEKS)
                .map(|w| week_start + s - week * w)
                .filter(|&i| covered(i))
                .map(count)
                .collect();
            if !same_week.is_empty() {
                weeks_read = weeks_read.max(same_week.len());
                return trend * same_week.iter().sum::<f64>() / same_week.len() as f64;
            }
            let same_day: Vec<f64> = (1..=WEEKS * 7)
                .map(|d| week_start + s - INTERVALS_PER_DAY * d)
                .filter(|&i| covered(i))
                .map(count)
                .collect();
            if same_day.is_empty() {
                return 0.0;
            }
            days_read = days_read.max(same_day.len());
            trend * same_day.iter().sum::<f64>() / same_day.len() as f64
        })
        .collect();
    let basis = match (weeks_read, days_read) {
        (0, 0) => "no history: nothing forecast".to_string(),
        (0, d) => format!("the same half-hour of the day over {d} day(s) (less than a week of history)"),
        (w, 0) => format!(
            "the mean of the same half-hour of the week over {w} week(s), times a trend of {trend:.2}"
        ),
        (w, d) => format!(
            "the same half-hour of the week over up to {w} week(s), of the day over {d} day(s) where no week covers it, times a trend of {trend:.2}"
        ),
    };
    Forecast {
        arrivals,
        trend,
        complete_weeks: complete.len() as u32,
        basis,
    }
}

/// The arrival-weighted share answered in time: Σ arrivals·SL / Σ arrivals (`None` when
/// nothing is expected).
pub fn weighted_compliance(items: impl IntoIterator<Item = (f64, f64)>) -> Option<f64> {
    let (mut weight, mut met) = (0.0, 0.0);
    for (arrivals, sl) in items {
        weight += arrivals;
        met += arrivals * sl;
    }
    (weight > 0.0).then(|| met / weight)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn targets(share: f64, within: f64) -> Targets {
        Targets::new(share, within, 0.85, 0.3).unwrap()
    }

    /// Call Centre Helper, "Erlang C Formula – Made Simple With an Easy Worked Example":
    /// 100 calls in 30 minutes, AHT 180 s, 80% answered in 20 s, occupancy at most 85%,
    /// shrinkage 30%; A = 10 Erlangs, and the search starts at N = A + 1 = 11 (the inputs and
    /// those steps as published). The later figures, as the issue states them (14 agents,
    /// SL ≈ 0.89), were checked here against the factorial form of the formula computed
    /// separately (Python, exact factorials): P_wait(11) = 0.6821, SL(11) = 0.3896,
    /// SL(12) = 0.6402, SL(13) = 0.7956, SL(14) = 0.8884 (≈ 0.89), ASA(14) = 7.84 s,
    /// occupancy 71.4%, and 14 / (1 − 0.3) = 20 agents with shrinkage.
    #[test]
    fn the_published_worked_example_needs_14_agents_20_with_shrinkage() {
        let load = load_of(100.0, 180.0);
        assert!((load - 10.0).abs() < 1e-12);
        assert!((p_wait(11, load) - 0.6821).abs() < 5e-5);
        for (n, sl) in [(11, 0.3896), (12, 0.6402), (13, 0.7956), (14, 0.8884)] {
            let got = service_level(n, load, 180.0, 20.0);
            assert!((got - sl).abs() < 5e-5, "SL({n}) = {got}, published {sl}");
        }
        assert!((average_speed_of_answer(14, load, 180.0) - 7.84).abs() < 0.005);
        assert!((occupancy(14, load) - 0.7143).abs() < 5e-5);
        let need = agents_needed(100.0, 180.0, 1, &targets(0.8, 20.0));
        assert_eq!((need.servers, need.on_contacts, need.agents), (14, 14, 20));
        assert!((need.service_level - 0.8884).abs() < 5e-5);
    }

    #[test]
    fn the_recurrence_stays_finite_where_factorials_overflow() {
        // 171! overflows an f64; a load of 500 Erlangs needs more servers than that.
        let need = agents_needed(5000.0, 180.0, 1, &targets(0.8, 20.0));
        assert!(need.servers > 500 && need.servers < 600, "{need:?}");
        assert!(need.service_level >= 0.8 && need.service_level.is_finite());
        let p = p_wait(600, 500.0);
        assert!(p > 0.0 && p < 1.0);
    }

    #[test]
    fn no_arrivals_need_no_agents() {
        let need = agents_needed(0.0, 180.0, 3, &targets(0.8, 20.0));
        assert_eq!((need.servers, need.on_contacts, need.agents), (0, 0, 0));
        assert_eq!(service_level(0, 0.0, 180.0, 20.0), 1.0);
    }

    #[test]
    fn servers_that_cannot_carry_the_load_are_never_enough() {
        for n in [0, 5, 9, 10] {
            assert_eq!(service_level(n, 10.0, 180.0, 3600.0), 0.0, "{n}");
            assert_eq!(p_wait(n, 10.0), 1.0);
            assert!(average_speed_of_answer(n, 10.0, 180.0).is_infinite());
        }
        // With an answer time of a day the SLA is met by any stable N: the 85% occupancy
        // cap asks 12 servers for a load of 10.
        assert_eq!(servers_needed(10.0, 180.0, &targets(0.5, 86_400.0)), 12);
    }

    #[test]
    fn more_agents_never_lower_the_service_level() {
        for load in [0.3, 2.5, 10.0, 47.0] {
            let mut last = 0.0;
            for n in 0..120 {
                let sl = service_level(n, load, 240.0, 30.0);
                assert!(sl >= last - 1e-12, "load {load}: SL({n}) = {sl} < {last}");
                last = sl;
            }
            assert!(last > 0.999);
        }
    }

    #[test]
    fn the_occupancy_cap_binds_when_the_answer_time_is_long() {
        // An email answered within a day: SL is met by any stable N; 85% occupancy is not.
        let t = Targets::new(0.8, 86_400.0, 0.85, 0.0).unwrap();
        let need = agents_needed(170.0, 900.0, 1, &t); // 85 Erlangs
        assert_eq!(need.servers, 100);
        assert!(need.occupancy <= 0.85);
        // Three conversations at once: a third of the agents.
        let need = agents_needed(170.0, 900.0, 3, &t);
        assert_eq!((need.servers, need.on_contacts, need.agents), (100, 34, 34));
    }

    #[test]
    fn targets_name_the_share_out_of_range() {
        assert!(Targets::new(1.0, 20.0, 0.85, 0.3)
            .unwrap_err()
            .contains("`target`"));
        assert!(Targets::new(0.8, 20.0, 0.0, 0.3)
            .unwrap_err()
            .contains("`occupancy`"));
        assert!(Targets::new(0.8, 20.0, 0.85, 1.0)
            .unwrap_err()
            .contains("`shrinkage`"));
        assert!(Targets::new(0.8, 0.0, 0.85, 0.3).is_err());
        assert_eq!(with_shrinkage(14, 1, 0.3), 20);
        assert_eq!(with_shrinkage(0, 3, 0.3), 0);
        // One slot at three at once: one agent, not ⌈1 / 0.7⌉ = 2 rounded up after the slots.
        assert_eq!(with_shrinkage(1, 3, 0.3), 1);
        assert_eq!(with_shrinkage(6, 3, 0.3), 3);
        assert_eq!(scheduled_servers(20.0, 0.3), 14);
    }

    #[test]
    fn handle_time_counts_quick_replies_as_work_and_later_ones_as_typical() {
        let sample = ReplySample {
            replies: 60,
            quick_replies: 40,
            quick_reply_ms: 40 * 240_000,
        };
        let h = handle_time(&sample, 30);
        assert!(h.measured);
        assert_eq!(h.per_reply_seconds, 240.0);
        assert_eq!(h.replies_per_conversation, 2.0);
        assert_eq!(h.seconds, 480.0);
        let few = handle_time(
            &ReplySample {
                replies: 3,
                quick_replies: 3,
                quick_reply_ms: 3_000,
            },
            10,
        );
        assert!(!few.measured);
        assert_eq!(
            few.seconds, DEFAULT_REPLY_SECONDS,
            "at least one reply each"
        );
    }

    fn weekly(weeks: &[i64], start: i64, slot: i64) -> HashMap<i64, i64> {
        // `weeks[0]` is the newest week before `start`.
        weeks
            .iter()
            .enumerate()
            .map(|(w, &n)| (start - 336 * (w as i64 + 1) + slot, n))
            .collect()
    }

    #[test]
    fn the_forecast_is_the_seasonal_mean_times_a_bounded_trend() {
        let start = 336 * 3000;
        // The same Monday half-hour: 12, 10, 8, 10 conversations, newest first.
        let counts = weekly(&[12, 10, 8, 10], start, 20);
        let f = forecast_week(&counts, start, 0, start);
        assert_eq!(f.complete_weeks, 4);
        // Totals 12, 10, 8, 10: mean 10, newest 12 → trend 1.2; seasonal mean 10.
        assert!((f.trend - 1.2).abs() < 1e-12);
        assert!((f.arrivals[20] - 12.0).abs() < 1e-9);
        assert_eq!(f.arrivals[21], 0.0);
        assert!(f.basis.contains("4 week"), "{}", f.basis);
        // A week ten times the others is bounded.
        let spike = weekly(&[100, 10, 10, 10], start, 5);
        assert_eq!(forecast_week(&spike, start, 0, start).trend, 1.5);
    }

    #[test]
    fn less_history_reads_what_there_is_and_none_forecasts_nothing() {
        let start = 336 * 3000;
        // History began two weeks ago: two samples and two complete weeks (6 then 2).
        let counts = weekly(&[6, 2, 50, 50], start, 7);
        let f = forecast_week(&counts, start, start - 2 * 336, start);
        assert_eq!(f.complete_weeks, 2);
        // The mean of the two samples (4) times the trend: the newest week (6) over the mean
        // of the complete weeks (4), 1.5 — each stated, not taken from the result.
        assert_eq!(f.trend, 1.5, "{f:?}");
        assert!((f.arrivals[7] - 6.0).abs() < 1e-9, "{f:?}");
        // Three days of history: the same half-hour of the day.
        let days: HashMap<i64, i64> = (1..=3).map(|d| (start - 48 * d + 10, 3)).collect();
        let f = forecast_week(&days, start, start - 3 * 48, start);
        assert_eq!(f.complete_weeks, 0);
        assert_eq!(f.trend, 1.0);
        assert!((f.arrivals[10] - 3.0).abs() < 1e-9);
        assert!(
            (f.arrivals[10 + 48 * 4] - 3.0).abs() < 1e-9,
            "every day alike"
        );
        assert!(f.basis.contains("day"), "{}", f.basis);
        let none = forecast_week(&HashMap::new(), start, start, start);
        assert!(none.arrivals.iter().all(|&a| a == 0.0));
        assert!(none.basis.starts_with("no history"));
        // What has not happened yet is not a zero: history that ends mid-week.
        let counts = weekly(&[9, 9], start, 300);
        let f = forecast_week(&counts, start, start - 2 * 336, start - 336 + 200);
        assert_eq!((f.complete_weeks, f.trend), (1, 1.0));
        assert!(
            (f.arrivals[300] - 9.0).abs() < 1e-9,
            "only the older week covers it"
        );
    }

    #[test]
    fn compliance_weighs_each_interval_by_its_arrivals() {
        assert_eq!(weighted_compliance([(3.0, 1.0), (1.0, 0.0)]), Some(0.75));
        assert_eq!(weighted_compliance([(0.0, 0.2)]), None);
    }
}
