//! `POST /webhooks/paypal`: PayPal's notifications, verified through PayPal
//! and deduplicated on their event id by the integrations' receiver. A
//! PAYMENT.CAPTURE.COMPLETED of a pending capture makes its order PAID and
//! its net available cash; a PAYMENT.CAPTURE.DENIED fails the order and
//! reverses the pending cash (the same `settle_capture` the poller uses);
//! a PAYMENT.CAPTURE.REFUNDED (our own refund, or one made in PayPal's
//! dashboard) is recorded as our refunds are, once; other event types are
//! acknowledged and logged.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use chrono::{DateTime, Utc};
use dropledger_domain::{CaptureId, Currency, Money, OrderId, ProviderRefundId};
use dropledger_eventstore::{EventStore, Metadata};
use dropledger_integrations::{
    paypal_webhook_router, PayPalClient, PayPalWebhookEvent, PayPalWebhookReceiver,
    PgWebhookDedupe, WebhookSink,
};

use dropledger_workflows::payment::{self, OutsideRefund};
use dropledger_workflows::settlement::{self, CaptureOutcome};

/// The event that clears a pending capture.
pub const CAPTURE_COMPLETED: &str = "PAYMENT.CAPTURE.COMPLETED";
/// The event that denies a pending capture.
pub const CAPTURE_DENIED: &str = "PAYMENT.CAPTURE.DENIED";
/// The event of a refund (ours, or one made in PayPal's dashboard).
pub const CAPTURE_REFUNDED: &str = "PAYMENT.CAPTURE.REFUNDED";
/// Who is recorded as acting.
const ACTOR: &str = "system:paypal-webhook";

/// The webhook route, answering for `paypal`'s webhook id.
pub fn router(store: EventStore, paypal: Arc<PayPalClient>) -> Router {
    paypal_webhook_router(PayPalWebhookReceiver {
        verifier: paypal,
        dedupe: Arc::new(PgWebhookDedupe::new(store.pool().clone())),
        sink: Arc::new(CaptureSettlement { store }),
    })
}

/// Records completed captures in working capital.
struct CaptureSettlement {
    store: EventStore,
}

#[async_trait]
impl WebhookSink for CaptureSettlement {
    async fn accept(&self, event: PayPalWebhookEvent) -> Result<(), String> {
        let outcome = match event.event_type.as_str() {
            CAPTURE_COMPLETED => CaptureOutcome::Completed,
            CAPTURE_DENIED => CaptureOutcome::Denied,
            CAPTURE_REFUNDED => return self.refunded(&event.resource).await,
            _ => {
                tracing::info!(event_id = %event.id, event_type = %event.event_type, "PayPal webhook not acted on");
                return Ok(());
            }
        };
        let resource = &event.resource;
        let capture_id = resource["id"]
            .as_str()
            .and_then(|id| CaptureId::parse(id).ok())
            .ok_or("a capture event without a capture id")?;
        let currency = resource["amount"]["currency_code"]
            .as_str()
            .and_then(|code| Currency::parse(code).ok())
            .ok_or("a capture event without a known currency")?;
        let effective_at = resource["update_time"]
            .as_str()
            .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
            .map_or_else(Utc::now, |time| time.with_timezone(&Utc));
        // An error makes PayPal deliver the event again later.
        settlement::settle_capture(
            &self.store,
            currency,
            &capture_id,
            outcome,
            effective_at,
            ACTOR,
        )
        .await
        .map_err(|error| error.to_string())
    }
}

impl CaptureSettlement {
    /// A refund PayPal reports (resource: the refund; `custom_id` echoes
    /// our checkout's `order-<uuid>`), recorded as our own refunds are.
    async fn refunded(&self, resource: &serde_json::Value) -> Result<(), String> {
        let order_id = resource["custom_id"]
            .as_str()
            .and_then(|custom| custom.strip_prefix("order-"))
            .and_then(|id| id.parse::<OrderId>().ok())
            .ok_or("a refund without our order in custom_id")?;
        let refund_id = resource["id"]
            .as_str()
            .and_then(|id| ProviderRefundId::parse(id).ok())
            .ok_or("a refund without an id")?;
        let money = |value: &serde_json::Value| {
            Money::parse(
                value["value"].as_str().unwrap_or_default(),
                value["currency_code"].as_str().unwrap_or_default(),
            )
            .ok()
        };
        let amount = money(&resource["amount"]).ok_or("a refund without a usable amount")?;
        let fee_returned = match resource["seller_payable_breakdown"].get("paypal_fee") {
            Some(fee) => money(fee).ok_or("a refund with an unusable fee")?,
            None => Money::zero(amount.currency()),
        };
        let refunded_at = resource["update_time"]
            .as_str()
            .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
            .map_or_else(Utc::now, |time| time.with_timezone(&Utc));
        let metadata = Metadata {
            correlation_id: order_id.as_uuid(),
            causation_id: None,
            actor: ACTOR.to_owned(),
            command_id: Some(uuid::Uuid::new_v5(
                &order_id.as_uuid(),
                refund_id.as_str().as_bytes(),
            )),
        };
        let refund = OutsideRefund {
            order_id,
            refund_id,
            amount,
            fee_returned,
            refunded_at,
        };
        match payment::record_outside_refund(&self.store, refund, &metadata).await {
            Ok(()) => Ok(()),
            // Redelivering cannot change the domain's answer: a person must.
            Err(error @ payment::PaymentError::Refused { .. }) => {
                tracing::error!(%order_id, %error, "a refund made at PayPal could not be recorded");
                Ok(())
            }
            // An error makes PayPal deliver the event again later.
            Err(error) => Err(error.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropledger_devdb::TestDatabase;
    use dropledger_domain::{
        capture_payment, Aggregate, CapitalError, CapturePayment, CaptureStatus, CheckoutTerms,
        EntryId, FailureReason, Money, Order, OrderCommand, OrderError, OrderId, OrderStatus,
        ProductId, ProviderOrderId, UserId, WorkingCapital,
    };
    use dropledger_eventstore::{CommandError, Metadata};
    use dropledger_workflows::command::decide_with_capital;
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
}
