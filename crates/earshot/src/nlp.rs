//! `earshot train`, `earshot eval` and `earshot classify`: Earshot's own models, trained and
//! measured on `../shared/data` (see crates/earshot-nlp/models/*.md for the model cards).

use anyhow::Context;
use clap::{Args, ValueEnum};
use earshot_nlp::enrich::Understanding;
use earshot_nlp::eval;
use earshot_nlp::intents::{IntentFiles, Intents};
use earshot_nlp::recipes::Learned;
use earshot_nlp::{LinearModel, TrainConfig};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TrainKind {
    Sentiment,
    Complaint,
    Question,
    Suggestion,
    ChurnRisk,
    Spam,
    /// Every learned model, each to its file in --models.
    All,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalKind {
    Sentiment,
    Complaint,
    Question,
    Suggestion,
    ChurnRisk,
    Spam,
    /// Every intent as the enrich stage decides it (models, rules and sentiment together).
    Intents,
    /// Language detection on English tweets and on short messages in 12 languages.
    Language,
}

fn learned(kind: TrainKind) -> Vec<Learned> {
    match kind {
        TrainKind::Sentiment => vec![Learned::Sentiment],
        TrainKind::Complaint => vec![Learned::Complaint],
        TrainKind::Question => vec![Learned::Question],
        TrainKind::Suggestion => vec![Learned::Suggestion],
        TrainKind::ChurnRisk => vec![Learned::ChurnRisk],
        TrainKind::Spam => vec![Learned::Spam],
        TrainKind::All => Learned::ALL.to_vec(),
    }
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    pub model: TrainKind,
    /// The shared data folder (see ../shared/data/README.md).
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// The folder the model files are written to, as <model>.bin.
    #[arg(long, default_value = "crates/earshot-nlp/models")]
    pub models: PathBuf,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Passes over the training data [default: the recipe's].
    #[arg(long)]
    pub epochs: Option<usize>,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    pub model: EvalKind,
    #[arg(long, default_value = "../shared/data")]
    pub data: PathBuf,
    /// A folder of model files [default: the models built into earshot].
    #[arg(long)]
    pub models: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// The text to classify.
    pub text: Option<String>,
    /// Classify every line of this file; one JSON object per line out, in order.
    #[arg(long, conflicts_with = "text")]
    pub file: Option<PathBuf>,
}

pub fn train(args: TrainArgs) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.models)
        .with_context(|| format!("could not create {}", args.models.display()))?;
    for kind in learned(args.model) {
        let examples = kind.training_set(&args.data)?;
        let config = TrainConfig {
            seed: args.seed,
            epochs: args.epochs.unwrap_or(kind.config().epochs),
            ..kind.config()
        };
        let started = Instant::now();
        let model = LinearModel::train(&examples, kind.labels().len(), &config);
        let out = args.models.join(kind.file_name());
        let bytes = model.to_bytes();
        std::fs::write(&out, &bytes)
            .with_context(|| format!("could not write {}", out.display()))?;
        eprintln!(
            "{}: trained on {} examples in {:.1} s, wrote {} ({:.2} MB)",
            kind.name(),
            examples.len(),
            started.elapsed().as_secs_f64(),
            out.display(),
            bytes.len() as f64 / 1e6
        );
        let report = eval::learned(kind, &model, &args.data)?;
        println!("{} on {}:\n{}", report.what, report.split, report.confusion);
    }
    Ok(ExitCode::SUCCESS)
}

/// Each learned model's file, in [`Learned::ALL`] order: read from `--models`, or built in.
struct Models(Vec<std::borrow::Cow<'static, [u8]>>);

impl Models {
    fn load(dir: Option<&Path>) -> anyhow::Result<Self> {
        Learned::ALL
            .iter()
            .map(|kind| match dir {
                Some(d) => {
                    let p = d.join(kind.file_name());
                    std::fs::read(&p)
                        .map(std::borrow::Cow::Owned)
                        .with_context(|| format!("could not read {}", p.display()))
                }
                None => Ok(std::borrow::Cow::Borrowed(kind.builtin())),
            })
            .collect::<anyhow::Result<_>>()
            .map(Self)
    }

    fn bytes(&self, kind: Learned) -> &[u8] {
        let k = Learned::ALL
            .iter()
            .position(|l| *l == kind)
            .expect("every kind is in Learned::ALL");
        &self.0[k]
    }

    fn files(&self) -> IntentFiles<'_> {
        IntentFiles {
            complaint: self.bytes(Learned::Complaint),
            question: self.bytes(Learned::Question),
            suggestion: self.bytes(Learned::Suggestion),
            churn_risk: self.bytes(Learned::ChurnRisk),
            spam: self.bytes(Learned::Spam),
        }
    }

    fn understanding(&self) -> anyhow::Result<Understanding> {
        Ok(Understanding::from_models(
            self.bytes(Learned::Sentiment),
            &self.files(),
        )?)
    }
}

