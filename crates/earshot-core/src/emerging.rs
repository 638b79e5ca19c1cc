//! Emerging issues: which series — a topic's messages, an intent's, a channel's — rose in an
//! hour far above what is usual for that hour of the week.
//!
//! **Expected level.** The median of the same hour of the week in the previous [`WEEKS`]
//! weeks (at least two of them covered by the workspace's history); with less history, the
//! median of the same hour of the day over the previous seven days (at least three covered);
//! with less, nothing is judged. Medians, because a past spike (last Monday's outage) must not
//! raise what counts as usual, and because they need no distribution fitted to a handful of
//! samples. Hours before the workspace's first message are not history: they are left out,
//! not read as zeros.
//!
//! **Surprise.** Counts of independent arrivals in an hour are Poisson around their level, so
//! the surprise of an observed count is `-log10 P(X ≥ observed)` under a Poisson of the
//! expected level (floored at [`FLOOR`], so that a series that is usually silent needs a few
//! messages, not one, to surprise). Poisson is exact where care teams need it most — small
//! counts, where a median absolute deviation of integers is often zero and a z-score
//! meaningless — but it understates how much big series wander hour to hour
//! (overdispersion), so an alert also needs at least [`MIN_RATIO`] times the expected level
//! and at least [`MIN_OBSERVED`] messages. Severity: `warning` from a surprise of
//! [`WARNING`] (p < 0.001), `critical` from [`CRITICAL`] (p < 10⁻⁶).

use serde::Serialize;
use std::collections::HashMap;

/// Weeks of history the weekly baseline reads.
pub const WEEKS: i64 = 4;
/// The least expected level (messages per hour) a surprise is computed against.
pub const FLOOR: f64 = 0.5;
/// The fewest messages in the hour that can be an alert.
pub const MIN_OBSERVED: i64 = 5;
/// How many times its expected level an alert's count must be.
pub const MIN_RATIO: f64 = 2.0;
/// Surprise (−log10 p) from which a rise is a warning.
pub const WARNING: f64 = 3.0;
/// Surprise from which it is critical.
pub const CRITICAL: f64 = 6.0;

const HOURS_PER_WEEK: i64 = 168;

/// Hourly counts of one series: hour number (Unix milliseconds / 3,600,000) → messages.
pub type Hourly = HashMap<i64, i64>;

/// What a series usually does at an hour, and from what.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Baseline {
    pub expected: f64,
    /// `same hour of the week` or `same hour of the day`.
    pub basis: &'static str,
    /// The counts the median was taken over, oldest first.
    pub samples: Vec<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Critical,
}

/// A rise that is an alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spike {
    pub observed: i64,
    #[serde(flatten)]
    pub baseline: Baseline,
    /// −log10 of the chance of at least `observed` at the expected level.
    pub surprise: f64,
    pub severity: Severity,
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
    let at = |h: i64| counts.get(&h).copied().unwrap_or(0);
    let weekly: Vec<i64> = (1..=WEEKS)
        .rev()
        .map(|w| hour - w * HOURS_PER_WEEK)
        .filter(|&h| h >= history_from)
        .collect();
    if weekly.len() >= 2 {
        let samples: Vec<i64> = weekly.iter().map(|&h| at(h)).collect();
        return Some(Baseline {
            expected: median(&mut samples.clone()),
            basis: "same hour of the week",
            samples,
        });
    }
    let daily: Vec<i64> = (1..=7)
        .rev()
        .map(|d| hour - d * 24)
        .filter(|&h| h >= history_from)
        .collect();
    if daily.len() >= 3 {
        let samples: Vec<i64> = daily.iter().map(|&h| at(h)).collect();
        return Some(Baseline {
            expected: median(&mut samples.clone()),
            basis: "same hour of the day",
            samples,
        });
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

/// Whether `hour` of the series is an alert (see the module docs).
pub fn judge(counts: &Hourly, hour: i64, history_from: i64) -> Option<Spike> {
    let observed = counts.get(&hour).copied().unwrap_or(0);
    if observed < MIN_OBSERVED {
        return None;
    }
    let baseline = baseline(counts, hour, history_from)?;
    let level = baseline.expected.max(FLOOR);
    if (observed as f64) < MIN_RATIO * level {
        return None;
    }
    let surprise = poisson_surprise(observed, level);
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
}
