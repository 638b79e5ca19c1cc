//! Assignment: strategies, skills, and a property test of the desk under random arrivals,
//! availability changes, capacity changes, reprioritizing and resolutions.

use chrono::{Duration, TimeZone, Utc};
use earshot_core::assign::{
    AgentLoad, Assignment, Availability, Desk, Skills, Strategy as Pick, Waiting,
};
use earshot_core::time::Timestamp;
use earshot_core::{AgentId, ChannelKind, ConversationId, TeamId};
use proptest::prelude::*;
use std::collections::HashMap;

fn t(minute: i64) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap() + Duration::minutes(minute)
}

fn agent(id: i64, team: i64, capacity: u32) -> AgentLoad {
    AgentLoad {
        id: AgentId(id),
        team: Some(TeamId(team)),
        skills: Skills::default(),
        capacity,
        open: 0,
        availability: Availability::Online,
        last_assigned_at: None,
    }
}

fn conv(id: i64, team: i64, priority: i32, minute: i64) -> Waiting {
    Waiting {
        id: ConversationId(id),
        team: TeamId(team),
        language: Some("en".into()),
        channel: ChannelKind::X,
        topics: vec![],
        priority,
        waiting_since: t(minute),
    }
}

#[test]
fn least_loaded_takes_the_fewest_open_and_ties_go_to_the_longest_idle() {
    let mut desk = Desk::new();
    for id in [1, 2, 3] {
        desk.upsert_agent(agent(id, 1, 5), t(0));
    }
    let order: Vec<i64> = (0..6)
        .map(|i| desk.route(conv(i, 1, 10, i), t(i)).unwrap().agent.0)
        .collect();
    // Everyone at 0: lowest id (all idle forever); then the others, idle longest first.
    assert_eq!(order, [1, 2, 3, 1, 2, 3]);
    // Agent 2 frees up: fewest open wins over idle time.
    desk.release(ConversationId(1), t(10));
    assert_eq!(
        desk.route(conv(9, 1, 10, 11), t(11)).unwrap().agent,
        AgentId(2)
    );
}

#[test]
fn round_robin_cycles_through_eligible_agents_by_id() {
    let mut desk = Desk::new();
    desk.set_strategy(TeamId(1), Pick::RoundRobin);
    for id in [4, 2, 9] {
        desk.upsert_agent(agent(id, 1, 10), t(0));
    }
    desk.set_availability(AgentId(9), Availability::Away, t(0));
    let order: Vec<i64> = (0..5)
        .map(|i| desk.route(conv(i, 1, 10, i), t(i)).unwrap().agent.0)
        .collect();
    assert_eq!(order, [2, 4, 2, 4, 2]);
}

#[test]
fn skills_decide_who_qualifies() {
    let mut desk = Desk::new();
    let mut spanish = agent(1, 1, 5);
    spanish.skills = Skills {
        languages: vec!["es".into()],
        channels: vec![],
        topics: vec![],
    };
    let mut email_billing = agent(2, 1, 5);
    email_billing.skills = Skills {
        languages: vec![],
        channels: vec![ChannelKind::Email],
        topics: vec!["billing".into()],
    };
    desk.upsert_agent(spanish, t(0));
    desk.upsert_agent(email_billing, t(0));
    let mut es = conv(1, 1, 10, 0);
    es.language = Some("es".into());
    assert_eq!(desk.route(es, t(1)).unwrap().agent, AgentId(1));
    // English on X: neither qualifies (1 speaks only Spanish, 2 does only email): backlog.
    assert!(desk.route(conv(2, 1, 10, 0), t(1)).is_none());
    assert_eq!(desk.backlog(TeamId(1)).len(), 1);
    // Billing email in English: agent 2.
    let mut mail = conv(3, 1, 10, 0);
    mail.channel = ChannelKind::Email;
    mail.topics = vec!["billing".into()];
    assert_eq!(desk.route(mail.clone(), t(2)).unwrap().agent, AgentId(2));
    // Unknown language passes a language skill; a topic-less conversation passes topics.
    let mut unknown = conv(4, 1, 10, 0);
    unknown.language = None;
    assert_eq!(desk.route(unknown, t(3)).unwrap().agent, AgentId(1));
    let mut other_team = conv(5, 2, 10, 0);
    other_team.language = None;
    assert!(desk.route(other_team, t(3)).is_none());
}

