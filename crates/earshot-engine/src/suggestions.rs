//! "Same person?" suggestions for one contact: the contacts sharing a blocking key with it
//! (from the store, so the cost grows with the candidates, not with the workspace), scored
//! by the Fellegi–Sunter matcher of [`earshot_core::identity`], each with the fields that
//! decided it. An agent accepts one by merging, or rejects it, which is remembered.

use earshot_core::identity::{Matcher, Parameters, Part, DEFAULT_THRESHOLD, MAX_BLOCK};
use earshot_core::store::StoreResult;
use earshot_core::{Contact, ContactId, Store, StoreError, WorkspaceId};
use serde::Serialize;

/// Candidates fetched per contact, most shared keys first.
pub const MAX_CANDIDATES: u32 = 50;

/// One suggested contact.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggested {
    pub contact: Contact,
    /// The Fellegi–Sunter weight: the log2 likelihood ratio that both are one person.
    pub score: f64,
    /// Each field's part of the score, largest first ("name nearly equal +6.1").
    pub parts: Vec<Part>,
    /// They have two different email addresses or phone numbers: perhaps two people, so
    /// nothing merges them automatically.
    pub conflict: bool,
}

/// The matcher the suggestions score with: the documented default parameters (see
/// [`Parameters::default`]) until a workspace's own are fitted and stored.
pub fn matcher() -> Matcher {
    Matcher::with_parameters(Parameters::default())
}

/// The contacts that are likely the same person as `id` (scoring at least `min_score`, by
/// default [`DEFAULT_THRESHOLD`]), best first, at most `limit`.
pub async fn for_contact(
    store: &dyn Store,
    ws: WorkspaceId,
    id: ContactId,
    limit: usize,
    min_score: Option<f64>,
) -> StoreResult<Vec<Suggested>> {
    let Some(profile) = store.get_contact(ws, id).await? else {
        return Err(StoreError::NotFound {
            what: "contact",
            id: id.0,
        });
    };
    if profile.contact.merged_into.is_some() || profile.contact.brand {
        return Ok(Vec::new());
    }
    let candidates = store
        .match_candidates(ws, id, MAX_BLOCK, MAX_CANDIDATES)
        .await?;
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let mut ids = vec![id];
    ids.extend(&candidates);
    let records = store.person_records(ws, &ids).await?;
    let Some((me, others)) = records.split_first().filter(|(me, _)| me.id == id.0) else {
        return Ok(Vec::new());
    };
    let scored = matcher().candidates(me, others, min_score.unwrap_or(DEFAULT_THRESHOLD));
    let mut out = Vec::with_capacity(scored.len().min(limit));
    for s in scored.into_iter().take(limit) {
        if let Some(p) = store.get_contact(ws, ContactId(s.b)).await? {
            out.push(Suggested {
                contact: p.contact,
                score: s.weight,
                parts: s.parts,
                conflict: s.conflict,
            });
        }
    }
    Ok(out)
}

/// Remembers an agent's "not the same person": the pair is never suggested again.
pub async fn reject(
    store: &dyn Store,
    ws: WorkspaceId,
    id: ContactId,
    other: ContactId,
) -> StoreResult<()> {
    if id == other {
        return Err(StoreError::Invalid(format!(
            "contact {} cannot be rejected as a match of itself",
            id.0
        )));
    }
    for c in [id, other] {
        if store.get_contact(ws, c).await?.is_none() {
            return Err(StoreError::NotFound {
                what: "contact",
                id: c.0,
            });
        }
    }
    store
        .reject_match(ws, id, other, earshot_core::time::now())
        .await
}
