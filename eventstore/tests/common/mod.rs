//! Helpers shared by the event store's tests.
#![allow(dead_code)]

use dropledger_eventstore::{Metadata, NewEvent};
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
