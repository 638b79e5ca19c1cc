//! `earshot bench emerging`: emerging-issue (spike) detection on a documented synthetic
//! stream, scored against the spikes injected into it, beside a fixed-threshold baseline in
//! the same run; then the real TWCS sample replayed at its timestamps.
//!
//! # The stream
//!
//! Seeded (`--seed`; the same seed gives the same stream), in 5-minute slots from Monday
//! 2024-01-01 00:00 UTC: [`HISTORY_DAYS`] days of history, then `--days` judged (14 by
//! default). Nine series ([`TOPICS`]), from near-silent (0.05 messages an hour on average) to
//! busy (400 an hour), each at its mean level times:
//!
//! * the hour of the day ([`HOUR_OF_DAY`]: quiet nights at a fifth of the mean, a morning
//!   ramp, busy office hours, a lunch dip, a falling evening),
//! * the day of the week ([`DAY_OF_WEEK`]: Monday the busiest, weekends at about half),
//! * a Monday-morning peak (08:00–11:00 Monday, ×[`MONDAY_PEAK`]),
//! * for the series of 30 messages an hour or more, a Gamma-distributed factor of mean 1 and
//!   coefficient of variation [`BIG_SERIES_CV`] drawn each hour (overdispersion: big series
//!   wander hour to hour more than Poisson),
//!
//! and each 5-minute count is Poisson at a twelfth of that hourly rate (the product is
//! normalized so that its average over a week is the series' mean).
//!
//! **Spikes.** `--spikes` (30) are injected in the judged days on the first eight series (not
//! the trending one), each at a random 5-minute start, at least 6 hours from any other spike or
//! decoy of its series; lengths drawn evenly from [`SPIKE_MINUTES`] (15 minutes to 6 hours);
//! size: a factor `m` drawn log-uniformly in 1.5–10, so that the spike adds messages at
//! `(m − 1)` times the series' usual rate at that moment, and at least `N` messages in all on
//! average (`N` drawn evenly in 10–40; each 5-minute slot's added count is Poisson at the
//! larger of the two rates, so a spike's added total is drawn, not fixed), so that a spike on a near-silent
//! series ("10× of nothing") still is something a care team would want to hear of.
//!
//! **Decoys** ([`decoys`]): ten things that should not raise an alert, all in the first judged
//! week: Monday-morning peaks (in the history every week), a slow trend, tiny bursts, a busy
//! hour and a busy afternoon within a series' ordinary wander, a weekly newsletter burst (in
//! the history too), the week after a past outage, a day 10 % busier.
//!
//! # Scoring
//!
//! The detector runs as it would live: every 5 minutes, [`earshot_core::emerging::judge_live`]
//! on what had arrived by then (the windows ending at that minute; the series' wander measured
//! on the hours before). An alert is *raised* when a series is judged a spike, had none in the
//! hour before, and the window judged does not reach back to the series' last judgement (one
//! alert per episode, as a care team would see it: a 6-hour window still holding a rise
//! flagged three hours ago is that rise). A spike's interval is
//! from its start to its end or one hour after its start, whichever is later (a 15-minute
//! spike may be seen only by the hour that holds it). A raised alert is a true positive when
//! it falls in the interval of a spike of its series; a spike is detected when any judgement of
//! its series falls in its interval, its delay the minutes from its start to the first;
//! precision is true raised alerts over raised alerts, recall detected spikes over spikes.
//!
//! **Baseline.** A fixed threshold, as a simple dashboard would have it: at each hour's end,
//! an hour whose count exceeds `k` times the series' mean hourly count over the history (and
//! holds at least [`MIN_OBSERVED`] messages, as the detector needs) is a spike; same episodes,
//! same scoring. `k` is chosen fairly, and in its favour: the `k` of [`BASELINE_KS`] with the
//! best F1 on a *different* stream (seed + 1), then used on this one.

