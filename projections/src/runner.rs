//! Runs one projection: follows the log and applies it in batches.
//!
//! - **Exactly once.** Each batch's rows and the checkpoint move in one
//!   transaction, on the connection that holds the lock: a crash (or a
//!   dropped connection) rolls back the batch and the checkpoint with it.
//! - **One runner per projection.** A runner applies events only while it
//!   holds the projection's session advisory lock; a second runner waits as
//!   a standby and takes over when the first one's connection goes away.
//! - **Stops on a bad event.** When an event cannot be applied, the events
//!   before it are committed, the checkpoint stays just before it, the
//!   status records the error and the position, and the runner returns the
//!   error. It does not skip the event: a restart tries it again.

use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dropledger_eventstore::{EventStore, SubscriptionOptions};
use dropledger_follower::{FollowerLock, LockKey};
use sqlx::{Connection, PgConnection};

use crate::decode::{decode_all, Decoded};
use crate::projection::ApplyError;
use crate::{Projection, ProjectionError};

/// Events a runner applies per transaction, at most.
pub const RUNNER_BATCH_EVENTS_MAX: usize = 5_000;

/// How a runner reads and waits.
#[derive(Debug, Clone, Copy)]
pub struct RunnerOptions {
    /// Events per batch (capped at [`RUNNER_BATCH_EVENTS_MAX`]).
    pub batch_events_max: usize,
    /// The longest a caught-up runner sleeps before looking at the log again.
    pub poll_interval_ms: u64,
    /// How often a standby runner tries to take the lock.
    pub lock_retry_ms: u64,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        Self {
            batch_events_max: 2_000,
            poll_interval_ms: 500,
            lock_retry_ms: 1_000,
        }
    }
}

/// Follows the log for one projection.
#[derive(Clone)]
pub struct Runner {
    store: EventStore,
    projection: Projection,
    options: RunnerOptions,
    applied: Arc<AtomicU64>,
    active: Arc<AtomicBool>,
}

/// What one batch transaction did.
enum Outcome {
    /// Applied the batch.
    Applied,
    /// The checkpoint is elsewhere than the subscription (a rebuild moved
    /// it): follow the log again from there.
    Moved(u64),
}

