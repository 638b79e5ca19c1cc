//! The test harness shared by the server's tests: an app on a fresh SQLite file with two
//! workspaces (`acme` and `globex`), each with a token, and requests to it. This module has
//! the harness and the generic requests (kept for the tests that send odd ones: no token,
//! the other workspace's, a malformed body, a wrong method); each file beside it gives
//! `TestApp` one method per endpoint of a resource, so a test reads as a story.

mod channels;
mod contacts;
mod conversations;
mod orders;
mod pages;
mod people;
mod reports;
mod settings;

pub use pages::{csrf_of, Page};

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use earshot_core::auth::{generate_token, hash_token};
use earshot_server::{app, AppState};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub router: axum::Router,
    pub state: AppState,
    pub token: String,
    pub other_token: String,
    pub _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("api.db").display());
    let store = earshot_store::open(&url).await.unwrap();
    let mut tokens = Vec::new();
    for name in ["acme", "globex"] {
        let ws = store.ensure_workspace(name).await.unwrap();
        let token = generate_token();
        store
            .create_api_token(ws.id, "test", &hash_token(&token))
            .await
            .unwrap();
        tokens.push(token);
    }
    let state = AppState::new(store);
    TestApp {
        router: app(state.clone()),
        state,
        other_token: tokens.pop().unwrap(),
        token: tokens.pop().unwrap(),
        _dir: dir,
    }
}

// Generic requests.

impl TestApp {
    /// A request with a JSON content type and the token given (if any); the status and the
    /// JSON body (`null` when empty).
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Value) {
        let mut headers = vec![(
            header::CONTENT_TYPE.as_str(),
            "application/json".to_string(),
        )];
        if let Some(t) = token {
            headers.push((header::AUTHORIZATION.as_str(), format!("Bearer {t}")));
        }
        let (status, text) = self.raw(method, path, &headers, body).await;
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("non-JSON body: {text:?}"))
        };
        (status, value)
    }
    /// A request with exactly these headers; the status and the body as text (webhooks
    /// answer platforms in plain text).
    pub async fn raw(
        &self,
        method: Method,
        path: &str,
        headers: &[(&str, String)],
        body: Vec<u8>,
    ) -> (StatusCode, String) {
        let mut request = Request::builder().method(method).uri(path);
        for (k, v) in headers {
            request = request.header(*k, v);
        }
        let response = self
            .router
            .clone()
            .oneshot(request.body(Body::from(body)).unwrap())
            .await
            .unwrap();
        let status = response.status();
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        (status, String::from_utf8_lossy(&bytes).into_owned())
    }
    /// A GET by this workspace's token.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, Some(&self.token), Vec::new())
            .await
    }
    /// A GET by the other workspace's token.
    pub async fn get_as_other(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::GET, path, Some(&self.other_token), Vec::new())
            .await
    }
    /// A DELETE by this workspace's token.
    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.send(Method::DELETE, path, Some(&self.token), Vec::new())
            .await
    }
    /// A request with a JSON body, by this workspace's token.
    pub async fn json(&self, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(
            method,
            path,
            Some(&self.token),
            body.to_string().into_bytes(),
        )
        .await
    }
}

/// `path`, with `?query` when there is one.
fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{query}")
    }
}

// Health checks.

impl TestApp {
    /// GET /healthz, with no token
    pub async fn health(&self) -> (StatusCode, Value) {
        self.send(Method::GET, "/healthz", None, Vec::new()).await
    }
    /// GET /readyz, with no token
    pub async fn readiness(&self) -> (StatusCode, Value) {
        self.send(Method::GET, "/readyz", None, Vec::new()).await
    }
    /// GET /metrics, with no token: the text Prometheus reads
    pub async fn metrics(&self) -> (StatusCode, String) {
        self.raw(Method::GET, "/metrics", &[], Vec::new()).await
    }
}