use clap::Args;
use earshot_core::emerging::{
    dispersion, judge_live, FiveMinutes, Hourly, Spike, Window, MIN_OBSERVED,
};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct EmergingBench {
    /// Stream seed; the baseline's `k` is chosen on the stream of seed + 1.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Days judged after the history.
    #[arg(long, default_value_t = 14)]
    pub days: i64,
    /// Spikes injected into the judged days.
    #[arg(long, default_value_t = 30)]
    pub spikes: usize,
    /// Data directory holding conversations/twcs/twcs_first5000.csv.
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Also run the seeds 1..=N (each with its own baseline `k`) and print their figures.
    #[arg(long, default_value_t = 0)]
    pub sweep: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Days of history before the judged ones: the 4 weeks the weekly baseline reads.
pub const HISTORY_DAYS: i64 = 28;
/// Monday 2024-01-01 00:00 UTC, in Unix minutes.
const START: i64 = 1_704_067_200 / 60;
const DAY: i64 = 1440;

/// A series of the stream: its name, mean messages an hour, and a slow trend (growth a day).
pub struct Topic {
    pub name: &'static str,
    pub level: f64,
    pub trend: f64,
}

pub const TOPICS: [Topic; 9] = [
    Topic {
        name: "account-deletion",
        level: 0.05,
        trend: 0.0,
    },
    Topic {
        name: "gift-cards",
        level: 0.3,
        trend: 0.0,
    },
    Topic {
        name: "app-crash",
        level: 1.0,
        trend: 0.0,
    },
    Topic {
        name: "refunds",
        level: 4.0,
        trend: 0.0,
    },
    Topic {
        name: "billing",
        level: 12.0,
        trend: 0.0,
    },
    Topic {
        name: "login",
        level: 40.0,
        trend: 0.0,
    },
    Topic {
        name: "delivery",
        level: 120.0,
        trend: 0.0,
    },
    Topic {
        name: "all-mentions",
        level: 400.0,
        trend: 0.0,
    },
    // Decoy 3: a product getting more popular, 1 % more messages each day.
    Topic {
        name: "new-product",
        level: 20.0,
        trend: 0.01,
    },
];
/// Series that receive spikes: all but the trending one.
const SPIKED: usize = 8;

/// Relative rate by hour of the day (UTC), before normalization.
pub const HOUR_OF_DAY: [f64; 24] = [
    0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.4, 0.7, 1.1, 1.5, 1.5, 1.5, 1.3, 1.3, 1.4, 1.4, 1.4, 1.2, 1.0,
    1.0, 1.0, 0.8, 0.6, 0.35,
];
/// Relative rate by day of the week, Monday first.
pub const DAY_OF_WEEK: [f64; 7] = [1.15, 1.05, 1.0, 1.0, 0.95, 0.6, 0.55];
/// Monday 08:00–11:00 is this much busier again.
pub const MONDAY_PEAK: f64 = 1.6;
/// Hour-to-hour wander of series of 30 messages an hour or more.
pub const BIG_SERIES_CV: f64 = 0.15;
/// Spike lengths, minutes.
pub const SPIKE_MINUTES: [i64; 6] = [15, 30, 60, 120, 180, 360];
/// The baseline's multiples of the mean hourly count.
pub const BASELINE_KS: [f64; 11] = [1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 15.0, 20.0];

fn raw_season(minute: i64) -> f64 {
    let hour = (minute.div_euclid(60)).rem_euclid(24) as usize;
    let day = (minute.div_euclid(DAY)).rem_euclid(7) as usize;
    let peak = if day == 0 && (8..11).contains(&hour) {
        MONDAY_PEAK
    } else {
        1.0
    };
    HOUR_OF_DAY[hour] * DAY_OF_WEEK[day] * peak
}

/// The seasonal factor at a minute of the stream (0 = its first Monday 00:00), of mean 1 over
/// a week.
fn season(minute: i64, norm: f64) -> f64 {
    raw_season(minute) / norm
}

fn season_norm() -> f64 {
    (0..168).map(|h| raw_season(h * 60)).sum::<f64>() / 168.0
}

/// An injected spike.
#[derive(Debug, Clone, Serialize)]
pub struct Injected {
    pub series: usize,
    /// Minutes from the stream's start.
    pub start: i64,
    pub minutes: i64,
    pub factor: f64,
    /// Messages it added.
    pub added: i64,
}

impl Injected {
    fn interval(&self) -> (i64, i64) {
        (self.start, (self.start + self.minutes).max(self.start + 60))
    }
}

/// Something that should not alert: on a series, over minutes of the stream.
#[derive(Debug, Clone, Serialize)]
pub struct Decoy {
    pub series: usize,
    pub start: i64,
    pub end: i64,
    pub what: &'static str,
}

pub struct Stream {
    pub hourly: Vec<Hourly>,
    pub five: Vec<FiveMinutes>,
    pub spikes: Vec<Injected>,
    pub decoys: Vec<Decoy>,
    /// Minutes from the stream's start: judged from `judged.0` to `judged.1`.
    pub judged: (i64, i64),
}

fn poisson(rng: &mut ChaCha8Rng, lambda: f64) -> i64 {
    let (mut left, mut n) = (lambda, 0);
    while left > 0.0 {
        let l = left.min(30.0);
        left -= l;
        let limit = (-l).exp();
        let mut p = 1.0f64;
        loop {
            p *= rng.random::<f64>();
            if p <= limit {
                break;
            }
            n += 1;
        }
    }
    n
}

fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-300);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
}

/// Gamma of shape `a` ≥ 1 and mean 1 (Marsaglia and Tsang).
fn gamma_mean_one(rng: &mut ChaCha8Rng, a: f64) -> f64 {
    let d = a - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = (1.0 + c * x).powi(3);
        if v <= 0.0 {
            continue;
        }
        let u: f64 = rng.random();
        if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
            return d * v / a;
        }
    }
}

