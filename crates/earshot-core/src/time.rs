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
