//! Appending: optimistic concurrency, idempotent ids, atomic multi-stream appends.

mod common;

use common::{event, events};
use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{AppendError, ExpectedVersion, StreamAppend};
use serde_json::json;

#[tokio::test]
async fn a_new_stream_numbers_its_events_from_one() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let result = store
        .append("order-1", ExpectedVersion::NoStream, &events(3))
        .await
        .unwrap();
    assert_eq!((result.first_version, result.last_version), (1, 3));
    assert!(!result.already_stored);
    let stored = store.read_stream("order-1", 1, 100).await.unwrap();
    let versions: Vec<u64> = stored.iter().map(|e| e.stream_version).collect();
    assert_eq!(versions, vec![1, 2, 3]);
    assert_eq!(stored[1].payload_value()["n"], json!(2));
    let from_two: Vec<u64> = store
        .read_stream("order-1", 2, 100)
        .await
        .unwrap()
        .iter()
        .map(|e| e.stream_version)
        .collect();
    assert_eq!(from_two, vec![2, 3]);
    assert_eq!(store.read_stream("order-1", 1, 2).await.unwrap().len(), 2);
}

#[tokio::test]
async fn an_append_at_the_expected_version_continues_the_stream() {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("order-1", ExpectedVersion::NoStream, &events(2))
        .await
        .unwrap();
    let result = store
        .append("order-1", ExpectedVersion::Exact(2), &[event("Paid", 3)])
        .await
        .unwrap();
    assert_eq!((result.first_version, result.last_version), (3, 3));
}

#[tokio::test]
async fn a_stale_expected_version_is_a_typed_conflict_naming_both_versions() {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("order-1", ExpectedVersion::NoStream, &events(2))
        .await
        .unwrap();
    let refused = store
        .append("order-1", ExpectedVersion::Exact(1), &[event("Paid", 3)])
        .await
        .unwrap_err();
    match refused {
        AppendError::VersionConflict {
            stream,
            expected,
            actual,
        } => {
            assert_eq!(stream, "order-1");
            assert_eq!(expected, ExpectedVersion::Exact(1));
            assert_eq!(actual, Some(2));
        }
        other => panic!("expected a version conflict, got {other:?}"),
    }
}

#[tokio::test]
async fn no_stream_is_refused_when_the_stream_exists() {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("order-1", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();
    let refused = store
        .append("order-1", ExpectedVersion::NoStream, &events(1))
        .await;
    assert!(matches!(
        refused,
        Err(AppendError::VersionConflict {
            actual: Some(1),
            ..
        })
    ));
}

#[tokio::test]
async fn an_exact_version_is_refused_when_the_stream_does_not_exist() {
    let db = TestDatabase::new().await;
    let refused = db
        .store()
        .append("order-1", ExpectedVersion::Exact(4), &events(1))
        .await;
    assert!(matches!(
        refused,
        Err(AppendError::VersionConflict { actual: None, .. })
    ));
}

#[tokio::test]
async fn any_version_appends_after_whatever_is_there() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let first = store
        .append("capital-USD", ExpectedVersion::Any, &events(2))
        .await
        .unwrap();
    let second = store
        .append("capital-USD", ExpectedVersion::Any, &events(1))
        .await
        .unwrap();
    assert_eq!((first.first_version, first.last_version), (1, 2));
    assert_eq!((second.first_version, second.last_version), (3, 3));
}

#[tokio::test]
async fn a_refused_append_writes_nothing_and_draws_no_identity_value() {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("order-1", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();
    let drawn_before: i64 = sqlx::query_scalar("SELECT last_value FROM event_append_id_seq")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let refused = store
        .append("order-1", ExpectedVersion::Exact(7), &events(5))
        .await;
    assert!(refused.is_err());
    let drawn_after: i64 = sqlx::query_scalar("SELECT last_value FROM event_append_id_seq")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM event")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(drawn_before, drawn_after);
    assert_eq!(stored, 1);
}

#[tokio::test]
async fn appending_stored_event_ids_again_returns_the_original_result() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let batch = events(2);
    let original = store
        .append("order-1", ExpectedVersion::NoStream, &batch)
        .await
        .unwrap();
    store
        .append("order-1", ExpectedVersion::Exact(2), &[event("Paid", 3)])
        .await
        .unwrap();
    // The retry carries the expected version of the first attempt.
    let retried = store
        .append("order-1", ExpectedVersion::NoStream, &batch)
        .await
        .unwrap();
    assert_eq!(retried.first_version, original.first_version);
    assert_eq!(retried.last_version, original.last_version);
    assert!(retried.already_stored);
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM event")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 3);
}

