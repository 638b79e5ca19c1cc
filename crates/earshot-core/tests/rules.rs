//! Automation rules: every operator, every action, the loop guard, stop processing, and the
//! example rule set of a real care team (`examples/care-team-rules.json`, shown in the README).

use earshot_core::rules::{Action, Actor, Facts, Field, Refused, Rule, RuleSet, Trigger, Value};
use earshot_core::{AgentId, ConversationStatus, TeamId};
use serde_json::{json, Value as Json};

fn rule(json: Json) -> Rule {
    Rule::from_json(1, &json)
        .unwrap_or_else(|e| panic!("{json} is valid: {e:?}"))
        .1
}

fn errors(json: Json) -> Vec<String> {
    Rule::from_json(1, &json)
        .err()
        .unwrap_or_else(|| panic!("{json} should be refused"))
        .into_iter()
        .map(|e| e.to_string())
        .collect()
}

/// Whether a one-test rule fires on these facts.
fn test_holds(test: Json, facts: &Facts) -> bool {
    let r = rule(json!({
        "name": "t", "trigger": {"event": "message_received"},
        "conditions": test, "actions": [{"type": "add_tag", "tag": "x"}]
    }));
    let mut facts = facts.clone();
    !RuleSet::new(vec![r])
        .run(Trigger::MessageReceived, Actor::Customer, &mut facts, false)
        .unwrap()
        .is_empty()
}

fn facts() -> Facts {
    let mut f = Facts::default();
    f.set(
        Field::MessageText,
        Value::text("My order arrived BROKEN, I want a refund"),
    )
    .set(Field::MessageChannel, Value::text("x"))
    .set(Field::MessageLanguage, Value::text("en"))
    .set(Field::MessageSentiment, Value::text("negative"))
    .set(
        Field::MessageIntents,
        Value::list(["complaint", "question"]),
    )
    .set(Field::MessageUrgency, Value::Number(0.42))
    .set(Field::ConversationStatus, Value::text("new"))
    .set(Field::ConversationPriority, Value::Number(47.0))
    .set(Field::ConversationTags, Value::list(["returns"]))
    .set(Field::AuthorFollowers, Value::Number(15_000.0))
    .set(Field::AuthorVerified, Value::Bool(false))
    .set(Field::ContactTier, Value::text("Gold"));
    f
}

#[test]
fn eq_and_ne_ignore_case_and_treat_absent_as_unequal() {
    let f = facts();
    assert!(test_holds(
        json!({"field": "contact.tier", "op": "eq", "value": "GOLD"}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "contact.tier", "op": "eq", "value": "silver"}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "message.urgency", "op": "eq", "value": 0.42}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "author.verified", "op": "eq", "value": false}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "contact.tier", "op": "ne", "value": "silver"}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "contact.tier", "op": "ne", "value": "gold"}),
        &f
    ));
    // No assignee: equal to nothing, unequal to everything.
    assert!(!test_holds(
        json!({"field": "conversation.assignee", "op": "eq", "value": 3}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "conversation.assignee", "op": "ne", "value": 3}),
        &f
    ));
}

#[test]
fn contains_not_contains_and_starts_with_on_text_and_lists() {
    let f = facts();
    assert!(test_holds(
        json!({"field": "message.text", "op": "contains", "value": "Refund"}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "message.text", "op": "contains", "value": "invoice"}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "message.text", "op": "not_contains", "value": "invoice"}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "message.text", "op": "not_contains", "value": "broken"}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "message.intents", "op": "contains", "value": "complaint"}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "message.intents", "op": "contains", "value": "praise"}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "message.intents", "op": "not_contains", "value": "spam"}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "message.text", "op": "starts_with", "value": "my order"}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "message.text", "op": "starts_with", "value": "order"}),
        &f
    ));
}

#[test]
fn gt_and_lt_compare_numbers_and_never_hold_for_absent() {
    let f = facts();
    assert!(test_holds(
        json!({"field": "author.followers", "op": "gt", "value": 10000}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "author.followers", "op": "gt", "value": 15000}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "conversation.priority", "op": "lt", "value": 50}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "conversation.priority", "op": "lt", "value": 47}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "contact.value", "op": "gt", "value": -1}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "contact.value", "op": "lt", "value": 1e9}),
        &f
    ));
}

