//! The conformance story: every `Store` method, against SQLite always and against PostgreSQL
//! when `EARSHOT_TEST_POSTGRES_URL` is set (each test gets a fresh database there).

use chrono::{Duration, TimeZone, Utc};
use earshot_core::store::{
    AssigneeFilter, ContactQuery, ConversationQuery, IngestOutcome, StoreError,
};
use earshot_core::*;
use sqlx::Connection;
use std::sync::Arc;

#[path = "conformance/orders.rs"]
mod orders;
#[path = "conformance/preferences.rs"]
mod preferences;
#[path = "conformance/staffing.rs"]
mod staffing;
#[path = "conformance/surveys.rs"]
mod surveys;

struct Backend {
    name: &'static str,
    store: Arc<dyn Store>,
    _dir: Option<tempfile::TempDir>,
    pg_cleanup: Option<(String, String)>,
}

impl Backend {
    async fn finish(self) {
        drop(self.store);
        if let Some((admin_url, db)) = self.pg_cleanup {
            let mut conn = sqlx::PgConnection::connect(&admin_url).await.unwrap();
            sqlx::query(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
}

async fn backends() -> Vec<Backend> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("conformance.db").display());
    let mut all = vec![Backend {
        name: "sqlite",
        store: earshot_store::open(&url).await.unwrap(),
        _dir: Some(dir),
        pg_cleanup: None,
    }];
    if let Ok(admin_url) = std::env::var("EARSHOT_TEST_POSTGRES_URL") {
        let db = format!("earshot_t_{}", rand::random::<u64>());
        let mut conn = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("EARSHOT_TEST_POSTGRES_URL is set but unreachable: {e}"));
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin_url
            .rsplit_once('/')
            .map_or(admin_url.as_str(), |(b, _)| b);
        all.push(Backend {
            name: "postgres",
            store: earshot_store::open(&format!("{base}/{db}")).await.unwrap(),
            _dir: None,
            pg_cleanup: Some((admin_url.clone(), db)),
        });
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must set EARSHOT_TEST_POSTGRES_URL so the PostgreSQL store is tested"
        );
        eprintln!("PostgreSQL conformance SKIPPED: EARSHOT_TEST_POSTGRES_URL is not set");
    }
    all
}

fn at(minutes: i64) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2017, 10, 31, 12, 0, 0).unwrap() + Duration::minutes(minutes)
}

fn msg(
    id: &str,
    author: &str,
    direction: Direction,
    minutes: i64,
    parent: Option<&str>,
) -> Inbound {
    Inbound {
        channel: ChannelKind::X,
        account: None,
        source: ChannelRole::Owned,
        external_id: id.into(),
        direction,
        visibility: Visibility::Public,
        author: InboundAuthor {
            external_id: author.into(),
            handle: Some(format!("h_{author}")),
            display_name: None,
            followers: Some(10),
            verified: false,
            email: None,
            phone: None,
        },
        text: format!("message {id}"),
        created_at: at(minutes),
        in_reply_to: parent.map(str::to_string),
        raw: Some(serde_json::json!({"id": id})),
        automated: false,
        signature: None,
        url: None,
        attachments: Vec::new(),
    }
}

/// A change by the system, as the workflow makes it.
async fn change(
    s: &Arc<dyn Store>,
    ws: WorkspaceId,
    id: ConversationId,
    status: Option<ConversationStatus>,
    assign: Option<(Option<AgentId>, Option<TeamId>)>,
) -> Result<Conversation, StoreError> {
    let change = earshot_core::workflow::ConversationChange {
        status,
        assignee: assign.map(|a| a.0),
        team: assign.map(|a| a.1),
        ..Default::default()
    };
    s.change_conversation(ws, id, &change, earshot_core::rules::Actor::System, &[])
        .await
        .map(|c| c.after)
}

fn stored(o: &IngestOutcome) -> (MessageId, ConversationId, bool) {
    match *o {
        IngestOutcome::Stored {
            message_id,
            conversation_id,
            awaiting_parent,
            ..
        } => (message_id, conversation_id, awaiting_parent),
        other => panic!("expected stored, got {other:?}"),
    }
}

#[tokio::test]
async fn workspaces_and_tokens() {
    for b in backends().await {
        let s = &b.store;
        let a = s.ensure_workspace("acme").await.unwrap();
        assert_eq!(
            s.ensure_workspace("acme").await.unwrap().id,
            a.id,
            "{}",
            b.name
        );
        assert_eq!(s.workspace_by_name("acme").await.unwrap(), Some(a.clone()));
        assert_eq!(s.workspace_by_name("nobody").await.unwrap(), None);
        assert!(matches!(
            s.ensure_workspace(" ").await,
            Err(StoreError::Invalid(_))
        ));
        let other = s.ensure_workspace("globex").await.unwrap();
        s.create_api_token(a.id, "ci", "hash-a").await.unwrap();
        s.create_api_token(other.id, "ci", "hash-b").await.unwrap();
        assert_eq!(
            s.workspace_for_token("hash-a").await.unwrap().unwrap().0.id,
            a.id
        );
        assert_eq!(
            s.workspace_for_token("hash-b").await.unwrap().unwrap().0.id,
            other.id
        );
        assert_eq!(s.workspace_for_token("hash-c").await.unwrap(), None);
        let ops = s.operations(Utc::now()).await.unwrap();
        assert_eq!(ops.workspaces, 2, "{}", b.name);
        assert_eq!((ops.sla_running, ops.webhooks_pending), (0, 0));
        assert!(ops.outbox.is_empty() && ops.channels.is_empty());
        assert!(matches!(
            s.create_api_token(a.id, "again", "hash-a").await,
            Err(StoreError::Conflict(_))
        ));
        s.ping().await.unwrap();
        assert_eq!(s.backend(), b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn channels_are_created_once_per_kind_and_name() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let c1 = s
            .ensure_channel(ws, ChannelKind::X, "@acme", ChannelRole::Owned)
            .await
            .unwrap();
        let c2 = s
            .ensure_channel(ws, ChannelKind::X, "@acme", ChannelRole::Owned)
            .await
            .unwrap();
        let c3 = s
            .ensure_channel(ws, ChannelKind::Reddit, "r/acme", ChannelRole::Listening)
            .await
            .unwrap();
        assert_eq!(c1, c2);
        assert_ne!(c1.id, c3.id);
        assert_eq!(c3.role, ChannelRole::Listening);
        assert_eq!(s.list_channels(ws).await.unwrap(), vec![c1, c3]);
        b.finish().await;
    }
}

#[tokio::test]
async fn ingest_threads_a_conversation_and_is_idempotent() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let batch = vec![
            msg("1", "cust", Direction::In, 0, None),
            msg("2", "brand", Direction::Out, 10, Some("1")),
            msg("3", "cust", Direction::In, 20, Some("2")),
            msg("9", "other", Direction::In, 5, None),
            msg("3", "cust", Direction::In, 20, Some("2")),
        ];
        let out = s.ingest(ws, &batch).await.unwrap();
        let (m1, c1, _) = stored(&out[0]);
        let (_, c2, _) = stored(&out[1]);
        let (_, c3, _) = stored(&out[2]);
        let (_, c9, _) = stored(&out[3]);
        assert_eq!((c1, c2, c3), (c1, c1, c1), "{}", b.name);
        assert_ne!(c1, c9);
        assert!(
            matches!(out[4], IngestOutcome::Duplicate { .. }),
            "in-batch duplicate"
        );

        let conv = s.get_conversation(ws, c1).await.unwrap().unwrap();
        assert_eq!(conv.message_count, 3);
        assert_eq!(conv.status, ConversationStatus::Open, "the brand answered");
        assert_eq!(conv.first_response_at, Some(at(10)));
        assert_eq!(conv.waiting_since, Some(at(20)), "the customer wrote again");
        assert_eq!(conv.first_message_at, at(0));
        assert_eq!(conv.last_message_at, at(20));
        let lone = s.get_conversation(ws, c9).await.unwrap().unwrap();
        assert_eq!(lone.status, ConversationStatus::New);
        assert_eq!(lone.waiting_since, Some(at(5)));

        let messages = s.conversation_messages(ws, c1).await.unwrap();
        let ids: Vec<_> = messages.iter().map(|m| m.external_id.as_str()).collect();
        assert_eq!(ids, ["1", "2", "3"]);
        assert_eq!(messages[0].id, m1);
        assert_eq!(messages[1].direction, Direction::Out);
        assert_eq!(messages[1].in_reply_to.as_deref(), Some("1"));
        assert_eq!(messages[0].raw, serde_json::json!({"id": "1"}));

        let again = s.ingest(ws, &batch).await.unwrap();
        assert!(again
            .iter()
            .all(|o| matches!(o, IngestOutcome::Duplicate { .. })));
        let counts = s.counts(ws).await.unwrap();
        assert_eq!((counts.messages, counts.conversations), (4, 2));
        assert_eq!(
            (counts.identities, counts.contacts, counts.channels),
            (3, 3, 1)
        );

        let found = s
            .message_by_external_id(ws, ChannelKind::X, "x", "2")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.conversation_id, c1);
        assert!(s
            .message_by_external_id(ws, ChannelKind::X, "x", "404")
            .await
            .unwrap()
            .is_none());
        b.finish().await;
    }
}

#[tokio::test]
async fn arrival_order_does_not_matter() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        // The brand's reply arrives first: it waits for its parent.
        let out = s
            .ingest(ws, &[msg("2", "brand", Direction::Out, 10, Some("1"))])
            .await
            .unwrap();
        let (_, early, awaiting) = stored(&out[0]);
        assert!(awaiting, "{}", b.name);
        // A reply to a message that links to nothing yet opens a second conversation.
        let out = s
            .ingest(ws, &[msg("4", "cust", Direction::In, 40, Some("3"))])
            .await
            .unwrap();
        let (_, later, _) = stored(&out[0]);
        assert_ne!(early, later);
        // The root arrives and joins the reply's conversation.
        let out = s
            .ingest(ws, &[msg("1", "cust", Direction::In, 0, None)])
            .await
            .unwrap();
        let (_, root, awaiting) = stored(&out[0]);
        assert_eq!(root, early);
        assert!(!awaiting);
        // The missing link arrives: both conversations become one, the older survives.
        let out = s
            .ingest(ws, &[msg("3", "brand", Direction::Out, 30, Some("2"))])
            .await
            .unwrap();
        let (_, link, _) = stored(&out[0]);
        assert_eq!(link, early.min(later));
        let gone = early.max(later);
        assert!(s.get_conversation(ws, gone).await.unwrap().is_none());
        let conv = s.get_conversation(ws, link).await.unwrap().unwrap();
        assert_eq!(conv.message_count, 4);
        assert_eq!(conv.first_response_at, Some(at(10)));
        assert_eq!(conv.waiting_since, Some(at(40)));
        let ids: Vec<_> = s
            .conversation_messages(ws, link)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.external_id)
            .collect();
        assert_eq!(ids, ["1", "2", "3", "4"]);
        assert_eq!(s.counts(ws).await.unwrap().conversations, 1);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_customer_writing_again_reopens_a_resolved_conversation() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let out = s
            .ingest(ws, &[msg("1", "cust", Direction::In, 0, None)])
            .await
            .unwrap();
        let (_, c, _) = stored(&out[0]);
        let resolved = change(s, ws, c, Some(ConversationStatus::Resolved), None)
            .await
            .unwrap();
        assert_eq!(resolved.status, ConversationStatus::Resolved);
        let out = s
            .ingest(ws, &[msg("2", "cust", Direction::In, 60, Some("1"))])
            .await
            .unwrap();
        let conv = s.get_conversation(ws, c).await.unwrap().unwrap();
        assert_eq!(conv.status, ConversationStatus::Open, "{}", b.name);
        // The outcome says so, and the history records it.
        assert!(matches!(
            out[0],
            IngestOutcome::Stored {
                status_changed: Some((ConversationStatus::Resolved, ConversationStatus::Open)),
                ..
            }
        ));
        let events = s.conversation_events(ws, c).await.unwrap();
        assert_eq!(events.len(), 2, "{}: {events:?}", b.name);
        assert_eq!(events[1].kind, "status_changed");
        assert_eq!(events[1].data["from"], "resolved");
        assert_eq!(events[1].data["because"], "the customer wrote");
        // Agents' work reads the reopening (the brand answering a new conversation it
        // does not: only agents' events and reopenings are on its index).
        let work = s
            .agent_work_events(
                ws,
                at(-10_000),
                earshot_core::time::now() + Duration::days(1),
            )
            .await
            .unwrap();
        assert_eq!(work.len(), 1, "{}: {work:?}", b.name);
        assert_eq!(
            (work[0].kind.as_str(), work[0].agent),
            ("status_changed", None),
            "{}",
            b.name
        );
        assert_eq!(work[0].data["from"], "resolved", "{}", b.name);
        assert_eq!(work[0].first_message_at, at(0), "{}", b.name);
        assert!(matches!(
            change(
                s,
                ws,
                ConversationId(999_999),
                Some(ConversationStatus::Open),
                None
            )
            .await,
            Err(StoreError::NotFound { .. })
        ));
        b.finish().await;
    }
}

#[tokio::test]
async fn authors_resolve_to_one_identity_and_contact_with_fresh_profiles() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let mut first = msg("1", "cust", Direction::In, 0, None);
        first.author.display_name = Some("Cus Tomer".into());
        s.ingest(ws, &[first]).await.unwrap();
        let mut second = msg("2", "cust", Direction::In, 5, None);
        second.author.followers = Some(1234);
        second.author.display_name = None;
        let out = s.ingest(ws, &[second]).await.unwrap();
        let (_, c, _) = stored(&out[0]);
        let conv = s.get_conversation(ws, c).await.unwrap().unwrap();
        let profile = s.get_contact(ws, conv.contact_id).await.unwrap().unwrap();
        assert_eq!(
            profile.contact.display_name.as_deref(),
            Some("Cus Tomer"),
            "{}",
            b.name
        );
        assert_eq!(profile.identities.len(), 1);
        let identity = &profile.identities[0];
        assert_eq!(identity.followers, Some(1234), "profile refreshed");
        assert_eq!(
            identity.display_name.as_deref(),
            Some("Cus Tomer"),
            "kept when not resent"
        );
        assert_eq!(identity.handle.as_deref(), Some("h_cust"));
        assert_eq!(s.counts(ws).await.unwrap().contacts, 1);
        assert!(s
            .get_contact(ws, ContactId(424242))
            .await
            .unwrap()
            .is_none());
        b.finish().await;
    }
}

