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
    /// The SLA worker's query with N open conversations waiting for an answer: what is due
    /// now (a typical pass) and everything at once (the worst case).
    Sla(SlaBench),
    /// Understanding on one core: sentiment alone, each enricher, and the whole enrich stage,
    /// on TweetEval val (with sentiment's macro-averaged recall).
    Nlp(NlpBench),
    /// One routing decision (priority, automation rules, assignment by skill and capacity)
    /// with many agents and rules, on one core: latency percentiles.
    Route(crate::bench_route::RouteBench),
    /// Server time of the web inbox, conversation and dashboard pages on a database that
    /// holds a workspace's messages (the API's inbox listing as the baseline).
    Web(crate::bench_web::WebBench),
    /// Signed webhook POSTs per second accepted by one server on loopback, beside
    /// `GET /healthz` in the same run, and the time to store them all through the pipeline.
    Webhooks(crate::bench_webhooks::WebhookBench),
    /// X's filtered stream (a local stand-in with disconnects and re-deliveries) into a
    /// running server with N topics: posts/s end to end beside the matcher alone, and a
    /// check that no post was lost or counted twice.
    XStream(crate::bench_stream::StreamBench),
    /// The identity matcher on a generated population with known true persons: pairwise
    /// precision and recall of its suggestions at the default threshold, and its time.
    Identities(IdentitiesBench),
    /// Importing a shop's orders (a generated CSV) into a workspace whose customers wrote
    /// first: rows per second, and the time to derive their lifetime values.
    Orders(crate::bench_orders::OrdersBench),
    /// Emerging-issue detection on a seeded synthetic stream with injected spikes and decoys:
    /// precision, recall and detection delay beside a fixed-threshold baseline, then the TWCS
    /// sample replayed at its timestamps.
    Emerging(crate::bench_emerging::EmergingBench),
}