pub fn eval(args: EvalArgs) -> anyhow::Result<ExitCode> {
    let models = Models::load(args.models.as_deref())?;
    let kind = match args.model {
        EvalKind::Sentiment => Learned::Sentiment,
        EvalKind::Complaint => Learned::Complaint,
        EvalKind::Question => Learned::Question,
        EvalKind::Suggestion => Learned::Suggestion,
        EvalKind::ChurnRisk => Learned::ChurnRisk,
        EvalKind::Spam => Learned::Spam,
        EvalKind::Intents => {
            let u = models.understanding()?;
            for r in eval::intents(&u, &args.data)? {
                println!("{:<44} {:<58} {}", r.what, r.split, r.summary());
            }
            // Cross-check that the intent files are the ones Intents would load.
            Intents::from_files(&models.files())?;
            return Ok(ExitCode::SUCCESS);
        }
        EvalKind::Language => {
            let report = eval::language(&args.data)?;
            println!("{report}");
            return Ok(ExitCode::SUCCESS);
        }
    };
    let model = LinearModel::from_bytes_with(models.bytes(kind), kind.labels().len())?;
    let report = eval::learned(kind, &model, &args.data)?;
    println!("{} on {}:\n{}", report.what, report.split, report.confusion);
    // Speed on one core: the held-out texts classified until 50,000 (label only).
    let (_, dev) = kind.dev_set(&args.data)?;
    let rounds = 50_000usize.div_ceil(dev.len().max(1));
    let started = Instant::now();
    let mut checksum = 0usize;
    for _ in 0..rounds {
        checksum += dev.iter().map(|(t, _)| model.predict(t)).sum::<usize>();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "speed: {:.0} texts/s on one core ({} texts; checksum {checksum})",
        (rounds * dev.len()) as f64 / secs,
        rounds * dev.len()
    );
    Ok(ExitCode::SUCCESS)
}

fn reasons(because: &[earshot_core::enrichment::Reason]) -> String {
    because
        .iter()
        .map(|r| format!("{} ({:+.2})", r.feature, r.weight))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn classify(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    use std::io::{BufRead, Write};
    let u = Understanding::builtin();
    match (args.text, args.file) {
        (Some(text), None) => {
            let e = u.enrich(&text);
            println!("language:  {} ({:.2})", e.language, e.language_confidence);
            let s = &e.sentiment;
            println!(
                "sentiment: {} {:+.2} (negative {:.2}, neutral {:.2}, positive {:.2})",
                s.label, s.score, s.scores.negative, s.scores.neutral, s.scores.positive
            );
            if !s.because.is_empty() {
                println!("           because {}", reasons(&s.because));
            }
            if e.intents.is_empty() {
                println!("intents:   none");
            }
            for i in &e.intents {
                println!("intent:    {} {:.2}", i.name, i.confidence);
                println!("           because {}", reasons(&i.because));
            }
            println!("urgency:   {:.2}", e.urgency.score);
            if !e.urgency.because.is_empty() {
                println!("           because {}", reasons(&e.urgency.because));
            }
        }
        (None, Some(path)) => {
            let file = std::fs::File::open(&path)
                .with_context(|| format!("could not open {}", path.display()))?;
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            for line in std::io::BufReader::new(file).split(b'\n') {
                let line = line?;
                let text = String::from_utf8_lossy(&line);
                let text = text.strip_suffix('\r').unwrap_or(&text);
                serde_json::to_writer(&mut out, &u.enrich(text))?;
                writeln!(out)?;
            }
            out.flush()?;
        }
        _ => anyhow::bail!("give a text, or --file FILE"),
    }
    Ok(ExitCode::SUCCESS)
}
