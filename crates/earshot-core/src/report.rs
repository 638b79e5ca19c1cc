//! What the manager's dashboard shows, as the store counts it, and the arithmetic on top:
//! daily series with the empty days filled in, first-response percentiles from a histogram
//! of whole minutes, SLA compliance. Days are UTC calendar days (days since the Unix epoch).

use crate::time::Timestamp;
use crate::{AgentId, ChannelId, ConversationStatus, TeamId, TopicId};
use std::collections::BTreeMap;

const DAY_MS: i64 = 86_400_000;

/// The UTC day a moment falls on, as days since 1970-01-01.
pub fn day_of(t: Timestamp) -> i64 {
    t.timestamp_millis().div_euclid(DAY_MS)
}

/// Midnight UTC at the start of `day`.
pub fn day_start(day: i64) -> Timestamp {
    crate::time::from_millis(day * DAY_MS)
}

/// A range of whole UTC days, `first..=last`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayRange {
    pub first: i64,
    pub last: i64,
}

impl DayRange {
    /// The longest range the dashboard draws (a little over two years of days).
    pub const MAX_DAYS: i64 = 800;

    /// `first..=last`, refused when reversed or longer than [`Self::MAX_DAYS`].
    pub fn new(first: i64, last: i64) -> Result<Self, String> {
        if last < first {
            return Err("the range ends before it starts".into());
        }
        if last - first + 1 > Self::MAX_DAYS {
            return Err(format!(
                "a range has at most {} days, this one {}",
                Self::MAX_DAYS,
                last - first + 1
            ));
        }
        Ok(Self { first, last })
    }

    /// The `days` days ending with `last`.
    pub fn ending(last: i64, days: i64) -> Self {
        Self {
            first: last - days.clamp(1, Self::MAX_DAYS) + 1,
            last,
        }
    }

    /// Start of the first day (inclusive).
    pub fn from(&self) -> Timestamp {
        day_start(self.first)
    }

    /// Start of the day after the last (exclusive).
    pub fn until(&self) -> Timestamp {
        day_start(self.last + 1)
    }

    pub fn days(&self) -> impl Iterator<Item = i64> {
        self.first..=self.last
    }

    pub fn len(&self) -> usize {
        (self.last - self.first + 1) as usize
    }

    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Conversations that began on a day, on a channel, with the sentiment of their newest
/// customer message (`unknown` when none was enriched).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeRow {
    pub day: i64,
    pub channel: ChannelId,
    pub sentiment: String,
    pub conversations: i64,
}

/// Open conversations (anything not resolved) by status, team and assignee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacklogRow {
    pub status: ConversationStatus,
    pub team: Option<TeamId>,
    pub assignee: Option<AgentId>,
    pub conversations: i64,
}

/// What listening heard per source and day, for share of voice: the posts of each topic
/// (a post matching two topics counts for both), the posts matching any topic (once each),
/// and the posts from listening sources that matched none (counted, not stored).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoiceCounts {
    /// (day, channel, topic, posts)
    pub topics: Vec<(i64, ChannelId, TopicId, i64)>,
    /// (day, channel, posts matching any topic)
    pub matched: Vec<(i64, ChannelId, i64)>,
    /// (day, channel, listening posts matching none)
    pub unmatched: Vec<(i64, ChannelId, i64)>,
}

/// What the installation holds right now, for `/metrics`: cheap counts over every workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Operations {
    pub workspaces: i64,
    /// Conversations with an SLA clock running, and those whose due time has passed.
    pub sla_running: i64,
    pub sla_overdue: i64,
    /// Webhook calls kept but not processed yet.
    pub webhooks_pending: i64,
    /// (status, delivery, items) of the outbox.
    pub outbox: Vec<(String, String, i64)>,
    /// (connector, status, channels) of the connected channels.
    pub channels: Vec<(String, String, i64)>,
}

/// What the store counts for the dashboard over a range of days (the backlog is now).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DashboardCounts {
    pub volume: Vec<VolumeRow>,
    /// First responses sent in the range: (whole minutes the customer waited, how many).
    pub first_response_minutes: Vec<(i64, i64)>,
    /// Replies to a waiting customer in the range that met their SLA target, and that missed it.
    pub sla_met: i64,
    pub sla_missed: i64,
    /// SLA breaches (the due time passed unanswered) recorded in the range.
    pub sla_breaches: i64,
    pub backlog: Vec<BacklogRow>,
    /// Messages that matched each topic in the range, most first (at most ten).
    pub topics: Vec<(TopicId, i64)>,
}

