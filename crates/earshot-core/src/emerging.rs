//! Emerging issues: which series — a topic's messages, an intent's, a channel's — rose far
//! above what is usual for that time of the week, judged hour by hour (the engine's
//! [`judge`]) or, live, in windows of 5 minutes to 6 hours ([`judge_live`]).
//!
//! **Expected level.** The median of the same hour of the week in the previous [`WEEKS`]
//! weeks (at least two of them covered by the workspace's history); with less history, the
//! median of the same hour of the day over the previous seven days (at least three covered);
//! with less, nothing is judged. Medians, because a past spike (last Monday's outage) must not
//! raise what counts as usual, and because they need no distribution fitted to a handful of
//! samples. Hours before the workspace's first message are not history: they are left out,
//! not read as zeros. A [`Window`] shorter than an hour expects its share of its hour's level
//! (5 minutes: a twelfth); one of several hours, the median of the past weeks' totals of the
//! same hours.
//!
//! **Surprise.** Counts of independent arrivals are Poisson around their level, so the
//! surprise of an observed count is `-log10 P(X ≥ observed)` under a Poisson of the expected
//! level (floored at [`FLOOR`] an hour, so that a series that is usually silent needs a few
//! messages, not one, to surprise). Poisson is exact where care teams need it most — small
//! counts, where a median absolute deviation of integers is often zero and a z-score
//! meaningless — but it understates how much big series wander hour to hour
//! (overdispersion). Where that wander is measured ([`dispersion`]: φ in
//! `Var = μ + φμ²`, from the series' own last week against its own baselines) the surprise is
//! a negative binomial's of that φ, which is the Poisson for a series that does not wander,
//! and a rise must be at least [`MIN_RISE`] times the level; where it is not (the engine's
//! hourly [`judge`], which reads only the hours it judges), the surprise is Poisson and a rise
//! must be at least [`MIN_RATIO`] times the level, a cruder guard for the same thing. Either
//! way an alert needs at least [`MIN_OBSERVED`] messages in its window.
//!
//! Severity: `warning` from a surprise of [`WARNING`] (p < 0.001), `critical` from
//! [`CRITICAL`] (p < 10⁻⁶). A live check judges many windows an hour (twelve of 5 minutes,
//! four of 15, and the hour, 3 hours and 6 hours ending at each hour), so each window's
//! surprise is lessened by `log10` of how many windows of all lengths an hour holds for it
//! (Bonferroni: the lengths share the hour's 0.001 equally, and within a length its windows
//! do): a warning still means a chance under one in a thousand that the series' hour holds
//! such a window by chance, whatever the window.
//!
//! **Why these parameters** (they were set from these arguments, not fitted to the benchmark,
//! `earshot bench emerging`, which reads them as they are). Windows: 5 minutes is the finest
//! a care team acts on (an outage's first minutes) and 6 hours the slowest rise that is still
//! "emerging" rather than a trend; 15 minutes and 3 hours fill the gaps so that no rise is
//! judged only in a window more than four times longer or shorter than itself. φ is measured
//! by its median, not its mean, so that a past spike in the last week does not make the
//! series look wilder than it is: `(x − μ)²/(μ + φμ²)` is χ²₁ for a count of that variance, so
//! φ is where the median of those ratios over the week's hours is χ²₁'s median (0.455), with
//! only hours usually holding [`DISPERSION_MIN_LEVEL`] messages or more (below, a count's
//! spread is Poisson noise, not wander, and a quiet series gets φ = 0); the baseline's own
//! error is part of the residuals, as it should be in the surprise. A window of several
//! hours is given the hour's φ, not a smaller one, because real wander is shared between
//! neighbouring hours (a busy day). [`MIN_RISE`]: less than a quarter above the usual is within
//! a day's ordinary swings for any series, however certain it is statistically.

use serde::Serialize;
use std::collections::HashMap;

