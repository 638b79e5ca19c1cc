//! `earshot listen --queries QUERIES --file POSTS`: test listening queries offline. The
//! queries file has one `id<TAB>query` per line; the posts file one post per line. Prints one
//! line per post, in order, with the ids of the queries it matches (space-separated; an
//! empty line when none). Posts are matched as the pipeline matches them, with their detected
//! language for `lang:` queries. Every bad query is reported with its line and column, and nothing
//! is matched until all parse.

use anyhow::Context;
use clap::Args;
use earshot_listen::{parse, Matcher, Post};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ListenArgs {
    /// Queries, one `id<TAB>query` per line.
    #[arg(long)]
    pub queries: PathBuf,
    /// Posts, one per line.
    #[arg(long)]
    pub file: PathBuf,
}

pub fn run(args: ListenArgs) -> anyhow::Result<ExitCode> {
    let text = std::fs::read_to_string(&args.queries)
        .with_context(|| format!("could not read {}", args.queries.display()))?;
    let mut queries = Vec::new();
    let mut errors = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((id, query)) = line.split_once('\t') else {
            errors.push(format!(
                "{} line {}: expected `id<TAB>query`",
                args.queries.display(),
                n + 1
            ));
            continue;
        };
        match parse(query) {
            Ok(q) => queries.push((id.trim().to_string(), q)),
            Err(e) => errors.push(format!(
                "{} line {} (query `{}`), column {}: {}",
                args.queries.display(),
                n + 1,
                id.trim(),
                e.column,
                e.message
            )),
        }
    }
    if !errors.is_empty() {
        for e in &errors {
            eprintln!("error: {e}");
        }
        eprintln!(
            "{} bad quer{}; nothing was matched",
            errors.len(),
            if errors.len() == 1 { "y" } else { "ies" }
        );
        return Ok(ExitCode::from(2));
    }
    let matcher = Matcher::new(queries);
    let posts = std::fs::File::open(&args.file)
        .with_context(|| format!("could not open {}", args.file.display()))?;
    let mut out = BufWriter::new(std::io::stdout().lock());
    for line in BufReader::new(posts).split(b'\n') {
        let line = line.with_context(|| format!("could not read {}", args.file.display()))?;
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches('\r');
        let mut post = Post::new(text);
        // `lang:` queries see the language the pipeline would detect.
        let lang = earshot_nlp::detect_language(text);
        post.lang = (lang.code != "unknown").then(|| lang.code.to_string());
        let ids = matcher.matches(&post);
        writeln!(out, "{}", ids.join(" "))?;
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
