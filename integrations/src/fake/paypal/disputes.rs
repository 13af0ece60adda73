//! Fake PayPal: customer disputes of a capture, through the Disputes API's
//! HTTP contract (`/v1/customer/disputes`: list, show, accept-claim,
//! provide-evidence) and announced by webhook as PayPal does
//! (`CUSTOMER.DISPUTE.CREATED / UPDATED / RESOLVED`, the dispute as the
//! resource). Opening one moves the disputed amount from the available to
//! the withheld balance; the outcome gives it back (won) or keeps it and
//! charges a fee (lost).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dropledger_domain::Money;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::orders::not_found;
use super::{issue, reply, webhooks, wire, Shared};
use crate::fake::fake_id;

/// A dispute the fake holds.
#[derive(Debug, Clone)]
pub(crate) struct FakeDispute {
    pub id: String,
    pub capture_id: String,
    pub custom: Option<String>,
    pub amount: Money,
    pub reason: String,
    pub status: String,
    pub stage: String,
    pub outcome: Option<String>,
    pub fee: Option<Money>,
    pub evidence: Vec<Value>,
    pub created_at: String,
    pub updated_at: String,
}

impl FakeDispute {
    fn json(&self) -> Value {
        let mut value = json!({
            "dispute_id": self.id,
            "create_time": self.created_at,
            "update_time": self.updated_at,
            "disputed_transactions": [{
                "seller_transaction_id": self.capture_id,
                "custom": self.custom,
                "gross_amount": wire(self.amount),
            }],
            "reason": self.reason,
            "status": self.status,
            "dispute_amount": wire(self.amount),
            "dispute_life_cycle_stage": self.stage,
            "dispute_channel": "INTERNAL",
            "evidences": self.evidence,
        });
        if let Some(outcome) = &self.outcome {
            value["dispute_outcome"] =
                json!({"outcome_code": outcome, "amount_refunded": wire(self.amount)});
        }
        if let Some(fee) = self.fee {
            value["money_movements"] = json!([{
                "affected_party": "SELLER",
                "amount": wire(fee),
                "type": "DEBIT",
                "reason": "CHARGEBACK_FEE",
            }]);
        }
        value
    }
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The webhook event announcing `dispute`.
fn event(event_type: &str, dispute: &FakeDispute) -> Value {
    json!({
        "id": format!("WH-{}", fake_id("")),
        "event_version": "1.0",
        "create_time": now(),
        "resource_type": "dispute",
        "event_type": event_type,
        "summary": format!("Dispute {} {}", dispute.id, dispute.status),
        "resource": dispute.json(),
    })
}

/// Opens a dispute of `amount` on a COMPLETED capture (for the customer);
/// the dispute id and the CREATED event to deliver.
pub(super) fn open(
    shared: &Shared,
    capture_id: &str,
    amount: Money,
    reason: &str,
) -> Result<(String, Value), String> {
    let mut state = shared.state();
    let capture = state
        .captures
        .get(capture_id)
        .ok_or("unknown capture")?
        .clone();
    if !matches!(capture.status.as_str(), "COMPLETED" | "PARTIALLY_REFUNDED") {
        return Err(format!("capture is {}, not disputable", capture.status));
    }
    if amount.currency() != capture.gross.currency()
        || amount.amount() > capture.gross.amount() - capture.refunded
    {
        return Err("the amount is above what is left of the capture".to_owned());
    }
    let custom = state
        .orders
        .get(&capture.order_id)
        .and_then(|order| order.purchase_unit["custom_id"].as_str().map(str::to_owned));
    let balance = state.balances.entry(amount.currency()).or_default();
    balance.available -= amount.amount();
    balance.withheld += amount.amount();
    let time = now();
    let dispute = FakeDispute {
        id: fake_id("PP-D-"),
        capture_id: capture_id.to_owned(),
        custom,
        amount,
        reason: reason.to_owned(),
        status: "WAITING_FOR_SELLER_RESPONSE".to_owned(),
        stage: "INQUIRY".to_owned(),
        outcome: None,
        fee: None,
        evidence: Vec::new(),
        created_at: time.clone(),
        updated_at: time,
    };
    let created = event("CUSTOMER.DISPUTE.CREATED", &dispute);
    let id = dispute.id.clone();
    state.disputes.insert(id.clone(), dispute);
    Ok((id, created))
}

/// The customer (or the seller) escalates the inquiry to a claim.
pub(super) fn escalate(shared: &Shared, dispute_id: &str) -> Result<Value, String> {
    let mut state = shared.state();
    let dispute = state
        .disputes
        .get_mut(dispute_id)
        .ok_or("unknown dispute")?;
    if dispute.status == "RESOLVED" {
        return Err("the dispute is resolved".to_owned());
    }
    dispute.stage = "CHARGEBACK".to_owned();
    dispute.status = "UNDER_REVIEW".to_owned();
    dispute.updated_at = now();
    Ok(event("CUSTOMER.DISPUTE.UPDATED", dispute))
}

/// PayPal decides: for the seller (the withheld amount returns) or for the
/// customer (it is refunded and `fee` charged). The RESOLVED event.
pub(super) fn resolve(
    shared: &Shared,
    dispute_id: &str,
    seller_wins: bool,
    fee: Money,
) -> Result<Value, String> {
    let mut guard = shared.state();
    let state = &mut *guard;
    let dispute = state
        .disputes
        .get_mut(dispute_id)
        .ok_or("unknown dispute")?;
    if dispute.status == "RESOLVED" {
        return Err("the dispute is resolved".to_owned());
    }
    let balance = state.balances.entry(dispute.amount.currency()).or_default();
    balance.withheld -= dispute.amount.amount();
    if seller_wins {
        balance.available += dispute.amount.amount();
        dispute.outcome = Some("RESOLVED_SELLER_FAVOUR".to_owned());
    } else {
        balance.available -= fee.amount();
        dispute.outcome = Some("RESOLVED_BUYER_FAVOUR".to_owned());
        dispute.fee = (fee.amount() > Decimal::ZERO).then_some(fee);
        if let Some(capture) = state.captures.get_mut(&dispute.capture_id) {
            capture.refunded += dispute.amount.amount();
        }
    }
    dispute.status = "RESOLVED".to_owned();
    dispute.updated_at = now();
    Ok(event("CUSTOMER.DISPUTE.RESOLVED", dispute))
}

type Shared_ = State<Arc<Shared>>;

/// `GET /v1/customer/disputes`: every dispute, newest first.
pub(super) async fn list(State(shared): Shared_, headers: HeaderMap) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    let mut disputes: Vec<FakeDispute> = shared.state().disputes.values().cloned().collect();
    disputes.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
    let items: Vec<Value> = disputes.iter().map(FakeDispute::json).collect();
    reply(StatusCode::OK, json!({"items": items, "links": []}))
}

