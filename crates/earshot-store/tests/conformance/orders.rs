//! Orders on both databases: matching to contacts, derived value and tier, updates, merges
//! and their undo, erasure.

use super::*;
use earshot_core::orders::{NewOrder, OrderSource, OrderStatus};
use earshot_core::{ContactId, ContactPatch};

fn order(
    id: &str,
    email: Option<&str>,
    phone: Option<&str>,
    cents: i64,
    currency: &str,
) -> NewOrder {
    NewOrder {
        external_id: id.into(),
        number: Some(format!("#{id}")),
        email: email.map(str::to_string),
        phone: phone.map(str::to_string),
        customer_ref: None,
        placed_at: at(0),
        amount_minor: cents,
        currency: currency.into(),
        status: OrderStatus::Paid,
        items: vec![earshot_core::orders::OrderItem {
            name: "Blue mug".into(),
            quantity: 2,
            sku: None,
            price_minor: Some(cents / 2),
        }],
        updated_at: Some(at(0)),
    }
}

fn private(kind: ChannelKind, id: &str, author: &str, name: &str, minutes: i64) -> Inbound {
    let mut m = msg(id, author, Direction::In, minutes, None);
    m.channel = kind;
    m.visibility = Visibility::Private;
    m.author.display_name = Some(name.into());
    m.author.handle = None;
    m
}

async fn contact_of(s: &Arc<dyn Store>, ws: WorkspaceId, o: &IngestOutcome) -> ContactId {
    s.get_conversation(ws, stored(o).1)
        .await
        .unwrap()
        .unwrap()
        .contact_id
}

