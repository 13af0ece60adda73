//! One instance per name: a follower works only while it holds its name's
//! session advisory lock, on a connection of its own; a second instance
//! waits as a standby and takes over when the first one's connection goes
//! away (a crash closes it, and the lock with it).

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use sqlx::{Connection, PgConnection, PgPool};

/// Which advisory lock a follower holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockKey {
    /// A lock named by text, hashed by PostgreSQL (`hashtext`).
    Name(String),
    /// A lock by number.
    Number(i64),
}

/// A held advisory lock and the connection that holds it. The connection
/// is never handed back to the pool with the lock still held: it is
/// closed on [`FollowerLock::release`] (or when dropped).
#[derive(Debug)]
pub struct FollowerLock {
    connection: PgConnection,
    key: i64,
}

impl FollowerLock {
    /// Opens a connection of its own and waits for `key`: tried every
    /// `retry`, `standing_by` called each time another instance holds it.
    /// `None` when `shutdown` resolves first.
    pub async fn acquire(
        pool: &PgPool,
        key: LockKey,
        retry: Duration,
        mut standing_by: impl FnMut(),
        mut shutdown: Pin<&mut impl Future<Output = ()>>,
    ) -> Result<Option<FollowerLock>, sqlx::Error> {
        let mut connection = pool.acquire().await?.detach();
        let key = match key {
            // The same key as `pg_try_advisory_lock(hashtext(name))`: the
            // int4 hash widened to the bigint the lock functions take.
            LockKey::Name(name) => {
                sqlx::query_scalar::<_, i64>("SELECT hashtext($1)::bigint")
                    .bind(name)
                    .fetch_one(&mut connection)
                    .await?
            }
            LockKey::Number(key) => key,
        };
        let mut lock = FollowerLock { connection, key };
        loop {
            let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                .bind(lock.key)
                .fetch_one(&mut lock.connection)
                .await?;
            if locked {
                return Ok(Some(lock));
            }
            standing_by();
            tokio::select! {
                () = shutdown.as_mut() => {
                    let _ = lock.connection.close().await;
                    return Ok(None);
                }
                () = tokio::time::sleep(retry) => {}
            }
        }
    }

    /// The connection holding the lock: work done on it is done only while
    /// the lock is held.
    pub fn connection(&mut self) -> &mut PgConnection {
        &mut self.connection
    }

    /// Checks that the lock's connection is still alive: losing it means
    /// another instance may take over, so this one must stop.
    pub async fn check(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&mut self.connection)
            .await?;
        Ok(())
    }

    /// Unlocks explicitly, so that a standby need not wait for this
    /// connection's backend to exit, and closes the connection.
    pub async fn release(mut self) {
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(self.key)
            .execute(&mut self.connection)
            .await;
        if let Err(error) = unlocked {
            tracing::debug!(%error, "unlocking failed; closing the connection releases the lock");
        }
        let _ = self.connection.close().await;
    }
}