#[tokio::test]
async fn the_inbox_orders_filters_and_pages_without_gaps() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        // 25 lone customer tweets: the longest waiting comes first.
        let batch: Vec<_> = (0..25)
            .map(|i| {
                msg(
                    &format!("t{i}"),
                    &format!("c{i}"),
                    Direction::In,
                    100 - i,
                    None,
                )
            })
            .collect();
        s.ingest(ws, &batch).await.unwrap();
        // One answered (nobody waiting: sorts last), one on another channel.
        s.ingest(ws, &[msg("r", "brand", Direction::Out, 200, Some("t0"))])
            .await
            .unwrap();
        let mut reddit = msg("p1", "redditor", Direction::In, 1, None);
        reddit.channel = ChannelKind::Reddit;
        s.ingest(ws, &[reddit]).await.unwrap();

        let mut seen = Vec::new();
        let mut query = ConversationQuery {
            limit: 7,
            ..Default::default()
        };
        loop {
            let page = s.list_conversations(ws, &query).await.unwrap();
            assert!(page.items.len() <= 7);
            seen.extend(page.items.iter().map(|c| (c.waiting_since, c.id)));
            match page.next_cursor {
                Some(cursor) => {
                    query.after = Some(store::ConversationCursor::decode(&cursor).unwrap())
                }
                None => break,
            }
        }
        assert_eq!(seen.len(), 26, "{}", b.name);
        let waits: Vec<_> = seen.iter().map(|(w, _)| *w).collect();
        assert_eq!(waits[0], Some(at(1)), "the reddit post waits longest");
        assert_eq!(waits[1], Some(at(76)));
        assert_eq!(
            *waits.last().unwrap(),
            None,
            "the answered conversation comes last"
        );
        let mut sorted = waits[..25].to_vec();
        sorted.sort();
        assert_eq!(sorted, waits[..25]);

        let x_only = ConversationQuery {
            channel: Some(ChannelKind::Reddit),
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            s.list_conversations(ws, &x_only).await.unwrap().items.len(),
            1
        );
        let open = ConversationQuery {
            status: Some(ConversationStatus::Open),
            limit: 50,
            ..Default::default()
        };
        let open = s.list_conversations(ws, &open).await.unwrap().items;
        assert_eq!(open.len(), 1);

        let team = s.create_team(ws, "Tier 1").await.unwrap();
        let agent = s
            .create_agent(ws, &NewAgent::new("Ana", "ana@acme.test", Some(team.id)))
            .await
            .unwrap();
        let assigned = change(
            s,
            ws,
            open[0].id,
            None,
            Some((Some(agent.id), Some(team.id))),
        )
        .await
        .unwrap();
        assert_eq!(assigned.assignee_id, Some(agent.id));
        let mine = ConversationQuery {
            assignee: Some(AssigneeFilter::Agent(agent.id)),
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            s.list_conversations(ws, &mine).await.unwrap().items,
            vec![assigned.clone()]
        );
        let unassigned = ConversationQuery {
            assignee: Some(AssigneeFilter::Unassigned),
            limit: 50,
            ..Default::default()
        };
        assert_eq!(
            s.list_conversations(ws, &unassigned)
                .await
                .unwrap()
                .items
                .len(),
            25
        );
        let recent = ConversationQuery {
            updated_since: Some(assigned.updated_at),
            limit: 50,
            ..Default::default()
        };
        let recent = s.list_conversations(ws, &recent).await.unwrap().items;
        assert!(recent.iter().any(|c| c.id == assigned.id));
        assert!(recent.len() < 26);
        b.finish().await;
    }
}

#[tokio::test]
async fn contacts_page_in_id_order() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let batch: Vec<_> = (0..12)
            .map(|i| msg(&format!("t{i}"), &format!("c{i}"), Direction::In, i, None))
            .collect();
        s.ingest(ws, &batch).await.unwrap();
        let mut ids = Vec::new();
        let mut query = ContactQuery {
            after: None,
            limit: 5,
            search: None,
        };
        loop {
            let page = s.list_contacts(ws, &query).await.unwrap();
            ids.extend(page.items.iter().map(|c| c.id));
            match page.next_cursor {
                Some(c) => query.after = Some(ContactId(c.parse().unwrap())),
                None => break,
            }
        }
        assert_eq!(ids.len(), 12, "{}", b.name);
        assert!(ids.windows(2).all(|w| w[0] < w[1]));
        b.finish().await;
    }
}

#[tokio::test]
async fn teams_and_agents_belong_to_their_workspace() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let other = s.ensure_workspace("globex").await.unwrap().id;
        let team = s.create_team(ws, "Billing").await.unwrap();
        assert!(
            matches!(
                s.create_team(ws, "Billing").await,
                Err(StoreError::Conflict(_))
            ),
            "{}",
            b.name
        );
        s.create_team(other, "Billing").await.unwrap();
        assert_eq!(s.list_teams(ws).await.unwrap(), vec![team.clone()]);
        let foreign_team = NewAgent::new("Bo", "bo@x.test", Some(TeamId(team.id.0 + 1)));
        assert!(matches!(
            s.create_agent(ws, &foreign_team).await,
            Err(StoreError::Invalid(_))
        ));
        let agent = s
            .create_agent(ws, &NewAgent::new("Bo", "bo@x.test", None))
            .await
            .unwrap();
        assert_eq!(s.list_agents(ws).await.unwrap(), vec![agent.clone()]);
        assert!(s.list_agents(other).await.unwrap().is_empty());

        let out = s
            .ingest(other, &[msg("1", "cust", Direction::In, 0, None)])
            .await
            .unwrap();
        let (_, theirs, _) = stored(&out[0]);
        assert!(matches!(
            change(s, other, theirs, None, Some((Some(agent.id), None))).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            change(s, ws, theirs, None, Some((Some(agent.id), None))).await,
            Err(StoreError::NotFound { .. })
        ));
        b.finish().await;
    }
}

#[tokio::test]
async fn workspaces_never_see_each_other() {
    for b in backends().await {
        let s = &b.store;
        let a = s.ensure_workspace("acme").await.unwrap().id;
        let g = s.ensure_workspace("globex").await.unwrap().id;
        let out_a = s
            .ingest(a, &[msg("1", "cust", Direction::In, 0, None)])
            .await
            .unwrap();
        // The same platform id in another workspace is another message, not a duplicate.
        let out_g = s
            .ingest(g, &[msg("1", "cust", Direction::In, 0, None)])
            .await
            .unwrap();
        let (_, ca, _) = stored(&out_a[0]);
        let (_, cg, _) = stored(&out_g[0]);
        assert_ne!(ca, cg, "{}", b.name);
        assert!(s.get_conversation(g, ca).await.unwrap().is_none());
        assert!(s.conversation_messages(g, ca).await.unwrap().is_empty());
        let contact_a = s.get_conversation(a, ca).await.unwrap().unwrap().contact_id;
        assert!(s.get_contact(g, contact_a).await.unwrap().is_none());
        let all_g = s
            .list_conversations(
                g,
                &ConversationQuery {
                    limit: 50,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(
            all_g.items.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![cg]
        );
        assert_eq!(s.counts(g).await.unwrap().messages, 1);
        b.finish().await;
    }
}

#[tokio::test]
async fn topics_are_kept_per_workspace_with_unique_names() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let other = s.ensure_workspace("globex").await.unwrap().id;
        let draft = TopicDraft {
            name: "Refunds".into(),
            query: "refund* AND NOT spam".into(),
            active: true,
        };
        let t = s.create_topic(ws, &draft).await.unwrap();
        assert_eq!(
            (t.name.as_str(), t.query.as_str(), t.active),
            ("Refunds", "refund* AND NOT spam", true),
            "{}",
            b.name
        );
        // Said in words, never the database's own text (tables, constraints, SQL).
        match s.create_topic(ws, &draft).await {
            Err(StoreError::Conflict(m)) => {
                assert_eq!(m, "already exists: the name is taken", "{}", b.name);
            }
            other => panic!("{}: {other:?}", b.name),
        }
        s.create_topic(other, &draft).await.unwrap();
        assert!(matches!(
            s.create_topic(
                ws,
                &TopicDraft {
                    name: " ".into(),
                    query: "x".into(),
                    active: true
                }
            )
            .await,
            Err(StoreError::Invalid(_))
        ));

        let changed = TopicDraft {
            name: "Refunds".into(),
            query: "refund*".into(),
            active: false,
        };
        let updated = s.update_topic(ws, t.id, &changed).await.unwrap();
        assert_eq!((updated.query.as_str(), updated.active), ("refund*", false));
        assert_eq!(s.get_topic(ws, t.id).await.unwrap(), Some(updated.clone()));
        assert_eq!(s.list_topics(ws).await.unwrap(), vec![updated]);
        assert!(
            s.get_topic(other, t.id).await.unwrap().is_none(),
            "another workspace's topic"
        );
        assert!(matches!(
            s.update_topic(other, t.id, &changed).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            s.delete_topic(other, t.id).await,
            Err(StoreError::NotFound { .. })
        ));
        s.delete_topic(ws, t.id).await.unwrap();
        assert!(s.list_topics(ws).await.unwrap().is_empty());
        b.finish().await;
    }
}

#[tokio::test]
async fn recent_messages_are_the_newest_inbound_with_their_authors() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let mut batch: Vec<_> = (0..5)
            .map(|i| msg(&format!("m{i}"), "cust", Direction::In, i, None))
            .collect();
        batch.push(msg("r", "brand", Direction::Out, 9, Some("m0")));
        s.ingest(ws, &batch).await.unwrap();
        let recent = s.recent_messages(ws, 3).await.unwrap();
        let texts: Vec<_> = recent.iter().map(|m| m.text.as_str()).collect();
        assert_eq!(
            texts,
            ["message m4", "message m3", "message m2"],
            "{}",
            b.name
        );
        assert_eq!(recent[0].author_handle.as_deref(), Some("h_cust"));
        assert_eq!(recent[0].author_followers, Some(10));
        assert_eq!(recent[0].channel_kind, ChannelKind::X);
        b.finish().await;
    }
}

