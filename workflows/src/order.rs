//! An order read from its stream: its state and its events, as of any
//! version.

use dropledger_domain::{decode_event, Aggregate, Order, OrderEvent, OrderId};
use dropledger_eventstore::{EventStore, RecordedEvent, READ_EVENTS_MAX};

use crate::error::StoreFault;

/// An order and the events it was folded from, oldest first.
#[derive(Debug, Clone)]
pub struct OrderRecord {
    /// The state after `history`.
    pub state: Order,
    /// The order's events.
    pub history: Vec<RecordedEvent>,
}

/// The order as it is now.
pub async fn load_order(store: &EventStore, order_id: OrderId) -> Result<OrderRecord, StoreFault> {
    load_order_as_of(store, order_id, u64::MAX).await
}

/// The order as it was once its stream reached `version`: what a
/// subscriber is shown for the event at that version, however far the
/// order has moved on since.
pub async fn load_order_as_of(
    store: &EventStore,
    order_id: OrderId,
    version: u64,
) -> Result<OrderRecord, StoreFault> {
    let mut history = store
        .read_stream(&Order::stream_id(order_id), 1, READ_EVENTS_MAX)
        .await?;
    history.retain(|event| event.stream_version <= version);
    let mut state = Order::default();
    for event in &history {
        let decoded: OrderEvent = decode_event(
            &event.event_type,
            event.schema_version,
            event.payload_value(),
        )?;
        state = state.evolve(&decoded);
    }
    Ok(OrderRecord { state, history })
}
