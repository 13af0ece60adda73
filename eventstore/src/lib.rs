//! An append-only event store on PostgreSQL.
//!
//! - Appends to a stream are checked against an expected version and are
//!   idempotent on event ids; several streams can be appended atomically.
//! - A sequencer gives committed events gapless global positions in commit
//!   order, so readers of the log never skip a late commit, and extends a
//!   hash chain that [`EventStore::verify_chain`] recomputes.
//! - A stream may keep a budget its events draw on (working capital's free
//!   cash); an append that would overdraw it is refused at the write.
//! - Catch-up subscriptions are woken by LISTEN/NOTIFY (one listening
//!   connection per process) and poll as a fallback; a [`LogFeed`] fans one
//!   reader of the log out to many followers.
//! - Reads upgrade old payloads through registered [`Upcasters`].
//! - Commands run through one load → decide → append → retry loop,
//!   [`EventStore::execute`], over the domain's aggregates.
//!
//! The database schema is in the workspace's `migrations/`, applied by [`MIGRATOR`].

mod append;
mod backoff;
mod budget;
mod chain;
mod command;
mod database;
mod error;
mod event;
mod feed;
mod listener;
mod on_demand;
mod position;
mod read;
mod sequencer;
mod store;
mod subscription;
mod upcast;
mod verify;

pub use append::APPEND_EVENTS_MAX;
pub use backoff::Backoff;
pub use command::{CommandError, Loaded, COMMAND_ATTEMPTS_MAX};
pub use database::{connect_and_migrate, MIGRATOR};
pub use error::{AppendError, DatabaseError, ReadError};
pub use event::{AppendResult, ExpectedVersion, LoggedEvent, Metadata, NewEvent, RecordedEvent};
pub use feed::{FeedFollower, FeedOptions, LogFeed};
pub use read::READ_EVENTS_MAX;
pub use sequencer::{BlockingTransaction, LOG_CHANNEL, SEQUENCE_BATCH_EVENTS_MAX};
pub use store::{AppendTransaction, EventStore, LogStatus, StreamAppend};
pub use subscription::{Subscription, SubscriptionOptions};
pub use upcast::Upcasters;
pub use verify::{ChainReport, TamperedEvent};
