//! `earshot bench webhooks`: signed WhatsApp webhook POSTs accepted per second by one server
//! on loopback (verify the signature, keep the call in the database, answer `200`), beside
//! `GET /healthz` from the same clients in the same run as the baseline; then how long the
//! webhook worker takes to store every message through the pipeline.

use clap::Args;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct WebhookBench {
    /// Webhook calls to send (each one customer message), and as many health checks.
    #[arg(long, default_value_t = 20_000)]
    pub requests: usize,
    /// Clients sending at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
}

struct Run {
    per_second: f64,
    p50: Duration,
    p99: Duration,
    failures: usize,
}

async fn load(
    client: reqwest::Client,
    concurrency: usize,
    requests: Arc<Vec<reqwest::Request>>,
) -> Run {
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, next, requests) = (client.clone(), next.clone(), requests.clone());
            tokio::spawn(async move {
                let mut times = Vec::new();
                let mut failures = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(r) = requests.get(i) else {
                        return (times, failures);
                    };
                    let t = Instant::now();
                    let ok = match client
                        .execute(r.try_clone().expect("plain bodies clone"))
                        .await
                    {
                        Ok(response) => response.status().is_success(),
                        Err(_) => false,
                    };
                    times.push(t.elapsed());
                    failures += usize::from(!ok);
                }
            })
        })
        .collect();
    let mut times = Vec::with_capacity(requests.len());
    let mut failures = 0;
    for w in workers {
        let (t, f) = w.await.expect("a load worker");
        times.extend(t);
        failures += f;
    }
    let elapsed = started.elapsed();
    times.sort();
    let at = |q: f64| times[((q * times.len() as f64) as usize).min(times.len() - 1)];
    Run {
        per_second: requests.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.5),
        p99: at(0.99),
        failures,
    }
}

fn body(n: usize) -> Vec<u8> {
    serde_json::json!({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550000000", "phone_number_id": "111"},
        "contacts": [{"profile": {"name": format!("Customer {}", n % 1000)}, "wa_id": format!("1555{:07}", n % 1000)}],
        "messages": [{"from": format!("1555{:07}", n % 1000), "id": format!("wamid.bench-{n}"),
                      "timestamp": chrono::Utc::now().timestamp().to_string(), "type": "text",
                      "text": {"body": format!("order {n} has not arrived, can you check?")}}]}}]}]})
    .to_string()
    .into_bytes()
}

pub async fn run(database: Option<String>, args: WebhookBench) -> anyhow::Result<ExitCode> {
    let dir = tempfile::tempdir()?;
    let url = database
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("webhooks.db").display()));
    let store = earshot_store::open(&url).await?;
    let ws = store.ensure_workspace("bench-webhooks").await?;
    let channels = earshot_engine::channels::Channels::new(
        store.clone(),
        earshot_engine::channels::SecretBox::ephemeral(),
        None,
    );
    let state = earshot_server::AppState::with_channels(store.clone(), channels);
    let name = format!("bench {}", chrono::Utc::now().timestamp_millis());
    let draft = earshot_engine::channels::ChannelDraft {
        kind: "whatsapp".into(),
        name,
        settings: serde_json::json!({"app_secret": "bench-secret", "verify_token": "v",
            "access_token": "t", "phone_number_id": "111"})
        .as_object()
        .cloned()
        .unwrap_or_default(),
    };
    let channel = state
        .channels
        .connect(ws.id, &draft)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(state.webhooks.clone().run(async {
        let _ = stopped.await;
    }));
    let server = tokio::spawn(earshot_server::serve(
        listener,
        state.clone(),
        std::future::pending(),
    ));

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()?;
    let hook = format!(
        "http://{addr}{}",
        channel.webhook_url.as_deref().unwrap_or_default()
    );
    let base = chrono::Utc::now().timestamp_millis() as usize;
    let webhooks: Vec<reqwest::Request> = (0..args.requests)
        .map(|i| {
            let b = body(base + i);
            let sig = earshot_channels::webhook::meta_signature("bench-secret", &b);
            client
                .post(&hook)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", sig)
                .body(b)
                .build()
        })
        .collect::<Result<_, _>>()?;
    let health: Vec<reqwest::Request> = (0..args.requests)
        .map(|_| client.get(format!("http://{addr}/healthz")).build())
        .collect::<Result<_, _>>()?;

    println!(
        "{} requests each, {} clients, loopback, database {url}",
        args.requests, args.concurrency
    );
    let h = load(client.clone(), args.concurrency, Arc::new(health)).await;
    let started = Instant::now();
    let w = load(client.clone(), args.concurrency, Arc::new(webhooks)).await;
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>9}",
        "", "req/s", "p50", "p99", "failed"
    );
    for (label, r) in [("GET /healthz", &h), ("POST /webhooks/{id} (signed)", &w)] {
        println!(
            "{label:<34} {:>10.0} {:>10.2?} {:>10.2?} {:>9}",
            r.per_second, r.p50, r.p99, r.failures
        );
    }
    // Until the worker has stored every accepted message.
    loop {
        if store.pending_webhooks(0, 1).await?.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let stored = started.elapsed();
    let counts = store.counts(ws.id).await?;
    println!(
        "stored through the pipeline: {} messages in {} conversations, {:.1} s after the first call ({:.0} msg/s end to end)",
        counts.messages,
        counts.conversations,
        stored.as_secs_f64(),
        args.requests as f64 / stored.as_secs_f64()
    );
    let _ = stop.send(());
    let _ = worker.await;
    server.abort();
    Ok(if w.failures == 0 && h.failures == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