#[tokio::test]
async fn a_stored_event_id_with_different_content_is_refused() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let original = event("Paid", 1);
    store
        .append(
            "order-1",
            ExpectedVersion::Any,
            std::slice::from_ref(&original),
        )
        .await
        .unwrap();
    let mut altered = original.clone();
    altered.payload = json!({ "n": 2 });
    let refused = store
        .append("order-1", ExpectedVersion::Any, &[altered])
        .await;
    assert!(matches!(
        refused,
        Err(AppendError::EventIdConflict { event_id }) if event_id == original.event_id
    ));
    let mut elsewhere = original.clone();
    elsewhere.event_type = "Refunded".into();
    let refused = store
        .append("order-2", ExpectedVersion::NoStream, &[elsewhere])
        .await;
    assert!(matches!(refused, Err(AppendError::EventIdConflict { .. })));
}

#[tokio::test]
async fn a_batch_of_which_only_some_ids_are_stored_is_refused() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let stored = event("Paid", 1);
    store
        .append(
            "order-1",
            ExpectedVersion::NoStream,
            std::slice::from_ref(&stored),
        )
        .await
        .unwrap();
    let mixed = vec![stored.clone(), event("Shipped", 2)];
    let refused = store
        .append("order-1", ExpectedVersion::NoStream, &mixed)
        .await;
    assert!(matches!(
        refused,
        Err(AppendError::EventIdConflict { event_id }) if event_id == stored.event_id
    ));
}

#[tokio::test]
async fn racing_appends_of_the_same_events_store_them_once() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let batch = events(3);
    for expected in [ExpectedVersion::NoStream, ExpectedVersion::Any] {
        let stream = format!("order-{expected:?}");
        let racers = (0..8).map(|_| {
            let store = store.clone();
            let batch = batch
                .iter()
                .cloned()
                .map(|mut e| {
                    // Same ids per stream, distinct across the two rounds.
                    e.event_id = uuid::Uuid::new_v5(&e.event_id, stream.as_bytes());
                    e
                })
                .collect::<Vec<_>>();
            let stream = stream.clone();
            tokio::spawn(async move { store.append(&stream, expected, &batch).await })
        });
        let results = futures::future::join_all(racers).await;
        let mut written = 0;
        for result in results {
            let result = result.unwrap().expect("every racer gets the stored result");
            assert_eq!((result.first_version, result.last_version), (1, 3));
            if !result.already_stored {
                written += 1;
            }
        }
        assert_eq!(written, 1, "exactly one racer writes");
        let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM event WHERE stream_id = $1")
            .bind(&stream)
            .fetch_one(db.pool())
            .await
            .unwrap();
        assert_eq!(stored, 3);
    }
}

#[tokio::test]
async fn concurrent_writers_at_the_same_version_let_exactly_one_win() {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("capital-USD", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();
    let writers = (0..8).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .append(
                    "capital-USD",
                    ExpectedVersion::Exact(1),
                    &[event("Held", n)],
                )
                .await
        })
    });
    let results = futures::future::join_all(writers).await;
    let wins = results
        .iter()
        .filter(|r| r.as_ref().unwrap().is_ok())
        .count();
    let conflicts = results
        .iter()
        .filter(|r| {
            matches!(
                r.as_ref().unwrap(),
                Err(AppendError::VersionConflict {
                    actual: Some(2),
                    ..
                })
            )
        })
        .count();
    assert_eq!((wins, conflicts), (1, 7));
}

