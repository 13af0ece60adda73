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

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dropledger_eventstore::{EventStore, READ_EVENTS_MAX};
use sqlx::{Connection, PgConnection, Row};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::decode::{decode_all, Decoded};
use crate::ledger::LedgerRows;
use crate::projection::{ApplyError, Cache};
use crate::{Projection, ProjectionError};

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

/// A fresh shadow schema with the live tables' columns, defaults and
/// checks; the indexes of tables that are read while loading come along.
async fn create_shadow(
    connection: &mut PgConnection,
    projection: Projection,
) -> Result<(), sqlx::Error> {
    let (live, shadow) = (projection.schema(), shadow(projection));
    sqlx::query(&format!("DROP SCHEMA IF EXISTS {shadow} CASCADE"))
        .execute(&mut *connection)
        .await?;
    sqlx::query(&format!("CREATE SCHEMA {shadow}"))
        .execute(&mut *connection)
        .await?;
    for (table, _) in projection.tables() {
        sqlx::query(&format!(
            "CREATE TABLE {shadow}.{table} \
             (LIKE {live}.{table} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
        ))
        .execute(&mut *connection)
        .await?;
        // Tables a batch reads back (by key) need their keys while loading.
        if !INDEXED_AFTER_LOAD.contains(table) {
            copy_keys(connection, projection, table).await?;
        }
    }
    Ok(())
}

/// Gives a shadow table the live table's primary and unique keys.
async fn copy_keys(
    connection: &mut PgConnection,
    projection: Projection,
    table: &str,
) -> Result<(), sqlx::Error> {
    let (live, shadow) = (projection.schema(), shadow(projection));
    let constraints = sqlx::query(
        "SELECT conname::text, pg_get_constraintdef(oid) FROM pg_constraint \
         WHERE conrelid = $1::regclass AND contype IN ('p', 'u') ORDER BY conname",
    )
    .bind(format!("{live}.{table}"))
    .fetch_all(&mut *connection)
    .await?;
    for row in constraints {
        let (name, definition): (String, String) = (row.get(0), row.get(1));
        sqlx::query(&format!(
            "ALTER TABLE {shadow}.{table} ADD CONSTRAINT {name} {definition}"
        ))
        .execute(&mut *connection)
        .await?;
    }
    Ok(())
}

/// Gives the shadow tables the live tables' other indexes (and the
/// append-only tables their keys), after the load.
async fn index_shadow(
    worker: &mut PgConnection,
    projection: Projection,
) -> Result<(), sqlx::Error> {
    let mut transaction = worker.begin().await?;
    index_tables(&mut transaction, projection).await?;
    transaction.commit().await
}

async fn index_tables(
    connection: &mut PgConnection,
    projection: Projection,
) -> Result<(), sqlx::Error> {
    let (live, shadow) = (projection.schema(), shadow(projection));
    // Sorting for an index build in memory rather than in temporary files.
    sqlx::query(&format!(
        "SET LOCAL maintenance_work_mem = '{INDEX_BUILD_MEMORY_MB}MB'"
    ))
    .execute(&mut *connection)
    .await?;
    for (table, _) in projection.tables() {
        if INDEXED_AFTER_LOAD.contains(table) {
            copy_keys(connection, projection, table).await?;
        }
        let indexes: Vec<String> = sqlx::query_scalar(
            "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i \
             WHERE i.indrelid = $1::regclass \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid) \
             ORDER BY i.indexrelid",
        )
        .bind(format!("{live}.{table}"))
        .fetch_all(&mut *connection)
        .await?;
        for definition in indexes {
            let definition = definition.replace(&format!(" ON {live}."), &format!(" ON {shadow}."));
            sqlx::query(&definition).execute(&mut *connection).await?;
        }
        sqlx::query(&format!("ANALYZE {shadow}.{table}"))
            .execute(&mut *connection)
            .await?;
    }
    Ok(())
}

