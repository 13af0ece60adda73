//! Rebuilding read models from position 0 while readers keep reading.
//!
//! A rebuild fills a shadow schema per projection (`<schema>_shadow`): the
//! log is read once, each batch decoded once and applied to every shadow by
//! that projection's writer, in one short transaction per batch (short,
//! because an open writing transaction holds back the store's sequencer).
//! The writers run side by side, each at its own pace; append-only tables
//! get their indexes after the load, each projection's as soon as its load
//! is done. Then one transaction locks the projections' checkpoint rows
//! (waiting for a runner's batch in flight), applies the last events,
//! renames the live schema away and the shadow in, and moves the
//! checkpoints: readers see the old model or the new one, never half of one.
//! The old schema is dropped afterwards, once its last reader is done.

use std::time::{Duration, Instant};

use dropledger_eventstore::{EventStore, READ_EVENTS_MAX};
use sqlx::{Connection, PgConnection};

use crate::projection::Cache;
use crate::{Projection, ProjectionError};

mod load;
mod shadow;
mod swap;
mod write;

use load::load;
use shadow::create_shadow;
use swap::swap;
use write::Worker;

/// Tables filled without indexes and indexed after the load: they are only
/// appended to, so nothing reads them while a rebuild writes.
const INDEXED_AFTER_LOAD: [&str; 2] = ["ledger_line", "audit_record"];

/// Memory each index build may sort in.
const INDEX_BUILD_MEMORY_MB: u32 = 256;

/// Batches read ahead of the writers.
const READ_AHEAD_BATCHES: usize = 4;

/// Batches a writer's queue holds: how far a quicker projection can run
/// ahead of a slower one.
const WRITE_AHEAD_BATCHES: usize = 4;

/// Ledger batches folded ahead of the one being copied.
const FOLD_AHEAD_BATCHES: usize = 2;

/// Rounds of catching up inside the swap transaction before giving up the
/// attempt (the log grows faster than the rebuild applies it).
const SWAP_CATCH_UP_ROUNDS_MAX: usize = 20;

/// Serialises rebuilds (session advisory lock; the value spells "dlrebld").
const REBUILD_LOCK_KEY: i64 = 0x0064_6c72_6562_6c64;

/// What a rebuild is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RebuildPhase {
    /// Applying the log to the shadow tables.
    Loading,
    /// Building the indexes of the shadow tables.
    Indexing,
    /// Swapping the shadow tables in.
    Swapping,
    /// Finished.
    Done,
}

