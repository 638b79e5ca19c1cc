//! Timestamps are stored as milliseconds since the Unix epoch (UTC) in both databases, so
//! that SQLite and PostgreSQL compare and sort them identically.

use chrono::{DateTime, TimeZone, Utc};

pub type Timestamp = DateTime<Utc>;

pub fn to_millis(t: Timestamp) -> i64 {
    t.timestamp_millis()
}

/// Converts stored milliseconds back; values outside chrono's range clamp to its bounds
/// rather than panic (they can only come from a hand-edited database).
pub fn from_millis(ms: i64) -> Timestamp {
    Utc.timestamp_millis_opt(ms).single().unwrap_or(if ms < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    })
}

pub fn now() -> Timestamp {
    Utc::now()
}

/// Where the workflow reads the time: the system clock in production, a fixed or stepped one
/// in tests, so SLA clocks, snoozes and timers are tested without waiting or shifting time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system's wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Timestamp {
        now()
    }
}

/// A clock that shows what it is set to (tests).
#[derive(Debug)]
pub struct ManualClock(std::sync::Mutex<Timestamp>);

impl ManualClock {
    pub fn new(at: Timestamp) -> Self {
        Self(std::sync::Mutex::new(at))
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}
