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
    /// Listening queries against generated posts: compiled matcher, plain evaluator and a raw
    /// Aho-Corasick scan of the same text, on one core.
    Listen(ListenBench),
}

#[derive(Debug, Args)]
pub struct ListenBench {
    /// Posts to match.
    #[arg(long, default_value_t = 1_000_000)]
    pub posts: usize,
    /// Numbers of queries to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [10_000usize, 100_000])]
    pub queries: Vec<usize>,
    /// Posts for the plain evaluator (every query on every post is slow by design).
    #[arg(long, default_value_t = 2_000)]
    pub plain_posts: usize,
    /// Generator seed.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
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
        BenchCommand::Listen(args) => listen(args),
    }
}

/// Peak resident set size of this process, from /proc (Linux).
fn peak_rss_mib() -> Option<f64> {
    proc_status_mib("VmHWM:")
}

/// Current resident set size of this process.
fn rss_mib() -> Option<f64> {
    proc_status_mib("VmRSS:")
}

fn proc_status_mib(key: &str) -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn listen(args: ListenBench) -> anyhow::Result<ExitCode> {
    use earshot_listen::{parse, synth, Matcher, Post};
    println!(
        "bench listen: {} posts, seed {}, one core",
        args.posts, args.seed
    );
    for &count in &args.queries {
        let texts = synth::queries(count, args.seed);
        let posts = synth::posts(args.posts, count / 10, args.seed);
        let bytes: usize = posts.iter().map(String::len).sum();
        let queries: Vec<(String, earshot_listen::Query)> = texts
            .iter()
            .map(|(id, q)| {
                parse(q)
                    .map(|p| (id.clone(), p))
                    .map_err(|e| anyhow::anyhow!("{q}: {e}"))
            })
            .collect::<anyhow::Result<_>>()?;

        let rss_before = rss_mib().unwrap_or(0.0);
        let started = Instant::now();
        let matcher = Matcher::new(queries.clone());
        let build = started.elapsed().as_secs_f64();
        let rss_after = rss_mib().unwrap_or(0.0);

        // Ceiling: a raw Aho-Corasick scan of the same text for every literal word of the queries.
        let mut words: Vec<String> = texts
            .iter()
            .flat_map(|(_, q)| {
                q.split(|c: char| !(c.is_alphanumeric() || c == '#' || c == '@'))
                    .filter(|w| {
                        w.len() > 1 && !matches!(*w, "AND" | "OR" | "NOT" | "NEAR" | "followers")
                    })
                    .map(str::to_lowercase)
                    .collect::<Vec<_>>()
            })
            .collect();
        words.sort_unstable();
        words.dedup();
        let ac = aho_corasick::AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .build(&words)?;
        let started = Instant::now();
        let ac_hits: usize = posts.iter().map(|p| ac.find_iter(p).count()).sum();
        let ac_secs = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let tokens: usize = posts.iter().map(|p| Post::new(p).tokens.len()).sum();
        let tokenize_secs = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let mut matched = 0usize;
        for p in &posts {
            matched += matcher.matches(&Post::new(p)).len();
        }
        let match_secs = started.elapsed().as_secs_f64();

        let plain = args.plain_posts.min(posts.len());
        let started = Instant::now();
        let mut plain_matched = 0usize;
        let mut compiled_matched = 0usize;
        for p in &posts[..plain] {
            let post = Post::new(p);
            plain_matched += queries.iter().filter(|(_, q)| q.matches(&post)).count();
            compiled_matched += matcher.matches(&post).len();
        }
        let plain_secs = started.elapsed().as_secs_f64();
        anyhow::ensure!(
            plain_matched == compiled_matched,
            "the compiled matcher disagrees with the plain evaluator"
        );

        let rate = |n: usize, s: f64| n as f64 / s.max(1e-9);
        let compiled = rate(posts.len(), match_secs);
        println!(
            "  {count} queries ({} unfiltered), {} posts ({:.1} MB of text)",
            matcher.unfiltered(),
            posts.len(),
            bytes as f64 / 1e6
        );
        println!(
            "    build matcher:           {build:.2} s, memory +{:.0} MiB",
            rss_after - rss_before
        );
        println!("    compiled matcher:        {compiled:.0} posts/s ({matched} matches, {:.2} per post)", matched as f64 / posts.len() as f64);
        println!(
            "    tokenize only:           {:.0} posts/s ({tokens} tokens)",
            rate(posts.len(), tokenize_secs)
        );
        println!(
            "    plain evaluator:         {:.0} posts/s (every query on each of {plain} posts; compiled is {:.0}x faster)",
            rate(plain, plain_secs),
            compiled / rate(plain, plain_secs)
        );
        println!(
            "    raw Aho-Corasick scan:   {:.0} posts/s over {} words ({ac_hits} hits; compiled runs at {:.0}% of it)",
            rate(posts.len(), ac_secs),
            words.len(),
            100.0 * compiled / rate(posts.len(), ac_secs)
        );
    }
    if let Some(rss) = peak_rss_mib() {
        println!("  peak RSS: {rss:.0} MiB");
    }
    Ok(ExitCode::SUCCESS)
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
    let pipeline = earshot_engine::Pipeline::new(store.clone());
    let report = earshot_engine::ingest(
        &pipeline,
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
