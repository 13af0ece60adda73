//! The end of a rebuild: the last events, then the shadows in place of
//! the live schemas and the checkpoints moved, in one transaction.

use std::time::Instant;

use dropledger_eventstore::EventStore;
use sqlx::{Connection, PgConnection};

use super::{retired, shadow, Tracker, SWAP_CATCH_UP_ROUNDS_MAX};
use crate::decode::{decode_all, Decoded};
use crate::projection::ApplyError;
use crate::{Projection, ProjectionError};

pub(super) async fn apply_to_shadows(
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
pub(super) async fn swap(
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
