//! Fake PayPal webhooks: registration, signed delivery, and the
//! verify-webhook-signature endpoint that checks our own signatures.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};

use super::{issue, reply, Shared};

type Shared_ = State<Arc<Shared>>;

pub(super) async fn verify_webhook(
    State(shared): Shared_,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return issue(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "MALFORMED_REQUEST_JSON",
            "Invalid request.",
        );
    };
    let field = |name: &str| request[name].as_str().unwrap_or_default().to_owned();
    let event = request["webhook_event"].to_string();
    let expected = shared.signature(
        &field("transmission_id"),
        &field("transmission_time"),
        &event,
    );
    let genuine = field("webhook_id") == shared.config.webhook_id
        && field("auth_algo") == "SHA256withRSA"
        && field("transmission_sig") == expected;
    reply(
        StatusCode::OK,
        json!({"verification_status": if genuine { "SUCCESS" } else { "FAILURE" }}),
    )
}

pub(super) fn delivery_headers(shared: &Shared, raw_event: &str) -> Vec<(&'static str, String)> {
    let transmission_id = uuid::Uuid::new_v4().to_string();
    let transmission_time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let signature = shared.signature(&transmission_id, &transmission_time, raw_event);
    vec![
        ("paypal-transmission-id", transmission_id),
        ("paypal-transmission-time", transmission_time),
        ("paypal-transmission-sig", signature),
        (
            "paypal-cert-url",
            format!("{}/v1/notifications/certs/CERT-FAKE", shared.base_url()),
        ),
        ("paypal-auth-algo", "SHA256withRSA".to_owned()),
    ]
}

/// Posts an event to the webhook URL, if one is set, and records the answer.
pub(super) async fn deliver(shared: &Shared, event: Value) {
    let Some(url) = shared.webhook_url.lock().expect("lock").clone() else {
        return;
    };
    let raw = event.to_string();
    let mut request = shared
        .http
        .post(&url)
        .header("content-type", "application/json");
    for (name, value) in delivery_headers(shared, &raw) {
        request = request.header(name, value);
    }
    let status = match request.body(raw).send().await {
        Ok(response) => response.status().as_u16(),
        Err(error) => {
            tracing::warn!(%error, "fake PayPal could not deliver a webhook");
            0
        }
    };
    let event_type = event["event_type"].as_str().unwrap_or_default().to_owned();
    shared.state().webhooks_sent.push((event_type, status));
}

/// Registers the webhook URL; deliveries go there from now on.
pub(super) async fn register_webhook(
    State(shared): Shared_,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let Some(url) = request["url"].as_str() else {
        return issue(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "MISSING_REQUIRED_PARAMETER",
            "url is required.",
        );
    };
    *shared.webhook_url.lock().expect("lock") = Some(url.to_owned());
    reply(
        StatusCode::CREATED,
        json!({"id": shared.config.webhook_id, "url": url, "event_types": request["event_types"]}),
    )
}
