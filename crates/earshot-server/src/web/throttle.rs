//! How fast anyone may guess passwords. Failed sign-ins are counted per account (the email
//! asked for, known or not) and per client address; past a few free failures each further
//! one makes that account or address wait twice as long as the last (1 s, 2 s, 4 s … up to
//! 15 minutes) before a password is even checked, so a guesser gets a handful of tries and then
//! a few per hour, while the person who mistyped waits seconds. A success clears its account's
//! count. Counts are forgotten an hour after the last failure and kept in memory, per process.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures an account may have before it waits.
pub const ACCOUNT_FREE: u32 = 5;
/// Failures one address may have (over every account it tries) before it waits.
pub const ADDRESS_FREE: u32 = 20;
const MAX_WAIT: Duration = Duration::from_secs(15 * 60);
const FORGET: Duration = Duration::from_secs(60 * 60);
/// Entries kept before the forgotten ones are dropped.
const TIDY_ABOVE: usize = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Account(String),
    Address(IpAddr),
}

#[derive(Debug, Clone, Copy)]
struct Count {
    failures: u32,
    last: Instant,
    until: Option<Instant>,
}

#[derive(Debug, Default)]
pub struct SignInThrottle {
    counts: Mutex<HashMap<Key, Count>>,
}

fn keys(email: &str, address: Option<IpAddr>) -> Vec<(Key, u32)> {
    let mut keys = vec![(Key::Account(email.trim().to_lowercase()), ACCOUNT_FREE)];
    if let Some(a) = address {
        keys.push((Key::Address(a), ADDRESS_FREE));
    }
    keys
}

impl SignInThrottle {
    /// `Err(how long to wait)` when the account or the address must wait before trying.
    pub fn check(
        &self,
        email: &str,
        address: Option<IpAddr>,
        now: Instant,
    ) -> Result<(), Duration> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        let wait = keys(email, address)
            .iter()
            .filter_map(|(k, _)| counts.get(k)?.until)
            .filter(|until| *until > now)
            .map(|until| until - now)
            .max();
        wait.map_or(Ok(()), Err)
    }

    /// Counts a failed sign-in.
    pub fn failed(&self, email: &str, address: Option<IpAddr>, now: Instant) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        if counts.len() > TIDY_ABOVE {
            counts.retain(|_, c| now.duration_since(c.last) < FORGET);
        }
        for (key, free) in keys(email, address) {
            let c = counts.entry(key).or_insert(Count {
                failures: 0,
                last: now,
                until: None,
            });
            if now.duration_since(c.last) >= FORGET {
                c.failures = 0;
            }
            c.failures += 1;
            c.last = now;
            if c.failures > free {
                let doublings = (c.failures - free - 1).min(20);
                let wait = Duration::from_secs(1u64 << doublings).min(MAX_WAIT);
                c.until = Some(now + wait);
            }
        }
    }

    /// A sign-in succeeded: its account starts over (its address does not, or one good
    /// account would let an address guess at all the others).
    pub fn succeeded(&self, email: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.remove(&Key::Account(email.trim().to_lowercase()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_past_the_free_failures_and_a_success_clears_them() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        let addr: IpAddr = "203.0.113.7".parse().unwrap();
        for _ in 0..ACCOUNT_FREE {
            assert!(t.check("ana@acme.test", Some(addr), now).is_ok());
            t.failed("ana@acme.test", Some(addr), now);
        }
        assert!(
            t.check("Ana@Acme.test", Some(addr), now).is_ok(),
            "five are free"
        );
        t.failed("ana@acme.test", Some(addr), now);
        assert_eq!(
            t.check("ana@acme.test", None, now),
            Err(Duration::from_secs(1))
        );
        let later = now + Duration::from_secs(1);
        assert!(t.check("ana@acme.test", None, later).is_ok());
        t.failed("ana@acme.test", None, later);
        assert_eq!(
            t.check("ana@acme.test", None, later),
            Err(Duration::from_secs(2))
        );
        // Another account from the same address is not held by Ana's count.
        assert!(t.check("bob@acme.test", Some(addr), later).is_ok());
        t.succeeded("ana@acme.test");
        assert!(t.check("ana@acme.test", None, later).is_ok());
        // The waits stop growing at 15 minutes.
        for _ in 0..40 {
            t.failed("cy@acme.test", None, now);
        }
        assert_eq!(t.check("cy@acme.test", None, now), Err(MAX_WAIT));
    }

    #[test]
    fn one_address_guessing_many_accounts_waits_too() {
        let t = SignInThrottle::default();
        let now = Instant::now();
        let addr: IpAddr = "2001:db8::1".parse().unwrap();
        for i in 0..=ADDRESS_FREE {
            t.failed(&format!("user{i}@acme.test"), Some(addr), now);
        }
        assert!(t.check("someone@acme.test", Some(addr), now).is_err());
        assert!(t.check("someone@acme.test", None, now).is_ok());
        // An hour after the last failure it is forgotten.
        let later = now + FORGET;
        t.failed("user0@acme.test", Some(addr), later);
        assert!(t.check("fresh@acme.test", Some(addr), later).is_ok());
    }
}
