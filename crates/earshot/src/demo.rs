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
        load(&store, ws.id, args.data.as_deref()).await?;
    }
    let counts = store.counts(ws.id).await?;
    let token = earshot_core::auth::generate_token();
    store
        .create_api_token(ws.id, "demo", &earshot_core::auth::hash_token(&token))
        .await?;
    let bind = args
        .bind
        .or(file.bind.clone())
        .unwrap_or_else(|| config::DEFAULT_BIND.into());
    crate::serve::serve(store, &bind, |addr| {
        println!(
            "Earshot demo: {} conversations, {} messages, {} contacts in {url}",
            counts.conversations, counts.messages, counts.contacts
        );
        println!("  URL:   http://{addr}");
        println!("  Token: {token}");
        println!(
            "  Try:   curl -H 'Authorization: Bearer {token}' http://{addr}/api/v1/conversations"
        );
        println!("Press Ctrl-C to stop.");
    })
    .await?;
    Ok(ExitCode::SUCCESS)
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