/// Weeks of history the weekly baseline reads.
pub const WEEKS: i64 = 4;
/// The least expected level (messages per hour) a surprise is computed against.
pub const FLOOR: f64 = 0.5;
/// The fewest messages in a window that can be an alert.
pub const MIN_OBSERVED: i64 = 5;
/// How many times its expected level an alert's count must be where the series' wander is not
/// measured.
pub const MIN_RATIO: f64 = 2.0;
/// How many times its expected level an alert's count must be where it is.
pub const MIN_RISE: f64 = 1.25;
/// Surprise (−log10 p) from which a rise is a warning.
pub const WARNING: f64 = 3.0;
/// Surprise from which it is critical.
pub const CRITICAL: f64 = 6.0;
/// The window lengths (minutes) a live check judges ([`judge_live`]).
pub const WINDOWS: [i64; 5] = [5, 15, 60, 180, 360];
/// Hours before the judged one over which [`dispersion`] measures the wander: a week, every
/// hour of it once.
pub const DISPERSION_HOURS: i64 = 168;
/// The least usual level (messages per hour) of an hour that [`dispersion`] reads.
pub const DISPERSION_MIN_LEVEL: f64 = 5.0;

const HOURS_PER_WEEK: i64 = 168;
/// The median of χ² with one degree of freedom.
const CHI2_1_MEDIAN: f64 = 0.454_936_423_119_572_8;

/// Hourly counts of one series: hour number (Unix milliseconds / 3,600,000) → messages.
pub type Hourly = HashMap<i64, i64>;
/// Five-minute counts of one series: slot number (Unix minutes / 5) → messages.
pub type FiveMinutes = HashMap<i64, i64>;

/// What a series usually does at an hour, and from what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    pub expected: f64,
    /// `same hour of the week` or `same hour of the day`.
    pub basis: &'static str,
    /// The counts the median was taken over, oldest first (for a window of several hours,
    /// each past week's or day's total of those hours).
    pub samples: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

impl Severity {
    /// As serialized: `warning` or `critical`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// A rise that is an alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spike {
    pub observed: i64,
    #[serde(flatten)]
    pub baseline: Baseline,
    /// −log10 of the chance of at least `observed` at the expected level, less `log10` of
    /// how many windows were judged in the hour (none for the engine's hour alone).
    pub surprise: f64,
    pub severity: Severity,
}

/// A stretch of time judged as one count: inside one hour (5, 10, 15, 20 or 30 minutes of
/// it, or all of it), or whole hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Window {
    /// Unix minutes.
    start: i64,
    minutes: i64,
}

impl Window {
    /// The hour numbered `hour` (Unix hours).
    pub fn hour(hour: i64) -> Self {
        Window {
            start: hour * 60,
            minutes: 60,
        }
    }

    /// `minutes` from Unix minute `start`; `None` unless inside one hour, or whole hours, and
    /// a multiple of 5 minutes.
    pub fn new(start: i64, minutes: i64) -> Option<Self> {
        let fits = if minutes <= 60 {
            start.div_euclid(60) == (start + minutes - 1).div_euclid(60)
        } else {
            minutes % 60 == 0 && start.rem_euclid(60) == 0
        };
        (minutes > 0 && minutes % 5 == 0 && start.rem_euclid(5) == 0 && fits)
            .then_some(Window { start, minutes })
    }

    /// The window of `minutes` that ends at Unix minute `end`.
    pub fn ending(end: i64, minutes: i64) -> Option<Self> {
        Self::new(end - minutes, minutes)
    }

    pub fn start(&self) -> i64 {
        self.start
    }

    pub fn end(&self) -> i64 {
        self.start + self.minutes
    }

    pub fn minutes(&self) -> i64 {
        self.minutes
    }

    fn first_hour(&self) -> i64 {
        self.start.div_euclid(60)
    }

    fn hours(&self) -> i64 {
        (self.minutes + 59) / 60
    }

    /// How many windows of its length a live check judges in an hour: the hour's tumbling
    /// ones below an hour, one (ending at the hour) from an hour up.
    fn per_hour(&self) -> f64 {
        (60.0 / self.minutes as f64).max(1.0)
    }

