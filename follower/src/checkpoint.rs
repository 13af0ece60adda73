//! Where each process manager stands in the log (`process_checkpoint`),
//! and the work it parked for later (`process_parked`).

use sqlx::PgPool;

/// Reads `name`'s position, creating its row at 0 the first time.
pub async fn load(pool: &PgPool, name: &str) -> Result<u64, sqlx::Error> {
    sqlx::query("INSERT INTO process_checkpoint (name) VALUES ($1) ON CONFLICT (name) DO NOTHING")
        .bind(name)
        .execute(pool)
        .await?;
    let position: i64 =
        sqlx::query_scalar("SELECT position FROM process_checkpoint WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await?;
    Ok(u64::try_from(position).unwrap_or(0))
}

/// Moves `name` to `position`; a success clears the last error shown.
pub async fn save(pool: &PgPool, name: &str, position: u64) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE process_checkpoint SET position = $2, updated_at = now() \
         WHERE name = $1 AND position < $2",
    )
    .bind(name)
    .bind(i64::try_from(position).unwrap_or(i64::MAX))
    .execute(pool)
    .await?;
    Ok(())
}

/// Shows that `name` gave up on the event at `position` (operators read it).
pub async fn record_error(
    pool: &PgPool,
    name: &str,
    position: u64,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE process_checkpoint SET last_error = $2, error_position = $3, updated_at = now() \
         WHERE name = $1",
    )
    .bind(name)
    .bind(error)
    .bind(i64::try_from(position).unwrap_or(i64::MAX))
    .execute(pool)
    .await?;
    Ok(())
}

/// Parks `key` for `name` to retry later.
pub async fn park(pool: &PgPool, name: &str, key: &str, reason: &str) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO process_parked (name, key, reason) VALUES ($1, $2, $3) \
         ON CONFLICT (name, key) DO UPDATE SET reason = EXCLUDED.reason",
    )
    .bind(name)
    .bind(key)
    .bind(reason)
    .execute(pool)
    .await?;
    Ok(())
}

/// The `limit` oldest keys `name` parked, oldest first: one bounded page,
/// however much work waits.
pub async fn parked(pool: &PgPool, name: &str, limit: usize) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT key FROM process_parked WHERE name = $1 ORDER BY parked_at, key LIMIT $2",
    )
    .bind(name)
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(pool)
    .await
}

/// The parked work `key` of `name` is done.
pub async fn unpark(pool: &PgPool, name: &str, key: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM process_parked WHERE name = $1 AND key = $2")
        .bind(name)
        .bind(key)
        .execute(pool)
        .await?;
    Ok(())
}
