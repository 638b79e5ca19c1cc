//! Bearer-token authentication for `/api/v1`: the token's hash names the workspace the request
//! acts in, which handlers read from the request's extensions.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use earshot_core::auth::hash_token;
use earshot_core::Workspace;
use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

/// How long a known token is trusted without asking the database again.
pub const TOKEN_CACHE_TTL: Duration = Duration::from_secs(30);
const TOKEN_CACHE_MAX: usize = 10_000;

/// Known tokens (by hash) and their workspace, so that a busy client costs one database
/// lookup per 30 seconds instead of one per request. Unknown tokens are never cached, so a
/// newly minted token works at once.
#[derive(Default)]
pub struct TokenCache {
    entries: RwLock<HashMap<String, (Opened, Instant)>>,
}

/// What a token opens: its workspace, and who calls through it.
type Opened = (Workspace, Caller);

/// Who calls the API: the label of the token they use (`earshot token create --label`), for
/// the records that name who acted (the privacy log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub token: String,
}

impl Caller {
    /// How records name this caller: `api token "<label>"`.
    pub fn actor(&self) -> String {
        format!("api token \"{}\"", self.token)
    }
}

impl TokenCache {
    fn get(&self, hash: &str) -> Option<Opened> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(hash)
            .filter(|(_, at)| at.elapsed() < TOKEN_CACHE_TTL)
            .map(|(w, _)| w.clone())
    }

    fn put(&self, hash: String, workspace: Opened) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= TOKEN_CACHE_MAX {
            entries.retain(|_, (_, at)| at.elapsed() < TOKEN_CACHE_TTL);
            if entries.len() >= TOKEN_CACHE_MAX {
                entries.clear();
            }
        }
        entries.insert(hash, (workspace, Instant::now()));
    }
}

pub async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    let header = request
        .headers()
        .get(AUTHORIZATION)
        .ok_or(ApiError::Unauthorized(
            "send an API token as `Authorization: Bearer <token>`",
        ))?;
    let token = header
        .to_str()
        .ok()
        .and_then(|h| {
            h.strip_prefix("Bearer ")
                .or_else(|| h.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or(ApiError::Unauthorized(
            "the Authorization header must be `Bearer <token>`",
        ))?;
    let hash = hash_token(token);
    let (workspace, caller) = match state.tokens.get(&hash) {
        Some(w) => w,
        None => {
            let (w, label) = state
                .store
                .workspace_for_token(&hash)
                .await?
                .ok_or(ApiError::Unauthorized("unknown API token"))?;
            let found = (w, Caller { token: label });
            state.tokens.put(hash, found.clone());
            found
        }
    };
    request.extensions_mut().insert(workspace);
    request.extensions_mut().insert(caller);
    Ok(next.run(request).await)
}
