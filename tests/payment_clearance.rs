//! Payment states before buying, end to end: the real server against fake
//! providers in this process. A capture PayPal leaves PENDING makes its
//! order wait (nothing bought, nothing held); COMPLETED starts fulfilment;
//! DENIED fails the order and reverses the pending cash in the books.

mod api_support;
#[path = "api_support/cycle.rs"]
mod cycle;

use std::time::Duration;

use cycle::{spawn_on, Fakes, Shop};
use dropledger_domain::{Currency, Money};
use dropledger_projections::working_capital;

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

/// Buys one lamp with the capture left PENDING and checks that the order
/// waits: longer than a settlement poll, with nothing bought or held.
async fn a_waiting_order(app: &api_support::App, fakes: &Fakes, shop: &Shop) -> String {
    let order_id = app.buy(shop).await;
    let order = app
        .wait_for_order(&shop.buyer, &order_id, &["AWAITING_PAYMENT_CLEARANCE"])
        .await;
    assert_eq!(order["failureReason"], serde_json::Value::Null, "{order}");
    tokio::time::sleep(Duration::from_millis(
        2 * dropledger_workflows::settlement::SETTLEMENT_POLL_INTERVAL_MS,
    ))
    .await;
    let order = app.order(&shop.seller, &order_id).await;
    assert_eq!(order["status"], "AWAITING_PAYMENT_CLEARANCE", "{order}");
    assert_eq!(fakes.aliexpress.order_count(), 0, "nothing bought");
    assert_eq!(app.count("HoldPlaced").await, 0, "nothing held");
    order_id
}

#[tokio::test]
async fn a_pending_capture_waits_and_once_paypal_completes_it_the_order_is_bought() {
    let fakes = Fakes::start(true, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let order_id = a_waiting_order(&app, &fakes, &shop).await;

    // No webhook is configured: the settlement poller reads the capture.
    fakes
        .paypal
        .complete_capture(&app.only_capture_id().await)
        .await
        .unwrap();

    let order = app
        .wait_for_order(&shop.seller, &order_id, &["PURCHASED", "FAILED"])
        .await;
    assert_eq!(order["status"], "PURCHASED", "{order}");
    assert_eq!(fakes.aliexpress.order_count(), 1);
    assert_eq!(app.count("OrderPaymentCleared").await, 1);
    assert_eq!(app.count("CaptureCompleted").await, 1);
    assert_eq!(app.count("CaptureDenied").await, 0);
    let store = app.rebuild_and_check_books().await;
    let capital = working_capital(store.pool(), Currency::Usd).await.unwrap();
    assert_eq!(capital.pending_cash, usd("0.00"));
}

#[tokio::test]
async fn a_pending_capture_paypal_denies_fails_the_order_with_nothing_bought_or_held_and_the_books_reversed(
) {
    let fakes = Fakes::start(true, "0.00").await;
    // PayPal's webhook reaches the server this time.
    let app = fakes.spawn_app_receiving_webhooks().await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let order_id = a_waiting_order(&app, &fakes, &shop).await;
    let store = app.rebuild_and_check_books().await;
    let waiting = working_capital(store.pool(), Currency::Usd).await.unwrap();
    // 39.99 less PayPal's 1.89 fee, pending; the owner's 100.00 free.
    assert_eq!(waiting.pending_cash, usd("38.10"));
    assert_eq!(waiting.free, usd("100.00"));

    fakes
        .paypal
        .deny_capture(&app.only_capture_id().await)
        .await
        .unwrap();

    assert_eq!(
        fakes.paypal.webhooks_sent(),
        vec![("PAYMENT.CAPTURE.DENIED".to_owned(), 200)],
        "the server took PayPal's word"
    );
    let order = app
        .wait_for_order(&shop.buyer, &order_id, &["FAILED", "PURCHASED"])
        .await;
    assert_eq!(order["status"], "FAILED", "{order}");
    assert_eq!(order["failureReason"], "FAILED_PAYMENT_DENIED", "{order}");
    // Give fulfilment a chance to (wrongly) react before counting.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(fakes.aliexpress.order_count(), 0, "nothing bought");
    assert_eq!(app.count("HoldPlaced").await, 0, "nothing held");
    assert_eq!(app.count("CaptureDenied").await, 1);
    assert_eq!(app.count("CaptureCompleted").await, 0);
    assert_eq!(app.count("OrderPaymentCleared").await, 0);
    let store = app.rebuild_and_check_books().await;
    let denied = working_capital(store.pool(), Currency::Usd).await.unwrap();
    assert_eq!(denied.pending_cash, usd("0.00"));
    assert_eq!(denied.free, usd("100.00"));
    assert_eq!(denied.real_balance, usd("100.00"));
    assert_eq!(
        fakes.paypal.available_balance(Currency::Usd),
        usd("0.00"),
        "the fake kept none of the denied money"
    );

    // A denied payment cannot be retried into a purchase.
    let retried = app
        .graphql(
            Some(&shop.seller),
            "mutation($id: ID!) { retryFulfilment(orderId: $id) { userErrors { code } } }",
            serde_json::json!({ "id": order_id }),
        )
        .await;
    assert_eq!(
        retried["data"]["retryFulfilment"]["userErrors"][0]["code"], "INVALID_STATE",
        "{retried}"
    );
}