#[derive(Debug, Args)]
pub struct IdentitiesBench {
    /// Identities to generate (each one account on one channel).
    #[arg(long, default_value_t = 100_000)]
    pub identities: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Which generated population: `realistic` (many identities show no name, a first name
    /// alone or a non-name) or `listed` (the list of issue 15: every identity shows its full
    /// name, with typos, dropped accents, case changes and nicknames); see
    /// `earshot_core::identity::population`.
    #[arg(long, default_value_t = earshot_core::identity::Profile::Realistic)]
    pub population: earshot_core::identity::Profile,
    /// Suggestion threshold (log2 likelihood ratio); the matcher's default when absent.
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Also the precision and recall at these thresholds (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [4.0f64, 6.0, 10.0, 12.0])]
    pub sweep: Vec<f64>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SlaBench {
    /// Open conversations (each one customer message, enriched and scored, waiting).
    #[arg(long, default_value_t = 1_000_000)]
    pub conversations: u64,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct NlpBench {
    #[arg(long, default_value = "../shared/data")]
    pub data: std::path::PathBuf,
    /// Texts to classify per measurement (the val texts, repeated).
    #[arg(long, default_value_t = 200_000)]
    pub texts: usize,
    /// Print one JSON object (for scripts/bench-nlp) instead of text.
    #[arg(long)]
    pub json: bool,
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
    /// Leave out the enrich stage (language, sentiment, intents, urgency), to see its cost.
    #[arg(long)]
    pub no_enrich: bool,
    /// Set up the README's care team first (4 teams, 8 agents, the 13 example rules), so
    /// the rules and assign stages run on every customer message, to see their cost.
    #[arg(long)]
    pub care_team: bool,
}

pub async fn run(database: Option<String>, command: BenchCommand) -> anyhow::Result<ExitCode> {
    match command {
        BenchCommand::Ingest(args) => ingest(database, args).await,
        BenchCommand::Listen(args) => listen(args),
        BenchCommand::Nlp(args) => nlp(args),
        BenchCommand::Sla(args) => sla(database, args).await,
        BenchCommand::Route(args) => crate::bench_route::run(args),
        BenchCommand::Web(args) => crate::bench_web::run(database, args).await,
        BenchCommand::Webhooks(args) => crate::bench_webhooks::run(database, args).await,
        BenchCommand::XStream(args) => crate::bench_stream::run(database, args).await,
        BenchCommand::Identities(args) => identities(args),
        BenchCommand::Orders(args) => crate::bench_orders::run(database, args).await,
        BenchCommand::Emerging(args) => crate::bench_emerging::run(args),
    }
}

fn identities(args: IdentitiesBench) -> anyhow::Result<ExitCode> {
    use earshot_core::identity::{evaluate, generate_with, DEFAULT_THRESHOLD};
    let started = Instant::now();
    let population = generate_with(args.identities, args.seed, args.population);
    let generate_seconds = started.elapsed().as_secs_f64();
    let e = evaluate(&population, args.threshold.unwrap_or(DEFAULT_THRESHOLD));
    if args.json {
        println!("{}", serde_json::to_string(&e)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} identities of {} persons ({} population, seed {}, generated in {generate_seconds:.2} s)",
        e.identities, e.persons, args.population, args.seed
    );
    println!(
        "true pairs {}; candidate pairs {} ({} true: the recall blocking allows is {:.3})",
        e.true_pairs,
        e.candidate_pairs,
        e.true_candidate_pairs,
        e.true_candidate_pairs as f64 / e.true_pairs.max(1) as f64
    );
    println!(
        "threshold {:.1}: {} suggested, {} correct; precision {:.4}, recall {:.4}",
        e.threshold, e.suggested, e.true_positives, e.precision, e.recall
    );
    println!(
        "fit (EM) {:.2} s, match {:.2} s ({:.0} identities/s)",
        e.fit_seconds,
        e.match_seconds,
        e.identities as f64 / (e.fit_seconds + e.match_seconds).max(1e-9)
    );
    if let Some(lowest) = args.sweep.iter().copied().reduce(f64::min) {
        let matcher = earshot_core::identity::Matcher::fit(&population.records);
        let all = matcher.suggestions(&population.records, lowest);
        let person: std::collections::HashMap<i64, usize> = population
            .records
            .iter()
            .zip(&population.person)
            .map(|(r, &p)| (r.id, p))
            .collect();
        for t in &args.sweep {
            let at: Vec<_> = all.iter().filter(|s| s.weight >= *t).collect();
            let correct = at.iter().filter(|s| person[&s.a] == person[&s.b]).count();
            println!(
                "  threshold {t:5.1}: {:7} suggested, precision {:.4}, recall {:.4}",
                at.len(),
                correct as f64 / at.len().max(1) as f64,
                correct as f64 / e.true_pairs.max(1) as f64
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Texts per second of `f` over `texts` (cycled until `n`), on this thread.
fn rate(texts: &[String], n: usize, mut f: impl FnMut(&str) -> usize) -> (f64, usize) {
    let started = Instant::now();
    let mut checksum = 0usize;
    for t in texts.iter().cycle().take(n) {
        checksum = checksum.wrapping_add(f(t));
    }
    (n as f64 / started.elapsed().as_secs_f64(), checksum)
}

fn nlp(args: NlpBench) -> anyhow::Result<ExitCode> {
    use earshot_nlp::enrich::{builtin, Understanding};
    use earshot_nlp::metrics::Confusion;
    use earshot_nlp::sentiment::LABELS;
    use earshot_nlp::SentimentModel;
    let val = earshot_nlp::data::tweeteval(&args.data.join("sentiment/tweeteval"), "val")?;
    let texts: Vec<String> = val.iter().map(|(t, _)| t.clone()).collect();
    let sentiment = SentimentModel::from_bytes(builtin::SENTIMENT)?;
    let u = Understanding::builtin();
    let mut confusion = Confusion::new(&LABELS);
    for (t, y) in &val {
        confusion.add(*y, sentiment.predict(t));
    }
    let n = args.texts;
    // Baseline in the same run: splitting the texts into words, the floor of any tokenizer.
    let (baseline, _) = rate(&texts, n, |t| t.split_whitespace().count());
    let (label_only, _) = rate(&texts, n, |t| sentiment.predict(t));
    let (explained, _) = rate(&texts, n / 4, |t| sentiment.classify(t, 5).because.len());
    let (language, _) = rate(&texts, n / 4, |t| {
        earshot_nlp::language::detect(t).code.len()
    });
    let (stage, _) = rate(&texts, n / 4, |t| u.label(t).intents.len());
    let (enrich, _) = rate(&texts, n / 4, |t| u.enrich(t).intents.len());
    if args.json {
        println!(
            "{}",
            serde_json::json!({
                "texts": val.len(),
                "macro_recall": confusion.macro_recall(),
                "accuracy": confusion.accuracy(),
                "sentiment_label_per_s": label_only,
                "sentiment_explained_per_s": explained,
                "language_per_s": language,
                "stage_per_s": stage,
                "enrich_per_s": enrich,
                "split_words_per_s": baseline,
            })
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!("bench nlp (TweetEval val, {} texts, one core)", val.len());
    println!(
        "  sentiment macro-averaged recall {:.3}, accuracy {:.3}",
        confusion.macro_recall(),
        confusion.accuracy()
    );
    println!("  split into words (baseline):        {baseline:>12.0} texts/s");
    println!("  sentiment, label only:              {label_only:>12.0} texts/s");
    println!("  sentiment with its explanation:     {explained:>12.0} texts/s");
    println!("  language alone:                     {language:>12.0} texts/s");
    println!(
        "  enrich stage as ingest runs it (labels; urgency with reasons): {stage:>8.0} texts/s"
    );
    println!(
        "  labels and every reason (classify, the API's conversation detail): {enrich:.0} texts/s"
    );
    Ok(ExitCode::SUCCESS)
}

/// The database a benchmark writes to: `--database`, or a temporary SQLite file that lives as
/// long as the returned directory.
pub(crate) async fn bench_store(
    database: Option<String>,
) -> anyhow::Result<(
    std::sync::Arc<dyn earshot_core::Store>,
    Option<tempfile::TempDir>,
)> {
    Ok(match database {
        Some(url) => (earshot_store::open(&url).await?, None),
        None => {
            let dir = tempfile::tempdir()?;
            let url = format!("sqlite://{}", dir.path().join("bench.db").display());
            (earshot_store::open(&url).await?, Some(dir))
        }
    })
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
    let (store, _tmp) = bench_store(database).await?;
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
    if args.care_team {
        eprintln!("{}", crate::demo::care_team(store.as_ref(), ws.id).await?);
    }

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
    let pipeline = if args.no_enrich {
        earshot_engine::Pipeline::with_understanding(store.clone(), None)
    } else {
        earshot_engine::Pipeline::new(store.clone())
    };
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
    let backend = store.backend();
    drop(store);
    println!(
        "bench ingest ({backend}, seed {}, batch {}, enrich stage {}, care team rules {})",
        args.seed,
        args.batch_size,
        if args.no_enrich { "off" } else { "on" },
        if args.care_team { "on" } else { "off" }
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

async fn sla(database: Option<String>, args: SlaBench) -> anyhow::Result<ExitCode> {
    let (store, _tmp) = bench_store(database).await?;
    let ws = store.ensure_workspace("bench-sla").await?;
    if store.counts(ws.id).await?.conversations > 0 {
        anyhow::bail!("workspace `bench-sla` is not empty; use an empty database");
    }
    // The first message of each generated thread: a customer waiting for a first answer.
    let firsts = generate(SynthConfig {
        seed: args.seed,
        messages: args.conversations * 5,
    })
    .filter(|m| m.in_reply_to.is_none() && m.direction == earshot_core::Direction::In)
    .take(args.conversations as usize);
    let records = firsts.enumerate().map(|(i, m)| Decoded {
        location: Location::Line(i as u64 + 1),
        result: Ok(m),
    });
    let pipeline = earshot_engine::Pipeline::new(store.clone());
    let options = IngestOptions {
        batch_size: earshot_engine::ingest::DEFAULT_BATCH,
        source: "bench".into(),
    };
    let fill = earshot_engine::ingest(&pipeline, ws.id, records, &options, |_| {}, |_| {}).await?;
    let open = store.counts(ws.id).await?.conversations;
    eprintln!(
        "filled {open} open conversations in {:.1} s",
        fill.elapsed.as_secs_f64()
    );
    // The generated threads start on 2017-10-01 and spread over the following weeks.
    let epoch = chrono::DateTime::<chrono::Utc>::UNIX_EPOCH;
    let everything = store
        .sla_due(
            epoch,
            chrono::Utc::now() + chrono::Duration::days(36_500),
            u32::MAX,
        )
        .await?;
    let first_due = everything
        .first()
        .map(|d| d.2)
        .ok_or_else(|| anyhow::anyhow!("nothing due"))?;
    let last_due = everything.last().map(|d| d.2).unwrap_or(first_due);
    let mid = first_due + (last_due - first_due) / 2;
    let time = |f: std::time::Duration| f.as_secs_f64() * 1000.0;
    // Baseline in the same run: the store's cheapest read.
    let started = Instant::now();
    for _ in 0..20 {
        store.counts(ws.id).await?;
    }
    let baseline = started.elapsed() / 20;
    // A typical pass: the worker runs every few seconds and asks for what fell due since its
    // last pass; here, the minute before mid-range (20 times, median).
    let mut typical = Vec::new();
    let mut found = 0;
    for _ in 0..20 {
        let started = Instant::now();
        found = store
            .sla_due(mid - chrono::Duration::minutes(1), mid, 10_000)
            .await?
            .len();
        typical.push(started.elapsed());
    }
    typical.sort();
    let started = Instant::now();
    let all = store.sla_due(epoch, last_due, u32::MAX).await?;
    let worst = started.elapsed();
    // A whole timer-worker pass for the same minute: warnings, breaches (each recorded as an
    // event, rules run), snoozes and the outbox.
    let timers = earshot_engine::timers::Timers::new(
        store.clone(),
        pipeline.workflow.clone(),
        std::sync::Arc::new(earshot_engine::timers::Outbound::new(None)),
    );
    for cursor in ["sla_warning", "sla_breach", "snooze"] {
        store
            .set_timer_cursor(cursor, mid - chrono::Duration::minutes(1))
            .await?;
    }
    let started = Instant::now();
    let pass = timers.pass(mid).await?;
    let pass_time = started.elapsed();
    let backend = store.backend();
    println!("bench sla ({backend}, {open} open conversations waiting for an answer)");
    println!("  counts() (baseline): {:.2} ms", time(baseline));
    println!(
        "  typical pass (what fell due in one minute at mid-range: {found} conversations): median {:.2} ms",
        time(typical[typical.len() / 2])
    );
    println!(
        "  worst case (all {} due at once, one query): {:.0} ms",
        all.len(),
        time(worst)
    );
    println!(
        "  a whole worker pass for that minute ({} warnings, {} breaches recorded as events, rules run): {:.1} ms",
        pass.warnings,
        pass.breaches,
        time(pass_time)
    );
    Ok(ExitCode::SUCCESS)
}
