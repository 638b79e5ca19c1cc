//! Business calendars: a time zone, working windows per weekday and holidays; business time
//! added to an instant and counted between two.

use crate::time::Timestamp;
use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// A working window within one local day, in minutes after midnight: `from` < `to` ≤ 1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: u16,
    pub to: u16,
}

impl Window {
    /// `09:00`–`17:30` style; `24:00` is the end of the day.
    pub fn parse(from: &str, to: &str) -> Result<Self, CalendarError> {
        let minutes = |s: &str| -> Result<u16, CalendarError> {
            let bad = || {
                CalendarError(format!(
                    "`{s}` is not a time of day (HH:MM, 00:00 to 24:00)"
                ))
            };
            let (h, m) = s.split_once(':').ok_or_else(bad)?;
            let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
            if m >= 60 || h > 24 || (h == 24 && m > 0) {
                return Err(bad());
            }
            Ok(h * 60 + m)
        };
        let w = Window {
            from: minutes(from)?,
            to: minutes(to)?,
        };
        if w.from >= w.to {
            return Err(CalendarError(format!(
                "the window {from}–{to} ends before it starts"
            )));
        }
        Ok(w)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct CalendarError(pub String);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calendar {
    pub time_zone: Tz,
    /// Monday first.
    pub week: [Vec<Window>; 7],
    pub holidays: BTreeSet<NaiveDate>,
}

/// The most days a search for business time walks before giving up (ten years).
const HORIZON_DAYS: i64 = 3_660;

impl Calendar {
    /// Around the clock, every day, in UTC: the default for "first response within 24 hours".
    pub fn always() -> Self {
        Self::new(
            chrono_tz::UTC,
            std::array::from_fn(|_| vec![Window { from: 0, to: 1440 }]),
            BTreeSet::new(),
        )
        .expect("a valid calendar")
    }

    /// Checks that each day's windows are ordered and do not overlap, and that some day works.
    pub fn new(
        time_zone: Tz,
        mut week: [Vec<Window>; 7],
        holidays: BTreeSet<NaiveDate>,
    ) -> Result<Self, CalendarError> {
        for (day, windows) in week.iter_mut().enumerate() {
            windows.sort_by_key(|w| w.from);
            for pair in windows.windows(2) {
                if pair[1].from < pair[0].to {
                    return Err(CalendarError(format!(
                        "{}: windows overlap",
                        Weekday::try_from(day as u8).map_or("a day".into(), |d| d.to_string())
                    )));
                }
            }
            if let Some(w) = windows.iter().find(|w| w.from >= w.to || w.to > 1440) {
                return Err(CalendarError(format!(
                    "window {w:?} is empty or past midnight"
                )));
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(CalendarError("the calendar has no working window".into()));
        }
        Ok(Self {
            time_zone,
            week,
            holidays,
        })
    }

    /// The instant the local clock shows `minute` after midnight on `date`: the earlier one
    /// when the time happens twice (autumn), the end of the gap when it never happens (spring).
    fn instant(&self, date: NaiveDate, minute: u16) -> Timestamp {
        let local: NaiveDateTime =
            date.and_hms_opt(0, 0, 0).expect("midnight") + Duration::minutes(i64::from(minute));
        let mut probe = local;
        loop {
            if let Some(t) = self.time_zone.from_local_datetime(&probe).earliest() {
                return t.with_timezone(&chrono::Utc);
            }
            // In a gap: the first local minute after it (gaps are at most a few hours).
            probe += Duration::minutes(1);
        }
    }

    /// The working intervals of a local date, in UTC, in order.
    fn intervals(&self, date: NaiveDate) -> impl Iterator<Item = (Timestamp, Timestamp)> + '_ {
        let windows: &[Window] = if self.holidays.contains(&date) {
            &[]
        } else {
            &self.week[date.weekday().num_days_from_monday() as usize]
        };
        windows
            .iter()
            .map(move |w| (self.instant(date, w.from), self.instant(date, w.to)))
            .filter(|(a, b)| a < b)
    }

    fn local_date(&self, t: Timestamp) -> NaiveDate {
        t.with_timezone(&self.time_zone).date_naive()
    }

    /// The instant `business` of working time after `start` (`start` itself, or the next
    /// opening, when `business` is zero). `None` if the calendar has no working time within
    /// ten years (every day a holiday).
    pub fn add(&self, start: Timestamp, business: Duration) -> Option<Timestamp> {
        let mut remaining = business.max(Duration::zero());
        // The day before too: a window of the previous local date can still be open.
        let mut date = self.local_date(start).pred_opt()?;
        for _ in 0..HORIZON_DAYS {
            for (a, b) in self.intervals(date) {
                let from = a.max(start);
                if b <= from {
                    continue;
                }
                let available = b - from;
                if available > remaining || (available == remaining && !remaining.is_zero()) {
                    return Some(from + remaining);
                }
                remaining -= available;
            }
            date = date.succ_opt()?;
        }
        None
    }

    /// Working time between `from` and `to` (zero when `to` is not after `from`).
    pub fn between(&self, from: Timestamp, to: Timestamp) -> Duration {
        let mut total = Duration::zero();
        if to <= from {
            return total;
        }
        let mut date = match self.local_date(from).pred_opt() {
            Some(d) => d,
            None => return total,
        };
        let last = self.local_date(to);
        while date <= last {
            for (a, b) in self.intervals(date) {
                let (a, b) = (a.max(from), b.min(to));
                if b > a {
                    total += b - a;
                }
            }
            match date.succ_opt() {
                Some(d) => date = d,
                None => break,
            }
        }
        total
    }

    /// Whether `t` falls inside working time.
    pub fn is_open(&self, t: Timestamp) -> bool {
        let date = self.local_date(t);
        [date.pred_opt(), Some(date)]
            .into_iter()
            .flatten()
            .any(|d| self.intervals(d).any(|(a, b)| a <= t && t < b))
    }
}
