//! The global log: commit order, no skipped late commits, gapless positions.

mod common;

use std::collections::{HashMap, HashSet};
use std::time::Duration;

use common::{event, events};
use dropledger_devdb::TestDatabase;
use dropledger_eventstore::ExpectedVersion;

#[tokio::test]
async fn a_reader_never_skips_an_event_that_commits_late_with_an_older_transaction() {
    let db = TestDatabase::new().await;
    let store = db.store();

    // An earlier transaction appends and stays open...
    let mut early = store.begin().await.unwrap();
    early
        .append(
            "order-early",
            ExpectedVersion::NoStream,
            &[event("Early", 1)],
        )
        .await
        .unwrap();
    let early_xid: i64 = sqlx::query_scalar(
        "SELECT backend_xid::text::int8 FROM pg_stat_activity \
         WHERE datname = current_database() AND state = 'idle in transaction' \
           AND backend_xid IS NOT NULL",
    )
    .fetch_one(db.pool())
    .await
    .unwrap();

    // ...while a later one commits.
    store
        .append("order-late", ExpectedVersion::NoStream, &[event("Late", 2)])
        .await
        .unwrap();

    // The reader does not hand out the later event ahead of the earlier one,
    // and says which transaction it waits for.
    let seen = store.read_all(0, 100).await.unwrap();
    assert!(
        seen.is_empty(),
        "delivered past an open transaction: {seen:?}"
    );
    // Other tests' short transactions on the same server may be older for a
    // moment; once they end, the log names ours, and never moves past it.
    let mut waiting_for = None;
    for _ in 0..1_000 {
        let status = store.log_status().await.unwrap();
        assert_eq!(status.head, 0, "delivered past an open transaction");
        waiting_for = status.waiting_for;
        if waiting_for.as_ref().map(|w| w.transaction_id % (1 << 32)) == Some(early_xid as u64) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let waiting_for = waiting_for.expect("the log says what it waits for");
    assert!(waiting_for.pid.is_some(), "{waiting_for}");
    if waiting_for.database.as_deref() == Some(db.name()) {
        assert_eq!(waiting_for.transaction_id % (1 << 32), early_xid as u64);
        assert!(waiting_for.to_string().contains("idle in transaction"));
    } else {
        // The horizon is server-wide: a still older transaction of another
        // database outlived the wait; it is named, and it is older than ours.
        assert!(
            waiting_for.transaction_id % (1 << 32) < early_xid as u64,
            "{waiting_for}"
        );
    }

    early.commit().await.unwrap();
    store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    let seen = store.read_all(0, 100).await.unwrap();
    let order: Vec<(u64, &str)> = seen
        .iter()
        .map(|e| (e.position, e.event.event_type.as_str()))
        .collect();
    assert_eq!(order, vec![(1, "Early"), (2, "Late")]);
}

#[tokio::test]
async fn rolled_back_appends_leave_no_gap_in_the_positions() {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("order-1", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();
    let mut abandoned = store.begin().await.unwrap();
    abandoned
        .append("order-2", ExpectedVersion::NoStream, &events(3))
        .await
        .unwrap();
    abandoned.rollback().await.unwrap();
    store
        .append("order-3", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();
    store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    let positions: Vec<u64> = store
        .read_all(0, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.position)
        .collect();
    assert_eq!(positions, vec![1, 2]);
}

#[tokio::test]
async fn readers_that_reach_the_head_together_share_a_sequencing_pass() {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("order-1", ExpectedVersion::NoStream, &events(2))
        .await
        .unwrap();
    let sequenced = store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    assert_eq!(sequenced.head, 2);

    // Thirty-two readers ask at once (this runtime polls them in turn, so
    // every one has asked before the first pass ends). The first runs a
    // pass; those that asked while it ran take the outcome of the next one,
    // which began after they asked: two passes, not thirty-two.
    let before = store.sequencing_passes();
    let readers = (0..32).map(|_| store.log_status());
    let statuses = futures::future::join_all(readers).await;
    let passes = store.sequencing_passes() - before;
    assert!(passes <= 2, "{passes} passes for 32 readers at once");
    for status in statuses {
        assert_eq!(
            status.unwrap().head,
            2,
            "a reader saw less than was sequenced"
        );
    }
}

#[tokio::test]
async fn the_log_is_read_forward_in_batches_from_any_position() {
    let db = TestDatabase::new().await;
    let store = db.store();
    for stream in 0..5 {
        store
            .append(
                &format!("order-{stream}"),
                ExpectedVersion::NoStream,
                &events(4),
            )
            .await
            .unwrap();
    }
    store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    let mut position = 0;
    let mut batches = 0;
    let mut seen = Vec::new();
    loop {
        let batch = store.read_all(position, 6).await.unwrap();
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 6);
        position = batch.last().unwrap().position;
        seen.extend(batch);
        batches += 1;
    }
    assert_eq!(batches, 4);
    let positions: Vec<u64> = seen.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=20).collect::<Vec<_>>());
    let from_middle = store.read_all(17, 100).await.unwrap();
    assert_eq!(from_middle.first().map(|e| e.position), Some(18));
}