/// One series per key (a channel, a sentiment), one count per day of the range, zeros where
/// nothing happened; keys in the order of their totals, largest first.
pub fn daily_series<K: Ord + Clone>(
    range: DayRange,
    rows: impl IntoIterator<Item = (i64, K, i64)>,
) -> Vec<(K, Vec<i64>)> {
    let mut by_key: BTreeMap<K, Vec<i64>> = BTreeMap::new();
    for (day, key, n) in rows {
        if day < range.first || day > range.last {
            continue;
        }
        let counts = by_key.entry(key).or_insert_with(|| vec![0; range.len()]);
        counts[(day - range.first) as usize] += n;
    }
    let mut series: Vec<(K, Vec<i64>)> = by_key.into_iter().collect();
    series.sort_by_key(|(_, counts)| std::cmp::Reverse(counts.iter().sum::<i64>()));
    series
}

/// The `q`-quantile (0..=1) of a histogram of whole minutes, as a whole minute: the
/// smallest value with at least `q` of the observations at or below it (the nearest-rank
/// definition, exact for minute-resolution data). `None` when there are no observations.
pub fn quantile_minutes(histogram: &[(i64, i64)], q: f64) -> Option<i64> {
    let mut sorted: Vec<(i64, i64)> = histogram.iter().copied().filter(|h| h.1 > 0).collect();
    sorted.sort_unstable();
    let total: i64 = sorted.iter().map(|h| h.1).sum();
    if total == 0 {
        return None;
    }
    let rank = ((q.clamp(0.0, 1.0) * total as f64).ceil() as i64).max(1);
    let mut seen = 0;
    for (minutes, n) in sorted {
        seen += n;
        if seen >= rank {
            return Some(minutes);
        }
    }
    None
}

/// SLA targets missed: late replies, and breaches still unanswered. A breach later answered
/// late counts once (as the late reply), so breaches count only beyond the late replies.
pub fn sla_missed(c: &DashboardCounts) -> i64 {
    c.sla_missed.max(c.sla_breaches)
}

/// The share of SLA targets met, 0..=1: replies in time over those and the missed ones.
pub fn sla_compliance(c: &DashboardCounts) -> Option<f64> {
    let total = c.sla_met + sla_missed(c);
    (total > 0).then(|| c.sla_met as f64 / total as f64)
}

/// "42 min", "3 h 5 min", "2 d 4 h".
pub fn minutes_in_words(m: i64) -> String {
    if m >= 60 * 24 {
        format!("{} d {} h", m / 1440, (m % 1440) / 60)
    } else if m >= 60 {
        format!("{} h {} min", m / 60, m % 60)
    } else {
        format!("{m} min")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_follow_the_nearest_rank_of_the_minutes() {
        // 1, 2, 2, 3, 10 minutes.
        let h = [(2, 2), (10, 1), (1, 1), (3, 1)];
        assert_eq!(quantile_minutes(&h, 0.5), Some(2));
        assert_eq!(quantile_minutes(&h, 0.9), Some(10));
        assert_eq!(quantile_minutes(&h, 0.0), Some(1));
        assert_eq!(quantile_minutes(&h, 1.0), Some(10));
        assert_eq!(quantile_minutes(&[], 0.5), None);
        assert_eq!(quantile_minutes(&[(5, 0)], 0.5), None);
    }

    #[test]
    fn series_fill_empty_days_and_put_the_biggest_first() {
        let range = DayRange::new(10, 13).unwrap();
        let series = daily_series(
            range,
            [
                (10, "x", 1),
                (12, "x", 2),
                (11, "email", 5),
                (9, "x", 100),
                (14, "x", 100),
            ],
        );
        assert_eq!(
            series,
            vec![("email", vec![0, 5, 0, 0]), ("x", vec![1, 0, 2, 0])]
        );
    }

    #[test]
    fn ranges_are_checked_and_cover_whole_days() {
        assert!(DayRange::new(5, 4).is_err());
        assert!(DayRange::new(0, DayRange::MAX_DAYS).is_err());
        let r = DayRange::ending(day_of(crate::time::from_millis(DAY_MS * 20 + 5)), 7);
        assert_eq!((r.first, r.last, r.len()), (14, 20, 7));
        assert_eq!(r.until().timestamp_millis(), DAY_MS * 21);
        assert_eq!(day_of(crate::time::from_millis(-1)), -1);
    }

    #[test]
    fn compliance_counts_a_breach_answered_late_once() {
        let mut c = DashboardCounts {
            sla_met: 6,
            sla_missed: 2,
            sla_breaches: 2,
            ..Default::default()
        };
        assert_eq!(sla_compliance(&c), Some(0.75));
        c.sla_breaches = 4; // two still unanswered
        assert_eq!(sla_compliance(&c), Some(0.6));
        assert_eq!(sla_compliance(&DashboardCounts::default()), None);
        assert_eq!(minutes_in_words(185), "3 h 5 min");
        assert_eq!(minutes_in_words(3000), "2 d 2 h");
    }
}
