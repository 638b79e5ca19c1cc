//! `earshot import orders FILE`: a shop's orders from CSV or JSON lines.

use crate::config;
use clap::Args;
use earshot_engine::orders::ImportError;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ImportOrdersArgs {
    /// A CSV file (header row: id, number, email, phone, customer_id, placed_at, amount,
    /// currency, status, items; Shopify's order export works too) or JSON lines (.jsonl).
    pub file: PathBuf,
    #[arg(long, env = "EARSHOT_WORKSPACE")]
    pub workspace: String,
}

pub async fn run(database: Option<String>, args: ImportOrdersArgs) -> anyhow::Result<ExitCode> {
    let store = earshot_store::open(&config::database_url(database)).await?;
    let ws = store.ensure_workspace(&args.workspace).await?;
    match earshot_engine::orders::import_file(store.as_ref(), ws.id, &args.file).await {
        Ok(r) => {
            let s = &r.stored;
            println!(
                "{}: {} orders read; {} new, {} updated, {} unchanged, {} not stored (erased people); \
                 {} belong to a contact",
                args.file.display(),
                r.read,
                s.created,
                s.updated,
                s.unchanged,
                s.erased,
                s.matched + r.values.matched,
            );
            println!(
                "values: {} contacts changed (in {}); checked in {:.2} s, stored in {:.2} s, values in {:.2} s",
                r.values.contacts,
                r.values.currency.as_deref().unwrap_or("no currency yet"),
                r.check_seconds,
                r.store_seconds,
                r.recompute_seconds
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(ImportError::Invalid {
            path,
            errors,
            total,
        }) => {
            eprintln!(
                "error: {path}: {total} bad line{}; nothing was imported",
                if total == 1 { "" } else { "s" }
            );
            for e in &errors {
                eprintln!("  {e}");
            }
            if total > errors.len() {
                eprintln!("  … and {} more", total - errors.len());
            }
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}
