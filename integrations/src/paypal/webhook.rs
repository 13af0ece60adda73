//! PayPal webhooks: signature verification through PayPal (P8) and the
//! receiver at `POST /webhooks/paypal` (P15).
//!
//! PayPal delivers at least once, in any order, and retries for days. The
//! receiver verifies the signature, records the event id (a repeat is
//! answered 200 and dropped), hands the event to the application's sink,
//! and answers at once: the work happens behind the sink.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;

use super::client::PayPalClient;
use super::error::PayPalError;

/// Largest webhook body accepted; PayPal events are a few kilobytes.
pub const WEBHOOK_BODY_BYTES_MAX: usize = 256 * 1024;

/// The `PAYPAL-*` headers of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookHeaders {
    /// `PAYPAL-TRANSMISSION-ID`.
    pub transmission_id: String,
    /// `PAYPAL-TRANSMISSION-TIME`.
    pub transmission_time: String,
    /// `PAYPAL-TRANSMISSION-SIG`.
    pub transmission_sig: String,
    /// `PAYPAL-CERT-URL`.
    pub cert_url: String,
    /// `PAYPAL-AUTH-ALGO`.
    pub auth_algo: String,
}

impl WebhookHeaders {
    /// Reads the headers; `None` when one is missing.
    pub fn from_headers(headers: &HeaderMap) -> Option<Self> {
        let get = |name: &str| headers.get(name)?.to_str().ok().map(str::to_owned);
        Some(Self {
            transmission_id: get("paypal-transmission-id")?,
            transmission_time: get("paypal-transmission-time")?,
            transmission_sig: get("paypal-transmission-sig")?,
            cert_url: get("paypal-cert-url")?,
            auth_algo: get("paypal-auth-algo")?,
        })
    }
}

/// A verified webhook event.
#[derive(Debug, Clone, PartialEq)]
pub struct PayPalWebhookEvent {
    /// The event id: the dedupe key.
    pub id: String,
    /// `PAYMENT.CAPTURE.COMPLETED`, `CHECKOUT.ORDER.APPROVED`, ...
    pub event_type: String,
    /// `capture`, `checkout-order`, `payouts_item`, ...
    pub resource_type: Option<String>,
    /// The resource, as sent.
    pub resource: Value,
    /// `create_time`.
    pub create_time: Option<String>,
}

impl PayPalClient {
    /// Asks PayPal whether a delivery is genuine (P8). The event is passed
    /// through as the exact bytes received: PayPal checks a digest of it.
    /// A stale or future delivery, or one naming a certificate off PayPal's
    /// domains, is `false` without asking (see [`WebhookHeaders::check`]).
    pub async fn verify_webhook_signature(
        &self,
        headers: &WebhookHeaders,
        raw_event: &str,
    ) -> Result<bool, PayPalError> {
        // Checked before PayPal is asked: each question costs a call that
        // counts against our limits at PayPal.
        if let Err(refusal) = headers.check(chrono::Utc::now(), &self.config.base_url) {
            tracing::warn!(provider = "paypal", transmission_id = %headers.transmission_id, %refusal, "webhook delivery refused before verification");
            return Ok(false);
        }
        let webhook_id = self
            .config
            .webhook_id
            .as_deref()
            .ok_or_else(|| PayPalError::Decode("no webhook id configured".into()))?;
        serde_json::from_str::<serde::de::IgnoredAny>(raw_event)
            .map_err(|e| PayPalError::Decode(format!("webhook event is not JSON: {e}")))?;
        let field = |value: &str| Value::String(value.to_owned()).to_string();
        let body = format!(
            r#"{{"auth_algo":{},"cert_url":{},"transmission_id":{},"transmission_sig":{},"transmission_time":{},"webhook_id":{},"webhook_event":{}}}"#,
            field(&headers.auth_algo),
            field(&headers.cert_url),
            field(&headers.transmission_id),
            field(&headers.transmission_sig),
            field(&headers.transmission_time),
            field(webhook_id),
            raw_event,
        );
        let answer = self
            .call_raw(
                "notifications.verify-webhook-signature",
                "/v1/notifications/verify-webhook-signature",
                body,
            )
            .await?;
        Ok(answer.body["verification_status"].as_str() == Some("SUCCESS"))
    }
}

