//! Contacts: the people behind conversations, with their identities across channels; merging
//! two that are one person, and undoing a merge.

use crate::error::ApiError;
use crate::extract::{Path, Query};
use crate::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use earshot_core::store::{ContactQuery, Page};
use earshot_core::{Contact, ContactId, ContactMerge, ContactProfile, Workspace};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contacts", get(list))
        .route("/contacts/{id}", get(show).patch(update).delete(erase))
        .route("/privacy/log", get(privacy_log))
        .route("/privacy/retention", get(retention).put(set_retention))
        .route("/contacts/{id}/merge", post(merge))
        .route("/contacts/{id}/merges", get(merges))
        .route("/contacts/{id}/export", get(export))
        .route("/contacts/{id}/consent", get(consent))
        .route("/contacts/{id}/preference-link", post(preference_link))
        .route("/contacts/{id}/suggestions", get(suggestions))
        .route(
            "/contacts/{id}/suggestions/{other_id}/reject",
            post(reject_suggestion),
        )
        .route("/contacts/merges/{merge_id}/undo", post(undo))
        .route("/contacts/matcher/fit", post(fit_matcher))
}

/// `404` naming the contact when the workspace has none with this id.
pub(super) async fn require_contact(
    state: &AppState,
    ws: &Workspace,
    id: i64,
) -> Result<(), ApiError> {
    match state.store.get_contact(ws.id, ContactId(id)).await? {
        Some(_) => Ok(()),
        None => Err(ApiError::NotFound(format!("contact {id} not found"))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MergeBody {
    /// The contact merged into this one.
    other_id: i64,
}

/// Merges `other_id` into this contact: its identities and conversations move here; the
/// answer is the merge, with what moved (its `id` undoes it).
async fn merge(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    crate::extract::Json(body): crate::extract::Json<MergeBody>,
) -> Result<Json<ContactMerge>, ApiError> {
    Ok(Json(
        state
            .store
            .merge_contacts(
                ws.id,
                ContactId(id),
                ContactId(body.other_id),
                earshot_core::time::now(),
            )
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SuggestionsQuery {
    limit: Option<usize>,
    /// Weaker suggestions too (the default is the matcher's threshold).
    min_score: Option<f64>,
}

/// Contacts that are likely the same person, best first, each with its score and the fields
/// that decided it; accepting one is a merge, rejecting one is remembered.
async fn suggestions(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    Query(q): Query<SuggestionsQuery>,
) -> Result<Json<Vec<earshot_engine::suggestions::Suggested>>, ApiError> {
    let limit = q.limit.unwrap_or(10).clamp(1, 50);
    if q.min_score.is_some_and(|s| !s.is_finite()) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "`min_score` must be a finite number",
        ));
    }
    Ok(Json(
        earshot_engine::suggestions::for_contact(
            state.store.as_ref(),
            ws.id,
            ContactId(id),
            limit,
            q.min_score,
        )
        .await?,
    ))
}

/// Fits the identity matcher on the workspace's own contacts and keeps it for the
/// suggestions; answers what the fit read and did.
async fn fit_matcher(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<Json<earshot_engine::suggestions::Fitted>, ApiError> {
    Ok(Json(
        earshot_engine::suggestions::fit(state.store.as_ref(), ws.id).await?,
    ))
}

/// "Not the same person": the pair is never suggested again. Answers `204`.
async fn reject_suggestion(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path((id, other)): Path<(i64, i64)>,
) -> Result<axum::http::StatusCode, ApiError> {
    earshot_engine::suggestions::reject(
        state.store.as_ref(),
        ws.id,
        ContactId(id),
        ContactId(other),
    )
    .await?;
    Ok(axum::http::StatusCode::NO_CONTENT)
}

/// Gives both contacts back as they were before the merge.
async fn undo(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(merge_id): Path<i64>,
) -> Result<Json<ContactMerge>, ApiError> {
    Ok(Json(
        state
            .store
            .undo_merge(ws.id, merge_id, earshot_core::time::now())
            .await?,
    ))
}

/// The contact's consent ledger, oldest first: every change, how and when it was given.
async fn consent(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<earshot_core::consent::ConsentEvent>>, ApiError> {
    require_contact(&state, &ws, id).await?;
    Ok(Json(
        state.store.consent_ledger(ws.id, ContactId(id)).await?,
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    /// How long the link works, in days (1 to 90; default 30).
    days: Option<u32>,
}

#[derive(Debug, serde::Serialize)]
struct LinkView {
    url: String,
    expires_at: earshot_core::time::Timestamp,
}

/// A signed link to the customer's preference page (no account needed; it expires), to send
/// them in a reply.
async fn preference_link(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Json<LinkView>, ApiError> {
    // The body is optional: no body, the default.
    let body: LinkBody = if body.iter().all(u8::is_ascii_whitespace) {
        LinkBody::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| ApiError::bad_request("invalid_json", format!("the body: {e}")))?
    };
    let days = body
        .days
        .unwrap_or(earshot_core::preferences::DEFAULT_LINK_DAYS);
    if !(1..=earshot_core::preferences::MAX_LINK_DAYS).contains(&days) {
        return Err(ApiError::Unprocessable(format!(
            "`days` must be between 1 and {}, not {days}",
            earshot_core::preferences::MAX_LINK_DAYS
        )));
    }
    match state.store.get_contact(ws.id, ContactId(id)).await? {
        Some(p) if p.contact.merged_into.is_none() && !p.contact.brand => {}
        Some(p) if p.contact.brand => {
            return Err(ApiError::Unprocessable(format!(
                "contact {id} is one of the brand's own accounts, not a customer"
            )))
        }
        Some(p) => {
            return Err(ApiError::Conflict(format!(
                "contact {id} was merged into contact {}; ask for that one's link",
                p.contact.merged_into.map_or(0, |c| c.0)
            )))
        }
        None => return Err(ApiError::NotFound(format!("contact {id} not found"))),
    }
    let (url, expires_at) = state.channels.preference_link(ws.id, ContactId(id), days);
    Ok(Json(LinkView { url, expires_at }))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EraseQuery {
    #[serde(default)]
    erase: bool,
}

/// The right to erasure: everything held about the person is deleted, for good; only a
/// salted hash of each identity stays, so their messages are not stored again.
async fn erase(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Extension(caller): Extension<crate::auth::Caller>,
    Path(id): Path<i64>,
    Query(q): Query<EraseQuery>,
) -> Result<Json<earshot_core::privacy::Erasure>, ApiError> {
    if !q.erase {
        return Err(ApiError::bad_request(
            "erase_not_confirmed",
            "deleting a contact erases everything held about the person and cannot be undone: \
             confirm with `?erase=true`",
        ));
    }
    Ok(Json(
        earshot_engine::privacy::erase(state.store.as_ref(), ws.id, ContactId(id), &caller.actor())
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RetentionBody {
    /// Keep messages this many days (1 to 36,500); `null` removes the policy. Required.
    #[serde(default, with = "earshot_core::patch")]
    days: Option<Option<u32>>,
    /// One channel's own policy, overriding the workspace's; absent: every channel.
    #[serde(default)]
    channel_id: Option<i64>,
}

/// How long the workspace keeps messages: its policy, and any channel's own.
async fn retention(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
) -> Result<Json<Vec<earshot_core::privacy::RetentionPolicy>>, ApiError> {
    Ok(Json(state.store.retention_policies(ws.id).await?))
}

/// Sets or removes a retention policy; the timer worker deletes older messages (and the
/// conversations they leave empty) in bounded batches.
async fn set_retention(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    crate::extract::Json(body): crate::extract::Json<RetentionBody>,
) -> Result<Json<Vec<earshot_core::privacy::RetentionPolicy>>, ApiError> {
    let Some(days) = body.days else {
        return Err(ApiError::Unprocessable(
            "`days` is required: a number of days, or null to remove the policy".into(),
        ));
    };
    if let Some(days) = days {
        if !(1..=36_500).contains(&days) {
            return Err(ApiError::Unprocessable(format!(
                "`days` must be between 1 and 36500, not {days}"
            )));
        }
    }
    let channel = match body.channel_id {
        None => None,
        Some(id) => {
            let known = state.store.list_channels(ws.id).await?;
            if !known.iter().any(|c| c.id.0 == id) {
                return Err(ApiError::NotFound(format!("channel {id} not found")));
            }
            Some(earshot_core::ChannelId(id))
        }
    };
    state.store.set_retention(ws.id, channel, days).await?;
    Ok(Json(state.store.retention_policies(ws.id).await?))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LogQuery {
    limit: Option<u32>,
}

/// Every privacy action (exports, erasures), newest first: who, when, and counts.
async fn privacy_log(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(q): Query<LogQuery>,
) -> Result<Json<Vec<earshot_core::privacy::PrivacyEvent>>, ApiError> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    Ok(Json(state.store.privacy_log(ws.id, limit).await?))
}

/// Everything held about the person (their right of access), as a JSON download.
async fn export(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Extension(caller): Extension<crate::auth::Caller>,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    let doc = earshot_engine::privacy::export(
        state.store.as_ref(),
        ws.id,
        ContactId(id),
        &caller.actor(),
    )
    .await?;
    Ok((
        [(
            axum::http::header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"contact-{id}.json\""),
        )],
        Json(doc),
    )
        .into_response())
}

/// The merges a contact took part in, newest first.
async fn merges(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<Json<Vec<ContactMerge>>, ApiError> {
    require_contact(&state, &ws, id).await?;
    Ok(Json(
        state.store.contact_merges(ws.id, ContactId(id)).await?,
    ))
}

/// Opt-out of engagement, tier and value (from the brand's own systems).
async fn update(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
    crate::extract::Json(body): crate::extract::Json<earshot_core::ContactPatch>,
) -> Result<Json<Contact>, ApiError> {
    Ok(Json(
        state
            .store
            .update_contact(ws.id, ContactId(id), &body)
            .await?,
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ListParams {
    cursor: Option<String>,
    limit: Option<u32>,
    /// Name, handle, email address or phone number, or part of one.
    q: Option<String>,
}

async fn list(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(params): Query<ListParams>,
) -> Result<Json<Page<Contact>>, ApiError> {
    let after = params
        .cursor
        .map(|c| {
            c.parse().map(ContactId).map_err(|_| {
                ApiError::bad_request(
                    "invalid_query",
                    format!("cursor `{c}` is not one this API handed out"),
                )
            })
        })
        .transpose()?;
    if params.q.as_deref().is_some_and(|q| q.chars().count() > 200) {
        return Err(ApiError::bad_request(
            "invalid_query",
            "q: at most 200 characters",
        ));
    }
    let query = ContactQuery {
        after,
        limit: params.limit.unwrap_or(50),
        search: params.q.filter(|q| !q.trim().is_empty()),
    };
    Ok(Json(state.store.list_contacts(ws.id, &query).await?))
}

/// A contact as the customer panel shows it: identities, identifiers, and their orders.
#[derive(Debug, serde::Serialize)]
struct ContactView {
    #[serde(flatten)]
    profile: ContactProfile,
    /// Lifetime value per currency, order count, last order, open orders.
    orders: earshot_core::orders::OrderSummary,
    /// The latest orders (all of them: `GET /contacts/{id}/orders`).
    recent_orders: Vec<earshot_core::orders::Order>,
    /// Each purpose's state, from the consent ledger.
    purposes: Vec<earshot_core::preferences::PurposeState>,
}

async fn show(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Path(id): Path<i64>,
) -> Result<Json<ContactView>, ApiError> {
    let profile = state
        .store
        .get_contact(ws.id, ContactId(id))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("contact {id} not found")))?;
    let (recent_orders, orders) = state.store.contact_orders(ws.id, ContactId(id), 10).await?;
    let ledger = state.store.consent_ledger(ws.id, ContactId(id)).await?;
    Ok(Json(ContactView {
        profile,
        orders,
        recent_orders,
        purposes: earshot_core::preferences::current(&ledger, None),
    }))
}
