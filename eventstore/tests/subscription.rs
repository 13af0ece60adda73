//! Catch-up subscriptions: woken on commit, polling as a fallback, surviving dropped connections.

mod common;

use std::time::Duration;

use common::{another_process, events};
use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{ExpectedVersion, SubscriptionOptions};

/// A bound on how long a test waits for a delivery; a timeout is a failure.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

async fn next_positions(
    subscription: &mut dropledger_eventstore::Subscription,
    count: usize,
) -> Vec<u64> {
    let mut positions = Vec::new();
    while positions.len() < count {
        let event = tokio::time::timeout(DELIVERY_TIMEOUT, subscription.next())
            .await
            .expect("the subscription delivers within the timeout")
            .unwrap();
        positions.push(event.position);
    }
    positions
}

async fn receive(
    received: &mut tokio::sync::mpsc::UnboundedReceiver<u64>,
    count: usize,
) -> Vec<u64> {
    let mut positions = Vec::new();
    while positions.len() < count {
        let position = tokio::time::timeout(DELIVERY_TIMEOUT, received.recv())
            .await
            .expect("the subscription delivers within the timeout")
            .expect("the subscription is running");
        positions.push(position);
    }
    positions
}

#[tokio::test]
async fn a_subscription_catches_up_then_follows_new_events() {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("order-1", ExpectedVersion::NoStream, &events(3))
        .await
        .unwrap();
    let mut subscription = store.subscribe(1, SubscriptionOptions::default());
    assert_eq!(next_positions(&mut subscription, 2).await, vec![2, 3]);

    let waiting = tokio::spawn(async move {
        let positions = next_positions(&mut subscription, 2).await;
        (positions, subscription.position())
    });
    store
        .append("order-2", ExpectedVersion::NoStream, &events(2))
        .await
        .unwrap();
    let (positions, position) = waiting.await.unwrap();
    assert_eq!(positions, vec![4, 5]);
    assert_eq!(position, 5);
}

#[tokio::test]
async fn a_notification_from_another_process_wakes_a_subscriber_long_before_its_poll() {
    let db = TestDatabase::new().await;
    let subscriber_store = db.store();
    let other_process = another_process(&db).await;
    let options = SubscriptionOptions {
        poll_interval_ms: 3_600_000,
        ..SubscriptionOptions::default()
    };
    let mut subscription = subscriber_store.subscribe(0, options);
    let waiting = tokio::spawn(async move { next_positions(&mut subscription, 1).await });
    // Let the subscriber start listening before the append.
    tokio::time::sleep(Duration::from_millis(300)).await;
    other_process
        .append("order-1", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();
    // The other process announces its events by sequencing them (waiting
    // out any transaction that other tests on the server hold open).
    other_process.wait_for_log(DELIVERY_TIMEOUT).await.unwrap();
    assert_eq!(waiting.await.unwrap(), vec![1]);
}

#[tokio::test]
async fn without_any_notification_a_subscriber_still_finds_new_events_by_polling() {
    let db = TestDatabase::new().await;
    let subscriber_store = db.store();
    let other_process = another_process(&db).await;
    let options = SubscriptionOptions {
        poll_interval_ms: 100,
        ..SubscriptionOptions::default()
    };
    let mut subscription = subscriber_store.subscribe(0, options);
    let waiting = tokio::spawn(async move { next_positions(&mut subscription, 2).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    // Appended but never sequenced by the writer: nobody sends a notification.
    other_process
        .append("order-1", ExpectedVersion::NoStream, &events(2))
        .await
        .unwrap();
    assert_eq!(waiting.await.unwrap(), vec![1, 2]);
}

#[tokio::test]
async fn a_subscription_survives_its_connections_being_terminated_without_loss_or_duplicates() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let writer = another_process(&db).await;
    let mut subscription = store.subscribe(
        0,
        SubscriptionOptions {
            poll_interval_ms: 200,
            ..SubscriptionOptions::default()
        },
    );
    let (delivered, mut received) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok(event) = subscription.next().await {
            if delivered.send(event.position).is_err() {
                break;
            }
        }
    });
    // Let the caught-up subscriber start listening, then give it events.
    tokio::time::sleep(Duration::from_millis(300)).await;
    writer
        .append("order-1", ExpectedVersion::NoStream, &events(3))
        .await
        .unwrap();
    let mut positions = receive(&mut received, 3).await;

    // Terminate every backend of the subscriber's pool, its listener's included.
    let writer_pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(writer.pool())
        .await
        .unwrap();
    let listening: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN%'",
    )
    .fetch_one(writer.pool())
    .await
    .unwrap();
    assert_eq!(listening, 1, "the subscriber listens for notifications");
    let terminated: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND pid <> $1",
    )
    .bind(writer_pid)
    .fetch_all(writer.pool())
    .await
    .unwrap();
    assert!(
        terminated.len() >= 2,
        "the listener and a pool connection were terminated"
    );
    assert!(terminated.iter().all(|done| *done));

    writer
        .append("order-2", ExpectedVersion::NoStream, &events(4))
        .await
        .unwrap();
    positions.extend(receive(&mut received, 4).await);
    assert_eq!(positions, (1..=7).collect::<Vec<_>>());
    // Nothing more is pending: a duplicate would show up here.
    let extra = tokio::time::timeout(Duration::from_millis(800), received.recv()).await;
    assert!(extra.is_err(), "unexpected extra delivery: {extra:?}");
}

#[tokio::test]
async fn a_stalled_subscription_names_the_transaction_it_waits_for() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let mut open = store.begin().await.unwrap();
    open.append("order-open", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();
    store
        .append("order-later", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();

    let mut subscription = store.subscribe(
        0,
        SubscriptionOptions {
            poll_interval_ms: 50,
            ..SubscriptionOptions::default()
        },
    );
    let our_xid: i64 = sqlx::query_scalar(
        "SELECT backend_xid::text::int8 FROM pg_stat_activity \
         WHERE datname = current_database() AND backend_xid IS NOT NULL \
           AND state = 'idle in transaction'",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();
    // The horizon is server-wide: another database's older transaction may
    // hold the log back first. Whatever is named must be at least as old as
    // ours, and once the older ones end, ours is named.
    let mut waiting_for = None;
    for _ in 0..100 {
        let nothing = tokio::time::timeout(Duration::from_millis(100), subscription.next()).await;
        assert!(nothing.is_err(), "delivered past an open transaction");
        waiting_for = subscription.waiting_for().cloned();
        let named = waiting_for
            .as_ref()
            .expect("the subscription says what it waits for");
        assert!(
            named.transaction_id % (1 << 32) <= our_xid as u64,
            "{named}"
        );
        if named.database.as_deref() == Some(db.name()) {
            assert_eq!(named.transaction_id % (1 << 32), our_xid as u64);
            break;
        }
    }
    assert!(waiting_for.is_some());
    open.commit().await.unwrap();
    assert_eq!(next_positions(&mut subscription, 2).await, vec![1, 2]);
    assert!(subscription.waiting_for().is_none());
}
