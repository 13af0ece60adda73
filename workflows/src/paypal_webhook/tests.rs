//! The PayPal webhook sink against a real database: pending captures
//! settled, denied and refunded as PayPal reports them.

use super::*;
use crate::command::decide_with_capital;
use dropledger_devdb::TestDatabase;
use dropledger_domain::{
    capture_payment, Aggregate, CapitalError, CapturePayment, CaptureStatus, CheckoutTerms,
    EntryId, FailureReason, Money, Order, OrderCommand, OrderError, OrderId, OrderStatus,
    ProductId, ProviderOrderId, UserId, WorkingCapital,
};
use dropledger_eventstore::{CommandError, Metadata};
use serde_json::json;
use uuid::Uuid;

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

fn metadata() -> Metadata {
    Metadata {
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        actor: "test".to_owned(),
        command_id: Some(Uuid::new_v4()),
    }
}

/// An order of 50.00 whose capture (fee 2.00) PayPal left PENDING.
async fn pending_capture(store: &EventStore, capture: &str) -> OrderId {
    let order_id = OrderId::from_uuid(Uuid::new_v4());
    let stream = Order::stream_id(order_id);
    let created = Order::default()
        .decide(OrderCommand::CreateOrder {
            order_id,
            terms: CheckoutTerms {
                product_id: ProductId::from_uuid(Uuid::new_v4()),
                seller: UserId::from_uuid(Uuid::new_v4()),
                unit_price: usd("50.00"),
                unit_supplier_cost: usd("20.00"),
            },
            quantity: 1,
            provider_order_id: ProviderOrderId::parse("5O190127TN364715T").unwrap(),
            created_at: Utc::now(),
        })
        .unwrap();
    let metadata = metadata();
    store
        .execute(|| async {
            let order = store.load(&stream, Order::default()).await?;
            Ok::<_, CommandError<OrderError>>((vec![order.append(&created, &metadata)], ()))
        })
        .await
        .unwrap();
    let command = CapturePayment {
        buyer: UserId::from_uuid(Uuid::new_v4()),
        capture_id: CaptureId::parse(capture).unwrap(),
        amount: usd("50.00"),
        fee: usd("2.00"),
        status: CaptureStatus::Pending,
        entry_id: EntryId::from_uuid(Uuid::new_v4()),
        captured_at: Utc::now(),
    };
    decide_with_capital(store, &stream, &metadata, |order: &Order, capital| {
        capture_payment(order, capital, command.clone())
    })
    .await
    .unwrap();
    order_id
}

async fn order(store: &EventStore, order_id: OrderId) -> Order {
    store
        .load::<_, OrderError>(&Order::stream_id(order_id), Order::default())
        .await
        .unwrap()
        .state
}

/// The working capital and its stream's version.
async fn capital(store: &EventStore) -> (WorkingCapital, u64) {
    let loaded = store
        .load::<_, CapitalError>(
            &WorkingCapital::stream_id(Currency::Usd),
            WorkingCapital::new(Currency::Usd),
        )
        .await
        .unwrap();
    (loaded.state, loaded.version)
}

fn delivery(id: &str, event_type: &str, capture: &str) -> PayPalWebhookEvent {
    PayPalWebhookEvent {
        id: id.to_owned(),
        event_type: event_type.to_owned(),
        resource_type: Some("capture".to_owned()),
        resource: json!({
            "id": capture,
            "status": "COMPLETED",
            "amount": { "currency_code": "USD", "value": "50.00" },
            "update_time": "2026-11-25T12:00:00Z",
        }),
        create_time: None,
    }
}

#[tokio::test]
async fn a_completed_capture_moves_its_net_from_pending_to_available_cash_once() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let order_id = pending_capture(&store, "CAP-7").await;
    assert_eq!(
        order(&store, order_id).await.status(),
        Some(OrderStatus::AwaitingPaymentClearance)
    );
    let sink = CaptureSettlement {
        store: store.clone(),
    };

    sink.accept(delivery("WH-1", CAPTURE_COMPLETED, "CAP-7"))
        .await
        .unwrap();
    let settled = capital(&store).await;
    assert_eq!(settled.0.available(), usd("48.00"));
    assert_eq!(settled.0.pending(), usd("0.00"));
    assert_eq!(
        order(&store, order_id).await.status(),
        Some(OrderStatus::Paid)
    );

    // PayPal may send the same news again under another event id.
    sink.accept(delivery("WH-2", CAPTURE_COMPLETED, "CAP-7"))
        .await
        .unwrap();
    assert_eq!(capital(&store).await, settled);
}

#[tokio::test]
async fn a_denied_capture_fails_its_order_and_reverses_the_pending_cash_once() {
    let db = TestDatabase::new().await;
    let store = db.store();
    let order_id = pending_capture(&store, "CAP-9").await;
    let free_before = capital(&store).await.0.free();
    let sink = CaptureSettlement {
        store: store.clone(),
    };

    let mut denied = delivery("WH-6", CAPTURE_DENIED, "CAP-9");
    denied.resource["status"] = json!("DECLINED");
    sink.accept(denied.clone()).await.unwrap();
    let settled = capital(&store).await;
    assert_eq!(settled.0.pending(), usd("0.00"));
    assert_eq!(settled.0.available(), usd("0.00"));
    assert_eq!(settled.0.free(), free_before);
    let failed = order(&store, order_id).await;
    assert_eq!(failed.status(), Some(OrderStatus::Failed));
    assert_eq!(failed.failure_reason(), Some(FailureReason::PaymentDenied));

    // A redelivery, or a late COMPLETED for the same capture, changes nothing.
    denied.id = "WH-7".to_owned();
    sink.accept(denied).await.unwrap();
    sink.accept(delivery("WH-8", CAPTURE_COMPLETED, "CAP-9"))
        .await
        .unwrap();
    assert_eq!(capital(&store).await, settled);
    assert_eq!(order(&store, order_id).await, failed);
}

#[tokio::test]
async fn other_events_and_unknown_captures_record_nothing_and_a_malformed_one_is_refused() {
    let db = TestDatabase::new().await;
    let store = db.store();
    pending_capture(&store, "CAP-8").await;
    let before = capital(&store).await;
    let sink = CaptureSettlement {
        store: store.clone(),
    };

    sink.accept(delivery("WH-3", "CHECKOUT.ORDER.APPROVED", "CAP-8"))
        .await
        .unwrap();
    sink.accept(delivery("WH-4", CAPTURE_COMPLETED, "CAP-UNKNOWN"))
        .await
        .unwrap();
    assert_eq!(capital(&store).await, before);

    let mut malformed = delivery("WH-5", CAPTURE_COMPLETED, "CAP-8");
    malformed.resource["amount"] = json!({ "value": "50.00" });
    assert!(sink.accept(malformed).await.is_err());
    assert_eq!(capital(&store).await, before);
}