#[tokio::test]
async fn an_atomic_append_across_streams_stores_all_or_nothing() {
    let db = TestDatabase::new().await;
    let store = db.store();
    store
        .append("capital-USD", ExpectedVersion::NoStream, &events(1))
        .await
        .unwrap();
    let both = |capital_version| {
        vec![
            StreamAppend::new(
                "order-1",
                ExpectedVersion::NoStream,
                vec![event("PurchaseDecided", 1)],
            ),
            StreamAppend::new(
                "capital-USD",
                ExpectedVersion::Exact(capital_version),
                vec![event("HoldPlaced", 2)],
            ),
        ]
    };
    let refused = store.append_all(&both(5)).await;
    assert!(
        matches!(&refused, Err(AppendError::VersionConflict { stream, actual: Some(1), .. }) if stream == "capital-USD"),
        "the conflict names the stream that refused: {refused:?}"
    );
    assert!(store
        .read_stream("order-1", 1, 10)
        .await
        .unwrap()
        .is_empty());

    let appended = store.append_all(&both(1)).await.unwrap();
    assert_eq!(appended.len(), 2);
    assert_eq!(store.read_stream("order-1", 1, 10).await.unwrap().len(), 1);
    assert_eq!(
        store.read_stream("capital-USD", 1, 10).await.unwrap().len(),
        2
    );
}

#[tokio::test]
async fn malformed_appends_are_refused_before_touching_the_database() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let mut unnamed = event("X", 1);
    unnamed.event_type.clear();
    let mut unversioned = event("X", 1);
    unversioned.schema_version = 0;
    let repeated = event("X", 1);
    for (stream, batch) in [
        ("order-1", vec![]),
        ("", events(1)),
        ("order-1", vec![unnamed]),
        ("order-1", vec![unversioned]),
        ("order-1", vec![repeated.clone(), repeated]),
    ] {
        let refused = store.append(stream, ExpectedVersion::Any, &batch).await;
        assert!(
            matches!(refused, Err(AppendError::Invalid(_))),
            "{stream:?} with {} events: {refused:?}",
            batch.len()
        );
    }
}

#[tokio::test]
async fn a_retried_atomic_append_returns_the_original_results_and_writes_nothing() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let appends = vec![
        StreamAppend::new(
            "order-1",
            ExpectedVersion::NoStream,
            vec![event("PurchaseStarted", 1)],
        ),
        StreamAppend::new(
            "capital-USD",
            ExpectedVersion::NoStream,
            vec![event("HoldPlaced", 2)],
        ),
    ];
    let original = store.append_all(&appends).await.unwrap();
    let retried = store.append_all(&appends).await.unwrap();
    assert!(original.iter().all(|result| !result.already_stored));
    assert!(retried.iter().all(|result| result.already_stored));
    let versions = |results: &[dropledger_eventstore::AppendResult]| {
        results
            .iter()
            .map(|r| (r.stream_id.clone(), r.first_version, r.last_version))
            .collect::<Vec<_>>()
    };
    assert_eq!(versions(&retried), versions(&original));
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM event")
        .fetch_one(db.pool())
        .await
        .unwrap();
    assert_eq!(stored, 2);
}

#[tokio::test]
async fn an_atomic_append_mixing_stored_and_new_events_is_refused_whole() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let stored = StreamAppend::new(
        "order-1",
        ExpectedVersion::NoStream,
        vec![event("PurchaseStarted", 1)],
    );
    store
        .append_all(std::slice::from_ref(&stored))
        .await
        .unwrap();
    let mixed = vec![
        stored.clone(),
        StreamAppend::new(
            "capital-USD",
            ExpectedVersion::NoStream,
            vec![event("HoldPlaced", 2)],
        ),
    ];
    let refused = store.append_all(&mixed).await;
    assert!(matches!(refused, Err(AppendError::EventIdConflict { .. })));
    assert!(store
        .read_stream("capital-USD", 1, 10)
        .await
        .unwrap()
        .is_empty());
}