#[test]
fn in_matches_any_listed_value_for_text_numbers_and_lists() {
    let f = facts();
    assert!(test_holds(
        json!({"field": "message.channel", "op": "in", "value": ["facebook", "X"]}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "message.channel", "op": "in", "value": ["email"]}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "conversation.priority", "op": "in", "value": [46, 47]}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "message.intents", "op": "in", "value": ["praise", "question"]}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "message.intents", "op": "in", "value": ["praise", "spam"]}),
        &f
    ));
}

#[test]
fn present_and_absent_treat_empty_lists_as_absent() {
    let mut f = facts();
    assert!(test_holds(
        json!({"field": "message.language", "op": "present"}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "conversation.team", "op": "absent"}),
        &f
    ));
    assert!(!test_holds(
        json!({"field": "conversation.team", "op": "present"}),
        &f
    ));
    f.set(Field::ConversationTopics, Value::List(vec![]));
    assert!(test_holds(
        json!({"field": "conversation.topics", "op": "absent"}),
        &f
    ));
    assert!(test_holds(
        json!({"field": "conversation.tags", "op": "present"}),
        &f
    ));
}

#[test]
fn changed_needs_a_before_and_checks_from_and_to() {
    let mut before = facts();
    before.set(Field::ConversationStatus, Value::text("resolved"));
    let mut after = facts();
    after.set(Field::ConversationStatus, Value::text("open"));
    // A message event has no "before": nothing changed.
    assert!(!test_holds(
        json!({"field": "conversation.status", "op": "changed"}),
        &after
    ));
    let after = after.with_before(&before);
    assert!(test_holds(
        json!({"field": "conversation.status", "op": "changed"}),
        &after
    ));
    assert!(test_holds(
        json!({"field": "conversation.status", "op": "changed", "from": "resolved", "to": "open"}),
        &after
    ));
    assert!(!test_holds(
        json!({"field": "conversation.status", "op": "changed", "from": "pending"}),
        &after
    ));
    assert!(!test_holds(
        json!({"field": "conversation.status", "op": "changed", "to": "resolved"}),
        &after
    ));
    // A field that did not change.
    assert!(!test_holds(
        json!({"field": "contact.tier", "op": "changed"}),
        &after
    ));
}

#[test]
fn all_any_not_nest() {
    let f = facts();
    let tree = json!({"all": [
        {"field": "message.sentiment", "op": "eq", "value": "negative"},
        {"any": [
            {"field": "message.text", "op": "contains", "value": "invoice"},
            {"not": {"field": "contact.tier", "op": "eq", "value": "silver"}}
        ]}
    ]});
    assert!(test_holds(tree, &f));
    let tree = json!({"not": {"any": [
        {"field": "message.text", "op": "contains", "value": "refund"},
        {"field": "message.text", "op": "contains", "value": "invoice"}
    ]}});
    assert!(!test_holds(tree, &f));
}

#[test]
fn bad_rules_are_refused_with_every_error_and_its_place() {
    let e = errors(json!({
        "name": "",
        "trigger": {"event": "tuesday"},
        "conditions": {"all": [
            {"field": "message.txt", "op": "contains", "value": "x"},
            {"field": "message.text", "op": "gt", "value": 3},
            {"field": "author.followers", "op": "eq", "value": "many"},
            {"field": "message.language", "op": "in", "value": []},
            {"field": "message.language", "op": "present", "value": "en"},
            {"any": []},
            "text"
        ]},
        "actions": [
            {"type": "set_priority", "priority": 150},
            {"type": "teleport"},
            {"type": "reply", "template": "Hi {{contact.nickname}}"},
            {"type": "webhook", "url": "ftp://x"},
            {"type": "add_tag", "tag": " "}
        ],
        "colour": "red"
    }));
    let want = [
        "name: missing or empty",
        "trigger: unknown variant `tuesday`",
        "conditions.all[0].field: unknown field `message.txt`",
        "conditions.all[1].op: `gt` does not apply to message.text (a text)",
        "conditions.all[2].value: expected number, got \"many\"",
        "conditions.all[3].value: `in` takes a non-empty list",
        "conditions.all[4].value: `present` takes no value",
        "conditions.all[5].any: is empty",
        "conditions.all[6]: a condition is an object",
        "actions[0].priority: must be 0 to 100",
        "actions[1]: unknown variant `teleport`",
        "actions[2].template: unknown placeholder `{{contact.nickname}}`",
        "actions[3].url: must be an http(s) URL",
        "actions[4].tag: must be 1 to 64 characters",
        "colour: unknown key",
    ];
    for w in want {
        assert!(
            e.iter().any(|x| x.starts_with(w)),
            "missing `{w}` in {e:#?}"
        );
    }
    assert_eq!(e.len(), want.len(), "{e:#?}");
    assert!(
        errors(json!({"name": "x", "trigger": {"event": "message_received"}, "actions": []}))
            .iter()
            .any(|e| e.starts_with("actions: a rule needs at least one action"))
    );
}

