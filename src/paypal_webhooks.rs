//! `POST /webhooks/paypal`: PayPal's notifications, verified through PayPal
//! and deduplicated on their event id by the integrations' receiver. A
//! PAYMENT.CAPTURE.COMPLETED moves the capture's net amount from pending to
//! available cash; other event types are acknowledged and logged.

use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use chrono::{DateTime, Utc};
use dropledger_domain::{CaptureId, Currency};
use dropledger_eventstore::EventStore;
use dropledger_integrations::{
    paypal_webhook_router, PayPalClient, PayPalWebhookEvent, PayPalWebhookReceiver,
    PgWebhookDedupe, WebhookSink,
};

use dropledger_workflows::settlement;

/// The event that settles a pending capture.
pub const CAPTURE_COMPLETED: &str = "PAYMENT.CAPTURE.COMPLETED";
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
        if event.event_type != CAPTURE_COMPLETED {
            tracing::info!(event_id = %event.id, event_type = %event.event_type, "PayPal webhook not acted on");
            return Ok(());
        }
        let resource = &event.resource;
        let capture_id = resource["id"]
            .as_str()
            .and_then(|id| CaptureId::parse(id).ok())
            .ok_or("a completed capture without an id")?;
        let currency = resource["amount"]["currency_code"]
            .as_str()
            .and_then(|code| Currency::parse(code).ok())
            .ok_or("a completed capture without a known currency")?;
        let effective_at = resource["update_time"]
            .as_str()
            .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
            .map_or_else(Utc::now, |time| time.with_timezone(&Utc));
        // An error makes PayPal deliver the event again later.
        let correlation_id = settlement::completion_entry_id(&capture_id).as_uuid();
        settlement::complete_capture(
            &self.store,
            currency,
            &capture_id,
            effective_at,
            correlation_id,
            ACTOR,
        )
        .await
        .map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropledger_domain::{
        Aggregate, CapitalCommand, CapitalError, CaptureStatus, EntryId, Money, OrderId,
        WorkingCapital,
    };
    use dropledger_eventstore::{CommandError, Metadata, TestDatabase};
    use serde_json::json;
    use uuid::Uuid;

    fn usd(amount: &str) -> Money {
        Money::parse(amount, "USD").unwrap()
    }

    /// Working capital with one PENDING capture of 50.00 (fee 2.00).
    async fn pending_capture(store: &EventStore, capture: &str) {
        let command = CapitalCommand::ReceivePayment {
            entry_id: EntryId::from_uuid(Uuid::new_v4()),
            order_id: OrderId::from_uuid(Uuid::new_v4()),
            capture_id: CaptureId::parse(capture).unwrap(),
            gross: usd("50.00"),
            fee: usd("2.00"),
            status: CaptureStatus::Pending,
            effective_at: Utc::now(),
        };
        let metadata = Metadata {
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            actor: "test".to_owned(),
            command_id: Some(Uuid::new_v4()),
        };
        let stream = WorkingCapital::stream_id(Currency::Usd);
        store
            .execute(|| async {
                let capital = store
                    .load(&stream, WorkingCapital::new(Currency::Usd))
                    .await?;
                let events = capital
                    .state
                    .decide(command.clone())
                    .map_err(CommandError::Refused)?;
                Ok((vec![capital.append(&events, &metadata)], ()))
            })
            .await
            .unwrap();
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
        pending_capture(&store, "CAP-7").await;
        let sink = CaptureSettlement {
            store: store.clone(),
        };

        sink.accept(delivery("WH-1", CAPTURE_COMPLETED, "CAP-7"))
            .await
            .unwrap();
        let settled = capital(&store).await;
        assert_eq!(settled.0.available(), usd("48.00"));
        assert_eq!(settled.0.pending(), usd("0.00"));

        // PayPal may send the same news again under another event id.
        sink.accept(delivery("WH-2", CAPTURE_COMPLETED, "CAP-7"))
            .await
            .unwrap();
        assert_eq!(capital(&store).await, settled);
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
