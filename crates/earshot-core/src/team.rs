//! The people who answer: agents, grouped in teams.

use crate::{AgentId, TeamId, WorkspaceId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub id: TeamId,
    pub workspace_id: WorkspaceId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agent {
    pub id: AgentId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub email: String,
    pub team_id: Option<TeamId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct NewAgent {
    pub name: String,
    pub email: String,
    pub team_id: Option<TeamId>,
}
