//! Fake PayPal: balances, payouts, and webhooks (signing, delivery,
//! verification).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use dropledger_domain::{Currency, Money};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{amount_of, issue, reply, total_money, wire, FakeBatch, Shared};
use crate::fake::fake_id;
use crate::fake::faults::{late, FakeOperation, Fault};
use crate::money::{PayoutAmount, WireAmount};

type Shared_ = State<Arc<Shared>>;

#[derive(serde::Deserialize)]
pub(super) struct BalanceQuery {
    currency_code: Option<String>,
}

pub(super) async fn balances(
    State(shared): Shared_,
    headers: HeaderMap,
    Query(query): Query<BalanceQuery>,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    if let Err(response) = shared.fault_before(FakeOperation::PayPalBalance).await {
        return response;
    }
    let state = shared.state();
    // The fake's balance is live, so its figures are as of this moment; to
    // the millisecond, so that a ledger read as of that time counts
    // everything the fake already counts. A test may fix the time instead.
    let now = state
        .balance_as_of
        .unwrap_or_else(chrono::Utc::now)
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let mut currencies: Vec<_> = state.balances.iter().collect();
    currencies.sort_by_key(|(currency, _)| currency.code());
    let entries: Vec<Value> = currencies
        .into_iter()
        .filter(|(currency, _)| {
            query
                .currency_code
                .as_deref()
                .is_none_or(|wanted| wanted == currency.code())
        })
        .map(|(&currency, balance)| {
            json!({
                "currency": currency.code(),
                "primary": currency == Currency::Usd,
                "total_balance": wire(total_money(currency, balance.available + balance.withheld)),
                "available_balance": wire(total_money(currency, balance.available)),
                "withheld_balance": wire(total_money(currency, balance.withheld)),
            })
        })
        .collect();
    reply(
        StatusCode::OK,
        json!({"balances": entries, "account_id": "FAKEACCOUNT01", "as_of_time": now, "last_refresh_time": now}),
    )
}

/// A payout amount (`{currency, value}`): see [`super::amount_of`].
fn payout_amount(value: Option<&Value>) -> Result<Option<Money>, Response> {
    amount_of::<PayoutAmount>(value)
}

fn batch_json(batch: &FakeBatch) -> Value {
    let status = if batch
        .items
        .iter()
        .all(|i| i["transaction_status"] == "FAILED")
    {
        "DENIED"
    } else {
        "SUCCESS"
    };
    json!({
        "batch_header": {
            "payout_batch_id": batch.id,
            "batch_status": status,
            "sender_batch_header": {"sender_batch_id": batch.sender_batch_id},
        },
        "items": batch.items,
    })
}

