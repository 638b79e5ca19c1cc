//! Agents' and teams' work over a range, from the conversations' histories (the events each
//! action records), as a manager reads it.
//!
//! What each figure counts (all over the agent's own actions in the range):
//!
//! - **handled**: conversations the agent replied in or resolved; **replies**: their replies.
//! - **first / next response time**: for each reply, how long the customer had been waiting
//!   when it was sent (recorded on the reply's `reply_queued` event); the first response of a
//!   conversation and the later ones apart; median and 90th percentile. Replies recorded
//!   before Earshot kept the wait are counted as replies and left out of the times (said by
//!   `replies_timed`).
//! - **resolution time**: from the conversation's first message to the agent resolving it.
//! - **reopen rate**: of the agent's resolutions, the share the conversation was reopened
//!   after (by anyone, within the range).
//! - **handle time**: the time the agent worked a conversation, measured *between their own
//!   actions* (replies, notes, status, assignment, tags): actions on one conversation less than
//!   [`SPAN_GAP_SECONDS`] apart are one spell of work, lasting from its first to its last
//!   action plus [`ACTION_SECONDS`] for the first (an action takes time to do). Earshot does
//!   not see how long a conversation was open on a screen, and a screen left open is not work;
//!   so this is a floor of the time worked, not a timer. Per handled conversation: the
//!   median.
//! - **SLA**: of the agent's replies that had a due time, the share sent in time.
//!
//! A team's figures are those of its agents together.

use crate::time::Timestamp;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// Actions on one conversation closer than this are one spell of work.
pub const SPAN_GAP_SECONDS: i64 = 600;
/// What a spell's first action is counted as taking.
pub const ACTION_SECONDS: i64 = 60;

/// One event of a conversation's history, as the report reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkEvent {
    pub conversation_id: crate::ConversationId,
    pub at: Timestamp,
    pub kind: String,
    /// The agent who acted, when an agent did.
    pub agent: Option<crate::AgentId>,
    pub data: serde_json::Value,
    /// When the conversation's first message came.
    pub first_message_at: Timestamp,
}

/// An agent's (or team's) raw figures, added up before the quantiles are taken.
#[derive(Debug, Clone, Default)]
pub struct Work {
    handled: HashSet<crate::ConversationId>,
    replies: i64,
    first_waits: Vec<i64>,
    next_waits: Vec<i64>,
    resolutions: Vec<i64>,
    reopened: i64,
    sla_met: i64,
    sla_missed: i64,
    handle: HashMap<crate::ConversationId, i64>,
}

/// Seconds at a quantile (nearest rank) of unsorted values.
fn quantile(values: &mut [i64], q: f64) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let rank = ((q * values.len() as f64).ceil() as usize).clamp(1, values.len());
    Some(values[rank - 1])
}

/// Median and 90th percentile, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Times {
    pub median_seconds: Option<i64>,
    pub p90_seconds: Option<i64>,
    pub count: usize,
}

impl Times {
    fn of(values: &[i64]) -> Self {
        let mut v = values.to_vec();
        Self {
            median_seconds: quantile(&mut v, 0.5),
            p90_seconds: quantile(&mut v, 0.9),
            count: v.len(),
        }
    }
}

/// What a manager reads for an agent or a team.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WorkSummary {
    pub handled: usize,
    pub replies: i64,
    /// Replies whose wait was recorded (the response times read these).
    pub replies_timed: usize,
    pub first_response: Times,
    pub next_response: Times,
    pub resolved: usize,
    pub resolution: Times,
    pub reopened: i64,
    pub reopen_rate: Option<f64>,
    /// Median handle time per handled conversation, and the total.
    pub handle_median_seconds: Option<i64>,
    pub handle_total_seconds: i64,
    pub sla_met: i64,
    pub sla_missed: i64,
    pub sla_compliance: Option<f64>,
}

