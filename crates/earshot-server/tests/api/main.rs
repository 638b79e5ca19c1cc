//! The server's tests, one binary (as zero-to-production's `tests/api/`): the harness in
//! `helpers`, then one module per area, each test named as the sentence it checks.

mod channels;
mod helpers;
mod orders;
mod preferences;
mod reports;
mod resources;
mod staffing;
mod surveys;
mod web;
mod webchat;
mod workflow;
