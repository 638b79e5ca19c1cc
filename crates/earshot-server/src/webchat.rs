//! The web chat widget's endpoints, for pages on the sites a `web_chat` channel allows:
//!
//! - `GET /widget.js`: the widget (`<script src=".../widget.js" data-channel="{id}">`).
//! - `POST /chat/{id}/session` `{"visitor"?}`: the visitor's identity (a new one unless the
//!   browser kept a valid one), the channel's greeting, and whether an agent is online (when
//!   none is, the widget asks for an email to answer later).
//! - `POST /chat/{id}/messages` `{"visitor", "id", "text", "name"?, "email"?, "page"?}`:
//!   `202` once the message is kept in the durable queue the webhooks use; the webhook
//!   worker takes it through the pipeline. A resend with the same `id` stores one message.
//! - `GET /chat/{id}/events?visitor=…`: server-sent events, one `message` per line of the
//!   visitor's transcript (their messages and the replies released to them), the newest 100
//!   first, then live; `Last-Event-ID` resumes after a reconnect. A reply written to an open
//!   widget is marked `delivered`.
//!
//! The endpoints are public, so they are rate limited in the process ([`Limits`]): per
//! visitor, and per channel whatever the visitor ids, `429 rate_limited` with `Retry-After`
//! beyond that; nothing is kept for a refused message.
//!
//! Every request must come from a page whose `Origin` is one of the channel's
//! `allowed_origins`; anything else is `403 origin_not_allowed`, readable by the page so the
//! widget can say the chat is not offered there. The widget posts as `text/plain` (a simple
//! request: no preflight round trip per message); the body is JSON whatever its type, and
//! preflights are answered for pages that send JSON.

use crate::AppState;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use earshot_channels::webchat::{self, ChatPost};
use earshot_core::assign::Availability;
use earshot_core::connector::{ChatLine, ConnectedChannel, Connector, DeliveryState, StatusReport};
use earshot_core::{ChannelId, WorkspaceId};
use serde_json::json;
use std::convert::Infallible;
use std::time::Duration;

/// The widget's script.
const WIDGET_JS: &str = include_str!("web/assets/widget.js");
/// Largest message body the widget may post.
const MAX_CHAT_BYTES: usize = 32 * 1024;
/// The longest a reply released by another process takes to show in an open widget.
const POLL: Duration = Duration::from_secs(3);
/// Lines per transcript read.
const PAGE: u32 = 100;

type Keyed<K> = governor::DefaultKeyedRateLimiter<K>;

/// How fast the public chat endpoints may be called: a person types a few messages a
/// minute; a flood (one visitor, or many made-up visitor ids on one channel) is refused
/// before it reaches the durable queue.
pub struct Limits {
    per_visitor: Keyed<(i64, String)>,
    per_channel: Keyed<i64>,
    sessions: Keyed<i64>,
}

impl Default for Limits {
    fn default() -> Self {
        use governor::Quota;
        use std::num::NonZeroU32;
        let n = |v: u32| NonZeroU32::new(v).expect("a positive quota");
        Self {
            per_visitor: Keyed::keyed(Quota::per_minute(n(20)).allow_burst(n(10))),
            per_channel: Keyed::keyed(Quota::per_minute(n(600)).allow_burst(n(100))),
            sessions: Keyed::keyed(Quota::per_minute(n(120)).allow_burst(n(30))),
        }
    }
}

impl Limits {
    /// `Err(seconds to wait)` when the call is over its quota.
    fn check<K: Clone + std::hash::Hash + Eq>(limiter: &Keyed<K>, key: &K) -> Result<(), u64> {
        // Forget keys whose allowance is whole again, so the map stays small.
        if limiter.len() > 10_000 {
            limiter.retain_recent();
        }
        limiter.check_key(key).map_err(|not_until| {
            use governor::clock::Clock as _;
            let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
            wait.as_secs().max(1)
        })
    }

    fn message(&self, channel: i64, visitor: &str) -> Result<(), u64> {
        Self::check(&self.per_visitor, &(channel, visitor.to_string()))?;
        Self::check(&self.per_channel, &channel)
    }

    fn session(&self, channel: i64) -> Result<(), u64> {
        Self::check(&self.sessions, &channel)
    }
}

