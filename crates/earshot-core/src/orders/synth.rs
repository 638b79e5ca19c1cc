//! Made-up orders for benchmarks and demos: a deterministic CSV in the format
//! [`OrderReader`](super::parse::OrderReader) reads.
//!
//! The same [`SynthOrders`] and `now` always give the same bytes. What it looks like:
//!
//! - customers `customer{n}@example.com`, `n` in `0..customers`, skewed so that a few buy
//!   often (`n = r² · customers` for a uniform `r`: customer 0 buys most); about 70 % of
//!   customers have a phone, `+1555` and seven digits from `n`; customer ref `cust-{n}`;
//! - ids `synth-{i}`, numbers `#{1001 + i}`, placed in order over the three years before
//!   `now` (the clock is never read);
//! - amounts 5.00–500.00, in USD, 5 % in EUR, 2 % in JPY (500–50000 yen);
//! - statuses: 85 % paid or fulfilled (paid while less than 14 days old), 5 % pending, 5 %
//!   cancelled, 5 % refunded;
//! - 1–4 items from a small catalogue, `Blue mug x2; Tea towel`.

use crate::orders::currency::format_minor;
use crate::time::Timestamp;
use chrono::Duration;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::{self, Write};

/// The header [`write_csv`] writes.
pub const HEADER: [&str; 10] = [
    "id",
    "number",
    "email",
    "phone",
    "customer_id",
    "placed_at",
    "amount",
    "currency",
    "status",
    "items",
];

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SynthOrders {
    /// The same seed gives the same orders.
    pub seed: u64,
    /// How many orders (rows).
    pub orders: usize,
    /// How many distinct customers they are spread over (at least 1 is used).
    pub customers: usize,
}

const CATALOGUE: &[&str] = &[
    "Blue mug",
    "Tea towel",
    "Linen apron",
    "Oak serving board",
    "Candle, fig and cedar",
    "Ceramic bowl",
    "Wool throw",
    "Gift card",
    "Coffee beans 250g",
    "Enamel pin",
];

/// Days over which the orders are spread, before `now`.
const SPAN_DAYS: i64 = 3 * 365;

/// The splitmix64 finalizer: a per-customer coin that does not depend on draw order.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The phone of customer `n`, for about 70 % of them.
fn phone_of(seed: u64, n: usize) -> Option<String> {
    (mix(seed ^ mix(n as u64)) % 100 < 70).then(|| format!("+1555{:07}", n % 10_000_000))
}

