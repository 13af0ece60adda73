//! Helpers shared by the event store's tests.
#![allow(dead_code)]

use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{EventStore, Metadata, NewEvent};
use serde_json::json;

/// A small event of type `event_type` whose payload carries `n`.
pub fn event(event_type: &str, n: u64) -> NewEvent {
    NewEvent::new(
        event_type,
        json!({ "n": n, "amount": { "amount": "12.34", "currency": "USD" } }),
        Metadata::new("system:test"),
    )
}

/// `count` events numbered from 1.
pub fn events(count: u64) -> Vec<NewEvent> {
    (1..=count).map(|n| event("Counted", n)).collect()
}

/// A store on a pool of its own, standing for another process: its appends
/// do not reach the subscriber's in-process signal, only the notification.
pub async fn another_process(db: &TestDatabase) -> EventStore {
    EventStore::new(
        sqlx::PgPool::connect_with(db.connect_options())
            .await
            .unwrap(),
    )
}
