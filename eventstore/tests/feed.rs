//! One listening connection per process and one reader fanned out to many
//! followers; a follower that falls behind the fan-out catches up from the
//! store and misses nothing.

mod common;

use std::time::Duration;

use common::{another_process, events};
use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{
    ExpectedVersion, FeedFollower, FeedOptions, LogFeed, SubscriptionOptions,
};

/// A bound on how long a test waits for a delivery; a timeout is a failure.
const DELIVERY_TIMEOUT: Duration = Duration::from_secs(20);

/// Connections of the test's database that are listening (their last
/// statement was a LISTEN).
async fn listening_connections(db: &TestDatabase) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND query ILIKE 'LISTEN%'",
    )
    .bind(db.name())
    .fetch_one(db.pool())
    .await
    .unwrap()
}

async fn next_position(follower: &mut FeedFollower) -> u64 {
    tokio::time::timeout(DELIVERY_TIMEOUT, follower.next())
        .await
        .expect("the follower delivers within the timeout")
        .unwrap()
        .position
}

#[tokio::test]
async fn fifty_subscribers_share_one_listening_connection_and_all_receive_each_event() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let writer = another_process(&db).await;
    let options = SubscriptionOptions {
        // Long enough that only the notification can deliver in time.
        poll_interval_ms: 60_000,
        ..SubscriptionOptions::default()
    };
    let feed = LogFeed::new(store.clone(), FeedOptions::default());
    let mut waiting = tokio::task::JoinSet::new();
    for index in 0..50 {
        if index % 2 == 0 {
            let mut subscription = store.subscribe(0, options);
            waiting.spawn(async move { subscription.next().await.unwrap().position });
        } else {
            let mut follower = feed.follow(0);
            waiting.spawn(async move { follower.next().await.unwrap().position });
        }
    }
    // Every subscriber is waiting once the listener is up.
    let deadline = tokio::time::Instant::now() + DELIVERY_TIMEOUT;
    while listening_connections(&db).await == 0 {
        assert!(tokio::time::Instant::now() < deadline, "nobody listens");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(listening_connections(&db).await, 1);

    writer
        .append("order-1", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();
    let _ = writer.read_all(0, 10).await.unwrap(); // sequences and notifies
    let mut received = 0;
    while let Some(position) = tokio::time::timeout(DELIVERY_TIMEOUT, waiting.join_next())
        .await
        .expect("every subscriber is woken by the one notification")
    {
        assert_eq!(position.unwrap(), 1);
        received += 1;
    }
    assert_eq!(received, 50);
}

#[tokio::test]
async fn a_follower_far_behind_the_fan_out_catches_up_from_the_store_and_misses_nothing() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let feed = LogFeed::new(
        store.clone(),
        FeedOptions {
            batch_events_max: 200,
            batches_buffered_max: 2,
            ..FeedOptions::default()
        },
    );
    // Keeps up, so that the feed broadcasts each append as a batch of its own.
    let mut prompt = feed.follow(0);
    // Takes the first event live, then nothing until the end: the
    // broadcast drops what it cannot keep.
    let mut slow = feed.follow(0);
    let first = tokio::spawn(async move {
        let position = next_position(&mut slow).await;
        (slow, position)
    });
    // The slow follower has found the store empty and waits on the broadcast.
    tokio::time::sleep(Duration::from_millis(300)).await;
    for version in 0..20u64 {
        let expected = if version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(version)
        };
        store.append("order-1", expected, &events(1)).await.unwrap();
        assert_eq!(next_position(&mut prompt).await, version + 1);
    }
    let (mut slow, first) = first.await.unwrap();
    let mut positions = vec![first];
    for _ in 1..20 {
        positions.push(next_position(&mut slow).await);
    }
    assert_eq!(positions, (1..=20).collect::<Vec<_>>());
    assert!(
        slow.catch_ups() >= 1,
        "the slow follower was expected to fall behind the broadcast"
    );

    // And it follows live again afterwards.
    store
        .append("order-1", ExpectedVersion::Exact(20), &events(1))
        .await
        .unwrap();
    assert_eq!(next_position(&mut slow).await, 21);
}
