//! Reading the books and the log in the money-path tests (refunds after
//! the sale, disputes): events counted, each account's balance to the
//! cent, the ledger's PayPal cash against the fake PayPal's.

// Each test binary uses the helpers it needs.
#![allow(dead_code)]

use std::collections::HashMap;
use std::str::FromStr;

use dropledger_domain::{Currency, Money};
use dropledger_projections::{trial_balance, working_capital, AsOf};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::api_support::App;
use crate::cycle::{Fakes, Shop};

/// `refundOrder`, with the order's status and the errors.
pub const REFUND: &str = "mutation($input: RefundOrderInput!) { refundOrder(input: $input) { order { status } providerRefundId userErrors { code message field } } }";

/// USD.
pub fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

/// `refundOrder`'s variables: `amount` USD of `order_id`, for `reason`.
pub fn refund_input(order_id: &str, amount: &str, reason: &str) -> Value {
    json!({ "input": {
        "orderId": order_id,
        "amount": { "amount": amount, "currency": "USD" },
        "reason": reason,
    } })
}

/// Waits (up to 30 s) until the log holds `count` events of `event_type`.
pub async fn wait_for_count(app: &App, event_type: &str, count: usize) {
    app.wait_for_events(&format!("{count} × {event_type}"), |events| {
        events.iter().filter(|(_, kind)| kind == event_type).count() >= count
    })
    .await;
}

/// The books rebuilt from the log (trial balance checked zero): each
/// account's net posted balance, debit-positive, by code.
pub async fn books(app: &App) -> HashMap<String, Decimal> {
    let store = app.rebuild_and_check_books().await;
    let trial = trial_balance(store.pool(), Currency::Usd, AsOf::Now)
        .await
        .unwrap();
    trial
        .lines
        .iter()
        .map(|line| {
            (
                line.account.code(),
                line.debit.amount() - line.credit.amount(),
            )
        })
        .collect()
}

/// `books[code]`, zero for an account without postings, against `expected`.
pub fn assert_account(books: &HashMap<String, Decimal>, code: &str, expected: &str) {
    let got = books.get(code).copied().unwrap_or_default();
    assert_eq!(
        got,
        Decimal::from_str(expected).unwrap(),
        "{code}: {books:?}"
    );
}

/// The seller's user id (the order's owner).
pub async fn seller_id(app: &App, shop: &Shop, order_id: &str) -> String {
    let response = app
        .graphql(
            Some(&shop.seller),
            "query($id: ID!) { order(id: $id) { owner } }",
            json!({ "id": order_id }),
        )
        .await;
    response["data"]["order"]["owner"]
        .as_str()
        .unwrap_or_else(|| panic!("{response}"))
        .to_owned()
}

/// The trial balance is zero after a rebuild from the log, and the
/// ledger's PayPal cash is exactly the fake PayPal's balance.
pub async fn books_balance_and_reconcile(app: &App, fakes: &Fakes) {
    let store = app.rebuild_and_check_books().await;
    let capital = working_capital(store.pool(), Currency::Usd).await.unwrap();
    assert_eq!(
        capital.real_balance,
        fakes.paypal.available_balance(Currency::Usd),
        "the ledger's PayPal cash is PayPal's"
    );
}
