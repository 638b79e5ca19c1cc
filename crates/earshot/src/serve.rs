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
    /// Earshot's public address (e.g. https://care.example.com): webhook URLs given to the
    /// platforms start with it, and Telegram bots are registered with it.
    #[arg(long, env = "EARSHOT_PUBLIC_URL")]
    pub public_url: Option<String>,
}

/// What `serve` needs besides the store and address.
pub struct ServeOptions {
    pub public_url: Option<String>,
    /// Seals and opens channel secrets.
    pub secrets: earshot_engine::channels::SecretBox,
}

impl ServeOptions {
    /// The key from `EARSHOT_SECRET_KEY`, else the key file (`secret_key_file` in
    /// `earshot.toml`, else beside the SQLite database, else `./earshot.key`), created on
    /// first start.
    pub fn load(
        file: &FileConfig,
        database_url: &str,
        public_url: Option<String>,
    ) -> anyhow::Result<Self> {
        let path = file
            .secret_key_file
            .clone()
            .unwrap_or_else(|| config::default_key_file(database_url));
        let env = std::env::var("EARSHOT_SECRET_KEY").ok();
        let secrets = earshot_engine::channels::SecretBox::from_env_or_file(env.as_deref(), &path)?;
        Ok(Self {
            public_url: public_url.or(file.public_url.clone()),
            secrets,
        })
    }
}

pub async fn run(
    file: &FileConfig,
    database: Option<String>,
    args: ServeArgs,
) -> anyhow::Result<ExitCode> {
    let url = config::database_url(database);
    let store = earshot_store::open(&url).await?;
    let bind = args
        .bind
        .or(file.bind.clone())
        .unwrap_or_else(|| config::DEFAULT_BIND.into());
    let options = ServeOptions::load(file, &url, args.public_url)?;
    serve(store, &bind, options, |addr| {
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
    options: ServeOptions,
    on_listening: impl FnOnce(std::net::SocketAddr),
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| anyhow::anyhow!("could not listen on {bind}: {e}"))?;
    on_listening(listener.local_addr()?);
    let channels =
        earshot_engine::channels::Channels::new(store.clone(), options.secrets, options.public_url);
    let state = earshot_server::AppState::with_channels(store.clone(), channels);
    // The timer worker (SLA warnings and breaches, snoozes, outbox deliveries: replies through
    // their connected channels) in the same process, every few seconds, until shutdown.
    let sender = earshot_engine::channels::ChannelSender::new(
        state.channels.clone(),
        // Rules' webhooks never reach into Earshot's own network unless an admin allows
        // the host.
        earshot_engine::timers::Outbound::allowing(
            std::env::var("EARSHOT_WEBHOOK_SECRET").ok(),
            earshot_channels::guard::Allowed::parse(
                &std::env::var("EARSHOT_WEBHOOK_ALLOWED_HOSTS").unwrap_or_default(),
            ),
        ),
    );
    let timers = Arc::new(earshot_engine::timers::Timers::new(
        store,
        state.pipeline.workflow.clone(),
        Arc::new(sender),
    ));
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let worker = tokio::spawn(timers.run(TIMER_EVERY, until_stopped(stopped.clone())));
    // The webhook worker: what the webhooks accepted (and anything left from before a stop).
    let webhooks = tokio::spawn(state.webhooks.clone().run(until_stopped(stopped.clone())));
    // The mailbox poller: each email channel's IMAP mailbox, from where it got to.
    let poller = Arc::new(earshot_engine::channels::MailboxPoller::new(
        state.channels.clone(),
        state.pipeline.clone(),
    ));
    let mailboxes = tokio::spawn(poller.run(until_stopped(stopped.clone())));
    // The network poller: each Mastodon account's mentions and Reddit inbox, from where it
    // got to.
    let mastodon = Arc::new(earshot_engine::channels::NetworkPoller::new(
        state.channels.clone(),
        state.pipeline.clone(),
    ));
    let mentions = tokio::spawn(mastodon.run(until_stopped(stopped.clone())));
    // X's filtered stream for every X channel with a bearer token: the topics as its rules.
    let streams = Arc::new(earshot_engine::channels::XStreams::new(
        state.channels.clone(),
        state.pipeline.clone(),
    ));
    let streamed = tokio::spawn(streams.run(until_stopped(stopped)));
    let served = earshot_server::serve(listener, state, shutdown_signal()).await;
    let _ = stop.send(true);
    let _ = worker.await;
    let _ = webhooks.await;
    let _ = mailboxes.await;
    let _ = mentions.await;
    let _ = streamed.await;
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
