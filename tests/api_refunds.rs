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

/// The capture of `order_id` as PayPal (the fake) now reports it.
async fn capture_status_at_paypal(app: &App, fakes: &Fakes, order_id: &str) -> String {
    let capture_id: String = sqlx::query_scalar(
        "SELECT payload->>'capture_id' FROM event WHERE event_type = 'OrderPaid' AND stream_id = $1",
    )
    .bind(format!("order-{order_id}"))
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    fakes.paypal.capture_status(&capture_id).unwrap()
}

#[tokio::test]
async fn a_refund_racing_fulfilment_never_lets_both_win() {
    // Orders fulfilment can buy at once; the seller asks for a refund of
    // each right after its capture, some at once and some a little later,
    // while fulfilment is buying, the last once it has bought. The refund's
    // intent and the purchase's hold go onto the order's stream with its
    // expected version: one wins. A refund that loses to the purchase is
    // refused; once the sale is recorded the order may be refunded again,
    // as a sale (its reversal), never as an order nothing was bought for.
    let fakes = Fakes::start(false, "100.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let tries: usize = 8;

    let race = |number: usize| {
        let (app, shop) = (&app, &shop);
        async move {
            let order_id = app.buy(shop).await;
            if number + 1 == tries {
                // Surely too late: the purchase is done.
                app.wait_for_order(&shop.seller, &order_id, &["PURCHASED"])
                    .await;
            } else {
                // Spread over the time fulfilment takes to check and hold.
                tokio::time::sleep(std::time::Duration::from_millis(40 * number as u64)).await;
            }
            let response = app
                .graphql(Some(&shop.seller), REFUND, refund(&order_id, "39.99"))
                .await;
            (order_id, response)
        }
    };
    let raced = futures::future::join_all((0..tries).map(race)).await;

    let (mut refunded_unsold, mut purchased, mut refunded_sold) = (0, 0, 0);
    for (order_id, response) in &raced {
        let payload = &response["data"]["refundOrder"];
        let refused = payload["userErrors"] != json!([]);
        let events = event_types(&app, &format!("order-{order_id}")).await;
        let bought = events.iter().any(|event| event == "OrderPurchased");
        if refused {
            // The purchase had started (or its sale was not recorded yet),
            // or — once sold — free capital no longer covers giving the
            // price back (the sale's cash went to the supplier and the
            // payees): the refund was refused before PayPal was asked.
            assert!(
                matches!(
                    payload["userErrors"][0]["code"].as_str(),
                    Some("INVALID_STATE" | "INSUFFICIENT_FUNDS")
                ),
                "{response}"
            );
            let order = app
                .wait_for_order(&shop.seller, order_id, &["PURCHASED", "FAILED", "REFUNDED"])
                .await;
            assert_eq!(order["status"], "PURCHASED", "{order}");
            assert_eq!(
                capture_status_at_paypal(&app, &fakes, order_id).await,
                "COMPLETED"
            );
            purchased += 1;
        } else {
            assert_eq!(payload["order"]["status"], "REFUNDED", "{response}");
            assert_eq!(
                capture_status_at_paypal(&app, &fakes, order_id).await,
                "REFUNDED"
            );
            if bought {
                // Refunded as a sale: bought, sold, then refunded and reversed.
                let at = |wanted: &str| events.iter().position(|event| event == wanted);
                assert!(at("OrderSaleRecorded") < at("OrderRefunded"), "{events:?}");
                refunded_sold += 1;
            } else {
                refunded_unsold += 1;
            }
        }
    }
    assert_eq!(refunded_unsold + purchased + refunded_sold, tries);
    assert!(
        purchased + refunded_sold >= 1,
        "the last refund came after the purchase"
    );
    // Give fulfilment time to (wrongly) buy a refunded order.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    assert_eq!(
        fakes.aliexpress.order_count(),
        purchased + refunded_sold,
        "one supplier order per order bought, none for one refunded unsold"
    );
    for (order_id, _) in &raced {
        let order = app.order(&shop.seller, order_id).await;
        assert!(
            matches!(order["status"].as_str(), Some("PURCHASED" | "REFUNDED")),
            "{order}"
        );
    }
    assert_eq!(app.count("PaymentRefunded").await, refunded_unsold);
    assert_eq!(app.count("SaleRefunded").await, refunded_sold);
    assert_eq!(app.count("SaleReversed").await, refunded_sold);
    assert_eq!(app.count("OrderPurchased").await, purchased + refunded_sold);
    app.rebuild_and_check_books().await;
    eprintln!(
        "raced {tries}: {refunded_unsold} refunded unsold, {purchased} purchased, {refunded_sold} refunded after the sale"
    );
}