/// `GET /v1/customer/disputes/{id}`.
pub(super) async fn show(
    State(shared): Shared_,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    match shared.state().disputes.get(&id) {
        Some(dispute) => reply(StatusCode::OK, dispute.json()),
        None => not_found(),
    }
}

fn resolved() -> Response {
    issue(
        StatusCode::UNPROCESSABLE_ENTITY,
        "UNPROCESSABLE_ENTITY",
        "DISPUTE_ALREADY_RESOLVED",
        "The dispute is resolved: no action is allowed.",
    )
}

/// `POST /v1/customer/disputes/{id}/accept-claim`: the customer wins at
/// once (no fee while it is an inquiry, PayPal's fee once a chargeback).
pub(super) async fn accept_claim(
    State(shared): Shared_,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    let (status, amount) = match shared.state().disputes.get(&id) {
        Some(dispute) => (dispute.status.clone(), dispute.amount),
        None => return not_found(),
    };
    if status == "RESOLVED" {
        return resolved();
    }
    let fee = Money::zero(amount.currency());
    let event = match resolve(&shared, &id, false, fee) {
        Ok(event) => event,
        Err(_) => return resolved(),
    };
    webhooks::deliver(&shared, event).await;
    reply(
        StatusCode::OK,
        json!({"links": [{"rel": "self", "href": format!("{}/v1/customer/disputes/{id}", shared.base_url()), "method": "GET"}]}),
    )
}

/// `POST /v1/customer/disputes/{id}/provide-evidence` (multipart, the
/// evidence JSON in the `input` part): kept, and PayPal reviews.
pub(super) async fn provide_evidence(
    State(shared): Shared_,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    let multipart = headers
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"));
    // The `input` part's JSON, between its first `{` and last `}`.
    let input = body
        .find('{')
        .zip(body.rfind('}'))
        .and_then(|(start, end)| serde_json::from_str::<Value>(&body[start..=end]).ok());
    let Some(input) = input.filter(|_| multipart) else {
        return issue(
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "MISSING_TRACKING_INFO",
            "For PROOF_OF_FULFILLMENT, the tracking number and carrier name are required.",
        );
    };
    let mut state = shared.state();
    let Some(dispute) = state.disputes.get_mut(&id) else {
        return not_found();
    };
    if dispute.status == "RESOLVED" {
        return resolved();
    }
    dispute
        .evidence
        .extend(input["evidences"].as_array().into_iter().flatten().cloned());
    dispute.status = "UNDER_REVIEW".to_owned();
    dispute.updated_at = now();
    reply(
        StatusCode::OK,
        json!({"links": [{"rel": "self", "href": format!("{}/v1/customer/disputes/{id}", shared.base_url()), "method": "GET"}]}),
    )
}