#[tokio::test]
async fn concurrent_writers_produce_a_log_with_every_event_exactly_once_in_stream_order() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let writers = (0..8).map(|writer| {
        let store = store.clone();
        tokio::spawn(async move {
            for round in 0..25_u64 {
                let stream = format!("order-{}", round % 5);
                store
                    .append(
                        &stream,
                        ExpectedVersion::Any,
                        &[event("Step", writer * 1000 + round)],
                    )
                    .await
                    .unwrap();
            }
        })
    });
    futures::future::join_all(writers).await;
    store.wait_for_log(Duration::from_secs(30)).await.unwrap();

    let log = store.read_all(0, 10_000).await.unwrap();
    assert_eq!(log.len(), 200);
    let positions: Vec<u64> = log.iter().map(|e| e.position).collect();
    assert_eq!(positions, (1..=200).collect::<Vec<_>>());
    let ids: HashSet<_> = log.iter().map(|e| e.event.event_id).collect();
    assert_eq!(ids.len(), 200);
    // Within a stream, the log follows the stream's versions.
    let mut last_version: HashMap<&str, u64> = HashMap::new();
    for logged in &log {
        let last = last_version.entry(&logged.event.stream_id).or_default();
        assert_eq!(logged.event.stream_version, *last + 1);
        *last = logged.event.stream_version;
    }
}

#[tokio::test]
async fn a_transaction_with_an_older_id_that_writes_a_stream_second_is_logged_second() {
    let db = TestDatabase::new().await;
    let store = db.store();
    // The older transaction takes its id by writing elsewhere first...
    let mut older = store.begin().await.unwrap();
    older
        .append(
            "order-elsewhere",
            ExpectedVersion::NoStream,
            &[event("Elsewhere", 1)],
        )
        .await
        .unwrap();
    // ...then a younger one writes version 1 of a stream and commits...
    store
        .append(
            "capital-USD",
            ExpectedVersion::NoStream,
            &[event("First", 2)],
        )
        .await
        .unwrap();
    // ...and only then the older one writes version 2.
    older
        .append(
            "capital-USD",
            ExpectedVersion::Exact(1),
            &[event("Second", 3)],
        )
        .await
        .unwrap();
    older.commit().await.unwrap();

    store.wait_for_log(Duration::from_secs(30)).await.unwrap();
    let log = store.read_all(0, 100).await.unwrap();
    let order: Vec<(&str, u64)> = log
        .iter()
        .map(|e| (e.event.event_type.as_str(), e.event.stream_version))
        .collect();
    assert_eq!(order, vec![("Elsewhere", 1), ("First", 1), ("Second", 2)]);
}
