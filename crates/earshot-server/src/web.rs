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
    let Some((user, csrf)) = signed_in(&state, &headers).await else {
        return Redirect::to("/login").into_response();
    };
    Html(page(
        "Earshot",
        &format!(
            "<header><p>Signed in as <strong>{}</strong> ({}, {})</p>\
             <form method=\"post\" action=\"/logout\"><input type=\"hidden\" name=\"csrf\" value=\"{}\">\
             <button type=\"submit\">Sign out</button></form></header>\
             <main><h1>Earshot</h1><p>The inbox and the dashboard are being built (issue 6); the API \
             under <code>/api/v1</code> has every conversation, rule and action today.</p></main>",
            escape(&user.name),
            escape(&user.email),
            escape(&user.role),
            escape(&csrf)
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
