//! Signing in to the web UI: pages need a session, a bad login is refused, the session cookie
//! is HttpOnly and SameSite, sign-out needs the CSRF token, the API still needs its token.

use crate::helpers::*;
use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use tower::ServiceExt;

#[tokio::test]
async fn sign_in_reach_the_ui_and_sign_out() {
    let app = spawn_app().await;
    let ws = app
        .state
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap();
    app.state
        .store
        .create_user(
            ws.id,
            "Ana@Acme.test",
            "Ana",
            "agent",
            None,
            &earshot_core::auth::hash_password("a long password"),
        )
        .await
        .unwrap();

    // No session: the UI sends you to the login page, which is labelled for screen readers.
    let r = app.home(None).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    let r = app.login_page().await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("<label for=\"email\">") && r.body.contains("<label for=\"password\">")
    );

    // Wrong password, unknown email: refused the same way, no cookie.
    for form in [
        "email=ana%40acme.test&password=wrong+password",
        "email=bob%40acme.test&password=a+long+password",
    ] {
        let r = app.log_in(form).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Wrong email or password."));
        assert!(r.cookie.is_none());
    }

    // Right (email case does not matter): a session cookie the page's scripts can't read.
    let r = app
        .log_in("email=ANA%40acme.test&password=a+long+password")
        .await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/"))
    );
    let set = r.cookie.unwrap();
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Lax"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap().to_string();
    let r = app.home(Some(&cookie)).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/inbox"))
    );
    let home = app.inbox(&cookie, "").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Signed in as <strong>Ana</strong>"));
    // The session does not open the API: that still takes a token.
    let api = app
        .browse(Method::GET, "/api/v1/conversations", Some(&cookie), None)
        .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);

    // Signing out needs the page's CSRF token.
    let r = app.log_out(&cookie, "csrf=forged").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let csrf = home
        .body
        .split("name=\"csrf\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = app.log_out(&cookie, &format!("csrf={csrf}")).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    assert!(r.cookie.unwrap().contains("Max-Age=0"));
    // The old cookie is dead.
    let r = app.home(Some(&cookie)).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
}

#[tokio::test]
async fn accounts_are_validated() {
    let app = spawn_app().await;
    let ws = app
        .state
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap();
    let hash = earshot_core::auth::hash_password("a long password");
    let s = &app.state.store;
    assert!(s
        .create_user(ws.id, "not-an-email", "X", "agent", None, &hash)
        .await
        .is_err());
    assert!(s
        .create_user(ws.id, "x@acme.test", "X", "owner", None, &hash)
        .await
        .is_err());
    assert!(s
        .create_user(
            ws.id,
            "x@acme.test",
            "X",
            "agent",
            Some(earshot_core::AgentId(99)),
            &hash
        )
        .await
        .is_err());
    s.create_user(ws.id, "x@acme.test", "X", "admin", None, &hash)
        .await
        .unwrap();
    assert!(matches!(
        s.create_user(ws.id, "X@acme.test", "Y", "agent", None, &hash)
            .await,
        Err(earshot_core::StoreError::Conflict(_))
    ));
}

#[tokio::test]
async fn the_inbox_lists_the_workspaces_conversations_most_urgent_first() {
    let app = spawn_app().await;
    let store = &app.state.store;
    let hash = earshot_core::auth::hash_password("a long password");
    let acme = store.workspace_by_name("acme").await.unwrap().unwrap();
    let globex = store.workspace_by_name("globex").await.unwrap().unwrap();
    store
        .create_user(acme.id, "ana@acme.test", "Ana", "agent", None, &hash)
        .await
        .unwrap();
    store
        .create_user(globex.id, "gus@globex.test", "Gus", "agent", None, &hash)
        .await
        .unwrap();
    let calm = serde_json::json!({"channel": "x", "external_id": "m1", "author": {"external_id": "u1", "handle": "calm_carl"},
        "text": "thanks for the quick help <3", "created_at": chrono::Utc::now().to_rfc3339()});
    let urgent = serde_json::json!({"channel": "x", "external_id": "m2", "author": {"external_id": "u2", "handle": "burnt_bea"},
        "text": "my charger caught fire and burned my hand, this is dangerous!!!", "created_at": chrono::Utc::now().to_rfc3339()});
    let (status, body) = app.post_messages(&serde_json::json!([calm, urgent])).await;
    assert!(status.is_success(), "{body}");
    let urgent_id = body["results"][1]["conversation_id"].as_i64().unwrap();

    let ana = app.sign_in("ana@acme.test").await;
    let inbox = app.inbox(&ana, "").await;
    assert_eq!(inbox.status, StatusCode::OK);
    let (bea, carl) = (
        inbox.body.find("burnt_bea").unwrap(),
        inbox.body.find("calm_carl").unwrap(),
    );
    assert!(bea < carl, "the urgent one first");
    assert!(
        inbox.body.contains("left</span>"),
        "the SLA time left is shown"
    );
    assert!(inbox.body.contains("&lt;3"), "text is escaped");
    let page = app.conversation_page(&ana, urgent_id).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("my charger caught fire"));
    let unassigned = app.inbox(&ana, "view=unassigned").await;
    assert!(unassigned.body.contains("burnt_bea"));

    // Another workspace's person sees none of it.
    let gus = app.sign_in("gus@globex.test").await;
    let theirs = app.inbox(&gus, "").await;
    assert!(!theirs.body.contains("burnt_bea"));
    let r = app.conversation_page(&gus, urgent_id).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nobody signed in: to the login page.
    for path in ["/inbox", &format!("/c/{urgent_id}")] {
        let r = app.browse(Method::GET, path, None, None).await;
        assert_eq!(
            (r.status, r.location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/login")),
            "{path}"
        );
    }
}

/// Acme's care team: team "Care", agents Ana (signs in, admin) and Ben, and Gus of globex.
struct Team {
    ana: earshot_core::Agent,
    ben: earshot_core::Agent,
    team: earshot_core::Team,
}

