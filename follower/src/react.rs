//! The loop every process manager runs: take the manager's advisory lock
//! (a second instance waits as a standby), follow the log from the durable
//! checkpoint, react to each event with backed-off retries (to several at
//! once where the manager allows, one partition at a time), record what
//! still fails, and only then move the checkpoint past it.
//!
//! How long a failed step is retried depends on whose fault it is
//! ([`StepError::retry`]): a provider's fault that may pass is retried
//! [`STEP_ATTEMPTS_MAX`] times and then given up (the manager records the
//! outcome, e.g. the order FAILED); our own fault (the database) or an
//! outcome we do not know yet (a purchase sent whose answer was lost) is
//! retried for as long as it takes and never given up, so it can never be
//! recorded as the provider's answer.

use std::future::Future;
use std::time::{Duration, Instant};

use dropledger_eventstore::{Backoff, EventStore, LoggedEvent, SubscriptionOptions};
use tokio::sync::watch;
use tracing::Instrument;

use futures::stream::{FuturesUnordered, StreamExt};

use crate::checkpoint;
use crate::health::{ManagerHealth, ManagerState};
use crate::in_flight::InFlight;
use crate::lock::{FollowerLock, LockKey};
use crate::supervise::{shutdown_asked, sleep_or_shutdown, supervise, AfterFailure, Failure};

/// Attempts of one step before it is given up and recorded.
pub const STEP_ATTEMPTS_MAX: u32 = 4;
/// First pause between attempts; it doubles each time.
const RETRY_BACKOFF_MS_FIRST: u64 = 200;
/// Longest pause between attempts (also between attempts to record a failure).
const RETRY_BACKOFF_MS_MAX: u64 = 5_000;
/// The pauses between attempts of a step (and of recording its failure).
const STEP_BACKOFF: Backoff = Backoff::from_millis(RETRY_BACKOFF_MS_FIRST, RETRY_BACKOFF_MS_MAX);
/// How often a standby asks for the lock.
pub(crate) const STANDBY_POLL_MS: u64 = 1_000;
/// Uninteresting events passed before the position is saved anyway.
const SKIPPED_EVENTS_PER_SAVE: u64 = 200;
/// While reactions keep finishing, the checkpoint is saved at most this
/// often (and always when the last one under way ends): each save is a
/// commit, and under load saving after every step cost a flush per step.
/// A crash redoes at most this much work, which every step allows.
const CHECKPOINT_SAVE_INTERVAL_MS: u64 = 100;

/// The event's type as one of the domain's event-type enums
/// (`OrderEventType`, `CapitalEventType`, …); `None` for an event of
/// another kind. What a manager's [`Reaction::wants`] routes on.
pub fn event_type<T: std::str::FromStr>(event: &LoggedEvent) -> Option<T> {
    event.event.event_type.parse().ok()
}

/// How a failed step is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// A fault that may pass, and that may be given up on: retried
    /// [`STEP_ATTEMPTS_MAX`] times, then [`Reaction::give_up`] records it.
    Bounded,
    /// Our own fault, or an outcome not known yet: retried with backoff
    /// until it succeeds (or the manager stops), never given up.
    UntilDone,
}

/// A step's failure, and how it is retried.
pub trait StepError: std::error::Error + Send + Sync + 'static {
    /// Bounded for faults that may be given up on; `UntilDone` for ours.
    fn retry(&self) -> Retry;
}

/// Why a follower stopped (it is restarted with backoff).
#[derive(Debug, thiserror::Error)]
pub enum FollowError {
    /// The database failed (lock, checkpoint, parked work).
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// Reading the log failed.
    #[error(transparent)]
    Read(#[from] dropledger_eventstore::ReadError),
    /// Recording a given-up step failed and shutdown came first.
    #[error("stopped before the failure of the step at {position} was recorded")]
    Unrecorded {
        /// The event's position.
        position: u64,
    },
}

/// What a process manager does with the log.
pub trait Reaction: Send + Sync + 'static {
    /// Why a step failed.
    type Error: StepError;

    /// The manager's name: its checkpoint row and its lock.
    fn name(&self) -> &'static str;

    /// Whether `event` concerns this manager (cheap: by type and stream).
    fn wants(&self, event: &LoggedEvent) -> bool;

    /// How many events it may react to at once, each of another partition.
    fn concurrency(&self) -> usize {
        1
    }

    /// Events of one partition are reacted to one after the other, in log
    /// order: by default, the events of one stream.
    fn partition(&self, event: &LoggedEvent) -> String {
        event.event.stream_id.clone()
    }

    /// Reacts to `event`. Must be idempotent: it may run again for the same
    /// event after a crash or a failed attempt.
    fn react(&self, event: &LoggedEvent) -> impl Future<Output = Result<(), Self::Error>> + Send;

