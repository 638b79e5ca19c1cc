//! Signing in to the web UI: pages need a session, a bad login is refused, the session cookie
//! is HttpOnly and SameSite, sign-out needs the CSRF token, the API still needs its token.

mod common;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use common::*;
use http_body_util::BodyExt;
use tower::ServiceExt;

struct Reply {
    status: StatusCode,
    location: Option<String>,
    cookie: Option<String>,
    body: String,
}

async fn send(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: Option<&str>,
    form: Option<&str>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(c) = cookie {
        request = request.header(header::COOKIE, c);
    }
    if form.is_some() {
        request = request.header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
    }
    let request = request
        .body(Body::from(form.unwrap_or("").to_string()))
        .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    let header_of = |name| {
        response
            .headers()
            .get(name)
            .map(|v: &header::HeaderValue| v.to_str().unwrap().to_string())
    };
    let (location, cookie) = (header_of(header::LOCATION), header_of(header::SET_COOKIE));
    let status = response.status();
    let body = String::from_utf8(
        response
            .into_body()
            .collect()
            .await
            .unwrap()
            .to_bytes()
            .to_vec(),
    )
    .unwrap();
    Reply {
        status,
        location,
        cookie,
        body,
    }
}

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
    let r = send(&app, Method::GET, "/", None, None).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    let r = send(&app, Method::GET, "/login", None, None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("<label for=\"email\">") && r.body.contains("<label for=\"password\">")
    );

    // Wrong password, unknown email: refused the same way, no cookie.
    for form in [
        "email=ana%40acme.test&password=wrong+password",
        "email=bob%40acme.test&password=a+long+password",
    ] {
        let r = send(&app, Method::POST, "/login", None, Some(form)).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("Wrong email or password."));
        assert!(r.cookie.is_none());
    }

    // Right (email case does not matter): a session cookie the page's scripts can't read.
    let r = send(
        &app,
        Method::POST,
        "/login",
        None,
        Some("email=ANA%40acme.test&password=a+long+password"),
    )
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
    let r = send(&app, Method::GET, "/", Some(&cookie), None).await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/inbox"))
    );
    let home = send(&app, Method::GET, "/inbox", Some(&cookie), None).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Signed in as <strong>Ana</strong>"));
    // The session does not open the API: that still takes a token.
    let api = send(
        &app,
        Method::GET,
        "/api/v1/conversations",
        Some(&cookie),
        None,
    )
    .await;
    assert_eq!(api.status, StatusCode::UNAUTHORIZED);

    // Signing out needs the page's CSRF token.
    let r = send(
        &app,
        Method::POST,
        "/logout",
        Some(&cookie),
        Some("csrf=forged"),
    )
    .await;
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
    let r = send(
        &app,
        Method::POST,
        "/logout",
        Some(&cookie),
        Some(&format!("csrf={csrf}")),
    )
    .await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    assert!(r.cookie.unwrap().contains("Max-Age=0"));
    // The old cookie is dead.
    let r = send(&app, Method::GET, "/", Some(&cookie), None).await;
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
    let (status, body) = app
        .json(
            Method::POST,
            "/api/v1/messages",
            serde_json::json!([calm, urgent]),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let urgent_id = body["results"][1]["conversation_id"].as_i64().unwrap();

    let ana = sign_in(&app, "ana@acme.test").await;
    let inbox = send(&app, Method::GET, "/inbox", Some(&ana), None).await;
    assert_eq!(inbox.status, StatusCode::OK);
    let (bea, carl) = (
        inbox.body.find("burnt_bea").unwrap(),
        inbox.body.find("calm_carl").unwrap(),
    );
    assert!(bea < carl, "the urgent one first");
    assert!(
        inbox.body.contains("left</td>"),
        "the SLA time left is shown"
    );
    assert!(inbox.body.contains("&lt;3"), "text is escaped");
    let page = send(
        &app,
        Method::GET,
        &format!("/c/{urgent_id}"),
        Some(&ana),
        None,
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("my charger caught fire"));
    let unassigned = send(
        &app,
        Method::GET,
        "/inbox?view=unassigned",
        Some(&ana),
        None,
    )
    .await;
    assert!(unassigned.body.contains("burnt_bea"));

    // Another workspace's person sees none of it.
    let gus = sign_in(&app, "gus@globex.test").await;
    let theirs = send(&app, Method::GET, "/inbox", Some(&gus), None).await;
    assert!(!theirs.body.contains("burnt_bea"));
    let r = send(
        &app,
        Method::GET,
        &format!("/c/{urgent_id}"),
        Some(&gus),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Nobody signed in: to the login page.
    for path in ["/inbox", &format!("/c/{urgent_id}")] {
        let r = send(&app, Method::GET, path, None, None).await;
        assert_eq!(
            (r.status, r.location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/login")),
            "{path}"
        );
    }
}

async fn sign_in(app: &TestApp, email: &str) -> String {
    let form = format!(
        "email={}&password=a+long+password",
        email.replace('@', "%40")
    );
    let r = send(app, Method::POST, "/login", None, Some(&form)).await;
    r.cookie.unwrap().split(';').next().unwrap().to_string()
}