    /// Its messages, from hourly counts (whole hours) or five-minute ones.
    pub fn count(&self, hourly: &Hourly, five: &FiveMinutes) -> i64 {
        if self.minutes % 60 == 0 {
            (self.first_hour()..self.first_hour() + self.hours())
                .map(|h| hourly.get(&h).copied().unwrap_or(0))
                .sum()
        } else {
            (self.start / 5..self.end() / 5)
                .map(|s| five.get(&s).copied().unwrap_or(0))
                .sum()
        }
    }
}

fn median(values: &mut [i64]) -> f64 {
    values.sort_unstable();
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2] as f64
    } else {
        (values[n / 2 - 1] + values[n / 2]) as f64 / 2.0
    }
}

/// The expected count of `hour` from the hours before it, `history_from` being the first hour
/// the workspace has data for; `None` when there is too little history to judge.
pub fn baseline(counts: &Hourly, hour: i64, history_from: i64) -> Option<Baseline> {
    window_baseline(counts, Window::hour(hour), history_from)
}

/// The expected count of a window from the hours before it (see the module docs).
pub fn window_baseline(counts: &Hourly, window: Window, history_from: i64) -> Option<Baseline> {
    let first = window.first_hour();
    let hours = window.hours();
    let total = |from: i64| -> i64 {
        (from..from + hours)
            .map(|h| counts.get(&h).copied().unwrap_or(0))
            .sum()
    };
    let share = window.minutes as f64 / (60 * hours) as f64;
    for (basis, step, periods, least) in [
        ("same hour of the week", HOURS_PER_WEEK, WEEKS, 2),
        ("same hour of the day", 24, 7, 3),
    ] {
        let starts: Vec<i64> = (1..=periods)
            .rev()
            .map(|k| first - k * step)
            .filter(|&h| h >= history_from)
            .collect();
        if starts.len() >= least {
            let samples: Vec<i64> = starts.iter().map(|&h| total(h)).collect();
            return Some(Baseline {
                expected: median(&mut samples.clone()) * share,
                basis,
                samples,
            });
        }
    }
    None
}

/// The hours a judgement of `hour` reads: itself, the same hour of the [`WEEKS`] weeks
/// before, and of the seven days before.
pub fn hours_read(hour: i64) -> Vec<i64> {
    let mut hours = vec![hour];
    hours.extend((1..=WEEKS).map(|w| hour - w * HOURS_PER_WEEK));
    hours.extend((1..=7).map(|d| hour - d * 24));
    hours
}

fn ln_factorial(n: i64) -> f64 {
    if n < 32 {
        (2..=n).map(|i| (i as f64).ln()).sum()
    } else {
        let n = n as f64;
        n * n.ln() - n + 0.5 * (2.0 * std::f64::consts::PI * n).ln() + 1.0 / (12.0 * n)
            - 1.0 / (360.0 * n.powi(3))
    }
}

/// `ln Γ(x)` for x > 0 (Stirling's series past 7, the recurrence below).
fn ln_gamma(mut x: f64) -> f64 {
    let mut shift = 0.0;
    while x < 7.0 {
        shift -= x.ln();
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    shift + (x - 0.5) * x.ln() - x
        + 0.5 * (2.0 * std::f64::consts::PI).ln()
        + inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)))
}

/// `-log10 P(X ≥ observed)` for X Poisson with mean `expected` (> 0); 0 when `observed` is
/// not above it.
pub fn poisson_surprise(observed: i64, expected: f64) -> f64 {
    if (observed as f64) <= expected {
        return 0.0;
    }
    // The tail's first term in logs, then each next term is the last times λ/(i+1) (< 1 past
    // the mean), summed until they no longer count.
    let ln_first = -expected + observed as f64 * expected.ln() - ln_factorial(observed);
    let (mut sum, mut term, mut i) = (1.0f64, 1.0f64, observed);
    loop {
        term *= expected / (i + 1) as f64;
        sum += term;
        i += 1;
        if term < 1e-12 * sum {
            break;
        }
    }
    -(ln_first + sum.ln()) / std::f64::consts::LN_10
}