impl Work {
    /// Adds another's figures (an agent's to their team's).
    pub fn absorb(&mut self, other: &Work) {
        self.handled.extend(other.handled.iter().copied());
        self.replies += other.replies;
        self.first_waits.extend_from_slice(&other.first_waits);
        self.next_waits.extend_from_slice(&other.next_waits);
        self.resolutions.extend_from_slice(&other.resolutions);
        self.reopened += other.reopened;
        self.sla_met += other.sla_met;
        self.sla_missed += other.sla_missed;
        for (c, s) in &other.handle {
            *self.handle.entry(*c).or_default() += s;
        }
    }

    pub fn summary(&self) -> WorkSummary {
        let round = |v: f64| (v * 10_000.0).round() / 10_000.0;
        let mut handle: Vec<i64> = self.handle.values().copied().collect();
        let resolved = self.resolutions.len();
        WorkSummary {
            handled: self.handled.len(),
            replies: self.replies,
            replies_timed: self.first_waits.len() + self.next_waits.len(),
            first_response: Times::of(&self.first_waits),
            next_response: Times::of(&self.next_waits),
            resolved,
            resolution: Times::of(&self.resolutions),
            reopened: self.reopened,
            reopen_rate: (resolved > 0).then(|| round(self.reopened as f64 / resolved as f64)),
            handle_median_seconds: quantile(&mut handle, 0.5),
            handle_total_seconds: handle.iter().sum(),
            sla_met: self.sla_met,
            sla_missed: self.sla_missed,
            sla_compliance: (self.sla_met + self.sla_missed > 0)
                .then(|| round(self.sla_met as f64 / (self.sla_met + self.sla_missed) as f64)),
        }
    }
}

