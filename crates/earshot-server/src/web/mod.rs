//! The web UI, served by the same binary at `/`: sign-in (`login`), the agent inbox
//! (`inbox`) with live updates (`live`), the conversation page with every agent action
//! (`conversation`), what listening heard and matched no topic (`listening`), the manager's
//! dashboard (`dashboard`, charts from `chart`), the staffing plan per channel (`staffing`), and the
//! admins' settings (`settings`). Pages are rendered on the server as plain HTML forms that
//! work without scripts, built with maud's `html!` (every interpolated value is escaped, so
//! nothing is escaped by hand; the pages are small component functions returning `Markup`,
//! starting from [`shell`]); one small script (`assets/app.js`) adds live updates, ticking SLA
//! countdowns and the query editor's check as you type. Nothing to build with npm.
//!
//! Every page needs a session (the [`Session`] extractor sends anyone else to `/login`);
//! every form carries the session's CSRF token, checked before anything changes; every read
//! is scoped to the session's workspace by the store.

// A failed check answers with the page that says why (`Err(Response)`): returned at once by
// the handler, never stored or passed along, so its size costs nothing worth boxing for.
#![allow(clippy::result_large_err)]

mod chart;
mod conversation;
mod dashboard;
mod inbox;
mod listening;
mod live;
mod login;
mod preferences;
mod settings;
mod staffing;
pub(crate) mod throttle;

use crate::AppState;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use earshot_core::auth::User;
use maud::{html, Markup, DOCTYPE};

pub use login::signed_in;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/app.css", get(css))
        .route("/assets/app.js", get(js))
        .merge(login::router())
        .merge(preferences::router())
        .merge(inbox::router())
        .merge(live::router())
        .merge(conversation::router())
        .merge(dashboard::router())
        .merge(listening::router())
        .merge(settings::router())
        .merge(staffing::router())
        .layer(axum::middleware::from_fn(guard_pages))
}

/// What every page says about itself: only its own scripts, styles and images, never framed
/// by another site (clickjacking), no type sniffing, no full URLs in referrers. A form post
/// whose `Origin` names another site is refused before any handler runs (the CSRF token
/// already stops it; this refuses it earlier and says why).
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

async fn guard_pages(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let changes = !matches!(
        *request.method(),
        axum::http::Method::GET | axum::http::Method::HEAD | axum::http::Method::OPTIONS
    );
    if changes {
        let header = |name| {
            request
                .headers()
                .get(name)
                .and_then(|v: &axum::http::HeaderValue| v.to_str().ok())
        };
        if let (Some(origin), Some(host)) = (header(header::ORIGIN), header(header::HOST)) {
            let origin_host = origin.split_once("://").map_or(origin, |(_, rest)| rest);
            if !origin_host.eq_ignore_ascii_case(host) {
                return (
                    StatusCode::FORBIDDEN,
                    format!("refused: this form was sent from {origin}, not from this site"),
                )
                    .into_response();
            }
        }
    }
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        headers.insert(name, axum::http::HeaderValue::from_static(value));
    }
    response
}

async fn home(session: Option<Session>) -> Response {
    match session {
        Some(_) => Redirect::to("/inbox").into_response(),
        None => Redirect::to("/login").into_response(),
    }
}

async fn css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("assets/app.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("assets/app.js"),
    )
        .into_response()
}

/// The signed-in person and their session's CSRF token. A page handler that takes it is
/// reached only with a live session: anyone else is sent to `/login`.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub csrf: String,
    /// For admins: the connected channels whose platform refused their token (their
    /// replies wait), named on every page until someone gives them a new one.
    pub needs_reauth: Vec<String>,
}

/// A signed-in person's session, with what admins must be told on every page.
async fn session_of(state: &AppState, user: User, csrf: String) -> Session {
    let needs_reauth = if user.role == "admin" {
        match state.store.connected_channels(user.workspace_id).await {
            Ok(list) => list
                .into_iter()
                .filter(|c| c.status == earshot_core::connector::ChannelStatus::NeedsReauth)
                .map(|c| c.channel.name)
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "connected channels not read for the page's notice");
                Vec::new()
            }
        }
    } else {
        Vec::new()
    };
    Session {
        user,
        csrf,
        needs_reauth,
    }
}

impl Session {
    /// A form's CSRF token must be the session's; otherwise nothing happens (403).
    pub fn check(&self, csrf: &str) -> Result<(), Response> {
        if !csrf.is_empty() && constant_time_eq(csrf.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(refused(
                StatusCode::FORBIDDEN,
                "This form was not sent from an Earshot page (CSRF check). Reload the page and try again.",
            ))
        }
    }

    pub fn is_admin(&self) -> bool {
        self.user.role == "admin"
    }

    /// Settings are for admins (403 for agents).
    pub fn require_admin(&self) -> Result<(), Response> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(refused(
                StatusCode::FORBIDDEN,
                "Only admins can change settings.",
            ))
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl FromRequestParts<AppState> for Session {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match signed_in(state, &parts.headers).await {
            Some((user, csrf)) => Ok(session_of(state, user, csrf).await),
            None => Err(Redirect::to("/login").into_response()),
        }
    }
}

impl axum::extract::OptionalFromRequestParts<AppState> for Session {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Option<Self>, Self::Rejection> {
        Ok(match signed_in(state, &parts.headers).await {
            Some((user, csrf)) => Some(session_of(state, user, csrf).await),
            None => None,
        })
    }
}

/// A whole page: `<head>` with the stylesheet and script, and the body.
pub(crate) fn document(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · Earshot" }
                link rel="stylesheet" href="/assets/app.css";
                script src="/assets/app.js" defer {}
            }
            body { (body) }
        }
    }
}

