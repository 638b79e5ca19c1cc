//! `/metrics` in Prometheus's text format (version 0.0.4), no auth and no workspace's data:
//! the HTTP requests this process answered by status class, and what the installation holds
//! now (workspaces, SLA clocks running and overdue, webhook calls waiting for the worker, the
//! outbox by status and delivery, connected channels by connector and status). The SLA and
//! webhook counts read partial indexes that hold only what they count; the outbox and channel
//! counts group those whole tables. The X filtered streams this process holds: connected or
//! not, posts read, re-deliveries dropped, reconnects, topics left off the rules.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

pub fn router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// Requests answered, by status class (1xx … 5xx), since the process started.
#[derive(Debug, Default)]
pub struct Requests {
    by_class: [AtomicU64; 5],
}

impl Requests {
    fn count(&self, status: u16) {
        let class = usize::from(status / 100).clamp(1, 5) - 1;
        self.by_class[class].fetch_add(1, Ordering::Relaxed);
    }
}

/// Counts every answer, whatever route gave it.
pub async fn count_requests(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    state.requests.count(response.status().as_u16());
    response
}

/// A label value as the text format wants it.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let ops = state.store.operations(earshot_core::time::now()).await?;
    let mut out = String::new();
    let mut gauge = |name: &str, help: &str, kind: &str, rows: Vec<(String, i64)>| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, v) in rows {
            let _ = writeln!(out, "{name}{labels} {v}");
        }
    };
    gauge(
        "earshot_http_requests_total",
        "HTTP requests this process answered, by status class.",
        "counter",
        state
            .requests
            .by_class
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    format!("{{class=\"{}xx\"}}", i + 1),
                    n.load(Ordering::Relaxed) as i64,
                )
            })
            .collect(),
    );
    gauge(
        "earshot_workspaces",
        "Workspaces in the database.",
        "gauge",
        vec![(String::new(), ops.workspaces)],
    );
    gauge(
        "earshot_sla_running",
        "Conversations with an SLA clock running.",
        "gauge",
        vec![(String::new(), ops.sla_running)],
    );
    gauge(
        "earshot_sla_overdue",
        "Conversations whose SLA due time has passed with nobody answering.",
        "gauge",
        vec![(String::new(), ops.sla_overdue)],
    );
    gauge(
        "earshot_webhook_calls_pending",
        "Webhook calls kept (answered 200) and not yet processed by the webhook worker.",
        "gauge",
        vec![(String::new(), ops.webhooks_pending)],
    );
    gauge(
        "earshot_outbox_items",
        "Replies, notifications and webhooks in the outbox, by status and delivery state.",
        "gauge",
        ops.outbox
            .iter()
            .map(|(s, d, n)| {
                (
                    format!("{{status=\"{}\",delivery=\"{}\"}}", label(s), label(d)),
                    *n,
                )
            })
            .collect(),
    );
    gauge(
        "earshot_channels",
        "Connected channels, by connector and status (needs_reauth: waiting for a new token).",
        "gauge",
        ops.channels
            .iter()
            .map(|(c, s, n)| {
                (
                    format!("{{connector=\"{}\",status=\"{}\"}}", label(c), label(s)),
                    *n,
                )
            })
            .collect(),
    );
    let streams = state.channels.stream_states();
    let per_stream = |f: &dyn Fn(&earshot_engine::channels::StreamState) -> i64| {
        streams
            .iter()
            .map(|(id, s)| (format!("{{channel=\"{}\"}}", id.0), f(s)))
            .collect::<Vec<_>>()
    };
    for (name, help, kind, rows) in [
        (
            "earshot_x_stream_connected",
            "Whether the channel's X filtered stream is connected now (1) or not (0).",
            "gauge",
            per_stream(&|s| i64::from(s.connected)),
        ),
        (
            "earshot_x_stream_posts_total",
            "Posts read from the channel's X stream since this process started.",
            "counter",
            per_stream(&|s| s.posts as i64),
        ),
        (
            "earshot_x_stream_redelivered_total",
            "Posts a reconnect re-delivered, dropped by id.",
            "counter",
            per_stream(&|s| s.redelivered as i64),
        ),
        (
            "earshot_x_stream_reconnects_total",
            "Connections to the X stream opened again after the first.",
            "counter",
            per_stream(&|s| s.reconnects as i64),
        ),
        (
            "earshot_x_stream_topics_left_off",
            "Topics X's rules cannot serve (too broad, too long, past the rule limit).",
            "gauge",
            per_stream(&|s| s.topics_left_off.len() as i64),
        ),
    ] {
        gauge(name, help, kind, rows);
    }
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out).into_response())
}
