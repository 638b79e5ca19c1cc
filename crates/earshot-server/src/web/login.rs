//! Accounts: sign in with email and password (argon2id hashes), a session cookie (HttpOnly,
//! SameSite=Lax; `Secure` when `EARSHOT_SECURE_COOKIES=1`, for HTTPS deployments), sign out
//! with the session's CSRF token. A wrong email is answered like a wrong password, and takes
//! as long (a dummy hash is verified). Password hashes are verified on the blocking pool, off
//! the threads that answer requests; repeated failures make the account and the address wait
//! ([`super::throttle`]): `429` with `Retry-After` and a page saying when to try again.

use super::{document, error_notice, failed, Session};
use crate::extract::Form;
use crate::AppState;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use earshot_core::auth::{generate_token, hash_token, verify_password, User};
use maud::{html, Markup};
use serde::Deserialize;

const COOKIE: &str = "earshot_session";
/// Sessions last a working week.
const SESSION_DAYS: i64 = 7;
/// Verified when the email is unknown, so a wrong email takes as long as a wrong password.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| earshot_core::auth::hash_password("not anyone's password"));

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
}

fn login_form(error: Option<&str>) -> Markup {
    document(
        "Sign in",
        html! {
            main #main.narrow.login {
                h1 { "Sign in to Earshot" }
                (error_notice(error))
                form method="post" action="/login" {
                    label for="email" { "Email" }
                    input #email name="email" type="email" autocomplete="username" required;
                    label for="password" { "Password" }
                    input #password name="password" type="password"
                        autocomplete="current-password" required;
                    button type="submit" { "Sign in" }
                }
            }
        },
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

async fn login_page(session: Option<Session>) -> Response {
    if session.is_some() {
        return Redirect::to("/").into_response();
    }
    login_form(None).into_response()
}

#[derive(Debug, Deserialize)]
struct LoginForm {
    email: String,
    password: String,
}

fn wait_page(wait: std::time::Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let when = if seconds == 1 {
        "a second".to_string()
    } else if seconds < 120 {
        format!("{seconds} seconds")
    } else {
        format!("{} minutes", seconds.div_ceil(60))
    };
    let mut response = (
        StatusCode::TOO_MANY_REQUESTS,
        login_form(Some(&format!(
            "Too many failed sign-ins. Try again in {when}."
        ))),
    )
        .into_response();
    response.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&seconds.to_string()).expect("digits are a header value"),
    );
    response
}

async fn login(
    State(state): State<AppState>,
    connect: Option<axum::Extension<axum::extract::ConnectInfo<std::net::SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let address = connect.map(|c| c.0 .0.ip());
    let throttle = state.sign_ins.clone();
    if let Err(wait) = throttle.check(&form.email, address, std::time::Instant::now()) {
        return wait_page(wait);
    }
    let refused = || {
        throttle.failed(&form.email, address, std::time::Instant::now());
        (
            StatusCode::UNAUTHORIZED,
            login_form(Some("Wrong email or password.")),
        )
            .into_response()
    };
    let found = match state.store.user_by_email(&form.email).await {
        Ok(found) => found,
        Err(e) => return crate::error::ApiError::from(e).into_response(),
    };
    // Argon2 takes tens of milliseconds of CPU: on the blocking pool, so other requests are
    // answered meanwhile. An unknown email checks a dummy hash, to take as long.
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), hash),
        None => (None, DUMMY_HASH.clone()),
    };
    let password = form.password.clone();
    let verified = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    let Some(user) = user.filter(|_| verified) else {
        return refused();
    };
    throttle.succeeded(&form.email);
    let token = generate_token();
    let csrf = generate_token();
    let expires = earshot_core::time::now() + chrono::Duration::days(SESSION_DAYS);
    if let Err(e) = state
        .store
        .create_session(user.id, &hash_token(&token), &csrf, expires)
        .await
    {
        return failed(e);
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

/// Signing out ends the session (its CSRF token checked like every form's) and clears the
/// cookie; without a session there is nothing to end.
async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<LogoutForm>,
) -> Response {
    if let Err(r) = session.check(&form.csrf) {
        return r;
    }
    let Some(token) = cookie_value(&headers) else {
        return Redirect::to("/login").into_response();
    };
    if let Err(e) = state.store.delete_session(&hash_token(&token)).await {
        return failed(e);
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
