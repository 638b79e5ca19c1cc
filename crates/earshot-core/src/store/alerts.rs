//! The store's role for emerging-issue alerts: what the timer worker raised (one row per
//! series and hour, so an episode is raised once), and what people did with it.

use super::StoreResult;
use crate::time::Timestamp;
use crate::WorkspaceId;
use async_trait::async_trait;
use serde::Serialize;

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AlertState {
    /// Raised; nobody has looked yet.
    Open,
    /// Someone is on it.
    Acknowledged,
    /// Over (or not an issue).
    Closed,
}

impl AlertState {
    pub fn as_str(self) -> &'static str {
        match self {
            AlertState::Open => "open",
            AlertState::Acknowledged => "acknowledged",
            AlertState::Closed => "closed",
        }
    }
}

impl std::str::FromStr for AlertState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(AlertState::Open),
            "acknowledged" => Ok(AlertState::Acknowledged),
            "closed" => Ok(AlertState::Closed),
            other => Err(format!(
                "`{other}` is not an alert state (open, acknowledged or closed)"
            )),
        }
    }
}

/// An alert as raised: its series, hour, figures and top messages (JSON, as the engine made
/// them).
#[derive(Debug, Clone, PartialEq)]
pub struct NewAlert {
    /// `topic`, `intent` or `channel`.
    pub dimension: String,
    /// The topic's or channel's id, or the intent.
    pub series_key: String,
    pub name: String,
    pub hour: Timestamp,
    pub severity: String,
    pub observed: i64,
    pub expected: f64,
    pub surprise: f64,
    /// The alert as the API shows it (figures, basis, top messages).
    pub detail: serde_json::Value,
}

/// A kept alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoredAlert {
    pub id: i64,
    pub dimension: String,
    pub series_key: String,
    pub name: String,
    pub hour: Timestamp,
    pub severity: String,
    pub observed: i64,
    pub expected: f64,
    pub surprise: f64,
    pub state: AlertState,
    /// The user who acknowledged or closed it, and when.
    pub acknowledged_by: Option<String>,
    pub acknowledged_at: Option<Timestamp>,
    pub closed_by: Option<String>,
    pub closed_at: Option<Timestamp>,
    pub raised_at: Timestamp,
    pub updated_at: Timestamp,
    pub detail: serde_json::Value,
}

#[async_trait]
pub trait AlertStore: Send + Sync {
    /// Keeps what the worker raised: a series' hour raised before is updated (its count
    /// grows through the hour), not raised again. Per alert, its id and whether it is new.
    async fn record_alerts(
        &self,
        workspace: WorkspaceId,
        alerts: &[NewAlert],
    ) -> StoreResult<Vec<(i64, bool)>>;
    /// Alerts newest first, by state.
    async fn list_alerts(
        &self,
        workspace: WorkspaceId,
        state: Option<AlertState>,
        limit: u32,
    ) -> StoreResult<Vec<StoredAlert>>;
    /// A person acknowledges or closes an alert (`NotFound` when it is not the workspace's).
    async fn set_alert_state(
        &self,
        workspace: WorkspaceId,
        id: i64,
        state: AlertState,
        by: &str,
    ) -> StoreResult<StoredAlert>;
    /// Workspaces that received a message since `since` (those worth watching).
    async fn workspaces_active_since(&self, since: Timestamp) -> StoreResult<Vec<WorkspaceId>>;
}
