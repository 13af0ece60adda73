//! Fake PayPal: token, orders, the buyer's approval, tracking, and the
//! request-id replay every write goes through.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine;
use dropledger_domain::Money;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{amount_of, issue, reply, wire, FakeCapture, FakeOrder, Shared};
use crate::fake::fake_id;
use crate::fake::faults::{late, FakeOperation};
use crate::money::PayPalAmount;

type Shared_ = State<Arc<Shared>>;

pub(super) fn request_id(headers: &HeaderMap) -> Result<String, Response> {
    headers
        .get("paypal-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| {
            issue(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "PAYPAL_REQUEST_ID_REQUIRED",
                "A PayPal-Request-Id is required for this request.",
            )
        })
}

/// The first answer to a repeated `PayPal-Request-Id`, with 200.
/// The checks every write starts with: a valid token and a
/// `PayPal-Request-Id`; a request id already answered gets the same answer
/// again, as PayPal does. `Err` is the response to send instead.
pub(super) fn begin_write(
    shared: &Shared,
    headers: &HeaderMap,
    operation: &'static str,
) -> Result<String, Response> {
    shared.authorize(headers)?;
    let request_id = request_id(headers)?;
    match replayed(shared, operation, &request_id) {
        Some(response) => Err(response),
        None => Ok(request_id),
    }
}

pub(super) fn replayed(
    shared: &Shared,
    operation: &'static str,
    request_id: &str,
) -> Option<Response> {
    let body = shared
        .state()
        .replies
        .get(&(operation, request_id.to_owned()))
        .cloned()?;
    Some(reply(StatusCode::OK, body))
}

pub(super) fn remember(shared: &Shared, operation: &'static str, request_id: String, body: &Value) {
    shared
        .state()
        .replies
        .insert((operation, request_id), body.clone());
}

pub(super) fn not_found() -> Response {
    issue(
        StatusCode::NOT_FOUND,
        "RESOURCE_NOT_FOUND",
        "INVALID_RESOURCE_ID",
        "Specified resource ID does not exist. Please check the resource ID and try again.",
    )
}

pub(super) async fn token(State(shared): Shared_, headers: HeaderMap, body: String) -> Response {
    if let Err(response) = shared.fault_before(FakeOperation::PayPalToken).await {
        return response;
    }
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            shared.config.client_id, shared.config.client_secret
        ))
    );
    let presented = headers.get("authorization").and_then(|v| v.to_str().ok());
    if presented != Some(expected.as_str()) {
        return reply(
            StatusCode::UNAUTHORIZED,
            json!({"error": "invalid_client", "error_description": "Client Authentication failed"}),
        );
    }
    if !body
        .split('&')
        .any(|pair| pair == "grant_type=client_credentials")
    {
        return reply(
            StatusCode::BAD_REQUEST,
            json!({"error": "unsupported_grant_type", "error_description": "Grant Type is NULL"}),
        );
    }
    let token = format!("A21AA{}", uuid::Uuid::new_v4().simple());
    let ttl = shared.config.token_ttl;
    {
        let mut state = shared.state();
        state.tokens.insert(token.clone(), Instant::now() + ttl);
        state.tokens_issued += 1;
    }
    reply(
        StatusCode::OK,
        json!({
            "scope": "https://uri.paypal.com/services/payments/payment https://uri.paypal.com/services/reporting/search/read https://uri.paypal.com/services/payments/payouts",
            "access_token": token,
            "token_type": "Bearer",
            "app_id": "APP-80W284485P519543T",
            "expires_in": ttl.as_secs(),
            "nonce": format!("{}-fake", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")),
        }),
    )
}

/// An amount of orders, captures and refunds: see [`super::amount_of`].
pub(super) fn order_amount(value: Option<&Value>) -> Result<Option<Money>, Response> {
    amount_of::<PayPalAmount>(value)
}