/// Which part of the app a page belongs to (the navigation marks it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Section {
    Inbox,
    Listening,
    Dashboard,
    Staffing,
    Settings,
}

/// A link of a navigation bar, marked as the current page when it is.
pub(crate) fn nav_link(href: &str, label: &str, current: bool) -> Markup {
    html! { a href=(href) aria-current=[current.then_some("page")] { (label) } }
}

/// A signed-in page: the navigation, who is signed in, the sign-out form, then `main`.
pub(crate) fn shell(session: &Session, section: Section, title: &str, main: Markup) -> Markup {
    let link = |s: Section, href: &str, label: &str| nav_link(href, label, s == section);
    let user = &session.user;
    document(
        title,
        html! {
            a.skip href="#main" { "Skip to content" }
            header.top {
                span.brand { "Earshot" }
                nav aria-label="Main" {
                    (link(Section::Inbox, "/inbox", "Inbox"))
                    (link(Section::Listening, "/listening", "Listening"))
                    (link(Section::Dashboard, "/dashboard", "Dashboard"))
                    (link(Section::Staffing, "/staffing", "Staffing"))
                    @if session.is_admin() {
                        (link(Section::Settings, "/settings", "Settings"))
                    }
                }
                div.who {
                    span {
                        "Signed in as " strong { (user.name) }
                        " (" (user.email) ", " (user.role) ")"
                    }
                    form method="post" action="/logout" {
                        (csrf_field(session))
                        button.link type="submit" { "Sign out" }
                    }
                }
            }
            @if !session.needs_reauth.is_empty() {
                p.warning.banner role="alert" {
                    strong { "Replies are waiting: " }
                    (session.needs_reauth.join(", "))
                    @if session.needs_reauth.len() == 1 { " needs" } @else { " need" }
                    " a new token (the platform refused the old one). "
                    a href="/settings/channels" { "Renew it under Settings → Channels" }
                    "."
                }
            }
            main #main { (main) }
            #live-status.sr-only role="status" aria-live="polite" {}
        },
    )
}

/// The hidden CSRF field every form carries.
pub(crate) fn csrf_field(session: &Session) -> Markup {
    html! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A form that posts to `action` with the session's CSRF token, labelled for screen readers.
pub(crate) fn post_form(session: &Session, action: &str, label: &str, content: Markup) -> Markup {
    html! {
        form method="post" action=(action) aria-label=(label) {
            (csrf_field(session))
            (content)
        }
    }
}

/// What went wrong, said above a form or page.
pub(crate) fn error_notice(message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.error role="alert" { (m) }
        }
    }
}

/// A page that says why a request was refused.
pub(crate) fn refused(status: StatusCode, message: &str) -> Response {
    let page = document(
        "Refused",
        html! {
            main #main.narrow {
                h1 { "Not done" }
                (error_notice(Some(message)))
                p { a href="/inbox" { "Back to the inbox" } }
            }
        },
    );
    (status, page).into_response()
}

/// The store failed: logged, and said without its details.
pub(crate) fn failed(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "web page failed");
    refused(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Something went wrong on our side; it has been logged. Try again in a moment.",
    )
}

pub(crate) fn not_found(what: &str) -> Response {
    refused(StatusCode::NOT_FOUND, &format!("No such {what}."))
}

/// The SLA cell: "3 h 20 min left", or "breached 2 h ago" in red, with the due time for the
/// script that keeps it ticking; "—" when no target runs.
pub(crate) fn sla_badge(due: Option<earshot_core::time::Timestamp>) -> Markup {
    let Some(due) = due else {
        return html! { span.sla.none { "—" } };
    };
    let left = due - earshot_core::time::now();
    let words = earshot_core::report::minutes_in_words(left.num_minutes().abs());
    let breached = left < chrono::Duration::zero();
    html! {
        span.sla.breached[breached] data-due=(due.timestamp_millis()) {
            @if breached { "breached " (words) " ago" } @else { (words) " left" }
        }
    }
}

pub(crate) fn sentiment_badge(sentiment: Option<&str>) -> Markup {
    html! {
        @match sentiment {
            Some(s) if s != "unknown" => span.badge.{ "s-" (s) } { (s) },
            _ => span.badge { "—" },
        }
    }
}

pub(crate) fn priority_badge(score: i32) -> Markup {
    let label = earshot_core::priority::label(score);
    html! { span.badge.{ "p-" (label) } { (score) " " (label) } }
}

/// The time as people read it, in UTC, with the machine-readable value.
pub(crate) fn time_tag(t: earshot_core::time::Timestamp) -> Markup {
    html! {
        time datetime=(t.to_rfc3339()) { (t.format("%Y-%m-%d %H:%M UTC").to_string()) }
    }
}

/// `name="…"` options of a `<select>`, the chosen one selected.
pub(crate) fn options(choices: &[(String, String)], chosen: Option<&str>) -> Markup {
    html! {
        @for (value, label) in choices {
            option value=(value) selected[Some(value.as_str()) == chosen] { (label) }
        }
    }
}

/// A query-string value, percent-encoded.
pub(crate) fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_encoding_leave_nothing_active() {
        assert_eq!(
            sentiment_badge(Some("<a href='x'>&\"</a>")).into_string(),
            "<span class=\"badge s-&lt;a href='x'&gt;&amp;&quot;&lt;/a&gt;\">\
             &lt;a href='x'&gt;&amp;&quot;&lt;/a&gt;</span>"
        );
        assert_eq!(url_encode("a b&c=d/é"), "a%20b%26c%3Dd%2F%C3%A9");
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}
