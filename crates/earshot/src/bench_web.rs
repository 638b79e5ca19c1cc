//! `earshot bench web`: the server time of the web pages on a database that already holds a
//! workspace's messages (make one with `earshot bench ingest --messages 1000000 --database …`):
//! each page is requested through the whole application (session check, handler, store,
//! rendering) in this process, without a network, and timed from request to the last byte of
//! the body. The API's inbox listing is measured the same way in the same run, as the
//! baseline.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use clap::Args;
use http_body_util::BodyExt;
use std::process::ExitCode;
use std::time::{Duration, Instant};
use tower::ServiceExt;

#[derive(Debug, Args)]
pub struct WebBench {
    /// The workspace whose pages to load (the one `bench ingest` filled).
    #[arg(long, default_value = "bench")]
    pub workspace: String,
    /// Requests per page (after two warm-up requests).
    #[arg(long, default_value_t = 50)]
    pub requests: usize,
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

pub async fn run(database: Option<String>, args: WebBench) -> anyhow::Result<ExitCode> {
    let url = database.ok_or_else(|| {
        anyhow::anyhow!("give --database: the database `earshot bench ingest` filled")
    })?;
    let store = earshot_store::open(&url).await?;
    let ws = store
        .workspace_by_name(&args.workspace)
        .await?
        .ok_or_else(|| anyhow::anyhow!("no workspace `{}` in {url}", args.workspace))?;
    let counts = store.counts(ws.id).await?;
    // A person to sign in as (made once), a session, and a token for the API baseline.
    let email = format!("bench-web@{}.bench", args.workspace);
    if store.user_by_email(&email).await?.is_none() {
        store
            .create_user(
                ws.id,
                &email,
                "Bench",
                "admin",
                None,
                &earshot_core::auth::hash_password("bench web password"),
            )
            .await?;
    }
    let (user, _) = store
        .user_by_email(&email)
        .await?
        .expect("the user just made");
    let session = earshot_core::auth::generate_token();
    store
        .create_session(
            user.id,
            &earshot_core::auth::hash_token(&session),
            "bench-csrf",
            earshot_core::time::now() + chrono::Duration::hours(1),
        )
        .await?;
    let token = earshot_core::auth::generate_token();
    store
        .create_api_token(ws.id, "bench web", &earshot_core::auth::hash_token(&token))
        .await?;
    let state = earshot_server::AppState::new(store.clone());
    let app = earshot_server::app(state);

    let newest = store
        .list_conversations(
            ws.id,
            &earshot_core::store::ConversationQuery {
                limit: 1,
                ..Default::default()
            },
        )
        .await?
        .items
        .first()
        .map(|c| c.id.0)
        .unwrap_or(1);
    let last = store.last_activity(ws.id).await?;
    let first_day = last
        .map(|t| {
            (t - chrono::Duration::days(89))
                .format("%Y-%m-%d")
                .to_string()
        })
        .unwrap_or_default();
    let last_day = last
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    println!(
        "{} ({}): workspace `{}` with {} messages, {} conversations; {} requests a page",
        url.split('?').next().unwrap_or(&url),
        store.backend(),
        args.workspace,
        counts.messages,
        counts.conversations,
        args.requests
    );
    let pages: Vec<(String, String, bool)> = vec![
        (
            "API /api/v1/conversations (baseline)".into(),
            "/api/v1/conversations?limit=50".into(),
            true,
        ),
        ("inbox".into(), "/inbox".into(), false),
        (
            "inbox, filtered (open, negative)".into(),
            "/inbox?status=open&sentiment=negative".into(),
            false,
        ),
        (
            "inbox rows (live refresh)".into(),
            "/inbox?fragment=rows".into(),
            false,
        ),
        ("conversation".into(), format!("/c/{newest}"), false),
        (
            "dashboard (default: last 30 days)".into(),
            "/dashboard".into(),
            false,
        ),
        (
            format!("dashboard, 90 days ({first_day} to {last_day})"),
            format!("/dashboard?from={first_day}&to={last_day}"),
            false,
        ),
        (
            "dashboard CSV, 90 days".into(),
            format!("/dashboard?from={first_day}&to={last_day}&format=csv"),
            false,
        ),
        (
            "staffing (the week after the newest conversation)".into(),
            "/staffing".into(),
            false,
        ),
    ];
    println!(
        "{:<48} {:>9} {:>9} {:>9} {:>9} {:>9}",
        "page", "p50 ms", "p95 ms", "p99 ms", "max ms", "KiB"
    );
    for (name, path, api) in pages {
        let mut times = Vec::with_capacity(args.requests);
        let mut size = 0;
        for i in 0..args.requests + 2 {
            let mut request = Request::get(&path);
            request = if api {
                request.header(header::AUTHORIZATION, format!("Bearer {token}"))
            } else {
                request.header(header::COOKIE, format!("earshot_session={session}"))
            };
            let request = request.body(Body::empty())?;
            let started = Instant::now();
            let response = app.clone().oneshot(request).await?;
            let status = response.status();
            let body = response.into_body().collect().await?.to_bytes();
            let took = started.elapsed();
            if status != StatusCode::OK {
                anyhow::bail!(
                    "{path}: {status}: {}",
                    String::from_utf8_lossy(&body[..body.len().min(300)])
                );
            }
            size = body.len();
            if i >= 2 {
                times.push(took);
            }
        }
        times.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{:<48} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1}",
            name,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.95)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().expect("at least one request")),
            size as f64 / 1024.0
        );
    }
    Ok(ExitCode::SUCCESS)
}
