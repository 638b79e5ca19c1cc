//! `earshot bench route`: the latency of one routing decision (rules + priority + assignment,
//! `earshot_core::route::decide`) with many agents and rules, on one core.

use clap::Args;
use earshot_core::assign::{AgentLoad, Availability, Desk, Skills, Strategy};
use earshot_core::priority;
use earshot_core::route::{decide, Event, Subject};
use earshot_core::rules::{Actor, Facts, MessageFacts, Rule, RuleSet, Trigger};
use earshot_core::{AgentId, ChannelKind, ConversationId, TeamId};
use earshot_engine::synth::{generate, SynthConfig};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::collections::VecDeque;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[derive(Debug, Args)]
pub struct RouteBench {
    #[arg(long, default_value_t = 1_000)]
    pub agents: usize,
    #[arg(long, default_value_t = 500)]
    pub rules: usize,
    #[arg(long, default_value_t = 20)]
    pub teams: usize,
    /// Decisions to time.
    #[arg(long, default_value_t = 200_000)]
    pub decisions: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

const LANGUAGES: [&str; 6] = ["en", "es", "fr", "de", "pt", "it"];
const INTENTS: [&str; 6] = [
    "complaint",
    "question",
    "praise",
    "suggestion",
    "churn_risk",
    "spam",
];

/// Rules like a large care operation's: keyword routing, language desks, intent handling,
/// VIP and influencer handling, priority floors; most test text or lists, some nest.
fn rules(n: usize, teams: usize, words: &[String], rng: &mut ChaCha8Rng) -> Vec<Rule> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let team = rng.random_range(1..=teams as i64);
        let word = words.choose(rng).unwrap();
        let conditions = match i % 6 {
            0 => json!({"all": [
                {"field": "message.text", "op": "contains", "value": word},
                {"field": "conversation.team", "op": "absent"}]}),
            1 => json!({"all": [
                {"field": "message.language", "op": "eq", "value": LANGUAGES.choose(rng).unwrap()},
                {"field": "message.intents", "op": "contains", "value": INTENTS.choose(rng).unwrap()}]}),
            2 => json!({"all": [
                {"field": "author.followers", "op": "gt", "value": rng.random_range(10_000..1_000_000)},
                {"field": "message.text", "op": "contains", "value": word}]}),
            3 => json!({"all": [
                {"field": "conversation.priority", "op": "gt", "value": rng.random_range(60..95)},
                {"not": {"field": "conversation.tags", "op": "contains", "value": format!("t{i}")}}]}),
            4 => json!({"all": [
                {"field": "message.sentiment", "op": "eq", "value": "negative"},
                {"field": "message.urgency", "op": "gt", "value": rng.random_range(0.5..0.95)},
                {"field": "message.channel", "op": "in", "value": ["x", "facebook", "email"]}]}),
            _ => json!({"any": [
                {"field": "message.text", "op": "starts_with", "value": word},
                {"all": [
                    {"field": "contact.tier", "op": "in", "value": ["gold", "platinum"]},
                    {"field": "message.text", "op": "not_contains", "value": word}]}]}),
        };
        let actions = match i % 4 {
            0 => json!([{"type": "assign_team", "team_id": team}]),
            1 => json!([{"type": "add_tag", "tag": format!("t{i}")}]),
            2 => json!([{"type": "set_priority", "priority": rng.random_range(10..100)}]),
            _ => {
                json!([{"type": "add_tag", "tag": "seen"}, {"type": "assign_team", "team_id": team}])
            }
        };
        let rule = json!({"name": format!("rule {i}"), "trigger": {"event": "message_received"},
            "conditions": conditions, "actions": actions});
        out.push(
            Rule::from_json(i as i64 + 1, &rule)
                .expect("generated rules are valid")
                .1,
        );
    }
    // Whatever no rule routed goes to the front line.
    let catch_all = json!({"name": "front line", "trigger": {"event": "message_received"},
        "conditions": {"field": "conversation.team", "op": "absent"},
        "actions": [{"type": "assign_team", "team_id": 1}]});
    out.push(Rule::from_json(n as i64 + 1, &catch_all).unwrap().1);
    out
}

fn agents(n: usize, teams: usize, rng: &mut ChaCha8Rng) -> Vec<AgentLoad> {
    (0..n)
        .map(|i| AgentLoad {
            id: AgentId(i as i64 + 1),
            team: Some(TeamId((i % teams) as i64 + 1)),
            skills: Skills {
                languages: if rng.random_bool(0.3) {
                    vec!["en".into(), LANGUAGES.choose(rng).unwrap().to_string()]
                } else {
                    vec![]
                },
                channels: if rng.random_bool(0.2) {
                    vec![ChannelKind::X, ChannelKind::Email]
                } else {
                    vec![]
                },
                topics: vec![],
            },
            capacity: rng.random_range(5..=20),
            open: 0,
            availability: if rng.random_bool(0.85) {
                Availability::Online
            } else {
                Availability::Offline
            },
            last_assigned_at: None,
        })
        .collect()
}

struct Percentiles {
    p50: Duration,
    p99: Duration,
    p999: Duration,
    max: Duration,
}

fn percentiles(mut v: Vec<Duration>) -> Percentiles {
    v.sort();
    let at = |q: f64| v[((v.len() as f64 * q) as usize).min(v.len() - 1)];
    Percentiles {
        p50: at(0.50),
        p99: at(0.99),
        p999: at(0.999),
        max: *v.last().unwrap(),
    }
}

fn show(name: &str, p: &Percentiles) {
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    println!(
        "  {name:<44} p50 {:>6.1} µs   p99 {:>6.1} µs   p99.9 {:>6.1} µs   max {:>7.1} µs",
        us(p.p50),
        us(p.p99),
        us(p.p999),
        us(p.max)
    );
}