/// Each agent's work from the events of a range (any order).
pub fn per_agent(events: &[WorkEvent]) -> BTreeMap<crate::AgentId, Work> {
    let mut events: Vec<&WorkEvent> = events.iter().collect();
    events.sort_by_key(|e| (e.conversation_id, e.at));
    // Reopenings, per conversation, by time.
    let mut reopen_times: HashMap<crate::ConversationId, Vec<Timestamp>> = HashMap::new();
    for e in &events {
        if e.kind == "status_changed" && e.data["from"] == "resolved" {
            reopen_times
                .entry(e.conversation_id)
                .or_default()
                .push(e.at);
        }
    }
    let mut out: BTreeMap<crate::AgentId, Work> = BTreeMap::new();
    // The last action of each agent on each conversation, and where its spell began.
    let mut spell: HashMap<(crate::AgentId, crate::ConversationId), (Timestamp, Timestamp)> =
        HashMap::new();
    for e in events {
        let Some(agent) = e.agent else { continue };
        let w = out.entry(agent).or_default();
        let c = e.conversation_id;
        match e.kind.as_str() {
            "reply_queued" => {
                w.handled.insert(c);
                w.replies += 1;
                if let Some(waited) = e.data["waited_seconds"].as_i64() {
                    if e.data["first"].as_bool() == Some(true) {
                        w.first_waits.push(waited);
                    } else {
                        w.next_waits.push(waited);
                    }
                }
            }
            "status_changed" if e.data["to"] == "resolved" => {
                w.handled.insert(c);
                w.resolutions
                    .push((e.at - e.first_message_at).num_seconds().max(0));
                if reopen_times
                    .get(&c)
                    .is_some_and(|t| t.iter().any(|&r| r > e.at))
                {
                    w.reopened += 1;
                }
            }
            "sla_answered" => match e.data["met"].as_bool() {
                Some(true) => w.sla_met += 1,
                Some(false) => w.sla_missed += 1,
                None => {}
            },
            _ => {}
        }
        // Handle time: spells of actions on the conversation.
        let key = (agent, c);
        let worked = match spell.get(&key).copied() {
            Some((_, last)) if (e.at - last).num_seconds() < SPAN_GAP_SECONDS => {
                let begun = spell[&key].0;
                spell.insert(key, (begun, e.at));
                (e.at - last).num_seconds().max(0)
            }
            _ => {
                spell.insert(key, (e.at, e.at));
                ACTION_SECONDS
            }
        };
        *w.handle.entry(c).or_default() += worked;
    }
    // Handle time counts only conversations the agent handled.
    for w in out.values_mut() {
        let handled = w.handled.clone();
        w.handle.retain(|c, _| handled.contains(c));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentId, ConversationId};
    use chrono::{Duration, TimeZone, Utc};
    use serde_json::json;

    fn t(minutes: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    fn ev(
        c: i64,
        minutes: i64,
        kind: &str,
        agent: Option<i64>,
        data: serde_json::Value,
    ) -> WorkEvent {
        WorkEvent {
            conversation_id: ConversationId(c),
            at: t(minutes),
            kind: kind.into(),
            agent: agent.map(AgentId),
            data,
            first_message_at: t(0),
        }
    }

    #[test]
    fn response_resolution_reopen_and_sla_follow_the_agents_own_actions() {
        let events = vec![
            ev(
                1,
                10,
                "reply_queued",
                Some(7),
                json!({"waited_seconds": 600, "first": true}),
            ),
            ev(1, 12, "sla_answered", Some(7), json!({"met": true})),
            ev(
                1,
                40,
                "reply_queued",
                Some(7),
                json!({"waited_seconds": 300, "first": false}),
            ),
            ev(
                1,
                41,
                "status_changed",
                Some(7),
                json!({"from": "open", "to": "resolved"}),
            ),
            // The customer comes back: a reopening after the agent's resolution.
            ev(
                1,
                90,
                "status_changed",
                None,
                json!({"from": "resolved", "to": "open"}),
            ),
            ev(
                2,
                5,
                "reply_queued",
                Some(7),
                json!({"waited_seconds": 300, "first": true}),
            ),
            ev(2, 6, "sla_answered", Some(7), json!({"met": false})),
            ev(
                2,
                20,
                "status_changed",
                Some(7),
                json!({"from": "open", "to": "resolved"}),
            ),
            // Another agent; and a reply recorded before waits were kept.
            ev(3, 30, "reply_queued", Some(8), json!({})),
        ];
        let work = per_agent(&events);
        let a = work[&AgentId(7)].summary();
        assert_eq!((a.handled, a.replies, a.replies_timed), (2, 3, 3));
        assert_eq!(a.first_response.median_seconds, Some(300));
        assert_eq!(a.first_response.p90_seconds, Some(600));
        assert_eq!(a.next_response.median_seconds, Some(300));
        assert_eq!(a.resolved, 2);
        assert_eq!(a.resolution.median_seconds, Some(20 * 60));
        assert_eq!((a.reopened, a.reopen_rate), (1, Some(0.5)));
        assert_eq!(
            (a.sla_met, a.sla_missed, a.sla_compliance),
            (1, 1, Some(0.5))
        );
        let b = work[&AgentId(8)].summary();
        assert_eq!((b.replies, b.replies_timed), (1, 0));
        assert_eq!(b.first_response.median_seconds, None);
        // The team of both.
        let mut team = Work::default();
        team.absorb(&work[&AgentId(7)]);
        team.absorb(&work[&AgentId(8)]);
        assert_eq!(team.summary().handled, 3);
    }

    #[test]
    fn handle_time_is_spells_of_actions_not_the_time_between_them() {
        let events = vec![
            // Spell 1: 10:00 to 10:08 (three actions): 8 minutes + 1 for the first.
            ev(1, 0, "reply_queued", Some(7), json!({})),
            ev(1, 5, "note", Some(7), json!({})),
            ev(1, 8, "reply_queued", Some(7), json!({})),
            // Two hours later: a new spell, one action, one minute.
            ev(
                1,
                128,
                "status_changed",
                Some(7),
                json!({"from": "open", "to": "resolved"}),
            ),
            // Tagging a conversation the agent never replied in or resolved is not handling.
            ev(2, 0, "tagged", Some(7), json!({})),
        ];
        let w = per_agent(&events)[&AgentId(7)].summary();
        assert_eq!(w.handled, 1);
        assert_eq!(w.handle_total_seconds, (8 + 1 + 1) * 60);
        assert_eq!(w.handle_median_seconds, Some(600));
    }
}