#[tokio::test]
async fn a_refund_paypal_made_but_we_did_not_record_is_finished_by_asking_again() {
    use dropledger_domain::{
        request_refund, Money, Order, OrderId, RefundRequestId, RequestRefund,
    };
    use dropledger_eventstore::{EventStore, Metadata};
    use dropledger_integrations::PayPalClient;
    use dropledger_workflows::command::decide_with_capital;
    use dropledger_workflows::payment::paypal_request_id;

    let fakes = Fakes::start(false, "100.00").await;
    let app = spawn_on(&fakes).await;
    let (shop, order_id) = failed_order(&app, "40.00").await;
    // A first attempt that asked PayPal and died before recording: its
    // intent on the order, and PayPal's refund under the intent's id.
    let store = EventStore::new(app.db.pool().clone());
    let request_id = RefundRequestId::from_uuid(uuid::Uuid::new_v4());
    let command = RequestRefund {
        request_id,
        amount: Money::parse("29.99", "USD").unwrap(),
        requested_at: chrono::Utc::now(),
    };
    let metadata = Metadata {
        correlation_id: uuid::Uuid::new_v4(),
        causation_id: None,
        actor: "test:first-attempt".to_owned(),
        command_id: Some(uuid::Uuid::new_v4()),
    };
    let order_uuid: OrderId = order_id.parse().unwrap();
    decide_with_capital(
        &store,
        &Order::stream_id(order_uuid),
        &metadata,
        |order: &Order, capital| request_refund(order, capital, command.clone()),
    )
    .await
    .unwrap();
    let capture_id = app.only_capture_id().await;
    let paypal = PayPalClient::new(fakes.paypal.client_config());
    let made = paypal
        .refund_capture(
            &capture_id,
            Some(Money::parse("29.99", "USD").unwrap()),
            None,
            &paypal_request_id(request_id),
        )
        .await
        .unwrap();
    let order = app.order(&shop.seller, &order_id).await;
    assert_eq!(order["status"], "REFUND_REQUESTED", "{order}");

    // The seller asks again: the same refund is found and recorded once.
    let response = app
        .graphql(Some(&shop.seller), REFUND, refund(&order_id, "29.99"))
        .await;
    let payload = &response["data"]["refundOrder"];
    assert_eq!(payload["userErrors"], json!([]), "{response}");
    assert_eq!(payload["order"]["status"], "REFUNDED");
    assert_eq!(payload["providerRefundId"], made.id.as_str(), "{response}");
    assert_eq!(
        fakes.paypal.capture_status(&capture_id).unwrap(),
        "REFUNDED"
    );
    assert_eq!(app.count("OrderRefunded").await, 1);
    assert_eq!(app.count("PaymentRefunded").await, 1);
    app.rebuild_and_check_books().await;
}

#[tokio::test]
async fn a_refund_made_in_paypals_dashboard_arrives_by_webhook_and_is_recorded_once() {
    let fakes = Fakes::start(false, "100.00").await;
    let app = fakes.spawn_app_receiving_webhooks().await;
    let (shop, order_id) = failed_order(&app, "10.00").await;
    let capture_id = app.only_capture_id().await;

    fakes
        .paypal
        .refund_from_dashboard(&capture_id)
        .await
        .unwrap();

    assert_eq!(
        fakes.paypal.webhooks_sent(),
        vec![("PAYMENT.CAPTURE.REFUNDED".to_owned(), 200)]
    );
    let order = app
        .wait_for_order(&shop.seller, &order_id, &["REFUNDED"])
        .await;
    assert_eq!(order["status"], "REFUNDED", "{order}");
    let order_events = event_types(&app, &format!("order-{order_id}")).await;
    assert_eq!(
        order_events[order_events.len() - 2..],
        ["RefundRequested".to_owned(), "OrderRefunded".to_owned()],
        "{order_events:?}"
    );
    assert_eq!(app.count("PaymentRefunded").await, 1);
    // Our own refund of it now is refused: the money went back once.
    let again = app
        .graphql(Some(&shop.seller), REFUND, refund(&order_id, "29.99"))
        .await;
    assert_eq!(
        again["data"]["refundOrder"]["userErrors"][0]["code"], "INVALID_STATE",
        "{again}"
    );
    assert_eq!(app.count("PaymentRefunded").await, 1);
    app.rebuild_and_check_books().await;
}

#[tokio::test]
async fn a_refund_paypal_refuses_for_good_puts_the_order_back_and_records_no_cash() {
    let fakes = Fakes::start(false, "100.00").await;
    let app = spawn_on(&fakes).await;
    let (shop, order_id) = failed_order(&app, "10.00").await;
    // Refunded in PayPal's dashboard with no webhook to tell us: PayPal
    // will refuse our refund of the same capture (CAPTURE_FULLY_REFUNDED).
    let capture_id = app.only_capture_id().await;
    fakes
        .paypal
        .refund_from_dashboard(&capture_id)
        .await
        .unwrap();

    let response = app
        .graphql(Some(&shop.seller), REFUND, refund(&order_id, "29.99"))
        .await;
    assert_eq!(
        response["data"]["refundOrder"]["userErrors"][0]["code"], "REFUND_FAILED",
        "{response}"
    );
    let order_events = event_types(&app, &format!("order-{order_id}")).await;
    assert_eq!(
        order_events[order_events.len() - 2..],
        [
            "RefundRequested".to_owned(),
            "RefundRequestFailed".to_owned()
        ],
        "{order_events:?}"
    );
    let order = app.order(&shop.seller, &order_id).await;
    assert_eq!(order["status"], "FAILED", "{order}");
    assert_eq!(app.count("PaymentRefunded").await, 0);
    app.rebuild_and_check_books().await;
}

#[tokio::test]
async fn a_full_refund_sent_many_times_at_once_refunds_once() {
    let fakes = Fakes::start(false, "100.00").await;
    let app = spawn_on(&fakes).await;
    let (shop, order_id) = failed_order(&app, "40.00").await;

    let responses = futures::future::join_all(
        (0..6).map(|_| app.graphql(Some(&shop.seller), REFUND, refund(&order_id, "29.99"))),
    )
    .await;
    let mut refund_ids: Vec<&str> = Vec::new();
    for response in &responses {
        let payload = &response["data"]["refundOrder"];
        match payload["providerRefundId"].as_str() {
            Some(id) => refund_ids.push(id),
            // Too late: the order was refunded by another caller.
            None => assert_eq!(
                payload["userErrors"][0]["code"], "INVALID_STATE",
                "{response}"
            ),
        }
    }
    refund_ids.dedup();
    assert_eq!(refund_ids.len(), 1, "{responses:?}");
    assert_eq!(app.count("OrderRefunded").await, 1);
    assert_eq!(app.count("PaymentRefunded").await, 1);
    app.rebuild_and_check_books().await;
}