#[test]
fn every_action_parses_and_round_trips() {
    let actions = json!([
        {"type": "assign_team", "team_id": 2},
        {"type": "assign_agent", "agent_id": 7},
        {"type": "set_priority", "priority": 80},
        {"type": "add_tag", "tag": "vip"},
        {"type": "remove_tag", "tag": "new"},
        {"type": "set_status", "status": "pending"},
        {"type": "snooze", "minutes": 60},
        {"type": "apply_sla", "policy_id": 3},
        {"type": "reply", "template": "Hi {{contact.name}} (#{{conversation.id}})"},
        {"type": "note", "text": "check the order"},
        {"type": "notify", "agent_id": 7, "message": "look"},
        {"type": "notify", "message": "everyone look"},
        {"type": "webhook", "url": "https://crm.example.com/hook"}
    ]);
    let r =
        rule(json!({"name": "all", "trigger": {"event": "message_received"}, "actions": actions}));
    assert_eq!(r.actions.len(), 13);
    assert_eq!(
        r.actions[1],
        Action::AssignAgent {
            agent_id: AgentId(7)
        }
    );
    assert_eq!(
        r.actions[5],
        Action::SetStatus {
            status: ConversationStatus::Pending
        }
    );
    assert_eq!(serde_json::to_value(&r.actions).unwrap(), actions);
}

#[test]
fn actions_change_what_later_rules_see() {
    let set = RuleSet::new(vec![
        rule(
            json!({"name": "raise", "trigger": {"event": "message_received"},
            "conditions": {"field": "message.text", "op": "contains", "value": "refund"},
            "actions": [{"type": "set_priority", "priority": 90}, {"type": "add_tag", "tag": "money"},
                        {"type": "assign_team", "team_id": 5}, {"type": "set_status", "status": "open"}]}),
        ),
        rule(
            json!({"name": "sees it", "trigger": {"event": "message_received"},
            "conditions": {"all": [
                {"field": "conversation.priority", "op": "gt", "value": 80},
                {"field": "conversation.priority_label", "op": "eq", "value": "urgent"},
                {"field": "conversation.tags", "op": "contains", "value": "MONEY"},
                {"field": "conversation.team", "op": "eq", "value": 5},
                {"field": "conversation.status", "op": "eq", "value": "open"}
            ]},
            "actions": [{"type": "remove_tag", "tag": "returns"}, {"type": "assign_agent", "agent_id": 9}]}),
        ),
        rule(
            json!({"name": "after removal", "trigger": {"event": "message_received"},
            "conditions": {"all": [
                {"field": "conversation.tags", "op": "not_contains", "value": "returns"},
                {"field": "conversation.assignee", "op": "eq", "value": 9}]},
            "actions": [{"type": "snooze", "minutes": 5}]}),
        ),
    ]);
    let mut f = facts();
    let fired = set
        .run(Trigger::MessageReceived, Actor::Customer, &mut f, false)
        .unwrap();
    assert_eq!(
        fired.iter().map(|x| x.rule.as_str()).collect::<Vec<_>>(),
        ["raise", "sees it", "after removal"]
    );
    assert_eq!(f.get(Field::ConversationStatus), &Value::text("snoozed"));
}

#[test]
fn stop_processing_ends_the_run_and_the_dry_run_says_so() {
    let set = RuleSet::new(vec![
        rule(
            json!({"name": "first", "trigger": {"event": "message_received"},
            "actions": [{"type": "add_tag", "tag": "a"}], "stop_processing": true}),
        ),
        rule(
            json!({"name": "second", "trigger": {"event": "message_received"},
            "actions": [{"type": "add_tag", "tag": "b"}]}),
        ),
    ]);
    let mut f = facts();
    let fired = set
        .run(Trigger::MessageReceived, Actor::Customer, &mut f, false)
        .unwrap();
    assert_eq!(fired.len(), 1);
    assert!(fired[0].stopped);
    let dry = set.dry_run(Trigger::MessageReceived, &facts());
    assert!(dry[0].fires);
    assert!(!dry[1].fires);
    assert_eq!(dry[1].because, ["not reached: `first` stopped processing"]);
}