/// The ten decoys, in the first judged week (see the module docs); minutes from the start.
pub fn decoys() -> Vec<Decoy> {
    let w5 = HISTORY_DAYS * DAY;
    let at = |day: i64, hour: i64, minute: i64| w5 + day * DAY + hour * 60 + minute;
    let index = |name: &str| TOPICS.iter().position(|t| t.name == name).unwrap();
    vec![
        Decoy {
            series: index("all-mentions"),
            start: at(0, 8, 0),
            end: at(0, 11, 0),
            what: "Monday-morning peak of the busiest series, as every Monday of the history",
        },
        Decoy {
            series: index("login"),
            start: at(0, 8, 0),
            end: at(0, 11, 0),
            what: "Monday-morning peak of a mid-sized series, as every Monday of the history",
        },
        Decoy {
            series: index("new-product"),
            start: at(0, 0, 0),
            end: at(7, 0, 0),
            what: "slow trend: 1 % more a day since the start, no hour sudden",
        },
        Decoy {
            series: index("account-deletion"),
            start: at(2, 3, 10),
            end: at(2, 3, 15),
            what: "3 messages in 5 minutes at 03:10 on a near-silent series: one person and two friends",
        },
        Decoy {
            series: index("gift-cards"),
            start: at(3, 15, 0),
            end: at(3, 15, 20),
            what: "4 messages in 20 minutes on a series of 0.3 an hour",
        },
        Decoy {
            series: index("all-mentions"),
            start: at(1, 14, 0),
            end: at(1, 15, 0),
            what: "the busiest series 30 % above usual for an hour (2 of its hourly standard deviations)",
        },
        Decoy {
            series: index("billing"),
            start: at(3, 12, 0),
            end: at(3, 18, 0),
            what: "a busy afternoon: 20 % above usual for 6 hours",
        },
        Decoy {
            series: index("refunds"),
            start: at(1, 10, 0),
            end: at(1, 10, 15),
            what: "the weekly newsletter: 30 messages 10:00-10:15 every Tuesday, history included",
        },
        Decoy {
            series: index("delivery"),
            start: at(2, 14, 0),
            end: at(2, 17, 0),
            what: "the hours of an 8x outage three weeks earlier (history week 2): nothing happens now",
        },
        Decoy {
            series: index("all-mentions"),
            start: at(4, 0, 0),
            end: at(5, 0, 0),
            what: "a day 10 % busier than usual (a news day)",
        },
    ]
}