/// Applies the log after `tracker.position` to the shadows until a read
/// comes back empty, one transaction per batch and projection; with
/// `then_index`, each projection builds its indexes as soon as its own
/// load is done.
///
/// Reading runs ahead of writing on a task of its own, batches are decoded
/// on blocking threads, and each projection's writer takes them from a
/// queue of its own: a projection quicker than another runs ahead (and on
/// to its indexes) instead of waiting for it at every batch, so that both
/// cores stay busy.
async fn load(
    store: &EventStore,
    workers: &mut Vec<Worker>,
    projections: &[Projection],
    tracker: &mut Tracker,
    then_index: bool,
    progress: &mut (dyn FnMut(&RebuildProgress) + Send),
) -> Result<(), ProjectionError> {
    let (sender, mut receiver) =
        mpsc::channel::<Result<JoinHandle<Vec<Decoded>>, ProjectionError>>(READ_AHEAD_BATCHES);
    let reader_store = store.clone();
    let mut position = tracker.position;
    let batch_events_max = tracker.batch_events_max;
    let reader = tokio::spawn(async move {
        loop {
            let batch = match reader_store.read_all(position, batch_events_max).await {
                Ok(events) if events.is_empty() => return,
                Ok(events) => {
                    position = events.last().map_or(position, |e| e.position);
                    Ok(tokio::task::spawn_blocking(move || decode_all(events)))
                }
                Err(error) => Err(error.into()),
            };
            let failed = batch.is_err();
            if sender.send(batch).await.is_err() || failed {
                return;
            }
        }
    });
    let (done_sender, mut done) = mpsc::unbounded_channel::<Done>();
    // Set when a writer or the reader fails: the others stop without
    // finishing a shadow that will not be swapped in.
    let failed = Arc::new(AtomicBool::new(false));
    let mut queues = Vec::with_capacity(workers.len());
    let mut tasks = Vec::with_capacity(workers.len());
    for (index, (worker, &projection)) in workers.drain(..).zip(projections).enumerate() {
        let (queue, batches) = mpsc::channel::<Arc<Vec<Decoded>>>(WRITE_AHEAD_BATCHES);
        queues.push(queue);
        tasks.push(tokio::spawn(write_shadow(
            worker,
            projection,
            batches,
            (index, done_sender.clone(), Arc::clone(&failed)),
            then_index,
        )));
    }
    drop(done_sender);
    // Hands each decoded batch, in log order, to every writer.
    let fan_out = tokio::spawn(async move {
        while let Some(decoding) = receiver.recv().await {
            let batch = match decoding {
                Ok(decoding) => Arc::new(joined(decoding.await)),
                Err(error) => {
                    failed.store(true, Ordering::SeqCst);
                    return Err(error);
                }
            };
            for queue in &queues {
                // A writer that stopped has failed; it reports why.
                if queue.send(Arc::clone(&batch)).await.is_err() {
                    return Ok(());
                }
            }
        }
        Ok::<(), ProjectionError>(())
    });
    // Progress is the slowest writer's.
    let start = (tracker.position, tracker.events);
    let mut applied = vec![start; tasks.len()];
    let mut loading = tasks.len();
    while let Some(message) = done.recv().await {
        match message {
            Done::Batch {
                writer,
                position,
                events,
            } => {
                applied[writer].0 = position;
                applied[writer].1 += events;
                let slowest = applied.iter().min().copied().unwrap_or(start);
                if slowest != (tracker.position, tracker.events) {
                    (tracker.position, tracker.events) = slowest;
                    tracker.head = tracker.head.max(tracker.position);
                    progress(&tracker.report(RebuildPhase::Loading));
                }
            }
            Done::Loaded => {
                loading -= 1;
                if loading == 0 && then_index {
                    progress(&tracker.report(RebuildPhase::Indexing));
                }
            }
        }
    }
    reader.abort();
    let fanned = joined(fan_out.await);
    let mut outcome = Ok(());
    for task in tasks {
        let (worker, written) = joined(task.await);
        workers.push(worker);
        outcome = outcome.and(written);
    }
    outcome.and(fanned)
}

/// What a writer reports to the rebuild.
enum Done {
    /// It committed a batch.
    Batch {
        writer: usize,
        position: u64,
        events: u64,
    },
    /// It has written its whole share of the log.
    Loaded,
}

