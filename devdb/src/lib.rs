//! A PostgreSQL server for development and tests, on any machine.
//!
//! The production store ([`dropledger_eventstore`]) is told where its
//! database is. This crate is for the binary's local defaults, the tests
//! and the benches, which find one themselves: `DATABASE_URL` when set,
//! else a server on the local socket or 127.0.0.1:5432, else a
//! [`PrivateCluster`] started from the installed server programs under the
//! project's data folder. Its `initdb` and `pg_ctl` run as child processes
//! awaited on tokio, never on an async thread.
//!
//! [`TestDatabase`] gives each test a fresh, migrated database of its own.

mod cluster;
mod error;
mod server;
mod test_database;

pub use cluster::PrivateCluster;
pub use error::DevDatabaseError;
pub use server::{locate_server, quote_identifier, Server};
pub use test_database::TestDatabase;