/// The stream of `seed` with `days` judged and `spikes` injected (see the module docs).
pub fn generate(seed: u64, days: i64, spikes: usize) -> Stream {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let norm = season_norm();
    let total = (HISTORY_DAYS + days) * DAY;
    let slots = (total / 5) as usize;
    let judged = (HISTORY_DAYS * DAY, total);
    let decoys = decoys()
        .into_iter()
        .filter(|d| d.end <= total)
        .collect::<Vec<_>>();
    let usual = |series: usize, minute: i64| -> f64 {
        let t = &TOPICS[series];
        t.level * season(minute, norm) * (1.0 + t.trend).powf((minute / DAY) as f64)
    };
    // Extra messages a slot (rates), and fixed bursts (counts), per series.
    let mut extra = vec![vec![0.0f64; slots]; TOPICS.len()];
    let mut fixed = vec![vec![0i64; slots]; TOPICS.len()];
    let index = |name: &str| TOPICS.iter().position(|t| t.name == name).unwrap();
    let w5 = HISTORY_DAYS * DAY;
    let at = |day: i64, hour: i64, minute: i64| w5 + day * DAY + hour * 60 + minute;
    let add_factor = |extra: &mut Vec<Vec<f64>>, s: usize, from: i64, to: i64, f: f64| {
        for m in (from..to.min(total)).step_by(5) {
            extra[s][(m / 5) as usize] += (f - 1.0) * usual(s, m) / 12.0;
        }
    };
    // Decoys 4 and 5: tiny bursts, placed in their minutes.
    fixed[index("account-deletion")][(at(2, 3, 10) / 5) as usize] += 3;
    for minute in [0, 5, 10, 15] {
        fixed[index("gift-cards")][(at(3, 15, minute) / 5) as usize] += 1;
    }
    add_factor(
        &mut extra,
        index("all-mentions"),
        at(1, 14, 0),
        at(1, 15, 0),
        1.3,
    );
    add_factor(
        &mut extra,
        index("billing"),
        at(3, 12, 0),
        at(3, 18, 0),
        1.2,
    );
    add_factor(
        &mut extra,
        index("all-mentions"),
        at(4, 0, 0),
        at(5, 0, 0),
        1.1,
    );
    // Decoy 8: the newsletter, every Tuesday of the stream.
    let mut tuesday = DAY + 10 * 60;
    while tuesday + 15 <= total {
        for m in (tuesday..tuesday + 15).step_by(5) {
            extra[index("refunds")][(m / 5) as usize] += 10.0;
        }
        tuesday += 7 * DAY;
    }
    // Decoy 9: an outage in the history, three weeks before the decoy's hours.
    let outage = at(2, 14, 0) - 21 * DAY;
    add_factor(&mut extra, index("delivery"), outage, outage + 180, 8.0);

    // Spikes.
    let mut injected: Vec<(usize, i64, i64, f64, f64)> = Vec::new();
    let margin = 6 * 60;
    let clear = |s: usize, from: i64, to: i64, injected: &[(usize, i64, i64, f64, f64)]| {
        injected
            .iter()
            .all(|&(t, a, b, _, _)| t != s || to + margin <= a || b + margin <= from)
            && decoys
                .iter()
                .all(|d| d.series != s || to + margin <= d.start || d.end + margin <= from)
    };
    let mut tries = 0;
    while injected.len() < spikes && tries < 100_000 {
        tries += 1;
        let s = rng.random_range(0..SPIKED);
        let minutes = SPIKE_MINUTES[rng.random_range(0..SPIKE_MINUTES.len())];
        let start = judged.0 + 5 * rng.random_range(0..(judged.1 - judged.0 - minutes) / 5);
        let factor = (rng.random::<f64>() * (10.0f64 / 1.5).ln()).exp() * 1.5;
        let least = rng.random_range(10..=40) as f64;
        if clear(s, start, start + minutes, &injected) {
            injected.push((s, start, start + minutes, factor, least));
        }
    }
    injected.sort_by_key(|&(s, a, ..)| (a, s));
    let mut spike_rate = vec![vec![0.0f64; slots]; TOPICS.len()];
    for &(s, a, b, factor, least) in &injected {
        let n = ((b - a) / 5) as f64;
        for m in (a..b).step_by(5) {
            let by_factor = (factor - 1.0) * usual(s, m) / 12.0;
            spike_rate[s][(m / 5) as usize] = by_factor.max(least / n);
        }
    }

    let mut hourly = vec![Hourly::new(); TOPICS.len()];
    let mut five = vec![FiveMinutes::new(); TOPICS.len()];
    let mut added = vec![0i64; injected.len()];
    for s in 0..TOPICS.len() {
        let big = TOPICS[s].level >= 30.0;
        for hour in 0..total / 60 {
            let wander = if big {
                gamma_mean_one(&mut rng, 1.0 / (BIG_SERIES_CV * BIG_SERIES_CV))
            } else {
                1.0
            };
            for slot in 0..12 {
                let m = hour * 60 + slot * 5;
                let i = (m / 5) as usize;
                let base = usual(s, m) / 12.0 * wander + extra[s][i];
                let mut n = poisson(&mut rng, base) + fixed[s][i];
                if spike_rate[s][i] > 0.0 {
                    let k = poisson(&mut rng, spike_rate[s][i]);
                    n += k;
                    if let Some(j) = injected
                        .iter()
                        .position(|&(t, a, b, ..)| t == s && a <= m && m < b)
                    {
                        added[j] += k;
                    }
                }
                if n > 0 {
                    let unix = START + m;
                    *hourly[s].entry(unix.div_euclid(60)).or_default() += n;
                    *five[s].entry(unix.div_euclid(5)).or_default() += n;
                }
            }
        }
    }
    let spikes = injected
        .iter()
        .zip(added)
        .map(|(&(series, a, b, factor, _), added)| Injected {
            series,
            start: a,
            minutes: b - a,
            factor: (factor * 100.0).round() / 100.0,
            added,
        })
        .collect();
    Stream {
        hourly,
        five,
        spikes,
        decoys,
        judged,
    }
}

/// A series judged a spike at a minute (of the stream).
#[derive(Debug, Clone, Serialize)]
pub struct Flag {
    pub series: usize,
    pub at: i64,
    pub window_minutes: i64,
    pub observed: i64,
    pub expected: f64,
}

/// The detector, live every 5 minutes over the judged days.
pub fn detect(stream: &Stream) -> Vec<Flag> {
    let history_from = START.div_euclid(60);
    let mut flags = Vec::new();
    for s in 0..TOPICS.len() {
        let mut wander: HashMap<i64, Option<f64>> = HashMap::new();
        let mut now = stream.judged.0 + 5;
        while now <= stream.judged.1 {
            let unix = START + now;
            let hour = (unix - 5).div_euclid(60);
            let phi = *wander
                .entry(hour)
                .or_insert_with(|| dispersion(&stream.hourly[s], hour, history_from));
            if let Some((window, spike)) =
                judge_live(&stream.hourly[s], &stream.five[s], unix, history_from, phi)
            {
                flags.push(flag(s, now, window, &spike));
            }
            now += 5;
        }
    }
    flags
}