#[test]
fn loop_guard_refuses_events_caused_by_rules_and_only_matching_triggers_run() {
    let set = RuleSet::new(vec![rule(
        json!({"name": "on assign", "trigger": {"event": "assigned"},
        "actions": [{"type": "assign_team", "team_id": 1}]}),
    )]);
    let mut f = facts();
    // A rule's own assignment does not trigger assignment rules again.
    assert_eq!(
        set.run(Trigger::Assigned, Actor::Rule(1), &mut f, false),
        Err(Refused::CausedByRule)
    );
    // An agent's assignment does.
    assert_eq!(
        set.run(Trigger::Assigned, Actor::Agent(AgentId(3)), &mut f, false)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        set.run(Trigger::MessageReceived, Actor::Customer, &mut f, false)
            .unwrap()
            .len(),
        0
    );
    // Timed triggers match on their duration too.
    let timed = RuleSet::new(vec![rule(
        json!({"name": "4h", "trigger": {"event": "unanswered", "minutes": 240},
        "actions": [{"type": "add_tag", "tag": "late"}]}),
    )]);
    assert_eq!(
        timed
            .run(
                Trigger::Unanswered { minutes: 240 },
                Actor::System,
                &mut f,
                false
            )
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        timed
            .run(
                Trigger::Unanswered { minutes: 60 },
                Actor::System,
                &mut f,
                false
            )
            .unwrap()
            .len(),
        0
    );
}

#[test]
fn disabled_rules_do_not_fire() {
    let set = RuleSet::new(vec![rule(json!({"name": "off", "enabled": false,
        "trigger": {"event": "message_received"}, "actions": [{"type": "add_tag", "tag": "a"}]}))]);
    let mut f = facts();
    assert!(set
        .run(Trigger::MessageReceived, Actor::Customer, &mut f, true)
        .unwrap()
        .is_empty());
    assert_eq!(
        set.dry_run(Trigger::MessageReceived, &f)[0].because,
        ["disabled"]
    );
}

fn care_team() -> RuleSet {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/care-team-rules.json"
    ))
    .unwrap();
    let rules: Vec<Json> = serde_json::from_str(&text).unwrap();
    RuleSet::new(
        rules
            .iter()
            .enumerate()
            .map(|(i, r)| {
                Rule::from_json(i as i64 + 1, r)
                    .unwrap_or_else(|e| panic!("rule {i}: {e:?}"))
                    .1
            })
            .collect(),
    )
}

fn message(text: &str, intents: &[&str], language: &str) -> Facts {
    let mut f = Facts::default();
    f.set(Field::MessageText, Value::text(text))
        .set(Field::MessageChannel, Value::text("x"))
        .set(Field::MessageLanguage, Value::text(language))
        .set(Field::MessageIntents, Value::list(intents))
        .set(Field::MessageUrgency, Value::Number(0.2))
        .set(Field::ConversationStatus, Value::text("new"))
        .set(Field::ConversationPriority, Value::Number(30.0))
        .set(Field::ConversationMessages, Value::Number(1.0))
        .set(Field::AuthorFollowers, Value::Number(120.0))
        .set(Field::AuthorVerified, Value::Bool(false));
    f
}

fn fired(set: &RuleSet, trigger: Trigger, f: &mut Facts) -> Vec<String> {
    set.run(trigger, Actor::Customer, f, true)
        .unwrap()
        .into_iter()
        .map(|x| x.rule)
        .collect()
}

