//! The web UI's accounts (issue 6, first part): sign in with email and password, a session
//! cookie (HttpOnly, SameSite=Lax; `Secure` when `EARSHOT_SECURE_COOKIES=1`, for HTTPS
//! deployments), a CSRF token on every form, sign out. Pages are rendered on the server; `/`
//! sends anyone without a session to `/login`. The inbox and the dashboard come next.

use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use earshot_core::auth::{generate_token, hash_token, verify_password, User};
use serde::Deserialize;

const COOKIE: &str = "earshot_session";
/// Sessions last a working week.
const SESSION_DAYS: i64 = 7;
/// Verified when the email is unknown, so a wrong email takes as long as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| earshot_core::auth::hash_password("not anyone's password"));

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/inbox", get(inbox))
        .route("/c/{id}", get(conversation_page))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{} · Earshot</title>\
         <style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}}\
         label{{display:block;margin-top:1rem}}input{{font:inherit;width:100%;padding:.4rem}}\
         button{{font:inherit;margin-top:1rem;padding:.4rem 1rem}}.error{{color:#a00}}</style>\
         </head><body>{body}</body></html>",
        escape(title)
    )
}

fn login_form(error: Option<&str>) -> String {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    page(
        "Sign in",
        &format!(
            "<main><h1>Sign in to Earshot</h1>{error}\
             <form method=\"post\" action=\"/login\">\
             <label for=\"email\">Email</label><input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>\
             <label for=\"password\">Password</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
             <button type=\"submit\">Sign in</button></form></main>"
        ),
    )
}

fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_string())
}

/// The signed-in person and the session's CSRF token.
pub async fn signed_in(state: &AppState, headers: &HeaderMap) -> Option<(User, String)> {
    let token = cookie_value(headers)?;
    state
        .store
        .session(&hash_token(&token), earshot_core::time::now())
        .await
        .ok()
        .flatten()
}

fn secure() -> &'static str {
    if std::env::var("EARSHOT_SECURE_COOKIES").is_ok_and(|v| v == "1") {
        "; Secure"
    } else {
        ""
    }
}

