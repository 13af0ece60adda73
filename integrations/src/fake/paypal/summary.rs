//! What the fake PayPal holds, as JSON, for tests that compare it with the
//! ledger: captures, refunds, payout batches and balances.

use serde_json::{json, Value};

use super::{total_money, wire, Shared};

/// Captures, refunds, payouts per `sender_batch_id` and balances, each list
/// sorted so that two summaries of the same state are equal.
pub(super) fn of(shared: &Shared) -> Value {
    let state = shared.state();
    let mut captures: Vec<&super::FakeCapture> = state.captures.values().collect();
    captures.sort_by(|a, b| a.id.cmp(&b.id));
    let refunds: Vec<Value> = captures
        .iter()
        .filter(|capture| !capture.refunded.is_zero())
        .map(|capture| {
            json!({
                "capture_id": capture.id,
                "amount": wire(total_money(capture.gross.currency(), capture.refunded)),
            })
        })
        .collect();
    let captures: Vec<Value> = captures
        .iter()
        .map(|capture| {
            json!({
                "id": capture.id,
                "order_id": capture.order_id,
                "status": capture.status,
                "amount": wire(capture.gross),
            })
        })
        .collect();
    let mut batches: Vec<&super::FakeBatch> = state.batches.values().collect();
    batches.sort_by(|a, b| a.sender_batch_id.cmp(&b.sender_batch_id));
    let payouts: Vec<Value> = batches
        .iter()
        .map(|batch| {
            let items: Vec<Value> = batch
                .items
                .iter()
                .map(|item| {
                    json!({
                        "receiver": item["payout_item"]["receiver"],
                        "sender_item_id": item["payout_item"]["sender_item_id"],
                        "amount": item["payout_item"]["amount"],
                        "status": item["transaction_status"],
                    })
                })
                .collect();
            json!({
                "sender_batch_id": batch.sender_batch_id,
                "payout_batch_id": batch.id,
                "items": items,
            })
        })
        .collect();
    let mut balances: Vec<Value> = state
        .balances
        .iter()
        .map(|(currency, balance)| {
            json!({
                "available": wire(total_money(*currency, balance.available)),
                "withheld": wire(total_money(*currency, balance.withheld)),
            })
        })
        .collect();
    balances.sort_by_key(|balance| balance["available"]["currency_code"].to_string());
    json!({
        "captures": captures,
        "refunds": refunds,
        "payouts": payouts,
        "balances": balances,
    })
}
