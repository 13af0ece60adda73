//! The database's schema and a migrated pool on it. Finding or starting a
//! server for development and tests is the `dropledger-devdb` crate's job:
//! the store is told where its database is.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use crate::DatabaseError;

/// The schema of the whole system, one migrator for the binary, tests and benches.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// A pool on `options` whose database is migrated to the current schema.
pub async fn connect_and_migrate(
    options: PgConnectOptions,
    max_connections: u32,
) -> Result<PgPool, DatabaseError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}
