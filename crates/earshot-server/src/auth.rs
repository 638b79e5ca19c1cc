//! Bearer-token authentication for `/api/v1`: the token's hash names the workspace the request
//! acts in, which handlers read from the request's extensions.

use crate::error::ApiError;
use crate::AppState;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use earshot_core::auth::hash_token;

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
    let workspace = state
        .store
        .workspace_for_token(&hash_token(token))
        .await?
        .ok_or(ApiError::Unauthorized("unknown API token"))?;
    request.extensions_mut().insert(workspace);
    Ok(next.run(request).await)
}
