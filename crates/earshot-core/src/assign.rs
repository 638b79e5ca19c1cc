//! Assignment: which agent of a team gets a conversation, by skill, capacity and availability,
//! and what waits in the team's backlog when nobody can take it. Pure: the [`Desk`] is the
//! state of one workspace's agents and backlogs, and every call returns the assignments it
//! made for the engine to store.
//!
//! - An agent can take a conversation when they are online, below their capacity (open
//!   conversations), in the conversation's team, and have its skills: an agent with languages,
//!   channels or topics listed takes only those (an empty list takes any; a conversation with no
//!   detected language or no topic passes that check).
//! - Least loaded: the fewest open conversations, ties to the agent idle longest (assigned
//!   longest ago), then the lowest id. Round robin: the next eligible agent by id after the one
//!   the team assigned last.
//! - A conversation nobody can take waits in its team's backlog. Whenever an agent frees up
//!   (a conversation of theirs resolved or moved away), comes online or gets more capacity, they
//!   take from the backlog: highest priority first, then longest waiting, then oldest id.

use crate::time::Timestamp;
use crate::{AgentId, ChannelKind, ConversationId, TeamId};
use serde::{Deserialize, Serialize};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    Online,
    Away,
    Offline,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Online => "online",
            Self::Away => "away",
            Self::Offline => "offline",
        }
    }
}

impl FromStr for Availability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Online, Self::Away, Self::Offline]
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown availability `{s}`; expected online, away or offline"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    #[default]
    LeastLoaded,
    RoundRobin,
}

impl Strategy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LeastLoaded => "least_loaded",
            Self::RoundRobin => "round_robin",
        }
    }
}

impl FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::LeastLoaded, Self::RoundRobin]
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or_else(|| format!("unknown strategy `{s}`; expected least_loaded or round_robin"))
    }
}

/// What an agent can handle; an empty list means any.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Skills {
    /// Language codes (`en`, `es`, …), lowercase.
    pub languages: Vec<String>,
    pub channels: Vec<ChannelKind>,
    /// Topic names, lowercase.
    pub topics: Vec<String>,
}

/// An agent as assignment sees them.
#[derive(Debug, Clone, PartialEq)]
pub struct AgentLoad {
    pub id: AgentId,
    pub team: Option<TeamId>,
    pub skills: Skills,
    /// Maximum open conversations.
    pub capacity: u32,
    /// Open conversations assigned now.
    pub open: u32,
    pub availability: Availability,
    /// When they were last given a conversation; `None` sorts as idle longest.
    pub last_assigned_at: Option<Timestamp>,
}

/// A conversation waiting for an agent.
#[derive(Debug, Clone, PartialEq)]
pub struct Waiting {
    pub id: ConversationId,
    pub team: TeamId,
    pub language: Option<String>,
    pub channel: ChannelKind,
    pub topics: Vec<String>,
    pub priority: i32,
    pub waiting_since: Timestamp,
}

impl AgentLoad {
    pub fn has_room(&self) -> bool {
        self.availability == Availability::Online && self.open < self.capacity
    }

    /// Whether this agent has the team and skills for the conversation (availability and
    /// room aside).
    pub fn qualifies(&self, w: &Waiting) -> bool {
        self.team == Some(w.team)
            && (self.skills.channels.is_empty() || self.skills.channels.contains(&w.channel))
            && (self.skills.languages.is_empty()
                || w.language
                    .as_ref()
                    .is_none_or(|l| self.skills.languages.iter().any(|s| s == l)))
            && (self.skills.topics.is_empty()
                || w.topics.is_empty()
                || w.topics.iter().any(|t| self.skills.topics.contains(t)))
    }

    pub fn can_take(&self, w: &Waiting) -> bool {
        self.has_room() && self.qualifies(w)
    }
}

