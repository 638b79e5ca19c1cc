//! Conversation changes as the store applies them, worked out in memory before any write:
//! a list of changes (in order, several per conversation) becomes the conversations' final
//! columns, their tag differences and one history event per field that really changed, so
//! that the database sees one statement per kind of write for a whole batch (the shared
//! `changes` queries), not a few per change.

use earshot_core::rules::Actor;
use earshot_core::store::{StoreError, StoreResult};
use earshot_core::time::{from_millis, to_millis, Timestamp};
use earshot_core::workflow::{ChangeRequest, ConversationChange, NewEvent};
use earshot_core::{Conversation, ConversationId, ConversationStatus};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// The columns a set of changes writes on one conversation; `None`: left as stored.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Columns {
    pub status: Option<String>,
    pub assignee: Option<Option<i64>>,
    pub team: Option<Option<i64>>,
    pub priority: Option<i32>,
    pub priority_detail: Option<String>,
    pub snoozed_until: Option<Option<i64>>,
    pub sla_due_at: Option<Option<i64>>,
    pub sla_warn_at: Option<Option<i64>>,
    pub resolution_due_at: Option<Option<i64>>,
    pub sla_remaining_ms: Option<Option<i64>>,
    pub sla_policy: Option<Option<i64>>,
}

/// One change's outcome: the conversation before and after it, its tags after it, and the
/// events to record (in order) with the change's actor.
#[derive(Debug, Clone)]
pub(crate) struct Applied {
    pub before: Conversation,
    pub after: Conversation,
    pub tags: Vec<String>,
    pub actor: Actor,
    pub events: Vec<NewEvent>,
}

/// Everything a list of changes writes.
#[derive(Debug, Default)]
pub(crate) struct Writes {
    pub applied: Vec<Applied>,
    /// Per conversation that any change touched a column of.
    pub columns: BTreeMap<i64, Columns>,
    pub add_tags: BTreeSet<(i64, String)>,
    pub remove_tags: BTreeSet<(i64, String)>,
    /// Agents newly given a conversation.
    pub assigned_agents: BTreeSet<i64>,
}

pub(crate) fn normalize_tag(t: &str) -> StoreResult<String> {
    let t = t.trim().to_lowercase();
    if t.is_empty() || t.len() > 64 {
        return Err(StoreError::Invalid("a tag is 1 to 64 characters".into()));
    }
    Ok(t)
}

/// The agents, teams and SLA policies the changes name (to check they exist): (table, what
/// one row is called in an error, ids).
pub(crate) fn references(
    items: &[ChangeRequest],
) -> [(&'static str, &'static str, BTreeSet<i64>); 3] {
    let mut agents = BTreeSet::new();
    let mut teams = BTreeSet::new();
    let mut policies = BTreeSet::new();
    for c in items.iter().map(|i| &i.change) {
        if let Some(Some(a)) = c.assignee {
            agents.insert(a.0);
        }
        if let Some(Some(t)) = c.team {
            teams.insert(t.0);
        }
        if let Some(Some(p)) = c.sla_policy {
            policies.insert(p);
        }
    }
    [
        ("agents", "agent", agents),
        ("teams", "team", teams),
        ("sla_policies", "SLA policy", policies),
    ]
}

