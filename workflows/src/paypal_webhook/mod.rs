//! What PayPal's notifications (`POST /webhooks/paypal`, verified through
//! PayPal and deduplicated on their event id by the integrations' receiver)
//! do to the books. A
//! PAYMENT.CAPTURE.COMPLETED of a pending capture makes its order PAID and
//! its net available cash; a PAYMENT.CAPTURE.DENIED fails the order and
//! reverses the pending cash (the same `settle_capture` the poller uses);
//! a PAYMENT.CAPTURE.REFUNDED (our own refund, or one made in PayPal's
//! dashboard) is recorded as our refunds are, once; a
//! CUSTOMER.DISPUTE.CREATED / UPDATED / RESOLVED records the dispute (opened,
//! resolved) once per dispute id; other event types are acknowledged and
//! logged.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dropledger_domain::{CaptureId, Currency, Money, OrderId, ProviderRefundId};
use dropledger_eventstore::{EventStore, Metadata};
use dropledger_integrations::{Dispute, PayPalWebhookEvent, WebhookSink};

use crate::payment::{self, OutsideRefund, ReportedDispute};
use crate::settlement::{self, CaptureOutcome};

/// The event that clears a pending capture.
pub const CAPTURE_COMPLETED: &str = "PAYMENT.CAPTURE.COMPLETED";
/// The event that denies a pending capture.
pub const CAPTURE_DENIED: &str = "PAYMENT.CAPTURE.DENIED";
/// The event of a refund (ours, or one made in PayPal's dashboard).
pub const CAPTURE_REFUNDED: &str = "PAYMENT.CAPTURE.REFUNDED";
/// The events of a customer's dispute: each carries the dispute, recorded
/// once per dispute id (opened, then resolved when it is).
pub const DISPUTE_EVENTS: [&str; 3] = [
    "CUSTOMER.DISPUTE.CREATED",
    "CUSTOMER.DISPUTE.UPDATED",
    "CUSTOMER.DISPUTE.RESOLVED",
];
/// Who is recorded as acting.
const ACTOR: &str = "system:paypal-webhook";

/// Records what PayPal reports of captures and refunds in the books.
pub struct CaptureSettlement {
    store: EventStore,
}

impl CaptureSettlement {
    /// A sink recording into `store`.
    pub fn new(store: EventStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl WebhookSink for CaptureSettlement {
    async fn accept(&self, event: PayPalWebhookEvent) -> Result<(), String> {
        let outcome = match event.event_type.as_str() {
            CAPTURE_COMPLETED => CaptureOutcome::Completed,
            CAPTURE_DENIED => CaptureOutcome::Denied,
            CAPTURE_REFUNDED => return self.refunded(&event.resource).await,
            kind if DISPUTE_EVENTS.contains(&kind) => return self.disputed(&event.resource).await,
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
    /// A dispute PayPal reports (resource: the dispute), recorded as a
    /// read of the Disputes API records it.
    async fn disputed(&self, resource: &serde_json::Value) -> Result<(), String> {
        let dispute = Dispute::parse(resource).map_err(|error| error.to_string())?;
        let reported = ReportedDispute::from_paypal(&dispute)?;
        let order_id = reported.order_id;
        let metadata = Metadata {
            correlation_id: order_id.as_uuid(),
            causation_id: None,
            actor: ACTOR.to_owned(),
            command_id: None,
        };
        match payment::record_dispute(&self.store, &reported, &metadata).await {
            Ok(()) => Ok(()),
            // Redelivering cannot change the domain's answer: a person must.
            Err(error @ payment::PaymentError::Refused { .. }) => {
                tracing::error!(%order_id, dispute_id = %dispute.id, %error, "a dispute PayPal reported could not be recorded");
                Ok(())
            }
            Err(error) => Err(error.to_string()),
        }
    }

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
mod tests;