fn flag(series: usize, at: i64, window: Window, spike: &Spike) -> Flag {
    Flag {
        series,
        at,
        window_minutes: window.minutes(),
        observed: spike.observed,
        expected: (spike.baseline.expected * 100.0).round() / 100.0,
    }
}

/// The fixed-threshold baseline with multiple `k`, at each hour's end of the judged days.
pub fn fixed_threshold(stream: &Stream, k: f64) -> Vec<Flag> {
    let first = START.div_euclid(60);
    let history_hours = HISTORY_DAYS * 24;
    let mut flags = Vec::new();
    for s in 0..TOPICS.len() {
        let at = |h: i64| stream.hourly[s].get(&h).copied().unwrap_or(0);
        let mean =
            (first..first + history_hours).map(at).sum::<i64>() as f64 / history_hours as f64;
        for h in (stream.judged.0 / 60)..(stream.judged.1 / 60) {
            let n = at(first + h);
            if n >= MIN_OBSERVED && n as f64 > k * mean {
                flags.push(Flag {
                    series: s,
                    at: (h + 1) * 60,
                    window_minutes: 60,
                    observed: n,
                    expected: (mean * 100.0).round() / 100.0,
                });
            }
        }
    }
    flags
}

#[derive(Debug, Clone, Serialize)]
pub struct Score {
    pub method: String,
    pub alerts: usize,
    pub true_alerts: usize,
    pub precision: f64,
    pub recall: f64,
    pub detected: usize,
    pub spikes: usize,
    pub median_delay_minutes: Option<f64>,
    pub decoys_alerted: Vec<usize>,
    pub missed: Vec<Injected>,
    pub false_alerts: Vec<Flag>,
}

impl Score {
    fn f1(&self) -> f64 {
        if self.precision + self.recall == 0.0 {
            0.0
        } else {
            2.0 * self.precision * self.recall / (self.precision + self.recall)
        }
    }
}

/// Scores flags against the stream (see the module docs).
pub fn score(method: &str, stream: &Stream, flags: &[Flag]) -> Score {
    let mut flags = flags.to_vec();
    flags.sort_by_key(|f| (f.series, f.at));
    // Raised alerts: a flag with none of its series in the hour before, and whose window
    // does not reach back into the series' last flagged window (a 6-hour window still
    // holding a rise flagged hours ago is that rise, not a new one).
    let mut raised = Vec::new();
    let mut last: HashMap<usize, i64> = HashMap::new();
    for f in &flags {
        if last
            .get(&f.series)
            .is_none_or(|&l| f.at - l > 60 && f.at - f.window_minutes >= l)
        {
            raised.push(f.clone());
        }
        last.insert(f.series, f.at);
    }
    let inside = |series: usize, at: i64, s: &Injected| {
        let (a, b) = s.interval();
        s.series == series && a < at && at <= b
    };
    let (mut true_alerts, mut false_alerts) = (0, Vec::new());
    for r in &raised {
        if stream.spikes.iter().any(|s| inside(r.series, r.at, s)) {
            true_alerts += 1;
        } else {
            false_alerts.push(r.clone());
        }
    }
    let mut delays = Vec::new();
    let mut missed = Vec::new();
    for s in &stream.spikes {
        match flags.iter().find(|f| inside(f.series, f.at, s)) {
            Some(f) => delays.push((f.at - s.start) as f64),
            None => missed.push(s.clone()),
        }
    }
    let decoys_alerted = stream
        .decoys
        .iter()
        .enumerate()
        .filter(|(_, d)| {
            flags
                .iter()
                .any(|f| f.series == d.series && d.start < f.at && f.at <= d.end + 60)
        })
        .map(|(i, _)| i + 1)
        .collect();
    delays.sort_by(f64::total_cmp);
    let median_delay_minutes = (!delays.is_empty()).then(|| {
        let n = delays.len();
        if n % 2 == 1 {
            delays[n / 2]
        } else {
            (delays[n / 2 - 1] + delays[n / 2]) / 2.0
        }
    });
    Score {
        method: method.to_string(),
        alerts: raised.len(),
        true_alerts,
        precision: true_alerts as f64 / raised.len().max(1) as f64,
        recall: delays.len() as f64 / stream.spikes.len().max(1) as f64,
        detected: delays.len(),
        spikes: stream.spikes.len(),
        median_delay_minutes,
        decoys_alerted,
        missed,
        false_alerts,
    }
}

/// The baseline's `k`: the best F1 on the stream of `seed` (ties to the smaller `k`).
pub fn choose_k(seed: u64, days: i64, spikes: usize) -> f64 {
    let calibration = generate(seed, days, spikes);
    let mut best = (BASELINE_KS[0], -1.0);
    for &k in &BASELINE_KS {
        let f1 = score("", &calibration, &fixed_threshold(&calibration, k)).f1();
        if f1 > best.1 {
            best = (k, f1);
        }
    }
    best.0
}

