//! `refundOrder` end to end: the buyer's payment goes back at (fake) PayPal
//! and a correcting entry takes it out of cash; who may refund, how much,
//! and that a repeated refund changes nothing.

mod api_support;

use api_support::{spawn_app, App};
use serde_json::{json, Value};

const REFUND: &str = "mutation($input: RefundOrderInput!) { refundOrder(input: $input) { order { status } providerRefundId userErrors { code message field } } }";

/// A PAID order of `seller`'s product, bought by `buyer`; its id.
async fn paid_order(app: &App, seller: &str, buyer: &str) -> String {
    let product = app.published_product(seller).await;
    let response = app
        .graphql(
            None,
            "mutation($input: CreateCheckoutInput!) { createCheckout(input: $input) { orderId approveUrl userErrors { code } } }",
            json!({ "input": { "productId": product, "quantity": 1 } }),
        )
        .await;
    let checkout = &response["data"]["createCheckout"];
    let order_id = checkout["orderId"].as_str().unwrap().to_owned();
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let approval = browser
        .get(checkout["approveUrl"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert!(approval.status().is_redirection());
    let response = app
        .graphql(
            Some(buyer),
            "mutation($input: CaptureCheckoutInput!) { captureCheckout(input: $input) { order { status } userErrors { code message } } }",
            json!({ "input": { "orderId": order_id } }),
        )
        .await;
    assert_eq!(
        response["data"]["captureCheckout"]["order"]["status"], "PAID",
        "{response}"
    );
    order_id
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
async fn the_seller_refunds_a_paid_order_in_full_once_and_the_books_follow() {
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let seller = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;
    let buyer = app
        .user_with_role(&admin, "buyer@example.com", "USER")
        .await;
    // PayPal keeps its fee on a refund here, so the refund takes more cash
    // out than the capture brought in: the owner's capital covers it.
    let contributed = app
        .graphql(
            Some(&admin),
            "mutation { recordCapitalContribution(input: {amount: {amount: \"10.00\", currency: \"USD\"}, reference: \"float\"}) { userErrors { code } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        contributed["data"]["recordCapitalContribution"]["userErrors"],
        json!([])
    );
    let order_id = paid_order(&app, &seller, &buyer).await;

    let stranger = app
        .user_with_role(&admin, "stranger@example.com", "USER")
        .await;
    let denied = app
        .graphql(Some(&stranger), REFUND, refund(&order_id, "29.99"))
        .await;
    assert_eq!(
        denied["data"]["refundOrder"]["userErrors"][0]["code"], "FORBIDDEN",
        "{denied}"
    );
    let partial = app
        .graphql(Some(&seller), REFUND, refund(&order_id, "10.00"))
        .await;
    assert_eq!(
        partial["data"]["refundOrder"]["userErrors"][0]["field"], "input.amount",
        "{partial}"
    );

    let response = app
        .graphql(Some(&seller), REFUND, refund(&order_id, "29.99"))
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
        .graphql(Some(&seller), REFUND, refund(&order_id, "29.99"))
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
    let app = spawn_app().await;
    let (admin, _) = app.register("admin@example.com").await;
    let seller = app
        .user_with_role(&admin, "seller@example.com", "USER")
        .await;
    let buyer = app
        .user_with_role(&admin, "buyer@example.com", "USER")
        .await;
    // No owner capital: the capture's net is below the price to give back.
    let order_id = paid_order(&app, &seller, &buyer).await;

    let response = app
        .graphql(Some(&admin), REFUND, refund(&order_id, "29.99"))
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