    /// Records, visibly, that reacting to `event` kept failing with `error`,
    /// a [`Retry::Bounded`] one (e.g. the order FAILED with the reason).
    /// Retried until it succeeds: an event is never skipped silently.
    fn give_up(
        &self,
        event: &LoggedEvent,
        error: &Self::Error,
    ) -> impl Future<Output = Result<(), Self::Error>> + Send;
}

/// Runs `reaction` until `shutdown` turns true. A failure or a panic
/// stops the follower (its lock's connection closes, so another instance
/// may take over); it starts again after a pause, counted in `health`.
pub async fn run<R: Reaction>(
    store: EventStore,
    reaction: R,
    health: ManagerHealth,
    shutdown: watch::Receiver<bool>,
) {
    let name = reaction.name();
    health.set_state(name, ManagerState::Starting);
    // A panic in a reaction must not end the manager for good: caught by
    // the supervisor, the follower starts again from its checkpoint, which
    // never moved past the step that panicked.
    supervise(
        Backoff::from_millis(RETRY_BACKOFF_MS_MAX, RETRY_BACKOFF_MS_MAX),
        shutdown.clone(),
        || {
            let mut shutdown = shutdown.clone();
            let (store, reaction, health) = (&store, &reaction, &health);
            async move { follow(store, reaction, health, &mut shutdown).await }
        },
        |failure, _pause| {
            let error = match failure {
                Failure::Error(error) => error.to_string(),
                Failure::Panic(panic) => panic,
            };
            tracing::error!(manager = name, %error, "process manager stopped; restarting");
            health.record_restart(name, error);
            AfterFailure::Restart
        },
    )
    .await;
    health.set_state(name, ManagerState::Stopped);
}

/// Holds the lock and follows the log; `Ok` on shutdown.
async fn follow<R: Reaction>(
    store: &EventStore,
    reaction: &R,
    health: &ManagerHealth,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), FollowError> {
    let name = reaction.name();
    let lock = FollowerLock::acquire(
        store.pool(),
        manager_lock_key(name),
        Duration::from_millis(STANDBY_POLL_MS),
        || {
            health.set_state(name, ManagerState::Standby);
            tracing::debug!(
                manager = name,
                "another instance runs this manager; standing by"
            );
        },
        std::pin::pin!(shutdown_asked(shutdown.clone())),
    )
    .await?;
    let Some(lock) = lock else {
        return Ok(());
    };
    health.set_state(name, ManagerState::Running);
    follow_locked(store, reaction, lock, shutdown).await
}

/// Follows the log while holding `lock`; `Ok` on shutdown.
async fn follow_locked<R: Reaction>(
    store: &EventStore,
    reaction: &R,
    mut lock: FollowerLock,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(), FollowError> {
    let name = reaction.name();
    let pool = store.pool();
    let mut saved = checkpoint::load(pool, name).await?;
    tracing::info!(
        manager = name,
        position = saved,
        "process manager following the log"
    );
    let mut subscription = store.subscribe(saved, SubscriptionOptions::default());
    let concurrency = reaction.concurrency().max(1);
    let mut in_flight = InFlight::default();
    let mut reactions: FuturesUnordered<Reacting<'_>> = FuturesUnordered::new();
    // The position of the last event handed out (or passed over).
    let mut read = saved;
    let save_interval = Duration::from_millis(CHECKPOINT_SAVE_INTERVAL_MS);
    let mut last_save = Instant::now();
    loop {
        let event = tokio::select! {
            _ = shutdown.changed() => break,
            Some(finished) = reactions.next(), if in_flight.len() > 0 => {
                in_flight.finish_reaction(finished)?;
                if in_flight.len() == 0 || last_save.elapsed() >= save_interval {
                    let safe = in_flight.safe_checkpoint(read);
                    saved = save_while_reacting(pool, name, safe, saved, &mut reactions, &mut in_flight)
                        .await?;
                    last_save = Instant::now();
                }
                continue;
            }
            event = subscription.next(), if in_flight.len() < concurrency => event?,
        };
        read = event.position;
        // The lock's connection is checked now and then: losing it means
        // another instance may take over, so this one must stop.
        if event.position % 64 == 0 {
            lock.check().await?;
        }
        if reaction.wants(&event) {
            let partition = reaction.partition(&event);
            // The partition's previous event first: one order, one step at a time.
            while in_flight.is_busy(&partition) {
                let finished = reactions.next().await;
                in_flight.finish_reaction(finished.expect("a busy partition has a reaction"))?;
            }
            in_flight.start(event.position, partition.clone());
            reactions.push(reacting(reaction, event, partition, pool, shutdown.clone()));
        } else if in_flight.len() == 0 && event.position - saved >= SKIPPED_EVENTS_PER_SAVE {
            saved = save_if_moved(pool, name, event.position, saved).await?;
        }
    }
    // Stopping: the steps under way finish first (each is one bounded step).
    while let Some(finished) = reactions.next().await {
        in_flight.finish_reaction(finished)?;
    }
    save_if_moved(pool, name, in_flight.safe_checkpoint(read), saved).await?;
    lock.release().await;
    Ok(())
}

/// The advisory lock of the process manager (or poller) `name`.
pub(crate) fn manager_lock_key(name: &str) -> LockKey {
    LockKey::Name(format!("dropledger-process:{name}"))
}

/// The reaction to `event`, in a span naming it, to be polled among the
/// others under way.
fn reacting<'a, R: Reaction>(
    reaction: &'a R,
    event: LoggedEvent,
    partition: String,
    pool: &'a sqlx::PgPool,
    mut shutdown: watch::Receiver<bool>,
) -> Reacting<'a> {
    let span = tracing::info_span!(
        "react",
        manager = reaction.name(),
        position = event.position,
        event_type = %event.event.event_type,
        correlation_id = %event.event.metadata.correlation_id,
    );
    Box::pin(
        async move {
            let outcome = react_or_give_up(reaction, &event, pool, &mut shutdown).await;
            (event.position, partition, outcome)
        }
        .instrument(span),
    )
}