impl Runner {
    /// A runner of `projection` over `store`'s database.
    pub fn new(store: EventStore, projection: Projection, options: RunnerOptions) -> Runner {
        Runner {
            store,
            projection,
            options,
            applied: Arc::new(AtomicU64::new(0)),
            active: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Events this runner (and its clones) has applied and committed.
    pub fn applied_events(&self) -> u64 {
        self.applied.load(Ordering::Relaxed)
    }

    /// True while this runner holds the projection's lock.
    pub fn is_active(&self) -> bool {
        self.active.load(Ordering::Relaxed)
    }

    /// Waits for the projection's lock, then follows the log forever.
    /// Returns only with an error: an event that cannot be applied (also
    /// recorded in the status) or a database failure.
    pub async fn run(&self) -> Result<(), ProjectionError> {
        self.run_until(std::future::pending()).await
    }

    /// [`Runner::run`] until `shutdown` resolves: then it stops between
    /// batches (a batch in flight is committed with its checkpoint first),
    /// releases the lock and returns `Ok`.
    pub async fn run_until(
        &self,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), ProjectionError> {
        let mut shutdown = std::pin::pin!(shutdown);
        let lock = FollowerLock::acquire(
            self.store.pool(),
            LockKey::Number(self.projection.lock_key()),
            Duration::from_millis(self.options.lock_retry_ms),
            || {},
            shutdown.as_mut(),
        )
        .await?;
        let Some(mut lock) = lock else {
            return Ok(());
        };
        self.active.store(true, Ordering::Relaxed);
        let result = self.follow(lock.connection(), shutdown).await;
        self.active.store(false, Ordering::Relaxed);
        lock.release().await;
        result
    }

    async fn follow(
        &self,
        connection: &mut PgConnection,
        mut shutdown: std::pin::Pin<&mut impl Future<Output = ()>>,
    ) -> Result<(), ProjectionError> {
        let name = self.projection.name();
        let position: i64 =
            sqlx::query_scalar("SELECT position FROM projection_checkpoint WHERE name = $1")
                .bind(name)
                .fetch_one(&mut *connection)
                .await?;
        let options = SubscriptionOptions {
            batch_events_max: self
                .options
                .batch_events_max
                .clamp(1, RUNNER_BATCH_EVENTS_MAX),
            poll_interval_ms: self.options.poll_interval_ms,
            ..SubscriptionOptions::default()
        };
        let mut subscription = self.store.subscribe(position as u64, options);
        loop {
            // Only the wait for the next batch is cut short by a shutdown;
            // a batch that arrived is applied and checkpointed first.
            let batch = tokio::select! {
                biased;
                () = shutdown.as_mut() => return Ok(()),
                batch = subscription.next_batch() => batch?,
            };
            let events = decode_all(batch);
            match self.apply_batch(connection, events).await? {
                Outcome::Applied => {}
                Outcome::Moved(checkpoint) => {
                    tracing::info!(
                        projection = name,
                        checkpoint,
                        "checkpoint moved; following from there"
                    );
                    subscription = self.store.subscribe(checkpoint, options);
                }
            }
        }
    }

    /// Applies `events` in one transaction with the checkpoint; on an event
    /// that cannot be applied, commits the events before it and records the
    /// failure.
    async fn apply_batch(
        &self,
        connection: &mut PgConnection,
        events: Vec<Decoded>,
    ) -> Result<Outcome, ProjectionError> {
        let name = self.projection.name();
        match commit_batch(connection, self.projection, &events).await? {
            Committed::Applied(count) => {
                self.applied.fetch_add(count, Ordering::Relaxed);
                crate::consistency::checkpoint_moved();
                Ok(Outcome::Applied)
            }
            Committed::Moved(checkpoint) => Ok(Outcome::Moved(checkpoint)),
            Committed::Failed { index, reason } => {
                let failing = events[index].position();
                let before: Vec<Decoded> = events
                    .into_iter()
                    .take(index)
                    .filter(|e| e.position() < failing)
                    .collect();
                if !before.is_empty() {
                    if let Committed::Applied(count) =
                        commit_batch(connection, self.projection, &before).await?
                    {
                        self.applied.fetch_add(count, Ordering::Relaxed);
                    }
                }
                sqlx::query(
                    "UPDATE projection_checkpoint SET status = 'FAILED', error = $2, \
                     failed_position = $3, updated_at = now() WHERE name = $1",
                )
                .bind(name)
                .bind(&reason)
                .bind(failing as i64)
                .execute(&mut *connection)
                .await?;
                tracing::error!(projection = name, position = failing, %reason, "projection stopped at an event it cannot apply");
                Err(ProjectionError::EventFailed {
                    projection: name,
                    position: failing,
                    reason,
                })
            }
        }
    }
}

/// What [`commit_batch`] did.
pub(crate) enum Committed {
    /// Committed this many events.
    Applied(u64),
    /// Nothing applied: the checkpoint is not where the batch starts.
    Moved(u64),
    /// Nothing applied: the event at this index of the batch failed.
    Failed { index: usize, reason: String },
}

/// One transaction: lock the checkpoint row, apply the events after it,
/// move it. The row lock also makes a rebuild's swap wait for this batch.
pub(crate) async fn commit_batch(
    connection: &mut PgConnection,
    projection: Projection,
    events: &[Decoded],
) -> Result<Committed, ProjectionError> {
    let mut transaction = connection.begin().await?;
    let checkpoint: i64 =
        sqlx::query_scalar("SELECT position FROM projection_checkpoint WHERE name = $1 FOR UPDATE")
            .bind(projection.name())
            .fetch_one(&mut *transaction)
            .await?;
    let checkpoint = checkpoint as u64;
    // A rebuild may have moved the checkpoint past part of the batch.
    let start = events.partition_point(|e| e.position() <= checkpoint);
    let events = &events[start..];
    let Some(last) = events.last().map(Decoded::position) else {
        transaction.commit().await?;
        return Ok(Committed::Moved(checkpoint));
    };
    if events[0].position() != checkpoint + 1 {
        transaction.rollback().await?;
        return Ok(Committed::Moved(checkpoint));
    }
    match projection
        .apply(&mut transaction, projection.schema(), events)
        .await
    {
        Ok(()) => {}
        Err(ApplyError::Event { index, reason }) => {
            transaction.rollback().await?;
            return Ok(Committed::Failed {
                index: start + index,
                reason,
            });
        }
        Err(ApplyError::Database(error)) => return Err(error.into()),
    }
    sqlx::query(
        "UPDATE projection_checkpoint SET position = $2, status = 'RUNNING', error = NULL, \
         failed_position = NULL, updated_at = now() WHERE name = $1",
    )
    .bind(projection.name())
    .bind(last as i64)
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(Committed::Applied(events.len() as u64))
}
