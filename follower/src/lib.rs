//! Following the event log from a checkpoint, for the read models and the
//! process managers alike.
//!
//! - [`FollowerLock`]: one instance per name. A follower works only while
//!   it holds its name's advisory lock; a second instance stands by.
//! - [`supervise`]: stop and start again with backoff after a failure or a
//!   panic, until shutdown or a failure the caller calls final.
//! - [`run`]: a process manager's follower — a [`Reaction`] to each event
//!   it wants, several at once (one partition at a time), retried by whose
//!   fault it is, the checkpoint ([`checkpoint`]) moved only past events
//!   whose reactions all finished; [`run_periodic`] for pollers.
//!
//! The projections' runner (`dropledger-projections`) holds the same lock
//! and is kept running by the same supervisor; it applies batches in one
//! transaction with its own checkpoint instead of reacting event by event.

pub mod checkpoint;
mod health;
mod in_flight;
mod lock;
mod periodic;
mod react;
mod supervise;

pub use dropledger_eventstore::Backoff;
pub use health::{ManagerHealth, ManagerReport, ManagerState};
pub use lock::{FollowerLock, LockKey};
pub use periodic::run_periodic;
pub use react::{event_type, run, FollowError, Reaction, Retry, StepError, STEP_ATTEMPTS_MAX};
pub use supervise::{shutdown_asked, sleep_or_shutdown, supervise, AfterFailure, Failure};