#[test]
fn the_backlog_is_served_by_priority_then_waiting_time_when_someone_frees_up() {
    let mut desk = Desk::new();
    desk.upsert_agent(agent(1, 1, 1), t(0));
    assert!(desk.route(conv(1, 1, 10, 0), t(0)).is_some());
    for (id, prio, minute) in [(2, 20, 1), (3, 80, 5), (4, 80, 3), (5, 50, 2)] {
        assert!(desk.route(conv(id, 1, prio, minute), t(minute)).is_none());
    }
    let order: Vec<i64> = desk.backlog(TeamId(1)).iter().map(|w| w.id.0).collect();
    assert_eq!(order, [4, 3, 5, 2]);
    let got = desk.release(ConversationId(1), t(10));
    assert_eq!(
        got,
        [Assignment {
            conversation: ConversationId(4),
            agent: AgentId(1),
            team: TeamId(1),
            from_backlog: true
        }]
    );
    // A raised priority jumps the queue.
    desk.reprioritize(ConversationId(2), 99);
    assert_eq!(
        desk.release(ConversationId(4), t(11))[0].conversation,
        ConversationId(2)
    );
    // Coming online and more capacity both drain the backlog.
    desk.set_availability(AgentId(1), Availability::Offline, t(12));
    desk.release(ConversationId(2), t(12));
    assert_eq!(desk.backlog(TeamId(1)).len(), 2);
    let got = desk.set_availability(AgentId(1), Availability::Online, t(13));
    assert_eq!(got.len(), 1);
    let mut bigger = agent(1, 1, 3);
    bigger.availability = Availability::Online;
    let got = desk.upsert_agent(bigger, t(14));
    assert_eq!(got.len(), 1);
    assert_eq!(desk.backlog_len(), 0);
}

#[derive(Debug, Clone)]
enum Op {
    Arrive {
        team: i64,
        es: bool,
        email: bool,
        priority: i32,
    },
    Availability {
        agent: usize,
        availability: Availability,
    },
    Capacity {
        agent: usize,
        capacity: u32,
    },
    Resolve {
        pick: usize,
    },
    Reprioritize {
        pick: usize,
        priority: i32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (1i64..=2, any::<bool>(), any::<bool>(), 0i32..=100)
            .prop_map(|(team, es, email, priority)| Op::Arrive { team, es, email, priority }),
        2 => (0usize..6, prop_oneof![Just(Availability::Online), Just(Availability::Away), Just(Availability::Offline)])
            .prop_map(|(agent, availability)| Op::Availability { agent, availability }),
        1 => (0usize..6, 0u32..4).prop_map(|(agent, capacity)| Op::Capacity { agent, capacity }),
        3 => any::<usize>().prop_map(|pick| Op::Resolve { pick }),
        1 => (any::<usize>(), 0i32..=100).prop_map(|(pick, priority)| Op::Reprioritize { pick, priority }),
    ]
}