/// One projection's writer: applies the batches of its queue to its shadow,
/// writes what its cache held back, and (with `then_index`) builds its indexes.
async fn write_shadow(
    mut worker: Worker,
    projection: Projection,
    batches: mpsc::Receiver<Arc<Vec<Decoded>>>,
    (writer, done, failed): (usize, mpsc::UnboundedSender<Done>, Arc<AtomicBool>),
    then_index: bool,
) -> (Worker, Result<(), ProjectionError>) {
    let written = async {
        let loaded = match projection {
            Projection::Ledger => load_ledger(&mut worker, batches, (writer, &done)).await,
            _ => load_batches(&mut worker, projection, batches, (writer, &done)).await,
        };
        if let Err(error) = loaded {
            failed.store(true, Ordering::SeqCst);
            return Err(error);
        }
        if failed.load(Ordering::SeqCst) {
            return Ok(());
        }
        let mut transaction = worker.connection.begin().await?;
        sqlx::query("SET LOCAL synchronous_commit = off")
            .execute(&mut *transaction)
            .await?;
        projection
            .flush_cached(&mut transaction, &shadow(projection), &mut worker.cache)
            .await?;
        transaction.commit().await?;
        let _ = done.send(Done::Loaded);
        if then_index {
            index_shadow(&mut worker.connection, projection).await?;
        }
        Ok(())
    }
    .await;
    (worker, written)
}

/// Applies the batches of `batches` to a projection's shadow, one
/// transaction each.
async fn load_batches(
    worker: &mut Worker,
    projection: Projection,
    mut batches: mpsc::Receiver<Arc<Vec<Decoded>>>,
    (writer, done): (usize, &mpsc::UnboundedSender<Done>),
) -> Result<(), ProjectionError> {
    while let Some(batch) = batches.recv().await {
        load_batch(worker, projection, &batch).await?;
        let _ = done.send(Done::Batch {
            writer,
            position: batch.last().map_or(0, Decoded::position),
            events: batch.len() as u64,
        });
    }
    Ok(())
}

/// Applies the batches of `batches` to the ledger's shadow: each is folded
/// into the books in memory on a task of its own while the batch before is
/// being copied, so that the rebuild's longest chain of work (fold, copy,
/// fold, copy) becomes two that overlap.
async fn load_ledger(
    worker: &mut Worker,
    mut batches: mpsc::Receiver<Arc<Vec<Decoded>>>,
    (writer, done): (usize, &mpsc::UnboundedSender<Done>),
) -> Result<(), ProjectionError> {
    let mut books = std::mem::take(&mut worker.cache.ledger);
    let (folded_sender, mut folded) =
        mpsc::channel::<(LedgerRows, Arc<Vec<Decoded>>)>(FOLD_AHEAD_BATCHES);
    let folding = tokio::spawn(async move {
        while let Some(batch) = batches.recv().await {
            let rows = match books.fold(&batch) {
                Ok(rows) => rows,
                Err(error) => {
                    return (books, event_failure(Projection::Ledger, &batch, Err(error)));
                }
            };
            if folded_sender.send((rows, batch)).await.is_err() {
                break;
            }
        }
        (books, Ok(()))
    });
    let schema = shadow(Projection::Ledger);
    while let Some((rows, batch)) = folded.recv().await {
        let copied = copy_folded(&mut worker.connection, &schema, rows, &batch).await;
        if let Err(error) = event_failure(Projection::Ledger, &batch, copied) {
            // The books are lost with the shadow, which is not swapped in.
            folding.abort();
            return Err(error);
        }
        let _ = done.send(Done::Batch {
            writer,
            position: batch.last().map_or(0, Decoded::position),
            events: batch.len() as u64,
        });
    }
    let (books, folded) = joined(folding.await);
    worker.cache.ledger = books;
    folded
}

/// One folded ledger batch into the shadow, with the batch's cash
/// reconciliations (the ledger's other table), in a transaction of its own
/// committed without waiting for the disk (as [`load_batch`]).
async fn copy_folded(
    connection: &mut PgConnection,
    schema: &str,
    rows: LedgerRows,
    batch: &[Decoded],
) -> Result<(), ApplyError> {
    let mut transaction = connection.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *transaction)
        .await?;
    rows.write(&mut transaction, schema).await?;
    crate::reconciliation::apply(&mut transaction, schema, batch).await?;
    Ok(transaction.commit().await?)
}