pub(super) fn order_json(shared: &Shared, order: &FakeOrder) -> Value {
    let base = shared.base_url();
    let mut unit = order.purchase_unit.clone();
    if let Some(capture) = order
        .capture_id
        .as_ref()
        .and_then(|id| shared.state().captures.get(id).cloned())
    {
        unit["payments"] = json!({"captures": [capture_json(&capture)]});
    }
    let mut body = json!({
        "id": order.id,
        "intent": "CAPTURE",
        "status": order.status,
        "purchase_units": [unit],
        "links": [
            {"href": format!("{base}/v2/checkout/orders/{}", order.id), "rel": "self", "method": "GET"},
        ],
    });
    if matches!(order.status.as_str(), "PAYER_ACTION_REQUIRED" | "CREATED") {
        body["links"].as_array_mut().expect("links").push(json!(
            {"href": format!("{base}/checkoutnow?token={}", order.id), "rel": "payer-action", "method": "GET"}
        ));
    }
    if order.status != "PAYER_ACTION_REQUIRED" && order.status != "CREATED" {
        body["payer"] = json!({
            "email_address": "buyer@example.com",
            "payer_id": "FAKEPAYER1",
            "phone": {"phone_type": "MOBILE", "phone_number": {"national_number": "5035550100"}},
        });
    }
    body
}

/// The fake buyer's address on file, as `purchase_units[].shipping`.
fn fake_buyer_shipping() -> Value {
    json!({
        "type": "SHIPPING",
        "name": {"full_name": "Ada Lovelace"},
        "address": {
            "address_line_1": "1 Analytical Way",
            "admin_area_2": "Portland",
            "admin_area_1": "OR",
            "postal_code": "97201",
            "country_code": "US",
        },
    })
}

pub(super) fn capture_json(capture: &FakeCapture) -> Value {
    let net = capture
        .gross
        .checked_sub(capture.fee)
        .expect("a fee is in its capture's currency");
    let mut body = json!({
        "id": capture.id,
        "status": capture.status,
        "amount": wire(capture.gross),
        "final_capture": true,
        "seller_protection": {"status": "ELIGIBLE"},
        "seller_receivable_breakdown": {
            "gross_amount": wire(capture.gross),
            "paypal_fee": wire(capture.fee),
            "net_amount": wire(net),
        },
        "supplementary_data": {"related_ids": {"order_id": capture.order_id}},
    });
    if capture.status == "PENDING" {
        body["status_details"] = json!({"reason": "PENDING_REVIEW"});
    }
    body
}

pub(super) async fn create_order(
    State(shared): Shared_,
    headers: HeaderMap,
    body: String,
) -> Response {
    let request_id = match begin_write(&shared, &headers, "orders.create") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let fault = match shared.fault(FakeOperation::PayPalCreateOrder).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return issue(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "MALFORMED_REQUEST_JSON",
            "The request JSON is not well formed.",
        );
    };
    if request["intent"].as_str() != Some("CAPTURE") {
        return issue(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "INVALID_PARAMETER_VALUE",
            "intent must be CAPTURE here.",
        );
    }
    let unit = request["purchase_units"][0].clone();
    let amount = match order_amount(unit.get("amount")) {
        Ok(Some(amount)) => amount,
        Ok(None) => {
            return issue(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "MISSING_REQUIRED_PARAMETER",
                "purchase_units[0].amount is required.",
            )
        }
        Err(refused) => return refused,
    };
    // PayPal checks that the amount equals the breakdown it was given.
    if let Some(breakdown) = unit["amount"].get("breakdown") {
        let mut parts = [Decimal::ZERO; 5];
        for (part, key) in parts.iter_mut().zip([
            "item_total",
            "shipping",
            "tax_total",
            "handling",
            "discount",
        ]) {
            match order_amount(breakdown.get(key)) {
                Ok(value) => *part = value.map(|m| m.amount()).unwrap_or_default(),
                Err(refused) => return refused,
            }
        }
        let [items, shipping, tax, handling, discount] = parts;
        if items + shipping + tax + handling - discount != amount.amount() {
            return issue(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "AMOUNT_MISMATCH", "Should equal item_total + tax_total + shipping + handling + insurance - shipping_discount - discount.");
        }
    }
    let order = FakeOrder {
        id: fake_id(""),
        status: "PAYER_ACTION_REQUIRED".to_owned(),
        purchase_unit: unit,
        amount,
        return_url: request
            .pointer("/payment_source/paypal/experience_context/return_url")
            .and_then(Value::as_str)
            .map(str::to_owned),
        capture_id: None,
        trackers: Vec::new(),
    };
    let answer = order_json(&shared, &order);
    shared.state().orders.insert(order.id.clone(), order);
    remember(&shared, "orders.create", request_id, &answer);
    late(fault, reply(StatusCode::CREATED, answer)).await
}