#[test]
fn a_care_teams_rule_set_routes_like_its_leads_would() {
    let set = care_team();
    // Spam is closed and nothing else runs.
    let mut f = message("WIN a free iPhone!!! click here", &["spam"], "en");
    assert_eq!(
        fired(&set, Trigger::MessageReceived, &mut f),
        ["Spam: tag and close, nothing else runs"]
    );
    assert_eq!(f.get(Field::ConversationStatus), &Value::text("resolved"));

    // A burning smell from a VIP's charger: escalations, and the VIP floor does not lower 95.
    let mut f = message(
        "my charger smells of smoke and I was charged twice",
        &["complaint"],
        "en",
    );
    f.set(Field::ContactTier, Value::text("gold"));
    let names = fired(&set, Trigger::MessageReceived, &mut f);
    assert_eq!(names, ["Safety and legal threats to escalations"]);
    assert_eq!(f.get(Field::ConversationTeam), &Value::Number(1.0));
    assert_eq!(f.get(Field::ConversationPriority), &Value::Number(95.0));

    // A refund request from a gold customer: billing, raised to 60, tagged vip.
    let mut f = message("where is my refund?", &["complaint", "question"], "en");
    f.set(Field::ContactTier, Value::text("Gold"));
    assert_eq!(
        fired(&set, Trigger::MessageReceived, &mut f),
        [
            "VIP customers never below high",
            "Refunds and charges to billing"
        ]
    );
    assert_eq!(f.get(Field::ConversationTeam), &Value::Number(2.0));
    assert_eq!(
        f.get(Field::ConversationTags),
        &Value::list(["vip", "billing"])
    );

    // Spanish goes to the Spanish desk; praise is tagged; the front line gets nothing of both.
    let mut f = message("me encanta, gracias", &["praise"], "es");
    assert_eq!(
        fired(&set, Trigger::MessageReceived, &mut f),
        [
            "Spanish speakers to the Spanish desk",
            "Praise: tag for the marketing team"
        ]
    );
    // Praise with a question is not tagged praise; a verified author is an influencer; the
    // rest goes to the front line.
    let mut f = message(
        "love it, but how do I pair it?",
        &["praise", "question"],
        "en",
    );
    f.set(Field::AuthorVerified, Value::Bool(true));
    assert_eq!(
        fired(&set, Trigger::MessageReceived, &mut f),
        ["Influencers get a tag", "Everything else to the front line"]
    );
    assert_eq!(f.get(Field::ConversationTeam), &Value::Number(4.0));

    // A complaint on X opening a conversation gets the acknowledgement.
    let mut f = message("terrible service", &["complaint"], "en");
    assert_eq!(
        fired(&set, Trigger::ConversationCreated, &mut f),
        ["Acknowledge a complaint straight away"]
    );
    let mut email = message("terrible service", &["complaint"], "en");
    email.set(Field::MessageChannel, Value::text("email"));
    assert!(fired(&set, Trigger::ConversationCreated, &mut email).is_empty());

    // Four hours unanswered moves it to escalations unless it is there already.
    let mut f = message("hello?", &["question"], "en");
    f.set(Field::ConversationTeam, Value::Number(4.0));
    assert_eq!(
        fired(&set, Trigger::Unanswered { minutes: 240 }, &mut f),
        ["Waiting four hours: to escalations"]
    );
    assert!(fired(&set, Trigger::Unanswered { minutes: 240 }, &mut f).is_empty());

    // Reopening a resolved conversation flags it; a breach raises it.
    let mut before = message("x", &[], "en");
    before.set(Field::ConversationStatus, Value::text("resolved"));
    let mut f = message("x", &[], "en");
    f.set(Field::ConversationStatus, Value::text("open"));
    let mut f = f.with_before(&before);
    assert_eq!(
        fired(&set, Trigger::StatusChanged, &mut f),
        ["Reopened after resolving: flag it"]
    );
    assert_eq!(
        fired(&set, Trigger::SlaBreach, &mut f),
        ["A breached SLA goes up and a lead hears of it"]
    );
    assert_eq!(f.get(Field::ConversationPriority), &Value::Number(90.0));
}

#[test]
fn explanations_name_the_tests_that_decided() {
    let set = care_team();
    let mut f = message("where is my refund?", &["complaint"], "en");
    let firings = set
        .run(Trigger::MessageReceived, Actor::Customer, &mut f, true)
        .unwrap();
    let billing = firings
        .iter()
        .find(|x| x.rule == "Refunds and charges to billing")
        .unwrap();
    assert_eq!(
        billing.because,
        [
            "conversation.team absent (is absent): yes",
            "message.text contains \"refund\": yes"
        ]
    );
    let dry = set.dry_run(Trigger::MessageReceived, &message("hi", &[], "en"));
    let spam = &dry[0];
    assert!(!spam.fires);
    assert_eq!(
        spam.because,
        ["message.intents contains \"spam\" (is []): no"]
    );
    assert_eq!(dry.iter().filter(|d| d.fires).count(), 1, "{dry:#?}");
    let _ = TeamId(1);
}