async fn care_team(app: &TestApp) -> Team {
    let s = &app.state.store;
    let hash = earshot_core::auth::hash_password("a long password");
    let acme = s.workspace_by_name("acme").await.unwrap().unwrap();
    let globex = s.workspace_by_name("globex").await.unwrap().unwrap();
    let team = s.create_team(acme.id, "Care").await.unwrap();
    let ana = s
        .create_agent(
            acme.id,
            &earshot_core::NewAgent::new("Ana", "ana@acme.test", Some(team.id)),
        )
        .await
        .unwrap();
    let ben = s
        .create_agent(
            acme.id,
            &earshot_core::NewAgent::new("Ben", "ben@acme.test", Some(team.id)),
        )
        .await
        .unwrap();
    s.create_user(
        acme.id,
        "ana@acme.test",
        "Ana",
        "admin",
        Some(ana.id),
        &hash,
    )
    .await
    .unwrap();
    s.create_user(
        acme.id,
        "ben@acme.test",
        "Ben",
        "agent",
        Some(ben.id),
        &hash,
    )
    .await
    .unwrap();
    s.create_user(globex.id, "gus@globex.test", "Gus", "admin", None, &hash)
        .await
        .unwrap();
    Team { ana, ben, team }
}

async fn post_message(app: &TestApp, id: &str, handle: &str, text: &str, minutes_ago: i64) -> i64 {
    let m = serde_json::json!({"channel": "x", "external_id": id,
        "author": {"external_id": format!("u-{handle}"), "handle": handle},
        "text": text, "created_at": (chrono::Utc::now() - chrono::Duration::minutes(minutes_ago)).to_rfc3339()});
    let (status, body) = app.post_messages(&serde_json::json!([m])).await;
    assert!(status.is_success(), "{body}");
    body["results"][0]["conversation_id"].as_i64().unwrap()
}

