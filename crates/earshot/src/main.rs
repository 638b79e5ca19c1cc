//! `earshot`: the command line. The only place that picks a concrete store.

mod bench;
mod bench_emerging;
mod bench_orders;
mod bench_route;
mod bench_stream;
mod bench_web;
mod bench_webhooks;
mod config;
mod demo;
mod ingest;
mod listen;
mod nlp;
mod orders;
mod serve;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "earshot",
    version,
    about = "Earshot, the open-source social CRM"
)]
struct Cli {
    /// Configuration file [default: ./earshot.toml when present].
    #[arg(long, global = true, env = "EARSHOT_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH or postgres://USER@HOST/DB [default: sqlite://earshot.db].
    #[arg(long, global = true, env = "EARSHOT_DATABASE")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the HTTP API.
    Serve(serve::ServeArgs),
    /// Store messages from files (normalized JSONL, TWCS CSV, X API v2 JSON).
    Ingest(ingest::IngestArgs),
    /// Import the brand's own records: `earshot import orders FILE`.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// People who sign in to the web UI.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Train a model on ../shared/data (writes the model file and prints val figures).
    Train(nlp::TrainArgs),
    /// Evaluate a model on the val split: per-class precision, recall, F1, confusion.
    Eval(nlp::EvalArgs),
    /// Classify a text (label, scores and the features behind them), or a file of texts.
    Classify(nlp::ClassifyArgs),
    /// Test listening queries offline: which queries each post matches.
    Listen(listen::ListenArgs),
    /// Open ./earshot-demo.db, load demo conversations, print a token and serve.
    Demo(demo::DemoArgs),
    /// A customer's privacy rights: export what Earshot holds about them.
    Privacy {
        #[command(subcommand)]
        command: PrivacyCommand,
    },
    /// The identity matcher behind the contacts' "same person?" suggestions.
    Matcher {
        #[command(subcommand)]
        command: MatcherCommand,
    },
    /// Measure Earshot's speed (see BENCHMARKS.md).
    Bench {
        #[command(subcommand)]
        command: bench::BenchCommand,
    },
}

#[derive(Debug, Subcommand)]
enum ImportCommand {
    /// A shop's orders (CSV or JSON lines): every line checked first, then stored and
    /// matched to contacts by email, phone or shop customer id, and the contacts' lifetime
    /// values and tiers derived. Importing a file again changes nothing.
    Orders(orders::ImportOrdersArgs),
}