/// One reaction under way: it ends with the event's position, its
/// partition and how the step went.
type Reacting<'a> = std::pin::Pin<Box<dyn Future<Output = Finished> + Send + 'a>>;

/// A reaction's end: the event's position, its partition, the step's outcome.
type Finished = (u64, String, Result<StepEnd, FollowError>);

/// How a reaction ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StepEnd {
    /// Done, or its failure recorded: the checkpoint may pass it.
    Done,
    /// Abandoned at shutdown while retrying a step never given up: the
    /// checkpoint stays before it, so the next start does it again.
    Abandoned,
}

impl InFlight {
    /// Takes a finished reaction off the books; its error, if the step
    /// could not even record its failure (the follower then restarts from
    /// the checkpoint, which has not moved past it).
    fn finish_reaction(
        &mut self,
        (position, partition, outcome): Finished,
    ) -> Result<(), FollowError> {
        if outcome? == StepEnd::Done {
            self.finish(position, &partition);
        }
        Ok(())
    }
}

/// Saves the checkpoint while the reactions under way go on. The save waits
/// for a pooled connection, and a reaction may hold one — with a row lock
/// the others wait for (working capital's) — until it is polled again to
/// commit: not polling them while saving could stall every writer until
/// the pool's timeout.
async fn save_while_reacting(
    pool: &sqlx::PgPool,
    name: &str,
    safe: u64,
    saved: u64,
    reactions: &mut FuturesUnordered<Reacting<'_>>,
    in_flight: &mut InFlight,
) -> Result<u64, FollowError> {
    let save = save_if_moved(pool, name, safe, saved);
    tokio::pin!(save);
    loop {
        tokio::select! {
            saved = &mut save => return saved,
            Some(finished) = reactions.next(), if !reactions.is_empty() => {
                in_flight.finish_reaction(finished)?;
            }
        }
    }
}

/// Saves the checkpoint when it moved; the checkpoint now saved.
async fn save_if_moved(
    pool: &sqlx::PgPool,
    name: &str,
    safe: u64,
    saved: u64,
) -> Result<u64, FollowError> {
    if safe > saved {
        checkpoint::save(pool, name, safe).await?;
        return Ok(safe);
    }
    Ok(saved)
}

/// Tries the step with backoff; when every attempt of a bounded fault
/// fails, records the failure (retrying that until it is recorded). A
/// fault never given up is retried until the step succeeds or shutdown.
async fn react_or_give_up<R: Reaction>(
    reaction: &R,
    event: &LoggedEvent,
    pool: &sqlx::PgPool,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<StepEnd, FollowError> {
    let name = reaction.name();
    let mut pause = STEP_BACKOFF.first;
    let mut bounded_failures = 0;
    let error = loop {
        let error = match reaction.react(event).await {
            Ok(()) => return Ok(StepEnd::Done),
            Err(error) => error,
        };
        let retry = error.retry();
        tracing::warn!(?retry, %error, "step failed");
        if retry == Retry::Bounded {
            bounded_failures += 1;
            if bounded_failures >= STEP_ATTEMPTS_MAX {
                break error;
            }
        }
        if sleep_or_shutdown(pause, shutdown).await {
            tracing::info!("stopping: the step is left for the next start");
            return Ok(StepEnd::Abandoned);
        }
        pause = STEP_BACKOFF.next(pause);
    };
    tracing::error!(%error, "step gave up after {STEP_ATTEMPTS_MAX} attempts; recording the failure");
    checkpoint::record_error(pool, name, event.position, &error.to_string()).await?;
    let mut pause = STEP_BACKOFF.first;
    loop {
        match reaction.give_up(event, &error).await {
            Ok(()) => return Ok(StepEnd::Done),
            Err(failure) => {
                tracing::error!(error = %failure, "recording the failure failed; retrying");
            }
        }
        if sleep_or_shutdown(pause, shutdown).await {
            return Err(FollowError::Unrecorded {
                position: event.position,
            });
        }
        pause = STEP_BACKOFF.next(pause);
    }
}
