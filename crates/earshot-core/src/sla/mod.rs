//! Service levels on business calendars (issue 5, item 4): pure time arithmetic, no storage.
//!
//! A [`Calendar`] is a time zone, working windows per weekday (several a day, in local time)
//! and holidays (local dates). Business time is real elapsed time inside the windows: a window
//! that a daylight-saving change shortens is shorter, one it lengthens is longer, and a window
//! edge that falls in a spring-forward gap opens when the local clock passes it. An [`SlaClock`]
//! counts business time towards a target and pauses (a pending or snoozed conversation); it is
//! plain data, so a worker that restarts from what was stored computes the same due time.
//! Due times are computed when the clock's state changes and stored, so a timer worker finds
//! what is due with an index.

use crate::time::Timestamp;
use chrono::{Duration, NaiveDate};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

mod calendar;

pub use calendar::{Calendar, CalendarError, Window};

/// Response targets on a calendar. [`Policy::out_of_the_box`] is what every workspace has
/// until a rule applies one of its own ([`PolicyDraft`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub name: String,
    /// The brand's first answer, counted from the customer's first message.
    pub first_response: Duration,
    /// Each later answer, counted from the oldest customer message not yet answered.
    pub next_response: Duration,
    /// Resolution, counted from the conversation's first message (reported, not a timer).
    pub resolution: Option<Duration>,
    /// The share of a target after which a warning is due (0.8: at 80%).
    pub warn_share: f64,
    pub calendar: Calendar,
}

impl Policy {
    /// First (and next) response within 24 hours around the clock; within 1 hour for an
    /// `urgent` conversation.
    pub fn out_of_the_box(priority_label: &str) -> Self {
        let urgent = priority_label == "urgent";
        let target = if urgent {
            Duration::hours(1)
        } else {
            Duration::hours(24)
        };
        Self {
            name: if urgent {
                "urgent: 1 hour"
            } else {
                "standard: 24 hours"
            }
            .into(),
            first_response: target,
            next_response: target,
            resolution: None,
            warn_share: DEFAULT_WARN_SHARE,
            calendar: Calendar::always(),
        }
    }

    /// The target the customer's current wait is measured against.
    pub fn target(&self, answered_before: bool) -> Duration {
        if answered_before {
            self.next_response
        } else {
            self.first_response
        }
    }

    /// When the warning for the current wait is due: the warning share of the target, on the
    /// calendar.
    pub fn warning_due(
        &self,
        waiting_since: Timestamp,
        answered_before: bool,
    ) -> Option<Timestamp> {
        let target = self.target(answered_before);
        let share =
            Duration::milliseconds((target.num_milliseconds() as f64 * self.warn_share) as i64);
        self.calendar.add(waiting_since, share)
    }

    /// When the answer the customer waits for is due: `waiting_since` plus the first-response
    /// target (never answered) or the next-response one, on the calendar.
    pub fn response_due(
        &self,
        waiting_since: Timestamp,
        answered_before: bool,
    ) -> Option<Timestamp> {
        self.calendar
            .add(waiting_since, self.target(answered_before))
    }

    /// Pausing the current wait at `at` (the conversation went pending or was snoozed): the
    /// business time left until `due`, never negative.
    pub fn time_left(&self, at: Timestamp, due: Timestamp) -> Duration {
        self.calendar.between(at, due).max(Duration::zero())
    }

    /// Resuming a paused wait at `at` with `left` business time: the new due time, and the
    /// warning time unless the warning share was already used before the pause. The one place
    /// a resumed clock is computed (agents' actions, snoozes ending, customers writing).
    pub fn resume(
        &self,
        at: Timestamp,
        left: Duration,
        answered_before: bool,
    ) -> (Option<Timestamp>, Option<Timestamp>) {
        let target = self.target(answered_before);
        let clock = SlaClock {
            target,
            used: (target - left).max(Duration::zero()),
            running_since: Some(at),
        };
        (
            clock.due(&self.calendar),
            clock.warn_at(&self.calendar, self.warn_share),
        )
    }
}

