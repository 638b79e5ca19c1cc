//! `earshot train`, `earshot eval` and `earshot classify`: Earshot's own models, trained and
//! measured on `../shared/data` (see crates/earshot-nlp/models/*.md for the model cards).

use anyhow::Context;
use clap::{Args, ValueEnum};
use earshot_nlp::data::{airline, tweeteval, Example};
use earshot_nlp::metrics::Confusion;
use earshot_nlp::sentiment::LABELS;
use earshot_nlp::{SentimentModel, TrainConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// The model shipped with Earshot (trained by `earshot train sentiment`).
pub const SENTIMENT_MODEL: &[u8] = include_bytes!("../../earshot-nlp/models/sentiment.bin");

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ModelKind {
    Sentiment,
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    pub model: ModelKind,
    /// The shared data folder (with sentiment/tweeteval and sentiment/airline).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// Where to write the model.
    #[arg(long, default_value = "crates/earshot-nlp/models/sentiment.bin")]
    pub out: PathBuf,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[arg(long, default_value_t = TrainConfig::default().epochs)]
    pub epochs: usize,
    /// Add the airline tweets to training (measured: slightly worse on TweetEval val).
    #[arg(long)]
    pub with_airline: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    pub model: ModelKind,
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// A model file [default: the one built into earshot].
    #[arg(long)]
    pub file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The text to classify.
    pub text: Option<String>,
    /// Classify every line of this file; one JSON object per line out, in order.
    #[arg(long, conflicts_with = "text")]
    pub file: Option<PathBuf>,
}

fn training_set(data: &Path, with_airline: bool) -> anyhow::Result<Vec<Example>> {
    let mut examples = tweeteval(&data.join("sentiment/tweeteval"), "train")?;
    if with_airline {
        examples.extend(airline(&data.join("sentiment/airline/train.csv"))?);
    }
    Ok(examples)
}

pub fn evaluate(model: &SentimentModel, data: &Path) -> anyhow::Result<Confusion> {
    let val = tweeteval(&data.join("sentiment/tweeteval"), "val")?;
    let mut confusion = Confusion::new(&LABELS);
    for (text, truth) in &val {
        confusion.add(*truth, model.predict(text));
    }
    Ok(confusion)
}

pub fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let ModelKind::Sentiment = args.model;
    let examples = training_set(&args.data, args.with_airline)?;
    let config = TrainConfig {
        seed: args.seed,
        epochs: args.epochs,
        ..TrainConfig::default()
    };
    let started = Instant::now();
    let model = SentimentModel::train(&examples, &config);
    eprintln!(
        "trained on {} examples in {:.1} s",
        examples.len(),
        started.elapsed().as_secs_f64()
    );
    let bytes = model.to_bytes();
    std::fs::write(&args.out, &bytes)
        .with_context(|| format!("could not write {}", args.out.display()))?;
    eprintln!(
        "wrote {} ({:.1} MB)",
        args.out.display(),
        bytes.len() as f64 / 1e6
    );
    println!("TweetEval val:\n{}", evaluate(&model, &args.data)?);
    Ok(ExitCode::SUCCESS)
}

fn load(file: Option<&Path>) -> anyhow::Result<SentimentModel> {
    Ok(match file {
        Some(p) => SentimentModel::from_bytes(
            &std::fs::read(p).with_context(|| format!("could not read {}", p.display()))?,
        )?,
        None => SentimentModel::from_bytes(SENTIMENT_MODEL)?,
    })
}

pub fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let ModelKind::Sentiment = args.model;
    let model = load(args.file.as_deref())?;
    println!("TweetEval val:\n{}", evaluate(&model, &args.data)?);
    // Speed on one core: the val texts classified 25 times (label only, no explanation).
    let val = tweeteval(&args.data.join("sentiment/tweeteval"), "val")?;
    let started = Instant::now();
    let mut checksum = 0usize;
    for _ in 0..25 {
        checksum += val.iter().map(|(t, _)| model.predict(t)).sum::<usize>();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "speed: {:.0} texts/s on one core ({} texts; checksum {checksum})",
        (25 * val.len()) as f64 / secs,
        25 * val.len()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn classify(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    use std::io::{BufRead, Write};
    let model = load(None)?;
    let json = |text: &str| {
        let s = model.classify(text, 5);
        serde_json::json!({
            "sentiment": s.label,
            "scores": {"negative": s.scores[0], "neutral": s.scores[1], "positive": s.scores[2]},
            "because": s.because.iter().map(|(f, w)| serde_json::json!({"feature": f, "weight": w})).collect::<Vec<_>>(),
        })
    };
    match (args.text, args.file) {
        (Some(text), None) => {
            let s = model.classify(&text, 5);
            println!(
                "sentiment: {} (negative {:.2}, neutral {:.2}, positive {:.2})",
                s.label, s.scores[0], s.scores[1], s.scores[2]
            );
            for (feature, weight) in s.because {
                println!("  because {feature} ({weight:+.3})");
            }
        }
        (None, Some(path)) => {
            let file = std::fs::File::open(&path)
                .with_context(|| format!("could not open {}", path.display()))?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for line in std::io::BufReader::new(file).split(b'\n') {
                let line = line?;
                writeln!(out, "{}", json(&String::from_utf8_lossy(&line)))?;
            }
            out.flush()?;
        }
        _ => anyhow::bail!("give a text, or --file FILE"),
    }
    Ok(ExitCode::SUCCESS)
}
