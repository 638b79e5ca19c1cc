//! `earshot demo`: everything a first-time user needs in one command. Opens (or creates)
//! `./earshot-demo.db`, loads real customer-care threads from the TWCS sample when
//! `../shared/data` is present (or a small generated set when it isn't), mints a token,
//! prints how to use it, and serves.

use crate::config::{self, FileConfig};
use clap::Args;
use earshot_channels::{decode, DecodeOptions, Decoded, Format, Location};
use earshot_core::{Store, WorkspaceId};
use earshot_engine::synth::{generate, SynthConfig};
use earshot_engine::IngestOptions;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

pub const DEMO_DATABASE: &str = "sqlite://earshot-demo.db";
pub const DEMO_WORKSPACE: &str = "demo";
pub const DEMO_LOGIN: &str = "demo@earshot.local";
const TWCS: &str = "shared/data/conversations/twcs/twcs_first5000.csv";

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "EARSHOT_BIND")]
    pub bind: Option<String>,
    /// TWCS CSV to load [default: ../shared/data/conversations/twcs/twcs_first5000.csv].
    #[arg(long, env = "EARSHOT_DEMO_DATA")]
    pub data: Option<PathBuf>,
}

pub async fn run(
    file: &FileConfig,
    database: Option<String>,
    args: DemoArgs,
) -> anyhow::Result<ExitCode> {
    let url = database.unwrap_or_else(|| DEMO_DATABASE.to_string());
    let store = earshot_store::open(&url).await?;
    let ws = store.ensure_workspace(DEMO_WORKSPACE).await?;
    if store.counts(ws.id).await?.messages == 0 {
        let team = care_team(store.as_ref(), ws.id).await?;
        eprintln!("{team}");
        eprintln!("{}", inbox_extras(store.as_ref(), ws.id).await?);
        load(&store, ws.id, args.data.as_deref()).await?;
    }
    let counts = store.counts(ws.id).await?;
    // A demo login for the web UI, made with the database (its password is shown then).
    let login = match store.user_by_email(DEMO_LOGIN).await? {
        Some(_) => format!(
            "{DEMO_LOGIN} (password printed when this database was made; delete it to start over)"
        ),
        None => {
            let password = earshot_core::auth::generate_token()[4..24].to_string();
            // The demo admin answers customers too: an agent of the front line.
            let agent = demo_agent(store.as_ref(), ws.id).await?;
            store
                .create_user(
                    ws.id,
                    DEMO_LOGIN,
                    "Demo Admin",
                    "admin",
                    Some(agent),
                    &earshot_core::auth::hash_password(&password),
                )
                .await?;
            format!("{DEMO_LOGIN} / {password}")
        }
    };
    let token = earshot_core::auth::generate_token();
    store
        .create_api_token(ws.id, "demo", &earshot_core::auth::hash_token(&token))
        .await?;
    let bind = args
        .bind
        .or(file.bind.clone())
        .unwrap_or_else(|| config::DEFAULT_BIND.into());
    let options = crate::serve::ServeOptions::load(file, &url, None)?;
    crate::serve::serve(store, &bind, options, |addr| {
        println!(
            "Earshot demo: {} conversations, {} messages, {} contacts in {url}",
            counts.conversations, counts.messages, counts.contacts
        );
        println!("  URL:   http://{addr}");
        println!("  Login: {login}");
        println!("  Token: {token}");
        println!(
            "  Try:   curl -H 'Authorization: Bearer {token}' http://{addr}/api/v1/conversations"
        );
        println!("Press Ctrl-C to stop.");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
}

/// The agent the demo login works as: `Demo Admin` on the front line (made once).
async fn demo_agent(store: &dyn Store, ws: WorkspaceId) -> anyhow::Result<earshot_core::AgentId> {
    if let Some(a) = store
        .list_agents(ws)
        .await?
        .into_iter()
        .find(|a| a.email == DEMO_LOGIN)
    {
        return Ok(a.id);
    }
    let team = store
        .list_teams(ws)
        .await?
        .into_iter()
        .find(|t| t.name == "Front line")
        .map(|t| t.id);
    let mut agent = earshot_core::NewAgent::new("Demo Admin", DEMO_LOGIN, team);
    // Offline, so the demo's backlog is not poured onto the person trying it out.
    agent.availability = earshot_core::assign::Availability::Offline;
    Ok(store.create_agent(ws, &agent).await?.id)
}

/// Listening topics (matched as the demo data loads, so the dashboard has top topics) and
/// saved replies for the reply box.
pub async fn inbox_extras(store: &dyn Store, ws: WorkspaceId) -> anyhow::Result<String> {
    let topics = [
        (
            "Delivery",
            "deliver* OR package OR parcel OR shipping OR \"not arrived\"",
        ),
        ("Refunds", "refund* OR \"money back\" OR charged"),
        ("Outage", "outage OR down OR \"not working\" OR crash*"),
        (
            "Account access",
            "password OR login OR \"locked out\" OR account",
        ),
    ];
    for (name, query) in topics {
        store
            .create_topic(
                ws,
                &earshot_core::TopicDraft {
                    name: name.into(),
                    query: query.into(),
                    active: true,
                },
            )
            .await?;
    }
    let replies = [
        ("Ask for a DM", "Sorry to hear that! Could you send us a DM with your order number so we can look into it?"),
        ("Escalated", "Thanks for your patience. We've passed this to our specialist team and will update you here within 24 hours."),
        ("Resolved?", "Glad we could help! Is there anything else we can do for you today?"),
    ];
    for (name, text) in replies {
        store.create_saved_reply(ws, name, text).await?;
    }
    Ok(format!(
        "inbox: {} listening topics, {} saved replies",
        topics.len(),
        replies.len()
    ))
}

/// The example rule set of the README (`examples/care-team-rules.json`), with its teams
/// (numbered 1–4 in the file) and two agents each.
pub const CARE_TEAM_RULES: &str = include_str!("../../../examples/care-team-rules.json");
const CARE_TEAMS: [&str; 4] = ["Escalations", "Billing", "Spanish desk", "Front line"];

/// Sets up a care team in an empty workspace: the teams, agents (the Spanish desk speaks
/// Spanish and English), and the example rules with their team numbers mapped to the teams'
/// ids. Returns a line saying what it made.
pub async fn care_team(store: &dyn Store, ws: WorkspaceId) -> anyhow::Result<String> {
    let mut ids = Vec::new();
    for (i, name) in CARE_TEAMS.iter().enumerate() {
        let team = store.create_team(ws, name).await?;
        ids.push(team.id);
        for n in 1..=2 {
            let mut agent = earshot_core::NewAgent::new(
                &format!("{name} agent {n}"),
                &format!("{}-{n}@demo.earshot", name.to_lowercase().replace(' ', "-")),
                Some(team.id),
            );
            agent.capacity = 5;
            if i == 2 {
                agent.skills.languages = vec!["es".into(), "en".into()];
            }
            store.create_agent(ws, &agent).await?;
        }
    }
    let mut rules: Vec<serde_json::Value> = serde_json::from_str(CARE_TEAM_RULES)?;
    for rule in &mut rules {
        for action in rule
            .get_mut("actions")
            .and_then(|a| a.as_array_mut())
            .into_iter()
            .flatten()
        {
            if let Some(v) = action.get_mut("team_id") {
                if let Some(n) = v.as_i64() {
                    *v = serde_json::json!(ids[(n - 1) as usize].0);
                }
            }
        }
        if let Some(c) = rule.get_mut("conditions") {
            remap_team_tests(c, &ids);
        }
        let (draft, _) = earshot_core::rules::Rule::from_json(0, rule)
            .map_err(|e| anyhow::anyhow!("example rule {}: {e:?}", rule["name"]))?;
        store.create_rule(ws, None, &draft).await?;
    }
    Ok(format!(
        "care team: {} teams, {} agents, {} automation rules (examples/care-team-rules.json)",
        CARE_TEAMS.len(),
        CARE_TEAMS.len() * 2,
        rules.len()
    ))
}

fn remap_team_tests(c: &mut serde_json::Value, ids: &[earshot_core::TeamId]) {
    if c.get("field").and_then(|f| f.as_str()) == Some("conversation.team") {
        if let Some(v) = c.get_mut("value") {
            if let Some(n) = v.as_i64() {
                *v = serde_json::json!(ids[(n - 1) as usize].0);
            }
        }
    }
    for key in ["all", "any"] {
        for child in c
            .get_mut(key)
            .and_then(|v| v.as_array_mut())
            .into_iter()
            .flatten()
        {
            remap_team_tests(child, ids);
        }
    }
    if let Some(inner) = c.get_mut("not") {
        remap_team_tests(inner, ids);
    }
}

fn find_twcs(explicit: Option<&Path>) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    [
        PathBuf::from("..").join(TWCS),
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../..")
            .join(TWCS),
    ]
    .into_iter()
    .find(|p| p.exists())
}

async fn load(
    store: &Arc<dyn Store>,
    ws: WorkspaceId,
    explicit: Option<&Path>,
) -> anyhow::Result<()> {
    let pipeline = earshot_engine::Pipeline::new(store.clone());
    let options = IngestOptions::default();
    let report = match find_twcs(explicit) {
        Some(path) => {
            eprintln!("loading real customer-care threads from {}", path.display());
            let file = std::fs::File::open(&path)
                .map_err(|e| anyhow::anyhow!("could not open {}: {e}", path.display()))?;
            let records = decode(
                BufReader::new(file),
                Format::Twcs,
                &DecodeOptions::default(),
            )?;
            earshot_engine::ingest(&pipeline, ws, records, &options, |_| {}, |_| {}).await?
        }
        None => {
            eprintln!("../shared/data is not here: loading 2,000 generated messages instead");
            let records = generate(SynthConfig {
                seed: 42,
                messages: 2_000,
            })
            .enumerate()
            .map(|(i, m)| Decoded {
                location: Location::Line(i as u64 + 1),
                result: Ok(m),
            });
            earshot_engine::ingest(&pipeline, ws, records, &options, |_| {}, |_| {}).await?
        }
    };
    eprintln!(
        "loaded {} messages ({} rejected, {} awaiting a parent outside the sample)",
        report.stored, report.rejected, report.awaiting_parent
    );
    Ok(())
}