#[derive(Debug, Serialize)]
pub struct Synthetic {
    pub seed: u64,
    pub judged_days: i64,
    pub series: Vec<&'static str>,
    pub detector: Score,
    pub baseline_k: f64,
    pub baseline: Score,
    pub decoys: Vec<Decoy>,
    pub spikes: Vec<Injected>,
    pub seconds: f64,
}

/// The synthetic part of the benchmark.
pub fn synthetic(seed: u64, days: i64, spikes: usize) -> Synthetic {
    let started = Instant::now();
    let stream = generate(seed, days, spikes);
    let detector = score("detector", &stream, &detect(&stream));
    let k = choose_k(seed.wrapping_add(1), days, spikes);
    let baseline = score(
        &format!("fixed threshold {k}x mean"),
        &stream,
        &fixed_threshold(&stream, k),
    );
    Synthetic {
        seed,
        judged_days: days,
        series: TOPICS.iter().map(|t| t.name).collect(),
        detector,
        baseline_k: k,
        baseline,
        decoys: stream.decoys.clone(),
        spikes: stream.spikes.clone(),
        seconds: started.elapsed().as_secs_f64(),
    }
}

fn clock(minute: i64) -> String {
    let day = minute / DAY;
    let names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    format!(
        "day {day} {} {:02}:{:02}",
        names[(day % 7) as usize],
        (minute % DAY) / 60,
        minute % 60
    )
}

fn print_synthetic(r: &Synthetic) {
    println!(
        "Emerging issues on a synthetic stream (seed {}): {} series, {} days of history + {} judged, {} spikes, {} decoys ({:.1} s)",
        r.seed,
        r.series.len(),
        HISTORY_DAYS,
        r.judged_days,
        r.spikes.len(),
        r.decoys.len(),
        r.seconds
    );
    println!(
        "{:<34} {:>9} {:>7} {:>13} {:>7} {:>5} {:>8}  decoys alerted",
        "method", "precision", "recall", "median delay", "alerts", "true", "found"
    );
    for s in [&r.detector, &r.baseline] {
        println!(
            "{:<34} {:>9.3} {:>7.3} {:>9} min {:>7} {:>5} {:>5}/{:<2}  {:?}",
            s.method,
            s.precision,
            s.recall,
            s.median_delay_minutes
                .map_or("-".into(), |d| format!("{d:.0}")),
            s.alerts,
            s.true_alerts,
            s.detected,
            s.spikes,
            s.decoys_alerted
        );
    }
    println!(
        "(baseline k chosen from {BASELINE_KS:?} by F1 on the stream of seed {})",
        r.seed.wrapping_add(1)
    );
    for s in [&r.detector, &r.baseline] {
        for m in &s.missed {
            println!(
                "  {} missed: {} at {} for {} min, x{} (+{} messages)",
                s.method,
                TOPICS[m.series].name,
                clock(m.start),
                m.minutes,
                m.factor,
                m.added
            );
        }
        for f in &s.false_alerts {
            println!(
                "  {} false alert: {} at {}, {} in {} min against {}",
                s.method,
                TOPICS[f.series].name,
                clock(f.at),
                f.observed,
                f.window_minutes,
                f.expected
            );
        }
    }
    for (i, d) in r.decoys.iter().enumerate() {
        println!("  decoy {}: {} — {}", i + 1, TOPICS[d.series].name, d.what);
    }
}

fn print_sweep(sweep: &[Synthetic]) {
    if sweep.is_empty() {
        return;
    }
    println!("\nSeeds 1..={}: detector precision, recall, median delay | baseline k, precision, recall, median delay", sweep.len());
    let delay = |s: &Score| {
        s.median_delay_minutes
            .map_or("-".into(), |d| format!("{d:.0} min"))
    };
    for r in sweep {
        println!(
            "  seed {:>3}: {:.3} {:.3} {:>7} | {:>4}x {:.3} {:.3} {:>7}",
            r.seed,
            r.detector.precision,
            r.detector.recall,
            delay(&r.detector),
            r.baseline_k,
            r.baseline.precision,
            r.baseline.recall,
            delay(&r.baseline)
        );
    }
    let n = sweep.len() as f64;
    let mean = |f: &dyn Fn(&Synthetic) -> f64| sweep.iter().map(f).sum::<f64>() / n;
    let least = |f: &dyn Fn(&Synthetic) -> f64| sweep.iter().map(f).fold(f64::INFINITY, f64::min);
    println!(
        "  mean:     {:.3} {:.3}         |       {:.3} {:.3}   (least: detector {:.3} {:.3}; seeds meeting both targets: {})",
        mean(&|r| r.detector.precision),
        mean(&|r| r.detector.recall),
        mean(&|r| r.baseline.precision),
        mean(&|r| r.baseline.recall),
        least(&|r| r.detector.precision),
        least(&|r| r.detector.recall),
        sweep
            .iter()
            .filter(|r| r.detector.precision >= 0.8 && r.detector.recall >= 0.9)
            .count()
    );
}