/// Business time counted towards a target, pausable. Plain data: store it, reload it, and the
/// due time is the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SlaClock {
    /// The business time allowed.
    #[serde(with = "seconds")]
    pub target: Duration,
    /// Business time counted before the current run (or before the pause).
    #[serde(with = "seconds")]
    pub used: Duration,
    /// When the current run started; `None` while paused.
    pub running_since: Option<Timestamp>,
}

mod seconds {
    use chrono::Duration;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i64(d.num_seconds())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::seconds(i64::deserialize(d)?))
    }
}

impl SlaClock {
    /// A clock started at `at` (the customer wrote).
    pub fn start(target: Duration, at: Timestamp) -> Self {
        Self {
            target,
            used: Duration::zero(),
            running_since: Some(at),
        }
    }

    /// Stops counting at `at` (the conversation went pending or was snoozed).
    pub fn pause(&mut self, calendar: &Calendar, at: Timestamp) {
        if let Some(since) = self.running_since.take() {
            self.used += calendar.between(since, at);
        }
    }

    /// Counts again from `at`.
    pub fn resume(&mut self, at: Timestamp) {
        if self.running_since.is_none() {
            self.running_since = Some(at);
        }
    }

    /// When the target is reached if the clock keeps running; `None` while paused.
    pub fn due(&self, calendar: &Calendar) -> Option<Timestamp> {
        let since = self.running_since?;
        calendar.add(since, self.target - self.used)
    }

    /// When `share` (0–1) of the target is reached, for warnings; `None` while paused or when
    /// that share was already used before this run.
    pub fn warn_at(&self, calendar: &Calendar, share: f64) -> Option<Timestamp> {
        let since = self.running_since?;
        let at = Duration::milliseconds((self.target.num_milliseconds() as f64 * share) as i64);
        (at > self.used).then(|| calendar.add(since, at - self.used))?
    }

    /// Business time used by `now`.
    pub fn used_at(&self, calendar: &Calendar, now: Timestamp) -> Duration {
        self.used
            + self
                .running_since
                .map_or(Duration::zero(), |s| calendar.between(s, now))
    }

    pub fn breached(&self, calendar: &Calendar, now: Timestamp) -> bool {
        self.used_at(calendar, now) >= self.target
    }
}

/// Warnings are due at 80% of a target unless a policy says otherwise.
pub const DEFAULT_WARN_SHARE: f64 = 0.8;

/// An SLA policy as the API takes and stores it.
///
/// ```json
/// {"name": "Business hours, Berlin", "first_response_minutes": 240, "next_response_minutes": 480,
///  "warn_at": 0.75,
///  "calendar": {"time_zone": "Europe/Berlin",
///               "week": {"mon": [["09:00", "12:30"], ["13:30", "18:00"]], "tue": [["09:00", "18:00"]]},
///               "holidays": ["2026-12-25", "2026-12-26"]}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyDraft {
    pub name: String,
    pub first_response_minutes: u32,
    /// Defaults to the first-response target.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_response_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution_minutes: Option<u32>,
    /// The share of a target at which to warn, 0 < share < 1.
    #[serde(default = "default_warn")]
    pub warn_at: f64,
    /// Around the clock in UTC when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calendar: Option<CalendarDraft>,
}

