//! `POST /webhooks/paypal`: the integrations' receiver (PayPal verifies
//! each notification, its event id deduplicates it) in front of the
//! workflows' [`CaptureSettlement`], which records what it says.

use std::sync::Arc;

use axum::Router;
use dropledger_eventstore::EventStore;
use dropledger_integrations::{
    paypal_webhook_router, PayPalClient, PayPalWebhookReceiver, PgWebhookDedupe,
};
use dropledger_workflows::CaptureSettlement;

/// The webhook route, answering for `paypal`'s webhook id.
pub fn router(store: EventStore, paypal: Arc<PayPalClient>) -> Router {
    paypal_webhook_router(PayPalWebhookReceiver {
        verifier: paypal,
        dedupe: Arc::new(PgWebhookDedupe::new(store.pool().clone())),
        sink: Arc::new(CaptureSettlement::new(store)),
    })
}
