//! Property: whatever sequence of appends and retries, the store agrees with
//! a model of streams and versions, and its log holds every accepted event
//! exactly once, gapless, in each stream's order.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::event;
use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{AppendError, AppendResult, ExpectedVersion, NewEvent};
use proptest::prelude::*;

#[derive(Debug, Clone)]
enum Expectation {
    Current,
    Stale,
    Any,
    NoStream,
}

#[derive(Debug, Clone)]
enum Operation {
    Append {
        stream: u8,
        expectation: Expectation,
        events: u8,
    },
    /// Appends an earlier accepted batch again, as a client retrying would.
    Retry { accepted: usize },
}

fn operation() -> impl Strategy<Value = Operation> {
    let expectation = prop_oneof![
        3 => Just(Expectation::Current),
        1 => Just(Expectation::Stale),
        2 => Just(Expectation::Any),
        1 => Just(Expectation::NoStream),
    ];
    prop_oneof![
        4 => (0..3_u8, expectation, 1..4_u8).prop_map(|(stream, expectation, events)| {
            Operation::Append { stream, expectation, events }
        }),
        1 => any::<usize>().prop_map(|accepted| Operation::Retry { accepted }),
    ]
}

struct Accepted {
    stream: String,
    expected: ExpectedVersion,
    events: Vec<NewEvent>,
    result: AppendResult,
}

async fn check(operations: Vec<Operation>) -> Result<(), TestCaseError> {
    let db = TestDatabase::new().await;
    let store = db.store();
    let mut versions: HashMap<String, u64> = HashMap::new();
    let mut accepted: Vec<Accepted> = Vec::new();

    for (n, operation) in operations.into_iter().enumerate() {
        match operation {
            Operation::Append {
                stream,
                expectation,
                events,
            } => {
                let stream = format!("order-{stream}");
                let version = versions.get(&stream).copied().unwrap_or(0);
                let expected = match expectation {
                    Expectation::Current if version == 0 => ExpectedVersion::NoStream,
                    Expectation::Current => ExpectedVersion::Exact(version),
                    Expectation::Stale => ExpectedVersion::Exact(version + 1),
                    Expectation::Any => ExpectedVersion::Any,
                    Expectation::NoStream => ExpectedVersion::NoStream,
                };
                let batch: Vec<NewEvent> = (0..events)
                    .map(|i| event("Step", (n * 10 + i as usize) as u64))
                    .collect();
                let should_accept = match expectation {
                    Expectation::Current | Expectation::Any => true,
                    Expectation::Stale => false,
                    Expectation::NoStream => version == 0,
                };
                match store.append(&stream, expected, &batch).await {
                    Ok(result) => {
                        prop_assert!(should_accept, "accepted {expected:?} at version {version}");
                        prop_assert_eq!(result.first_version, version + 1);
                        prop_assert_eq!(result.last_version, version + events as u64);
                        prop_assert!(!result.already_stored);
                        versions.insert(stream.clone(), result.last_version);
                        accepted.push(Accepted {
                            stream,
                            expected,
                            events: batch,
                            result,
                        });
                    }
                    Err(AppendError::VersionConflict { actual, .. }) => {
                        prop_assert!(!should_accept, "refused {expected:?} at version {version}");
                        prop_assert_eq!(actual, (version > 0).then_some(version));
                    }
                    Err(other) => return Err(TestCaseError::fail(format!("{other}"))),
                }
            }
            Operation::Retry { accepted: pick } => {
                if accepted.is_empty() {
                    continue;
                }
                let original = &accepted[pick % accepted.len()];
                let retried = store
                    .append(&original.stream, original.expected, &original.events)
                    .await
                    .map_err(|error| TestCaseError::fail(format!("retry refused: {error}")))?;
                prop_assert!(retried.already_stored);
                prop_assert_eq!(retried.first_version, original.result.first_version);
                prop_assert_eq!(retried.last_version, original.result.last_version);
            }
        }
    }

    store
        .wait_for_log(Duration::from_secs(30))
        .await
        .map_err(|error| TestCaseError::fail(error.to_string()))?;
    let log = store
        .read_all(0, 10_000)
        .await
        .map_err(|error| TestCaseError::fail(error.to_string()))?;
    let expected_ids: Vec<_> = accepted
        .iter()
        .flat_map(|a| a.events.iter().map(|e| e.event_id))
        .collect();
    prop_assert_eq!(log.len(), expected_ids.len());
    let positions: Vec<u64> = log.iter().map(|e| e.position).collect();
    prop_assert_eq!(
        positions,
        (1..=expected_ids.len() as u64).collect::<Vec<_>>()
    );
    // Appends here are sequential, so commit order is append order.
    let logged_ids: Vec<_> = log.iter().map(|e| e.event.event_id).collect();
    prop_assert_eq!(logged_ids, expected_ids);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn the_store_agrees_with_a_model_of_stream_versions(operations in prop::collection::vec(operation(), 1..40)) {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(check(operations))?;
    }
}