fn default_warn() -> f64 {
    DEFAULT_WARN_SHARE
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CalendarDraft {
    /// An IANA time zone, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// `mon` … `sun` → working windows `[["09:00", "17:00"], …]`; a missing day is off.
    pub week: std::collections::BTreeMap<String, Vec<[String; 2]>>,
    #[serde(default)]
    pub holidays: Vec<NaiveDate>,
}

const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl CalendarDraft {
    pub fn compile(&self) -> Result<Calendar, CalendarError> {
        let time_zone: Tz = self.time_zone.parse().map_err(|_| {
            CalendarError(format!(
                "time_zone: `{}` is not an IANA time zone (e.g. Europe/Berlin)",
                self.time_zone
            ))
        })?;
        let mut week: [Vec<Window>; 7] = Default::default();
        for (day, windows) in &self.week {
            let i = DAYS.iter().position(|d| d == day).ok_or_else(|| {
                CalendarError(format!("week: `{day}` is not a day; use mon … sun"))
            })?;
            for [from, to] in windows {
                week[i].push(
                    Window::parse(from, to)
                        .map_err(|e| CalendarError(format!("week.{day}: {e}")))?,
                );
            }
        }
        Calendar::new(time_zone, week, self.holidays.iter().copied().collect())
            .map_err(|e| CalendarError(format!("calendar: {e}")))
    }
}

impl PolicyDraft {
    /// Checks and builds the policy; the error says which field is wrong.
    pub fn compile(&self) -> Result<Policy, CalendarError> {
        if self.name.trim().is_empty() {
            return Err(CalendarError("name: is empty".into()));
        }
        if self.first_response_minutes == 0 || self.next_response_minutes == Some(0) {
            return Err(CalendarError(
                "response targets are at least 1 minute".into(),
            ));
        }
        if !(self.warn_at > 0.0 && self.warn_at < 1.0) {
            return Err(CalendarError(
                "warn_at: must be between 0 and 1 (e.g. 0.8)".into(),
            ));
        }
        let minutes = |m: u32| Duration::minutes(i64::from(m));
        Ok(Policy {
            name: self.name.clone(),
            first_response: minutes(self.first_response_minutes),
            next_response: minutes(
                self.next_response_minutes
                    .unwrap_or(self.first_response_minutes),
            ),
            resolution: self.resolution_minutes.map(minutes),
            warn_share: self.warn_at,
            calendar: match &self.calendar {
                Some(c) => c.compile()?,
                None => Calendar::always(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use std::collections::BTreeSet;

    fn utc(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .with_timezone(&Utc)
    }

    /// Monday to Friday 09:00–12:00 and 13:00–17:00 in Berlin; Saturday 10:00–14:00.
    fn berlin(holidays: &[&str]) -> Calendar {
        let day = || {
            vec![
                Window::parse("09:00", "12:00").unwrap(),
                Window::parse("13:00", "17:00").unwrap(),
            ]
        };
        Calendar::new(
            chrono_tz::Europe::Berlin,
            [
                day(),
                day(),
                day(),
                day(),
                day(),
                vec![Window::parse("10:00", "14:00").unwrap()],
                vec![],
            ],
            holidays.iter().map(|d| d.parse().unwrap()).collect(),
        )
        .unwrap()
    }

    #[test]
    fn out_of_the_box_a_day_and_an_hour_when_urgent() {
        let t = utc("2026-11-24T10:00:00Z");
        assert_eq!(
            Policy::out_of_the_box("high").response_due(t, false),
            Some(utc("2026-11-25T10:00:00Z"))
        );
        assert_eq!(
            Policy::out_of_the_box("urgent").response_due(t, true),
            Some(utc("2026-11-24T11:00:00Z"))
        );
    }

    #[test]
    fn around_the_clock_is_plain_addition() {
        let c = Calendar::always();
        let t = utc("2026-11-24T10:00:00Z");
        assert_eq!(
            c.add(t, Duration::hours(24)),
            Some(utc("2026-11-25T10:00:00Z"))
        );
        assert_eq!(
            c.between(t, utc("2026-11-25T10:00:00Z")),
            Duration::hours(24)
        );
    }

    #[test]
    fn lunch_breaks_evenings_and_the_weekend_are_skipped() {
        let c = berlin(&[]);
        // Friday 2026-11-27 16:00 Berlin (15:00 UTC) plus 3 working hours: 1 h on Friday,
        // then Saturday 10:00–12:00 Berlin.
        let due = c.add(utc("2026-11-27T15:00:00Z"), Duration::hours(3));
        assert_eq!(due, Some(utc("2026-11-28T11:00:00Z")));
        // Saturday's 4 hours used up, Sunday closed: Monday 09:00 + 1 h = 10:00 Berlin.
        let due = c.add(utc("2026-11-27T15:00:00Z"), Duration::hours(6));
        assert_eq!(due, Some(utc("2026-11-30T09:00:00Z")));
        // Written at 12:30 (lunch): the clock starts at 13:00.
        let due = c.add(utc("2026-11-24T11:30:00Z"), Duration::minutes(30));
        assert_eq!(due, Some(utc("2026-11-24T12:30:00Z")));
        assert!(!c.is_open(utc("2026-11-24T11:30:00Z")));
        assert!(c.is_open(utc("2026-11-24T12:30:00Z")));
    }

    #[test]
    fn a_holiday_is_closed_all_day() {
        let c = berlin(&["2026-12-25"]);
        // Thursday 24 Dec 16:00 Berlin + 2 h: 1 h on the 24th, Christmas closed, then
        // Saturday 26th 10:00 + 1 h.
        let due = c.add(utc("2026-12-24T15:00:00Z"), Duration::hours(2));
        assert_eq!(due, Some(utc("2026-12-26T10:00:00Z")));
        assert_eq!(
            c.between(utc("2026-12-24T23:00:00Z"), utc("2026-12-25T23:00:00Z")),
            Duration::zero()
        );
    }

    #[test]
    fn daylight_saving_changes_shift_utc_and_keep_local_windows() {
        let c = berlin(&[]);
        // Friday 27 March 2026, 16:00 CET (15:00 UTC) + 4 working hours: 1 h Friday, Saturday
        // 28 March 10:00–13:00 CET (09:00–12:00 UTC). Then the clocks go forward on Sunday
        // 29 March; Monday's 09:00 is 07:00 UTC.
        assert_eq!(
            c.add(utc("2026-03-27T15:00:00Z"), Duration::hours(4)),
            Some(utc("2026-03-28T12:00:00Z"))
        );
        assert_eq!(
            c.add(utc("2026-03-27T15:00:00Z"), Duration::hours(6)),
            Some(utc("2026-03-30T08:00:00Z")),
            "Monday 10:00 CEST"
        );
        // Autumn: back on Sunday 25 October; Monday 26th 09:00 CET is 08:00 UTC.
        assert_eq!(
            c.add(utc("2026-10-24T11:00:00Z"), Duration::hours(2)),
            Some(utc("2026-10-26T09:00:00Z")),
            "Saturday 13:00–14:00 CEST, then Monday 09:00–10:00 CET"
        );
    }

    #[test]
    fn a_window_across_the_spring_gap_is_an_hour_shorter() {
        // Open all Sunday, New York: on 8 March 2026 the day has 23 hours.
        let c = Calendar::new(
            chrono_tz::America::New_York,
            std::array::from_fn(|d| {
                if d == 6 {
                    vec![Window::parse("00:00", "24:00").unwrap()]
                } else {
                    vec![]
                }
            }),
            BTreeSet::new(),
        )
        .unwrap();
        let start = utc("2026-03-08T05:00:00Z"); // midnight EST
        assert_eq!(
            c.between(start, utc("2026-03-09T05:00:00Z")),
            Duration::hours(23)
        );
        // A window edge inside the gap (02:30 does not exist) opens at 03:00 EDT.
        let gap = Calendar::new(
            chrono_tz::America::New_York,
            std::array::from_fn(|d| {
                if d == 6 {
                    vec![Window::parse("02:30", "04:00").unwrap()]
                } else {
                    vec![]
                }
            }),
            BTreeSet::new(),
        )
        .unwrap();
        assert_eq!(
            gap.add(start, Duration::minutes(30)),
            Some(utc("2026-03-08T07:30:00Z"))
        );
    }

    #[test]
    fn a_paused_wait_resumes_with_the_time_that_was_left_and_its_warning() {
        let p = Policy::out_of_the_box("normal"); // 24 h, warning at 80% (19.2 h)
        let paused = utc("2026-03-02T10:00:00Z");
        let due = utc("2026-03-02T20:00:00Z");
        let left = p.time_left(paused, due);
        assert_eq!(left, Duration::hours(10));
        // 14 h used: the warning (at 19.2 h) is 5.2 h into the resumed wait.
        let back = utc("2026-03-05T09:00:00Z");
        let (due, warn) = p.resume(back, left, false);
        assert_eq!(due, Some(utc("2026-03-05T19:00:00Z")));
        assert_eq!(warn, Some(utc("2026-03-05T14:12:00Z")));
        // Paused past the warning share: no warning is due again.
        let (due, warn) = p.resume(back, Duration::hours(2), false);
        assert_eq!(due, Some(utc("2026-03-05T11:00:00Z")));
        assert_eq!(warn, None);
        // Paused after the due time: nothing left, due at once.
        assert_eq!(p.time_left(back, paused), Duration::zero());
    }

    #[test]
    fn a_pending_pause_stops_the_clock_and_a_restart_changes_nothing() {
        let c = berlin(&[]);
        // Monday 23 Nov 09:00 Berlin (08:00 UTC), target 8 working hours.
        let mut clock = SlaClock::start(Duration::hours(8), utc("2026-11-23T08:00:00Z"));
        assert_eq!(
            c.add(utc("2026-11-23T08:00:00Z"), Duration::hours(8)),
            Some(utc("2026-11-24T09:00:00Z"))
        );
        assert_eq!(clock.due(&c), Some(utc("2026-11-24T09:00:00Z")));
        // Pending at 11:00 Berlin (2 h used), until Tuesday 14:00 Berlin.
        clock.pause(&c, utc("2026-11-23T10:00:00Z"));
        assert_eq!(clock.used, Duration::hours(2));
        assert_eq!(clock.due(&c), None);
        assert!(
            !clock.breached(&c, utc("2026-11-30T10:00:00Z")),
            "no time passes while paused"
        );
        // The worker restarts here: the stored state is all it has.
        let stored = serde_json::to_string(&clock).unwrap();
        let mut clock: SlaClock = serde_json::from_str(&stored).unwrap();
        clock.resume(utc("2026-11-24T13:00:00Z"));
        // 6 h left from Tuesday 14:00: 3 h Tuesday, Wednesday 09:00–12:00.
        assert_eq!(clock.due(&c), Some(utc("2026-11-25T11:00:00Z")));
        assert!(!clock.breached(&c, utc("2026-11-25T10:59:00Z")));
        assert!(clock.breached(&c, utc("2026-11-25T11:00:00Z")));
        // Warning at 80%: 6.4 h used, 4.4 h after resuming: 3 h on Tuesday, then 1 h 24 min
        // on Wednesday: 10:24 Berlin.
        assert_eq!(clock.warn_at(&c, 0.8), Some(utc("2026-11-25T09:24:00Z")));
    }

    proptest::proptest! {
        /// Across weekends, holidays and both 2026 daylight-saving changes: the business time
        /// between a start and its due time is exactly the duration asked for.
        #[test]
        fn adding_then_measuring_gives_the_duration_back(
            start_min in 0i64..(366 * 24 * 60), minutes in 0i64..(60 * 60),
        ) {
            let c = berlin(&["2026-12-25", "2026-04-03", "2026-10-26"]);
            let start = utc("2026-01-01T00:00:00Z") + Duration::minutes(start_min);
            let due = c.add(start, Duration::minutes(minutes)).unwrap();
            proptest::prop_assert!(due >= start);
            proptest::prop_assert_eq!(c.between(start, due), Duration::minutes(minutes));
        }
    }

    #[test]
    fn bad_calendars_are_refused_with_what_is_wrong() {
        assert!(Window::parse("17:00", "09:00")
            .unwrap_err()
            .0
            .contains("ends before"));
        assert!(Window::parse("25:00", "26:00").is_err());
        assert!(Window::parse("9", "10:00").is_err());
        let overlap = Calendar::new(
            chrono_tz::UTC,
            std::array::from_fn(|_| {
                vec![
                    Window::parse("09:00", "12:00").unwrap(),
                    Window::parse("11:00", "13:00").unwrap(),
                ]
            }),
            BTreeSet::new(),
        );
        assert!(overlap.unwrap_err().0.contains("overlap"));
        assert!(Calendar::new(chrono_tz::UTC, Default::default(), BTreeSet::new()).is_err());
    }
}
