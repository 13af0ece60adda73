//! `dropledger verify` and `dropledger migrate`, run as a user would run them.

use std::process::Command;
use std::time::Duration;

use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{ExpectedVersion, Metadata, NewEvent};
use serde_json::json;

fn dropledger(database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_dropledger"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the dropledger binary runs")
}

async fn database_with_log(events: usize) -> (TestDatabase, Vec<uuid::Uuid>) {
    let db = TestDatabase::new().await;
    let store = db.store();
    let mut ids = Vec::new();
    for n in 0..events {
        let event = NewEvent::new(
            "CapitalContributed",
            json!({ "amount": { "amount": format!("{n}.00"), "currency": "USD" } }),
            Metadata::new("user:admin"),
        );
        ids.push(event.event_id);
        store
            .append(&format!("capital-{n}"), ExpectedVersion::NoStream, &[event])
            .await
            .unwrap();
    }
    store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    (db, ids)
}

#[tokio::test]
async fn verify_exits_zero_on_an_intact_log() {
    let (db, _) = database_with_log(5).await;
    let output = dropledger(&db.url(), &["verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("hash chain intact: 5 events verified"),
        "{stdout}"
    );
}

#[tokio::test]
async fn verify_exits_non_zero_naming_the_first_edited_event() {
    let (db, ids) = database_with_log(6).await;
    let mut connection = db.pool().acquire().await.unwrap();
    // A superuser bypasses the append-only trigger for this session only.
    sqlx::query("SET session_replication_role = replica")
        .execute(&mut *connection)
        .await
        .unwrap();
    sqlx::query("UPDATE event SET metadata = jsonb_set(metadata::jsonb, '{actor}', '\"user:mallory\"')::json WHERE event_id = $1")
        .bind(ids[3])
        .execute(&mut *connection)
        .await
        .unwrap();
    drop(connection);

    let output = dropledger(&db.url(), &["verify"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("BROKEN at position 4"), "{stdout}");
    assert!(stdout.contains(&ids[3].to_string()), "{stdout}");
}

#[tokio::test]
async fn migrate_applies_the_schema_to_an_empty_database() {
    let db = TestDatabase::new().await;
    let url = db.url();
    let empty = format!("{}_empty", db.name());
    sqlx::query(&format!("CREATE DATABASE {empty}"))
        .execute(db.pool())
        .await
        .unwrap();
    let empty_url = url.replacen(&format!("/{}", db.name()), &format!("/{empty}"), 1);
    let output = dropledger(&empty_url, &["migrate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let empty_pool = sqlx::PgPool::connect(&empty_url).await.unwrap();
    let tables: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name IN ('event', 'log_entry', 'stream')",
    )
    .fetch_one(&empty_pool)
    .await
    .unwrap();
    empty_pool.close().await;
    sqlx::query(&format!("DROP DATABASE {empty} WITH (FORCE)"))
        .execute(db.pool())
        .await
        .unwrap();
    assert_eq!(tables, 3);
}