#[tokio::test]
async fn inbound_messages_are_counted_per_hour_by_topic_intent_and_channel() {
    use earshot_core::emerging::SeriesKey;
    use earshot_core::enrichment::{Enrichment, IntentLabel};
    use earshot_core::store::Annotations;
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let topic = s
            .create_topic(
                ws,
                &TopicDraft {
                    name: "Outage".into(),
                    query: "down".into(),
                    active: true,
                },
            )
            .await
            .unwrap()
            .id;
        // at(0) is 12:00; minutes 0 and 30 share an hour, 70 is the next; the brand's reply
        // is not counted.
        let mut batch = vec![
            msg("h1", "ann", Direction::In, 0, None),
            msg("h2", "bob", Direction::In, 30, None),
            msg("h3", "cat", Direction::In, 70, None),
            msg("h4", "brand", Direction::Out, 31, Some("h2")),
        ];
        batch[1].author.followers = Some(900);
        let complaint = || Enrichment {
            intents: vec![IntentLabel {
                name: "complaint".into(),
                confidence: 0.9,
                because: Vec::new(),
            }],
            ..Enrichment::default()
        };
        let annotations = vec![
            Annotations {
                topics: vec![topic],
                enrichment: Some(complaint()),
                ..Annotations::default()
            },
            Annotations {
                topics: vec![topic],
                enrichment: Some(complaint()),
                ..Annotations::default()
            },
            Annotations::default(),
            Annotations::default(),
        ];
        s.ingest_annotated(ws, &batch, &annotations).await.unwrap();
        let hour = at(0).timestamp_millis() / 3_600_000;
        let c = s
            .hourly_counts(ws, &[hour - 1, hour, hour + 1, hour + 2])
            .await
            .unwrap();
        assert_eq!(c.topics, vec![(hour, topic, 2)], "{}", b.name);
        assert_eq!(
            c.intents,
            vec![(hour, "[\"complaint\"]".to_string(), 2)],
            "{}",
            b.name
        );
        let mut channels: Vec<(i64, i64)> = c.channels.iter().map(|r| (r.0, r.2)).collect();
        channels.sort();
        assert_eq!(channels, vec![(hour, 2), (hour + 1, 1)], "{}", b.name);
        assert_eq!(c.first_hour, Some(hour));
        let top = s
            .top_messages(ws, &SeriesKey::Topic(topic), at(0), at(60), 5)
            .await
            .unwrap();
        assert_eq!(
            top.iter().map(|m| m.followers).collect::<Vec<_>>(),
            vec![Some(900), Some(10)],
            "{}: the most followed first",
            b.name
        );
        let by_intent = s
            .top_messages(ws, &SeriesKey::Intent("complaint".into()), at(0), at(60), 1)
            .await
            .unwrap();
        assert_eq!(by_intent.len(), 1);
        let channel = c.channels[0].1;
        let by_channel = s
            .top_messages(ws, &SeriesKey::Channel(channel), at(60), at(120), 5)
            .await
            .unwrap();
        assert_eq!(by_channel.len(), 1, "{}", b.name);
        let other = s.ensure_workspace("globex").await.unwrap().id;
        assert_eq!(
            s.hourly_counts(other, &[hour, hour + 1]).await.unwrap(),
            Default::default()
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn matched_topics_are_recorded_and_unmatched_listening_posts_only_counted() {
    use earshot_core::store::Annotations;
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let topic = s
            .create_topic(
                ws,
                &TopicDraft {
                    name: "Refunds".into(),
                    query: "refund".into(),
                    active: true,
                },
            )
            .await
            .unwrap()
            .id;
        let owned = msg("o1", "cust", Direction::In, 0, None);
        let mut heard = msg("l1", "stranger", Direction::In, 1, None);
        heard.source = ChannelRole::Listening;
        heard.account = Some("public".into());
        let mut noise = msg("l2", "stranger", Direction::In, 2, None);
        noise.source = ChannelRole::Listening;
        noise.account = Some("public".into());
        let batch = vec![owned, heard, noise];
        let annotations = vec![
            Annotations::default(),
            Annotations {
                topics: vec![topic],
                ..Annotations::default()
            },
            Annotations::default(),
        ];
        let out = s.ingest_annotated(ws, &batch, &annotations).await.unwrap();
        let (_, owned_conversation, _) = stored(&out[0]);
        let (heard_id, heard_conversation, _) = stored(&out[1]);
        assert_eq!(out[2], IngestOutcome::Counted, "{}", b.name);
        assert_eq!(
            s.counts(ws).await.unwrap().conversations,
            2,
            "the unmatched post opens none"
        );
        assert_eq!(
            s.conversation_topics(ws, heard_conversation).await.unwrap(),
            vec![(heard_id, topic)]
        );
        assert!(s
            .conversation_topics(ws, owned_conversation)
            .await
            .unwrap()
            .is_empty());
        let other = s.ensure_workspace("globex").await.unwrap().id;
        assert!(s
            .conversation_topics(other, heard_conversation)
            .await
            .unwrap()
            .is_empty());
        let counts = s.unmatched_listening_counts(ws).await.unwrap();
        assert_eq!(counts.iter().map(|(_, n)| *n).collect::<Vec<_>>(), vec![1]);
        // Share of voice over the posts' day: the topic's post on its source, and the
        // unmatched one beside it; a range that misses the day counts nothing.
        let day = earshot_core::report::day_of(at(0));
        let voice = s
            .share_of_voice(ws, at(0) - Duration::days(1), at(0) + Duration::days(1))
            .await
            .unwrap();
        let listening = s
            .list_channels(ws)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.role == ChannelRole::Listening)
            .unwrap()
            .id;
        assert_eq!(voice.topics, vec![(day, listening, topic, 1)], "{}", b.name);
        assert_eq!(voice.matched, vec![(day, listening, 1)], "{}", b.name);
        assert_eq!(voice.unmatched, vec![(day, listening, 1)], "{}", b.name);
        let elsewhere = s
            .share_of_voice(ws, at(0) + Duration::days(1), at(0) + Duration::days(2))
            .await
            .unwrap();
        assert_eq!(elsewhere, Default::default());
        assert_eq!(
            s.share_of_voice(other, at(0) - Duration::days(1), at(0) + Duration::days(1))
                .await
                .unwrap(),
            Default::default(),
            "another workspace hears nothing of it"
        );

        // Again: the counted post is counted once; stored ones are duplicates.
        let again = s.ingest_annotated(ws, &batch, &annotations).await.unwrap();
        assert_eq!(again[2], IngestOutcome::Counted);
        assert!(matches!(again[1], IngestOutcome::Duplicate { .. }));
        assert_eq!(s.unmatched_listening_counts(ws).await.unwrap()[0].1, 1);

        // What the unmatched post said is kept for agents, once, searchable by its words and
        // source, in its workspace only.
        let all = earshot_core::store::HeardFilter {
            limit: 10,
            ..Default::default()
        };
        let heard = s.heard_posts(ws, &all).await.unwrap();
        assert_eq!(heard.len(), 1, "{}", b.name);
        assert_eq!(heard[0].external_id, "l2");
        assert_eq!(heard[0].channel_id, listening);
        assert_eq!(heard[0].sent_at, at(2));
        assert_eq!(heard[0].post, batch[2], "the post as it came: {}", b.name);
        let words = |w: &str| earshot_core::store::HeardFilter {
            text: Some(w.into()),
            ..all.clone()
        };
        let text = batch[2].text.to_uppercase();
        assert_eq!(s.heard_posts(ws, &words(&text)).await.unwrap().len(), 1);
        assert!(s
            .heard_posts(ws, &words("nowhere_50%"))
            .await
            .unwrap()
            .is_empty());
        let elsewhere = earshot_core::store::HeardFilter {
            channel: Some(earshot_core::ChannelId(listening.0 + 1000)),
            ..all.clone()
        };
        assert!(s.heard_posts(ws, &elsewhere).await.unwrap().is_empty());
        assert!(s.heard_posts(other, &all).await.unwrap().is_empty());
        assert!(s
            .heard_post(other, listening, "l2")
            .await
            .unwrap()
            .is_none());
        assert_eq!(
            s.heard_post(ws, listening, "l2")
                .await
                .unwrap()
                .unwrap()
                .post,
            batch[2]
        );
        // An agent opens a conversation from it: stored in its channel although no topic
        // matched; opening it again finds the same message.
        let opened = Annotations {
            opened_by_agent: true,
            ..Annotations::default()
        };
        let out = s
            .ingest_annotated(ws, &batch[2..], std::slice::from_ref(&opened))
            .await
            .unwrap();
        let (noise_id, _, _) = stored(&out[0]);
        assert_eq!(s.counts(ws).await.unwrap().conversations, 3, "{}", b.name);
        let out = s
            .ingest_annotated(ws, &batch[2..], std::slice::from_ref(&opened))
            .await
            .unwrap();
        assert_eq!(
            out[0],
            IngestOutcome::Duplicate {
                message_id: noise_id
            }
        );
        assert_eq!(
            s.unmatched_listening_counts(ws).await.unwrap()[0].1,
            1,
            "share of voice still counts it once, as heard"
        );
        // A week after it was heard, its words are forgotten; its count stays.
        let pass = s
            .apply_retention(Utc::now() + Duration::days(8), 100)
            .await
            .unwrap();
        assert_eq!(pass.heard, 1, "{}", b.name);
        assert!(s.heard_posts(ws, &all).await.unwrap().is_empty());
        assert_eq!(s.unmatched_listening_counts(ws).await.unwrap()[0].1, 1);
        assert!(
            s.ingest_annotated(ws, &batch, &annotations[..1])
                .await
                .is_err(),
            "one annotation per message"
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn enrichments_are_stored_with_their_reasons_and_read_per_conversation() {
    use earshot_core::enrichment::{Enrichment, IntentLabel, Reason};
    use earshot_core::store::Annotations;
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let mut e = Enrichment {
            language: "en".into(),
            language_confidence: 0.9,
            ..Enrichment::default()
        };
        e.sentiment.label = "negative".into();
        e.sentiment.score = -0.75;
        e.sentiment.scores.negative = 0.8;
        e.sentiment.because = vec![Reason {
            feature: "w:worst".into(),
            weight: 0.4,
        }];
        e.intents.push(IntentLabel {
            name: "complaint".into(),
            confidence: 0.93,
            because: vec![Reason {
                feature: "rule:refund".into(),
                weight: 0.5,
            }],
        });
        e.urgency.score = 0.25;
        let question = msg("m1", "cust", Direction::In, 0, None);
        let reply = msg("m2", "brand", Direction::Out, 1, Some("m1"));
        let annotations = vec![
            Annotations {
                enrichment: Some(e.clone()),
                ..Annotations::default()
            },
            Annotations::default(),
        ];
        let out = s
            .ingest_annotated(ws, &[question, reply], &annotations)
            .await
            .unwrap();
        let (asked, conversation, _) = stored(&out[0]);
        assert_eq!(
            s.conversation_enrichments(ws, conversation).await.unwrap(),
            vec![(asked, e.clone())],
            "{}: the customer's message has its enrichment, the reply none",
            b.name
        );
        let other = s.ensure_workspace("globex").await.unwrap().id;
        assert!(s
            .conversation_enrichments(other, conversation)
            .await
            .unwrap()
            .is_empty());
        b.finish().await;
    }
}

#[tokio::test]
async fn the_newest_scored_customer_message_sets_the_conversation_priority() {
    use earshot_core::priority::{Priority, PriorityPart};
    use earshot_core::store::Annotations;
    let scored = |score: i32| Annotations {
        priority: Some(Priority {
            score,
            label: earshot_core::priority::label(score).into(),
            parts: vec![PriorityPart {
                part: "urgency".into(),
                points: score,
            }],
        }),
        ..Annotations::default()
    };
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        // Delivered newest first: the later message (sent at minute 5) still decides.
        let later = msg("m2", "cust", Direction::In, 5, Some("m1"));
        let first = msg("m1", "cust", Direction::In, 0, None);
        let out = s
            .ingest_annotated(ws, &[later, first], &[scored(30), scored(80)])
            .await
            .unwrap();
        let (_, conversation, _) = stored(&out[0]);
        let c = s.get_conversation(ws, conversation).await.unwrap().unwrap();
        assert_eq!(c.priority, 30, "{}", b.name);
        let p = s
            .conversation_priority(ws, conversation)
            .await
            .unwrap()
            .unwrap();
        assert_eq!((p.score, p.label.as_str()), (30, "medium"));
        assert_eq!(p.parts[0].points, 30);

        // A message that is not scored (the enrich stage off) keeps the priority...
        let unscored = msg("m2b", "cust", Direction::In, 5, Some("m2"));
        s.ingest_annotated(ws, &[unscored], &[Annotations::default()])
            .await
            .unwrap();
        let c = s.get_conversation(ws, conversation).await.unwrap().unwrap();
        assert_eq!(c.priority, 30);
        // ...and the brand's answer drops it: nobody waits, nothing needs attention.
        let reply = msg("m3", "brand", Direction::Out, 6, Some("m2"));
        s.ingest_annotated(ws, &[reply], &[Annotations::default()])
            .await
            .unwrap();
        let c = s.get_conversation(ws, conversation).await.unwrap().unwrap();
        assert_eq!(c.priority, 0);
        assert!(s
            .conversation_priority(ws, conversation)
            .await
            .unwrap()
            .is_none());
        // The customer writes again: scored afresh.
        let again = msg("m4", "cust", Direction::In, 7, Some("m3"));
        s.ingest_annotated(ws, &[again], &[scored(55)])
            .await
            .unwrap();
        let c = s.get_conversation(ws, conversation).await.unwrap().unwrap();
        assert_eq!(c.priority, 55);
        let other = s.ensure_workspace("globex").await.unwrap().id;
        assert!(s
            .conversation_priority(other, conversation)
            .await
            .unwrap()
            .is_none());
        b.finish().await;
    }
}

/// The decide stage changing what ingest decided in the same unit (a rule raising the
/// priority, a policy's due time) leaves one event per field on the history, from the value
/// before the batch to the one decided, by whoever decided it.
#[tokio::test]
async fn a_batch_records_each_decision_once() {
    use earshot_core::priority::Priority;
    use earshot_core::rules::Actor;
    use earshot_core::store::Annotations;
    use earshot_core::workflow::{ChangeRequest, ConversationChange};
    let urgent = Annotations {
        priority: Some(Priority {
            score: 80,
            label: "urgent".into(),
            parts: vec![],
        }),
        ..Annotations::default()
    };
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let mut unit = s.begin_batch(ws).await.unwrap();
        let out = unit
            .ingest(
                &[msg("u1", "cust", Direction::In, 0, None)],
                std::slice::from_ref(&urgent),
            )
            .await
            .unwrap();
        let (_, conversation, _) = stored(&out[0]);
        let decided = ConversationChange {
            priority: Some(95),
            sla_due_at: Some(Some(at(30))),
            add_tags: vec!["vip".into()],
            ..ConversationChange::default()
        };
        // A rule decides, then its priority is decided again in the same change (the decide
        // stage's adjustment after the rules): still one event, from 0 to the last value.
        let again = ConversationChange {
            priority: Some(95),
            ..ConversationChange::default()
        };
        unit.change(&[
            ChangeRequest {
                conversation,
                change: ConversationChange {
                    priority: Some(60),
                    ..decided.clone()
                },
                actor: Actor::Rule(7),
                extra: vec![],
            },
            ChangeRequest {
                conversation,
                change: again,
                actor: Actor::Rule(7),
                extra: vec![],
            },
        ])
        .await
        .unwrap();
        unit.commit().await.unwrap();
        let c = s.get_conversation(ws, conversation).await.unwrap().unwrap();
        assert_eq!((c.priority, c.sla_due_at), (95, Some(at(30))), "{}", b.name);
        let history = s.conversation_events(ws, conversation).await.unwrap();
        let of = |kind: &str| -> Vec<&earshot_core::workflow::ConversationEvent> {
            history.iter().filter(|e| e.kind == kind).collect()
        };
        let priority = of("priority_changed");
        assert_eq!(priority.len(), 1, "{}: {history:?}", b.name);
        assert_eq!(priority[0].data["from"], 0, "{}: before the batch", b.name);
        assert_eq!(priority[0].data["to"], 95);
        assert_eq!(priority[0].actor, Actor::Rule(7));
        let due = of("sla_due");
        assert_eq!(due.len(), 1, "{}: {history:?}", b.name);
        assert_eq!(due[0].data["from"], serde_json::Value::Null);
        assert_eq!(due[0].data["to"], serde_json::json!(at(30)));

        // A batch whose decision puts the priority back where ingest found it records none;
        // the due time ingest set (nobody decided otherwise) stays on the history by the
        // system.
        let mut unit = s.begin_batch(ws).await.unwrap();
        unit.ingest(
            &[msg("u2", "cust", Direction::In, 5, Some("u1"))],
            std::slice::from_ref(&urgent),
        )
        .await
        .unwrap();
        unit.change(&[ChangeRequest {
            conversation,
            change: ConversationChange {
                priority: Some(95),
                ..ConversationChange::default()
            },
            actor: Actor::Rule(7),
            extra: vec![],
        }])
        .await
        .unwrap();
        unit.commit().await.unwrap();
        let history = s.conversation_events(ws, conversation).await.unwrap();
        let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "priority_changed").count(),
            1,
            "{}: {kinds:?}",
            b.name
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn the_sla_due_time_follows_who_waits_and_the_priority() {
    use earshot_core::priority::Priority;
    use earshot_core::store::Annotations;
    let labelled = |label: &str| Annotations {
        priority: Some(Priority {
            score: if label == "urgent" { 80 } else { 30 },
            label: label.into(),
            parts: vec![],
        }),
        ..Annotations::default()
    };
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        // An urgent first message at minute 0: first response due within the hour.
        let out = s
            .ingest_annotated(
                ws,
                &[msg("u1", "cust", Direction::In, 0, None)],
                &[labelled("urgent")],
            )
            .await
            .unwrap();
        let (_, conversation, _) = stored(&out[0]);
        let due = |c: &earshot_core::Conversation| c.sla_due_at;
        let c = s.get_conversation(ws, conversation).await.unwrap().unwrap();
        assert_eq!(due(&c), Some(at(60)), "{}", b.name);
        // Both changes are on the history, by the system.
        let history = s.conversation_events(ws, conversation).await.unwrap();
        let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["priority_changed", "sla_due"], "{}", b.name);
        assert_eq!(history[0].data["to"], 80);
        assert_eq!(history[1].data["to"], serde_json::json!(at(60)));
        assert_eq!(history[1].actor, earshot_core::rules::Actor::System);
        assert_eq!(
            s.sla_due(at(0), at(60), 10).await.unwrap(),
            vec![(ws, conversation, at(60))]
        );
        assert!(s.sla_due(at(0), at(59), 10).await.unwrap().is_empty());
        assert!(
            s.sla_due(at(60), at(120), 10).await.unwrap().is_empty(),
            "a pass after the last"
        );

        // The brand answers: nobody waits, nothing is due.
        s.ingest_annotated(
            ws,
            &[msg("u2", "brand", Direction::Out, 30, Some("u1"))],
            &[Annotations::default()],
        )
        .await
        .unwrap();
        let c = s.get_conversation(ws, conversation).await.unwrap().unwrap();
        assert_eq!(due(&c), None);
        assert!(s.sla_due(at(0), at(100_000), 10).await.unwrap().is_empty());

        // The customer writes again, not urgent now: the next response within 24 hours.
        s.ingest_annotated(
            ws,
            &[msg("u3", "cust", Direction::In, 45, Some("u2"))],
            &[labelled("medium")],
        )
        .await
        .unwrap();
        let c = s.get_conversation(ws, conversation).await.unwrap().unwrap();
        assert_eq!(due(&c), Some(at(45 + 24 * 60)));
        b.finish().await;
    }
}

