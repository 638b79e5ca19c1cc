//! `GET /reports/staffing?channel=&from=&target=&occupancy=&shrinkage=&concurrency=`: the
//! agents each owned channel needs per half-hour of a week (`earshot_engine::staffing`), beside
//! the agents Earshot has, with the expected SLA compliance when staffed as they are.
//!
//! - `channel`: a channel id, or a kind (`email`: the workspace's first owned channel of it);
//!   every owned channel with conversations in the weeks read by default.
//! - `from`: the day the week starts (UTC, `2026-12-07`); by default the Monday after the
//!   newest conversation (for a live workspace, the coming week).
//! - `target` (0.8), `occupancy` (0.85), `shrinkage` (0.3): shares; `concurrency`: the
//!   conversations an agent works at once on every channel planned (1–20; each kind's
//!   default otherwise).

use crate::error::ApiError;
use crate::extract::Query;
use crate::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Extension, Json, Router};
use chrono::{Datelike, NaiveDate};
use earshot_core::staffing::Targets;
use earshot_core::time::Timestamp;
use earshot_core::{ChannelId, Workspace, WorkspaceId};
use earshot_engine::staffing::{Params, Plan};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route("/reports/staffing", get(staffing))
}

/// The method, said with every plan.
pub(crate) const METHOD: &str = "arrivals: conversations begun per half-hour, forecast as the mean of the same half-hour of the week over the previous 4 weeks times the newest complete week's total over their mean (bounded to 0.67–1.5); handle time: over the newest 7 days, replies within 15 minutes of the customer's message timed as work, times replies per conversation; agents needed: the least N with Erlang C's SL(t) = 1 − P_wait·e^(−(N−A)·t/AHT) at least the target and occupancy at most the cap, an agent working `concurrency` conversations as that many servers, then divided by (1 − shrinkage); t is the SLA policy's first-response target";

/// The query, as both the API and the page take it; each value is checked by name.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct StaffingQuery {
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default)]
    pub occupancy: Option<String>,
    #[serde(default)]
    pub shrinkage: Option<String>,
    #[serde(default)]
    pub concurrency: Option<String>,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn share(field: &str, v: &Option<String>, default: f64) -> Result<f64, String> {
    match given(v) {
        None => Ok(default),
        Some(s) => s
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("`{field}`: `{s}` is not a number like 0.8")),
    }
}

/// Checks the query and makes the plan; a bad value is an error naming its parameter.
pub(crate) async fn plan_for(
    state: &AppState,
    ws: WorkspaceId,
    q: &StaffingQuery,
) -> Result<Result<Plan, String>, earshot_core::StoreError> {
    let defaults = Params::default();
    let params = match (|| -> Result<Params, String> {
        let p = Params {
            target: share("target", &q.target, defaults.target)?,
            occupancy: share("occupancy", &q.occupancy, defaults.occupancy)?,
            shrinkage: share("shrinkage", &q.shrinkage, defaults.shrinkage)?,
            concurrency: match given(&q.concurrency) {
                None => None,
                Some(s) => Some(
                    s.parse::<u32>()
                        .ok()
                        .filter(|k| (1..=20).contains(k))
                        .ok_or_else(|| {
                            format!("`concurrency`: `{s}` is not a whole number from 1 to 20")
                        })?,
                ),
            },
        };
        // Any answer time passes here; the policy's is checked with the plan.
        Targets::new(p.target, 1.0, p.occupancy, p.shrinkage)?;
        Ok(p)
    })() {
        Ok(p) => p,
        Err(m) => return Ok(Err(m)),
    };
    let channel = match given(&q.channel) {
        None => None,
        Some(c) => {
            let channels = state.store.list_channels(ws).await?;
            let found = match c.parse::<i64>() {
                Ok(id) => channels.iter().find(|ch| ch.id == ChannelId(id)),
                Err(_) => channels
                    .iter()
                    .filter(|ch| ch.role == earshot_core::ChannelRole::Owned)
                    .find(|ch| ch.kind.as_str() == c),
            };
            match found {
                Some(ch) => Some(ch.id),
                None => {
                    return Ok(Err(format!(
                        "`channel`: no channel `{c}` in this workspace (give an id or a kind such as email)"
                    )))
                }
            }
        }
    };
    let now = earshot_core::time::now();
    let week_start = match given(&q.from) {
        Some(f) => match NaiveDate::parse_from_str(f, "%Y-%m-%d") {
            Ok(d) => d.and_hms_opt(0, 0, 0).expect("midnight exists").and_utc(),
            Err(_) => return Ok(Err(format!("`from`: `{f}` is not a date like 2026-12-07"))),
        },
        None => {
            let last = state.store.last_activity(ws).await?;
            monday_after(last.unwrap_or(now).min(now))
        }
    };
    earshot_engine::staffing::plan(state.store.as_ref(), ws, week_start, now, channel, &params)
        .await
        .map(Ok)
}

/// Midnight UTC of the first Monday after `t`'s day.
pub(crate) fn monday_after(t: Timestamp) -> Timestamp {
    let day = t.date_naive();
    let ahead = 7 - i64::from(day.weekday().num_days_from_monday());
    (day + chrono::Duration::days(ahead))
        .and_hms_opt(0, 0, 0)
        .expect("midnight exists")
        .and_utc()
}

async fn staffing(
    State(state): State<AppState>,
    Extension(ws): Extension<Workspace>,
    Query(q): Query<StaffingQuery>,
) -> Result<Json<Value>, ApiError> {
    let plan = plan_for(&state, ws.id, &q)
        .await?
        .map_err(|message| ApiError::BadRequest {
            code: "invalid_query",
            message,
        })?;
    let mut body = serde_json::to_value(&plan).map_err(|e| ApiError::Internal(e.to_string()))?;
    body["method"] = json!(METHOD);
    Ok(Json(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_coming_week_starts_the_monday_after() {
        let at = |s: &str| chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc();
        // 2026-12-04 is a Friday, 2026-12-07 a Monday.
        assert_eq!(
            monday_after(at("2026-12-04T18:00:00Z")),
            at("2026-12-07T00:00:00Z")
        );
        assert_eq!(
            monday_after(at("2026-12-07T00:00:00Z")),
            at("2026-12-14T00:00:00Z")
        );
    }
}
