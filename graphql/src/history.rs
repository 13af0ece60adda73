//! An order's history as its buyer sees it. The order stream records the
//! seller's business too — what the supplier charges, PayPal's fee, the
//! working capital held, the sale — and none of that is the buyer's. The
//! buyer's view keeps the events that tell them about their order, each
//! with the payload fields they may see, and leaves out the rest: fields
//! and events are allowed by name, so a field or event added later stays
//! hidden until someone decides the buyer may see it.

use async_graphql::Json;
use dropledger_domain::{PersonalText, UserId};

use crate::context::Services;
use crate::errors::internal;
use crate::events::Event;

/// The events a buyer sees, each with the payload fields they may see.
/// Left out: `OrderPurchaseStarted` (capital held at supplier cost),
/// `OrderFlaggedForReview` (the profit guard, i.e. the margin),
/// `OrderRetryRequested` (the seller's operations), `OrderSaleRecorded`
/// (the sale with commission and profit), and anything unknown.
const BUYER_VISIBLE: &[(&str, &[&str])] = &[
    // Not `unit_supplier_cost` nor PayPal's `provider_order_id`.
    (
        "OrderCreated",
        &[
            "order_id",
            "product_id",
            "seller",
            "quantity",
            "unit_price",
            "created_at",
        ],
    ),
    // Not PayPal's `fee` (the seller pays it) nor the ledger's `entry_id`.
    (
        "OrderPaid",
        &["buyer", "capture_id", "amount", "capture_status", "paid_at"],
    ),
    // Not `supplier_cost` nor the supplier's order id.
    ("OrderPurchased", &["purchased_at"]),
    // Not the capital hold released.
    ("OrderFailed", &["reason", "failed_at"]),
    ("OrderRefunded", &["refund_id", "amount", "refunded_at"]),
    (
        "OrderShipped",
        &["tracking_number", "carrier", "recorded_at"],
    ),
];

/// `events` with the sealed tracking number of `OrderShipped` opened for
/// those who may read the order (its parties, ADMIN, ACCOUNTANT): the
/// plaintext, or null once the buyer erased their personal data.
pub(crate) async fn open_tracking(
    services: &Services,
    mut events: Vec<Event>,
    buyer: Option<UserId>,
) -> async_graphql::Result<Vec<Event>> {
    for event in events
        .iter_mut()
        .filter(|event| event.event_type == "OrderShipped")
    {
        let Some(slot) = event.payload.0.get_mut("tracking_number") else {
            continue;
        };
        let Ok(sealed) = serde_json::from_value::<PersonalText>(slot.clone()) else {
            continue;
        };
        let opened = services
            .personal
            .open(&sealed, buyer.map(|buyer| buyer.as_uuid()))
            .await
            .map_err(|error| internal(&error))?;
        *slot = opened
            .into_plain()
            .map_or(serde_json::Value::Null, serde_json::Value::from);
    }
    Ok(events)
}

/// `events` as the buyer of their order may see them.
pub(crate) fn buyer_view(events: Vec<Event>) -> Vec<Event> {
    events
        .into_iter()
        .filter_map(|mut event| {
            let (_, fields) = BUYER_VISIBLE
                .iter()
                .find(|(event_type, _)| *event_type == event.event_type)?;
            let payload = match event.payload.0 {
                serde_json::Value::Object(payload) => payload
                    .into_iter()
                    .filter(|(name, _)| name == "type" || fields.contains(&name.as_str()))
                    .collect(),
                _ => serde_json::Map::new(),
            };
            event.payload = Json(serde_json::Value::Object(payload));
            Some(event)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use async_graphql::ID;
    use serde_json::json;

    use super::*;

    fn event(event_type: &str, payload: serde_json::Value) -> Event {
        Event {
            position: None,
            event_id: ID("e".to_owned()),
            stream_id: "order-1".to_owned(),
            stream_version: 1,
            event_type: event_type.to_owned(),
            schema_version: 1,
            payload: Json(payload),
            correlation_id: ID("c".to_owned()),
            causation_id: None,
            actor: "system:fulfilment".to_owned(),
            command_id: None,
            recorded_at: "2026-01-01T00:00:00Z".to_owned(),
        }
    }

    #[test]
    fn the_buyer_sees_no_supplier_cost_fee_hold_or_sale_and_no_unknown_event() {
        let cost = json!({"amount": "12.00", "currency": "USD"});
        let events = vec![
            event(
                "OrderCreated",
                json!({"type": "OrderCreated", "unit_price": {"amount": "29.99"}, "unit_supplier_cost": cost}),
            ),
            event(
                "OrderPaid",
                json!({"type": "OrderPaid", "amount": {"amount": "29.99"}, "fee": {"amount": "1.54"}, "entry_id": "x"}),
            ),
            event(
                "OrderPurchaseStarted",
                json!({"type": "OrderPurchaseStarted", "reserved": cost}),
            ),
            event(
                "OrderPurchased",
                json!({"type": "OrderPurchased", "supplier_cost": cost, "supplier_order_id": "s1"}),
            ),
            event(
                "OrderFlaggedForReview",
                json!({"type": "OrderFlaggedForReview"}),
            ),
            event(
                "OrderSaleRecorded",
                json!({"type": "OrderSaleRecorded", "sale_id": "s"}),
            ),
            event("OrderSomethingNew", json!({"type": "OrderSomethingNew"})),
        ];
        let shown = buyer_view(events);
        let types: Vec<&str> = shown.iter().map(|e| e.event_type.as_str()).collect();
        assert_eq!(types, ["OrderCreated", "OrderPaid", "OrderPurchased"]);
        let text =
            serde_json::to_string(&shown.iter().map(|e| &e.payload.0).collect::<Vec<_>>()).unwrap();
        for hidden in [
            "unit_supplier_cost",
            "supplier_cost",
            "fee",
            "entry_id",
            "12.00",
            "s1",
        ] {
            assert!(!text.contains(hidden), "{hidden} shown: {text}");
        }
        assert!(text.contains("29.99"), "{text}");
    }
}