#[tokio::test]
async fn every_page_and_form_needs_a_session_and_the_api_a_token() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/inbox",
        "/inbox?fragment=rows",
        "/c/1",
        "/live",
        "/dashboard",
        "/dashboard?format=csv",
        "/settings",
        "/settings/people",
        "/settings/teams",
        "/settings/topics",
        "/settings/topics/check?query=a",
        "/settings/rules",
        "/settings/sla",
        "/settings/replies",
    ] {
        let r = app.browse(Method::GET, path, None, None).await;
        assert_eq!(
            (r.status, r.location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/login")),
            "{path}"
        );
    }
    for path in [
        "/c/1/reply",
        "/c/1/note",
        "/c/1/assign",
        "/c/1/status",
        "/c/1/snooze",
        "/c/1/tags",
        "/settings/people",
        "/settings/teams",
        "/settings/agents",
        "/settings/topics",
        "/settings/rules",
        "/settings/sla",
        "/settings/replies",
    ] {
        let r = app
            .browse(Method::POST, path, None, Some("csrf=x&text=hi"))
            .await;
        assert_eq!(
            (r.status, r.location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/login")),
            "{path}"
        );
    }
    for path in [
        "/api/v1/conversations",
        "/api/v1/contacts",
        "/api/v1/topics",
        "/api/v1/rules",
        "/api/v1/agents",
    ] {
        let r = app.browse(Method::GET, path, None, None).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{path}");
    }
}

#[tokio::test]
async fn an_agent_answers_hands_over_and_resolves_from_the_conversation_page() {
    let app = spawn_app().await;
    let team = care_team(&app).await;
    let id = post_message(
        &app,
        "m1",
        "jo_r",
        "my order never arrived and nobody answers, I want a refund",
        30,
    )
    .await;
    let ana = app.sign_in("ana@acme.test").await;
    let path = format!("/c/{id}");
    let page = app.conversation_page(&ana, id).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("my order never arrived"));
    assert!(
        page.body.contains("<summary>Why?</summary>"),
        "explanations on demand"
    );
    assert!(
        page.body.contains("@jo_r"),
        "the customer panel lists identities"
    );
    assert!(page.body.contains("left</span>"), "the SLA countdown");
    let csrf = csrf_of(&page.body);
    let last_seen = page
        .body
        .split("name=\"last_seen_message_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // A forged form changes nothing.
    let r = app
        .conversation_form(&ana, id, "reply", "csrf=forged&text=hello")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let store = &app.state.store;
    let ws = store.workspace_by_name("acme").await.unwrap().unwrap().id;
    let cid = earshot_core::ConversationId(id);
    assert_eq!(store.conversation_messages(ws, cid).await.unwrap().len(), 1);

    // Reply: stored on the conversation's channel, the SLA met, on the history.
    let r = app.conversation_form(&ana, id, "reply", &format!("csrf={csrf}&last_seen_message_id={last_seen}&text=So+sorry%21+Could+you+DM+us+the+order+number%3F")).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some(path.as_str()))
    );
    let page = app.conversation_page(&ana, id).await;
    assert!(page
        .body
        .contains("So sorry! Could you DM us the order number?"));
    assert!(
        page.body
            .contains("sla answered</strong> by Ana: within the SLA"),
        "{}",
        page.body
    );
    let c = store.get_conversation(ws, cid).await.unwrap().unwrap();
    assert!(c.first_response_at.is_some() && c.waiting_since.is_none());

    // Someone else answered since: the stale form is refused, the draft kept, nothing sent.
    let r = app
        .conversation_form(
            &ana,
            id,
            "reply",
            &format!("csrf={csrf}&last_seen_message_id={last_seen}&text=My+second+thought"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(
        r.body.contains("Someone answered this customer") && r.body.contains("My second thought")
    );
    assert_eq!(store.conversation_messages(ws, cid).await.unwrap().len(), 2);

    // Note, tags, assign to Ben, snooze, resolve.
    for (action, form) in [
        ("note", "text=Refund+approved+by+billing".to_string()),
        ("tags", "add=refund".to_string()),
        ("tags", "add=vip".to_string()),
        ("tags", "remove=vip".to_string()),
        ("assign", format!("agent_id={}&team_id=", team.ben.id)),
    ] {
        let r = app
            .conversation_form(&ana, id, action, &format!("csrf={csrf}&{form}"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "{action} {form}: {}",
            r.body
        );
    }
    let c = store.get_conversation(ws, cid).await.unwrap().unwrap();
    assert_eq!(
        (c.assignee_id, c.team_id),
        (Some(team.ben.id), Some(team.team.id))
    );
    assert_eq!(
        store.conversation_tags(ws, cid).await.unwrap(),
        vec!["refund"]
    );
    let page = app.conversation_page(&ana, id).await;
    assert!(page.body.contains("Refund approved by billing"));
    assert!(page.body.contains("assigned</strong> by Ana: to Ben"));
    let r = app
        .conversation_form(&ana, id, "snooze", &format!("csrf={csrf}&minutes=240"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let c = store.get_conversation(ws, cid).await.unwrap().unwrap();
    assert_eq!(c.status, earshot_core::ConversationStatus::Snoozed);
    let r = app
        .conversation_form(&ana, id, "status", &format!("csrf={csrf}&status=resolved"))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let c = store.get_conversation(ws, cid).await.unwrap().unwrap();
    assert_eq!(c.status, earshot_core::ConversationStatus::Resolved);
    // Nonsense is refused with the reason, on the page.
    for (action, form, says) in [
        (
            "status",
            "status=snoozed",
            "is not a status you can set here",
        ),
        ("snooze", "minutes=0", "Snooze for 1 minute to 90 days."),
        ("note", "text=+", "A note has 1 to 10,000 characters."),
        ("assign", "agent_id=999&team_id=", "does not exist"),
    ] {
        let r = app
            .conversation_form(&ana, id, action, &format!("csrf={csrf}&{form}"))
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{action}: {}",
            r.body
        );
        assert!(r.body.contains(says), "{action}: {}", r.body);
    }

    // Another workspace's person can neither see nor change it.
    let gus = app.sign_in("gus@globex.test").await;
    let theirs = app.conversation_page(&gus, id).await;
    assert_eq!(theirs.status, StatusCode::NOT_FOUND);
    let gus_page = app.inbox(&gus, "").await;
    let r = app
        .conversation_form(
            &gus,
            id,
            "status",
            &format!("csrf={}&status=open", csrf_of(&gus_page.body)),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let c = store.get_conversation(ws, cid).await.unwrap().unwrap();
    assert_eq!(c.status, earshot_core::ConversationStatus::Resolved);
}

#[tokio::test]
async fn a_messages_attachments_are_listed_under_it() {
    let app = spawn_app().await;
    care_team(&app).await;
    let m = serde_json::json!({"channel": "whatsapp", "external_id": "wamid.photo", "visibility": "private",
        "author": {"external_id": "15550001", "handle": "+15550001"},
        "text": "here is the broken box\n[image, image/jpeg, media 1234]",
        "created_at": chrono::Utc::now().to_rfc3339(),
        "attachments": [{"kind": "image", "mime_type": "image/jpeg", "size": 48213, "media_id": "1234"},
                        {"kind": "document", "name": "<b>receipt</b>.pdf", "url": "javascript:alert(1)"}]});
    let (status, body) = app.post_messages(&serde_json::json!([m])).await;
    assert!(status.is_success(), "{body}");
    let id = body["results"][0]["conversation_id"].as_i64().unwrap();
    let (_, full) = app.get_conversation(id).await;
    assert_eq!(full["messages"][0]["attachments"][0]["media_id"], "1234");
    let ana = app.sign_in("ana@acme.test").await;
    let page = app.conversation_page(&ana, id).await;
    assert!(
        page.body.contains("image/jpeg · 47 KB") && page.body.contains("media 1234"),
        "{}",
        page.body
    );
    assert!(page.body.contains("&lt;b&gt;receipt&lt;/b&gt;.pdf"));
    assert!(
        !page.body.contains("javascript:alert"),
        "only https links are offered"
    );
    // The customer deletes it on WhatsApp: the page says so and no longer shows it.
    let ws = app
        .state
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap()
        .id;
    let channel = earshot_core::ChannelId(full["messages"][0]["channel_id"].as_i64().unwrap());
    app.state
        .store
        .mark_deleted(
            ws,
            channel,
            &["wamid.photo".to_string()],
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let page = app.conversation_page(&ana, id).await;
    assert!(page.body.contains("The customer deleted this message"));
    assert!(!page.body.contains("here is the broken box"));
    // Too many, or a blank kind, is a clear error naming the field.
    let mut bad = m.clone();
    bad["external_id"] = "wamid.bad".into();
    bad["attachments"] = serde_json::json!([{"kind": " "}]);
    let (_, body) = app.post_messages(&serde_json::json!([bad])).await;
    assert!(body.to_string().contains("attachments[].kind"), "{body}");
}

#[tokio::test]
async fn an_agent_finds_the_same_customer_elsewhere_merges_and_undoes() {
    let app = spawn_app().await;
    care_team(&app).await;
    let post = |channel: &str, id: &str, author: &str, handle: &str| {
        serde_json::json!({"channel": channel, "external_id": id, "visibility": "private",
            "author": {"external_id": author, "handle": handle, "display_name": "Dana Ruiz"},
            "text": "Where is order A-1042?", "created_at": chrono::Utc::now().to_rfc3339()})
    };
    let (_, r) = app
        .post_messages(&serde_json::json!([
            post("whatsapp", "wamid.1", "15550001", "+15550001"),
            post(
                "email",
                "m1@example.com",
                "dana@example.com",
                "dana@example.com"
            )
        ]))
        .await;
    let id = r["results"][0]["conversation_id"].as_i64().unwrap();
    let ana = app.sign_in("ana@acme.test").await;
    let page = app.find_customer(&ana, id, "dana%40example").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("Merge into this customer"),
        "{}",
        page.body
    );
    let other = page
        .body
        .split("name=\"other_id\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let csrf = csrf_of(&page.body);
    let merged = app
        .conversation_form(&ana, id, "merge", &format!("csrf={csrf}&other_id={other}"))
        .await;
    assert_eq!(merged.status, StatusCode::SEE_OTHER, "{}", merged.body);
    let page = app.conversation_page(&ana, id).await;
    assert!(
        page.body.contains("@dana@example.com"),
        "both identities shown"
    );
    assert!(page.body.contains(&format!("Contact {other} merged in")));
    let undo = page
        .body
        .split("/merges/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let undone = app
        .conversation_form(
            &ana,
            id,
            &format!("merges/{undo}/undo"),
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(undone.status, StatusCode::SEE_OTHER);
    let page = app.conversation_page(&ana, id).await;
    assert!(
        !page.body.contains("@dana@example.com"),
        "the email identity went back"
    );
    assert!(page.body.contains("undone"));
    // Merging a customer into themselves is refused on the page, with the reason.
    let own = app
        .conversation_form(&ana, id, "merge", &format!("csrf={csrf}&other_id=1"))
        .await;
    assert_eq!(own.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", own.body);
    assert!(own.body.contains("itself"));
}

#[tokio::test]
async fn the_inbox_filters_by_view_sentiment_intent_tag_and_channel() {
    let app = spawn_app().await;
    let team = care_team(&app).await;
    let angry = post_message(
        &app,
        "m1",
        "angry_al",
        "this is the worst service ever, my order never arrived",
        20,
    )
    .await;
    let happy = post_message(
        &app,
        "m2",
        "happy_hu",
        "thank you so much, the new app is great!",
        10,
    )
    .await;
    let ana = app.sign_in("ana@acme.test").await;
    let page = app.inbox(&ana, "").await;
    let csrf = csrf_of(&page.body);
    assert!(page
        .body
        .contains("<span class=\"badge s-negative\">negative</span>"));
    app.conversation_form(&ana, angry, "tags", &format!("csrf={csrf}&add=escalate"))
        .await;
    app.conversation_form(
        &ana,
        happy,
        "assign",
        &format!(
            "csrf={csrf}&agent_id={}&team_id={}",
            team.ana.id, team.team.id
        ),
    )
    .await;
    let shows = |body: &str| (body.contains("angry_al"), body.contains("happy_hu"));
    for (query, expected) in [
        ("", (true, true)),
        ("sentiment=negative", (true, false)),
        ("sentiment=positive", (false, true)),
        ("intent=praise", (false, true)),
        ("tag=escalate", (true, false)),
        ("channel=email", (false, false)),
        ("channel=x", (true, true)),
        ("view=mine", (false, true)),
        ("view=unassigned", (true, false)),
        ("view=team", (false, true)),
        ("status=new&view=all", (true, true)),
        ("status=resolved", (false, false)),
    ] {
        let r = app.inbox(&ana, query).await;
        assert_eq!(r.status, StatusCode::OK, "{query}");
        assert_eq!(shows(&r.body), expected, "{query}");
    }
    // The live refresh gets the rows alone, filtered the same way.
    let rows = app.inbox(&ana, "sentiment=negative&fragment=rows").await;
    assert!(rows.body.starts_with("<tr data-id=") && !rows.body.contains("<html"));
    assert!(rows.body.contains("angry_al") && !rows.body.contains("happy_hu"));
    for bad in [
        "sentiment=furious",
        "intent=x",
        "view=everyone",
        "status=lost",
        "cursor=nope",
    ] {
        let r = app.inbox(&ana, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn the_live_stream_says_which_conversation_changed() {
    let app = spawn_app().await;
    care_team(&app).await;
    let ana = app.sign_in("ana@acme.test").await;
    let request = Request::builder()
        .uri("/live")
        .header(header::COOKIE, &ana)
        .body(Body::empty())
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "text/event-stream"
    );
    let mut body = response.into_body();
    // Another workspace's message says nothing to this stream; acme's does.
    let globex = app
        .state
        .store
        .workspace_by_name("globex")
        .await
        .unwrap()
        .unwrap();
    let other = earshot_core::Inbound::from_json(
        serde_json::json!({"channel": "x", "external_id": "g1", "author": {"external_id": "g"},
            "text": "globex customer", "created_at": chrono::Utc::now().to_rfc3339()}),
    )
    .unwrap();
    app.state
        .pipeline
        .ingest(globex.id, &[other])
        .await
        .unwrap();
    let id = post_message(&app, "live-1", "kai", "where is my parcel?", 0).await;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    while !seen.contains("event: changed") {
        let frame = tokio::time::timeout_at(deadline, body.frame())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .unwrap();
        if let Some(data) = frame.data_ref() {
            seen.push_str(&String::from_utf8_lossy(data));
        }
    }
    assert!(seen.contains(&format!("data: [{id}]")), "{seen}");
}

#[tokio::test]
async fn the_dashboard_counts_volume_response_times_and_the_backlog() {
    let app = spawn_app().await;
    let team = care_team(&app).await;
    // Three customers yesterday: answered after 4 and 90 minutes, one still waiting.
    let day = chrono::Utc::now().date_naive() - chrono::Duration::days(1);
    let at = |h: u32, m: u32| day.and_hms_opt(h, m, 0).unwrap().and_utc().to_rfc3339();
    let messages = serde_json::json!([
        {"channel": "x", "external_id": "a", "author": {"external_id": "c1"}, "text": "my refund is late, terrible", "created_at": at(9, 0)},
        {"channel": "x", "external_id": "a-r", "direction": "out", "author": {"external_id": "brand"}, "text": "On it!", "created_at": at(9, 4), "in_reply_to": "a"},
        {"channel": "email", "external_id": "b", "author": {"external_id": "c2"}, "text": "how do I reset my password?", "created_at": at(10, 0)},
        {"channel": "email", "external_id": "b-r", "direction": "out", "author": {"external_id": "brand"}, "text": "Here is how.", "created_at": at(11, 30), "in_reply_to": "b"},
        {"channel": "x", "external_id": "c", "author": {"external_id": "c3"}, "text": "love it, thanks!", "created_at": at(12, 0)}
    ]);
    let (status, body) = app.post_messages(&messages).await;
    assert!(status.is_success(), "{body}");
    let ana = app.sign_in("ana@acme.test").await;
    let ben = app.sign_in("ben@acme.test").await;
    let csrf = csrf_of(&app.inbox(&ana, "").await.body);
    let waiting = body["results"][4]["conversation_id"].as_i64().unwrap();
    app.conversation_form(
        &ana,
        waiting,
        "assign",
        &format!(
            "csrf={csrf}&agent_id={}&team_id={}",
            team.ben.id, team.team.id
        ),
    )
    .await;

    let d = day.format("%Y-%m-%d").to_string();
    let page = app.dashboard(&ben, &format!("from={d}&to={d}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("id=\"kpi-conversations\">3<"),
        "three conversations"
    );
    // Median of 4 and 90 minutes by nearest rank is 4; the 90th percentile 90.
    assert!(
        page.body.contains("id=\"kpi-median\">4 min<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("id=\"kpi-p90\">1 h 30 min<"));
    assert!(
        page.body.matches("role=\"img\"").count() >= 6,
        "charts, not tables"
    );
    let csv = app
        .dashboard(&ben, &format!("from={d}&to={d}&format=csv"))
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    let lines: Vec<&str> = csv.body.lines().collect();
    assert_eq!(lines[0], "metric,series,day,value");
    for line in [
        format!("conversations_by_channel,x,{d},2"),
        format!("conversations_by_channel,email,{d},1"),
        "first_response_minutes,median,,4".to_string(),
        "first_response_minutes,p90,,90".to_string(),
        "first_responses,under 15 min,,1".to_string(),
        "first_responses,1–4 h,,1".to_string(),
        "agent_open,Ben,,1".to_string(),
        "agent_open,Ana,,0".to_string(),
    ] {
        assert!(lines.contains(&line.as_str()), "{line} in\n{}", csv.body);
    }
    // The default range ends on the newest conversation's day and shows it.
    let default = app.dashboard(&ben, "").await;
    assert!(default.body.contains(&format!("value=\"{d}\"")));
    // Another workspace counts nothing of it; bad dates are refused with what is wrong.
    let gus = app.sign_in("gus@globex.test").await;
    let theirs = app.dashboard(&gus, &format!("from={d}&to={d}")).await;
    assert!(theirs.body.contains("id=\"kpi-conversations\">0<"));
    for (query, says) in [
        (
            "from=yesterday",
            "`from`: `yesterday` is not a date like 2026-11-30",
        ),
        (
            "from=2026-11-30&to=2026-11-01",
            "the range ends before it starts",
        ),
        (
            "from=2020-01-01&to=2026-01-01",
            "a range has at most 800 days",
        ),
    ] {
        let r = app.dashboard(&ben, query).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(r.body.contains(says), "{query}: {}", r.body);
    }
}

#[tokio::test]
async fn admins_manage_people_teams_topics_rules_policies_and_saved_replies() {
    let app = spawn_app().await;
    let team = care_team(&app).await;
    let ana = app.sign_in("ana@acme.test").await;
    let ben = app.sign_in("ben@acme.test").await;
    // Agents don't reach settings.
    let r = app.settings_page(&ben, "people").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let inbox = app.inbox(&ben, "").await;
    assert!(
        !inbox.body.contains("href=\"/settings\""),
        "no settings link for agents"
    );
    let r = app
        .settings_form(
            &ben,
            "replies",
            &format!("csrf={}&name=x&text=y", csrf_of(&inbox.body)),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let page = app.settings_page(&ana, "people").await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = csrf_of(&page.body);
    // A person added on the page signs in.
    let r = app
        .settings_form(
            &ana,
            "people",
            &format!(
                "csrf={csrf}&name=Cy&email=cy%40acme.test&role=agent&agent_id=&password=short"
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("a password has 10 to 256 characters"));
    let r = app.settings_form(&ana, "people", &format!("csrf={csrf}&name=Cy&email=cy%40acme.test&role=agent&agent_id={}&password=a+long+password", team.ben.id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    app.sign_in("cy@acme.test").await;
    let r = app.settings_form(&ana, "people", &format!("csrf={csrf}&name=Cy&email=cy%40acme.test&role=agent&agent_id=&password=a+long+password")).await;
    assert_eq!(
        r.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "the email is taken"
    );

    // Teams and agents.
    let r = app
        .settings_form(
            &ana,
            "teams",
            &format!("csrf={csrf}&name=Billing&strategy=round_robin"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The page holds a name to the API's bound (200 characters), whatever the browser sent.
    let r = app
        .settings_form(
            &ana,
            "teams",
            &format!("csrf={csrf}&name={}&strategy=round_robin", "b".repeat(201)),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("at most 200"), "{}", r.body);
    let r = app.settings_form(&ana, "agents", &format!("csrf={csrf}&name=Dee&email=dee%40acme.test&team_id={}&capacity=3&availability=away&languages=es%2C+en&channels=email&topics=", team.team.id)).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.settings_form(&ana, "agents", &format!("csrf={csrf}&name=Eve&email=eve%40acme.test&team_id=&capacity=3&availability=online&languages=&channels=pigeon&topics=")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("`pigeon` is not a channel"));
    let r = post_agent_update(&app, &ana, &csrf, team.ben.id.0).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let ws = app
        .state
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap()
        .id;
    let agents = app.state.store.list_agents(ws).await.unwrap();
    let dee = agents.iter().find(|a| a.name == "Dee").unwrap();
    assert_eq!(
        (dee.capacity, dee.skills.languages.clone()),
        (3, vec!["es".to_string(), "en".to_string()])
    );
    let ben_now = agents.iter().find(|a| a.id == team.ben.id).unwrap();
    assert_eq!(ben_now.capacity, 7);
    assert_eq!(
        ben_now.availability,
        earshot_core::assign::Availability::Offline
    );
    let teams = app.settings_page(&ana, "teams").await;
    assert!(teams.body.contains("Billing") && teams.body.contains("Dee"));

    // Topics: checked as you type (where and why), previewed, saved, and refused when bad.
    post_message(&app, "m1", "jo", "I need a refund for my order", 5).await;
    let check = app.check_topic(&ana, "refund+AND").await;
    let v: serde_json::Value = serde_json::from_str(&check.body).unwrap();
    assert_eq!(v["ok"], false);
    assert!(v["column"].as_u64().unwrap() >= 8, "{v}");
    let check = app.check_topic(&ana, "refund*").await;
    let v: serde_json::Value = serde_json::from_str(&check.body).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["matched"].as_u64()),
        (Some(true), Some(1)),
        "{v}"
    );
    assert!(v["samples"][0]["text"].as_str().unwrap().contains("refund"));
    let r = app
        .settings_form(
            &ana,
            "topics",
            &format!("csrf={csrf}&name=Refunds&query=%28refund"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("does not parse at column"));
    assert!(r.body.contains("(refund"), "the query is kept for fixing");
    let r = app
        .settings_form(
            &ana,
            "topics",
            &format!("csrf={csrf}&name=Refunds&query=refund*"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The listen stage uses it at once.
    let c = post_message(&app, "m2", "lu", "refunds take forever here", 0).await;
    let rows = app.inbox(&ana, "topic=1&fragment=rows").await;
    assert!(
        rows.body.contains(&format!("data-id=\"{c}\"")),
        "{}",
        rows.body
    );

    // Rules and policies: every problem named; good ones saved.
    let r = app
        .settings_form(
            &ana,
            "rules",
            &format!("csrf={csrf}&rule=%7B%22name%22%3A%22x%22%7D"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("trigger"), "{}", r.body);
    let rule = serde_json::json!({"name": "Tag refunds", "trigger": {"event": "message_received"},
        "conditions": {"all": [{"field": "message.text", "op": "contains", "value": "refund"}]},
        "actions": [{"type": "add_tag", "tag": "refund"}]});
    let r = app
        .settings_form(
            &ana,
            "rules",
            &format!("csrf={csrf}&rule={}", earshot_url(&rule.to_string())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let rules = app.state.store.list_rules(ws).await.unwrap();
    assert_eq!(rules.len(), 1);
    // Edited on its row: saved when valid, refused with the reason when not.
    let mut edited = rule.clone();
    edited["actions"][0]["tag"] = serde_json::json!("refunds");
    let row = format!("rules/{}", rules[0].id);
    let form = format!("csrf={csrf}&rule={}", earshot_url(&edited.to_string()));
    let r = app.settings_form(&ana, &row, &form).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let rules = app.state.store.list_rules(ws).await.unwrap();
    assert!(serde_json::to_string(&rules[0].rule)
        .unwrap()
        .contains("\"refunds\""));
    let form = format!("csrf={csrf}&rule=%7B%7D");
    let r = app.settings_form(&ana, &row, &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("was not saved"), "{}", r.body);
    let bad_policy = serde_json::json!({"name": "Mars", "first_response_minutes": 60,
        "calendar": {"time_zone": "Mars/Olympus", "week": {"mon": [["09:00", "17:00"]]}}});
    let r = app
        .settings_form(
            &ana,
            "sla",
            &format!(
                "csrf={csrf}&policy={}",
                earshot_url(&bad_policy.to_string())
            ),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Mars/Olympus"), "{}", r.body);
    let policy = serde_json::json!({"name": "Office hours", "first_response_minutes": 240,
        "calendar": {"time_zone": "Europe/Berlin", "week": {"mon": [["09:00", "17:00"]]}, "holidays": ["2026-12-25"]}});
    let r = app
        .settings_form(
            &ana,
            "sla",
            &format!("csrf={csrf}&policy={}", earshot_url(&policy.to_string())),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let sla = app.settings_page(&ana, "sla").await;
    assert!(sla.body.contains("Office hours") && sla.body.contains("Europe/Berlin"));

    // Saved replies show in every reply box of the workspace.
    let r = app
        .settings_form(
            &ana,
            "replies",
            &format!("csrf={csrf}&name=Ask+for+a+DM&text=Could+you+DM+us+your+order+number%3F"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.conversation_page(&ben, c).await;
    assert!(page
        .body
        .contains("<option value=\"Could you DM us your order number?\">Ask for a DM</option>"));
    // Forged settings forms change nothing.
    let r = app
        .settings_form(&ana, "replies", "csrf=forged&name=x&text=y")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.state.store.list_saved_replies(ws).await.unwrap().len(),
        1
    );
}

async fn post_agent_update(app: &TestApp, cookie: &str, csrf: &str, id: i64) -> Page {
    app.settings_form(
        cookie,
        &format!("agents/{id}"),
        &format!(
            "csrf={csrf}&team_id=&capacity=7&availability=offline&languages=en&channels=&topics="
        ),
    )
    .await
}

/// Form-encodes a value.
fn earshot_url(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// What a customer or an admin types is shown as text on every page, never run: a message
/// whose text, author name and handle are markup, a topic, a tag and an agent named like
/// that, on the inbox, the conversation, the dashboard and the settings pages.
#[tokio::test]
async fn markup_from_customers_and_settings_is_shown_as_text_on_every_page() {
    let app = spawn_app().await;
    let team = care_team(&app).await;
    let s = &app.state.store;
    let acme = s.workspace_by_name("acme").await.unwrap().unwrap();
    s.create_topic(
        acme.id,
        &earshot_core::TopicDraft {
            name: "<script>topic()</script>".into(),
            query: "refund".into(),
            active: true,
        },
    )
    .await
    .unwrap();
    app.state.pipeline.topics_changed(acme.id).await.unwrap();
    s.create_agent(
        acme.id,
        &earshot_core::NewAgent::new("<svg onload=agent()>", "svg@acme.test", Some(team.team.id)),
    )
    .await
    .unwrap();
    let m = serde_json::json!({"channel": "x", "external_id": "xss-1",
        "author": {"external_id": "u-xss", "handle": "\"><img src=x onerror=handle()>",
                   "display_name": "<b onmouseover=name()>Eve</b>"},
        "text": "<script>text()</script> I want a refund",
        "created_at": chrono::Utc::now().to_rfc3339()});
    let (status, body) = app.post_messages(&serde_json::json!([m])).await;
    assert!(status.is_success(), "{body}");
    let id = body["results"][0]["conversation_id"].as_i64().unwrap();
    let (status, body) = app
        .change_tags(id, serde_json::json!({"add": ["<i>tag()</i>"]}))
        .await;
    assert!(status.is_success(), "{body}");

    let cookie = app.sign_in("ana@acme.test").await;
    let pages = [
        "/inbox".to_string(),
        format!("/c/{id}"),
        "/dashboard".to_string(),
        "/settings/teams".to_string(),
        "/settings/topics".to_string(),
        "/settings/rules".to_string(),
    ];
    for page in &pages {
        let r = app.browse(Method::GET, page, Some(&cookie), None).await;
        assert_eq!(r.status, StatusCode::OK, "{page}");
        for raw in [
            "<script>text()",
            "<script>topic()",
            "<img src=x onerror",
            "<b onmouseover",
            "<svg onload",
            "<i>tag()",
        ] {
            assert!(!r.body.contains(raw), "{page} shows {raw} unescaped");
        }
    }
    let inbox = app.inbox(&cookie, "").await;
    assert!(
        inbox.body.contains("&lt;script&gt;text()"),
        "the text is shown"
    );
    let c = app.conversation_page(&cookie, id).await;
    for shown in [
        "&lt;script&gt;text()",
        "&lt;b onmouseover",
        "&lt;svg onload",
        "&lt;i&gt;tag()",
    ] {
        assert!(
            c.body.contains(shown),
            "the conversation page shows {shown}"
        );
    }
    let dashboard = app.dashboard(&cookie, "").await;
    assert!(
        dashboard.body.contains("&lt;script&gt;topic()"),
        "{}",
        dashboard.body
    );
}

/// An admin connects a channel on the Channels page (settings checked, secrets never shown
/// again), tests it, and agents see on the conversation page where each reply is: a reply on
/// an account with no connected channel says "not sent" and why.
#[tokio::test]
async fn admins_connect_channels_and_agents_see_where_each_reply_is() {
    let app = spawn_app().await;
    care_team(&app).await;
    let ana = app.sign_in("ana@acme.test").await;
    let page = app.settings_page(&ana, "channels").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Connect a channel"));
    let csrf = csrf_of(&page.body);
    let form = |kind: &str, settings: &str| {
        format!(
            "csrf={csrf}&kind={kind}&name=acme_bot&settings={}",
            earshot_url(settings)
        )
    };
    // Mistakes are named, and what was typed stays in the form.
    let r = app
        .settings_form(&ana, "channels", &form("telegram", "{\"bot_token\": 1}"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("settings.bot_token: must be a string")
            && r.body.contains("settings.secret_token: is required"),
        "{}",
        r.body
    );
    let r = app
        .settings_form(&ana, "channels", &form("telegram", "{oops"))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("not valid JSON") && r.body.contains("{oops"));
    // Connected: listed with its webhook URL, the token masked.
    let settings = r#"{"bot_token": "999:very-secret", "secret_token": "tg-s", "api_base": "http://127.0.0.1:9"}"#;
    let r = app
        .settings_form(&ana, "channels", &form("telegram", settings))
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.settings_page(&ana, "channels").await;
    assert!(page.body.contains("acme_bot") && page.body.contains("/webhooks/"));
    assert!(!page.body.contains("very-secret") && !page.body.contains("tg-s\""));
    // Test connection makes one call to the platform and says what came of it.
    let id = page
        .body
        .split("/settings/channels/")
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .settings_form(
            &ana,
            &format!("channels/{id}/test"),
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Test connection failed"), "{}", r.body);

    // The platform refuses the token: admins are told on every page until it is renewed.
    let ws = app
        .state
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap()
        .id;
    let channel = earshot_core::ChannelId(id.parse().unwrap());
    app.state
        .store
        .set_channel_status(
            ws,
            channel,
            earshot_core::connector::ChannelStatus::NeedsReauth,
            Some("401 Unauthorized"),
        )
        .await
        .unwrap();
    let inbox = app.inbox(&ana, "").await;
    assert!(
        inbox.body.contains("Replies are waiting: ")
            && inbox.body.contains("acme_bot needs a new token"),
        "{}",
        inbox.body
    );
    app.state
        .store
        .set_channel_status(
            ws,
            channel,
            earshot_core::connector::ChannelStatus::Active,
            None,
        )
        .await
        .unwrap();
    let inbox = app.inbox(&ana, "").await;
    assert!(!inbox.body.contains("Replies are waiting"));

    // A reply on an X account nobody connected: the page says it was not sent, and why.
    let conversation = post_message(&app, "t-1", "dana", "my parcel is lost", 5).await;
    let page = app.conversation_page(&ana, conversation).await;
    let reply = format!(
        "csrf={}&text=Looking+into+it&last_seen_message_id=0&force=on",
        csrf_of(&page.body)
    );
    let r = app
        .conversation_form(&ana, conversation, "reply", &reply)
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.conversation_page(&ana, conversation).await;
    assert!(page.body.contains("data-delivery=\"queued\""));
    let timers = earshot_engine::timers::Timers::new(
        app.state.store.clone(),
        app.state.pipeline.workflow.clone(),
        std::sync::Arc::new(earshot_engine::channels::ChannelSender::new(
            app.state.channels.clone(),
            earshot_engine::timers::Outbound::new(None),
        )),
    );
    timers.pass(chrono::Utc::now()).await.unwrap();
    let page = app.conversation_page(&ana, conversation).await;
    assert!(
        page.body.contains("data-delivery=\"not_sent\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("not connected to its platform"));
    // Disconnecting keeps the conversations.
    let r = app
        .settings_form(
            &ana,
            &format!("channels/{id}/delete"),
            &format!("csrf={csrf}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.settings_page(&ana, "channels").await;
    assert!(!page.body.contains("acme_bot"));
}

#[tokio::test]
async fn an_admin_erases_a_customer_from_the_conversation_page_after_typing_erase() {
    let app = spawn_app().await;
    care_team(&app).await;
    let id = post_message(&app, "m1", "dana", "please delete everything about me", 5).await;
    let ana = app.sign_in("ana@acme.test").await;
    let page = app.conversation_page(&ana, id).await;
    assert!(page.body.contains("Erase this customer"), "{}", page.body);
    let csrf = csrf_of(&page.body);
    let unconfirmed = app
        .conversation_form(&ana, id, "erase", &format!("csrf={csrf}&confirm=yes"))
        .await;
    assert_eq!(unconfirmed.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unconfirmed.body.contains("type ERASE"));
    assert_eq!(app.conversation_page(&ana, id).await.status, StatusCode::OK);
    let erased = app
        .conversation_form(&ana, id, "erase", &format!("csrf={csrf}&confirm=ERASE"))
        .await;
    assert_eq!(erased.status, StatusCode::SEE_OTHER, "{}", erased.body);
    assert_eq!(
        app.conversation_page(&ana, id).await.status,
        StatusCode::NOT_FOUND
    );
    let inbox = app.home(Some(&ana)).await;
    assert!(!inbox.body.contains("please delete everything"));
    let (_, log) = app.privacy_log().await;
    assert_eq!(log[0]["actor"], "ana@acme.test", "{log}");
}

#[tokio::test]
async fn the_customer_panel_shows_their_orders_and_the_order_they_name() {
    let app = spawn_app().await;
    care_team(&app).await;
    let m = serde_json::json!({"channel": "email", "external_id": "<m1@example.com>", "visibility": "private",
        "author": {"external_id": "dana@example.com", "display_name": "Dana Scully"},
        "text": "Hello, where is my order #1002? It was a gift.",
        "created_at": chrono::Utc::now().to_rfc3339()});
    let (status, body) = app.post_messages(&serde_json::json!([m])).await;
    assert!(status.is_success(), "{body}");
    let id = body["results"][0]["conversation_id"].as_i64().unwrap();
    let (status, r) = app
        .post_orders(serde_json::json!([
                {"id": "1001", "number": "#1001", "email": "dana@example.com", "placed_at": "2026-10-01",
                 "amount": "80.00", "currency": "GBP", "status": "fulfilled"},
                {"id": "1002", "number": "#1002", "email": "dana@example.com", "placed_at": "2026-11-28",
                 "amount": "45.50", "currency": "GBP", "items": [{"name": "Linen apron", "quantity": 1}]}
            ]))
        .await;
    assert_eq!(status, StatusCode::OK, "{r}");
    let ana = app.sign_in("ana@acme.test").await;
    let page = app.conversation_page(&ana, id).await;
    assert_eq!(page.status, StatusCode::OK);
    let b = &page.body;
    assert!(
        b.contains("Lifetime value: <strong>125.50 GBP</strong>"),
        "{b}"
    );
    assert!(b.contains("2 orders · 1 open"), "{b}");
    assert!(b.contains("Tier: repeat (from orders)"), "{b}");
    assert!(b.contains("Orders named here"), "{b}");
    let named = b.split("Orders named here").nth(1).unwrap();
    assert!(
        named.contains("Order #1002</strong> · 45.50 GBP · paid"),
        "{named}"
    );
    assert!(named.contains("Linen apron"), "{named}");
}

/// Guessing passwords is slowed: past five failures an account waits (1 s, then twice as
/// long after each further failure) before any password is checked, the right one included;
/// the page says when to try again and `Retry-After` says it to scripts. Another account is
/// not held, and a success after the wait starts the count over.
#[tokio::test]
async fn repeated_failed_sign_ins_make_the_account_wait() {
    let app = spawn_app().await;
    let ws = app
        .state
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap();
    let hash = earshot_core::auth::hash_password("a long password");
    for (email, name) in [("ana@acme.test", "Ana"), ("bob@acme.test", "Bob")] {
        app.state
            .store
            .create_user(ws.id, email, name, "agent", None, &hash)
            .await
            .unwrap();
    }
    let wrong = "email=ana%40acme.test&password=guess";
    let right = "email=ana%40acme.test&password=a+long+password";
    for n in 1..=6 {
        let r = app.log_in(wrong).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "failure {n} is checked");
    }
    let r = app.log_in(right).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.retry_after.as_deref(), Some("1"));
    assert!(
        r.body
            .contains("Too many failed sign-ins. Try again in a second."),
        "{}",
        r.body
    );
    assert!(r.cookie.is_none(), "no session while it waits");
    let r = app.log_in("email=bob%40acme.test&password=guess").await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "Bob is not held by Ana's count"
    );

    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let r = app.log_in(right).await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "after the wait, the right password works"
    );
    let r = app.log_in(wrong).await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "and the count started over"
    );
}

/// Every page forbids framing by other sites, type sniffing and scripts or styles from
/// anywhere but Earshot itself; a form posted from another site is refused before any handler
/// runs, while the same form from Earshot's own pages goes through.
#[tokio::test]
async fn pages_carry_their_security_headers_and_foreign_form_posts_are_refused() {
    let app = spawn_app().await;
    let response = app
        .router
        .clone()
        .oneshot(Request::get("/login").body(Body::empty()).unwrap())
        .await
        .unwrap();
    let h = response.headers();
    let csp = h[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h[header::X_FRAME_OPTIONS], "DENY");
    assert_eq!(h[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert_eq!(h[header::REFERRER_POLICY], "same-origin");

    let post = |origin: &'static str| {
        Request::post("/login")
            .header(header::HOST, "care.acme.test")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("email=ana%40acme.test&password=guess"))
            .unwrap()
    };
    let foreign = app
        .router
        .clone()
        .oneshot(post("https://evil.example"))
        .await
        .unwrap();
    assert_eq!(foreign.status(), StatusCode::FORBIDDEN);
    let own = app
        .router
        .clone()
        .oneshot(post("https://care.acme.test"))
        .await
        .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::UNAUTHORIZED,
        "checked as a sign-in (a wrong one)"
    );
}
