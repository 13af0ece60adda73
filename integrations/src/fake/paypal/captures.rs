//! Fake PayPal: captures (with the PENDING hold), capture reads, refunds.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dropledger_domain::Money;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::orders::{begin_write, capture_json, not_found, order_amount, order_json, remember};
use super::{issue, reply, wire, FakeCapture, Shared};
use crate::fake::fake_id;
use crate::fake::faults::{late, FakeOperation, Fault};
use crate::money::wire_value;

type Shared_ = State<Arc<Shared>>;

/// PayPal's fee on `gross`, rounded (half to even) to the currency's minor
/// unit as PayPal charges it.
fn fee_for(shared: &Shared, gross: Money) -> Money {
    let currency = gross.currency();
    let fee =
        gross.amount() * shared.config.fee_percent / Decimal::ONE_HUNDRED + shared.config.fee_fixed;
    Money::new(fee.round_dp(currency.minor_units()), currency)
        .expect("a fee on an amount the ledger holds is one too")
}

pub(super) async fn capture_order(
    State(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let request_id = match begin_write(&shared, &headers, "orders.capture") {
        Ok(id) => id,
        Err(response) => return response,
    };
    let fault = match shared.fault(FakeOperation::PayPalCapture).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let Some(order) = shared.state().orders.get(&id).cloned() else {
        return not_found();
    };
    match order.status.as_str() {
        "APPROVED" => {}
        "COMPLETED" => return issue(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "ORDER_ALREADY_CAPTURED", "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed."),
        _ => return issue(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "ORDER_NOT_APPROVED", "Payer has not yet approved the Order for payment. Please redirect the payer to the 'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or provide a valid payment_source in the request."),
    }
    if fault == Some(Fault::Declined) {
        return issue(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "INSTRUMENT_DECLINED", "The instrument presented  was either declined by the processor or bank, or it can't be used for this payment.");
    }
    let status = if shared.config.capture_pending {
        "PENDING"
    } else {
        "COMPLETED"
    };
    let capture = FakeCapture {
        id: fake_id(""),
        order_id: order.id.clone(),
        status: status.to_owned(),
        fee: fee_for(&shared, order.amount),
        gross: order.amount,
        refunded: Decimal::ZERO,
    };
    {
        let mut state = shared.state();
        let net = capture.gross.amount() - capture.fee.amount();
        let balance = state.balances.entry(capture.gross.currency()).or_default();
        if status == "PENDING" {
            balance.withheld += net;
        } else {
            balance.available += net;
        }
        state.captures.insert(capture.id.clone(), capture.clone());
        let order = state.orders.get_mut(&id).expect("order exists");
        order.status = "COMPLETED".to_owned();
        order.capture_id = Some(capture.id.clone());
    }
    let order = shared
        .state()
        .orders
        .get(&id)
        .cloned()
        .expect("order exists");
    let answer = order_json(&shared, &order);
    remember(&shared, "orders.capture", request_id, &answer);
    late(fault, reply(StatusCode::CREATED, answer)).await
}

pub(super) async fn get_capture(
    State(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    *shared.state().capture_reads.entry(id.clone()).or_default() += 1;
    if shared.state().refused_capture_reads.contains(&id) {
        return reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred.", "debug_id": super::debug_id(), "details": []}),
        );
    }
    if shared.state().forgotten_captures.contains(&id) {
        return not_found();
    }
    let capture = shared.state().captures.get(&id).cloned();
    match capture {
        Some(capture) => reply(StatusCode::OK, capture_json(&capture)),
        None => not_found(),
    }
}

/// PENDING → COMPLETED (funds withheld become available); returns the
/// webhook event to deliver.
pub(super) fn complete_pending_capture(shared: &Shared, capture_id: &str) -> Result<Value, String> {
    settle_pending_capture(shared, capture_id, "COMPLETED")
}

/// PENDING → DECLINED (funds withheld leave the account: the buyer's bank
/// or PayPal's review refused them); returns the PAYMENT.CAPTURE.DENIED
/// webhook event to deliver.
pub(super) fn deny_pending_capture(shared: &Shared, capture_id: &str) -> Result<Value, String> {
    settle_pending_capture(shared, capture_id, "DECLINED")
}

fn settle_pending_capture(
    shared: &Shared,
    capture_id: &str,
    outcome: &str,
) -> Result<Value, String> {
    let mut state = shared.state();
    let capture = state
        .captures
        .get_mut(capture_id)
        .ok_or("unknown capture")?;
    if capture.status != "PENDING" {
        return Err(format!("capture is {}, not PENDING", capture.status));
    }
    capture.status = outcome.to_owned();
    let capture = capture.clone();
    let net = capture.gross.amount() - capture.fee.amount();
    let balance = state.balances.entry(capture.gross.currency()).or_default();
    balance.withheld -= net;
    // PayPal's event names: a DECLINED capture is announced as DENIED.
    let (event_type, summary) = if outcome == "COMPLETED" {
        balance.available += net;
        ("PAYMENT.CAPTURE.COMPLETED", "Payment completed")
    } else {
        ("PAYMENT.CAPTURE.DENIED", "Payment denied")
    };
    Ok(json!({
        "id": format!("WH-{}", fake_id("")),
        "event_version": "1.0",
        "create_time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        "resource_type": "capture",
        "resource_version": "2.0",
        "event_type": event_type,
        "summary": format!("{summary} for {} {}", wire_value(capture.gross), capture.gross.currency()),
        "resource": capture_json(&capture),
    }))
}

pub(super) async fn refund(
    State(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: String,
) -> Response {
    let request_id = match begin_write(&shared, &headers, "captures.refund") {
        Ok(id) => id,
        Err(response) => return response,
    };
    if let Err(response) = shared.fault_before(FakeOperation::PayPalRefund).await {
        return response;
    }
    let request: Value = serde_json::from_str(&body).unwrap_or(json!({}));
    let answer = {
        let mut state = shared.state();
        let Some(capture) = state.captures.get_mut(&id) else {
            return not_found();
        };
        if !matches!(capture.status.as_str(), "COMPLETED" | "PARTIALLY_REFUNDED") {
            let issue_name = if capture.status == "REFUNDED" {
                "CAPTURE_FULLY_REFUNDED"
            } else {
                "REFUND_NOT_ALLOWED"
            };
            return issue(
                StatusCode::UNPROCESSABLE_ENTITY,
                "UNPROCESSABLE_ENTITY",
                issue_name,
                "The capture cannot be refunded.",
            );
        }
        let remaining = capture.gross.amount() - capture.refunded;
        let amount = match order_amount(request.get("amount")) {
            Ok(amount) => amount.map(|m| m.amount()).unwrap_or(remaining),
            Err(refused) => return refused,
        };
        if amount <= Decimal::ZERO || amount > remaining {
            return issue(StatusCode::UNPROCESSABLE_ENTITY, "UNPROCESSABLE_ENTITY", "REFUND_AMOUNT_EXCEEDED", "The refund amount must be less than or equal to the capture amount that has not yet been refunded.");
        }
        capture.refunded += amount;
        capture.status = if capture.refunded == capture.gross.amount() {
            "REFUNDED"
        } else {
            "PARTIALLY_REFUNDED"
        }
        .to_owned();
        let currency = capture.gross.currency();
        // PayPal keeps its fee on refunds: the whole refund leaves the balance.
        state.balances.entry(currency).or_default().available -= amount;
        let gross = super::total_money(currency, amount);
        json!({
            "id": fake_id(""),
            "status": "COMPLETED",
            "amount": wire(gross),
            "seller_payable_breakdown": {
                "gross_amount": wire(gross),
                "paypal_fee": wire(Money::zero(currency)),
                "net_amount": wire(gross),
            },
        })
    };
    remember(&shared, "captures.refund", request_id, &answer);
    reply(StatusCode::CREATED, answer)
}
