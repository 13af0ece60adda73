//! The database itself refuses to change history.

mod common;

use std::time::Duration;

use common::events;
use dropledger_devdb::TestDatabase;
use dropledger_eventstore::ExpectedVersion;

async fn database_with_history() -> TestDatabase {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("order-1", ExpectedVersion::NoStream, &events(2))
        .await
        .unwrap();
    let status = store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    assert_eq!(status.head, 2);
    db
}

async fn refusal(db: &TestDatabase, statement: &str) -> String {
    let error = sqlx::query(statement)
        .execute(db.pool())
        .await
        .expect_err("the database must refuse to change history");
    error.to_string()
}

#[tokio::test]
async fn updating_an_event_is_refused() {
    let db = database_with_history().await;
    let message = refusal(&db, "UPDATE event SET payload = '{}'").await;
    assert!(message.contains("UPDATE on event is refused"), "{message}");
}

#[tokio::test]
async fn deleting_an_event_is_refused() {
    let db = database_with_history().await;
    let message = refusal(&db, "DELETE FROM event").await;
    assert!(message.contains("DELETE on event is refused"), "{message}");
}

#[tokio::test]
async fn truncating_the_events_is_refused() {
    let db = database_with_history().await;
    let message = refusal(&db, "TRUNCATE event CASCADE").await;
    assert!(
        message.contains("TRUNCATE on event is refused"),
        "{message}"
    );
}

#[tokio::test]
async fn the_log_cannot_be_updated_deleted_or_truncated() {
    let db = database_with_history().await;
    for (statement, operation) in [
        ("UPDATE log_entry SET position = position + 10", "UPDATE"),
        ("DELETE FROM log_entry", "DELETE"),
        ("TRUNCATE log_entry", "TRUNCATE"),
    ] {
        let message = refusal(&db, statement).await;
        assert!(
            message.contains(&format!("{operation} on log_entry is refused")),
            "{message}"
        );
    }
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM log_entry")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(kept, 2);
}
