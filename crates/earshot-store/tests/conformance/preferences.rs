//! The customer's own choices on both databases: the ledger records what changed, opted_out
//! follows, level and channel are kept, and merges carry them and give them back.

use super::*;
use earshot_core::preferences::{current, Choice, EngagementLevel};

#[tokio::test]
async fn choices_go_on_the_ledger_once_and_survive_a_merge_and_its_undo() {
    for b in backends().await {
        let s = &b.store;
        let n = b.name;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let on = |kind: ChannelKind, id: &str, author: &str| {
            let mut m = msg(id, author, Direction::In, 0, None);
            m.channel = kind;
            m.visibility = Visibility::Private;
            m
        };
        let got = s
            .ingest(
                ws,
                &[
                    on(ChannelKind::Email, "m1@x", "dana@example.com"),
                    on(ChannelKind::Whatsapp, "wamid.1", "15550009"),
                ],
            )
            .await
            .unwrap();
        let contact = |o: &IngestOutcome| {
            let c = stored(o).1;
            async move { s.get_conversation(ws, c).await.unwrap().unwrap().contact_id }
        };
        let (a, bb) = (contact(&got[0]).await, contact(&got[1]).await);
        let choice = Choice {
            level: EngagementLevel::Advocate,
            channel: Some(ChannelKind::Email),
            purposes: vec!["updates".into(), "marketing".into()],
        };
        let c = s
            .set_preferences(ws, a, &choice, "preference page", at(1))
            .await
            .unwrap();
        assert_eq!(
            (c.engagement_level, c.preferred_channel, c.opted_out),
            (
                Some(EngagementLevel::Advocate),
                Some(ChannelKind::Email),
                false
            ),
            "{n}"
        );
        let ledger = s.consent_ledger(ws, a).await.unwrap();
        assert_eq!(
            ledger.len(),
            2,
            "{n}: granted and withdrawn, one entry each"
        );
        let states: Vec<bool> = current(&ledger, None).iter().map(|p| p.granted).collect();
        assert_eq!(states, [true, true, true, false, false], "{n}");
        s.set_preferences(ws, a, &choice, "preference page", at(2))
            .await
            .unwrap();
        assert_eq!(
            s.consent_ledger(ws, a).await.unwrap().len(),
            2,
            "{n}: nothing changed"
        );
        let bad = Choice {
            purposes: vec!["telepathy".into()],
            ..choice.clone()
        };
        assert!(matches!(
            s.set_preferences(ws, a, &bad, "preference page", at(3))
                .await,
            Err(StoreError::Invalid(_))
        ));

        let snapshot = || async {
            let x = s.get_contact(ws, a).await.unwrap().unwrap();
            let y = s.get_contact(ws, bb).await.unwrap().unwrap();
            format!("{x:?} {y:?}")
        };
        let before = snapshot().await;
        let merge = s.merge_contacts(ws, bb, a, at(4)).await.unwrap();
        let one = s.get_contact(ws, bb).await.unwrap().unwrap().contact;
        assert_eq!(
            (one.engagement_level, one.preferred_channel),
            (Some(EngagementLevel::Advocate), Some(ChannelKind::Email)),
            "{n}: the survivor takes the choices it lacks"
        );
        s.undo_merge(ws, merge.id, at(5)).await.unwrap();
        assert_eq!(snapshot().await, before, "{n}");
        assert!(matches!(
            s.set_preferences(ws, ContactId(999_999), &choice, "preference page", at(6))
                .await,
            Err(StoreError::NotFound { .. })
        ));
        b.finish().await;
    }
}