/// Applies `items` in order to the conversations as stored (`current`, with their tags) at
/// `at`. Fails, writing nothing, on a change that is not valid (a priority out of range, a
/// bad tag, a conversation that is not there).
pub(crate) fn plan(
    items: &[ChangeRequest],
    mut current: HashMap<ConversationId, (Conversation, Vec<String>)>,
    at: Timestamp,
) -> StoreResult<Writes> {
    let at = from_millis(to_millis(at));
    let original_tags: HashMap<ConversationId, Vec<String>> = current
        .iter()
        .map(|(id, (_, tags))| (*id, tags.clone()))
        .collect();
    let mut writes = Writes::default();
    for item in items {
        let id = item.conversation;
        let (before, tags_before) = current.get(&id).cloned().ok_or(StoreError::NotFound {
            what: "conversation",
            id: id.0,
        })?;
        let change = &item.change;
        if let Some(p) = change.priority {
            if !(0..=100).contains(&p) {
                return Err(StoreError::Invalid("priority is 0 to 100".into()));
            }
        }
        let mut after = before.clone();
        let touched = apply_columns(change, &mut after, writes.columns.entry(id.0).or_default());
        if touched {
            after.updated_at = at;
        }
        let mut tags = tags_before.clone();
        for t in &change.add_tags {
            let t = normalize_tag(t)?;
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        for t in &change.remove_tags {
            let t = normalize_tag(t)?;
            tags.retain(|x| *x != t);
        }
        tags.sort();
        let mut events = field_events(&before, &after, &tags_before, &tags, change);
        events.extend(item.extra.iter().cloned());
        if let (Some(agent), true) = (after.assignee_id, before.assignee_id != after.assignee_id) {
            writes.assigned_agents.insert(agent.0);
        }
        current.insert(id, (after.clone(), tags.clone()));
        writes.applied.push(Applied {
            before,
            after,
            tags,
            actor: item.actor,
            events,
        });
    }
    writes.columns.retain(|_, c| *c != Columns::default());
    // Tags: the difference between what was stored and where the changes left them.
    for (id, original) in &original_tags {
        let (_, now) = &current[id];
        for t in now.iter().filter(|t| !original.contains(t)) {
            writes.add_tags.insert((id.0, t.clone()));
        }
        for t in original.iter().filter(|t| !now.contains(t)) {
            writes.remove_tags.insert((id.0, t.clone()));
        }
    }
    Ok(writes)
}

/// Sets the columns `change` writes (later changes of the same conversation win) and updates
/// `after`; true when the change writes any column.
fn apply_columns(
    change: &ConversationChange,
    after: &mut Conversation,
    cols: &mut Columns,
) -> bool {
    let mut touched = false;
    if let Some(s) = change.status {
        cols.status = Some(s.as_str().to_string());
        after.status = s;
        touched = true;
    }
    if let Some(a) = change.assignee {
        cols.assignee = Some(a.map(|a| a.0));
        after.assignee_id = a;
        touched = true;
    }
    if let Some(t) = change.team {
        cols.team = Some(t.map(|t| t.0));
        after.team_id = t;
        touched = true;
    }
    if let Some(p) = change.priority {
        cols.priority = Some(p);
        after.priority = p;
        touched = true;
    }
    if let Some(d) = &change.priority_detail {
        cols.priority_detail = Some(serde_json::to_string(d).expect("a priority serializes"));
        touched = true;
    }
    if let Some(s) = change.snoozed_until {
        cols.snoozed_until = Some(s.map(to_millis));
        touched = true;
    }
    if let Some(d) = change.sla_due_at {
        cols.sla_due_at = Some(d.map(to_millis));
        if d.is_none() && change.sla_warn_at.is_none() {
            cols.sla_warn_at = Some(None);
        }
        after.sla_due_at = d.map(|d| from_millis(to_millis(d)));
        touched = true;
    }
    if let Some(r) = change.resolution_due_at {
        cols.resolution_due_at = Some(r.map(to_millis));
        touched = true;
    } else if change.status == Some(ConversationStatus::Resolved) {
        cols.resolution_due_at = Some(None);
    }
    if let Some(w) = change.sla_warn_at {
        cols.sla_warn_at = Some(w.map(to_millis));
        touched = true;
    }
    if let Some(r) = change.sla_remaining {
        cols.sla_remaining_ms = Some(r.map(|r| r.num_milliseconds()));
        touched = true;
    }
    if let Some(p) = change.sla_policy {
        cols.sla_policy = Some(p);
        touched = true;
    }
    touched
}

/// Folds what ingest decided earlier in the same unit into these changes: where a change
/// records a new priority or SLA due time of a conversation whose ingest event for that field
/// is still held, the two become one event, from the value before the batch to the one
/// decided (and none at all when the decision put it back), and the held one is dropped.
pub(crate) fn fold_held(applied: &mut [Applied], held: &mut Vec<crate::ingest::EventRow>) {
    if held.is_empty() {
        return;
    }
    let index: HashMap<(i64, &'static str), usize> = held
        .iter()
        .enumerate()
        .map(|(n, h)| ((h.0, h.2), n))
        .collect();
    let mut taken = vec![false; held.len()];
    for a in applied.iter_mut() {
        let conversation = a.after.id.0;
        a.events.retain_mut(|e| {
            if !matches!(e.kind, "priority_changed" | "sla_due") {
                return true;
            }
            let Some(&n) = index.get(&(conversation, e.kind)) else {
                return true;
            };
            if std::mem::replace(&mut taken[n], true) {
                return true;
            }
            let from = serde_json::from_str::<serde_json::Value>(&held[n].3)
                .ok()
                .and_then(|mut d| d.get_mut("from").map(serde_json::Value::take))
                .unwrap_or_default();
            e.data["from"] = from;
            e.data["from"] != e.data["to"]
        });
    }
    let mut n = 0;
    held.retain(|_| {
        n += 1;
        !taken[n - 1]
    });
}

/// Folds repeated decisions within one list of changes: when the same actor changes a
/// conversation's priority or SLA due time more than once (the decide stage's rules, then its
/// priority adjustment), the last event keeps the first one's `from` and the earlier ones go
/// (all of them when the value ends where it started).
pub(crate) fn fold_repeats(applied: &mut [Applied]) {
    // (conversation, kind, actor) → (change, event) of the newest such event so far.
    let mut last: HashMap<(i64, &'static str, Actor), (usize, usize)> = HashMap::new();
    let mut drop: Vec<(usize, usize)> = Vec::new();
    for n in 0..applied.len() {
        let conversation = applied[n].after.id.0;
        let actor = applied[n].actor;
        for k in 0..applied[n].events.len() {
            let kind = applied[n].events[k].kind;
            if !matches!(kind, "priority_changed" | "sla_due") {
                continue;
            }
            if let Some((pn, pk)) = last.insert((conversation, kind, actor), (n, k)) {
                let from = applied[pn].events[pk].data["from"].clone();
                applied[n].events[k].data["from"] = from;
                drop.push((pn, pk));
            }
        }
    }
    if drop.is_empty() {
        return;
    }
    // An event whose value ends where the first one started says nothing either.
    for (n, k) in last.values() {
        let e = &applied[*n].events[*k].data;
        if e["from"] == e["to"] {
            drop.push((*n, *k));
        }
    }
    drop.sort_unstable();
    drop.dedup();
    for (n, k) in drop.into_iter().rev() {
        applied[n].events.remove(k);
    }
}

/// One event per real change of a field.
fn field_events(
    before: &Conversation,
    after: &Conversation,
    tags_before: &[String],
    tags: &[String],
    change: &ConversationChange,
) -> Vec<NewEvent> {
    let mut events = Vec::new();
    if before.status != after.status {
        events.push(NewEvent::new(
            "status_changed",
            json!({"from": before.status, "to": after.status}),
        ));
    }
    if before.assignee_id != after.assignee_id || before.team_id != after.team_id {
        events.push(NewEvent::new(
            "assigned",
            json!({
            "from": {"agent": before.assignee_id, "team": before.team_id},
            "to": {"agent": after.assignee_id, "team": after.team_id}}),
        ));
    }
    if before.priority != after.priority {
        events.push(NewEvent::new(
            "priority_changed",
            json!({"from": before.priority, "to": after.priority}),
        ));
    }
    for t in tags.iter().filter(|t| !tags_before.contains(t)) {
        events.push(NewEvent::new("tagged", json!({"tag": t})));
    }
    for t in tags_before.iter().filter(|t| !tags.contains(t)) {
        events.push(NewEvent::new("untagged", json!({"tag": t})));
    }
    if let Some(Some(until)) = change.snoozed_until {
        events.push(NewEvent::new("snoozed", json!({"until": until})));
    }
    if before.sla_due_at != after.sla_due_at {
        events.push(NewEvent::new(
            "sla_due",
            json!({"from": before.sla_due_at, "to": after.sla_due_at,
            "paused": change.sla_remaining.flatten().map(|r| r.num_seconds())}),
        ));
    }
    if let Some(p) = change.sla_policy {
        events.push(NewEvent::new("sla_policy", json!({"policy_id": p})));
    }
    events
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};
    use earshot_core::{AgentId, ChannelId, ChannelKind, ContactId, TeamId, WorkspaceId};

    fn conversation(id: i64) -> Conversation {
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        Conversation {
            id: ConversationId(id),
            workspace_id: WorkspaceId(1),
            channel_id: ChannelId(1),
            channel_kind: ChannelKind::X,
            contact_id: ContactId(1),
            status: ConversationStatus::New,
            priority: 40,
            assignee_id: None,
            team_id: None,
            message_count: 1,
            first_message_at: t,
            last_message_at: t,
            first_response_at: None,
            waiting_since: Some(t),
            sla_due_at: None,
            created_at: t,
            updated_at: t,
        }
    }

    fn request(id: i64, change: ConversationChange) -> ChangeRequest {
        ChangeRequest {
            conversation: ConversationId(id),
            change,
            actor: Actor::System,
            extra: Vec::new(),
        }
    }

    #[test]
    fn later_changes_see_earlier_ones_and_the_last_write_of_a_column_wins() {
        let current = HashMap::from([(ConversationId(7), (conversation(7), vec!["vip".into()]))]);
        let items = [
            request(
                7,
                ConversationChange {
                    team: Some(Some(TeamId(2))),
                    add_tags: vec!["Billing ".into()],
                    priority: Some(70),
                    ..Default::default()
                },
            ),
            request(
                7,
                ConversationChange {
                    assignee: Some(Some(AgentId(5))),
                    priority: Some(90),
                    remove_tags: vec!["vip".into()],
                    ..Default::default()
                },
            ),
        ];
        let w = plan(&items, current, Utc::now()).unwrap();
        assert_eq!(w.applied[1].before.team_id, Some(TeamId(2)));
        assert_eq!(w.applied[1].before.priority, 70);
        assert_eq!(w.applied[1].after.priority, 90);
        let cols = &w.columns[&7];
        assert_eq!(cols.priority, Some(90));
        assert_eq!(cols.team, Some(Some(2)));
        assert_eq!(cols.assignee, Some(Some(5)));
        assert_eq!(w.applied[0].tags, ["billing", "vip"]);
        assert_eq!(w.applied[1].tags, ["billing"]);
        assert_eq!(w.add_tags, BTreeSet::from([(7, "billing".to_string())]));
        assert_eq!(w.remove_tags, BTreeSet::from([(7, "vip".to_string())]));
        assert_eq!(w.assigned_agents, BTreeSet::from([5]));
        let kinds: Vec<&str> = w.applied[1].events.iter().map(|e| e.kind).collect();
        assert_eq!(kinds, ["assigned", "priority_changed", "untagged"]);
    }

    #[test]
    fn an_invalid_change_fails_the_whole_list() {
        let current = HashMap::from([(ConversationId(1), (conversation(1), vec![]))]);
        let bad = [
            request(
                1,
                ConversationChange {
                    priority: Some(50),
                    ..Default::default()
                },
            ),
            request(
                1,
                ConversationChange {
                    priority: Some(101),
                    ..Default::default()
                },
            ),
        ];
        assert!(plan(&bad, current.clone(), Utc::now()).is_err());
        let missing = [request(2, ConversationChange::default())];
        assert!(matches!(
            plan(&missing, current, Utc::now()),
            Err(StoreError::NotFound { id: 2, .. })
        ));
    }
}
