//! A seeded generator of customer-care threads shaped like the Customer Support on Twitter
//! (TWCS) data: a customer tweets at a brand's care account, the brand answers, the customer
//! follows up, and so on. Used by `earshot bench` and by `earshot demo` when the real data is
//! absent. The same seed always gives the same messages, in the same order.
//!
//! Shape: threads of 1–7 messages (mean 3.5), customers reused across threads (≈ 2.3
//! threads each at a million messages), the brand answering 2 minutes to 6 hours later,
//! and arrival slightly out of order (messages are emitted shuffled within a window of 32),
//! as real exports and webhooks deliver them.

use chrono::{DateTime, Duration, TimeZone, Utc};
use earshot_core::{ChannelKind, ChannelRole, Direction, Inbound, InboundAuthor, Visibility};
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;

const BRANDS: [&str; 12] = [
    "AppleSupport",
    "AmazonHelp",
    "Uber_Support",
    "SpotifyCares",
    "comcastcares",
    "Delta",
    "TMobileHelp",
    "sprintcare",
    "AskPlayStation",
    "British_Airways",
    "SouthwestAir",
    "hulu_support",
];
const PRODUCTS: [&str; 12] = [
    "phone",
    "order",
    "flight",
    "account",
    "app",
    "subscription",
    "package",
    "router",
    "bill",
    "card",
    "update",
    "booking",
];
const OPENERS: [&str; 10] = [
    "my {p} still hasn't arrived and nobody is answering",
    "why does the {p} keep crashing after the last update??",
    "I was charged twice for my {p}, please fix this",
    "is there any way to change my {p} without calling?",
    "thanks for sorting out my {p} so quickly, great service!",
    "the {p} has been down for 3 hours now. what is going on",
    "can't log in to my {p} since this morning",
    "I've been on hold for an hour about my {p}. cancelling if this continues",
    "would be great if the {p} let me pick a delivery time",
    "hi, how do I get a refund for my {p}?",
];
const REPLIES: [&str; 6] = [
    "Sorry to hear that! Please send us a DM with your {p} details and we'll take a look.",
    "We'd like to help. Could you tell us which version of the {p} you're on?",
    "Thanks for reaching out. We've escalated your {p} issue to our team.",
    "Glad we could help! Let us know if there's anything else.",
    "Apologies for the wait. Can you DM us the email address on your {p}?",
    "We understand the frustration. A refund for the {p} has been requested.",
];
const FOLLOW_UPS: [&str; 5] = [
    "sent you a DM",
    "still not working, this is ridiculous",
    "ok thanks, that worked",
    "it's the latest version, already tried restarting",
    "any update on this? it's been a day",
];

/// The generator's settings. `messages` is exact: the last thread is cut short if needed.
#[derive(Debug, Clone, Copy)]
pub struct SynthConfig {
    pub seed: u64,
    pub messages: u64,
}

/// An iterator of generated messages (see the module docs for their shape).
pub fn generate(config: SynthConfig) -> impl Iterator<Item = Inbound> + Send {
    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let start: DateTime<Utc> = Utc.with_ymd_and_hms(2017, 10, 1, 0, 0, 0).unwrap();
    let customers = (config.messages / 7).max(1);
    let mut emitted = 0u64;
    let mut next_tweet = 1_000_000_000u64;
    let mut window: Vec<Inbound> = Vec::new();
    std::iter::from_fn(move || loop {
        if emitted >= config.messages && window.is_empty() {
            return None;
        }
        if window.len() >= 32 || (emitted >= config.messages && !window.is_empty()) {
            let i = rng.random_range(0..window.len());
            return Some(window.swap_remove(i));
        }
        let remaining = config.messages - emitted;
        let thread = thread(&mut rng, start, customers, &mut next_tweet, remaining);
        emitted += thread.len() as u64;
        window.extend(thread);
    })
}

