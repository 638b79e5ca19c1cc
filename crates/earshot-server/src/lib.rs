//! Earshot's HTTP server (axum): the REST API under `/api/v1`, bearer-token auth, and the
//! health checks. Build the app with [`app`]; run it on a listener with [`serve`].

pub mod api;
pub mod auth;
pub mod error;
mod extract;
mod health;
mod metrics;
pub mod web;
mod webchat;
mod webhooks;

use axum::Router;
use earshot_core::Store;
use earshot_engine::channels::{Channels, SecretBox, WebhookWorker};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

/// Largest accepted request body. A batch of messages bigger than this should be split.
pub const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    /// Where inbound messages go (listen stage, then the store).
    pub pipeline: Arc<earshot_engine::Pipeline>,
    /// Connected channels: their settings and secrets, webhooks' checks, the sender.
    pub channels: Arc<Channels>,
    /// Processes what the webhooks accepted; the handlers wake it.
    pub webhooks: Arc<WebhookWorker>,
    pub(crate) tokens: Arc<auth::TokenCache>,
    /// How fast the public web chat endpoints may be called.
    pub(crate) chat_limits: Arc<webchat::Limits>,
    /// Requests answered, for `/metrics`.
    pub(crate) requests: Arc<metrics::Requests>,
    /// Failed sign-ins, per account and address.
    pub(crate) sign_ins: Arc<web::throttle::SignInThrottle>,
}

impl AppState {
    /// A state whose channel secrets are sealed with a key that lives as long as the process
    /// (tests); `earshot serve` gives the installation's key to [`AppState::with_channels`].
    pub fn new(store: Arc<dyn Store>) -> Self {
        let channels = Channels::new(store.clone(), SecretBox::ephemeral(), None);
        Self::with_channels(store, channels)
    }

    pub fn with_channels(store: Arc<dyn Store>, channels: Channels) -> Self {
        let pipeline = Arc::new(earshot_engine::Pipeline::new(store.clone()));
        let channels = Arc::new(channels);
        Self {
            webhooks: Arc::new(WebhookWorker::new(channels.clone(), pipeline.clone())),
            channels,
            pipeline,
            store,
            tokens: Arc::new(auth::TokenCache::default()),
            chat_limits: Arc::new(webchat::Limits::default()),
            requests: Arc::new(metrics::Requests::default()),
            sign_ins: Arc::default(),
        }
    }
}

/// The whole application: health checks, the authenticated API, JSON 404/405 for the rest.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(health::router())
        .merge(metrics::router())
        .merge(web::router())
        .merge(webhooks::router())
        .merge(webchat::router())
        .nest("/api/v1", api::router(state.clone()))
        .fallback(error::not_found)
        .method_not_allowed_fallback(error::method_not_allowed)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::count_requests,
        ))
        .layer(CatchPanicLayer::custom(error::panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes in-flight requests.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    // The client's address reaches the handlers (sign-in attempts are counted per address).
    axum::serve(
        listener,
        app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}