pub(super) async fn get_order(
    State(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    if let Err(response) = shared.fault_before(FakeOperation::PayPalGetOrder).await {
        return response;
    }
    let order = shared.state().orders.get(&id).cloned();
    match order {
        Some(order) => reply(StatusCode::OK, order_json(&shared, &order)),
        None => not_found(),
    }
}

/// Marks an order APPROVED as the buyer's approval does; the return URL.
pub(super) fn approve_order(shared: &Shared, order_id: &str) -> Option<Option<String>> {
    let mut state = shared.state();
    let without_address = state.buyers_without_address;
    let order = state.orders.get_mut(order_id)?;
    if matches!(order.status.as_str(), "PAYER_ACTION_REQUIRED" | "CREATED") {
        order.status = "APPROVED".to_owned();
        // With `GET_FROM_FILE` the buyer picks one of their PayPal addresses.
        if order.purchase_unit.get("shipping").is_none() && !without_address {
            order.purchase_unit["shipping"] = fake_buyer_shipping();
        }
    }
    Some(order.return_url.clone())
}

#[derive(serde::Deserialize)]
pub(super) struct ApproveQuery {
    token: String,
}

/// `GET /checkoutnow?token=ID`: the buyer approves, and is sent back to
/// the return URL with `token` and `PayerID`, as PayPal does.
pub(super) async fn approve(State(shared): Shared_, Query(query): Query<ApproveQuery>) -> Response {
    match approve_order(&shared, &query.token) {
        None => (StatusCode::NOT_FOUND, "unknown order").into_response(),
        Some(None) => (StatusCode::OK, "order approved").into_response(),
        Some(Some(return_url)) => {
            let separator = if return_url.contains('?') { '&' } else { '?' };
            Redirect::to(&format!(
                "{return_url}{separator}token={}&PayerID=FAKEPAYER1",
                query.token
            ))
            .into_response()
        }
    }
}

pub(super) async fn track(
    State(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let request_id = match begin_write(&shared, &headers, "orders.track") {
        Ok(id) => id,
        Err(response) => return response,
    };
    if let Err(response) = shared.fault_before(FakeOperation::PayPalTracking).await {
        return response;
    }
    let request: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let order = {
        let mut state = shared.state();
        let Some(order) = state.orders.get_mut(&id) else {
            return not_found();
        };
        if request["capture_id"].as_str() != order.capture_id.as_deref()
            || order.capture_id.is_none()
        {
            return issue(
                StatusCode::UNPROCESSABLE_ENTITY,
                "UNPROCESSABLE_ENTITY",
                "CAPTURE_ID_NOT_FOUND",
                "The capture_id does not belong to this order.",
            );
        }
        if request["tracking_number"]
            .as_str()
            .is_none_or(str::is_empty)
            || request["carrier"].as_str().is_none()
        {
            return issue(
                StatusCode::BAD_REQUEST,
                "INVALID_REQUEST",
                "MISSING_REQUIRED_PARAMETER",
                "tracking_number and carrier are required.",
            );
        }
        order.trackers.push(request);
        order.clone()
    };
    let answer = order_json(&shared, &order);
    remember(&shared, "orders.track", request_id, &answer);
    reply(StatusCode::CREATED, answer)
}
