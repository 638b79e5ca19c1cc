//! A conversation's timeline figures, derived from its messages in the order they were sent
//! (not the order they arrived), so that late or out-of-order arrivals give the same answer.

use crate::message::Direction;
use crate::time::Timestamp;

/// One message as the timeline sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineEntry {
    pub direction: Direction,
    pub sent_at: Timestamp,
    /// Sent by automation ([`crate::Inbound::automated`]): it is a message of the
    /// conversation, but not an answer to the customer.
    pub automated: bool,
}

impl TimelineEntry {
    /// A message that answers the customer: the brand's, sent by a person (or by a rule that
    /// says its reply counts as a response).
    fn answers(&self) -> bool {
        self.direction == Direction::Out && !self.automated
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    pub message_count: i64,
    pub first_message_at: Timestamp,
    pub last_message_at: Timestamp,
    /// The first answer (an outbound message not sent by automation) sent at or after the
    /// first inbound message.
    pub first_response_at: Option<Timestamp>,
    /// The first inbound message after the last answer (or the first inbound message if the
    /// brand never answered); `None` when nobody is waiting. Automated messages (an
    /// acknowledgement) leave the customer waiting.
    pub waiting_since: Option<Timestamp>,
}

impl Timeline {
    /// `None` for a conversation without messages. Entries may come in any order.
    pub fn from_entries(entries: &[TimelineEntry]) -> Option<Self> {
        let first_message_at = entries.iter().map(|e| e.sent_at).min()?;
        let last_message_at = entries.iter().map(|e| e.sent_at).max()?;
        let inbound = || {
            entries
                .iter()
                .filter(|e| e.direction == Direction::In)
                .map(|e| e.sent_at)
        };
        let answers = || entries.iter().filter(|e| e.answers()).map(|e| e.sent_at);
        let first_inbound = inbound().min();
        let last_answer = answers().max();
        let first_response_at =
            first_inbound.and_then(|first_in| answers().filter(|t| *t >= first_in).min());
        let waiting_since = match last_answer {
            Some(last_out) => inbound().filter(|t| *t > last_out).min(),
            None => first_inbound,
        };
        Some(Self {
            message_count: entries.len() as i64,
            first_message_at,
            last_message_at,
            first_response_at,
            waiting_since,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone, Utc};
    use proptest::prelude::*;

    fn t(minutes: i64) -> Timestamp {
        Utc.with_ymd_and_hms(2017, 10, 31, 22, 0, 0).unwrap() + Duration::minutes(minutes)
    }
    fn e(direction: Direction, minutes: i64) -> TimelineEntry {
        TimelineEntry {
            direction,
            sent_at: t(minutes),
            automated: false,
        }
    }
    fn bot(minutes: i64) -> TimelineEntry {
        TimelineEntry {
            automated: true,
            ..e(Direction::Out, minutes)
        }
    }

    #[test]
    fn an_automated_acknowledgement_leaves_the_customer_waiting() {
        let tl = Timeline::from_entries(&[e(Direction::In, 0), bot(0)]).unwrap();
        assert_eq!(tl.first_response_at, None);
        assert_eq!(tl.waiting_since, Some(t(0)));
        assert_eq!(tl.message_count, 2);
        assert_eq!(tl.last_message_at, t(0));

        // A person answering later is the first response.
        let tl =
            Timeline::from_entries(&[e(Direction::In, 0), bot(0), e(Direction::Out, 40)]).unwrap();
        assert_eq!(tl.first_response_at, Some(t(40)));
        assert_eq!(tl.waiting_since, None);
    }

    #[test]
    fn a_customer_waiting_alone_waits_since_their_first_message() {
        let tl = Timeline::from_entries(&[e(Direction::In, 0), e(Direction::In, 5)]).unwrap();
        assert_eq!(tl.waiting_since, Some(t(0)));
        assert_eq!(tl.first_response_at, None);
        assert_eq!(tl.message_count, 2);
    }

    #[test]
    fn the_brand_answering_sets_first_response_and_stops_the_wait() {
        let tl = Timeline::from_entries(&[e(Direction::In, 0), e(Direction::Out, 12)]).unwrap();
        assert_eq!(tl.first_response_at, Some(t(12)));
        assert_eq!(tl.waiting_since, None);
    }

    #[test]
    fn a_follow_up_after_the_answer_waits_again_but_keeps_the_first_response() {
        let tl = Timeline::from_entries(&[
            e(Direction::In, 0),
            e(Direction::Out, 12),
            e(Direction::In, 30),
            e(Direction::In, 31),
        ])
        .unwrap();
        assert_eq!(tl.first_response_at, Some(t(12)));
        assert_eq!(tl.waiting_since, Some(t(30)));
        assert_eq!(tl.last_message_at, t(31));
    }

    #[test]
    fn a_brand_post_before_the_customer_spoke_is_not_a_response() {
        let tl = Timeline::from_entries(&[e(Direction::Out, 0), e(Direction::In, 3)]).unwrap();
        assert_eq!(tl.first_response_at, None);
        assert_eq!(tl.waiting_since, Some(t(3)));
    }

    #[test]
    fn no_messages_no_timeline() {
        assert_eq!(Timeline::from_entries(&[]), None);
    }

    proptest! {
        #[test]
        fn arrival_order_does_not_change_the_timeline(
            raw in proptest::collection::vec((any::<bool>(), 0i64..500), 1..20),
            seed in any::<u64>(),
        ) {
            let entries: Vec<_> = raw
                .iter()
                .map(|(out, m)| e(if *out { Direction::Out } else { Direction::In }, *m))
                .collect();
            let mut shuffled = entries.clone();
            // A cheap deterministic shuffle driven by the seed.
            let n = shuffled.len();
            for i in 0..n {
                let j = (seed.wrapping_mul(i as u64 + 7).rotate_left(13) % n as u64) as usize;
                shuffled.swap(i, j);
            }
            prop_assert_eq!(Timeline::from_entries(&entries), Timeline::from_entries(&shuffled));
        }
    }
}