pub(super) async fn create_batch(
    State(shared): Shared_,
    headers: HeaderMap,
    body: String,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    let request_id = headers
        .get("paypal-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(id) = &request_id {
        if let Some(body) = shared
            .state()
            .replies
            .get(&("payouts.create", id.clone()))
            .cloned()
        {
            return reply(StatusCode::OK, body);
        }
    }
    let fault = match shared.fault(FakeOperation::PayPalPayout).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let Ok(request) = serde_json::from_str::<Value>(&body) else {
        return issue(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "MALFORMED_REQUEST_JSON",
            "Invalid request.",
        );
    };
    let Some(sender_batch_id) = request
        .pointer("/sender_batch_header/sender_batch_id")
        .and_then(Value::as_str)
    else {
        return issue(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "MISSING_REQUIRED_PARAMETER",
            "sender_batch_id is required.",
        );
    };
    let items = request["items"].as_array().cloned().unwrap_or_default();
    let mut amounts = Vec::new();
    for item in &items {
        match (payout_amount(item.get("amount")), item["receiver"].as_str()) {
            (Err(refused), _) => return refused,
            (Ok(Some(amount)), Some(_)) => amounts.push(amount),
            _ => {
                return issue(
                    StatusCode::BAD_REQUEST,
                    "VALIDATION_ERROR",
                    "MISSING_REQUIRED_PARAMETER",
                    "Each item needs an amount and a receiver.",
                )
            }
        }
    }
    if amounts.is_empty() {
        return issue(
            StatusCode::BAD_REQUEST,
            "VALIDATION_ERROR",
            "MISSING_REQUIRED_PARAMETER",
            "items is required.",
        );
    }
    let answer = {
        let mut state = shared.state();
        let refused = items.iter().any(|item| {
            item["receiver"]
                .as_str()
                .is_some_and(|receiver| state.refused_payout_receivers.contains(receiver))
        });
        if refused {
            return reply(
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred.", "debug_id": super::debug_id(), "details": []}),
            );
        }
        if state.batch_by_sender_id.contains_key(sender_batch_id) {
            return reply(
                StatusCode::BAD_REQUEST,
                json!({"name": "USER_BUSINESS_ERROR", "message": "Batch with given sender_batch_id already exists", "debug_id": super::debug_id(), "details": [{"issue": "SENDER_BATCH_ID_ALREADY_USED"}]}),
            );
        }
        let currency = amounts[0].currency();
        let total: Decimal = amounts.iter().map(|m| m.amount()).sum();
        let available = state
            .balances
            .get(&currency)
            .map(|b| b.available)
            .unwrap_or_default();
        if total > available {
            return reply(
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"name": "INSUFFICIENT_FUNDS", "message": "Sender does not have sufficient funds. Please add funds and retry.", "debug_id": super::debug_id(), "details": []}),
            );
        }
        let batch_id = fake_id("");
        let mut batch_items = Vec::new();
        for (item, amount) in items.iter().zip(&amounts) {
            let item_id = fake_id("");
            let receiver = item["receiver"].as_str().unwrap_or_default();
            let status = if fault == Some(Fault::Declined) {
                "FAILED"
            } else if receiver.contains("unclaimed") {
                "UNCLAIMED"
            } else {
                "SUCCESS"
            };
            if status != "FAILED" {
                state
                    .balances
                    .entry(amount.currency())
                    .or_default()
                    .available -= amount.amount();
            }
            let mut entry = json!({
                "payout_item_id": item_id,
                "transaction_id": fake_id(""),
                "transaction_status": status,
                "payout_item_fee": PayoutAmount::json(Money::zero(amount.currency())),
                "payout_batch_id": batch_id,
                "payout_item": {
                    "recipient_type": "EMAIL",
                    "amount": PayoutAmount::json(*amount),
                    "note": item["note"],
                    "receiver": receiver,
                    "sender_item_id": item["sender_item_id"],
                },
            });
            if status == "FAILED" {
                entry["errors"] = json!({"name": "RECEIVER_ACCOUNT_LOCKED", "message": "Receiver's account is locked or inactive."});
            }
            state.item_batch.insert(item_id, batch_id.clone());
            batch_items.push(entry);
        }
        state
            .batch_by_sender_id
            .insert(sender_batch_id.to_owned(), batch_id.clone());
        state.batches.insert(
            batch_id.clone(),
            FakeBatch {
                id: batch_id.clone(),
                sender_batch_id: sender_batch_id.to_owned(),
                items: batch_items,
            },
        );
        json!({"batch_header": {
            "payout_batch_id": batch_id,
            "batch_status": "PENDING",
            "sender_batch_header": request["sender_batch_header"],
        }})
    };
    if let Some(id) = request_id {
        shared
            .state()
            .replies
            .insert(("payouts.create", id), answer.clone());
    }
    late(fault, reply(StatusCode::CREATED, answer)).await
}

pub(super) async fn get_batch(
    State(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    let batch = shared.state().batches.get(&id).cloned();
    match batch {
        Some(batch) => reply(StatusCode::OK, batch_json(&batch)),
        None => issue(
            StatusCode::NOT_FOUND,
            "INVALID_RESOURCE_ID",
            "INVALID_RESOURCE_ID",
            "Requested resource ID was not found.",
        ),
    }
}

pub(super) async fn get_item(
    State(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    let state = shared.state();
    let item = state
        .item_batch
        .get(&id)
        .and_then(|batch_id| state.batches.get(batch_id))
        .and_then(|batch| {
            batch
                .items
                .iter()
                .find(|i| i["payout_item_id"] == id.as_str())
                .cloned()
        });
    match item {
        Some(item) => reply(StatusCode::OK, item),
        None => issue(
            StatusCode::NOT_FOUND,
            "INVALID_RESOURCE_ID",
            "INVALID_RESOURCE_ID",
            "Requested resource ID was not found.",
        ),
    }
}

/// Cancels an UNCLAIMED item: it becomes RETURNED and the money comes back.
pub(super) async fn cancel_item(
    State(shared): Shared_,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    if let Err(response) = shared.authorize(&headers) {
        return response;
    }
    let mut state = shared.state();
    let Some(batch_id) = state.item_batch.get(&id).cloned() else {
        return issue(
            StatusCode::NOT_FOUND,
            "INVALID_RESOURCE_ID",
            "INVALID_RESOURCE_ID",
            "Requested resource ID was not found.",
        );
    };
    let batch = state
        .batches
        .get_mut(&batch_id)
        .expect("item's batch exists");
    let item = batch
        .items
        .iter_mut()
        .find(|i| i["payout_item_id"] == id.as_str())
        .expect("item in its batch");
    if item["transaction_status"] != "UNCLAIMED" {
        return issue(
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNPROCESSABLE_ENTITY",
            "ITEM_CANCELLATION_FAILED",
            "Only unclaimed items can be cancelled.",
        );
    }
    item["transaction_status"] = json!("RETURNED");
    let answer = item.clone();
    if let Ok(Some(amount)) = payout_amount(answer.pointer("/payout_item/amount")) {
        state
            .balances
            .entry(amount.currency())
            .or_default()
            .available += amount.amount();
    }
    reply(StatusCode::OK, answer)
}
