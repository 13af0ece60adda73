//! Read-your-writes: waiting until projections have applied a position, and
//! whether a runner is following each projection right now.

use std::time::{Duration, Instant};

use dropledger_eventstore::Backoff;
use sqlx::{PgPool, Row};
use tokio::sync::Notify;

use crate::{Projection, QueryError};

/// The first pause of [`wait_until_applied`] before it looks at the
/// checkpoints again; each pause doubles, up to [`CONSISTENCY_POLL_MAX_MS`].
const CONSISTENCY_POLL_FIRST_MS: u64 = 10;
/// The longest pause between two looks at the checkpoints. A runner in this
/// process wakes waiters as soon as it commits (see [`checkpoint_moved`]);
/// the pause only matters for runners in other processes.
const CONSISTENCY_POLL_MAX_MS: u64 = 250;

/// Woken whenever a runner of this process commits a batch.
static CHECKPOINT_MOVED: Notify = Notify::const_new();

/// Wakes every [`wait_until_applied`] of this process: a checkpoint moved.
pub(crate) fn checkpoint_moved() {
    CHECKPOINT_MOVED.notify_waiters();
}

/// Why a projection did not reach a position in time.
#[derive(Debug, thiserror::Error)]
pub enum ConsistencyError {
    /// The projection was still behind when the time ran out.
    #[error(
        "the {projection} read model is at position {reached}, not yet at {wanted}, after {waited_ms} ms; \
         try again shortly"
    )]
    Timeout {
        /// The projection that lagged.
        projection: &'static str,
        /// Where it was.
        reached: u64,
        /// Where the caller wanted it.
        wanted: u64,
        /// How long was waited.
        waited_ms: u64,
    },
    /// The projection stopped at an event it cannot apply before the position.
    #[error(
        "the {projection} read model stopped at position {failed_at} and will not reach {wanted}"
    )]
    Failed {
        /// The projection that stopped.
        projection: &'static str,
        /// The event it stopped at.
        failed_at: u64,
        /// Where the caller wanted it.
        wanted: u64,
    },
    /// Reading the checkpoints failed.
    #[error(transparent)]
    Query(#[from] QueryError),
}

/// Waits until every one of `projections` has applied the event at
/// `position` (and so every event before it), at most `timeout`.
pub async fn wait_until_applied(
    pool: &PgPool,
    projections: &[Projection],
    position: u64,
    timeout: Duration,
) -> Result<(), ConsistencyError> {
    let started = Instant::now();
    let names: Vec<&str> = projections.iter().map(|p| p.name()).collect();
    let mut pause = Duration::from_millis(CONSISTENCY_POLL_FIRST_MS);
    loop {
        // Registered before the look, so that a commit between the look
        // and the wait still wakes us.
        let moved = CHECKPOINT_MOVED.notified();
        tokio::pin!(moved);
        moved.as_mut().enable();
        let rows = sqlx::query(
            "SELECT name, position, status, failed_position FROM projection_checkpoint \
             WHERE name = ANY($1)",
        )
        .bind(&names)
        .fetch_all(pool)
        .await
        .map_err(QueryError::from)?;
        let mut behind = None;
        for projection in projections {
            let row = rows
                .iter()
                .find(|row| row.get::<String, _>(0) == projection.name());
            let reached = row.map_or(0, |row| row.get::<i64, _>(1) as u64);
            if reached >= position {
                continue;
            }
            if let Some(row) = row.filter(|row| row.get::<String, _>(2) == "FAILED") {
                let failed_at = row.get::<Option<i64>, _>(3).unwrap_or_default() as u64;
                if failed_at <= position {
                    return Err(ConsistencyError::Failed {
                        projection: projection.name(),
                        failed_at,
                        wanted: position,
                    });
                }
            }
            behind = Some((projection.name(), reached));
        }
        let Some((projection, reached)) = behind else {
            return Ok(());
        };
        if started.elapsed() >= timeout {
            return Err(ConsistencyError::Timeout {
                projection,
                reached,
                wanted: position,
                waited_ms: started.elapsed().as_millis() as u64,
            });
        }
        let left = timeout.saturating_sub(started.elapsed());
        tokio::select! {
            () = moved => {}
            () = tokio::time::sleep(pause.min(left)) => {
                pause = Backoff::from_millis(CONSISTENCY_POLL_FIRST_MS, CONSISTENCY_POLL_MAX_MS).next(pause);
            }
        }
    }
}

/// The projections whose runner lock some session holds now: a runner of
/// this or another process is following them.
pub async fn projections_with_runner(pool: &PgPool) -> Result<Vec<Projection>, QueryError> {
    // A bigint advisory lock shows in pg_locks as its high and low 32 bits
    // (classid, objid) with objsubid 1.
    let keys: Vec<i64> = Projection::ALL.iter().map(|p| p.lock_key()).collect();
    let held: Vec<i64> = sqlx::query_scalar(
        "SELECT (classid::bigint << 32) | objid::bigint FROM pg_locks \
         WHERE locktype = 'advisory' AND objsubid = 1 AND granted \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
         AND ((classid::bigint << 32) | objid::bigint) = ANY($1)",
    )
    .bind(&keys)
    .fetch_all(pool)
    .await?;
    Ok(Projection::ALL
        .into_iter()
        .filter(|p| held.contains(&p.lock_key()))
        .collect())
}