#[derive(Debug, Subcommand)]
enum PrivacyCommand {
    /// Print everything held about one contact as JSON (a readable `summary` first).
    Export {
        #[arg(long, env = "EARSHOT_WORKSPACE")]
        workspace: String,
        /// The contact's id (GET /api/v1/contacts?q=… finds it).
        #[arg(long)]
        contact: i64,
    },
    /// Erase one contact: everything held about the person is deleted for good (their
    /// messages, payloads, identities, consent, merges, queued replies); a salted hash of each
    /// identity stays so their messages are not stored again.
    Erase {
        #[arg(long, env = "EARSHOT_WORKSPACE")]
        workspace: String,
        #[arg(long)]
        contact: i64,
        /// Confirms that this cannot be undone.
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Debug, Subcommand)]
enum MatcherCommand {
    /// Fit m, u and the name frequencies on the workspace's own contacts (EM) and keep them
    /// for its suggestions; re-run as the contacts grow.
    Fit {
        #[arg(long, env = "EARSHOT_WORKSPACE")]
        workspace: String,
    },
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Mint an API token for a workspace (created if new). The token is printed once.
    Create {
        #[arg(long, env = "EARSHOT_WORKSPACE")]
        workspace: String,
        /// A note on what the token is for.
        #[arg(long, default_value = "cli")]
        label: String,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a person who signs in with email and password. The password comes from
    /// EARSHOT_PASSWORD, or a generated one is printed once.
    Create {
        #[arg(long, env = "EARSHOT_WORKSPACE")]
        workspace: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// `admin` or `agent`.
        #[arg(long, default_value = "agent")]
        role: String,
        /// The agent (id) this person answers as.
        #[arg(long)]
        agent_id: Option<i64>,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("EARSHOT_LOG")
                .unwrap_or_else(|_| "earshot=info,earshot_server=info,warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build();
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: could not start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let file = config::FileConfig::load(cli.config.as_deref())?;
    let database = cli.database.clone().or(file.database.clone());
    match cli.command {
        Command::Serve(args) => serve::run(&file, database, args).await,
        Command::Ingest(args) => ingest::run(&file, database, args).await,
        Command::Import {
            command: ImportCommand::Orders(args),
        } => orders::run(database, args).await,
        Command::Migrate => {
            let url = config::database_url(database);
            let store = earshot_store::open(&url).await?;
            eprintln!("{} database at {url} is migrated", store.backend());
            Ok(ExitCode::SUCCESS)
        }
        Command::User {
            command:
                UserCommand::Create {
                    workspace,
                    email,
                    name,
                    role,
                    agent_id,
                },
        } => {
            let store = earshot_store::open(&config::database_url(database)).await?;
            let ws = store.ensure_workspace(&workspace).await?;
            let (password, generated) = match std::env::var("EARSHOT_PASSWORD") {
                Ok(p) => (p, false),
                Err(_) => (
                    earshot_core::auth::generate_token()[4..24].to_string(),
                    true,
                ),
            };
            earshot_core::auth::check_password(&password)
                .map_err(|e| anyhow::anyhow!("EARSHOT_PASSWORD: {e}"))?;
            let user = store
                .create_user(
                    ws.id,
                    &email,
                    &name,
                    &role,
                    agent_id.map(earshot_core::AgentId),
                    &earshot_core::auth::hash_password(&password),
                )
                .await?;
            eprintln!(
                "{} ({}) can sign in to workspace `{}`",
                user.email, user.role, ws.name
            );
            if generated {
                eprintln!("password (shown once):");
                println!("{password}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Token {
            command: TokenCommand::Create { workspace, label },
        } => {
            let store = earshot_store::open(&config::database_url(database)).await?;
            let ws = store.ensure_workspace(&workspace).await?;
            let token = earshot_core::auth::generate_token();
            store
                .create_api_token(ws.id, &label, &earshot_core::auth::hash_token(&token))
                .await?;
            eprintln!(
                "token for workspace `{}` (shown once; store it safely):",
                ws.name
            );
            println!("{token}");
            Ok(ExitCode::SUCCESS)
        }
        Command::Privacy {
            command: PrivacyCommand::Export { workspace, contact },
        } => {
            let (store, ws) = existing_workspace(database, &workspace).await?;
            let doc = earshot_engine::privacy::export(
                store.as_ref(),
                ws.id,
                earshot_core::ContactId(contact),
                "cli",
            )
            .await
            .map_err(|e| no_contact(e, &workspace, contact))?;
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Privacy {
            command:
                PrivacyCommand::Erase {
                    workspace,
                    contact,
                    yes,
                },
        } => {
            if !yes {
                anyhow::bail!(
                    "erasing contact {contact} deletes everything held about the person and cannot be undone; add --yes"
                );
            }
            let (store, ws) = existing_workspace(database, &workspace).await?;
            let erased = earshot_engine::privacy::erase(
                store.as_ref(),
                ws.id,
                earshot_core::ContactId(contact),
                "cli",
            )
            .await
            .map_err(|e| no_contact(e, &workspace, contact))?;
            println!(
                "erased contact {contact}: {} identities, {} conversations, {} messages, {} orders, {} merged contacts, {} outbox entries",
                erased.identities, erased.conversations, erased.messages, erased.orders, erased.merged_contacts, erased.outbox
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Matcher {
            command: MatcherCommand::Fit { workspace },
        } => {
            let (store, ws) = existing_workspace(database, &workspace).await?;
            let f = earshot_engine::suggestions::fit(store.as_ref(), ws.id).await?;
            if f.iterations == 0 {
                println!(
                    "{} contacts: fewer than {}, so the suggestions keep the default parameters",
                    f.records,
                    earshot_core::identity::MIN_FIT_RECORDS
                );
            } else {
                println!(
                    "fitted on {} contacts ({} candidate pairs, {} EM iterations) in {:.2} s",
                    f.records, f.pairs, f.iterations, f.seconds
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Listen(args) => listen::run(args),
        Command::Train(args) => nlp::train(args),
        Command::Eval(args) => nlp::eval(args),
        Command::Classify(args) => nlp::classify(args),
        Command::Demo(args) => demo::run(&file, database, args).await,
        Command::Bench { command } => bench::run(database, command).await,
    }
}

/// The store and a workspace that must exist already (commands on its contacts).
async fn existing_workspace(
    database: Option<String>,
    workspace: &str,
) -> anyhow::Result<(
    std::sync::Arc<dyn earshot_core::Store>,
    earshot_core::Workspace,
)> {
    let store = earshot_store::open(&config::database_url(database)).await?;
    let Some(ws) = store.workspace_by_name(workspace).await? else {
        anyhow::bail!("no workspace named `{workspace}`");
    };
    Ok((store, ws))
}

/// A store error, with an unknown contact named as the user typed it.
fn no_contact(e: earshot_core::StoreError, workspace: &str, contact: i64) -> anyhow::Error {
    match e {
        earshot_core::StoreError::NotFound { .. } => {
            anyhow::anyhow!("workspace `{workspace}` has no contact {contact}")
        }
        e => e.into(),
    }
}