/// An alert raised on the TWCS replay.
#[derive(Debug, Clone, Serialize)]
pub struct TwcsAlert {
    pub brand: String,
    pub window_start: String,
    pub window_minutes: i64,
    pub observed: i64,
    pub expected: f64,
    pub basis: &'static str,
    pub surprise: f64,
    pub texts: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Twcs {
    pub inbound: usize,
    pub with_brand: usize,
    pub brands: usize,
    pub first: String,
    pub last: String,
    pub busiest_day: (String, usize),
    pub alerts: Vec<TwcsAlert>,
}

/// Replays the TWCS sample's inbound tweets at their timestamps, one series per brand (the
/// care account the tweet names or that answered it), through the live check.
pub fn twcs(path: &Path) -> anyhow::Result<Twcs> {
    use earshot_core::Direction;
    let file = std::fs::File::open(path)?;
    let messages: Vec<earshot_core::Inbound> =
        earshot_channels::twcs::decode(file, earshot_channels::DecodeOptions::default())
            .filter_map(|d| d.result.ok())
            .collect();
    let brands: BTreeSet<String> = messages
        .iter()
        .filter(|m| m.direction == Direction::Out)
        .map(|m| m.author.external_id.to_lowercase())
        .collect();
    let by_id: HashMap<&str, &earshot_core::Inbound> = messages
        .iter()
        .map(|m| (m.external_id.as_str(), m))
        .collect();
    let mut answered_by: HashMap<&str, String> = HashMap::new();
    for m in messages.iter().filter(|m| m.direction == Direction::Out) {
        if let Some(parent) = &m.in_reply_to {
            answered_by.insert(parent.as_str(), m.author.external_id.clone());
        }
    }
    let inbound: Vec<&earshot_core::Inbound> = messages
        .iter()
        .filter(|m| m.direction == Direction::In)
        .collect();
    // brand → (unix minute, text)
    let mut series: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for m in &inbound {
        let named = m
            .text
            .split_whitespace()
            .filter_map(|w| w.strip_prefix('@'))
            .map(|w| {
                w.trim_end_matches(|c: char| !c.is_alphanumeric() && c != '_')
                    .to_lowercase()
            })
            .find(|w| brands.contains(w));
        let brand = named
            .or_else(|| {
                m.in_reply_to
                    .as_deref()
                    .and_then(|p| by_id.get(p))
                    .filter(|p| p.direction == Direction::Out)
                    .map(|p| p.author.external_id.to_lowercase())
            })
            .or_else(|| {
                answered_by
                    .get(m.external_id.as_str())
                    .map(|b| b.to_lowercase())
            });
        if let Some(brand) = brand {
            let minute = earshot_core::time::to_millis(m.created_at).div_euclid(60_000);
            series
                .entry(brand)
                .or_default()
                .push((minute, m.text.clone()));
        }
    }
    let mut days: HashMap<String, usize> = HashMap::new();
    for m in &inbound {
        *days
            .entry(m.created_at.format("%Y-%m-%d").to_string())
            .or_default() += 1;
    }
    let busiest_day = days
        .into_iter()
        .max_by_key(|(d, n)| (*n, std::cmp::Reverse(d.clone())))
        .unwrap_or_default();
    let stamp = |minute: i64| {
        earshot_core::time::from_millis(minute * 60_000)
            .format("%Y-%m-%d %H:%M")
            .to_string()
    };
    let mut alerts = Vec::new();
    let mut names: Vec<&String> = series.keys().collect();
    names.sort();
    for brand in names {
        let tweets = &series[brand];
        let mut hourly = Hourly::new();
        let mut five = FiveMinutes::new();
        for &(minute, _) in tweets {
            *hourly.entry(minute.div_euclid(60)).or_default() += 1;
            *five.entry(minute.div_euclid(5)).or_default() += 1;
        }
        // The series' own first hour, as the engine judges a new series.
        let history_from = tweets.iter().map(|t| t.0).min().unwrap().div_euclid(60);
        // Every 5-minute check whose windows can hold one of its tweets.
        let mut checks = BTreeSet::new();
        for &(minute, _) in tweets {
            let first = (minute.div_euclid(5) + 1) * 5;
            for k in 0..72 {
                checks.insert(first + 5 * k);
            }
        }
        let mut wander: HashMap<i64, Option<f64>> = HashMap::new();
        let mut last: Option<i64> = None;
        for now in checks {
            let hour = (now - 5).div_euclid(60);
            let phi = *wander
                .entry(hour)
                .or_insert_with(|| dispersion(&hourly, hour, history_from));
            let Some((window, spike)) = judge_live(&hourly, &five, now, history_from, phi) else {
                continue;
            };
            // Raised as in the synthetic scoring: none in the hour before, and not a window
            // reaching back to the last judgement.
            if last.is_none_or(|l| now - l > 60 && window.start() >= l) {
                let mut texts: Vec<String> = tweets
                    .iter()
                    .filter(|t| window.start() <= t.0 && t.0 < window.end())
                    .map(|t| t.1.replace(['\n', '\r'], " ").chars().take(140).collect())
                    .collect();
                texts.truncate(3);
                alerts.push(TwcsAlert {
                    brand: brand.clone(),
                    window_start: stamp(window.start()),
                    window_minutes: window.minutes(),
                    observed: spike.observed,
                    expected: (spike.baseline.expected * 100.0).round() / 100.0,
                    basis: spike.baseline.basis,
                    surprise: spike.surprise,
                    texts,
                });
            }
            last = Some(now);
        }
    }
    alerts.sort_by(|a, b| a.window_start.cmp(&b.window_start));
    let minutes: Vec<i64> = inbound
        .iter()
        .map(|m| earshot_core::time::to_millis(m.created_at).div_euclid(60_000))
        .collect();
    Ok(Twcs {
        inbound: inbound.len(),
        with_brand: series.values().map(Vec::len).sum(),
        brands: series.len(),
        first: minutes.iter().min().map_or(String::new(), |&m| stamp(m)),
        last: minutes.iter().max().map_or(String::new(), |&m| stamp(m)),
        busiest_day,
        alerts,
    })
}

fn print_twcs(t: &Twcs) {
    println!(
        "\nTWCS sample replayed: {} inbound tweets ({} with a brand) over {} brands, {} to {}; busiest day {} with {}",
        t.inbound, t.with_brand, t.brands, t.first, t.last, t.busiest_day.0, t.busiest_day.1
    );
    println!("{} alerts raised:", t.alerts.len());
    for a in &t.alerts {
        println!(
            "  {} {} ({} min): {} against {} ({}), surprise {}",
            a.window_start, a.brand, a.window_minutes, a.observed, a.expected, a.basis, a.surprise
        );
        for text in &a.texts {
            println!("      {text}");
        }
    }
}

pub fn run(args: EmergingBench) -> anyhow::Result<ExitCode> {
    let stream = synthetic(args.seed, args.days, args.spikes);
    let sweep: Vec<Synthetic> = (1..=args.sweep)
        .map(|seed| synthetic(seed, args.days, args.spikes))
        .collect();
    let path = args.data.join("conversations/twcs/twcs_first5000.csv");
    let twcs = if path.exists() {
        Some(twcs(&path)?)
    } else {
        None
    };
    if args.json {
        println!(
            "{}",
            serde_json::json!({"synthetic": stream, "sweep": sweep, "twcs": twcs})
        );
    } else {
        print_synthetic(&stream);
        print_sweep(&sweep);
        match &twcs {
            Some(t) => print_twcs(t),
            None => eprintln!(
                "\nTWCS replay not run: {} is absent (pass --data to the directory holding conversations/twcs/)",
                path.display()
            ),
        }
    }
    Ok(if twcs.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A short run of the benchmark: a week judged with 15 spikes, fixed seed.
    #[test]
    fn a_short_stream_is_detected_with_the_required_precision_and_recall() {
        let r = synthetic(7, 7, 15);
        assert_eq!(r.spikes.len(), 15);
        assert_eq!(r.decoys.len(), 10);
        let d = &r.detector;
        assert!(d.recall >= 0.9, "{d:#?}");
        assert!(d.precision >= 0.8, "{d:#?}");
        assert!(d.median_delay_minutes.is_some());
        // The baseline is scored in the same run, on the same spikes.
        assert_eq!(r.baseline.spikes, 15);
        assert!(BASELINE_KS.contains(&r.baseline_k));
        assert!(r.baseline.method.starts_with("fixed threshold"));
    }

    #[test]
    fn the_stream_is_seeded_and_holds_its_spikes() {
        let a = generate(3, 7, 10);
        let b = generate(3, 7, 10);
        assert_eq!(a.hourly, b.hourly);
        assert_eq!(a.spikes.len(), 10);
        assert!(a.spikes.iter().all(|s| s.added >= 1 && s.series < SPIKED));
        assert!(a
            .spikes
            .iter()
            .all(|s| s.start >= a.judged.0 && s.start + s.minutes <= a.judged.1));
        // The seasonal factor averages 1 over a week.
        let norm = season_norm();
        let mean = (0..168 * 12).map(|i| season(i * 5, norm)).sum::<f64>() / (168.0 * 12.0);
        assert!((mean - 1.0).abs() < 1e-9, "{mean}");
    }
}