pub fn run(args: RouteBench) -> anyhow::Result<ExitCode> {
    anyhow::ensure!(
        args.teams >= 1 && args.agents >= args.teams,
        "need at least one agent per team"
    );
    let mut rng = ChaCha8Rng::seed_from_u64(args.seed);
    let understanding = earshot_nlp::Understanding::builtin();
    // Real-shaped messages, enriched ahead (the enrich stage is measured by `bench nlp`).
    let messages: Vec<_> = generate(SynthConfig {
        seed: args.seed,
        messages: 20_000,
    })
    .filter(|m| m.direction == earshot_core::Direction::In)
    .map(|m| {
        let e = understanding.label(&m.text);
        (m, e)
    })
    .collect();
    let words: Vec<String> = messages
        .iter()
        .flat_map(|(m, _)| m.text.split_whitespace().map(str::to_lowercase))
        .filter(|w| w.len() > 4 && w.chars().all(char::is_alphabetic))
        .take(5_000)
        .collect();
    let set = RuleSet::new(rules(args.rules, args.teams, &words, &mut rng));
    let roster = agents(args.agents, args.teams, &mut rng);
    let mut desk = Desk::new();
    let now = chrono::Utc::now();
    for t in 1..=args.teams {
        desk.set_strategy(
            TeamId(t as i64),
            if t % 2 == 0 {
                Strategy::RoundRobin
            } else {
                Strategy::LeastLoaded
            },
        );
    }
    for a in &roster {
        desk.upsert_agent(a.clone(), now);
    }
    let capacity: u32 = roster
        .iter()
        .filter(|a| a.availability == Availability::Online)
        .map(|a| a.capacity)
        .sum();
    // Keep the desk busy: once half the online capacity has been handed out, the oldest open
    // conversation is resolved (untimed) for each one that arrives, and whoever it freed takes
    // from their backlog, so decisions see loaded agents and backlogs.
    let mut open: VecDeque<ConversationId> = VecDeque::new();
    let steady = capacity as usize / 2;
    let mut full = Vec::with_capacity(args.decisions);
    let mut rules_only = Vec::with_capacity(args.decisions);
    let mut naive = Vec::with_capacity(args.decisions);
    let (mut fired, mut assigned, mut backlogged) = (0usize, 0usize, 0usize);
    for i in 0..args.decisions {
        let (m, e) = &messages[i % messages.len()];
        let subject = Subject {
            id: ConversationId(i as i64 + 1),
            channel: m.channel,
            waiting_since: now,
            topics: vec![],
        };
        let contact_tier = if i % 50 == 0 { Some("gold") } else { None };
        let start = Instant::now();
        let p = priority::score(
            e,
            priority::Author {
                followers: m.author.followers,
                verified: m.author.verified,
            },
        );
        let mut facts = Facts::default()
            .with_message(&MessageFacts {
                channel: Some(m.channel),
                text: &m.text,
                enrichment: Some(e),
                followers: m.author.followers,
                verified: m.author.verified,
                handle: m.author.handle.as_deref().unwrap_or(""),
            })
            .with_contact(contact_tier, None, false);
        facts.set(
            earshot_core::rules::Field::ConversationPriority,
            earshot_core::rules::Value::Number(f64::from(p.score)),
        );
        let d = decide(
            &set,
            &mut desk,
            Event {
                trigger: Trigger::MessageReceived,
                actor: Actor::Customer,
                at: now,
            },
            &mut facts,
            &subject,
            false,
        );
        full.push(start.elapsed());
        fired += d.firings.len();
        if d.assignment.is_some() {
            assigned += 1;
            open.push_back(subject.id);
        }
        backlogged += usize::from(d.backlogged);
        // One out per one in once the desk is warm.
        if open.len() > steady || (i > steady && !open.is_empty()) {
            let c = open.pop_front().unwrap();
            for a in desk.release(c, now) {
                open.push_back(a.conversation);
            }
        }
        // Baselines on the same message: the rules alone, and a naive assignment that looks
        // at every agent of the workspace instead of the team's members.
        let mut facts2 = Facts::default().with_message(&MessageFacts {
            channel: Some(m.channel),
            text: &m.text,
            enrichment: Some(e),
            followers: m.author.followers,
            verified: m.author.verified,
            handle: m.author.handle.as_deref().unwrap_or(""),
        });
        let start = Instant::now();
        let f = set
            .run(
                Trigger::MessageReceived,
                Actor::Customer,
                &mut facts2,
                false,
            )
            .unwrap();
        rules_only.push(start.elapsed());
        let w = earshot_core::assign::Waiting {
            id: subject.id,
            team: d.team.unwrap_or(TeamId(1)),
            language: Some(e.language.clone()),
            channel: m.channel,
            topics: vec![],
            priority: p.score,
            waiting_since: now,
        };
        let start = Instant::now();
        let pick = earshot_core::assign::choose(desk.agents(), &w, Strategy::LeastLoaded, None);
        naive.push(start.elapsed());
        std::hint::black_box((f, pick));
    }
    println!(
        "bench route: {} agents in {} teams, {} rules, {} decisions (one core)",
        args.agents,
        args.teams,
        set.len(),
        args.decisions
    );
    println!(
        "  {:.1} rules fired per decision; {assigned} assigned, {backlogged} to a backlog",
        fired as f64 / args.decisions as f64
    );
    show(
        "decision (priority + rules + assignment)",
        &percentiles(full),
    );
    show("baseline: rules alone", &percentiles(rules_only));
    show(
        "baseline: assignment scanning every agent",
        &percentiles(naive),
    );
    Ok(ExitCode::SUCCESS)
}
