//! `earshot serve`: the API on a TCP address until Ctrl-C or SIGTERM.

use crate::config::{self, FileConfig};
use clap::Args;
use earshot_core::Store;
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "EARSHOT_BIND")]
    pub bind: Option<String>,
}

pub async fn run(
    file: &FileConfig,
    database: Option<String>,
    args: ServeArgs,
) -> anyhow::Result<ExitCode> {
    let store = earshot_store::open(&config::database_url(database)).await?;
    let bind = args
        .bind
        .or(file.bind.clone())
        .unwrap_or_else(|| config::DEFAULT_BIND.into());
    serve(store, &bind, |addr| {
        eprintln!("Earshot API listening on http://{addr}")
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// How often the timer worker looks for what fell due.
const TIMER_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// Binds `bind`, tells `on_listening` the real address (port 0 picks one) and serves.
pub async fn serve(
    store: Arc<dyn Store>,
    bind: &str,
    on_listening: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("could not listen on {bind}: {e}"))?;
    on_listening(listener.local_addr()?);
    let state = earshot_server::AppState::new(store.clone());
    // The timer worker (SLA warnings and breaches, snoozes, outbox deliveries) in the same
    // process, every few seconds, until shutdown.
    let timers = Arc::new(earshot_engine::timers::Timers::new(
        store,
        state.pipeline.workflow.clone(),
        Arc::new(earshot_engine::timers::Outbound::new(
            std::env::var("EARSHOT_WEBHOOK_SECRET").ok(),
        )),
    ));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = tokio::spawn(timers.run(TIMER_EVERY, async {
        let _ = stopped.await;
    }));
    let served = earshot_server::serve(listener, state, shutdown_signal()).await;
    let _ = stop.send(());
    let _ = worker.await;
    served?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    eprintln!("shutting down");
}