fn too_many(retry_after: u64, origin: HeaderValue) -> Response {
    let mut r = refuse(
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited",
        format!("too many chat requests; try again in {retry_after} s"),
    );
    r.headers_mut().insert(
        header::RETRY_AFTER,
        HeaderValue::from_str(&retry_after.to_string()).expect("digits are a header value"),
    );
    with_cors(r, origin)
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/widget.js", get(widget))
        .route("/chat/{id}/session", post(session).options(preflight))
        .route("/chat/{id}/messages", post(message).options(preflight))
        .route("/chat/{id}/events", get(events).options(preflight))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_CHAT_BYTES))
}

async fn widget() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET_JS,
    )
        .into_response()
}

fn refuse(status: StatusCode, code: &str, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({"code": code, "message": message.into()})),
    )
        .into_response()
}

/// The web chat channel a widget names, and the request's origin when it is allowed.
async fn chat_channel(
    state: &AppState,
    id: &str,
    headers: &HeaderMap,
) -> Result<(ConnectedChannel, HeaderValue), Response> {
    let unknown = || {
        refuse(
            StatusCode::NOT_FOUND,
            "not_found",
            "no web chat channel has this id",
        )
    };
    let id: i64 = id.parse().map_err(|_| unknown())?;
    let ch = match state.store.webhook_channel(ChannelId(id)).await {
        Ok(Some(ch)) if ch.connector == Connector::WebChat => ch,
        Ok(_) => return Err(unknown()),
        Err(e) => {
            tracing::warn!(channel = id, error = %e, "web chat channel lookup failed");
            return Err(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "try again shortly",
            ));
        }
    };
    let origin = headers.get(header::ORIGIN);
    let allowed = ch
        .settings
        .get("allowed_origins")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    match origin {
        Some(o) if webchat::origin_allowed(allowed, o.to_str().ok()) => Ok((ch, o.clone())),
        _ => {
            tracing::info!(channel = id, origin = ?origin, "web chat request from an origin the channel does not allow");
            let r = refuse(
                StatusCode::FORBIDDEN,
                "origin_not_allowed",
                "this page's origin is not in the channel's allowed_origins",
            );
            // The refusal itself is readable by the page, so the widget can say why.
            Err(match origin {
                Some(o) => with_cors(r, o.clone()),
                None => r,
            })
        }
    }
}

fn with_cors(mut response: Response, origin: HeaderValue) -> Response {
    let h = response.headers_mut();
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    response
}

async fn preflight(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match chat_channel(&state, &id, &headers).await {
        Ok((_, origin)) => {
            let mut r = StatusCode::NO_CONTENT.into_response();
            let h = r.headers_mut();
            h.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static("GET, POST, OPTIONS"),
            );
            h.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static("content-type, last-event-id"),
            );
            h.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static("600"),
            );
            with_cors(r, origin)
        }
        Err(r) => r,
    }
}

#[derive(Debug, Default, serde::Deserialize)]
struct SessionAsk {
    #[serde(default)]
    visitor: Option<String>,
}

async fn agents_online(state: &AppState, ws: WorkspaceId) -> bool {
    match state.store.list_agents(ws).await {
        Ok(agents) => agents
            .iter()
            .any(|a| a.availability == Availability::Online),
        // Not knowing, ask for an email: the visitor can still be answered.
        Err(_) => false,
    }
}

async fn session(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ch, origin) = match chat_channel(&state, &id, &headers).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let ask: SessionAsk = serde_json::from_slice(&body).unwrap_or_default();
    if ask
        .visitor
        .as_deref()
        .is_none_or(|v| !webchat::is_visitor(v))
    {
        // A new visitor id: bounded per channel, or ids could be minted without end.
        if let Err(wait) = state.chat_limits.session(ch.channel.id.0) {
            return too_many(wait, origin);
        }
    }
    let visitor = ask
        .visitor
        .filter(|v| webchat::is_visitor(v))
        .unwrap_or_else(webchat::new_visitor);
    let online = agents_online(&state, ch.channel.workspace_id).await;
    let greeting = ch
        .settings
        .get("greeting")
        .and_then(|v| v.as_str())
        .filter(|g| !g.is_empty())
        .unwrap_or("Hi! How can we help?");
    let r = Json(json!({
        "visitor": visitor,
        "name": ch.channel.name,
        "greeting": greeting,
        "agents_online": online,
        "ask_email": !online,
    }))
    .into_response();
    with_cors(r, origin)
}