/// `-log10 P(X ≥ observed)` for X negative binomial with mean `expected` (> 0) and variance
/// `expected + dispersion · expected²`; the Poisson's for a dispersion of 0; 0 when `observed`
/// is not above the mean.
pub fn negative_binomial_surprise(observed: i64, expected: f64, dispersion: f64) -> f64 {
    if dispersion <= 0.0 {
        return poisson_surprise(observed, expected);
    }
    if (observed as f64) <= expected {
        return 0.0;
    }
    // P(k) = Γ(k + r) / (Γ(r) k!) · (r / (r + μ))^r · (μ / (r + μ))^k with r = 1/φ; each
    // next term is the last times (k + r)/(k + 1) · μ/(r + μ), below 1 past the mean.
    let r = 1.0 / dispersion;
    let k = observed as f64;
    let p = expected / (expected + r);
    let ln_first = ln_gamma(k + r) - ln_gamma(r) - ln_gamma(k + 1.0)
        + r * (r / (expected + r)).ln()
        + k * p.ln();
    let (mut sum, mut term, mut i) = (1.0f64, 1.0f64, k);
    for _ in 0..10_000_000 {
        term *= (i + r) / (i + 1.0) * p;
        sum += term;
        i += 1.0;
        if term < 1e-12 * sum {
            break;
        }
    }
    -(ln_first + sum.ln()) / std::f64::consts::LN_10
}

/// How much the series wanders beyond Poisson before hour `before`: φ in `Var = μ + φμ²`
/// (see the module docs), from the [`DISPERSION_HOURS`] before it that have a weekly
/// baseline; `None` when fewer than a day of them do, 0 for a quiet series (fewer than 12 of
/// them usually hold [`DISPERSION_MIN_LEVEL`] messages).
pub fn dispersion(counts: &Hourly, before: i64, history_from: i64) -> Option<f64> {
    let mut judged = 0;
    let mut points = Vec::new();
    for h in (before - DISPERSION_HOURS).max(history_from)..before {
        let Some(b) = baseline(counts, h, history_from) else {
            continue;
        };
        if b.basis != "same hour of the week" {
            continue;
        }
        judged += 1;
        if b.expected >= DISPERSION_MIN_LEVEL {
            let d = counts.get(&h).copied().unwrap_or(0) as f64 - b.expected;
            points.push((d * d, b.expected));
        }
    }
    if judged < 24 {
        return None;
    }
    if points.len() < 12 {
        return Some(0.0);
    }
    let mut ratios = vec![0.0; points.len()];
    let mut median_at = |phi: f64| {
        for (r, &(d2, mu)) in ratios.iter_mut().zip(&points) {
            *r = d2 / (mu + phi * mu * mu);
        }
        let mid = ratios.len() / 2;
        *ratios.select_nth_unstable_by(mid, f64::total_cmp).1
    };
    if median_at(0.0) <= CHI2_1_MEDIAN {
        return Some(0.0);
    }
    let (mut low, mut high) = (0.0f64, 1.0f64);
    while median_at(high) > CHI2_1_MEDIAN && high < 1e3 {
        low = high;
        high *= 2.0;
    }
    for _ in 0..40 {
        let mid = (low + high) / 2.0;
        if median_at(mid) > CHI2_1_MEDIAN {
            low = mid;
        } else {
            high = mid;
        }
    }
    Some(high)
}

/// How a series' windows are judged.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Judging {
    /// φ of [`dispersion`]; `None` when not measured (Poisson, with the [`MIN_RATIO`] guard).
    pub dispersion: Option<f64>,
    /// How many window lengths are judged each hour: 1 for the hour alone, as many as
    /// [`WINDOWS`] holds for a live check.
    pub lengths: usize,
}

impl Judging {
    /// The hour alone, wander not measured: the engine's [`judge`].
    pub const HOURLY: Judging = Judging {
        dispersion: None,
        lengths: 1,
    };
}

