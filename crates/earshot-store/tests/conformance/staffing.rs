//! What a staffing plan reads, on both databases: conversations begun per channel and
//! half-hour, each channel's first day, and the brand's replies with the quick ones timed.

use super::*;
use earshot_core::staffing::{ReplySample, INTERVAL_MS};

#[tokio::test]
async fn staffing_history_counts_arrivals_per_half_hour_and_times_the_quick_replies() {
    for b in backends().await {
        let s = &b.store;
        let n = b.name;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let email = |mut m: Inbound| {
            m.channel = ChannelKind::Email;
            m.visibility = Visibility::Private;
            m
        };
        let mut ack = email(msg("d1-ack", "brand", Direction::Out, 6, Some("d1")));
        ack.automated = true;
        // at(0) is 12:00: two X conversations in its half-hour, one in the next; a reply after
        // 4 minutes (quick), one after an hour (it waited); an email answered after 5 minutes
        // with an automated acknowledgement in between that is no answer.
        let batch = vec![
            msg("a1", "ann", Direction::In, 0, None),
            msg("a1r", "brand", Direction::Out, 4, Some("a1")),
            msg("b1", "bob", Direction::In, 20, None),
            msg("b1r", "brand", Direction::Out, 80, Some("b1")),
            msg("c1", "cat", Direction::In, 40, None),
            email(msg("d1", "dan@example.com", Direction::In, 5, None)),
            ack,
            email(msg("d1r", "brand", Direction::Out, 10, Some("d1"))),
        ];
        s.ingest(ws, &batch).await.unwrap();
        let channels = s.list_channels(ws).await.unwrap();
        let id = |kind: ChannelKind| channels.iter().find(|c| c.kind == kind).unwrap().id;
        let (x, mail) = (id(ChannelKind::X), id(ChannelKind::Email));
        let i0 = at(0).timestamp_millis() / INTERVAL_MS;
        let quick = 15 * 60_000;

        let h = s
            .staffing_history(ws, at(-60), at(120), at(-60), quick)
            .await
            .unwrap();
        let mut arrivals = h.arrivals.clone();
        arrivals.sort();
        let mut expected = vec![(x, i0, None, 2), (x, i0 + 1, None, 1), (mail, i0, None, 1)];
        expected.sort();
        assert_eq!(arrivals, expected, "{n}");
        let mut first = h.first_day.clone();
        first.sort();
        let day = at(0).timestamp_millis() / 86_400_000;
        let mut expected_first = vec![(x, day), (mail, day)];
        expected_first.sort();
        assert_eq!(first, expected_first, "{n}");
        let mut replies = h.replies.clone();
        replies.sort_by_key(|r| r.0);
        let mut expected_replies = vec![
            (
                x,
                ReplySample {
                    replies: 2,
                    quick_replies: 1,
                    quick_reply_ms: 4 * 60_000,
                },
            ),
            (
                mail,
                ReplySample {
                    replies: 1,
                    quick_replies: 1,
                    quick_reply_ms: 5 * 60_000,
                },
            ),
        ];
        expected_replies.sort_by_key(|r| r.0);
        assert_eq!(replies, expected_replies, "{n}");

        // Arrivals from 12:30 (below); replies from 12:30: the slow reply's question came
        // before, so it is not timed.
        let replies_later = s
            .staffing_history(ws, at(-60), at(120), at(30), quick)
            .await
            .unwrap();
        assert!(
            replies_later.replies.is_empty(),
            "{n}: {:?}",
            replies_later.replies
        );
        let later = s
            .staffing_history(ws, at(30), at(120), at(30), quick)
            .await
            .unwrap();
        assert_eq!(later.arrivals, vec![(x, i0 + 1, None, 1)], "{n}");
        assert_eq!(later.first_day, vec![(x, day)], "{n}: the first day ever");

        let other = s.ensure_workspace("globex").await.unwrap().id;
        assert_eq!(
            s.staffing_history(other, at(-60), at(120), at(-60), quick)
                .await
                .unwrap(),
            Default::default(),
            "{n}"
        );
        b.finish().await;
    }
}
