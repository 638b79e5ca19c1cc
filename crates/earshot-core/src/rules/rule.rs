//! A rule (parsed from its JSON, every problem with its path) and a workspace's rules in
//! their order, evaluated for an event and dry-run.

use super::*;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// A rule as the API takes and returns it (the stored form).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleDraft {
    pub name: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub trigger: Trigger,
    /// `null`/missing: always.
    #[serde(default)]
    pub conditions: Option<Json>,
    pub actions: Vec<Action>,
    #[serde(default)]
    pub stop_processing: bool,
}

fn yes() -> bool {
    true
}

/// A rule ready to run.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub id: i64,
    pub name: String,
    pub enabled: bool,
    pub trigger: Trigger,
    pub condition: Option<Condition>,
    pub actions: Vec<Action>,
    pub stop_processing: bool,
}

impl Rule {
    /// Parses a rule from JSON: every problem is reported with its path.
    pub fn from_json(id: i64, json: &Json) -> Result<(RuleDraft, Rule), Vec<RuleError>> {
        let mut errors = Vec::new();
        let Some(obj) = json.as_object() else {
            return Err(vec![err("", "a rule is a JSON object")]);
        };
        for key in obj.keys() {
            if !matches!(
                key.as_str(),
                "name"
                    | "enabled"
                    | "trigger"
                    | "conditions"
                    | "actions"
                    | "stop_processing"
                    | "id"
                    | "position"
            ) {
                errors.push(err(key, "unknown key"));
            }
        }
        match obj.get("name").and_then(Json::as_str) {
            Some(n) if !n.trim().is_empty() && n.len() <= 200 => {}
            _ => errors.push(err("name", "missing or empty (1 to 200 characters)")),
        }
        match obj.get("trigger") {
            Some(t) => {
                if let Err(e) = serde_json::from_value::<Trigger>(t.clone()) {
                    errors.push(err("trigger", format!("{e}")));
                }
            }
            None => errors.push(err(
                "trigger",
                "missing, e.g. {\"event\": \"message_received\"}",
            )),
        }
        let condition = match obj.get("conditions") {
            None | Some(Json::Null) => None,
            Some(c) => Condition::parse(c, "conditions", &mut errors),
        };
        match obj.get("actions").and_then(Json::as_array) {
            Some(actions) if !actions.is_empty() => {
                for (i, a) in actions.iter().enumerate() {
                    let path = format!("actions[{i}]");
                    match serde_json::from_value::<Action>(a.clone()) {
                        Ok(action) => action.validate(&path, &mut errors),
                        Err(e) => errors.push(err(&path, e.to_string())),
                    }
                }
            }
            _ => errors.push(err("actions", "a rule needs at least one action")),
        }
        for key in ["enabled", "stop_processing"] {
            if obj.get(key).is_some_and(|v| !v.is_boolean()) {
                errors.push(err(key, "expected true or false"));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut draft: RuleDraft =
            serde_json::from_value(json.clone()).map_err(|e| vec![err("", e.to_string())])?;
        if matches!(draft.conditions, Some(Json::Null)) {
            draft.conditions = None;
        }
        let rule = Rule {
            id,
            name: draft.name.clone(),
            enabled: draft.enabled,
            trigger: draft.trigger,
            condition,
            actions: draft.actions.clone(),
            stop_processing: draft.stop_processing,
        };
        Ok((draft, rule))
    }

    pub fn from_draft(id: i64, draft: &RuleDraft) -> Result<Rule, Vec<RuleError>> {
        let json = serde_json::to_value(draft).map_err(|e| vec![err("", e.to_string())])?;
        Rule::from_json(id, &json).map(|(_, r)| r)
    }
}

/// A workspace's rules, compiled, in their order.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
}

/// Why [`RuleSet::run`] did nothing for an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// The event was caused by a rule (loop guard).
    CausedByRule,
}

impl RuleSet {
    pub fn new(rules: Vec<Rule>) -> Self {
        Self { rules }
    }
    pub fn len(&self) -> usize {
        self.rules.len()
    }
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    /// The rules that fire for `trigger` caused by `actor`, in order, each with its actions.
    /// `facts` are updated with the actions' effects as the run goes, so later rules see
    /// them. With `explain`, each firing carries the tests that decided it.
    pub fn run(
        &self,
        trigger: Trigger,
        actor: Actor,
        facts: &mut Facts,
        explain: bool,
    ) -> Result<Vec<Firing>, Refused> {
        if matches!(actor, Actor::Rule(_)) {
            return Err(Refused::CausedByRule);
        }
        let mut fired = Vec::new();
        let mut why = Vec::new();
        for rule in &self.rules {
            if !rule.enabled || rule.trigger != trigger {
                continue;
            }
            why.clear();
            let holds = match &rule.condition {
                None => {
                    if explain {
                        why.push("no conditions".into());
                    }
                    true
                }
                Some(c) if explain => c.explain(facts, &mut why),
                Some(c) => c.holds(facts),
            };
            if !holds {
                continue;
            }
            for action in &rule.actions {
                apply_to_facts(action, facts);
            }
            fired.push(Firing {
                rule_id: rule.id,
                rule: rule.name.clone(),
                because: std::mem::take(&mut why),
                actions: rule.actions.clone(),
                stopped: rule.stop_processing,
            });
            if rule.stop_processing {
                break;
            }
        }
        Ok(fired)
    }

    /// Every rule for `trigger` with whether it would fire and why (a dry run), in order;
    /// rules after one that stops processing are reported as not reached.
    pub fn dry_run(&self, trigger: Trigger, facts: &Facts) -> Vec<DryRunRule> {
        let mut facts = facts.clone();
        let mut out = Vec::new();
        let mut stopped_by: Option<String> = None;
        for rule in &self.rules {
            if rule.trigger != trigger {
                continue;
            }
            if let Some(by) = &stopped_by {
                out.push(DryRunRule {
                    rule_id: rule.id,
                    rule: rule.name.clone(),
                    fires: false,
                    because: vec![format!("not reached: `{by}` stopped processing")],
                    actions: Vec::new(),
                });
                continue;
            }
            if !rule.enabled {
                out.push(DryRunRule {
                    rule_id: rule.id,
                    rule: rule.name.clone(),
                    fires: false,
                    because: vec!["disabled".into()],
                    actions: Vec::new(),
                });
                continue;
            }
            let mut why = Vec::new();
            let fires = match &rule.condition {
                None => {
                    why.push("no conditions".into());
                    true
                }
                Some(c) => c.explain(&facts, &mut why),
            };
            if fires {
                for a in &rule.actions {
                    apply_to_facts(a, &mut facts);
                }
                if rule.stop_processing {
                    stopped_by = Some(rule.name.clone());
                }
            }
            out.push(DryRunRule {
                rule_id: rule.id,
                rule: rule.name.clone(),
                fires,
                because: why,
                actions: if fires {
                    rule.actions.clone()
                } else {
                    Vec::new()
                },
            });
        }
        out
    }
}