async fn home(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match signed_in(&state, &headers).await {
        Some(_) => Redirect::to("/inbox").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

/// The header of every signed-in page: who, and the sign-out form (with its CSRF token).
fn header_of(user: &User, csrf: &str) -> String {
    format!(
        "<header><nav aria-label=\"Main\"><a href=\"/inbox\">Inbox</a></nav>\
         <p>Signed in as <strong>{}</strong> ({}, {})</p>\
         <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
         <button type=\"submit\">Sign out</button></form></header>",
        escape(&user.name),
        escape(&user.email),
        escape(&user.role),
        escape(csrf)
    )
}

/// "3 h 20 min left", "breached 2 h ago", or "—".
fn sla_left(due: Option<earshot_core::time::Timestamp>) -> (String, bool) {
    let Some(due) = due else {
        return ("—".into(), false);
    };
    let left = due - earshot_core::time::now();
    let span = |d: chrono::Duration| {
        let m = d.num_minutes().abs();
        if m >= 60 * 24 {
            format!("{} d {} h", m / 1440, (m % 1440) / 60)
        } else if m >= 60 {
            format!("{} h {} min", m / 60, m % 60)
        } else {
            format!("{m} min")
        }
    };
    if left < chrono::Duration::zero() {
        (format!("breached {} ago", span(left)), true)
    } else {
        (format!("{} left", span(left)), false)
    }
}

#[derive(Debug, Deserialize, Default)]
struct InboxParams {
    /// `all` (default), `mine`, `unassigned`.
    #[serde(default)]
    view: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

/// The queue, in priority order (the API's inbox query), with the customer, the first words,
/// the priority and the SLA time left (breaches said in words and in red).
async fn inbox(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Query(params): axum::extract::Query<InboxParams>,
) -> Response {
    use earshot_core::store::{AssigneeFilter, ConversationQuery};
    let Some((user, csrf)) = signed_in(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let ws = user.workspace_id;
    let view = params.view.as_deref().unwrap_or("all");
    let assignee = match (view, user.agent_id) {
        ("mine", Some(a)) => Some(AssigneeFilter::Agent(a)),
        ("unassigned", _) => Some(AssigneeFilter::Unassigned),
        _ => None,
    };
    let status = params.status.as_deref().and_then(|s| s.parse().ok());
    let query = ConversationQuery {
        status,
        assignee,
        limit: 50,
        ..Default::default()
    };
    let page_of = match state.store.list_conversations(ws, &query).await {
        Ok(p) => p,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let mut rows = String::new();
    for c in &page_of.items {
        let customer = match state.store.get_contact(ws, c.contact_id).await {
            Ok(Some(p)) => p
                .contact
                .display_name
                .or_else(|| p.identities.iter().find_map(|i| i.handle.clone()))
                .unwrap_or_else(|| format!("contact {}", c.contact_id)),
            _ => format!("contact {}", c.contact_id),
        };
        let first = state
            .store
            .conversation_messages(ws, c.id)
            .await
            .ok()
            .and_then(|m| m.into_iter().next())
            .map(|m| m.text.chars().take(90).collect::<String>())
            .unwrap_or_default();
        let (sla, breached) = sla_left(c.sla_due_at);
        rows.push_str(&format!(
            "<tr><td>{}</td><td><a href=\"/c/{}\">{}</a></td><td>{}</td><td>{} ({})</td><td{}>{}</td><td>{}</td></tr>",
            escape(c.channel_kind.as_str()),
            c.id.0,
            escape(&customer),
            escape(&first),
            c.priority,
            earshot_core::priority::label(c.priority),
            if breached { " class=\"error\"" } else { "" },
            escape(&sla),
            escape(c.status.as_str()),
        ));
    }
    let views = ["all", "mine", "unassigned"]
        .iter()
        .map(|v| {
            if *v == view {
                format!("<strong aria-current=\"page\">{v}</strong>")
            } else {
                format!("<a href=\"/inbox?view={v}\">{v}</a>")
            }
        })
        .collect::<Vec<_>>()
        .join(" · ");
    Html(page(
        "Inbox",
        &format!(
            "{}<main><h1>Inbox</h1><p>View: {views}</p>\
             <table><caption>Conversations, most urgent first</caption>\
             <thead><tr><th scope=\"col\">Channel</th><th scope=\"col\">Customer</th><th scope=\"col\">First words</th>\
             <th scope=\"col\">Priority</th><th scope=\"col\">SLA</th><th scope=\"col\">Status</th></tr></thead>\
             <tbody>{rows}</tbody></table></main>",
            header_of(&user, &csrf)
        ),
    ))
    .into_response()
}

/// One conversation's thread, read-only for now.
async fn conversation_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    axum::extract::Path(id): axum::extract::Path<i64>,
) -> Response {
    let Some((user, csrf)) = signed_in(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    let ws = user.workspace_id;
    let id = earshot_core::ConversationId(id);
    let c = match state.store.get_conversation(ws, id).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return (
                StatusCode::NOT_FOUND,
                Html(page("Not found", "<main><h1>No such conversation</h1><p><a href=\"/inbox\">Back to the inbox</a></p></main>")),
            )
                .into_response()
        }
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let messages = match state.store.conversation_messages(ws, id).await {
        Ok(m) => m,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let mut thread = String::new();
    for m in &messages {
        thread.push_str(&format!(
            "<li><p><strong>{}</strong> on {} · <time datetime=\"{}\">{}</time></p><p>{}</p></li>",
            if m.direction == earshot_core::Direction::In {
                "Customer"
            } else {
                "Brand"
            },
            escape(m.channel_kind.as_str()),
            m.sent_at.to_rfc3339(),
            m.sent_at.format("%Y-%m-%d %H:%M UTC"),
            escape(&m.text)
        ));
    }
    let (sla, breached) = sla_left(c.sla_due_at);
    Html(page(
        &format!("Conversation {}", c.id),
        &format!(
            "{}<main><h1>Conversation {}</h1><p>Status {} · priority {} ({}) · SLA <span{}>{}</span></p>\
             <ol aria-label=\"Messages\">{thread}</ol></main>",
            header_of(&user, &csrf),
            c.id,
            escape(c.status.as_str()),
            c.priority,
            earshot_core::priority::label(c.priority),
            if breached { " class=\"error\"" } else { "" },
            escape(&sla),
        ),
    ))
    .into_response()
}

async fn login_page(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if signed_in(&state, &headers).await.is_some() {
        return Redirect::to("/").into_response();
    }
    Html(login_form(None)).into_response()
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

async fn login(State(state): State<AppState>, Form(form): Form<LoginForm>) -> Response {
    let refused = || {
        (
            StatusCode::UNAUTHORIZED,
            Html(login_form(Some("Wrong email or password."))),
        )
            .into_response()
    };
    let found = match state.store.user_by_email(&form.email).await {
        Ok(found) => found,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    let Some((user, hash)) = found else {
        let _ = verify_password(&form.password, &DUMMY_HASH);
        return refused();
    };
    if !verify_password(&form.password, &hash) {
        return refused();
    }
    let token = generate_token();
    let csrf = generate_token();
    let expires = earshot_core::time::now() + chrono::Duration::days(SESSION_DAYS);
    if let Err(e) = state
        .store
        .create_session(user.id, &hash_token(&token), &csrf, expires)
        .await
    {
        return crate::error::ApiError::from(e).into_response();
    }
    let cookie = format!(
        "{COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{}",
        SESSION_DAYS * 86_400,
        secure()
    );
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("a valid cookie"),
    );
    response
}

#[derive(Debug, Deserialize)]
struct LogoutForm {
    #[serde(default)]
    csrf: String,
}

async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    let Some(token) = cookie_value(&headers) else {
        return Redirect::to("/login").into_response();
    };
    let Some((_, csrf)) = signed_in(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    if form.csrf != csrf {
        return (
            StatusCode::FORBIDDEN,
            Html(page(
                "Refused",
                "<p role=\"alert\">This form was not sent from an Earshot page (CSRF check).</p>",
            )),
        )
            .into_response();
    }
    if let Err(e) = state.store.delete_session(&hash_token(&token)).await {
        return crate::error::ApiError::from(e).into_response();
    }
    let mut response = Redirect::to("/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{COOKIE}=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0{}",
            secure()
        ))
        .expect("a valid cookie"),
    );
    response
}
