//! "Same person?" suggestions for one contact: the contacts sharing a blocking key with it
//! (from the store, so the cost grows with the candidates, not with the workspace), scored
//! by the Fellegi–Sunter matcher of [`earshot_core::identity`] with the parameters [`fit`]
//! on the workspace's own contacts (or the documented defaults before a fit), each with the
//! fields that decided it. An agent accepts one by merging, or rejects it, which is remembered.

use earshot_core::identity::{
    Matcher, Parameters, Part, DEFAULT_THRESHOLD, MAX_BLOCK, MIN_FIT_RECORDS,
};
use earshot_core::store::{ContactQuery, StoreResult};
use earshot_core::{Contact, ContactId, Store, StoreError, WorkspaceId};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

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

/// The matchers built from stored parameters, by workspace, with the fit time they came from
/// (a new fit replaces them at the next suggestion).
type Cache = Mutex<HashMap<WorkspaceId, (i64, Arc<Matcher>)>>;

fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

/// The matcher a workspace's suggestions score with: the parameters fitted on its own
/// contacts ([`fit`]), or the documented defaults ([`Parameters::default`]) before a fit.
pub async fn matcher(store: &dyn Store, ws: WorkspaceId) -> StoreResult<Arc<Matcher>> {
    let cached = cache().lock().expect("matcher cache").get(&ws).cloned();
    let known = cached
        .as_ref()
        .map(|(at, _)| earshot_core::time::from_millis(*at));
    let Some((json, _, at)) = store.match_parameters(ws, known).await? else {
        return Ok(Arc::new(Matcher::with_parameters(Parameters::default())));
    };
    let json = match (json, cached) {
        (Some(json), _) => json,
        // The cached fit is still the newest.
        (None, Some((_, m))) => return Ok(m),
        (None, None) => {
            return Err(StoreError::Invalid(
                "stored matcher parameters came without their JSON".into(),
            ))
        }
    };
    let parameters: Parameters = serde_json::from_str(&json)
        .map_err(|e| StoreError::Invalid(format!("stored matcher parameters: {e}")))?;
    let m = Arc::new(Matcher::with_parameters(parameters));
    cache()
        .lock()
        .expect("matcher cache")
        .insert(ws, (at.timestamp_millis(), m.clone()));
    Ok(m)
}

/// What a fit did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fitted {
    /// Customer contacts read.
    pub records: u64,
    /// Candidate pairs EM ran over, and its iterations (0: too few contacts, the defaults
    /// stay).
    pub pairs: usize,
    pub iterations: usize,
    pub seconds: f64,
}

/// Fits the matcher's m, u, prior and name frequencies on every customer contact of the
/// workspace (EM over the blocked candidate pairs, on a blocking thread) and keeps them for
/// its suggestions. Fewer than [`MIN_FIT_RECORDS`] contacts keep the defaults.
pub async fn fit(store: &dyn Store, ws: WorkspaceId) -> StoreResult<Fitted> {
    let started = std::time::Instant::now();
    let mut records = Vec::new();
    let mut after = None;
    loop {
        let page = store
            .list_contacts(
                ws,
                &ContactQuery {
                    after,
                    limit: earshot_core::store::MAX_PAGE,
                    search: None,
                },
            )
            .await?;
        let ids: Vec<ContactId> = page.items.iter().map(|c| c.id).collect();
        records.extend(store.person_records(ws, &ids).await?);
        match page.next_cursor.as_deref().and_then(|c| c.parse().ok()) {
            Some(next) => after = Some(ContactId(next)),
            None => break,
        }
    }
    let count = records.len() as u64;
    if records.len() < MIN_FIT_RECORDS {
        return Ok(Fitted {
            records: count,
            pairs: 0,
            iterations: 0,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    let matcher = tokio::task::spawn_blocking(move || Matcher::fit(&records))
        .await
        .map_err(|e| StoreError::Invalid(format!("the fit stopped: {e}")))?;
    let p = matcher.parameters();
    let json = serde_json::to_string(p).expect("parameters serialize");
    store
        .save_match_parameters(ws, &json, count, earshot_core::time::now())
        .await?;
    Ok(Fitted {
        records: count,
        pairs: p.pairs,
        iterations: p.iterations,
        seconds: started.elapsed().as_secs_f64(),
    })
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
    let scored =
        matcher(store, ws)
            .await?
            .candidates(me, others, min_score.unwrap_or(DEFAULT_THRESHOLD));
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
