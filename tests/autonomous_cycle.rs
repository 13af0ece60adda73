//! The autonomous cycle end to end: the real server (its process managers
//! following the event log) against fake providers in this test's process,
//! driven through GraphQL, with the books read back from the event log.

mod api_support;
#[path = "api_support/cycle.rs"]
mod cycle;

use std::time::Duration;

use api_support::App;
use cycle::{spawn_on, Fakes};
use dropledger_domain::{Currency, Payee, PayoutStatus};
use dropledger_integrations::{FakeOperation, Fault};
use dropledger_projections::{payouts_page, sales_page, working_capital, PayoutFilter, SaleFilter};
use serde_json::{json, Value};

const RETRY: &str = "mutation($id: ID!) { retryFulfilment(orderId: $id) { order { status } userErrors { code message } } }";

fn cents(text: &str) -> rust_decimal::Decimal {
    text.parse().unwrap()
}

#[tokio::test]
async fn one_order_runs_from_capture_to_purchase_sale_and_both_payouts_sent_to_the_cent() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;

    let order_id = app.buy(&shop).await;

    let order = app
        .wait_for_order(&shop.seller, &order_id, &["PURCHASED", "FAILED"])
        .await;
    assert_eq!(order["status"], "PURCHASED", "{order}");
    assert!(order["supplierOrderId"].is_string(), "{order}");
    assert_eq!(fakes.aliexpress.order_count(), 1);
    // Shipped where the buyer told PayPal (the fake buyer's address on file).
    let ship_to = fakes
        .aliexpress
        .ship_to(order["supplierOrderId"].as_str().unwrap())
        .unwrap();
    for (field, value) in [
        ("contact_person", "Ada Lovelace"),
        ("address", "1 Analytical Way"),
        ("city", "Portland"),
        ("province", "OR"),
        ("zip", "97201"),
        ("country", "US"),
        ("phone_country", "1"),
        ("mobile_no", "5035550100"),
    ] {
        assert_eq!(ship_to[field], value, "{field} in {ship_to}");
    }
    app.wait_for_events("both payouts SENT", |events| {
        events
            .iter()
            .filter(|(_, kind)| kind == "PayoutSent")
            .count()
            == 2
    })
    .await;

    let store = app.rebuild_and_check_books().await;
    let pool = store.pool();
    let sales = sales_page(pool, &SaleFilter::default(), 10, None)
        .await
        .unwrap();
    assert_eq!(sales.edges.len(), 1);
    let sale = &sales.edges[0].1;
    // 39.99 − 15.10 = 24.89 gross; PayPal's fee 3.49 % + 0.49 = 1.89;
    // commission 15 % of 24.89 = 3.73; net 24.89 − 3.73 − 1.89 = 19.27.
    assert_eq!(sale.sale_price.amount(), cents("39.99"));
    assert_eq!(sale.supplier_cost.amount(), cents("15.10"));
    assert_eq!(sale.gross_profit.amount(), cents("24.89"));
    assert_eq!(sale.fees.amount(), cents("1.89"));
    assert_eq!(sale.commission.amount(), cents("3.73"));
    assert_eq!(sale.net_profit.amount(), cents("19.27"));
    let payouts = payouts_page(pool, &PayoutFilter::default(), 10, None)
        .await
        .unwrap();
    let mut paid: Vec<_> = payouts
        .edges
        .iter()
        .map(|(_, payout)| {
            (
                payout.payee == Payee::Admin,
                payout.amount.amount(),
                payout.status.as_str(),
            )
        })
        .collect();
    paid.sort();
    assert_eq!(
        paid,
        vec![
            (false, cents("19.27"), "SENT"),
            (true, cents("3.73"), "SENT"),
        ]
    );
    // Cash: 100 + 39.99 − 1.89 − 15.10 − 3.73 − 19.27 = 100.00, nothing held.
    let capital = working_capital(pool, Currency::Usd).await.unwrap();
    assert_eq!(capital.real_balance.amount(), cents("100.00"));
    assert_eq!(capital.committed.amount(), cents("0"));
    assert_eq!(capital.free.amount(), cents("100.00"));

    // The supplier ships: the tracking reaches PayPal and the order.
    let supplier_order_id = order["supplierOrderId"].as_str().unwrap();
    assert!(fakes.aliexpress.ship(supplier_order_id, "LP00123456789CN"));
    app.wait_for_events("the order shipped", |events| {
        events.iter().any(|(_, kind)| kind == "OrderShipped")
    })
    .await;
    let provider_order_id: String = sqlx::query_scalar(
        "SELECT payload->>'provider_order_id' FROM event WHERE event_type = 'OrderCreated'",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    let trackers = fakes.paypal.trackers(&provider_order_id);
    assert_eq!(trackers.len(), 1, "{trackers:?}");
    assert_eq!(
        trackers[0]["tracking_number"], "LP00123456789CN",
        "{trackers:?}"
    );
    assert_eq!(app.count("OrderShipped").await, 1);
    // The tracking number identifies a delivery to a person: the log holds
    // it sealed for the buyer, never in plaintext (issue 15, item 3).
    let shipped: String =
        sqlx::query_scalar("SELECT payload::text FROM event WHERE event_type = 'OrderShipped'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert!(!shipped.contains("LP00123456789CN"), "{shipped}");
    assert!(shipped.contains("\"sealed\""), "{shipped}");
}

#[tokio::test]
async fn concurrent_orders_never_spend_more_capital_than_there_is() {
    // Each lamp reserves 15.10 but brings in only 14.95 (16.00 less PayPal's
    // 1.05): the owner's 0.30 and the money of orders not yet bought are all
    // that can make up the difference, so at most five of the six can ever
    // be bought (0.30 + 6 × 14.95 = 90.00 < 6 × 15.10), whatever the
    // interleaving. The price leaves no profit, so the sales are flagged
    // and pay nobody: purchases are the only spending.
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("0.30", "15.10", "16.00").await;
    let orders = 6;

    let bought = futures::future::join_all((0..orders).map(|_| app.buy(&shop))).await;

    let mut statuses = Vec::new();
    for order_id in &bought {
        let order = app
            .wait_for_order(&shop.seller, order_id, &["PURCHASED", "FAILED"])
            .await;
        statuses.push((
            order["status"].as_str().unwrap().to_owned(),
            order["failureReason"].clone(),
        ));
    }
    let purchased = statuses
        .iter()
        .filter(|(status, _)| status == "PURCHASED")
        .count();
    assert!((1..=5).contains(&purchased), "{statuses:?}");
    for (status, reason) in &statuses {
        if status == "FAILED" {
            assert_eq!(reason, "FAILED_INSUFFICIENT_FUNDS", "{statuses:?}");
        }
    }
    assert_eq!(fakes.aliexpress.order_count(), purchased);
    let history = app.free_capital_history().await;
    assert!(
        history.iter().all(|free| !free.is_sign_negative()),
        "{history:?}"
    );
    app.rebuild_and_check_books().await;
}

#[tokio::test]
async fn a_server_killed_between_buying_and_recording_buys_once_after_restart() {
    let fakes = Fakes::start(false, "0.00").await;
    let mut app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    // The last unit of each variant: after the purchase the supplier has
    // none left, so the resumed step must not mistake our own purchase for
    // a sell-out.
    for sku in ["12000000000030", "12000000000031"] {
        fakes.aliexpress.set_stock(cycle::LAMP, sku, 1);
    }
    // The supplier records the purchase, then holds its answer back.
    fakes.aliexpress.inject(
        FakeOperation::AliExpressPlaceOrder,
        Fault::Delay(Duration::from_secs(5)),
    );

    let order_id = app.buy(&shop).await;
    fakes.wait_until_the_supplier_is_asked().await;
    app.kill().await;
    assert_eq!(
        app.count("OrderPurchased").await,
        0,
        "killed before recording"
    );
    assert_eq!(fakes.aliexpress.order_count(), 1);

    app.start_again(&fakes).await;

    let order = app
        .wait_for_order(&shop.seller, &order_id, &["PURCHASED", "FAILED"])
        .await;
    assert_eq!(order["status"], "PURCHASED", "{order}");
    assert_eq!(fakes.aliexpress.order_count(), 1);
    assert_eq!(app.count("OrderPurchaseStarted").await, 1);
    assert_eq!(app.count("OrderPurchased").await, 1);
    app.rebuild_and_check_books().await;
}

#[tokio::test]
async fn a_payout_skipped_for_insufficient_funds_is_paid_when_cash_arrives() {
    // The capture brings 38.10 (39.99 less PayPal's 1.89) and the owner
    // 0.01: after the 15.10 purchase, 23.01 is free, enough for one of the
    // admin's 3.73 and the seller's 19.27 (each with a 0.25 fee allowance)
    // but not both, in whichever order they come.
    let fakes = Fakes::start(false, "100.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("0.01", "15.10", "39.99").await;

    let order_id = app.buy(&shop).await;
    app.wait_for_order(&shop.seller, &order_id, &["PURCHASED"])
        .await;
    app.wait_for_events("one payout skipped, one sent", |events| {
        let count = |wanted: &str| events.iter().filter(|(_, kind)| kind == wanted).count();
        count("PayoutSkippedInsufficientFunds") >= 1 && count("PayoutSent") == 1
    })
    .await;

    // The owner adds capital: the skipped payout fits and is paid.
    app.contribute(&shop.admin, "20.00", "top-up").await;
    app.wait_for_events("both payouts sent", |events| {
        events
            .iter()
            .filter(|(_, kind)| kind == "PayoutSent")
            .count()
            == 2
    })
    .await;

    let store = app.rebuild_and_check_books().await;
    let payouts = payouts_page(store.pool(), &PayoutFilter::default(), 10, None)
        .await
        .unwrap();
    let seller = payouts
        .edges
        .iter()
        .map(|(_, payout)| payout)
        .find(|payout| payout.payee != Payee::Admin)
        .unwrap();
    assert_eq!(seller.status, PayoutStatus::Sent);
    assert_eq!(seller.amount.amount(), cents("19.27"));
}

/// Three orders whose captures PayPal left PENDING, waiting for clearance:
/// the server, and the capture ids in the order the settlement poller asks.
async fn three_orders_awaiting_clearance(fakes: &Fakes) -> (App, Vec<String>) {
    let app = spawn_on(fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(app.buy(&shop).await);
    }
    // Nothing is bought against a capture PayPal has not cleared.
    for order_id in &orders {
        app.wait_for_order(&shop.seller, order_id, &["AWAITING_PAYMENT_CLEARANCE"])
            .await;
    }
    let mut captures: Vec<String> = sqlx::query_scalar(
        "SELECT payload->>'capture_id' FROM event WHERE event_type = 'OrderPaid'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    captures.sort();
    (app, captures)
}

/// PayPal completes every capture; the poller settles all but the first.
async fn all_but_the_first_settle(fakes: &Fakes, app: &App, captures: &[String]) {
    for capture_id in captures {
        fakes.paypal.complete_capture(capture_id).await.unwrap();
    }
    app.wait_for_events("the two other captures settled", |events| {
        events
            .iter()
            .filter(|(_, kind)| kind == "CaptureCompleted")
            .count()
            == 2
    })
    .await;
    let settled: Vec<String> = sqlx::query_scalar(
        "SELECT payload->>'capture_id' FROM event WHERE event_type = 'CaptureCompleted'",
    )
    .fetch_all(app.db.pool())
    .await
    .unwrap();
    assert!(!settled.contains(&captures[0]), "{settled:?}");
}

#[tokio::test]
async fn a_capture_paypal_keeps_refusing_to_show_does_not_keep_the_others_from_settling() {
    let fakes = Fakes::start(true, "100.00").await;
    let (app, captures) = three_orders_awaiting_clearance(&fakes).await;
    // The first capture of every page PayPal will not show, ever.
    fakes.paypal.keep_refusing_capture_reads(&captures[0]);

    all_but_the_first_settle(&fakes, &app, &captures).await;
}

#[tokio::test]
async fn a_capture_paypal_does_not_know_is_asked_about_less_and_less_often() {
    let fakes = Fakes::start(true, "100.00").await;
    let (app, captures) = three_orders_awaiting_clearance(&fakes).await;
    fakes.paypal.forget_capture(&captures[0]);

    all_but_the_first_settle(&fakes, &app, &captures).await;
    // It rests 2 s, 4 s, 8 s, ... after each 404 (which is not retried):
    // over 8 s it is read at most three times, not at every 1 s poll.
    let before = fakes.paypal.capture_reads(&captures[0]);
    tokio::time::sleep(Duration::from_secs(8)).await;
    let reads = fakes.paypal.capture_reads(&captures[0]) - before;
    assert!(reads <= 3, "read {reads} times in 8 s");
    // And it is still pending, in nobody's way: nothing was recorded for it.
    assert_eq!(app.count("CaptureCompleted").await, 2);
}

#[tokio::test]
#[ignore = "needs a new way to leave both payouts short: since purchases wait for a cleared capture, the order's own cash always funds one of its payouts (issue 14)"]
async fn a_parked_payout_paypal_keeps_refusing_does_not_keep_the_next_one_from_being_paid() {
    // Captures PENDING; the owner's 16.00 pays the 15.10 purchase, and
    // neither payout (3.73 and 19.27, each with a 0.25 fee allowance).
    let fakes = Fakes::start(true, "100.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("16.00", "15.10", "39.99").await;
    let order_id = app.buy(&shop).await;
    app.wait_for_order(&shop.seller, &order_id, &["PURCHASED"])
        .await;
    app.wait_for_events("both payouts skipped", |events| {
        events
            .iter()
            .filter(|(_, kind)| kind == "PayoutSkippedInsufficientFunds")
            .count()
            == 2
    })
    .await;
    // PayPal keeps refusing the payout that is tried first when cash comes.
    let first_parked: String = sqlx::query_scalar(
        "SELECT key FROM process_parked WHERE name = 'payout' ORDER BY parked_at, key LIMIT 1",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let first_request: Value = sqlx::query_scalar(
        "SELECT payload FROM event WHERE event_type = 'PayoutRequested' \
         AND payload->>'payout_id' = $1",
    )
    .bind(&first_parked)
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    let admin_first = first_request["payee"]
        .to_string()
        .to_lowercase()
        .contains("admin");
    let (refused, paid) = if admin_first {
        ("admin@example.com", "seller@example.com")
    } else {
        ("seller@example.com", "admin@example.com")
    };
    fakes.paypal.keep_refusing_payouts_to(refused);

    let capture_id = app.only_capture_id().await;
    fakes.paypal.complete_capture(&capture_id).await.unwrap();

    app.wait_for_events("the other payout sent", |events| {
        events.iter().any(|(_, kind)| kind == "PayoutSent")
    })
    .await;
    let summary = fakes.paypal.summary();
    let receivers: Vec<&str> = summary["payouts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|batch| batch["items"].as_array().unwrap())
        .map(|item| item["receiver"].as_str().unwrap())
        .collect();
    assert_eq!(receivers, [paid], "{summary}");
    assert_eq!(app.count("PayoutSent").await, 1);
}

#[tokio::test]
async fn a_declined_purchase_fails_with_the_hold_voided_and_succeeds_when_retried() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    fakes
        .aliexpress
        .inject(FakeOperation::AliExpressPlaceOrder, Fault::Declined);

    let order_id = app.buy(&shop).await;

    let order = app
        .wait_for_order(&shop.seller, &order_id, &["FAILED", "PURCHASED"])
        .await;
    assert_eq!(order["status"], "FAILED", "{order}");
    assert_eq!(order["failureReason"], "FAILED_SUPPLIER_REJECTED");
    assert_eq!(app.count("HoldVoided").await, 1);
    assert_eq!(fakes.aliexpress.order_count(), 0);
    let history = app.free_capital_history().await;
    assert_eq!(
        history.last().copied(),
        Some(cents("138.10")),
        "{history:?}"
    );

    // Only the seller or an admin may retry.
    let response = app
        .graphql(Some(&shop.buyer), RETRY, json!({ "id": order_id }))
        .await;
    assert_eq!(
        response["data"]["retryFulfilment"]["userErrors"][0]["code"], "FORBIDDEN",
        "{response}"
    );
    let response = app
        .graphql(Some(&shop.seller), RETRY, json!({ "id": order_id }))
        .await;
    assert_eq!(
        response["data"]["retryFulfilment"]["userErrors"],
        json!([]),
        "{response}"
    );
    let order = app
        .wait_for_order(&shop.seller, &order_id, &["PURCHASED"])
        .await;
    assert!(order["supplierOrderId"].is_string(), "{order}");
    assert_eq!(fakes.aliexpress.order_count(), 1);
    // A purchased order cannot be retried.
    let response = app
        .graphql(Some(&shop.admin), RETRY, json!({ "id": order_id }))
        .await;
    assert_eq!(
        response["data"]["retryFulfilment"]["userErrors"][0]["code"], "INVALID_STATE",
        "{response}"
    );
    app.rebuild_and_check_books().await;
}

#[tokio::test]
async fn supplier_stock_and_outages_fail_orders_with_their_reason_and_free_the_capital() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;

    // Sold out when we look: nothing is held.
    for sku in ["12000000000030", "12000000000031"] {
        fakes.aliexpress.set_stock(cycle::LAMP, sku, 0);
    }
    let sold_out = app.buy(&shop).await;
    let order = app
        .wait_for_order(&shop.seller, &sold_out, &["FAILED"])
        .await;
    assert_eq!(order["failureReason"], "FAILED_OUT_OF_STOCK", "{order}");
    assert_eq!(app.count("HoldPlaced").await, 0);

    // Sold out between our look and the purchase: the hold is voided.
    for sku in ["12000000000030", "12000000000031"] {
        fakes.aliexpress.set_stock(cycle::LAMP, sku, 100);
    }
    fakes
        .aliexpress
        .inject(FakeOperation::AliExpressPlaceOrder, Fault::OutOfStock);
    let gone = app.buy(&shop).await;
    let order = app.wait_for_order(&shop.seller, &gone, &["FAILED"]).await;
    assert_eq!(order["failureReason"], "FAILED_OUT_OF_STOCK", "{order}");
    assert_eq!(app.count("HoldVoided").await, 1);

    // The supplier does not answer in time (the server gives up after
    // 1 s), attempt after attempt.
    fakes.aliexpress.inject_times(
        FakeOperation::AliExpressProduct,
        Fault::Delay(Duration::from_secs(2)),
        1_000,
    );
    let unreachable = app.buy(&shop).await;
    let order = app
        .wait_for_order(&shop.seller, &unreachable, &["FAILED"])
        .await;
    assert_eq!(
        order["failureReason"], "FAILED_SUPPLIER_UNAVAILABLE",
        "{order}"
    );

    // Nothing was bought and nothing stays held: 100 + 3 × 38.10 free.
    assert_eq!(fakes.aliexpress.order_count(), 0);
    let history = app.free_capital_history().await;
    assert_eq!(
        history.last().copied(),
        Some(cents("214.30")),
        "{history:?}"
    );
    app.rebuild_and_check_books().await;
}

#[tokio::test]
async fn a_buyer_without_a_shipping_address_at_paypal_fails_the_order_before_any_capital_is_held() {
    let fakes = Fakes::start(false, "0.00").await;
    fakes.paypal.set_buyers_without_address(true);
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;

    let order_id = app.buy(&shop).await;

    let order = app
        .wait_for_order(&shop.seller, &order_id, &["PURCHASED", "FAILED"])
        .await;
    assert_eq!(
        order["failureReason"], "FAILED_NO_SHIPPING_ADDRESS",
        "{order}"
    );
    assert_eq!(fakes.aliexpress.order_count(), 0);
    assert_eq!(app.count("HoldPlaced").await, 0);
    assert_eq!(
        app.free_capital_history().await.last().copied(),
        Some(cents("138.10"))
    );
    app.rebuild_and_check_books().await;
}

#[tokio::test]
async fn a_second_server_stands_by_and_takes_over_the_managers_when_the_first_dies() {
    let fakes = Fakes::start(false, "0.00").await;
    let mut app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    let env = fakes.env();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (standby, standby_address) = api_support::start_server(&app.db.url(), &env).await;
    let first = app.buy(&shop).await;
    app.wait_for_order(&shop.seller, &first, &["PURCHASED"])
        .await;
    // One lock per manager (fulfilment, sale, payout; the settlement and
    // tracking pollers): the first server holds them, the standby only asks.
    assert_eq!(advisory_locks(&app).await, 5);

    app.kill().await;
    app.server = standby;
    app.address = standby_address;
    let second = app.buy(&shop).await;

    let order = app
        .wait_for_order(&shop.seller, &second, &["PURCHASED", "FAILED"])
        .await;
    assert_eq!(order["status"], "PURCHASED", "{order}");
    // Each manager and poller asks for its lock on its own schedule: the
    // fulfilment that bought the order took over first, the rest follow.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let held = advisory_locks(&app).await;
        if held == 5 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the standby holds {held} of the 5 managers' locks"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(fakes.aliexpress.order_count(), 2);
    assert_eq!(app.count("OrderPurchased").await, 2);
}

/// The managers' advisory locks granted now (keys as the runner makes them).
async fn advisory_locks(app: &api_support::App) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks l \
         JOIN unnest(ARRAY['fulfilment', 'sale', 'payout', 'settlement', 'tracking']) AS m(name) \
           ON l.objid::bigint = (hashtext('dropledger-process:' || m.name)::bigint & 4294967295) \
         WHERE l.locktype = 'advisory' AND l.granted \
           AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap()
}
