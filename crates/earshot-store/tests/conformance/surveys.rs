//! Satisfaction surveys on both databases: made once, by the change that first resolves a
//! conversation in a workspace that sends them; due again only while not sent; found by the
//! customer's next message; counted for reports; gone with the person when they are erased.

use super::*;
use earshot_core::survey::{Answer, Scale, Settings, State, Update};

#[tokio::test]
async fn a_resolution_makes_one_survey_that_is_sent_answered_counted_and_erased() {
    for b in backends().await {
        let s = &b.store;
        let n = b.name;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let other = s.ensure_workspace("globex").await.unwrap().id;
        let got = s
            .ingest(ws, &[msg("s1", "ann", Direction::In, 0, None)])
            .await
            .unwrap();
        let conv = stored(&got[0]).1;
        // No settings: resolving makes no survey.
        change(s, ws, conv, Some(ConversationStatus::Resolved), None)
            .await
            .unwrap();
        assert!(
            s.conversation_survey(ws, conv).await.unwrap().is_none(),
            "{n}"
        );
        change(s, ws, conv, Some(ConversationStatus::Open), None)
            .await
            .unwrap();

        let settings = Settings {
            scale: Scale::Csat,
            delay_minutes: 30,
            channels: vec![],
            question: "Rate us 1-5".into(),
        };
        s.set_survey_settings(ws, Some(&settings)).await.unwrap();
        assert_eq!(
            s.survey_settings(ws).await.unwrap(),
            Some(settings.clone()),
            "{n}"
        );
        assert_eq!(s.survey_settings(other).await.unwrap(), None, "{n}");
        let before = earshot_core::time::now();
        change(s, ws, conv, Some(ConversationStatus::Resolved), None)
            .await
            .unwrap();
        let survey = s.conversation_survey(ws, conv).await.unwrap().unwrap();
        assert_eq!(
            (survey.state, survey.scale),
            (State::Scheduled, Scale::Csat),
            "{n}"
        );
        let due = survey.due_at.unwrap();
        assert!(
            due >= before + Duration::minutes(30) - Duration::milliseconds(1),
            "{n}: {due}"
        );
        assert!(s.surveys_due(before, 10).await.unwrap().is_empty(), "{n}");
        let found = s.surveys_due(due, 10).await.unwrap();
        assert_eq!(found.len(), 1, "{n}");
        assert_eq!(
            (found[0].workspace_id, found[0].survey.id),
            (ws, survey.id),
            "{n}"
        );

        // Reopened and resolved again: still one survey, due again from the new resolution.
        change(s, ws, conv, Some(ConversationStatus::Open), None)
            .await
            .unwrap();
        change(s, ws, conv, Some(ConversationStatus::Resolved), None)
            .await
            .unwrap();
        let again = s.list_surveys(ws, None, None, 10).await.unwrap();
        assert_eq!(again.len(), 1, "{n}");
        assert!(again[0].due_at.unwrap() >= due, "{n}");

        // Sent: not due any more, and a later resolution does not move it.
        let question = MessageId(got.len() as i64 + 1_000);
        assert!(
            s.update_survey(
                ws,
                survey.id,
                &Update::Sent {
                    message_id: question,
                    at: earshot_core::time::now()
                }
            )
            .await
            .unwrap(),
            "{n}"
        );
        assert!(
            !s.update_survey(
                ws,
                survey.id,
                &Update::Sent {
                    message_id: question,
                    at: earshot_core::time::now()
                }
            )
            .await
            .unwrap(),
            "{n}: sent once"
        );
        assert!(
            !s.update_survey(other, survey.id, &Update::NotSent { reason: "x".into() })
                .await
                .unwrap(),
            "{n}: another workspace's survey is out of reach"
        );
        assert!(
            s.surveys_due(due + Duration::days(1), 10)
                .await
                .unwrap()
                .is_empty(),
            "{n}"
        );

        // The customer's next message, in a new conversation, finds the survey.
        let next = s
            .ingest(ws, &[msg("s2", "ann", Direction::In, 50, None)])
            .await
            .unwrap();
        let reply_conv = stored(&next[0]).1;
        let mut unit = s.begin_batch(ws).await.unwrap();
        let awaiting = unit
            .surveys_awaiting(&[reply_conv], earshot_core::time::now())
            .await
            .unwrap();
        assert_eq!(awaiting.len(), 1, "{n}");
        assert_eq!(
            (
                awaiting[0].survey_id,
                awaiting[0].conversation_id,
                awaiting[0].reply_conversation
            ),
            (survey.id, conv, reply_conv),
            "{n}"
        );
        let answered = Update::Answered {
            answer: Answer {
                score: 4,
                comment: Some("quick".into()),
            },
            message_id: stored(&next[0]).0,
            sentiment: Some("positive".into()),
            at: at(50),
        };
        assert!(
            unit.update_survey(survey.id, &answered).await.unwrap(),
            "{n}"
        );
        unit.commit().await.unwrap();
        let done = s.conversation_survey(ws, conv).await.unwrap().unwrap();
        assert_eq!(
            (
                done.state,
                done.score,
                done.comment.as_deref(),
                done.sentiment.as_deref()
            ),
            (State::Answered, Some(4), Some("quick"), Some("positive")),
            "{n}"
        );
        // The conversation holding the answer is not surveyed when it is resolved.
        change(s, ws, reply_conv, Some(ConversationStatus::Resolved), None)
            .await
            .unwrap();
        assert!(
            s.conversation_survey(ws, reply_conv)
                .await
                .unwrap()
                .is_none(),
            "{n}"
        );

        let counts = s
            .survey_counts(
                ws,
                at(0) - Duration::days(10_000),
                earshot_core::time::now() + Duration::days(1),
            )
            .await
            .unwrap();
        assert_eq!(counts.len(), 1, "{n}: {counts:?}");
        // No topic matched these messages: nothing per topic (the query runs on both).
        let per_topic = s
            .survey_topic_counts(
                ws,
                at(0) - Duration::days(10_000),
                earshot_core::time::now() + Duration::days(1),
            )
            .await
            .unwrap();
        assert!(per_topic.is_empty(), "{n}: {per_topic:?}");
        assert_eq!(
            (counts[0].state, counts[0].score, counts[0].count),
            (State::Answered, Some(4), 1),
            "{n}"
        );
        assert_eq!(
            counts[0].day,
            earshot_core::report::day_of(done.created_at),
            "{n}"
        );

        // Surveys off: scheduled ones end not sent, saying why.
        let got = s
            .ingest(ws, &[msg("s3", "ben", Direction::In, 60, None)])
            .await
            .unwrap();
        let ben = stored(&got[0]).1;
        change(s, ws, ben, Some(ConversationStatus::Resolved), None)
            .await
            .unwrap();
        s.set_survey_settings(ws, None).await.unwrap();
        let off = s.conversation_survey(ws, ben).await.unwrap().unwrap();
        assert_eq!(
            (off.state, off.reason.as_deref()),
            (State::NotSent, Some("surveys were turned off")),
            "{n}"
        );
        assert_eq!(
            s.list_surveys(ws, Some(State::Answered), None, 10)
                .await
                .unwrap()
                .len(),
            1,
            "{n}"
        );

        // Erasing Ann erases her survey and its comment.
        let ann = s
            .get_conversation(ws, conv)
            .await
            .unwrap()
            .unwrap()
            .contact_id;
        s.erase_contact(ws, ann, "test", at(70)).await.unwrap();
        assert!(
            s.conversation_survey(ws, conv).await.unwrap().is_none(),
            "{n}"
        );
        assert_eq!(
            s.list_surveys(ws, None, None, 10).await.unwrap().len(),
            1,
            "{n}: Ben's stays"
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn an_alert_is_kept_once_per_series_and_hour_and_people_acknowledge_and_close_it() {
    use earshot_core::store::{AlertState, NewAlert};
    for b in backends().await {
        let s = &b.store;
        let n = b.name;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let other = s.ensure_workspace("globex").await.unwrap().id;
        let alert = |observed: i64, severity: &str| NewAlert {
            dimension: "topic".into(),
            series_key: "7".into(),
            name: "Outage".into(),
            hour: at(0),
            severity: severity.into(),
            observed,
            expected: 1.5,
            surprise: 4.25,
            detail: serde_json::json!({"top_messages": []}),
        };
        let first = s.record_alerts(ws, &[alert(8, "critical")]).await.unwrap();
        assert!(first[0].1, "{n}: new");
        let again = s.record_alerts(ws, &[alert(12, "warning")]).await.unwrap();
        assert_eq!(
            again[0],
            (first[0].0, false),
            "{n}: the same hour is updated"
        );
        let kept = s.list_alerts(ws, Some(AlertState::Open), 10).await.unwrap();
        assert_eq!(kept.len(), 1, "{n}");
        assert_eq!(
            (kept[0].observed, kept[0].severity.as_str()),
            (12, "critical"),
            "{n}: a severity never drops"
        );
        assert_eq!(kept[0].expected, 1.5, "{n}");
        assert!(
            s.list_alerts(other, None, 10).await.unwrap().is_empty(),
            "{n}"
        );
        assert!(
            matches!(
                s.set_alert_state(other, first[0].0, AlertState::Closed, "eve")
                    .await,
                Err(StoreError::NotFound { .. })
            ),
            "{n}"
        );
        let acked = s
            .set_alert_state(ws, first[0].0, AlertState::Acknowledged, "ana")
            .await
            .unwrap();
        assert_eq!(
            (acked.state, acked.acknowledged_by.as_deref()),
            (AlertState::Acknowledged, Some("ana")),
            "{n}"
        );
        let closed = s
            .set_alert_state(ws, first[0].0, AlertState::Closed, "ben")
            .await
            .unwrap();
        assert_eq!(
            (closed.state, closed.closed_by.as_deref()),
            (AlertState::Closed, Some("ben")),
            "{n}"
        );
        assert!(
            closed.acknowledged_at.is_some() && closed.closed_at.is_some(),
            "{n}"
        );
        // Only workspaces with recent messages are watched.
        assert!(
            s.workspaces_active_since(at(0)).await.unwrap().is_empty(),
            "{n}"
        );
        s.ingest(ws, &[msg("a1", "ann", Direction::In, 10, None)])
            .await
            .unwrap();
        assert_eq!(
            s.workspaces_active_since(at(0)).await.unwrap(),
            vec![ws],
            "{n}"
        );
        b.finish().await;
    }
}