/// Picks an agent for `w` among `agents` (its position), or `None` when nobody can take it.
pub fn choose<'a>(
    agents: impl IntoIterator<Item = &'a AgentLoad>,
    w: &Waiting,
    strategy: Strategy,
    last: Option<AgentId>,
) -> Option<usize> {
    let eligible = agents
        .into_iter()
        .enumerate()
        .filter(|(_, a)| a.can_take(w));
    match strategy {
        Strategy::LeastLoaded => eligible
            .min_by_key(|(_, a)| (a.open, a.last_assigned_at, a.id))
            .map(|(i, _)| i),
        Strategy::RoundRobin => {
            let after = last.map_or(i64::MIN, |a| a.0);
            let mut first: Option<(usize, AgentId)> = None;
            let mut next: Option<(usize, AgentId)> = None;
            for (i, a) in eligible {
                if first.is_none_or(|(_, f)| a.id < f) {
                    first = Some((i, a.id));
                }
                if a.id.0 > after && next.is_none_or(|(_, n)| a.id < n) {
                    next = Some((i, a.id));
                }
            }
            next.or(first).map(|(i, _)| i)
        }
    }
}

/// Backlog order: highest priority, then longest waiting, then oldest id.
type BacklogKey = (Reverse<i32>, Timestamp, ConversationId);