/// The value of a finished task; a task that panicked panics here too.
fn joined<T>(result: Result<T, tokio::task::JoinError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// One batch into one projection's shadow, in a transaction of its own.
/// Committed without waiting for the disk: a crash loses the shadow, which
/// a rebuild starts afresh anyway (the swap itself commits durably).
async fn load_batch(
    worker: &mut Worker,
    projection: Projection,
    batch: &[Decoded],
) -> Result<(), ProjectionError> {
    let mut transaction = worker.connection.begin().await?;
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *transaction)
        .await?;
    let applied = projection
        .apply_cached(
            &mut transaction,
            &shadow(projection),
            batch,
            Some(&mut worker.cache),
        )
        .await;
    event_failure(projection, batch, applied)?;
    transaction.commit().await?;
    Ok(())
}

/// A connection applying one projection's batches, with its documents.
struct Worker {
    connection: PgConnection,
    cache: Cache,
}

fn event_failure(
    projection: Projection,
    batch: &[Decoded],
    applied: Result<(), ApplyError>,
) -> Result<(), ProjectionError> {
    match applied {
        Ok(()) => Ok(()),
        Err(ApplyError::Event { index, reason }) => Err(ProjectionError::EventFailed {
            projection: projection.name(),
            position: batch[index].position(),
            reason,
        }),
        Err(ApplyError::Database(error)) => Err(error.into()),
    }
}

async fn apply_to_shadows(
    connection: &mut PgConnection,
    projections: &[Projection],
    batch: &[Decoded],
) -> Result<(), ProjectionError> {
    for &projection in projections {
        let started = Instant::now();
        let applied = projection
            .apply(connection, &shadow(projection), batch)
            .await;
        tracing::debug!(
            projection = projection.name(),
            events = batch.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "batch applied to the shadow"
        );
        match applied {
            Ok(()) => {}
            Err(ApplyError::Event { index, reason }) => {
                return Err(ProjectionError::EventFailed {
                    projection: projection.name(),
                    position: batch[index].position(),
                    reason,
                })
            }
            Err(ApplyError::Database(error)) => return Err(error.into()),
        }
    }
    Ok(())
}

/// Locks the checkpoints, applies the last events, swaps the schemas and
/// moves the checkpoints, in one transaction.
async fn swap(
    store: &EventStore,
    connection: &mut PgConnection,
    projections: &[Projection],
    tracker: &mut Tracker,
) -> Result<(), ProjectionError> {
    let names: Vec<&str> = projections.iter().map(|p| p.name()).collect();
    let mut transaction = connection.begin().await?;
    sqlx::query(
        "SELECT name FROM projection_checkpoint WHERE name = ANY($1) ORDER BY name FOR UPDATE",
    )
    .bind(&names)
    .fetch_all(&mut *transaction)
    .await?;
    for _ in 0..SWAP_CATCH_UP_ROUNDS_MAX {
        let events = store
            .read_all(tracker.position, tracker.batch_events_max)
            .await?;
        if events.is_empty() {
            break;
        }
        let batch = decode_all(events);
        apply_to_shadows(&mut transaction, projections, &batch).await?;
        tracker.position = batch.last().map_or(tracker.position, Decoded::position);
        tracker.events += batch.len() as u64;
    }
    for &projection in projections {
        let live = projection.schema();
        sqlx::query(&format!(
            "DROP SCHEMA IF EXISTS {} CASCADE",
            retired(projection)
        ))
        .execute(&mut *transaction)
        .await?;
        sqlx::query(&format!(
            "ALTER SCHEMA {live} RENAME TO {}",
            retired(projection)
        ))
        .execute(&mut *transaction)
        .await?;
        sqlx::query(&format!(
            "ALTER SCHEMA {} RENAME TO {live}",
            shadow(projection)
        ))
        .execute(&mut *transaction)
        .await?;
    }
    sqlx::query(
        "UPDATE projection_checkpoint SET position = $2, status = 'RUNNING', error = NULL, \
         failed_position = NULL, updated_at = now() WHERE name = ANY($1)",
    )
    .bind(&names)
    .bind(tracker.position as i64)
    .execute(&mut *transaction)
    .await?;
    transaction.commit().await?;
    Ok(())
}