fn thread(
    rng: &mut ChaCha8Rng,
    start: DateTime<Utc>,
    customers: u64,
    next_tweet: &mut u64,
    remaining: u64,
) -> Vec<Inbound> {
    // Thread length: mostly 2–3, sometimes a lone tweet, sometimes a long exchange.
    let len = (*[1u64, 2, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7].choose(rng).unwrap()).min(remaining);
    let brand = *BRANDS.choose(rng).unwrap();
    let product = *PRODUCTS.choose(rng).unwrap();
    let customer = rng.random_range(0..customers) + 100_000;
    let followers = rng.random_range(0..5_000u32);
    let mut at = start + Duration::seconds(rng.random_range(0..60 * 86_400));
    let mut parent: Option<String> = None;
    let mut out = Vec::with_capacity(len as usize);
    for k in 0..len {
        let brand_turn = k % 2 == 1;
        let id = next_tweet.to_string();
        *next_tweet += 1;
        let text = if brand_turn {
            format!(
                "@{customer} {}",
                REPLIES.choose(rng).unwrap().replace("{p}", product)
            )
        } else if k == 0 {
            format!(
                "@{brand} {}",
                OPENERS.choose(rng).unwrap().replace("{p}", product)
            )
        } else {
            format!("@{brand} {}", FOLLOW_UPS.choose(rng).unwrap())
        };
        let author = if brand_turn {
            InboundAuthor {
                external_id: brand.to_string(),
                handle: Some(brand.to_string()),
                display_name: None,
                followers: Some(250_000),
                verified: true,
                email: None,
                phone: None,
            }
        } else {
            InboundAuthor {
                external_id: customer.to_string(),
                handle: None,
                display_name: None,
                followers: Some(followers),
                verified: false,
                email: None,
                phone: None,
            }
        };
        let direction = if brand_turn {
            Direction::Out
        } else {
            Direction::In
        };
        let raw = json!({
            "tweet_id": id, "author_id": author.external_id, "inbound": !brand_turn,
            "created_at": at.to_rfc3339(), "text": text, "in_response_to_tweet_id": parent,
        });
        out.push(Inbound {
            channel: ChannelKind::X,
            account: None,
            source: ChannelRole::Owned,
            external_id: id.clone(),
            direction,
            visibility: Visibility::Public,
            author,
            text,
            created_at: at,
            in_reply_to: parent.take(),
            raw: Some(raw),
            automated: false,
            signature: None,
            url: None,
            attachments: Vec::new(),
        });
        parent = Some(id);
        at += Duration::seconds(rng.random_range(120..6 * 3600));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn same_seed_same_messages_and_exact_count() {
        let a: Vec<_> = generate(SynthConfig {
            seed: 7,
            messages: 500,
        })
        .collect();
        let b: Vec<_> = generate(SynthConfig {
            seed: 7,
            messages: 500,
        })
        .collect();
        let c: Vec<_> = generate(SynthConfig {
            seed: 8,
            messages: 500,
        })
        .collect();
        assert_eq!(a.len(), 500);
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn messages_are_valid_threads_delivered_slightly_out_of_order() {
        let all: Vec<_> = generate(SynthConfig {
            seed: 1,
            messages: 2_000,
        })
        .collect();
        let ids: HashSet<_> = all.iter().map(|m| m.external_id.as_str()).collect();
        assert_eq!(ids.len(), all.len(), "external ids are unique");
        for m in &all {
            m.validate().unwrap();
            if let Some(parent) = &m.in_reply_to {
                assert!(ids.contains(parent.as_str()), "every parent is generated");
            }
        }
        let replies_before_parent = all
            .iter()
            .enumerate()
            .filter(|(i, m)| {
                m.in_reply_to
                    .as_ref()
                    .is_some_and(|p| all[i + 1..].iter().any(|n| &n.external_id == p))
            })
            .count();
        assert!(
            replies_before_parent > 100,
            "only {replies_before_parent} arrive before their parent"
        );
        let outbound = all.iter().filter(|m| m.direction == Direction::Out).count();
        assert!((600..1000).contains(&outbound), "{outbound} brand replies");
    }
}