fn key(w: &Waiting) -> BacklogKey {
    (Reverse(w.priority), w.waiting_since, w.id)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Assignment {
    pub conversation: ConversationId,
    pub agent: AgentId,
    pub team: TeamId,
    /// It waited in the backlog before.
    pub from_backlog: bool,
}

#[derive(Debug, Clone, Default)]
struct TeamState {
    strategy: Strategy,
    last: Option<AgentId>,
    backlog: BTreeSet<BacklogKey>,
}

/// One workspace's agents, who has what, and the teams' backlogs.
#[derive(Debug, Clone, Default)]
pub struct Desk {
    agents: Vec<AgentLoad>,
    by_id: HashMap<AgentId, usize>,
    /// Per team: agents' indexes, so a choice looks only at the team.
    members: HashMap<TeamId, Vec<usize>>,
    teams: BTreeMap<TeamId, TeamState>,
    waiting: HashMap<ConversationId, Waiting>,
    /// Open conversations and who has them.
    assigned: HashMap<ConversationId, (AgentId, Waiting)>,
}

impl Desk {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn set_strategy(&mut self, team: TeamId, strategy: Strategy) {
        self.teams.entry(team).or_default().strategy = strategy;
    }

    pub fn agent(&self, id: AgentId) -> Option<&AgentLoad> {
        self.by_id.get(&id).map(|&i| &self.agents[i])
    }
    pub fn agents(&self) -> &[AgentLoad] {
        &self.agents
    }
    pub fn assignee_of(&self, c: ConversationId) -> Option<AgentId> {
        self.assigned.get(&c).map(|(a, _)| *a)
    }
    /// A conversation someone has, as it was when they took it.
    pub fn assigned_conversation(&self, c: ConversationId) -> Option<&Waiting> {
        self.assigned.get(&c).map(|(_, w)| w)
    }
    /// The team's backlog in the order it is served.
    pub fn backlog(&self, team: TeamId) -> Vec<&Waiting> {
        self.teams
            .get(&team)
            .map(|t| t.backlog.iter().map(|k| &self.waiting[&k.2]).collect())
            .unwrap_or_default()
    }
    /// The team whose backlog holds this conversation, if it waits in one.
    pub fn waiting_in(&self, c: ConversationId) -> Option<TeamId> {
        self.waiting.get(&c).map(|w| w.team)
    }

    pub fn backlog_len(&self) -> usize {
        self.waiting.len()
    }

    /// Adds or updates an agent (skills, capacity, availability, team); when that gives them
    /// room, they take from the backlog.
    pub fn upsert_agent(&mut self, agent: AgentLoad, now: Timestamp) -> Vec<Assignment> {
        let id = agent.id;
        match self.by_id.get(&id) {
            Some(&i) => {
                let old_team = self.agents[i].team;
                let open = self.agents[i].open;
                let last = self.agents[i].last_assigned_at;
                self.agents[i] = AgentLoad {
                    open,
                    last_assigned_at: agent.last_assigned_at.or(last),
                    ..agent
                };
                if old_team != self.agents[i].team {
                    if let Some(t) = old_team {
                        if let Some(m) = self.members.get_mut(&t) {
                            m.retain(|&x| x != i);
                        }
                    }
                    if let Some(t) = self.agents[i].team {
                        self.members.entry(t).or_default().push(i);
                    }
                }
            }
            None => {
                let i = self.agents.len();
                if let Some(t) = agent.team {
                    self.members.entry(t).or_default().push(i);
                    self.teams.entry(t).or_default();
                }
                self.by_id.insert(id, i);
                self.agents.push(agent);
            }
        }
        self.drain(id, now)
    }

    pub fn set_availability(
        &mut self,
        agent: AgentId,
        availability: Availability,
        now: Timestamp,
    ) -> Vec<Assignment> {
        let Some(&i) = self.by_id.get(&agent) else {
            return Vec::new();
        };
        self.agents[i].availability = availability;
        self.drain(agent, now)
    }

    /// Records a conversation an agent already has (loading state at start, or a manual
    /// assignment), whether or not it fits their capacity.
    pub fn hold(&mut self, w: Waiting, agent: AgentId) {
        self.remove_waiting(w.id);
        if let Some(&i) = self.by_id.get(&agent) {
            self.agents[i].open += 1;
        }
        self.assigned.insert(w.id, (agent, w));
    }

    /// Routes a conversation to its team: an agent now, or the backlog.
    pub fn route(&mut self, w: Waiting, now: Timestamp) -> Option<Assignment> {
        if self.assigned.contains_key(&w.id) {
            return None;
        }
        self.remove_waiting(w.id);
        let team = self.teams.entry(w.team).or_default();
        let (strategy, last) = (team.strategy, team.last);
        // Only the team's members are looked at.
        let members = self.members.get(&w.team).map(Vec::as_slice).unwrap_or(&[]);
        let picked = choose(members.iter().map(|&i| &self.agents[i]), &w, strategy, last)
            .map(|k| members[k]);
        match picked {
            Some(i) => Some(self.give(i, w, now, false)),
            None => {
                let k = key(&w);
                self.teams.entry(w.team).or_default().backlog.insert(k);
                self.waiting.insert(w.id, w);
                None
            }
        }
    }

    /// A conversation left its agent (resolved, unassigned, moved): they take from the
    /// backlog. Also takes a conversation out of the backlog (resolved while waiting).
    pub fn release(&mut self, c: ConversationId, now: Timestamp) -> Vec<Assignment> {
        self.remove_waiting(c);
        match self.assigned.remove(&c) {
            Some((agent, _)) => {
                if let Some(&i) = self.by_id.get(&agent) {
                    self.agents[i].open = self.agents[i].open.saturating_sub(1);
                }
                self.drain(agent, now)
            }
            None => Vec::new(),
        }
    }

    /// Changes the priority of a waiting conversation (its place in the backlog).
    pub fn reprioritize(&mut self, c: ConversationId, priority: i32) {
        if let Some(mut w) = self.waiting.get(&c).cloned() {
            self.remove_waiting(c);
            w.priority = priority;
            self.teams
                .entry(w.team)
                .or_default()
                .backlog
                .insert(key(&w));
            self.waiting.insert(c, w);
        }
    }

    fn remove_waiting(&mut self, c: ConversationId) {
        if let Some(w) = self.waiting.remove(&c) {
            if let Some(t) = self.teams.get_mut(&w.team) {
                t.backlog.remove(&key(&w));
            }
        }
    }

    fn give(&mut self, i: usize, w: Waiting, now: Timestamp, from_backlog: bool) -> Assignment {
        let agent = &mut self.agents[i];
        agent.open += 1;
        agent.last_assigned_at = Some(now);
        let a = Assignment {
            conversation: w.id,
            agent: agent.id,
            team: w.team,
            from_backlog,
        };
        self.teams.entry(w.team).or_default().last = Some(agent.id);
        self.assigned.insert(w.id, (agent.id, w));
        a
    }

    /// The agent takes from their team's backlog while they have room, in backlog order.
    fn drain(&mut self, agent: AgentId, now: Timestamp) -> Vec<Assignment> {
        let mut out = Vec::new();
        let Some(&i) = self.by_id.get(&agent) else {
            return out;
        };
        let Some(team) = self.agents[i].team else {
            return out;
        };
        while self.agents[i].has_room() {
            let next = self.teams.get(&team).and_then(|t| {
                t.backlog
                    .iter()
                    .find(|k| self.agents[i].qualifies(&self.waiting[&k.2]))
                    .copied()
            });
            let Some(k) = next else { break };
            let w = self.waiting[&k.2].clone();
            self.remove_waiting(w.id);
            out.push(self.give(i, w, now, true));
        }
        out
    }
}