impl PayPalClient {
    /// Registers `url` for `event_types` and returns the webhook id to put
    /// in the configuration (P9; an operations step, run once per
    /// environment).
    pub async fn register_webhook(
        &self,
        url: &str,
        event_types: &[&str],
    ) -> Result<String, PayPalError> {
        let request = serde_json::json!({
            "url": url,
            "event_types": event_types
                .iter()
                .map(|name| serde_json::json!({"name": name}))
                .collect::<Vec<_>>(),
        });
        // Registering twice fails with WEBHOOK_URL_ALREADY_EXISTS rather than
        // creating a second webhook, so a keyed retry is harmless.
        let body = self
            .call(
                "notifications.webhooks.create",
                reqwest::Method::POST,
                "/v1/notifications/webhooks",
                Some(&request),
                Some(url),
            )
            .await?
            .body;
        body["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| PayPalError::Decode("webhook answer without id".into()))
    }
}

/// Decides whether a delivery is genuine.
#[async_trait]
pub trait WebhookVerifier: Send + Sync {
    /// `Ok(false)` for a bad signature; `Err` when the check itself failed.
    async fn verify(&self, headers: &WebhookHeaders, raw_event: &str) -> Result<bool, PayPalError>;
}

#[async_trait]
impl WebhookVerifier for PayPalClient {
    async fn verify(&self, headers: &WebhookHeaders, raw_event: &str) -> Result<bool, PayPalError> {
        self.verify_webhook_signature(headers, raw_event).await
    }
}

/// Remembers which event ids were already accepted. The application plugs
/// its database in (an insert on a unique event id).
#[async_trait]
pub trait WebhookDedupe: Send + Sync {
    /// Records `event_id`; `true` when it is new, `false` when seen before.
    /// Must be atomic: two concurrent deliveries of one event, one `true`.
    async fn record(&self, event_id: &str) -> Result<bool, String>;
    /// Forgets `event_id`, so a redelivery is processed (used when the sink
    /// refused the event).
    async fn forget(&self, event_id: &str) -> Result<(), String>;
}

/// A [`WebhookDedupe`] in memory.
#[derive(Debug, Default)]
pub struct InMemoryWebhookDedupe {
    seen: Mutex<HashSet<String>>,
}

#[async_trait]
impl WebhookDedupe for InMemoryWebhookDedupe {
    async fn record(&self, event_id: &str) -> Result<bool, String> {
        Ok(self
            .seen
            .lock()
            .map_err(|_| "lock poisoned")?
            .insert(event_id.to_owned()))
    }

    async fn forget(&self, event_id: &str) -> Result<(), String> {
        self.seen
            .lock()
            .map_err(|_| "lock poisoned")?
            .remove(event_id);
        Ok(())
    }
}

/// Takes verified, new events. Must return quickly (enqueue, do not work).
#[async_trait]
pub trait WebhookSink: Send + Sync {
    /// Accepts the event; an error makes PayPal deliver it again later.
    async fn accept(&self, event: PayPalWebhookEvent) -> Result<(), String>;
}

/// A [`WebhookSink`] that puts events on a bounded channel.
#[derive(Debug, Clone)]
pub struct ChannelWebhookSink(pub tokio::sync::mpsc::Sender<PayPalWebhookEvent>);

#[async_trait]
impl WebhookSink for ChannelWebhookSink {
    async fn accept(&self, event: PayPalWebhookEvent) -> Result<(), String> {
        // try_send: a full queue answers 503 at once instead of holding
        // PayPal's connection; PayPal redelivers.
        self.0.try_send(event).map_err(|e| e.to_string())
    }
}

/// What the receiver needs.
#[derive(Clone)]
pub struct PayPalWebhookReceiver {
    /// Signature check.
    pub verifier: Arc<dyn WebhookVerifier>,
    /// Event id memory.
    pub dedupe: Arc<dyn WebhookDedupe>,
    /// Where events go.
    pub sink: Arc<dyn WebhookSink>,
}

/// The router fragment serving `POST /webhooks/paypal`; merge it into the
/// application's router.
pub fn paypal_webhook_router(receiver: PayPalWebhookReceiver) -> Router {
    Router::new()
        .route("/webhooks/paypal", post(receive))
        .layer(DefaultBodyLimit::max(WEBHOOK_BODY_BYTES_MAX))
        .with_state(receiver)
}

async fn receive(
    State(receiver): State<PayPalWebhookReceiver>,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let Some(transmission) = WebhookHeaders::from_headers(&headers) else {
        tracing::warn!(
            provider = "paypal",
            "webhook without transmission headers refused"
        );
        return StatusCode::BAD_REQUEST;
    };
    let Ok(value) = serde_json::from_str::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let (Some(id), Some(event_type)) = (value["id"].as_str(), value["event_type"].as_str()) else {
        return StatusCode::BAD_REQUEST;
    };
    // Verify before looking at the id: a forged delivery must not be able
    // to mark a real event as seen, nor be answered like one.
    match receiver.verifier.verify(&transmission, &body).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(provider = "paypal", event_id = id, transmission_id = %transmission.transmission_id, "webhook signature refused");
            return StatusCode::BAD_REQUEST;
        }
        Err(error) => {
            tracing::error!(provider = "paypal", event_id = id, error = %error, "webhook verification unavailable");
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    match receiver.dedupe.record(id).await {
        Ok(true) => {}
        Ok(false) => {
            tracing::info!(
                provider = "paypal",
                event_id = id,
                event_type,
                "duplicate webhook ignored"
            );
            return StatusCode::OK;
        }
        Err(error) => {
            tracing::error!(
                provider = "paypal",
                event_id = id,
                error,
                "webhook dedupe store failed"
            );
            return StatusCode::SERVICE_UNAVAILABLE;
        }
    }
    let event = PayPalWebhookEvent {
        id: id.to_owned(),
        event_type: event_type.to_owned(),
        resource_type: value["resource_type"].as_str().map(str::to_owned),
        resource: value["resource"].clone(),
        create_time: value["create_time"].as_str().map(str::to_owned),
    };
    if let Err(error) = receiver.sink.accept(event).await {
        tracing::error!(
            provider = "paypal",
            event_id = id,
            error,
            "webhook sink refused the event"
        );
        let _ = receiver.dedupe.forget(id).await;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    tracing::info!(
        provider = "paypal",
        event_id = id,
        event_type,
        "webhook accepted"
    );
    StatusCode::OK
}