fn agents() -> impl Strategy<Value = Vec<AgentLoad>> {
    proptest::collection::vec(
        (
            1i64..=2,
            0u32..4,
            any::<bool>(),
            any::<bool>(),
            any::<bool>(),
        ),
        6,
    )
    .prop_map(|specs| {
        specs
            .into_iter()
            .enumerate()
            .map(
                |(i, (team, capacity, spanish_only, email_only, online))| AgentLoad {
                    id: AgentId(i as i64 + 1),
                    team: Some(TeamId(team)),
                    skills: Skills {
                        languages: if spanish_only {
                            vec!["es".into()]
                        } else {
                            vec![]
                        },
                        channels: if email_only {
                            vec![ChannelKind::Email]
                        } else {
                            vec![]
                        },
                        topics: vec![],
                    },
                    capacity,
                    open: 0,
                    availability: if online {
                        Availability::Online
                    } else {
                        Availability::Offline
                    },
                    last_assigned_at: None,
                },
            )
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// No agent ever goes over capacity, nothing waits that someone online with the skills
    /// and room could take, and whoever takes from the backlog takes the highest priority,
    /// longest waiting conversation they qualify for.
    #[test]
    fn the_desk_keeps_capacity_eligibility_and_backlog_order(
        initial in agents(),
        ops in proptest::collection::vec(op(), 1..120),
        strategy in prop_oneof![Just(Pick::LeastLoaded), Just(Pick::RoundRobin)],
    ) {
        let mut desk = Desk::new();
        desk.set_strategy(TeamId(1), strategy);
        desk.set_strategy(TeamId(2), strategy);
        let mut capacity: HashMap<AgentId, u32> = HashMap::new();
        let mut holder: HashMap<ConversationId, AgentId> = HashMap::new();
        let mut open_convs: Vec<ConversationId> = Vec::new();
        for a in &initial {
            capacity.insert(a.id, a.capacity);
            prop_assert!(desk.upsert_agent(a.clone(), t(0)).is_empty());
        }
        for (step, op) in ops.into_iter().enumerate() {
            let now = t(step as i64 + 1);
            let made: Vec<Assignment> = match op {
                Op::Arrive { team, es, email, priority } => {
                    let id = ConversationId(step as i64 + 1);
                    open_convs.push(id);
                    let w = Waiting {
                        id,
                        team: TeamId(team),
                        language: Some(if es { "es" } else { "en" }.into()),
                        channel: if email { ChannelKind::Email } else { ChannelKind::X },
                        topics: vec![],
                        priority,
                        waiting_since: now,
                    };
                    desk.route(w, now).into_iter().collect()
                }
                Op::Availability { agent, availability } => {
                    desk.set_availability(AgentId(agent as i64 + 1), availability, now)
                }
                Op::Capacity { agent, capacity: cap } => {
                    let id = AgentId(agent as i64 + 1);
                    capacity.insert(id, cap);
                    let mut a = desk.agent(id).unwrap().clone();
                    a.capacity = cap;
                    desk.upsert_agent(a, now)
                }
                Op::Resolve { pick } => {
                    if open_convs.is_empty() { continue; }
                    let c = open_convs.remove(pick % open_convs.len());
                    holder.remove(&c);
                    desk.release(c, now)
                }
                Op::Reprioritize { pick, priority } => {
                    if open_convs.is_empty() { continue; }
                    desk.reprioritize(open_convs[pick % open_convs.len()], priority);
                    vec![]
                }
            };
            for a in &made {
                prop_assert!(holder.insert(a.conversation, a.agent).is_none(), "{:?} assigned twice", a.conversation);
                let agent = desk.agent(a.agent).unwrap();
                prop_assert!(agent.open <= capacity[&a.agent], "step {step}: {:?} over capacity", a.agent);
            }
            // Open counts are exactly what was handed out and not released.
            for a in desk.agents() {
                let held = holder.values().filter(|h| **h == a.id).count() as u32;
                prop_assert_eq!(a.open, held, "step {}: {:?}", step, a.id);
            }
            // Nothing waits that an online agent with room and the skills could take.
            for team in [TeamId(1), TeamId(2)] {
                for w in desk.backlog(team) {
                    for a in desk.agents() {
                        prop_assert!(!a.can_take(w), "step {step}: {:?} waits but {:?} could take it", w.id, a.id);
                    }
                }
            }
            // Backlog order: nothing still waiting that the agent qualified for ranked above
            // what they took.
            for a in made.iter().filter(|a| a.from_backlog) {
                let agent = desk.agent(a.agent).unwrap();
                let taken = desk.backlog(a.team); // what is still waiting
                let got = open_convs.iter().position(|c| *c == a.conversation);
                prop_assert!(got.is_some());
                for w in taken {
                    if agent.qualifies(w) {
                        // w was waiting when a.conversation was taken; it must rank lower.
                        let took_priority = priority_of(&desk, a.conversation);
                        prop_assert!(
                            (std::cmp::Reverse(w.priority), w.waiting_since, w.id)
                                > (std::cmp::Reverse(took_priority.0), took_priority.1, a.conversation),
                            "step {step}: {:?} took {:?} while better {:?} waited", a.agent, a.conversation, w.id
                        );
                    }
                }
            }
        }
    }
}

/// The priority and waiting time a taken conversation had (kept by the desk with its holder).
fn priority_of(desk: &Desk, c: ConversationId) -> (i32, Timestamp) {
    let w = desk
        .assigned_conversation(c)
        .expect("taken conversations are held");
    (w.priority, w.waiting_since)
}