async fn message(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let (ch, origin) = match chat_channel(&state, &id, &headers).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    let answer = |r: Response| with_cors(r, origin.clone());
    let post: ChatPost = match serde_json::from_slice(&body) {
        Ok(p) => p,
        Err(e) => {
            return answer(refuse(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                format!("the body is not a chat message: {e}"),
            ))
        }
    };
    if let Err(wait) = state.chat_limits.message(ch.channel.id.0, &post.visitor) {
        tracing::info!(
            channel = ch.channel.id.0,
            "web chat message over its rate limit"
        );
        return too_many(wait, origin.clone());
    }
    let now = earshot_core::time::now();
    let kept = match post.check(now) {
        Ok(m) => m,
        Err(problems) => {
            let details: Vec<_> = problems
                .iter()
                .map(|(f, m)| json!({"path": f, "message": m}))
                .collect();
            let message = problems
                .iter()
                .map(|(f, m)| format!("{f}: {m}"))
                .collect::<Vec<_>>()
                .join("; ");
            return answer(
                (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Json(
                        json!({"code": "invalid_message", "message": message, "details": details}),
                    ),
                )
                    .into_response(),
            );
        }
    };
    let bytes = serde_json::to_vec(&kept).expect("a chat message serializes");
    match state
        .store
        .accept_webhooks(&[(ch.channel.workspace_id, ch.channel.id, &bytes[..])], now)
        .await
    {
        Ok(_) => {
            state.webhooks.wake.notify_one();
            answer(
                (
                    StatusCode::ACCEPTED,
                    Json(json!({"id": kept.id, "status": "accepted"})),
                )
                    .into_response(),
            )
        }
        Err(e) => {
            tracing::error!(channel = ch.channel.id.0, error = %e, "web chat message not kept");
            answer(refuse(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "not kept; send it again",
            ))
        }
    }
}

#[derive(Debug, serde::Deserialize)]
struct EventsAsk {
    visitor: String,
    #[serde(default)]
    after: Option<i64>,
}

/// One visitor's transcript as it grows.
struct Feed {
    state: AppState,
    ws: WorkspaceId,
    channel: ChannelId,
    visitor: String,
    after: i64,
    first: bool,
    /// Told when a message is stored or a reply delivered in the workspace.
    changes: tokio::sync::broadcast::Receiver<WorkspaceId>,
}

impl Feed {
    /// Waits for a change in the workspace (a message stored, a reply released) or the poll
    /// interval, then the lines not sent yet.
    async fn next(&mut self) -> Vec<ChatLine> {
        loop {
            if !self.first {
                earshot_engine::live::changed_or(&mut self.changes, self.ws, POLL).await;
            }
            self.first = false;
            let Ok(lines) = self
                .state
                .store
                .chat_transcript(self.ws, self.channel, &self.visitor, self.after, PAGE)
                .await
            else {
                continue;
            };
            if let Some(last) = lines.last() {
                self.after = last.id;
                return lines;
            }
        }
    }

    /// Replies now written to the open widget are delivered.
    async fn delivered(&self, lines: &[ChatLine]) {
        for line in lines {
            if let (Some(id), Some(DeliveryState::Sent)) = (&line.platform_id, line.delivery) {
                let report = StatusReport {
                    platform_id: id.clone(),
                    state: DeliveryState::Delivered,
                    at: earshot_core::time::now(),
                    error: None,
                };
                if let Err(e) = self
                    .state
                    .channels
                    .apply_status(self.ws, self.channel, &report)
                    .await
                {
                    tracing::warn!(error = %e, "web chat delivery not recorded");
                }
            }
        }
    }
}

async fn events(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(ask): Query<EventsAsk>,
    headers: HeaderMap,
) -> Response {
    let (ch, origin) = match chat_channel(&state, &id, &headers).await {
        Ok(found) => found,
        Err(r) => return r,
    };
    if !webchat::is_visitor(&ask.visitor) {
        return with_cors(
            refuse(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_visitor",
                "visitor: must be the visitor id this server gave",
            ),
            origin,
        );
    }
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok());
    let feed = Feed {
        changes: state.pipeline.changes.subscribe(),
        ws: ch.channel.workspace_id,
        channel: ch.channel.id,
        visitor: ask.visitor,
        after: resume.or(ask.after).unwrap_or(0),
        first: true,
        state,
    };
    let stream = futures_util::stream::unfold(feed, |mut feed| async move {
        let lines = feed.next().await;
        feed.delivered(&lines).await;
        let events: Vec<Result<Event, Infallible>> = lines
            .iter()
            .map(|l| {
                Ok(Event::default()
                    .event("message")
                    .id(l.id.to_string())
                    .data(serde_json::to_string(l).expect("a chat line serializes")))
            })
            .collect();
        Some((futures_util::stream::iter(events), feed))
    });
    let stream = futures_util::StreamExt::flatten(stream);
    let r = Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response();
    with_cors(r, origin)
}
