//! `refundOrder` end to end: the buyer's payment goes back at (fake) PayPal
//! and a correcting entry takes it out of cash; who may refund, how much,
//! and that a repeated refund changes nothing.
//!
//! The orders refunded here are ones fulfilment failed: each product
//! reserves less than the supplier's landed cost (15.10), so the fulfilment
//! manager fails it as SUPPLIER_PRICE_ROSE before holding any capital, and
//! the order stays refundable.

mod api_support;
#[path = "api_support/cycle.rs"]
mod cycle;

use api_support::App;
use cycle::{spawn_on, Fakes, Shop};
use serde_json::{json, Value};

const REFUND: &str = "mutation($input: RefundOrderInput!) { refundOrder(input: $input) { order { status } providerRefundId userErrors { code message field } } }";

/// A shop whose one order fulfilment fails; the order id, once FAILED.
async fn failed_order(app: &App, owner_capital: &str) -> (Shop, String) {
    let shop = app.shop(owner_capital, "10.00", "29.99").await;
    let order_id = app.buy(&shop).await;
    let order = app
        .wait_for_order(&shop.seller, &order_id, &["FAILED"])
        .await;
    assert_eq!(
        order["failureReason"], "FAILED_SUPPLIER_PRICE_ROSE",
        "{order}"
    );
    (shop, order_id)
}

fn refund(order_id: &str, amount: &str) -> Value {
    json!({ "input": {
        "orderId": order_id,
        "amount": { "amount": amount, "currency": "USD" },
        "reason": "the buyer changed their mind",
    } })
}

/// Event types of `stream`, oldest first.
async fn event_types(app: &App, stream: &str) -> Vec<String> {
    sqlx::query_scalar("SELECT event_type FROM event WHERE stream_id = $1 ORDER BY stream_version")
        .bind(stream)
        .fetch_all(app.db.pool())
        .await
        .unwrap()
}

#[tokio::test]
async fn the_seller_refunds_a_failed_order_in_full_once_and_the_books_follow() {
    let fakes = Fakes::start(false, "100.00").await;
    let app = spawn_on(&fakes).await;
    // PayPal keeps its fee on a refund here, so the refund takes more cash
    // out than the capture brought in: the owner's capital covers it.
    let (shop, order_id) = failed_order(&app, "10.00").await;

    let stranger = app
        .user_with_role(&shop.admin, "stranger@example.com", "USER")
        .await;
    let denied = app
        .graphql(Some(&stranger), REFUND, refund(&order_id, "29.99"))
        .await;
    assert_eq!(
        denied["data"]["refundOrder"]["userErrors"][0]["code"], "FORBIDDEN",
        "{denied}"
    );
    let partial = app
        .graphql(Some(&shop.seller), REFUND, refund(&order_id, "10.00"))
        .await;
    assert_eq!(
        partial["data"]["refundOrder"]["userErrors"][0]["field"], "input.amount",
        "{partial}"
    );

    let response = app
        .graphql(Some(&shop.seller), REFUND, refund(&order_id, "29.99"))
        .await;
    let payload = &response["data"]["refundOrder"];
    assert_eq!(payload["userErrors"], json!([]), "{response}");
    assert_eq!(payload["order"]["status"], "REFUNDED");
    assert!(payload["providerRefundId"].is_string(), "{response}");
    let order_events = event_types(&app, &format!("order-{order_id}")).await;
    assert_eq!(
        order_events.last().map(String::as_str),
        Some("OrderRefunded")
    );
    let capital_events = event_types(&app, "capital-USD").await;
    assert_eq!(
        capital_events
            .iter()
            .filter(|event| *event == "PaymentRefunded")
            .count(),
        1,
        "{capital_events:?}"
    );

    // A second refund of the same order is refused and records nothing.
    let events_before = app.event_count().await;
    let again = app
        .graphql(Some(&shop.seller), REFUND, refund(&order_id, "29.99"))
        .await;
    assert_ne!(
        again["data"]["refundOrder"]["userErrors"],
        json!([]),
        "{again}"
    );
    assert_eq!(app.event_count().await, events_before);
}

#[tokio::test]
async fn a_refund_the_cash_cannot_cover_is_refused_before_paypal_is_asked() {
    let fakes = Fakes::start(false, "100.00").await;
    let app = spawn_on(&fakes).await;
    // 1.00 of capital: with the capture's net, less than the price to give back.
    let (shop, order_id) = failed_order(&app, "1.00").await;

    let response = app
        .graphql(Some(&shop.admin), REFUND, refund(&order_id, "29.99"))
        .await;
    let payload = &response["data"]["refundOrder"];
    assert_eq!(
        payload["userErrors"][0]["code"], "INSUFFICIENT_FUNDS",
        "{response}"
    );
    assert_eq!(payload["providerRefundId"], Value::Null);
    let order_events = event_types(&app, &format!("order-{order_id}")).await;
    assert_ne!(
        order_events.last().map(String::as_str),
        Some("OrderRefunded")
    );
}
