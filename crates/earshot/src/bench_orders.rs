//! `earshot bench orders`: importing a shop's orders (a generated CSV, one million rows by
//! default) into a workspace whose customers already wrote, and deriving their lifetime
//! values. The baseline in the same run: reading and checking the file alone, and importing
//! the same file a second time (every order `unchanged`).

use clap::Args;
use earshot_core::inbound::{Inbound, InboundAuthor};
use earshot_core::orders::synth::{write_csv, SynthOrders};
use earshot_core::{ChannelKind, ChannelRole, Direction, Visibility};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Debug, Args)]
pub struct OrdersBench {
    /// Orders to generate and import.
    #[arg(long, default_value_t = 1_000_000)]
    pub orders: usize,
    /// Distinct customers the orders are spread over.
    #[arg(long, default_value_t = 100_000)]
    pub customers: usize,
    /// Of those, how many wrote to the brand first (contacts the orders match by email).
    #[arg(long, default_value_t = 50_000)]
    pub contacts: usize,
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

fn customer_message(n: usize) -> Inbound {
    let email = format!("customer{n}@example.com");
    Inbound {
        channel: ChannelKind::Email,
        account: Some("care@brand.example".into()),
        source: ChannelRole::Owned,
        external_id: format!("<bench-{n}@example.com>"),
        direction: Direction::In,
        visibility: Visibility::Private,
        author: InboundAuthor {
            external_id: email,
            handle: None,
            display_name: Some(format!("Customer {n}")),
            followers: None,
            verified: false,
            email: None,
            phone: None,
        },
        text: format!("Hello, a question about my order (customer {n})."),
        created_at: earshot_core::time::now(),
        in_reply_to: None,
        raw: None,
        automated: false,
        signature: None,
        url: None,
        attachments: Vec::new(),
    }
}

pub async fn run(database: Option<String>, args: OrdersBench) -> anyhow::Result<ExitCode> {
    let (store, _tmp) = crate::bench::bench_store(database).await?;
    let ws = store.ensure_workspace("bench-orders").await?;
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("orders.csv");

    let started = Instant::now();
    let cfg = SynthOrders {
        seed: args.seed,
        orders: args.orders,
        customers: args.customers,
    };
    write_csv(
        &cfg,
        earshot_core::time::now(),
        std::io::BufWriter::new(std::fs::File::create(&file)?),
    )?;
    let generate_seconds = started.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&file)?.len();

    // The customers who wrote first: contacts with a verified email.
    let started = Instant::now();
    let contacts = args.contacts.min(args.customers);
    let messages: Vec<Inbound> = (0..contacts).map(customer_message).collect();
    for chunk in messages.chunks(5_000) {
        store.ingest(ws.id, chunk).await?;
    }
    let contacts_seconds = started.elapsed().as_secs_f64();

    let first = earshot_engine::orders::import_file(store.as_ref(), ws.id, &file).await?;
    let again = earshot_engine::orders::import_file(store.as_ref(), ws.id, &file).await?;
    let per_s = |rows: u64, s: f64| rows as f64 / s.max(1e-9);
    let out = serde_json::json!({
        "backend": store.backend(),
        "orders": first.read,
        "customers": args.customers,
        "contacts": contacts,
        "file_mib": bytes as f64 / (1024.0 * 1024.0),
        "generate_seconds": generate_seconds,
        "contacts_seconds": contacts_seconds,
        "first": {
            "check_seconds": first.check_seconds,
            "store_seconds": first.store_seconds,
            "rows_per_second": per_s(first.read, first.store_seconds),
            "recompute_seconds": first.recompute_seconds,
            "created": first.stored.created,
            "matched": first.stored.matched + first.values.matched,
            "contacts_valued": first.values.contacts,
            "currency": first.values.currency,
        },
        "again": {
            "check_seconds": again.check_seconds,
            "store_seconds": again.store_seconds,
            "rows_per_second": per_s(again.read, again.store_seconds),
            "recompute_seconds": again.recompute_seconds,
            "unchanged": again.stored.unchanged,
            "contacts_valued": again.values.contacts,
        },
    });
    if args.json {
        println!("{out}");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} orders of {} customers ({:.1} MiB CSV, generated in {generate_seconds:.2} s); {contacts} of them \
         contacts already ({contacts_seconds:.2} s to ingest their first messages), {}",
        first.read,
        args.customers,
        bytes as f64 / (1024.0 * 1024.0),
        store.backend()
    );
    println!(
        "first import:  checked in {:.2} s ({:.0} rows/s), stored in {:.2} s ({:.0} rows/s): {} new, {} matched",
        first.check_seconds,
        per_s(first.read, first.check_seconds),
        first.store_seconds,
        per_s(first.read, first.store_seconds),
        first.stored.created,
        first.stored.matched + first.values.matched
    );
    println!(
        "               lifetime values recomputed in {:.2} s ({} contacts, in {})",
        first.recompute_seconds,
        first.values.contacts,
        first.values.currency.as_deref().unwrap_or("-")
    );
    println!(
        "same file again: checked in {:.2} s, stored in {:.2} s ({:.0} rows/s, {} unchanged), values in {:.2} s ({} changed)",
        again.check_seconds,
        again.store_seconds,
        per_s(again.read, again.store_seconds),
        again.stored.unchanged,
        again.recompute_seconds,
        again.values.contacts
    );
    Ok(ExitCode::SUCCESS)
}