#[tokio::test]
async fn orders_find_their_customers_and_give_them_value_and_tier() {
    for b in backends().await {
        let s = &b.store;
        let n = b.name;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let got = s
            .ingest(
                ws,
                &[
                    private(
                        ChannelKind::Email,
                        "m1@x",
                        "dana@example.com",
                        "Dana Scully",
                        0,
                    ),
                    private(
                        ChannelKind::Whatsapp,
                        "wamid.1",
                        "15550001",
                        "Fox Mulder",
                        1,
                    ),
                ],
            )
            .await
            .unwrap();
        let dana = contact_of(s, ws, &got[0]).await;
        let fox = contact_of(s, ws, &got[1]).await;
        let mut by_ref = order("1005", None, None, 500, "USD");
        by_ref.customer_ref = Some("c-9".into());
        by_ref.status = OrderStatus::Cancelled;
        let mut euro = order("1004", Some("dana@example.com"), None, 1000, "EUR");
        euro.customer_ref = Some("c-9".into());
        let batch = [
            order("1001", Some("dana@example.com"), None, 12_000, "USD"),
            order("1002", None, Some("15550001"), 3_050, "USD"),
            order("1003", Some("zed@example.com"), None, 9_999, "USD"),
            euro,
            by_ref,
        ];
        let r = s
            .upsert_orders(ws, &batch, OrderSource::Import, true, at(5))
            .await
            .unwrap();
        assert_eq!((r.created, r.matched, r.unchanged), (5, 4, 0), "{n}: {r:?}");
        let contact = |id| async move { s.get_contact(ws, id).await.unwrap().unwrap().contact };
        let d = contact(dana).await;
        assert_eq!(
            (d.value, d.tier.as_deref(), d.value_from_orders, d.tier_from_orders),
            (Some(120.0), Some("repeat"), true, true),
            "{n}: USD is the main currency; the EUR order counts as an order, not in value; the cancelled one not at all"
        );
        let f = contact(fox).await;
        assert_eq!(
            (f.value, f.tier.as_deref()),
            (Some(30.5), Some("customer")),
            "{n}"
        );
        let (orders, summary) = s.contact_orders(ws, dana, 50).await.unwrap();
        assert_eq!(
            orders.len(),
            3,
            "{n}: the cancelled order of her shop customer id is hers too"
        );
        assert_eq!((summary.order_count, summary.open_orders), (2, 2), "{n}");
        let totals: Vec<(&str, i64, &str)> = summary
            .lifetime_value
            .iter()
            .map(|t| (t.currency.as_str(), t.amount_minor, t.amount.as_str()))
            .collect();
        assert_eq!(
            totals,
            [("USD", 12_000, "120.00"), ("EUR", 1000, "10.00")],
            "{n}"
        );

        // The same file again changes nothing; a later change updates; an older one is ignored.
        let again = s
            .upsert_orders(ws, &batch, OrderSource::Import, true, at(6))
            .await
            .unwrap();
        assert_eq!(
            (again.created, again.updated, again.unchanged),
            (0, 0, 5),
            "{n}"
        );
        let mut refunded = batch[0].clone();
        refunded.status = OrderStatus::Refunded;
        refunded.updated_at = Some(at(10));
        let mut stale = batch[1].clone();
        stale.amount_minor = 1;
        stale.updated_at = Some(at(-10));
        let r = s
            .upsert_orders(ws, &[refunded, stale], OrderSource::Shopify, true, at(11))
            .await
            .unwrap();
        assert_eq!((r.updated, r.unchanged), (1, 1), "{n}: {r:?}");
        let d = contact(dana).await;
        assert_eq!(
            (d.value, d.tier.as_deref()),
            (None, Some("customer")),
            "{n}: refunded"
        );
        assert_eq!(
            contact(fox).await.value,
            Some(30.5),
            "{n}: the stale update was ignored"
        );

        // Value from orders is not typed by hand; a tier typed by hand stays.
        let typed = s
            .update_contact(
                ws,
                fox,
                &ContactPatch {
                    value: Some(Some(5.0)),
                    ..Default::default()
                },
            )
            .await;
        assert!(
            matches!(typed, Err(StoreError::Conflict(_))),
            "{n}: {typed:?}"
        );
        // Dana's orders give no value now (refunded; the EUR one is not in USD): hers can be
        // typed again.
        let typed = s
            .update_contact(
                ws,
                dana,
                &ContactPatch {
                    value: Some(Some(5.0)),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            (typed.value, typed.value_from_orders),
            (Some(5.0), false),
            "{n}"
        );
        s.update_contact(
            ws,
            fox,
            &ContactPatch {
                tier: Some(Some("enterprise".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        s.recompute_order_values(ws, at(12)).await.unwrap();
        let f = contact(fox).await;
        assert_eq!(
            (f.tier.as_deref(), f.tier_from_orders),
            (Some("enterprise"), false),
            "{n}"
        );

        // Zed's order waited for Zed: it is theirs once they write.
        let zed = s
            .ingest(
                ws,
                &[private(
                    ChannelKind::Email,
                    "m2@x",
                    "zed@example.com",
                    "Zed",
                    20,
                )],
            )
            .await
            .unwrap();
        let zed = contact_of(s, ws, &zed[0]).await;
        assert_eq!(contact(zed).await.value, Some(99.99), "{n}");

        // An order number a customer names finds the order.
        let named = s.orders_by_number(ws, &["1002".into()]).await.unwrap();
        assert_eq!(named.len(), 1, "{n}");
        assert_eq!(named[0].contact_id, Some(fox), "{n}");
        assert_eq!(named[0].amount, "30.50", "{n}");
        b.finish().await;
    }
}

#[tokio::test]
async fn the_top_twentieth_of_customers_by_value_are_vip() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let messages: Vec<Inbound> = (0..40)
            .map(|i| {
                private(
                    ChannelKind::Email,
                    &format!("m{i}@x"),
                    &format!("buyer{i}@example.com"),
                    &format!("Buyer {i}"),
                    i,
                )
            })
            .collect();
        s.ingest(ws, &messages).await.unwrap();
        let orders: Vec<NewOrder> = (0..40)
            .map(|i| {
                let email = format!("buyer{i}@example.com");
                order(&format!("o{i}"), Some(&email), None, 1000 + i * 100, "GBP")
            })
            .collect();
        let r = s
            .upsert_orders(ws, &orders, OrderSource::Import, false, at(50))
            .await
            .unwrap();
        assert_eq!(r.matched, 40);
        let v = s.recompute_order_values(ws, at(51)).await.unwrap();
        assert_eq!(
            (v.contacts, v.currency.as_deref()),
            (40, Some("GBP")),
            "{}",
            b.name
        );
        let all = s
            .list_contacts(
                ws,
                &ContactQuery {
                    after: None,
                    limit: 100,
                    search: None,
                },
            )
            .await
            .unwrap();
        let mut vip: Vec<f64> = all
            .items
            .iter()
            .filter(|c| c.tier.as_deref() == Some("vip"))
            .filter_map(|c| c.value)
            .collect();
        vip.sort_by(f64::total_cmp);
        assert_eq!(vip, [48.0, 49.0], "{}: 2 of 40 are the top 5 %", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_merge_takes_the_orders_along_and_its_undo_gives_both_back_exactly() {
    for b in backends().await {
        let s = &b.store;
        let n = b.name;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let got = s
            .ingest(
                ws,
                &[
                    private(
                        ChannelKind::Email,
                        "m1@x",
                        "dana@example.com",
                        "Dana Scully",
                        0,
                    ),
                    private(ChannelKind::Whatsapp, "wamid.1", "15550002", "Dana S", 1),
                ],
            )
            .await
            .unwrap();
        let (a, bb) = (
            contact_of(s, ws, &got[0]).await,
            contact_of(s, ws, &got[1]).await,
        );
        assert_ne!(a, bb, "{n}");
        s.upsert_orders(
            ws,
            &[
                order("2001", Some("dana@example.com"), None, 2_000, "USD"),
                order("2002", None, Some("15550002"), 4_000, "USD"),
                order("2003", None, Some("15550002"), 500, "USD"),
            ],
            OrderSource::Api,
            true,
            at(2),
        )
        .await
        .unwrap();
        let snapshot = || async {
            let mut out = Vec::new();
            for c in [a, bb] {
                out.push(format!(
                    "{:?} {:?} {:?}",
                    s.get_contact(ws, c).await.unwrap().unwrap(),
                    s.contact_orders(ws, c, 50).await.unwrap(),
                    s.consent_ledger(ws, c).await.unwrap()
                ));
            }
            out
        };
        let before = snapshot().await;
        let merge = s.merge_contacts(ws, a, bb, at(3)).await.unwrap();
        assert_eq!(merge.orders.len(), 2, "{n}: what moved is recorded");
        let one = s.get_contact(ws, a).await.unwrap().unwrap().contact;
        assert_eq!(
            (one.value, one.tier.as_deref()),
            (Some(65.0), Some("repeat")),
            "{n}"
        );
        assert_eq!(s.contact_orders(ws, a, 50).await.unwrap().0.len(), 3, "{n}");
        s.undo_merge(ws, merge.id, at(4)).await.unwrap();
        assert_eq!(
            snapshot().await,
            before,
            "{n}: both contacts exactly as they were"
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn erasure_takes_the_orders_and_a_reimport_brings_none_back() {
    for b in backends().await {
        let s = &b.store;
        let n = b.name;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let got = s
            .ingest(
                ws,
                &[private(
                    ChannelKind::Email,
                    "m1@x",
                    "dana@example.com",
                    "Dana Scully",
                    0,
                )],
            )
            .await
            .unwrap();
        let dana = contact_of(s, ws, &got[0]).await;
        let orders = [
            order("3001", Some("dana@example.com"), None, 2_000, "USD"),
            order("3002", Some("other@example.com"), None, 2_000, "USD"),
        ];
        s.upsert_orders(ws, &orders, OrderSource::Import, true, at(1))
            .await
            .unwrap();
        let erased = s.erase_contact(ws, dana, "test", at(2)).await.unwrap();
        assert_eq!(erased.orders, 1, "{n}");
        assert!(
            s.orders_by_number(ws, &["3001".into()])
                .await
                .unwrap()
                .is_empty(),
            "{n}"
        );
        let again = s
            .upsert_orders(ws, &orders, OrderSource::Import, true, at(3))
            .await
            .unwrap();
        assert_eq!(
            (again.erased, again.created, again.unchanged),
            (1, 0, 1),
            "{n}: {again:?}"
        );
        assert!(
            s.orders_by_number(ws, &["3001".into()])
                .await
                .unwrap()
                .is_empty(),
            "{n}"
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn only_what_a_channel_verifies_finds_orders_and_an_undo_returns_what_came_since() {
    for b in backends().await {
        let s = &b.store;
        let n = b.name;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        // Mallory writes someone else's address in a DM: a claim, not a verified identifier.
        let mut claim = private(ChannelKind::Whatsapp, "wamid.9", "15550077", "Mallory", 0);
        claim.text = "my email is victim@example.com".into();
        let got = s
            .ingest(
                ws,
                &[
                    claim,
                    private(
                        ChannelKind::Email,
                        "m1@x",
                        "dana@example.com",
                        "Dana Scully",
                        1,
                    ),
                    private(ChannelKind::Whatsapp, "wamid.1", "15550003", "Dana S", 2),
                ],
            )
            .await
            .unwrap();
        let mallory = contact_of(s, ws, &got[0]).await;
        let (a, bb) = (
            contact_of(s, ws, &got[1]).await,
            contact_of(s, ws, &got[2]).await,
        );
        let mut euro = order("4002", None, Some("15550003"), 700, "EUR");
        euro.customer_ref = Some("shop-7".into());
        s.upsert_orders(
            ws,
            &[
                order("4000", Some("someone@example.com"), None, 100, "USD"),
                order("4001", Some("victim@example.com"), None, 9_900, "USD"),
                euro,
            ],
            OrderSource::Api,
            true,
            at(3),
        )
        .await
        .unwrap();
        let (theirs, _) = s.contact_orders(ws, mallory, 50).await.unwrap();
        assert!(
            theirs.is_empty(),
            "{n}: a written address shows nobody's orders"
        );
        // Only EUR orders (the workspace's currency is USD): a tier, no value from orders.
        let c = s.get_contact(ws, bb).await.unwrap().unwrap().contact;
        assert_eq!(
            (c.value, c.value_from_orders, c.tier.as_deref()),
            (None, false, Some("customer")),
            "{n}"
        );

        let merge = s.merge_contacts(ws, a, bb, at(4)).await.unwrap();
        // While merged, an order for the WhatsApp number comes: the survivor holds it...
        s.upsert_orders(
            ws,
            &[order("4003", None, Some("15550003"), 1_200, "USD")],
            OrderSource::Api,
            true,
            at(5),
        )
        .await
        .unwrap();
        assert_eq!(s.contact_orders(ws, a, 50).await.unwrap().0.len(), 2, "{n}");
        // ...and goes back with the number's identity.
        s.undo_merge(ws, merge.id, at(6)).await.unwrap();
        let (back, _) = s.contact_orders(ws, bb, 50).await.unwrap();
        let ids: Vec<&str> = back.iter().map(|o| o.external_id.as_str()).collect();
        assert_eq!(ids, ["4003", "4002"], "{n}");
        assert!(
            s.contact_orders(ws, a, 50).await.unwrap().0.is_empty(),
            "{n}"
        );
        assert_eq!(
            s.get_contact(ws, bb).await.unwrap().unwrap().contact.value,
            Some(12.0),
            "{n}"
        );

        // Erased, a later order that carries only the shop's customer id is not stored.
        s.erase_contact(ws, bb, "test", at(7)).await.unwrap();
        let mut later = order("4004", None, None, 100, "EUR");
        later.customer_ref = Some("shop-7".into());
        let r = s
            .upsert_orders(ws, &[later], OrderSource::Api, true, at(8))
            .await
            .unwrap();
        assert_eq!((r.erased, r.created), (1, 0), "{n}: {r:?}");
        b.finish().await;
    }
}

#[tokio::test]
async fn an_order_two_people_could_have_placed_waits_and_is_shown_to_both() {
    for b in backends().await {
        let s = &b.store;
        let n = b.name;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let got = s
            .ingest(
                ws,
                &[
                    private(
                        ChannelKind::Email,
                        "m1@x",
                        "dana@example.com",
                        "Dana Scully",
                        0,
                    ),
                    private(
                        ChannelKind::Whatsapp,
                        "wamid.1",
                        "15550004",
                        "Dana Mulder",
                        1,
                    ),
                ],
            )
            .await
            .unwrap();
        let (a, bb) = (
            contact_of(s, ws, &got[0]).await,
            contact_of(s, ws, &got[1]).await,
        );
        // An agent said they are two people; then the WhatsApp profile gives the same address.
        s.reject_match(ws, a, bb, at(2)).await.unwrap();
        let mut again = private(
            ChannelKind::Whatsapp,
            "wamid.2",
            "15550004",
            "Dana Mulder",
            3,
        );
        again.author.email = Some("dana@example.com".into());
        s.ingest(ws, &[again]).await.unwrap();
        assert_ne!(
            s.get_contact(ws, a)
                .await
                .unwrap()
                .unwrap()
                .contact
                .merged_into,
            Some(bb),
            "{n}: not joined"
        );
        let r = s
            .upsert_orders(
                ws,
                &[order("5001", Some("dana@example.com"), None, 100, "USD")],
                OrderSource::Api,
                true,
                at(4),
            )
            .await
            .unwrap();
        assert_eq!(
            r.matched, 0,
            "{n}: two contacts verify the address: nobody's yet"
        );
        for c in [a, bb] {
            let waiting = s.unmatched_orders_naming(ws, c).await.unwrap();
            assert_eq!(waiting.len(), 1, "{n}: each one's export shows it");
        }
        b.finish().await;
    }
}
