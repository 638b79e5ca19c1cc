//! `earshot ingest FILE…`: store messages from files, report what happened, and exit
//! non-zero (2) when any record was rejected. Rejects go to a JSONL file with each record's
//! location and reason; nothing good is held back by something bad.

use crate::config::{self, FileConfig};
use anyhow::Context;
use clap::Args;
use earshot_channels::{decode, detect, DecodeOptions, Format};
use earshot_core::WorkspaceId;
use earshot_engine::{IngestOptions, IngestReport, Pipeline, RejectRecord};
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Exit code when the run finished but some records were rejected.
pub const EXIT_REJECTED: u8 = 2;

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files to read.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// jsonl, twcs, x-v2, x-v1, x-activity, mastodon, reddit, discourse, whatsapp, messenger,
    /// instagram, telegram, eml or mbox [default: detected from each file].
    #[arg(long)]
    pub format: Option<Format>,
    /// Workspace to store into (created if new) [default: default].
    #[arg(long, env = "EARSHOT_WORKSPACE")]
    pub workspace: Option<String>,
    /// The brand's own account on the channel (e.g. an X handle): its posts are outbound.
    #[arg(long)]
    pub account: Option<String>,
    /// Where to write rejected records (JSONL) [default: earshot-rejects.jsonl].
    #[arg(long, default_value = "earshot-rejects.jsonl")]
    pub rejects: PathBuf,
    /// Messages per database transaction.
    #[arg(long, default_value_t = earshot_engine::ingest::DEFAULT_BATCH)]
    pub batch_size: usize,
}

pub async fn run(
    file: &FileConfig,
    database: Option<String>,
    args: IngestArgs,
) -> anyhow::Result<ExitCode> {
    let store = earshot_store::open(&config::database_url(database)).await?;
    let workspace_name = args
        .workspace
        .clone()
        .or(file.workspace.clone())
        .unwrap_or_else(|| config::DEFAULT_WORKSPACE.into());
    let workspace = store.ensure_workspace(&workspace_name).await?;
    let pipeline = Pipeline::new(store);
    let mut rejects = RejectsFile::new(&args.rejects);
    let mut total = IngestReport::default();
    let mut unreadable = 0;
    for path in &args.files {
        match ingest_file(&pipeline, workspace.id, path, &args, &mut rejects).await {
            Ok(report) => total.merge(&report),
            Err(e) => {
                unreadable += 1;
                eprintln!("error: {}: {e:#}", path.display());
            }
        }
    }
    rejects.finish()?;
    if args.files.len() > 1 {
        print_summary("total", &total);
    }
    if total.rejected > 0 {
        eprintln!(
            "{} rejected record(s) written to {} (each with its location and reason)",
            total.rejected,
            args.rejects.display()
        );
    }
    Ok(if unreadable > 0 {
        ExitCode::FAILURE
    } else if total.rejected > 0 {
        ExitCode::from(EXIT_REJECTED)
    } else {
        ExitCode::SUCCESS
    })
}

async fn ingest_file(
    pipeline: &Pipeline,
    workspace: WorkspaceId,
    path: &Path,
    args: &IngestArgs,
    rejects: &mut RejectsFile,
) -> anyhow::Result<IngestReport> {
    let file = File::open(path).context("could not open")?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let format = match args.format {
        Some(f) => f,
        None => {
            let head = reader.fill_buf().context("could not read")?;
            let head = &head[..head.len().min(8192)];
            detect(path, head).with_context(|| {
                "could not tell the format; pass --format (jsonl, twcs, x-v2, x-v1, mastodon, reddit, …: see earshot ingest --help)".to_string()
            })?
        }
    };
    let options = DecodeOptions {
        account: args.account.clone(),
    };
    let records = decode(reader, format, &options).context("could not read")?;

    let bar = ProgressBar::new(size.max(1));
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix} [{bar:30}] {msg}")
            .expect("valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(path.display().to_string());
    let ingest_options = IngestOptions {
        batch_size: args.batch_size,
        source: path.display().to_string(),
    };
    let mut shown = 0;
    let report = earshot_engine::ingest(
        pipeline,
        workspace,
        records,
        &ingest_options,
        |reject| {
            if shown < 10 {
                bar.suspend(|| {
                    eprintln!(
                        "rejected {} {}: {} ({})",
                        reject.source, reject.at, reject.reason, reject.code
                    )
                });
            } else if shown == 10 {
                bar.suspend(|| eprintln!("… more rejects in {}", args.rejects.display()));
            }
            shown += 1;
            rejects.write(reject);
        },
        |report| {
            bar.set_message(format!("{} read, {} stored", report.read, report.stored));
            bar.set_length(size.max(report.read));
        },
    )
    .await?;
    bar.finish_and_clear();
    eprintln!("{} ({})", path.display(), format.name());
    print_summary(&path.display().to_string(), &report);
    Ok(report)
}

fn print_summary(label: &str, r: &IngestReport) {
    println!(
        "{label}: read {}, stored {}, duplicates {}, counted {}, erased {}, rejected {} ({} awaiting parent); {:.0} messages/s in {:.2} s",
        r.read,
        r.stored,
        r.duplicates,
        r.counted,
        r.erased,
        r.rejected,
        r.awaiting_parent,
        r.rate(),
        r.elapsed.as_secs_f64()
    );
}

/// The rejects file, created on the first reject (a clean run leaves no file behind, and
/// an old one from an earlier run is removed so it can't be mistaken for this run's).
struct RejectsFile {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    error: Option<std::io::Error>,
}

impl RejectsFile {
    fn new(path: &Path) -> Self {
        let _ = std::fs::remove_file(path);
        Self {
            path: path.to_path_buf(),
            writer: None,
            error: None,
        }
    }

    fn write(&mut self, reject: &RejectRecord) {
        if self.error.is_some() {
            return;
        }
        let result = (|| {
            if self.writer.is_none() {
                self.writer = Some(BufWriter::new(File::create(&self.path)?));
            }
            let w = self.writer.as_mut().expect("just created");
            serde_json::to_writer(&mut *w, reject)?;
            w.write_all(b"\n")
        })();
        if let Err(e) = result {
            self.error = Some(e);
        }
    }

    fn finish(mut self) -> anyhow::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e)
                .with_context(|| format!("could not write rejects to {}", self.path.display()));
        }
        if let Some(mut w) = self.writer.take() {
            w.flush()
                .with_context(|| format!("could not write rejects to {}", self.path.display()))?;
        }
        Ok(())
    }
}
