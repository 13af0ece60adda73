//! Fulfilment across faults that are not the supplier's answer: our own
//! database going away between "purchase sent" and "purchase recorded", and
//! a supplier whose answers to the purchase are lost for longer than the
//! retry budget. Either way the order ends PURCHASED exactly once, with one
//! supplier order — never FAILED, never bought twice.

mod api_support;
#[path = "api_support/cycle.rs"]
mod cycle;

use std::time::Duration;

use cycle::{spawn_on, Fakes};
use dropledger_integrations::{FakeOperation, Fault};
use sqlx::{ConnectOptions, Connection, Executor};

/// How long the database stays away: well past the retry budget of a
/// bounded step (four attempts within about 1.4 s).
const OUTAGE: Duration = Duration::from_secs(4);

#[tokio::test]
async fn a_database_outage_between_purchase_sent_and_recorded_still_ends_purchased_once() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    // The supplier places the order, then takes its time over reading it
    // back (within the client's 1 s timeout): the window in which we cut
    // the database.
    fakes.aliexpress.inject(
        FakeOperation::AliExpressGetOrder,
        Fault::Delay(Duration::from_millis(700)),
    );

    let order_id = app.buy(&shop).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while fakes.aliexpress.order_count() == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the supplier was never asked"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // Every connection of the server dropped, and no new one let in.
    let mut admin = app
        .db
        .connect_options()
        .database("postgres")
        .connect()
        .await
        .unwrap();
    let name = app.db.name().replace('"', "\"\"");
    admin
        .execute(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false").as_str())
        .await
        .unwrap();
    sqlx::query(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(app.db.name())
    .execute(&mut admin)
    .await
    .unwrap();
    tokio::time::sleep(OUTAGE).await;
    admin
        .execute(format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true").as_str())
        .await
        .unwrap();
    admin.close().await.unwrap();

    let order = app
        .wait_for_order_within(
            &shop.seller,
            &order_id,
            &["PURCHASED", "FAILED"],
            Duration::from_secs(60),
        )
        .await;
    assert_eq!(order["status"], "PURCHASED", "{order}");
    assert_eq!(fakes.aliexpress.order_count(), 1);
    assert_eq!(app.count("OrderPurchased").await, 1);
    assert_eq!(app.count("OrderFailed").await, 0);
    // The purchase's hold was never voided (payouts may void their own fee
    // allowances; those are other holds)...
    let purchase_hold_voided: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event WHERE event_type = 'HoldVoided' \
         AND payload->'hold'->>'id' = \
             (SELECT payload->>'hold_id' FROM event WHERE event_type = 'OrderPurchaseStarted')",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(purchase_hold_voided, 0);
    // ...but posted with the purchase: the same command wrote both.
    let posted_with_purchase: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM event WHERE event_type = 'HoldPosted' \
         AND metadata->>'command_id' = \
             (SELECT metadata->>'command_id' FROM event WHERE event_type = 'OrderPurchased')",
    )
    .fetch_one(app.db.pool())
    .await
    .unwrap();
    assert_eq!(posted_with_purchase, 1);
    app.rebuild_and_check_books().await;
}

#[tokio::test]
async fn a_purchase_whose_answers_are_lost_past_the_retry_budget_is_found_again_not_failed() {
    let fakes = Fakes::start(false, "0.00").await;
    let app = spawn_on(&fakes).await;
    let shop = app.shop("100.00", "15.10", "39.99").await;
    // The supplier takes the order and its answer never arrives in time
    // (the server waits 1 s): twelve times in a row, every answer to the
    // three calls of each of a bounded step's four attempts.
    fakes.aliexpress.inject_times(
        FakeOperation::AliExpressPlaceOrder,
        Fault::Delay(Duration::from_secs(2)),
        12,
    );

    let order_id = app.buy(&shop).await;

    let order = app
        .wait_for_order_within(
            &shop.seller,
            &order_id,
            &["PURCHASED", "FAILED"],
            Duration::from_secs(90),
        )
        .await;
    assert_eq!(order["status"], "PURCHASED", "{order}");
    // Asked again under the same out_order_id: the supplier's one order.
    assert_eq!(fakes.aliexpress.order_count(), 1);
    assert_eq!(app.count("OrderPurchaseStarted").await, 1);
    assert_eq!(app.count("OrderPurchased").await, 1);
    assert_eq!(app.count("OrderFailed").await, 0);
    app.rebuild_and_check_books().await;
}
