//! Tamper evidence: the hash chain finds exactly the event whose bytes changed.

mod common;

use std::time::Duration;

use common::events;
use dropledger_devdb::TestDatabase;
use dropledger_eventstore::ExpectedVersion;

#[tokio::test]
async fn an_untouched_log_verifies_from_start_to_head() {
    let db = TestDatabase::new().await;
    let store = db.store();
    for stream in 0..3 {
        store
            .append(
                &format!("order-{stream}"),
                ExpectedVersion::NoStream,
                &events(3),
            )
            .await
            .unwrap();
    }
    store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    let mut progress = Vec::new();
    let report = store
        .verify_chain(|checked| progress.push(checked))
        .await
        .unwrap();
    assert_eq!(report.verified, 9);
    assert_eq!(report.first_tampered, None);
    assert_eq!(report.head_hash.len(), 64);
    assert_eq!(progress, vec![9]);
}

#[tokio::test]
async fn a_superuser_edit_of_one_payload_is_found_at_exactly_that_event() {
    let db = TestDatabase::new().await;
    let store = db.store();
    for stream in 0..4 {
        store
            .append(
                &format!("order-{stream}"),
                ExpectedVersion::NoStream,
                &events(2),
            )
            .await
            .unwrap();
    }
    store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    let target = store.read_all(4, 1).await.unwrap().remove(0);
    assert_eq!(target.position, 5);

    // A superuser goes around the append-only trigger to change one amount.
    let mut connection = db.pool().acquire().await.unwrap();
    sqlx::query("ALTER TABLE event DISABLE TRIGGER event_is_append_only")
        .execute(&mut *connection)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE event SET payload = jsonb_set(payload::jsonb, '{amount,amount}', '\"99.99\"')::json \
         WHERE event_id = $1",
    )
    .bind(target.event.event_id)
    .execute(&mut *connection)
    .await
    .unwrap();
    sqlx::query("ALTER TABLE event ENABLE TRIGGER event_is_append_only")
        .execute(&mut *connection)
        .await
        .unwrap();

    let report = store.verify_chain(|_| {}).await.unwrap();
    let tampered = report.first_tampered.expect("the edit is found");
    assert_eq!(tampered.position, 5);
    assert_eq!(tampered.event_id, target.event.event_id);
    assert_eq!(tampered.stream_id, target.event.stream_id);
    assert_eq!(report.verified, 4);
}
