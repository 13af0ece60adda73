//! The shadow schemas a rebuild fills: created with the live tables'
//! columns and keys, indexed after the load.

use sqlx::{Connection, PgConnection, Row};

use super::{shadow, INDEXED_AFTER_LOAD, INDEX_BUILD_MEMORY_MB};
use crate::Projection;

/// A fresh shadow schema with the live tables' columns, defaults and
/// checks; the indexes of tables that are read while loading come along.
pub(super) async fn create_shadow(
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
pub(super) async fn copy_keys(
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
pub(super) async fn index_shadow(
    worker: &mut PgConnection,
    projection: Projection,
) -> Result<(), sqlx::Error> {
    let mut transaction = worker.begin().await?;
    index_tables(&mut transaction, projection).await?;
    transaction.commit().await
}

pub(super) async fn index_tables(
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
