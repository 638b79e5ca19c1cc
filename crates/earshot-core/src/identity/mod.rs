//! Which contacts are the same person: a Fellegi–Sunter probabilistic record matcher.
//!
//! Ingest creates one contact per new identity (an email address, a WhatsApp number, an X
//! handle…), so a customer who writes on three channels becomes three contacts. This module
//! suggests which contacts are one person, with a score and the fields that decided it, so
//! that an agent can accept (merge) or reject each suggestion. It is pure: no I/O, no clock
//! other than the timings [`evaluate`](evaluate::evaluate) reports.
//!
//! * [`PersonRecord`] is one contact as the matcher sees it.
//! * [`compare`] turns two records into an agreement level per field (name, name against
//!   handle, handle, handle against email, email, phone, location, language, writing hours,
//!   topics).
//! * [`Matcher`] ([`matcher`]) weighs the levels: each level has m = P(level | same person)
//!   and u = P(level | different persons), estimated from the workspace's own contacts by EM
//!   ([`fit`]) over the pairs that blocking proposes, and weighs log2(m/u). The weights add up
//!   to a [`Comparison`]; pairs from [`DEFAULT_THRESHOLD`] up are [`Suggestion`]s. Agreement
//!   on a value is further adjusted by how common the value is (sharing "John Smith" says
//!   less than sharing "Xiomara Quenby").
//! * [`blocking_keys`] ([`blocking`]) are what a database uses to fetch the few contacts worth
//!   comparing with one contact, so cost grows with contacts, not with pairs of contacts.
//! * [`population`] generates a seeded synthetic population with known truth, and
//!   [`evaluate`](evaluate::evaluate) measures pairwise precision and recall on it.

pub mod blocking;
pub mod compare;
mod draw;
pub mod evaluate;
pub mod fit;
pub mod matcher;
mod names;
pub mod population;

#[cfg(test)]
mod analysis;
#[cfg(test)]
mod tests;

pub use blocking::{blocking_keys, candidate_pairs, MAX_BLOCK};
pub use compare::{Field, FIELDS};
pub use evaluate::{evaluate, Evaluation};
pub use matcher::{
    Comparison, FieldParameters, LevelParameters, Matcher, Parameters, Part, Suggestion,
    CONFLICT_WEIGHT, DEFAULT_THRESHOLD, MIN_FIT_RECORDS,
};
pub use population::{generate, generate_with, Population, Profile};

use serde::Serialize;

/// One contact as the matcher sees it: what its identities show, and what its messages say
/// about how and when it writes.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PersonRecord {
    /// The contact's id (the matcher only passes it through).
    pub id: i64,
    /// Display names of its identities (a From header, a WhatsApp profile name…).
    pub names: Vec<String>,
    /// Handles on channels that have them (X, Telegram, Instagram…), with or without `@`.
    pub handles: Vec<String>,
    /// Email addresses: of an email identity, or given by the customer.
    pub emails: Vec<String>,
    /// Phone numbers, E.164 digits (`34612345678`); punctuation and `+` are ignored.
    pub phones: Vec<String>,
    /// A free-text location (an X profile's "Madrid, Spain").
    pub location: Option<String>,
    /// ISO 639-1 codes of the languages of its messages.
    pub languages: Vec<String>,
    /// Its messages per UTC hour of day.
    pub hours: [u32; 24],
    /// Topics or intents of its conversations.
    pub topics: Vec<String>,
}