/// Progress of a rebuild, reported after every batch.
#[derive(Debug, Clone)]
pub struct RebuildProgress {
    /// What it is doing.
    pub phase: RebuildPhase,
    /// The last position applied to the shadow tables.
    pub position: u64,
    /// The head of the log when the rebuild started (it may grow).
    pub head: u64,
    /// Events applied so far.
    pub events: u64,
    /// Events applied per second so far.
    pub events_per_second: f64,
    /// Time left to reach `head` at the current rate.
    pub eta: Option<Duration>,
    /// Time since the rebuild started.
    pub elapsed: Duration,
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub struct RebuildReport {
    /// The projections rebuilt.
    pub projections: Vec<&'static str>,
    /// The position they were swapped in at.
    pub position: u64,
    /// Events applied.
    pub events: u64,
    /// How long it took.
    pub elapsed: Duration,
    /// Events applied per second, over the whole rebuild.
    pub events_per_second: f64,
}

fn shadow(projection: Projection) -> String {
    format!("{}_shadow", projection.schema())
}

fn retired(projection: Projection) -> String {
    format!("{}_retired", projection.schema())
}

/// Rebuilds `projection` (or all of them) from position 0 and swaps the
/// result in atomically; `progress` is called after every batch. Runners may
/// keep running: they continue from the swapped-in checkpoint. An event that
/// cannot be applied fails the rebuild and leaves the live tables as they were.
pub async fn rebuild(
    store: &EventStore,
    projection: Option<&str>,
    progress: &mut (dyn FnMut(&RebuildProgress) + Send),
) -> Result<RebuildReport, ProjectionError> {
    rebuild_in_batches(store, projection, READ_EVENTS_MAX, progress).await
}

/// [`rebuild`] reading and applying at most `batch_events_max` events per
/// batch (capped at the store's read limit); smaller batches report progress
/// more often and use less memory.
pub async fn rebuild_in_batches(
    store: &EventStore,
    projection: Option<&str>,
    batch_events_max: usize,
    progress: &mut (dyn FnMut(&RebuildProgress) + Send),
) -> Result<RebuildReport, ProjectionError> {
    let batch_events_max = batch_events_max.clamp(1, READ_EVENTS_MAX);
    let projections: Vec<Projection> = match projection {
        None => Projection::ALL.to_vec(),
        Some(name) => vec![Projection::named(name)
            .ok_or_else(|| ProjectionError::UnknownProjection(name.to_owned()))?],
    };
    let started = Instant::now();
    let mut connection = store.pool().acquire().await?.detach();
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(REBUILD_LOCK_KEY)
        .fetch_one(&mut connection)
        .await?;
    if !locked {
        return Err(ProjectionError::RebuildInProgress);
    }
    let result = rebuild_locked(
        store,
        &mut connection,
        &projections,
        (started, batch_events_max),
        progress,
    )
    .await;
    // Unlocked explicitly: a closed connection's lock outlives it until its
    // backend has exited, and the next rebuild may come sooner.
    let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(REBUILD_LOCK_KEY)
        .execute(&mut connection)
        .await;
    let _ = connection.close().await;
    result
}

struct Tracker {
    started: Instant,
    batch_events_max: usize,
    head: u64,
    position: u64,
    events: u64,
}

impl Tracker {
    fn report(&self, phase: RebuildPhase) -> RebuildProgress {
        let elapsed = self.started.elapsed();
        let events_per_second = self.events as f64 / elapsed.as_secs_f64().max(1e-6);
        let eta = (events_per_second > 0.0).then(|| {
            Duration::from_secs_f64(
                self.head.saturating_sub(self.position) as f64 / events_per_second,
            )
        });
        RebuildProgress {
            phase,
            position: self.position,
            head: self.head,
            events: self.events,
            events_per_second,
            eta,
            elapsed,
        }
    }
}

async fn rebuild_locked(
    store: &EventStore,
    connection: &mut PgConnection,
    projections: &[Projection],
    (started, batch_events_max): (Instant, usize),
    progress: &mut (dyn FnMut(&RebuildProgress) + Send),
) -> Result<RebuildReport, ProjectionError> {
    {
        let mut transaction = connection.begin().await?;
        for &projection in projections {
            create_shadow(&mut transaction, projection).await?;
        }
        transaction.commit().await?;
    }
    // One connection per projection: their batches are applied side by side.
    let mut workers = Vec::with_capacity(projections.len());
    for _ in projections {
        workers.push(Worker {
            connection: store.pool().acquire().await?.detach(),
            cache: Cache::default(),
        });
    }
    let head = store.log_status().await?.head;
    let mut tracker = Tracker {
        started,
        batch_events_max,
        head,
        position: 0,
        events: 0,
    };
    load(
        store,
        &mut workers,
        projections,
        &mut tracker,
        true,
        progress,
    )
    .await?;
    // Catch up what was appended while indexing, outside the swap's lock.
    load(
        store,
        &mut workers,
        projections,
        &mut tracker,
        false,
        progress,
    )
    .await?;
    for worker in workers {
        let _ = worker.connection.close().await;
    }
    progress(&tracker.report(RebuildPhase::Swapping));
    swap(store, connection, projections, &mut tracker).await?;
    for &projection in projections {
        sqlx::query(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            retired(projection)
        ))
        .execute(&mut *connection)
        .await?;
    }
    let done = tracker.report(RebuildPhase::Done);
    progress(&done);
    Ok(RebuildReport {
        projections: projections.iter().map(|p| p.name()).collect(),
        position: tracker.position,
        events: tracker.events,
        elapsed: done.elapsed,
        events_per_second: done.events_per_second,
    })
}