/// Whether `observed` messages in `window` are an alert (see the module docs).
pub fn judge_window(
    counts: &Hourly,
    window: Window,
    observed: i64,
    history_from: i64,
    judging: Judging,
) -> Option<Spike> {
    if observed < MIN_OBSERVED {
        return None;
    }
    let baseline = window_baseline(counts, window, history_from)?;
    let level = baseline.expected.max(FLOOR * window.minutes as f64 / 60.0);
    let (ratio, phi) = match judging.dispersion {
        None => (MIN_RATIO, 0.0),
        Some(phi) => (MIN_RISE, phi),
    };
    if (observed as f64) < ratio * level {
        return None;
    }
    let surprise = negative_binomial_surprise(observed, level, phi)
        - (judging.lengths.max(1) as f64 * window.per_hour()).log10();
    let severity = if surprise >= CRITICAL {
        Severity::Critical
    } else if surprise >= WARNING {
        Severity::Warning
    } else {
        return None;
    };
    Some(Spike {
        observed,
        baseline,
        surprise: (surprise * 100.0).round() / 100.0,
        severity,
    })
}

/// Whether `hour` of the series is an alert (see the module docs): the engine's judgement of
/// one hour from the hours [`hours_read`] names.
pub fn judge(counts: &Hourly, hour: i64, history_from: i64) -> Option<Spike> {
    let observed = counts.get(&hour).copied().unwrap_or(0);
    judge_window(
        counts,
        Window::hour(hour),
        observed,
        history_from,
        Judging::HOURLY,
    )
}

/// The live check at Unix minute `now` (a multiple of 5): every window of [`WINDOWS`] that
/// ends then judged, with `dispersion` measured before the hour `now` is in; the most
/// surprising alert and its window. Reads nothing at or after `now` (complete hours from
/// `hourly`, the rest from `five`).
pub fn judge_live(
    hourly: &Hourly,
    five: &FiveMinutes,
    now: i64,
    history_from: i64,
    dispersion: Option<f64>,
) -> Option<(Window, Spike)> {
    let judging = Judging {
        dispersion,
        lengths: WINDOWS.len(),
    };
    WINDOWS
        .iter()
        .filter_map(|&minutes| {
            // Sub-hour windows tumble; longer ones end at the hour.
            if now.rem_euclid(minutes.min(60)) != 0 {
                return None;
            }
            let window = Window::ending(now, minutes)?;
            let observed = window.count(hourly, five);
            judge_window(hourly, window, observed, history_from, judging).map(|s| (window, s))
        })
        .max_by(|a, b| a.1.surprise.total_cmp(&b.1.surprise))
}

/// What the store counts for detection: inbound messages per hour (by their own time) per
/// topic, per set of intents (a JSON array, as the enrich stage stored it), per channel, and
/// the first hour the workspace has any message in.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct HourlyCounts {
    pub topics: Vec<(i64, crate::TopicId, i64)>,
    pub intents: Vec<(i64, String, i64)>,
    pub channels: Vec<(i64, crate::ChannelId, i64)>,
    pub first_hour: Option<i64>,
}

/// One series.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "dimension", content = "key", rename_all = "lowercase")]
pub enum SeriesKey {
    Topic(crate::TopicId),
    Intent(String),
    Channel(crate::ChannelId),
}

impl SeriesKey {
    /// Its dimension (`topic`, `intent`, `channel`) and key as text, as alerts are kept.
    pub fn parts(&self) -> (&'static str, String) {
        match self {
            SeriesKey::Topic(t) => ("topic", t.0.to_string()),
            SeriesKey::Intent(i) => ("intent", i.clone()),
            SeriesKey::Channel(c) => ("channel", c.0.to_string()),
        }
    }
}

