//! The SQL both databases share, one file per area, written once and compiled once per
//! backend: `sqlite.rs` and `postgres.rs` each include this folder as their module `q`,
//! with their own `Db` (the sqlx database), `DbRow`, `Backend` (the store), `UnitTx` (its
//! batch transaction) and the few clauses that differ. Runtime `query`/`query_as` with binds
//! (`$1`, which both databases read); what is not the same SQL on both lives in the backend's
//! own file (the ingest statements, the SLA range query, the inbox page) and so do the few
//! helpers that build lists and row sets the way each database takes them best (`id_list`,
//! `text_list`, `rows_source`).

mod accounts;
mod alerts;
mod base;
mod changes;
mod channels;
mod consent;
mod contacts_impl;
mod erasure;
mod heard;
mod identifiers;
mod matching;
mod merges;
mod order_reads;
mod order_values;
mod orders;
mod outbox;
mod people;
mod reports;
mod rows;
mod rules;
mod staffing;
mod store_impl;
mod surveys;
mod topics;
mod unit;
mod workflow;

pub(crate) use accounts::*;
pub(crate) use base::*;
pub(crate) use changes::*;
pub(crate) use channels::*;
pub(crate) use consent::*;
pub(crate) use erasure::*;
pub(crate) use heard::*;
pub(crate) use identifiers::*;
pub(crate) use matching::*;
pub(crate) use merges::*;
pub(crate) use order_reads::*;
pub(crate) use order_values::*;
pub(crate) use orders::*;
pub(crate) use outbox::*;
pub(crate) use people::*;
pub(crate) use reports::*;
pub(crate) use rows::*;
pub(crate) use rules::*;
pub(crate) use staffing::*;
pub(crate) use surveys::*;
pub(crate) use topics::*;
pub(crate) use workflow::*;

use super::{
    column, id_list, next_ids, rows_source, text_list, Backend, Db, DbRow, UnitTx, BACKEND,
    FIRST_RESPONSES_FROM,
};

// What every file here uses (each starts with `use super::*`).
use crate::db_err;
use crate::queries::Bind;
use earshot_core::store::StoreResult;
use earshot_core::time::{now, to_millis};
use earshot_core::*;
use sqlx::Row as _;

type Pool = sqlx::Pool<Db>;
type Tx<'c> = sqlx::Transaction<'c, Db>;
