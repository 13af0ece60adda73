//! One projection's writer: its batches into its shadow, one short
//! transaction each (the ledger's folded in memory alongside).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use sqlx::{Connection, PgConnection};
use tokio::sync::mpsc;

use super::load::Done;
use super::shadow::index_shadow;
use super::{shadow, FOLD_AHEAD_BATCHES};
use crate::decode::Decoded;
use crate::ledger::LedgerRows;
use crate::projection::{ApplyError, Cache};
use crate::{Projection, ProjectionError};

/// One projection's writer: applies the batches of its queue to its shadow,
/// writes what its cache held back, and (with `then_index`) builds its indexes.
pub(super) async fn write_shadow(
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
pub(super) async fn load_batches(
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
pub(super) async fn load_ledger(
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
pub(super) async fn copy_folded(
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
pub(super) fn joined<T>(result: Result<T, tokio::task::JoinError>) -> T {
    match result {
        Ok(value) => value,
        Err(error) => std::panic::resume_unwind(error.into_panic()),
    }
}

/// One batch into one projection's shadow, in a transaction of its own.
/// Committed without waiting for the disk: a crash loses the shadow, which
/// a rebuild starts afresh anyway (the swap itself commits durably).
pub(super) async fn load_batch(
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
pub(super) struct Worker {
    pub(super) connection: PgConnection,
    pub(super) cache: Cache,
}

pub(super) fn event_failure(
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
