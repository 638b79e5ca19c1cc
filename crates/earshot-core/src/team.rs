//! The people who answer: agents, grouped in teams, with what assignment needs to know about
//! them (skills, capacity, availability; the team's strategy). See [`crate::assign`].

use crate::assign::{Availability, Skills, Strategy};
use crate::time::Timestamp;
use crate::{AgentId, TeamId, WorkspaceId};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Team {
    pub id: TeamId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    /// How the team's conversations are handed to its agents.
    pub strategy: Strategy,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agent {
    pub id: AgentId,
    pub workspace_id: WorkspaceId,
    pub name: String,
    pub email: String,
    pub team_id: Option<TeamId>,
    pub skills: Skills,
    /// Most open conversations assignment gives them.
    pub capacity: u32,
    pub availability: Availability,
    pub last_assigned_at: Option<Timestamp>,
}

/// Default capacity of a new agent.
pub const DEFAULT_CAPACITY: u32 = 10;

fn default_capacity() -> u32 {
    DEFAULT_CAPACITY
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAgent {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub team_id: Option<TeamId>,
    #[serde(default)]
    pub skills: Skills,
    #[serde(default = "default_capacity")]
    pub capacity: u32,
    #[serde(default)]
    pub availability: Availability,
}

impl NewAgent {
    pub fn new(name: &str, email: &str, team_id: Option<TeamId>) -> Self {
        Self {
            name: name.into(),
            email: email.into(),
            team_id,
            skills: Skills::default(),
            capacity: DEFAULT_CAPACITY,
            availability: Availability::Online,
        }
    }
}

/// A change to an agent; absent fields stay as they are (`team_id: null` leaves the team).
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentPatch {
    #[serde(default, with = "crate::patch")]
    pub team_id: Option<Option<TeamId>>,
    pub skills: Option<Skills>,
    pub capacity: Option<u32>,
    pub availability: Option<Availability>,
}
