//! `earshot bench …`: speed measurements whose figures go to BENCHMARKS.md.

use clap::{Args, Subcommand};
use earshot_channels::{Decoded, Location};
use earshot_engine::synth::{generate, SynthConfig};
use earshot_engine::IngestOptions;
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Durable ingest of generated TWCS-shaped messages into SQLite or PostgreSQL.
    Ingest(IngestBench),
}

#[derive(Debug, Args)]
pub struct IngestBench {
    /// Messages to generate and store.
    #[arg(long, default_value_t = 1_000_000)]
    pub messages: u64,
    /// Generator seed: the same seed gives the same messages.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Messages per transaction.
    #[arg(long, default_value_t = earshot_engine::ingest::DEFAULT_BATCH)]
    pub batch_size: usize,
    /// Workspace to store into.
    #[arg(long, default_value = "bench")]
    pub workspace: String,
}

pub async fn run(database: Option<String>, command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Ingest(args) => ingest(database, args).await,
    }
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

async fn ingest(database: Option<String>, args: IngestBench) -> anyhow::Result<ExitCode> {
    // A temporary SQLite file unless a database is named.
    let _tmp;
    let url = match database {
        Some(url) => url,
        None => {
            _tmp = tempfile::tempdir()?;
            format!("sqlite://{}", _tmp.path().join("bench.db").display())
        }
    };
    let store = earshot_store::open(&url).await?;
    let ws = store.ensure_workspace(&args.workspace).await?;
    let already = store.counts(ws.id).await?.messages;
    if already > 0 {
        anyhow::bail!(
            "workspace `{}` already holds {already} messages, which would make this run count duplicates; \
             use an empty database or another --workspace",
            args.workspace
        );
    }
    let config = SynthConfig {
        seed: args.seed,
        messages: args.messages,
    };

    // Baseline in the same run: generating the messages alone, the ceiling of this harness.
    let started = Instant::now();
    let generated = generate(config).count();
    let generate_secs = started.elapsed().as_secs_f64();

    let records = generate(config).enumerate().map(|(i, m)| Decoded {
        location: Location::Line(i as u64 + 1),
        result: Ok(m),
    });
    let options = IngestOptions {
        batch_size: args.batch_size,
        source: "bench".into(),
    };
    // Every 100,000 messages, the rate of the last stretch: shows whether it holds as the
    // database grows.
    let mut mark = (0u64, Instant::now());
    let report = earshot_engine::ingest(
        store.as_ref(),
        ws.id,
        records,
        &options,
        |_| {},
        |r| {
            if r.read - mark.0 >= 100_000 {
                let rate = (r.read - mark.0) as f64 / mark.1.elapsed().as_secs_f64();
                eprintln!(
                    "  {:>9} messages: {rate:.0} messages/s over the last stretch",
                    r.read
                );
                mark = (r.read, Instant::now());
            }
        },
    )
    .await?;
    let counts = store.counts(ws.id).await?;
    drop(store);

    let backend = if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    };
    println!(
        "bench ingest ({backend}, seed {}, batch {})",
        args.seed, args.batch_size
    );
    println!("  generate only (baseline): {generated} messages in {generate_secs:.2} s = {:.0} messages/s", generated as f64 / generate_secs);
    println!(
        "  durable ingest:           {} messages in {:.2} s = {:.0} messages/s ({:.1}% of the baseline rate)",
        report.stored,
        report.elapsed.as_secs_f64(),
        report.rate(),
        100.0 * report.rate() / (generated as f64 / generate_secs)
    );
    println!(
        "  stored: {} messages, {} conversations, {} contacts; duplicates {}, rejected {}",
        counts.messages, counts.conversations, counts.contacts, report.duplicates, report.rejected
    );
    if let Some(rss) = peak_rss_mib() {
        println!("  peak RSS of earshot: {rss:.0} MiB");
    }
    Ok(ExitCode::SUCCESS)
}