#[tokio::test]
async fn agents_teams_and_contacts_keep_their_workflow_settings() {
    use earshot_core::assign::{Availability, Skills, Strategy};
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let other = s.ensure_workspace("globex").await.unwrap().id;
        let team = s.create_team(ws, "Billing").await.unwrap();
        assert_eq!(team.strategy, Strategy::LeastLoaded);
        let team = s
            .set_team_strategy(ws, team.id, Strategy::RoundRobin)
            .await
            .unwrap();
        assert_eq!(
            s.list_teams(ws).await.unwrap()[0].strategy,
            Strategy::RoundRobin,
            "{}",
            b.name
        );
        assert!(matches!(
            s.set_team_strategy(other, team.id, Strategy::LeastLoaded)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let mut new = NewAgent::new("Ana", "ana@acme.test", None);
        new.capacity = 3;
        new.skills = Skills {
            languages: vec!["es".into()],
            channels: vec![ChannelKind::Email],
            topics: vec![],
        };
        let agent = s.create_agent(ws, &new).await.unwrap();
        assert_eq!(
            (agent.capacity, agent.availability),
            (3, Availability::Online)
        );
        assert_eq!(agent.skills.languages, ["es"]);
        let patch = AgentPatch {
            team_id: Some(Some(team.id)),
            capacity: Some(7),
            availability: Some(Availability::Away),
            skills: None,
        };
        let agent = s.update_agent(ws, agent.id, &patch).await.unwrap();
        assert_eq!(
            (agent.team_id, agent.capacity, agent.availability),
            (Some(team.id), 7, Availability::Away),
            "{}",
            b.name
        );
        assert_eq!(agent.skills.channels, [ChannelKind::Email], "untouched");
        let cleared = AgentPatch {
            team_id: Some(None),
            ..AgentPatch::default()
        };
        assert_eq!(
            s.update_agent(ws, agent.id, &cleared)
                .await
                .unwrap()
                .team_id,
            None
        );
        assert!(matches!(
            s.update_agent(other, agent.id, &cleared).await,
            Err(StoreError::NotFound { .. })
        ));
        let foreign = AgentPatch {
            team_id: Some(Some(TeamId(team.id.0 + 100))),
            ..AgentPatch::default()
        };
        assert!(matches!(
            s.update_agent(ws, agent.id, &foreign).await,
            Err(StoreError::Invalid(_))
        ));

        let out = s
            .ingest(ws, &[msg("c1", "cust", Direction::In, 0, None)])
            .await
            .unwrap();
        let (_, conversation, _) = stored(&out[0]);
        let contact = s
            .get_conversation(ws, conversation)
            .await
            .unwrap()
            .unwrap()
            .contact_id;
        let patch = ContactPatch {
            opted_out: Some(true),
            tier: Some(Some("gold".into())),
            value: Some(Some(1250.5)),
        };
        let c = s.update_contact(ws, contact, &patch).await.unwrap();
        assert_eq!(
            (c.opted_out, c.tier.as_deref(), c.value),
            (true, Some("gold"), Some(1250.5)),
            "{}",
            b.name
        );
        let profile = s.get_contact(ws, contact).await.unwrap().unwrap();
        assert!(profile.contact.opted_out);
        let c = s
            .update_contact(
                ws,
                contact,
                &ContactPatch {
                    tier: Some(None),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        assert_eq!((c.opted_out, c.tier, c.value), (true, None, Some(1250.5)));
        assert!(matches!(
            s.update_contact(other, contact, &patch).await,
            Err(StoreError::NotFound { .. })
        ));
        b.finish().await;
    }
}

#[tokio::test]
async fn every_change_to_a_conversation_is_an_event_with_its_actor() {
    use earshot_core::rules::Actor;
    use earshot_core::workflow::{ConversationChange, NewEvent};
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let other = s.ensure_workspace("globex").await.unwrap().id;
        let team = s.create_team(ws, "Care").await.unwrap();
        let agent = s
            .create_agent(ws, &NewAgent::new("Ana", "ana@acme.test", Some(team.id)))
            .await
            .unwrap();
        let out = s
            .ingest(ws, &[msg("e1", "cust", Direction::In, 0, None)])
            .await
            .unwrap();
        let (_, id, _) = stored(&out[0]);
        let change = ConversationChange {
            status: Some(ConversationStatus::Open),
            assignee: Some(Some(agent.id)),
            team: Some(Some(team.id)),
            priority: Some(70),
            add_tags: vec!["VIP".into(), "refund".into()],
            ..Default::default()
        };
        let changed = s
            .change_conversation(
                ws,
                id,
                &change,
                Actor::Agent(agent.id),
                &[NewEvent::new(
                    "note",
                    serde_json::json!({"text": "called her"}),
                )],
            )
            .await
            .unwrap();
        assert_eq!(changed.after.assignee_id, Some(agent.id));
        assert_eq!(changed.after.priority, 70);
        assert_eq!(
            changed.tags,
            ["refund", "vip"],
            "lowercased, sorted: {}",
            b.name
        );
        let kinds: Vec<&str> = changed.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "status_changed",
                "assigned",
                "priority_changed",
                "tagged",
                "tagged",
                "note"
            ]
        );
        // The same change again changes nothing, so only the extra event is recorded.
        let again = s
            .change_conversation(ws, id, &change, Actor::Rule(4), &[])
            .await
            .unwrap();
        assert!(again.events.is_empty(), "{:?}", again.events);
        let remove = ConversationChange {
            remove_tags: vec!["vip".into()],
            ..Default::default()
        };
        let removed = s
            .change_conversation(ws, id, &remove, Actor::Rule(4), &[])
            .await
            .unwrap();
        assert_eq!(removed.events[0].kind, "untagged");
        let stored_events = s.conversation_events(ws, id).await.unwrap();
        assert_eq!(stored_events.len(), 7);
        assert_eq!(stored_events[0].actor, Actor::Agent(agent.id));
        assert_eq!(stored_events[6].actor, Actor::Rule(4));
        assert_eq!(stored_events[1].data["to"]["agent"], agent.id.0);
        assert_eq!(s.conversation_tags(ws, id).await.unwrap(), ["refund"]);
        // What the rules stage reads for a batch, in one call.
        let contact = changed.after.contact_id;
        s.update_contact(
            ws,
            contact,
            &ContactPatch {
                tier: Some(Some("gold".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
        let ctx = s
            .workflow_context(ws, &[id, id, ConversationId(id.0 + 1000)])
            .await
            .unwrap();
        assert_eq!(ctx.len(), 1, "{}", b.name);
        assert_eq!(
            (
                ctx[0].tags.clone(),
                ctx[0].contact_tier.as_deref(),
                ctx[0].opted_out
            ),
            (vec!["refund".to_string()], Some("gold"), false)
        );
        assert_eq!(ctx[0].conversation.priority, 70);
        assert!(s.workflow_context(other, &[id]).await.unwrap().is_empty());
        assert!(s.conversation_events(other, id).await.unwrap().is_empty());
        // The agent's last assignment time is kept for "longest idle".
        let a = s.list_agents(ws).await.unwrap().remove(0);
        assert!(a.last_assigned_at.is_some());
        // Nothing of another workspace can be named, and nothing is half-applied.
        let bad = ConversationChange {
            priority: Some(10),
            assignee: Some(Some(AgentId(agent.id.0 + 100))),
            ..Default::default()
        };
        assert!(matches!(
            s.change_conversation(ws, id, &bad, Actor::System, &[])
                .await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(
            s.get_conversation(ws, id).await.unwrap().unwrap().priority,
            70
        );
        assert!(matches!(
            s.change_conversation(
                other,
                id,
                &ConversationChange::default(),
                Actor::System,
                &[]
            )
            .await,
            Err(StoreError::NotFound { .. })
        ));
        // Unresolved conversations with a team, for the assignment desk.
        let held = s.team_conversations(ws).await.unwrap();
        assert_eq!(held.len(), 1);
        assert_eq!(
            (held[0].team, held[0].assignee, held[0].priority),
            (team.id, Some(agent.id), 70)
        );
        let resolve = ConversationChange {
            status: Some(ConversationStatus::Resolved),
            ..Default::default()
        };
        s.change_conversation(ws, id, &resolve, Actor::System, &[])
            .await
            .unwrap();
        assert!(s.team_conversations(ws).await.unwrap().is_empty());
        b.finish().await;
    }
}

#[tokio::test]
async fn sla_pauses_snoozes_and_warnings_are_stored_for_the_timer_worker() {
    use earshot_core::priority::Priority;
    use earshot_core::rules::Actor;
    use earshot_core::store::Annotations;
    use earshot_core::workflow::{ConversationChange, Timer};
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let scored = Annotations {
            priority: Some(Priority {
                score: 30,
                label: "medium".into(),
                parts: vec![],
            }),
            ..Annotations::default()
        };
        let out = s
            .ingest_annotated(ws, &[msg("p1", "cust", Direction::In, 0, None)], &[scored])
            .await
            .unwrap();
        let (_, id, _) = stored(&out[0]);
        // Due after 24 hours; the warning at 80%, after 19.2 hours.
        let warn = at(0) + Duration::minutes(19 * 60 + 12);
        assert_eq!(
            s.timers_due(Timer::SlaWarning, at(0), warn, 10)
                .await
                .unwrap(),
            vec![(ws, id, warn)],
            "{}",
            b.name
        );
        assert!(s
            .timers_due(Timer::SlaWarning, warn, at(24 * 60), 10)
            .await
            .unwrap()
            .is_empty());
        // Snoozed with the clock paused: nothing due, the time left kept.
        let change = ConversationChange {
            status: Some(ConversationStatus::Snoozed),
            snoozed_until: Some(Some(at(120))),
            sla_due_at: Some(None),
            sla_remaining: Some(Some(Duration::hours(23))),
            ..Default::default()
        };
        let changed = s
            .change_conversation(ws, id, &change, Actor::System, &[])
            .await
            .unwrap();
        assert_eq!(changed.after.sla_due_at, None);
        assert!(s.sla_due(at(0), at(100_000), 10).await.unwrap().is_empty());
        assert!(
            s.timers_due(Timer::SlaWarning, at(0), at(100_000), 10)
                .await
                .unwrap()
                .is_empty(),
            "the warning goes with the due time"
        );
        assert_eq!(
            s.timers_due(Timer::SnoozeEnd, at(0), at(200), 10)
                .await
                .unwrap(),
            vec![(ws, id, at(120))]
        );
        let sla = s.sla_state(ws, id).await.unwrap();
        assert_eq!(
            (sla.remaining_seconds, sla.snoozed_until),
            (Some(23 * 3600), Some(at(120)))
        );
        let kinds: Vec<String> = changed.events.iter().map(|e| e.kind.clone()).collect();
        assert_eq!(
            kinds,
            ["status_changed", "snoozed", "sla_due"],
            "{}",
            b.name
        );
        // The worker's cursor survives a restart.
        assert_eq!(s.timer_cursor("sla_breach").await.unwrap(), None);
        s.set_timer_cursor("sla_breach", at(5)).await.unwrap();
        s.set_timer_cursor("sla_breach", at(6)).await.unwrap();
        assert_eq!(s.timer_cursor("sla_breach").await.unwrap(), Some(at(6)));
        b.finish().await;
    }
}

#[tokio::test]
async fn rules_policies_and_the_outbox_are_kept_per_workspace() {
    use earshot_core::workflow::{Delivery, NewOutbox};
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let other = s.ensure_workspace("globex").await.unwrap().id;
        let rule = |name: &str| -> earshot_core::rules::RuleDraft {
            serde_json::from_value(
                serde_json::json!({"name": name, "trigger": {"event": "message_received"},
                "actions": [{"type": "add_tag", "tag": name}]}),
            )
            .unwrap()
        };
        let a = s.create_rule(ws, None, &rule("a")).await.unwrap();
        let b2 = s.create_rule(ws, None, &rule("b")).await.unwrap();
        let first = s.create_rule(ws, Some(0), &rule("first")).await.unwrap();
        assert_eq!(
            (a.position, b2.position, first.position),
            (1, 2, 0),
            "{}",
            b.name
        );
        let names: Vec<String> = s
            .list_rules(ws)
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.rule.name)
            .collect();
        assert_eq!(names, ["first", "a", "b"]);
        let moved = s.update_rule(ws, a.id, Some(5), &rule("a2")).await.unwrap();
        assert_eq!((moved.position, moved.rule.name.as_str()), (5, "a2"));
        assert!(s.list_rules(other).await.unwrap().is_empty());
        assert!(matches!(
            s.update_rule(other, a.id, None, &rule("x")).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            s.delete_rule(other, a.id).await,
            Err(StoreError::NotFound { .. })
        ));
        s.delete_rule(ws, a.id).await.unwrap();
        assert_eq!(s.list_rules(ws).await.unwrap().len(), 2);

        let policy: earshot_core::sla::PolicyDraft = serde_json::from_value(serde_json::json!({
            "name": "Berlin office hours", "first_response_minutes": 240,
            "calendar": {"time_zone": "Europe/Berlin", "week": {"mon": [["09:00", "17:00"]]}, "holidays": ["2026-12-25"]}}))
        .unwrap();
        let p = s.create_sla_policy(ws, &policy).await.unwrap();
        assert_eq!(s.list_sla_policies(ws).await.unwrap()[0].id, p.id);
        assert!(
            matches!(
                s.create_sla_policy(ws, &policy).await,
                Err(StoreError::Conflict(_))
            ),
            "names are unique"
        );
        let mut bad = policy.clone();
        bad.name = "bad".into();
        bad.warn_at = 1.5;
        assert!(matches!(
            s.create_sla_policy(ws, &bad).await,
            Err(StoreError::Invalid(_))
        ));

        let out = s
            .ingest(ws, &[msg("o1", "cust", Direction::In, 0, None)])
            .await
            .unwrap();
        let (_, id, _) = stored(&out[0]);
        let ids = s
            .enqueue(
                ws,
                &[
                    NewOutbox {
                        conversation_id: Some(id),
                        kind: "reply",
                        message_id: None,
                        payload: serde_json::json!({"text": "hi"}),
                    },
                    NewOutbox {
                        conversation_id: None,
                        kind: "webhook",
                        message_id: None,
                        payload: serde_json::json!({"url": "https://x.test"}),
                    },
                ],
            )
            .await
            .unwrap();
        let now = Utc::now() + Duration::seconds(1);
        let due = s.outbox_due(now, 10).await.unwrap();
        assert_eq!(
            due.iter().map(|o| o.id).collect::<Vec<_>>(),
            ids,
            "{}",
            b.name
        );
        s.outbox_result(ids[0], &Delivery::Sent { platform_id: None }, now)
            .await
            .unwrap();
        s.outbox_result(
            ids[1],
            &Delivery::Retry {
                error: "503".into(),
                at: now + Duration::minutes(1),
            },
            now,
        )
        .await
        .unwrap();
        assert!(s.outbox_due(now, 10).await.unwrap().is_empty());
        let later = s.outbox_due(now + Duration::minutes(1), 10).await.unwrap();
        assert_eq!(
            (later[0].attempts, later[0].last_error.as_deref()),
            (1, Some("503"))
        );
        s.outbox_result(
            ids[1],
            &Delivery::Failed {
                error: "gone".into(),
            },
            now,
        )
        .await
        .unwrap();
        let all = s.list_outbox(ws, None).await.unwrap();
        assert_eq!(
            all.iter().map(|o| o.status.as_str()).collect::<Vec<_>>(),
            ["sent", "failed"]
        );
        assert_eq!(s.list_outbox(ws, Some(id)).await.unwrap().len(), 1);
        assert!(s.list_outbox(other, None).await.unwrap().is_empty());
        b.finish().await;
    }
}

#[tokio::test]
async fn private_messages_continue_the_customers_open_conversation_until_it_is_resolved() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let dm = |id: &str, author: &str, minutes: i64| {
            let mut m = msg(id, author, Direction::In, minutes, None);
            m.channel = ChannelKind::Whatsapp;
            m.visibility = Visibility::Private;
            m
        };
        let first = s
            .ingest(
                ws,
                &[dm("w1", "dana", 0), dm("w2", "tom", 1), dm("w3", "dana", 2)],
            )
            .await
            .unwrap();
        let dana = stored(&first[0]).1;
        assert_eq!(
            stored(&first[2]).1,
            dana,
            "{}: one batch, one conversation per customer",
            b.name
        );
        assert_ne!(stored(&first[1]).1, dana);
        let later = s.ingest(ws, &[dm("w4", "dana", 30)]).await.unwrap();
        assert_eq!(
            stored(&later[0]).1,
            dana,
            "{}: a later message continues it",
            b.name
        );
        change(s, ws, dana, Some(ConversationStatus::Resolved), None)
            .await
            .unwrap();
        let after = s.ingest(ws, &[dm("w5", "dana", 60)]).await.unwrap();
        assert_ne!(
            stored(&after[0]).1,
            dana,
            "{}: after resolving, a new conversation",
            b.name
        );
        // Public posts still thread by replies only.
        let public = s
            .ingest(
                ws,
                &[
                    msg("p1", "dana", Direction::In, 70, None),
                    msg("p2", "dana", Direction::In, 71, None),
                ],
            )
            .await
            .unwrap();
        assert_ne!(stored(&public[0]).1, stored(&public[1]).1);
        b.finish().await;
    }
}

#[tokio::test]
async fn connected_channels_keep_their_webhook_calls_and_the_platforms_delivery_reports() {
    use earshot_core::connector::*;
    use earshot_core::workflow::{Delivery, NewOutbox};
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let other = s.ensure_workspace("globex").await.unwrap().id;
        // A WhatsApp account ingest already knows is adopted, with its conversation.
        let mut first = msg("wamid.1", "15550001", Direction::In, 0, None);
        first.channel = ChannelKind::Whatsapp;
        first.account = Some("support".into());
        first.visibility = Visibility::Private;
        first.created_at = Utc::now() - Duration::minutes(5);
        let conversation = stored(&s.ingest(ws, &[first]).await.unwrap()[0]).1;
        let connection = Connection {
            connector: Connector::Whatsapp,
            name: "support".into(),
            settings: serde_json::json!({"phone_number_id": "111"})
                .as_object()
                .unwrap()
                .clone(),
            sealed_secrets: "sealed".into(),
        };
        let ch = s.connect_channel(ws, &connection).await.unwrap();
        assert_eq!(ch.channel.kind, ChannelKind::Whatsapp, "{}", b.name);
        assert_eq!(ch.status, ChannelStatus::Active);
        assert!(matches!(
            s.connect_channel(ws, &connection).await,
            Err(StoreError::Conflict(_))
        ));
        let id = ch.channel.id;
        assert_eq!(s.connected_channels(ws).await.unwrap().len(), 1);
        assert!(s.connected_channels(other).await.unwrap().is_empty());
        assert!(matches!(
            s.connected_channel(other, id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            s.webhook_channel(id)
                .await
                .unwrap()
                .unwrap()
                .channel
                .workspace_id,
            ws
        );

        // What it last did: an error is kept with its time until a success clears it.
        use earshot_core::connector::ActivityReport;
        assert_eq!(ch.activity, Default::default(), "{}", b.name);
        let report = |polled, events, error: Option<&str>| ActivityReport {
            polled,
            events,
            error: error.map(str::to_string),
        };
        s.record_activity(id, &report(true, true, None), at(1))
            .await
            .unwrap();
        s.record_activity(id, &report(false, false, Some("HTTP 503")), at(2))
            .await
            .unwrap();
        let a = s.connected_channel(ws, id).await.unwrap().activity;
        assert_eq!(
            (a.last_poll_at, a.last_event_at),
            (Some(at(1)), Some(at(1))),
            "{}",
            b.name
        );
        assert_eq!(
            (a.last_error.as_deref(), a.last_error_at),
            (Some("HTTP 503"), Some(at(2)))
        );
        s.record_activity(id, &report(true, false, None), at(3))
            .await
            .unwrap();
        let a = s.connected_channel(ws, id).await.unwrap().activity;
        assert_eq!(
            (a.last_poll_at, a.last_event_at),
            (Some(at(3)), Some(at(1))),
            "{}",
            b.name
        );
        assert_eq!(
            (a.last_error, a.last_error_at),
            (None, None),
            "a success clears it"
        );

        // Whom a reply goes to: the author of the newest customer message.
        let target = s.reply_target(ws, conversation).await.unwrap().unwrap();
        assert_eq!(
            (target.channel_id, target.recipient.as_str()),
            (id, "15550001")
        );
        assert_eq!(target.last_inbound_id, "wamid.1");

        // Calls wait in order until processed.
        let kept = s
            .accept_webhooks(
                &[
                    (ws, id, b"{\"a\":1}".as_slice()),
                    (ws, id, &[0xff, 0x00, 0x7b]),
                ],
                Utc::now(),
            )
            .await
            .unwrap();
        let (a, c) = (kept[0], kept[1]);
        let pending = s.pending_webhooks(0, 10).await.unwrap();
        assert_eq!(pending.iter().map(|p| p.id).collect::<Vec<_>>(), [a, c]);
        assert_eq!(
            pending[1].body,
            [0xff, 0x00, 0x7b],
            "bytes kept as received"
        );
        assert_eq!(s.pending_webhooks(a, 10).await.unwrap().len(), 1);
        s.webhooks_processed(&[(a, "1 message".into())], Utc::now())
            .await
            .unwrap();
        assert_eq!(s.pending_webhooks(0, 10).await.unwrap()[0].id, c);
        let calls = s.webhook_calls(ws, id, 10).await.unwrap();
        assert_eq!(
            calls.iter().map(|r| r.id).collect::<Vec<_>>(),
            [c, a],
            "{}",
            b.name
        );
        assert_eq!(
            (calls[1].outcome.as_deref(), calls[1].bytes),
            (Some("1 message"), 7)
        );
        assert!(calls[0].processed_at.is_none());
        assert!(s.webhook_calls(other, id, 10).await.unwrap().is_empty());
        let forgotten = s
            .forget_processed_webhooks(Utc::now() + Duration::minutes(1))
            .await
            .unwrap();
        assert_eq!(forgotten, 1, "only the processed call goes");
        assert_eq!(s.webhook_calls(ws, id, 10).await.unwrap().len(), 1);

        // A reply the platform accepted takes its id; reports move it forward only.
        let out = s
            .enqueue(
                ws,
                &[NewOutbox {
                    conversation_id: Some(conversation),
                    kind: "reply",
                    message_id: None,
                    payload: serde_json::json!({"text": "hi"}),
                }],
            )
            .await
            .unwrap()[0];
        s.outbox_result(
            out,
            &Delivery::Sent {
                platform_id: Some("wamid.out".into()),
            },
            Utc::now(),
        )
        .await
        .unwrap();
        let report = |state, error: Option<&str>| StatusReport {
            platform_id: "wamid.out".into(),
            state,
            at: Utc::now(),
            error: error.map(str::to_string),
        };
        let moved = s
            .record_status(ws, id, &report(DeliveryState::Read, None))
            .await
            .unwrap();
        assert_eq!(moved.unwrap().outbox_id, out);
        assert!(s
            .record_status(ws, id, &report(DeliveryState::Delivered, None))
            .await
            .unwrap()
            .is_none());
        assert!(s
            .record_status(other, id, &report(DeliveryState::Failed, None))
            .await
            .unwrap()
            .is_none());
        let item = &s.list_outbox(ws, Some(conversation)).await.unwrap()[0];
        assert_eq!(
            (item.delivery, item.platform_id.as_deref()),
            (DeliveryState::Read, Some("wamid.out"))
        );

        s.set_channel_status(ws, id, ChannelStatus::NeedsReauth, Some("error 190"))
            .await
            .unwrap();
        let again = s.reconnect_channel(ws, id, &connection).await.unwrap();
        assert_eq!(
            again.status,
            ChannelStatus::Active,
            "a new token makes it active"
        );
        s.disconnect_channel(ws, id).await.unwrap();
        assert!(s.webhook_channel(id).await.unwrap().is_none());
        assert_eq!(
            s.list_channels(ws).await.unwrap().len(),
            1,
            "its conversations stay"
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn a_merge_moves_everything_and_its_undo_gives_both_contacts_back_exactly() {
    use earshot_core::{ContactId, ContactPatch};
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let on = |kind: ChannelKind, id: &str, author: &str, minutes: i64| {
            let mut m = msg(id, author, Direction::In, minutes, None);
            m.channel = kind;
            m.visibility = Visibility::Private;
            m
        };
        let got = s
            .ingest(
                ws,
                &[
                    on(ChannelKind::Whatsapp, "wamid.1", "15550001", 0),
                    on(ChannelKind::Email, "m1@example.com", "dana@example.com", 1),
                ],
            )
            .await
            .unwrap();
        let (wa_conv, mail_conv) = (stored(&got[0]).1, stored(&got[1]).1);
        let contact_of =
            |c| async move { s.get_conversation(ws, c).await.unwrap().unwrap().contact_id };
        let (a, bb) = (contact_of(wa_conv).await, contact_of(mail_conv).await);
        assert_ne!(a, bb, "{}: two strangers so far", b.name);
        // Dana wrote STOP by email once: on the email contact's ledger.
        let mut unit = s.begin_batch(ws).await.unwrap();
        let stop = earshot_core::consent::ConsentChange {
            conversation_id: mail_conv,
            message_id: stored(&got[1]).0,
            channel: ChannelKind::Email,
            granted: false,
            how: "keyword STOP".into(),
            at: Utc::now(),
        };
        assert_eq!(
            unit.record_consent(&[stop.clone(), stop]).await.unwrap(),
            [true, false]
        );
        unit.commit().await.unwrap();
        s.update_contact(
            ws,
            bb,
            &ContactPatch {
                opted_out: Some(true),
                tier: Some(Some("gold".into())),
                value: None,
            },
        )
        .await
        .unwrap();
        let snapshot = || async {
            let a = s.get_contact(ws, a).await.unwrap().unwrap();
            let bb = s.get_contact(ws, bb).await.unwrap().unwrap();
            (format!("{a:?}"), format!("{bb:?}"))
        };
        let before = snapshot().await;

        // Bad merges are named and change nothing.
        assert!(matches!(
            s.merge_contacts(ws, a, a, Utc::now()).await,
            Err(StoreError::Invalid(_))
        ));
        assert!(matches!(
            s.merge_contacts(ws, a, ContactId(999_999), Utc::now())
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let merge = s.merge_contacts(ws, a, bb, Utc::now()).await.unwrap();
        assert_eq!((merge.into_id, merge.from_id), (a, bb));
        assert_eq!(merge.conversations, [mail_conv], "{}", b.name);
        let one = s.get_contact(ws, a).await.unwrap().unwrap();
        assert_eq!(
            one.identities.len(),
            2,
            "{}: one person, two identities",
            b.name
        );
        assert_eq!(
            (one.contact.tier.as_deref(), one.contact.opted_out),
            (Some("gold"), true),
            "{}: the survivor takes what it lacks and the opt-out",
            b.name
        );
        assert_eq!(contact_of(mail_conv).await, a);
        assert_eq!(
            s.consent_ledger(ws, a).await.unwrap().len(),
            1,
            "{}: the ledger moved",
            b.name
        );
        let gone = s.get_contact(ws, bb).await.unwrap().unwrap();
        assert_eq!(gone.contact.merged_into, Some(a));
        assert!(gone.identities.is_empty());
        let listed = s
            .list_contacts(
                ws,
                &earshot_core::store::ContactQuery {
                    after: None,
                    limit: 50,
                    search: None,
                },
            )
            .await
            .unwrap();
        assert!(listed.items.iter().all(|c| c.id != bb), "{}", b.name);
        assert!(matches!(
            s.merge_contacts(ws, a, bb, Utc::now()).await,
            Err(StoreError::Conflict(_))
        ));
        // While merged, Dana's email identity starts a new conversation (the first one was
        // resolved): it is the merged contact's, and goes back with the undo.
        change(s, ws, mail_conv, Some(ConversationStatus::Resolved), None)
            .await
            .unwrap();
        let later = s
            .ingest(
                ws,
                &[on(
                    ChannelKind::Email,
                    "m2@example.com",
                    "dana@example.com",
                    5,
                )],
            )
            .await
            .unwrap();
        let new_conv = stored(&later[0]).1;
        assert_ne!(new_conv, mail_conv);
        assert_eq!(contact_of(new_conv).await, a, "{}", b.name);

        let undone = s.undo_merge(ws, merge.id, Utc::now()).await.unwrap();
        assert!(undone.undone_at.is_some());
        assert_eq!(
            snapshot().await,
            before,
            "{}: both contacts exactly as before",
            b.name
        );
        assert_eq!(contact_of(mail_conv).await, bb);
        assert_eq!(contact_of(new_conv).await, bb);
        assert_eq!(
            s.consent_ledger(ws, bb).await.unwrap().len(),
            1,
            "{}: and back",
            b.name
        );
        assert!(s.consent_ledger(ws, a).await.unwrap().is_empty());
        assert_eq!(contact_of(wa_conv).await, a);
        assert!(matches!(
            s.undo_merge(ws, merge.id, Utc::now()).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.undo_merge(ws, 999_999, Utc::now()).await,
            Err(StoreError::NotFound { .. })
        ));
        let history = s.contact_merges(ws, bb).await.unwrap();
        assert_eq!(history.len(), 1);
        assert_eq!(history[0].id, merge.id);

        // Found by what an agent knows of them: an email, part of a number; `%` is literal.
        let find = |q: &str| {
            let q = earshot_core::store::ContactQuery {
                after: None,
                limit: 50,
                search: Some(q.to_string()),
            };
            async move {
                s.list_contacts(ws, &q)
                    .await
                    .unwrap()
                    .items
                    .into_iter()
                    .map(|c| c.id)
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(find("DANA@example").await, [bb], "{}", b.name);
        assert_eq!(find("5550001").await, [a], "{}", b.name);
        assert!(find("%").await.is_empty(), "{}", b.name);

        // The brand's own account answered: it is no customer, listed nowhere, merged never.
        let mut answer = on(ChannelKind::Whatsapp, "wamid.out", "acme-care", 6);
        answer.direction = Direction::Out;
        answer.in_reply_to = Some("wamid.1".into());
        s.ingest(ws, &[answer]).await.unwrap();
        let listed = s
            .list_contacts(
                ws,
                &earshot_core::store::ContactQuery {
                    after: None,
                    limit: 50,
                    search: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            listed.items.iter().map(|c| c.id).collect::<Vec<_>>(),
            [a, bb],
            "{}: customers only",
            b.name
        );
        let mut brand = None;
        for id in 1..=20 {
            if let Some(p) = s.get_contact(ws, ContactId(id)).await.unwrap() {
                if p.contact.brand {
                    brand = Some(p.contact.id);
                }
            }
        }
        let brand = brand.expect("the answering account's contact is marked as the brand's");
        assert!(matches!(
            s.merge_contacts(ws, a, brand, Utc::now()).await,
            Err(StoreError::Invalid(_))
        ));
        b.finish().await;
    }
}

#[tokio::test]
async fn attachments_are_kept_with_their_message() {
    use earshot_core::Attachment;
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let mut m = msg("wamid.photo", "dana", Direction::In, 0, None);
        m.attachments = vec![
            Attachment {
                kind: "image".into(),
                mime_type: Some("image/jpeg".into()),
                size: Some(48_213),
                media_id: Some("1234".into()),
                ..Default::default()
            },
            Attachment {
                kind: "location".into(),
                name: Some("Shop (52.1, 4.3)".into()),
                ..Default::default()
            },
        ];
        let plain = msg("plain", "dana", Direction::In, 1, None);
        let got = s.ingest(ws, &[m.clone(), plain]).await.unwrap();
        let stored_one = s
            .conversation_messages(ws, stored(&got[0]).1)
            .await
            .unwrap();
        assert_eq!(stored_one[0].attachments, m.attachments, "{}", b.name);
        let other = s
            .conversation_messages(ws, stored(&got[1]).1)
            .await
            .unwrap();
        assert!(other[0].attachments.is_empty(), "{}", b.name);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_web_chat_visitor_reads_their_messages_and_the_replies_released_to_them() {
    use earshot_core::connector::*;
    use earshot_core::workflow::{Delivery, NewOutbox};
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let chat = |id: &str, author: &str, direction: Direction, minutes: i64| {
            let mut m = msg(id, author, direction, minutes, None);
            m.channel = ChannelKind::WebChat;
            m.account = Some("site".into());
            m.visibility = Visibility::Private;
            m
        };
        let got = s
            .ingest(
                ws,
                &[
                    chat("v1:a", "visitor-one", Direction::In, 0),
                    chat("v2:a", "visitor-two", Direction::In, 1),
                    chat("v1:b", "visitor-one", Direction::In, 2),
                ],
            )
            .await
            .unwrap();
        let (first, conversation, _) = stored(&got[0]);
        let channel = s.list_channels(ws).await.unwrap()[0].id;
        let mut answer = chat("reply-1", "site", Direction::Out, 3);
        answer.in_reply_to = Some("v1:b".into());
        let (reply, in_conversation, _) = stored(&s.ingest(ws, &[answer]).await.unwrap()[0]);
        assert_eq!(in_conversation, conversation, "{}", b.name);
        let out = s
            .enqueue(
                ws,
                &[NewOutbox {
                    conversation_id: Some(conversation),
                    kind: "reply",
                    message_id: Some(reply),
                    payload: serde_json::json!({"text": "hi"}),
                }],
            )
            .await
            .unwrap()[0];
        let texts = |lines: Vec<ChatLine>| lines.into_iter().map(|l| l.id).collect::<Vec<_>>();
        let one = s
            .chat_transcript(ws, channel, "visitor-one", 0, 10)
            .await
            .unwrap();
        assert_eq!(one.len(), 2, "{}: a queued reply is not shown", b.name);
        assert_eq!(one[0].id, first.0);
        s.outbox_result(
            out,
            &Delivery::Sent {
                platform_id: Some("webchat-1".into()),
            },
            Utc::now(),
        )
        .await
        .unwrap();
        let one = s
            .chat_transcript(ws, channel, "visitor-one", 0, 10)
            .await
            .unwrap();
        assert_eq!(
            (
                one.len(),
                one[2].direction,
                one[2].platform_id.as_deref(),
                one[2].delivery
            ),
            (
                3,
                Direction::Out,
                Some("webchat-1"),
                Some(DeliveryState::Sent)
            ),
            "{}",
            b.name
        );
        // After a line: what came later, oldest first; with none given: the newest.
        assert_eq!(
            texts(
                s.chat_transcript(ws, channel, "visitor-one", first.0, 10)
                    .await
                    .unwrap()
            ),
            [one[1].id, one[2].id]
        );
        assert_eq!(
            texts(
                s.chat_transcript(ws, channel, "visitor-one", 0, 1)
                    .await
                    .unwrap()
            ),
            [one[2].id]
        );
        let two = s
            .chat_transcript(ws, channel, "visitor-two", 0, 10)
            .await
            .unwrap();
        assert_eq!(two.len(), 1, "{}: each visitor sees their own", b.name);
        assert!(s
            .chat_transcript(ws, channel, "nobody", 0, 10)
            .await
            .unwrap()
            .is_empty());
        b.finish().await;
    }
}

#[tokio::test]
async fn people_sign_in_with_sessions_that_expire() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let agent = s
            .create_agent(ws, &NewAgent::new("Ana", "ana@acme.test", None))
            .await
            .unwrap();
        let user = s
            .create_user(
                ws,
                " Ana@Acme.test ",
                "Ana",
                "agent",
                Some(agent.id),
                "hash",
            )
            .await
            .unwrap();
        assert_eq!(
            (user.email.as_str(), user.agent_id),
            ("ana@acme.test", Some(agent.id)),
            "{}",
            b.name
        );
        let (found, hash) = s.user_by_email("ANA@acme.test").await.unwrap().unwrap();
        assert_eq!((found, hash.as_str()), (user.clone(), "hash"));
        assert!(s.user_by_email("bob@acme.test").await.unwrap().is_none());
        let now = Utc::now();
        s.create_session(user.id, "h1", "csrf1", now + Duration::hours(1))
            .await
            .unwrap();
        assert_eq!(
            s.session("h1", now).await.unwrap(),
            Some((user.clone(), "csrf1".to_string()))
        );
        assert!(
            s.session("h1", now + Duration::hours(2))
                .await
                .unwrap()
                .is_none(),
            "expired"
        );
        assert!(s.session("nope", now).await.unwrap().is_none());
        s.delete_session("h1").await.unwrap();
        assert!(s.session("h1", now).await.unwrap().is_none());
        b.finish().await;
    }
}

#[tokio::test]
async fn the_inbox_and_the_dashboard_read_what_ingest_and_changes_wrote() {
    use earshot_core::enrichment::{Enrichment, IntentLabel};
    use earshot_core::priority::Priority;
    use earshot_core::store::Annotations;
    use earshot_core::workflow::{ConversationChange, NewEvent};
    let mood = |sentiment: &str, intents: &[&str], topics: Vec<TopicId>| {
        let mut e = Enrichment::default();
        e.sentiment.label = sentiment.into();
        e.intents = intents
            .iter()
            .map(|i| IntentLabel {
                name: i.to_string(),
                confidence: 0.9,
                because: Vec::new(),
            })
            .collect();
        Annotations {
            topics,
            enrichment: Some(e),
            priority: Some(Priority {
                score: 50,
                label: "high".into(),
                parts: Vec::new(),
            }),
            opened_by_agent: false,
        }
    };
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let other = s.ensure_workspace("globex").await.unwrap().id;
        let topic = s
            .create_topic(
                ws,
                &TopicDraft {
                    name: "Refunds".into(),
                    query: "refund".into(),
                    active: true,
                },
            )
            .await
            .unwrap();
        // Day 0: an angry customer, answered after 5 minutes; a happy one, waiting.
        // Day 1 (24 h later): the angry one again (now a question), on the same thread.
        let mut angry = msg("a1", "ann", Direction::In, 0, None);
        angry.text = "I want a refund now, this is the worst".into();
        let happy = msg("h1", "hal", Direction::In, 10, None);
        let answer = msg("a2", "brand", Direction::Out, 5, Some("a1"));
        let mut again = msg("a3", "ann", Direction::In, 24 * 60, Some("a2"));
        again.text = "any news on my refund?".into();
        let out = s
            .ingest_annotated(
                ws,
                &[angry, happy, answer],
                &[
                    mood("negative", &["complaint"], vec![topic.id]),
                    mood("positive", &["praise"], vec![]),
                    Annotations::default(),
                ],
            )
            .await
            .unwrap();
        let (_, ann_c, _) = stored(&out[0]);
        let (_, hal_c, _) = stored(&out[1]);
        s.ingest_annotated(
            ws,
            &[again],
            &[mood("neutral", &["question"], vec![topic.id])],
        )
        .await
        .unwrap();

        // The newest enriched customer message gives the conversation its mood.
        let details = s.inbox_details(ws, &[ann_c, hal_c]).await.unwrap();
        let ann = details.iter().find(|d| d.id == ann_c).unwrap();
        // The contact takes the handle as its name when the profile has none.
        assert_eq!(ann.customer.as_deref(), Some("h_ann"), "{}", b.name);
        assert_eq!(ann.first_words, "I want a refund now, this is the worst");
        assert_eq!(
            (ann.sentiment.as_deref(), ann.intents.clone()),
            (Some("neutral"), vec!["question".to_string()])
        );
        // Someone known only by their platform id (TWCS authors) is shown by it.
        let mut anon = msg("n1", "115712", Direction::In, 20, None);
        anon.author.handle = None;
        let (_, anon_c, _) = stored(&s.ingest(ws, &[anon]).await.unwrap()[0]);
        let anon = s.inbox_details(ws, &[anon_c]).await.unwrap();
        assert_eq!(anon[0].customer.as_deref(), Some("@115712"), "{}", b.name);
        assert!(
            s.inbox_details(other, &[ann_c]).await.unwrap().is_empty(),
            "another workspace's conversations are left out"
        );
        let ids = |q: ConversationQuery| async move {
            s.list_conversations(ws, &ConversationQuery { limit: 50, ..q })
                .await
                .unwrap()
                .items
                .iter()
                .map(|c| c.id)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            ids(ConversationQuery {
                sentiment: Some("positive".into()),
                ..Default::default()
            })
            .await,
            vec![hal_c]
        );
        assert_eq!(
            ids(ConversationQuery {
                intent: Some("question".into()),
                ..Default::default()
            })
            .await,
            vec![ann_c]
        );
        assert_eq!(
            ids(ConversationQuery {
                topic: Some(topic.id),
                ..Default::default()
            })
            .await,
            vec![ann_c]
        );
        let hal = s.get_conversation(ws, hal_c).await.unwrap().unwrap();
        assert_eq!(
            ids(ConversationQuery {
                contact: Some(hal.contact_id),
                ..Default::default()
            })
            .await,
            vec![hal_c]
        );
        let team = s.create_team(ws, "Care").await.unwrap();
        s.change_conversation(
            ws,
            hal_c,
            &ConversationChange {
                team: Some(Some(team.id)),
                add_tags: vec!["vip".into()],
                ..Default::default()
            },
            earshot_core::rules::Actor::System,
            &[
                NewEvent::new("sla_answered", serde_json::json!({"met": true})),
                NewEvent::new("sla_breach", serde_json::json!({"target": "response"})),
            ],
        )
        .await
        .unwrap();
        for q in [
            ConversationQuery {
                tag: Some("vip".into()),
                ..Default::default()
            },
            ConversationQuery {
                team: Some(team.id),
                ..Default::default()
            },
        ] {
            assert_eq!(ids(q).await, vec![hal_c]);
        }

        // The dashboard's counts over both days, and over day 0 only.
        let day0 = earshot_core::report::day_of(at(0));
        let c = s
            .dashboard_counts(ws, at(-60), at(2 * 24 * 60))
            .await
            .unwrap();
        let mut volume: Vec<_> = c
            .volume
            .iter()
            .map(|v| (v.day - day0, v.sentiment.as_str(), v.conversations))
            .collect();
        volume.sort();
        // The unenriched one counts as `unknown`.
        assert_eq!(
            volume,
            vec![(0, "neutral", 1), (0, "positive", 1), (0, "unknown", 1)],
            "{}",
            b.name
        );
        assert_eq!(c.first_response_minutes, vec![(5, 1)]);
        // SLA events count when they happened (now), not when the conversation began.
        assert_eq!((c.sla_met, c.sla_breaches), (0, 0));
        let around_now = s
            .dashboard_counts(
                ws,
                Utc::now() - Duration::hours(1),
                Utc::now() + Duration::hours(1),
            )
            .await
            .unwrap();
        assert_eq!(
            (
                around_now.sla_met,
                around_now.sla_missed,
                around_now.sla_breaches
            ),
            (1, 0, 1)
        );
        assert_eq!(c.topics, vec![(topic.id, 2)]);
        let mut backlog: Vec<_> = c
            .backlog
            .iter()
            .map(|r| (r.status.as_str(), r.team, r.conversations))
            .collect();
        backlog.sort();
        assert_eq!(
            backlog,
            vec![
                ("new", None, 1),
                ("new", Some(team.id), 1),
                ("open", None, 1)
            ]
        );
        let later = s
            .dashboard_counts(ws, at(12 * 60), at(2 * 24 * 60))
            .await
            .unwrap();
        assert!(later.volume.is_empty() && later.first_response_minutes.is_empty());
        assert_eq!(later.topics, vec![(topic.id, 1)]);
        assert!(s
            .dashboard_counts(other, at(-60), at(2 * 24 * 60))
            .await
            .unwrap()
            .volume
            .is_empty());
        assert_eq!(s.last_activity(ws).await.unwrap(), Some(at(20)));
        assert_eq!(s.last_activity(other).await.unwrap(), None);

        // Saved replies and the people of a workspace.
        let saved = s
            .create_saved_reply(ws, "Ask for a DM", "Could you DM us your order number?")
            .await
            .unwrap();
        assert!(matches!(
            s.create_saved_reply(ws, "Ask for a DM", "again").await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.create_saved_reply(ws, " ", "text").await,
            Err(StoreError::Invalid(_))
        ));
        assert_eq!(s.list_saved_replies(ws).await.unwrap(), vec![saved.clone()]);
        assert!(s.list_saved_replies(other).await.unwrap().is_empty());
        assert!(matches!(
            s.delete_saved_reply(other, saved.id).await,
            Err(StoreError::NotFound { .. })
        ));
        s.delete_saved_reply(ws, saved.id).await.unwrap();
        assert!(s.list_saved_replies(ws).await.unwrap().is_empty());
        let hash = earshot_core::auth::hash_password("a long password");
        s.create_user(ws, "ana@acme.test", "Ana", "admin", None, &hash)
            .await
            .unwrap();
        s.create_user(other, "gus@globex.test", "Gus", "agent", None, &hash)
            .await
            .unwrap();
        let people: Vec<_> = s
            .list_users(ws)
            .await
            .unwrap()
            .into_iter()
            .map(|u| u.email)
            .collect();
        assert_eq!(people, vec!["ana@acme.test"]);
        b.finish().await;
    }
}

/// A private message on `kind` from `author` named `name`.
fn private(
    kind: ChannelKind,
    id: &str,
    author: &str,
    name: &str,
    text: &str,
    minutes: i64,
) -> Inbound {
    let mut m = msg(id, author, Direction::In, minutes, None);
    m.channel = kind;
    m.visibility = Visibility::Private;
    m.author.display_name = Some(name.into());
    m.author.handle = None;
    m.text = text.into();
    m
}

const SIGNATURE: &str = "My parcel never came.\n--\nDana Scully\nMobile: +44 7700 900123";

#[tokio::test]
async fn an_email_signature_and_a_whatsapp_number_make_one_person_in_either_order() {
    for b in backends().await {
        let s = &b.store;
        let contact_of =
            |ws, c| async move { s.get_conversation(ws, c).await.unwrap().unwrap().contact_id };

        // Email first, WhatsApp later: the new WhatsApp contact joins the email one.
        let ws = s.ensure_workspace("email-first").await.unwrap().id;
        let mail = private(
            ChannelKind::Email,
            "m1@x",
            "dana@example.com",
            "Dana Scully",
            SIGNATURE,
            0,
        );
        let got = s.ingest(ws, &[mail]).await.unwrap();
        let (mail_msg, mail_conv, _) = stored(&got[0]);
        let dana = contact_of(ws, mail_conv).await;
        let profile = s.get_contact(ws, dana).await.unwrap().unwrap();
        let claimed: Vec<_> = profile
            .identifiers
            .iter()
            .map(|i| (i.kind.as_str(), i.value.as_str(), i.verified, i.message_id))
            .collect();
        assert_eq!(
            claimed,
            [
                ("email", "dana@example.com", true, None),
                ("phone", "447700900123", false, Some(mail_msg)),
            ],
            "{}: the address is the channel's, the number is Dana's own words",
            b.name
        );
        let wa = private(
            ChannelKind::Whatsapp,
            "wamid.1",
            "447700900123",
            "Dana",
            "any news?",
            5,
        );
        let got = s.ingest(ws, &[wa]).await.unwrap();
        let wa_conv = stored(&got[0]).1;
        assert_eq!(
            contact_of(ws, wa_conv).await,
            dana,
            "{}: one person",
            b.name
        );
        let profile = s.get_contact(ws, dana).await.unwrap().unwrap();
        assert_eq!(profile.identities.len(), 2, "{}", b.name);
        let merges = s.contact_merges(ws, dana).await.unwrap();
        assert_eq!(merges.len(), 1, "{}", b.name);
        let reason = merges[0].reason.as_deref().unwrap_or_default();
        assert!(
            reason.contains("+447700900123") && reason.contains("wrote it"),
            "{}: the link says why: {reason}",
            b.name
        );
        // Found by the number she wrote, typed the way people type it.
        let q = earshot_core::store::ContactQuery {
            after: None,
            limit: 10,
            search: Some("+44 7700 900123".into()),
        };
        let found: Vec<_> = s
            .list_contacts(ws, &q)
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|c| c.id)
            .collect();
        assert_eq!(found, [dana], "{}", b.name);
        // An agent who disagrees undoes it: two contacts again.
        s.undo_merge(ws, merges[0].id, Utc::now()).await.unwrap();
        assert_ne!(contact_of(ws, wa_conv).await, dana, "{}", b.name);
        // ...and it stays undone when she writes again with the same signature.
        let again = private(
            ChannelKind::Email,
            "m2@x",
            "dana@example.com",
            "Dana Scully",
            SIGNATURE,
            9,
        );
        s.ingest(ws, &[again]).await.unwrap();
        assert_ne!(
            contact_of(ws, wa_conv).await,
            dana,
            "{}: not joined again",
            b.name
        );
        assert_eq!(
            s.contact_merges(ws, dana).await.unwrap().len(),
            1,
            "{}",
            b.name
        );

        // WhatsApp first, the email with the signature later: the older contact stays.
        let ws = s.ensure_workspace("whatsapp-first").await.unwrap().id;
        let wa = private(
            ChannelKind::Whatsapp,
            "wamid.1",
            "447700900123",
            "Dana S.",
            "hello?",
            0,
        );
        let wa_conv = stored(&s.ingest(ws, &[wa]).await.unwrap()[0]).1;
        let first = contact_of(ws, wa_conv).await;
        let mail = private(
            ChannelKind::Email,
            "m1@x",
            "dana@example.com",
            "Dana Scully",
            SIGNATURE,
            5,
        );
        let mail_conv = stored(&s.ingest(ws, &[mail]).await.unwrap()[0]).1;
        assert_eq!(contact_of(ws, mail_conv).await, first, "{}", b.name);
        let merges = s.contact_merges(ws, first).await.unwrap();
        assert_eq!((merges.len(), merges[0].into_id), (1, first), "{}", b.name);
        assert!(merges[0]
            .reason
            .as_deref()
            .unwrap_or_default()
            .contains("wrote it"));
        b.finish().await;
    }
}

#[tokio::test]
async fn identifier_links_never_join_across_a_conflict_a_different_name_or_an_ambiguity() {
    for b in backends().await {
        let s = &b.store;
        let contact_of =
            |ws, c| async move { s.get_conversation(ws, c).await.unwrap().unwrap().contact_id };
        let conv = |got: Vec<IngestOutcome>| stored(&got[0]).1;

        // Alice writes her husband's number; his WhatsApp is Bob's, not Alice's.
        let ws = s.ensure_workspace("names").await.unwrap().id;
        let alice = private(
            ChannelKind::Email,
            "m1@x",
            "alice@example.com",
            "Alice Smith",
            "Call my husband on +44 7700 900999",
            0,
        );
        let a = contact_of(ws, conv(s.ingest(ws, &[alice]).await.unwrap())).await;
        let bob = private(
            ChannelKind::Whatsapp,
            "wamid.1",
            "447700900999",
            "Bob Smith",
            "hi",
            5,
        );
        let bb = contact_of(ws, conv(s.ingest(ws, &[bob]).await.unwrap())).await;
        assert_ne!(a, bb, "{}: first names disagree", b.name);

        // Two different verified emails: the WhatsApp account says robert@work, the email
        // identity is bob@home. Perhaps one person, perhaps not: a person decides.
        let ws = s.ensure_workspace("conflict").await.unwrap().id;
        let mut wa = private(
            ChannelKind::Whatsapp,
            "wamid.1",
            "447700900555",
            "Bob",
            "hi",
            0,
        );
        wa.author.email = Some("robert@work.example".into());
        let w = contact_of(ws, conv(s.ingest(ws, &[wa]).await.unwrap())).await;
        let mail = private(
            ChannelKind::Email,
            "m1@x",
            "bob@home.example",
            "Bob",
            "my number is +44 7700 900555",
            5,
        );
        let m = contact_of(ws, conv(s.ingest(ws, &[mail]).await.unwrap())).await;
        assert_ne!(w, m, "{}: two emails, no automatic join", b.name);

        // Two people claim one number: the WhatsApp account joins neither.
        let ws = s.ensure_workspace("ambiguous").await.unwrap().id;
        let one = private(
            ChannelKind::Email,
            "m1@x",
            "dana@a.example",
            "Dana",
            "+44 7700 900777",
            0,
        );
        let two = private(
            ChannelKind::Email,
            "m2@x",
            "dana@b.example",
            "Dana",
            "+44 7700 900777",
            1,
        );
        s.ingest(ws, &[one, two]).await.unwrap();
        let wa = private(
            ChannelKind::Whatsapp,
            "wamid.1",
            "447700900777",
            "Dana",
            "hi",
            5,
        );
        let w = contact_of(ws, conv(s.ingest(ws, &[wa]).await.unwrap())).await;
        assert!(
            s.contact_merges(ws, w).await.unwrap().is_empty(),
            "{}",
            b.name
        );

        // An anonymous web chat visitor claims nothing by typing an address.
        let ws = s.ensure_workspace("webchat").await.unwrap().id;
        let mail = private(
            ChannelKind::Email,
            "m1@x",
            "dana@example.com",
            "Dana",
            "hello",
            0,
        );
        let d = contact_of(ws, conv(s.ingest(ws, &[mail]).await.unwrap())).await;
        let chat = private(
            ChannelKind::WebChat,
            "v1:1",
            "visitor-1",
            "Dana",
            "I am dana@example.com",
            5,
        );
        let v = contact_of(ws, conv(s.ingest(ws, &[chat]).await.unwrap())).await;
        assert_ne!(d, v, "{}", b.name);

        // The same verified address, given as a platform's profile field: one person, whatever
        // the names say.
        let mut api = private(
            ChannelKind::Api,
            "crm-1",
            "crm:881",
            "D. K. Scully",
            "hi",
            6,
        );
        api.author.email = Some("Dana@Example.com".into());
        let c = contact_of(ws, conv(s.ingest(ws, &[api]).await.unwrap())).await;
        assert_eq!(c, d, "{}", b.name);
        let merges = s.contact_merges(ws, d).await.unwrap();
        assert!(merges[0]
            .reason
            .as_deref()
            .unwrap()
            .contains("verified on both"));
        b.finish().await;
    }
}

#[tokio::test]
async fn match_candidates_share_a_blocking_key_and_rejections_are_remembered() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let contact_of =
            |c| async move { s.get_conversation(ws, c).await.unwrap().unwrap().contact_id };
        let mail = private(
            ChannelKind::Email,
            "m1@x",
            "dana.scully@example.com",
            "Dana Scully",
            "Where is my parcel?",
            0,
        );
        let mut tweet = msg("1850000000000000001", "99001", Direction::In, 60, None);
        tweet.author.handle = Some("danascully".into());
        tweet.author.display_name = Some("Dana Scully".into());
        let other = private(
            ChannelKind::Email,
            "m2@x",
            "jo@example.com",
            "Jo Bloggs",
            "hi",
            0,
        );
        let got = s.ingest(ws, &[mail, tweet, other]).await.unwrap();
        let dana = contact_of(stored(&got[0]).1).await;
        let on_x = contact_of(stored(&got[1]).1).await;
        let jo = contact_of(stored(&got[2]).1).await;
        let found = s.match_candidates(ws, on_x, 100, 50).await.unwrap();
        assert_eq!(found, [dana], "{}: a shared name, not Jo", b.name);
        // A key that more identities share than the cap proposes nobody.
        assert!(s
            .match_candidates(ws, on_x, 0, 50)
            .await
            .unwrap()
            .is_empty());

        let records = s.person_records(ws, &[on_x, dana, jo]).await.unwrap();
        assert_eq!(
            records.iter().map(|r| r.id).collect::<Vec<_>>(),
            [on_x.0, dana.0, jo.0],
            "{}: in the order asked",
            b.name
        );
        assert_eq!(records[0].handles, ["danascully"]);
        assert_eq!(records[1].names, ["Dana Scully"]);
        assert_eq!(records[1].emails, ["dana.scully@example.com"]);
        assert_eq!(
            records[0].hours[13], 1,
            "{}: the tweet at 13:00 UTC",
            b.name
        );
        assert_eq!(records[1].hours.iter().sum::<u32>(), 1);

        s.reject_match(ws, on_x, dana, Utc::now()).await.unwrap();
        s.reject_match(ws, dana, on_x, Utc::now()).await.unwrap();
        assert!(s
            .match_candidates(ws, on_x, 100, 50)
            .await
            .unwrap()
            .is_empty());
        assert!(s
            .match_candidates(ws, dana, 100, 50)
            .await
            .unwrap()
            .is_empty());
        b.finish().await;
    }
}

#[tokio::test]
async fn an_erased_customer_leaves_no_trace_and_does_not_come_back() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let marker = format!("zq{}xv", rand::random::<u32>());
        let contact_of =
            |c| async move { s.get_conversation(ws, c).await.unwrap().unwrap().contact_id };
        // Dana writes by email (with her number) and on WhatsApp: one contact, two identities;
        // an earlier duplicate contact of hers was merged in by hand.
        let mail = private(
            ChannelKind::Email,
            "m1@x",
            "dana@example.com",
            &format!("Dana {marker}"),
            &format!("My parcel {marker} never came.\n--\nDana\n+44 7700 900123"),
            0,
        );
        let wa = private(
            ChannelKind::Whatsapp,
            "wamid.1",
            "447700900123",
            "Dana",
            &format!("still waiting {marker}"),
            5,
        );
        let mut old = private(
            ChannelKind::X,
            "1850000000000000009",
            "99001",
            "Dana",
            "hello",
            1,
        );
        old.visibility = Visibility::Public;
        old.author.handle = Some(format!("dana_{marker}"));
        let jo = private(
            ChannelKind::Email,
            "m2@x",
            "jo@example.com",
            "Jo",
            "where is my order?",
            2,
        );
        // Max answers her public post: the thread is his too.
        let mut max = msg(
            "1850000000000000010",
            "77002",
            Direction::In,
            3,
            Some("1850000000000000009"),
        );
        max.text = "same problem here".into();
        let batch = vec![mail, wa, old, jo, max];
        let got = s.ingest(ws, &batch).await.unwrap();
        let dana = contact_of(stored(&got[0]).1).await;
        assert_eq!(contact_of(stored(&got[1]).1).await, dana, "{}", b.name);
        let x = contact_of(stored(&got[2]).1).await;
        let jo = contact_of(stored(&got[3]).1).await;
        s.merge_contacts(ws, dana, x, Utc::now()).await.unwrap();
        // Her conversation has a reply, an event and a tag.
        let mut answer = msg("m3@x", "care@acme.example", Direction::Out, 9, Some("m1@x"));
        answer.channel = ChannelKind::Email;
        answer.visibility = Visibility::Private;
        answer.text = format!("Sorry about parcel {marker}");
        let answer_again = answer.clone();
        s.ingest(ws, &[answer]).await.unwrap();
        // A listening post of hers matched no topic: what it said is kept for agents.
        let mut heard = msg("1850000000000000011", "99001", Direction::In, 4, None);
        heard.source = ChannelRole::Listening;
        heard.text = format!("thinking about {marker} all day");
        assert_eq!(
            s.ingest(ws, &[heard]).await.unwrap()[0],
            IngestOutcome::Counted
        );
        let kept = earshot_core::store::HeardFilter {
            limit: 10,
            ..Default::default()
        };
        assert_eq!(
            s.heard_posts(ws, &kept).await.unwrap().len(),
            1,
            "{}",
            b.name
        );

        // Refused: the merged-away contact (erase the survivor), an unknown one.
        assert!(matches!(
            s.erase_contact(ws, x, "test", Utc::now()).await,
            Err(StoreError::Conflict(_))
        ));
        assert!(matches!(
            s.erase_contact(ws, ContactId(999_999), "test", Utc::now())
                .await,
            Err(StoreError::NotFound { .. })
        ));
        let erased = s
            .erase_contact(ws, dana, "admin@acme", Utc::now())
            .await
            .unwrap();
        assert!(
            s.heard_posts(ws, &kept).await.unwrap().is_empty(),
            "what she said while listening goes too: {}",
            b.name
        );
        assert_eq!(
            (
                erased.identities,
                erased.conversations,
                erased.merged_contacts
            ),
            (3, 2, 2),
            "{}: her email and WhatsApp conversations (not the thread Max wrote in), and the contact her number joined and the one merged by hand: {erased:?}",
            b.name
        );
        assert_eq!(
            erased.messages, 4,
            "{}: her three and the brand's answer",
            b.name
        );
        assert!(s.get_contact(ws, dana).await.unwrap().is_none());
        assert!(s.get_contact(ws, x).await.unwrap().is_none());
        assert!(s
            .get_conversation(ws, stored(&got[0]).1)
            .await
            .unwrap()
            .is_none());
        // The thread stays, Max's now, without her post.
        let thread = s
            .get_conversation(ws, stored(&got[2]).1)
            .await
            .unwrap()
            .unwrap();
        assert_ne!(thread.contact_id, dana);
        assert_eq!(
            (
                thread.message_count,
                thread.first_message_at,
                thread.waiting_since
            ),
            (1, at(3), Some(at(3))),
            "{}: its figures are worked out again without her post",
            b.name
        );
        let left = s.conversation_messages(ws, thread.id).await.unwrap();
        assert_eq!(
            left.iter().map(|m| m.text.as_str()).collect::<Vec<_>>(),
            ["same problem here"],
            "{}",
            b.name
        );
        // Jo is untouched.
        assert_eq!(
            s.get_contact(ws, jo)
                .await
                .unwrap()
                .unwrap()
                .identities
                .len(),
            1
        );
        let log = s.privacy_log(ws, 10).await.unwrap();
        assert_eq!(
            (log[0].action.as_str(), log[0].actor.as_str()),
            ("erase", "admin@acme")
        );
        assert!(!log[0].detail.to_string().contains(&marker));

        // The marker is nowhere in the database's files or dump.
        match b.name {
            "sqlite" => {
                let dir = b._dir.as_ref().unwrap().path();
                for file in ["conformance.db", "conformance.db-wal"] {
                    let bytes = std::fs::read(dir.join(file)).unwrap_or_default();
                    assert!(
                        !bytes.windows(marker.len()).any(|w| w == marker.as_bytes()),
                        "sqlite: the marker survives in {file}"
                    );
                }
            }
            _ => {
                let (admin, db) = b.pg_cleanup.as_ref().unwrap();
                let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
                let dump = std::process::Command::new("pg_dump")
                    .arg("--data-only")
                    .arg(format!("{base}/{db}"))
                    .output()
                    .expect("pg_dump runs (PostgreSQL's client tools)");
                assert!(
                    dump.status.success(),
                    "{}",
                    String::from_utf8_lossy(&dump.stderr)
                );
                let text = String::from_utf8_lossy(&dump.stdout);
                assert!(text.contains("jo@example.com"), "the dump holds the data");
                assert!(
                    !text.contains(&marker),
                    "postgres: the marker survives in a dump"
                );
            }
        }

        // A re-import or a platform's re-delivery stores nothing of her — nor the brand's
        // answer to her, nor a brand answer to her post that was never stored; Jo's resend
        // is a duplicate as before.
        let mut batch = batch;
        batch.push(answer_again);
        let mut late = msg(
            "m4@x",
            "care@acme.example",
            Direction::Out,
            10,
            Some("m1@x"),
        );
        late.channel = ChannelKind::Email;
        late.visibility = Visibility::Private;
        late.text = format!("Following up on parcel {marker}");
        batch.push(late);
        let again = s.ingest(ws, &batch).await.unwrap();
        assert_eq!(
            again
                .iter()
                .filter(|o| matches!(o, IngestOutcome::Erased))
                .count(),
            5,
            "{}: {again:?}",
            b.name
        );
        assert!(matches!(again[3], IngestOutcome::Duplicate { .. }));
        assert!(matches!(again[4], IngestOutcome::Duplicate { .. }));
        // A new listening post of hers that matches no topic: erased, not kept for agents.
        let mut heard_again = msg("1850000000000000012", "99001", Direction::In, 12, None);
        heard_again.source = ChannelRole::Listening;
        heard_again.text = format!("still thinking about {marker}");
        assert_eq!(
            s.ingest(ws, &[heard_again]).await.unwrap()[0],
            IngestOutcome::Erased,
            "{}",
            b.name
        );
        assert!(s.heard_posts(ws, &kept).await.unwrap().is_empty());
        // Jo's mail from the brand still arrives.
        let mut to_jo = msg(
            "m5@x",
            "care@acme.example",
            Direction::Out,
            11,
            Some("m2@x"),
        );
        to_jo.channel = ChannelKind::Email;
        to_jo.visibility = Visibility::Private;
        assert!(matches!(
            s.ingest(ws, &[to_jo]).await.unwrap()[0],
            IngestOutcome::Stored { .. }
        ));
        b.finish().await;
    }
}

#[tokio::test]
async fn fitted_matcher_parameters_are_kept_per_workspace_and_replaced_by_the_next_fit() {
    for b in backends().await {
        let s = &b.store;
        let acme = s.ensure_workspace("acme").await.unwrap().id;
        let globex = s.ensure_workspace("globex").await.unwrap().id;
        assert!(s.match_parameters(acme, None).await.unwrap().is_none());
        s.save_match_parameters(acme, r#"{"prior":0.01}"#, 1200, at(0))
            .await
            .unwrap();
        s.save_match_parameters(acme, r#"{"prior":0.02}"#, 1500, at(5))
            .await
            .unwrap();
        let (json, records, when) = s.match_parameters(acme, None).await.unwrap().unwrap();
        assert_eq!(
            (json.as_deref(), records, when),
            (Some(r#"{"prior":0.02}"#), 1500, at(5)),
            "{}",
            b.name
        );
        // A caller that holds this fit is not sent its JSON again; an older one is.
        let (json, ..) = s
            .match_parameters(acme, Some(at(5)))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(json, None, "{}", b.name);
        let (json, ..) = s
            .match_parameters(acme, Some(at(0)))
            .await
            .unwrap()
            .unwrap();
        assert!(json.is_some(), "{}", b.name);
        assert!(
            s.match_parameters(globex, None).await.unwrap().is_none(),
            "{}",
            b.name
        );
        b.finish().await;
    }
}

#[tokio::test]
async fn retention_deletes_old_messages_in_batches_and_a_channel_policy_overrides() {
    for b in backends().await {
        let s = &b.store;
        let acme = s.ensure_workspace("acme").await.unwrap().id;
        let globex = s.ensure_workspace("globex").await.unwrap().id;
        let old1 = msg("1", "dana", Direction::In, 0, None);
        let old2 = msg("2", "brand", Direction::Out, 10, Some("1"));
        let mut recent = msg("3", "dana", Direction::In, 0, None);
        recent.created_at = Utc::now() - Duration::days(2);
        let mail = private(
            ChannelKind::Email,
            "m1@x",
            "jo@example.com",
            "Jo",
            "old mail",
            0,
        );
        let got = s
            .ingest(acme, &[old1.clone(), old2, recent, mail])
            .await
            .unwrap();
        s.ingest(globex, &[old1]).await.unwrap();
        let (old_conv, recent_conv, mail_conv) =
            (stored(&got[0]).1, stored(&got[2]).1, stored(&got[3]).1);
        s.set_retention(acme, None, Some(30)).await.unwrap();
        let email = s
            .list_channels(acme)
            .await
            .unwrap()
            .into_iter()
            .find(|c| c.kind == ChannelKind::Email)
            .unwrap()
            .id;
        s.set_retention(acme, Some(email), Some(36_500))
            .await
            .unwrap();
        assert_eq!(s.retention_policies(acme).await.unwrap().len(), 2);

        let first = s.apply_retention(Utc::now(), 1).await.unwrap();
        assert_eq!((first.messages, first.more), (1, true), "{}", b.name);
        let rest = s.apply_retention(Utc::now(), 100).await.unwrap();
        assert_eq!(
            (rest.messages, rest.conversations, rest.more),
            (1, 1, false),
            "{}",
            b.name
        );
        assert!(
            s.get_conversation(acme, old_conv).await.unwrap().is_none(),
            "{}",
            b.name
        );
        assert!(s
            .get_conversation(acme, recent_conv)
            .await
            .unwrap()
            .is_some());
        assert!(
            s.get_conversation(acme, mail_conv).await.unwrap().is_some(),
            "the email channel keeps 100 years"
        );
        let nothing = s.apply_retention(Utc::now(), 100).await.unwrap();
        assert_eq!(nothing.messages, 0);
        // A workspace without a policy keeps everything.
        assert_eq!(
            s.list_conversations(globex, &Default::default())
                .await
                .unwrap()
                .items
                .len(),
            1
        );
        let log = s.privacy_log(acme, 10).await.unwrap();
        assert_eq!(log[0].action, "retention");
        assert_eq!(log[0].contact_id, None);
        // Removed, it deletes nothing more.
        s.set_retention(acme, None, None).await.unwrap();
        assert_eq!(s.retention_policies(acme).await.unwrap().len(), 1);
        b.finish().await;
    }
}

#[tokio::test]
async fn a_listening_post_sent_twice_in_one_batch_is_counted_not_a_crash() {
    for b in backends().await {
        let s = &b.store;
        let ws = s.ensure_workspace("acme").await.unwrap().id;
        let mut post = msg("990001", "someone", Direction::In, 0, None);
        post.source = ChannelRole::Listening;
        let got = s.ingest(ws, &[post.clone(), post]).await.unwrap();
        assert_eq!(
            got,
            [IngestOutcome::Counted, IngestOutcome::Counted],
            "{}",
            b.name
        );
        b.finish().await;
    }
}