/// A message of an alert's hour, the most followed authors first.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopMessage {
    pub message_id: crate::MessageId,
    pub conversation_id: crate::ConversationId,
    pub sent_at: crate::time::Timestamp,
    pub text: String,
    pub handle: Option<String>,
    pub followers: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poisson_tails_match_their_sums() {
        // P(X ≥ 5 | λ = 1) = 1 − Σ_{i<5} e^-1 / i! = 0.0036599
        assert!((poisson_surprise(5, 1.0) - (-(0.0036599f64).log10())).abs() < 1e-3);
        // P(X ≥ 10 | λ = 2) = 4.6498e-5
        assert!((poisson_surprise(10, 2.0) - (-(4.6498e-5f64).log10())).abs() < 1e-3);
        // Far in the tail (the Stirling branch): finite and growing.
        let far = poisson_surprise(400, 3.0);
        assert!(far.is_finite() && far > poisson_surprise(200, 3.0), "{far}");
        assert_eq!(poisson_surprise(2, 3.0), 0.0);
    }

    fn series(points: &[(i64, i64)]) -> Hourly {
        points.iter().copied().collect()
    }

    #[test]
    fn the_usual_level_is_the_median_of_past_weeks_and_ignores_a_past_spike() {
        let hour = 10_000;
        let w = HOURS_PER_WEEK;
        // Three quiet weeks and one with an outage at this hour: the median stays quiet.
        let counts = series(&[
            (hour - 4 * w, 3),
            (hour - 3 * w, 80),
            (hour - 2 * w, 2),
            (hour - w, 4),
            (hour, 40),
        ]);
        let b = baseline(&counts, hour, hour - 5 * w).unwrap();
        assert_eq!(b.basis, "same hour of the week");
        assert_eq!(b.samples, vec![3, 80, 2, 4]);
        assert_eq!(b.expected, 3.5);
        let spike = judge(&counts, hour, hour - 5 * w).unwrap();
        assert_eq!(spike.severity, Severity::Critical);
        assert_eq!(spike.observed, 40);
        // The same count where 40 is usual is no alert.
        let usual = series(&[(hour - 2 * w, 38), (hour - w, 42), (hour, 40)]);
        assert!(judge(&usual, hour, hour - 2 * w).is_none());
    }

    #[test]
    fn too_little_history_is_not_judged_and_a_new_workspace_is_not_all_zeros() {
        let hour = 10_000;
        let counts = series(&[(hour, 50)]);
        // History starts two hours ago: no week, no three days.
        assert!(judge(&counts, hour, hour - 2).is_none());
        // Three days of history: the same hour of the day, each day's hour a sample.
        let daily = series(&[(hour - 72, 1), (hour - 48, 0), (hour - 24, 2), (hour, 50)]);
        let b = baseline(&daily, hour, hour - 72).unwrap();
        assert_eq!((b.basis, b.expected), ("same hour of the day", 1.0));
        assert_eq!(b.samples, vec![1, 0, 2]);
        assert_eq!(
            judge(&daily, hour, hour - 72).unwrap().severity,
            Severity::Critical
        );
        // A fourth day without messages at that hour is a zero, not left out.
        assert_eq!(
            baseline(&daily, hour, hour - 96).unwrap().samples,
            vec![0, 1, 0, 2]
        );
    }

    #[test]
    fn a_few_messages_over_silence_or_a_big_series_wandering_is_no_alert() {
        let hour = 10_000;
        let w = HOURS_PER_WEEK;
        // Usually silent: 4 messages is below the fewest that can be an alert; 8 is one.
        let quiet = series(&[(hour, 4)]);
        assert!(judge(&quiet, hour, hour - 3 * w).is_none());
        let eight = series(&[(hour, 8)]);
        let spike = judge(&eight, hour, hour - 3 * w).unwrap();
        assert_eq!(spike.baseline.expected, 0.0);
        assert!(spike.surprise >= CRITICAL, "{spike:?}");
        // A big series 50 % above its level: very unlikely for a Poisson, usual for real
        // traffic; below the ratio, so no alert.
        let big = series(&[(hour - 2 * w, 1000), (hour - w, 1000), (hour, 1500)]);
        assert!(judge(&big, hour, hour - 3 * w).is_none());
    }

    #[test]
    fn negative_binomial_tails_match_their_sums_and_are_heavier_than_poisson() {
        // Zero dispersion is the Poisson.
        assert_eq!(
            negative_binomial_surprise(10, 2.0, 0.0),
            poisson_surprise(10, 2.0)
        );
        // Against 1 − Σ_{k<x} P(k), each P(k + 1) = P(k) (k + r)/(k + 1) · μ/(μ + r).
        for (x, mu, phi) in [
            (10i64, 2.0f64, 0.5f64),
            (30, 12.0, 0.1),
            (700, 400.0, 0.0225),
        ] {
            let r = 1.0 / phi;
            let p = mu / (mu + r);
            let (mut pk, mut below) = ((r / (r + mu)).powf(r), 0.0);
            for k in 0..x {
                below += pk;
                pk *= (k as f64 + r) / (k as f64 + 1.0) * p;
            }
            let direct = -(1.0 - below).log10();
            let ours = negative_binomial_surprise(x, mu, phi);
            assert!(
                (ours - direct).abs() < 1e-3 * direct.max(1.0),
                "{x} {mu} {phi}: {ours} vs {direct}"
            );
            assert!(
                ours < poisson_surprise(x, mu),
                "wander makes a count less surprising"
            );
        }
        assert_eq!(negative_binomial_surprise(3, 4.0, 0.1), 0.0);
    }

    /// Four weeks and a day of hourly counts around `level`, each hour off by a normal
    /// deviate of standard deviation `wander` times the level (a fixed pseudo-random draw).
    fn wandering(level: f64, wander: f64) -> (Hourly, i64) {
        let from = 100_000;
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut uniform = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        };
        let counts = (0..29 * 24)
            .map(|i| {
                let z =
                    (-2.0 * uniform().ln()).sqrt() * (2.0 * std::f64::consts::PI * uniform()).cos();
                (
                    from + i,
                    (level * (1.0 + wander * z)).round().max(0.0) as i64,
                )
            })
            .collect();
        (counts, from)
    }

    #[test]
    fn wander_is_measured_from_the_series_own_week_and_a_past_spike_does_not_inflate_it() {
        let (calm, from) = wandering(100.0, 0.02);
        let (wild, _) = wandering(100.0, 0.3);
        let before = from + 29 * 24;
        let calm_phi = dispersion(&calm, before, from).unwrap();
        let wild_phi = dispersion(&wild, before, from).unwrap();
        assert!(calm_phi < 0.001, "{calm_phi}");
        assert!(wild_phi > 0.02 && wild_phi < 0.2, "{wild_phi}");
        // An outage in ten of the week's hours moves the median of 168 hours little.
        let mut outage = wild.clone();
        for h in before - 30..before - 20 {
            outage.insert(h, 1_000);
        }
        let outage_phi = dispersion(&outage, before, from).unwrap();
        assert!(outage_phi < 1.5 * wild_phi, "{outage_phi} vs {wild_phi}");
        // A quiet series: Poisson. Less than a day with weekly baselines: not measured.
        let quiet: Hourly = (0..29 * 24).map(|i| (from + i, i % 2)).collect();
        assert_eq!(dispersion(&quiet, before, from), Some(0.0));
        assert_eq!(dispersion(&calm, from + 14 * 24 + 10, from), None);
    }

    #[test]
    fn a_big_series_half_again_its_level_alerts_when_it_is_calm_but_not_when_it_wanders() {
        let (calm, from) = wandering(400.0, 0.02);
        let (wild, _) = wandering(400.0, 0.3);
        let hour = from + 29 * 24 - 1;
        for counts in [&calm, &wild] {
            // The engine's hourly judgement, wander unmeasured, needs twice the level.
            let mut c = counts.clone();
            c.insert(hour, 600);
            assert!(judge(&c, hour, from).is_none());
        }
        let live = |counts: &Hourly| {
            let phi = dispersion(counts, hour, from);
            let mut c = counts.clone();
            c.insert(hour, 600);
            judge_live(&c, &FiveMinutes::new(), (hour + 1) * 60, from, phi)
        };
        let (window, spike) = live(&calm).expect("600 where 400 is usual and steady");
        assert_eq!(window, Window::hour(hour));
        assert_eq!(spike.severity, Severity::Critical);
        assert!(live(&wild).is_none(), "{:?}", live(&wild));
        // Below a quarter above the level nothing alerts, however calm the series.
        let mut c = calm.clone();
        c.insert(hour, 480);
        let phi = dispersion(&calm, hour, from);
        assert!(judge_live(&c, &FiveMinutes::new(), (hour + 1) * 60, from, phi).is_none());
    }

    #[test]
    fn a_five_minute_burst_alerts_at_its_end_where_its_hour_would_not() {
        // 12 messages an hour, one a slot; at 10:05-10:10 twelve arrive at once.
        let from = 100_000;
        let hour = from + 29 * 24;
        let mut hourly = Hourly::new();
        let mut five = FiveMinutes::new();
        for h in from..=hour {
            hourly.insert(h, 12);
            for s in 0..12 {
                five.insert(h * 12 + s, 1);
            }
        }
        five.insert(hour * 12 + 1, 12);
        hourly.insert(hour, 23);
        let phi = dispersion(&hourly, hour, from);
        assert_eq!(phi, Some(0.0));
        let (window, spike) = judge_live(&hourly, &five, hour * 60 + 10, from, phi).unwrap();
        assert_eq!((window.start(), window.minutes()), (hour * 60 + 5, 5));
        assert_eq!((spike.observed, spike.baseline.expected), (12, 1.0));
        // Its surprise is shared with the hour's 60 windows of five lengths: raw less log10(60).
        let raw = poisson_surprise(12, 1.0);
        assert!(
            (spike.surprise - (raw - 60f64.log10())).abs() < 0.01,
            "{spike:?}"
        );
        // The same hour judged whole (23 against 12) is no alert, nor is the 5-minute check
        // before the burst.
        assert!(judge(&hourly, hour, from).is_none());
        assert!(judge_live(&hourly, &five, hour * 60 + 5, from, phi).is_none());
    }

    #[test]
    fn a_live_check_reads_nothing_that_had_not_arrived() {
        let (mut hourly, from) = wandering(40.0, 0.1);
        let hour = from + 29 * 24 - 3;
        let mut five = FiveMinutes::new();
        five.insert(hour * 12 + 2, 30);
        let now = hour * 60 + 15;
        let phi = dispersion(&hourly, hour, from);
        let seen = judge_live(&hourly, &five, now, from, phi);
        assert!(seen.is_some());
        // What comes after `now` — the rest of the hour, the next hours — changes nothing.
        five.insert(hour * 12 + 3, 500);
        hourly.insert(hour, 900);
        hourly.insert(hour + 1, 900);
        assert_eq!(judge_live(&hourly, &five, now, from, phi), seen);
    }

    #[test]
    fn windows_lie_inside_an_hour_or_are_whole_hours_and_long_ones_use_weekly_totals() {
        assert!(Window::new(600, 5).is_some());
        assert!(Window::new(655, 10).is_none(), "straddles two hours");
        assert!(Window::new(600, 90).is_none());
        assert!(Window::new(630, 120).is_none());
        assert!(Window::new(603, 5).is_none());
        let w = Window::ending(6_000, 180).unwrap();
        assert_eq!((w.start(), w.end()), (5_820, 6_000));
        // Three hours ending at hour 100: weekly totals 30, 300 (an outage), 33, 36.
        let hour = 100 + 4 * HOURS_PER_WEEK;
        let mut counts = Hourly::new();
        for (week, per_hour) in [(4, 10), (3, 100), (2, 11), (1, 12)] {
            for h in 0..3 {
                counts.insert(hour - 3 + h - week * HOURS_PER_WEEK, per_hour);
            }
        }
        let b = window_baseline(&counts, Window::ending(hour * 60, 180).unwrap(), 0).unwrap();
        assert_eq!(b.samples, vec![30, 300, 33, 36]);
        assert_eq!(b.expected, 34.5);
        // A quarter of an hour expects a quarter of its hour.
        let q = window_baseline(&counts, Window::new((hour - 1) * 60, 15).unwrap(), 0).unwrap();
        assert_eq!(q.expected, 11.5 / 4.0);
    }
}
