//! Listening: the boolean queries analysts write to describe what a brand cares about, and a
//! matcher that runs every active query against every post.
//!
//! - [`parse`] turns query text into a [`Query`], or a [`ParseError`] with its position and
//!   what was expected.
//! - [`Post`] is a post's text, normalized and split into positioned tokens ([`text`]), with
//!   the metadata fields queries can test.
//! - [`Query::matches`] is the plain evaluator; [`Matcher`] compiles many queries so that a
//!   post is only evaluated against the queries whose terms it contains (Lucene Monitor's
//!   presearcher idea), and always gives the same answer as the plain evaluator.

mod ast;
mod eval;
mod matcher;
mod parser;
pub mod synth;
pub mod text;
pub mod x_rules;

pub use ast::{Comparison, Field, Query, Term};
pub use eval::Post;
pub use matcher::Matcher;
pub use parser::{parse, ParseError};