/// Writes `cfg.orders` orders as CSV (header [`HEADER`]) placed in the three years before
/// `now`.
pub fn write_csv<W: Write>(cfg: &SynthOrders, now: Timestamp, w: W) -> io::Result<()> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let customers = cfg.customers.max(1);
    let mut out = csv::Writer::from_writer(w);
    out.write_record(HEADER)?;
    let start = now - Duration::days(SPAN_DAYS);
    let span_secs = SPAN_DAYS * 86_400;
    let step = (span_secs / cfg.orders.max(1) as i64).max(1);
    for i in 0..cfg.orders {
        let r: f64 = rng.random();
        let n = ((r * r * customers as f64) as usize).min(customers - 1);
        let offset = (i as i64 * span_secs) / cfg.orders.max(1) as i64 + rng.random_range(0..step);
        let placed = start + Duration::seconds(offset.min(span_secs - 1));
        let cur_draw: f64 = rng.random();
        let currency = if cur_draw < 0.02 {
            "JPY"
        } else if cur_draw < 0.07 {
            "EUR"
        } else {
            "USD"
        };
        let amount = format_minor(rng.random_range(500..=50_000), currency);
        let status_draw: f64 = rng.random();
        let status = if status_draw < 0.85 {
            if now - placed < Duration::days(14) {
                "paid"
            } else {
                "fulfilled"
            }
        } else if status_draw < 0.90 {
            "pending"
        } else if status_draw < 0.95 {
            "cancelled"
        } else {
            "refunded"
        };
        let count = rng.random_range(1..=4);
        let mut items: Vec<String> = Vec::with_capacity(count);
        for _ in 0..count {
            let name = CATALOGUE[rng.random_range(0..CATALOGUE.len())];
            let quantity: u32 = if rng.random_bool(0.8) {
                1
            } else {
                rng.random_range(2..=3)
            };
            items.push(if quantity == 1 {
                name.to_owned()
            } else {
                format!("{name} x{quantity}")
            });
        }
        out.write_record([
            format!("synth-{i}"),
            format!("#{}", 1001 + i),
            format!("customer{n}@example.com"),
            phone_of(cfg.seed, n).unwrap_or_default(),
            format!("cust-{n}"),
            placed.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            amount,
            currency.to_owned(),
            status.to_owned(),
            items.join("; "),
        ])?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::orders::parse::{FileFormat, OrderReader};
    use crate::orders::OrderStatus;
    use chrono::{TimeZone, Utc};
    use std::collections::HashSet;

    fn now() -> Timestamp {
        Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
    }

    fn csv(cfg: &SynthOrders) -> Vec<u8> {
        let mut buf = Vec::new();
        write_csv(cfg, now(), &mut buf).unwrap();
        buf
    }

    #[test]
    fn a_thousand_orders_read_back_cleanly() {
        let cfg = SynthOrders {
            seed: 7,
            orders: 1_000,
            customers: 200,
        };
        let bytes = csv(&cfg);
        let orders: Vec<_> = OrderReader::new(Box::new(io::Cursor::new(bytes)), FileFormat::Csv)
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(orders.len(), 1_000);
        let earliest = now() - Duration::days(SPAN_DAYS);
        assert!(orders
            .iter()
            .all(|o| o.placed_at >= earliest && o.placed_at <= now()));
        assert!(orders.windows(2).all(|w| w[0].placed_at <= w[1].placed_at));
        assert!(orders.iter().all(|o| (1..=4).contains(&o.items.len())));
        let usd: Vec<_> = orders.iter().filter(|o| o.currency == "USD").collect();
        assert!(usd.iter().all(|o| (500..=50_000).contains(&o.amount_minor)));
        assert!(usd.len() > 850, "{}", usd.len());
        let counting = orders.iter().filter(|o| o.status.counts()).count();
        assert!((850..=950).contains(&counting), "{counting}");
        assert!(orders.iter().any(|o| o.status == OrderStatus::Refunded));
        // Skewed: customer 0 buys far more than the last one.
        let of = |n: usize| {
            orders
                .iter()
                .filter(|o| o.email.as_deref() == Some(&format!("customer{n}@example.com")))
                .count()
        };
        assert!(of(0) > of(199) + 5, "{} vs {}", of(0), of(199));
        let customers: HashSet<_> = orders.iter().map(|o| o.customer_ref.clone()).collect();
        let phones: HashSet<_> = orders
            .iter()
            .filter(|o| o.phone.is_some())
            .map(|o| o.customer_ref.clone())
            .collect();
        let share = phones.len() as f64 / customers.len() as f64;
        assert!((0.55..0.85).contains(&share), "{share}");
    }

    #[test]
    fn the_same_seed_gives_the_same_file() {
        let cfg = SynthOrders {
            seed: 42,
            orders: 50,
            customers: 10,
        };
        assert_eq!(csv(&cfg), csv(&cfg));
        assert_ne!(csv(&cfg), csv(&SynthOrders { seed: 43, ..cfg }));
        let text = String::from_utf8(csv(&cfg)).unwrap();
        assert!(text.starts_with(
            "id,number,email,phone,customer_id,placed_at,amount,currency,status,items\n"
        ));
        let empty = SynthOrders {
            orders: 0,
            customers: 0,
            ..cfg
        };
        assert_eq!(csv(&empty).iter().filter(|&&b| b == b'\n').count(), 1);
    }
}
