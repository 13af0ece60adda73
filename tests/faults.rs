//! The whole business across real processes while things go wrong:
//! `dropledger fake-providers` in a process of its own (so the providers
//! remember what was paid and bought while servers die), two or three
//! `dropledger serve` on one private PostgreSQL with customers spread over
//! them, each SIGKILLed at seeded random moments and started again, the
//! database restarted (fast shutdown) and paused, and provider faults
//! injected through the fakes' hook — 5xx, 429, a purchase and a payout
//! whose answers are lost. At the end the fakes' summary and the books
//! must show nothing lost and nothing done twice.
//!
//! The long run: `cargo test --release --test faults -- --ignored --nocapture soak`.

mod api_support;
mod faults_support;

use std::time::Duration;

use dropledger_devdb::TestDatabase;
use faults_support::business::{buy, open_shop, Client};
use faults_support::processes::{FakeProcess, Servers};
use faults_support::run::{run, Plan};
use faults_support::settle::wait_final;
use serde_json::json;

#[tokio::test]
async fn the_fake_providers_process_summarises_what_a_server_captured_and_bought() {
    let fakes = FakeProcess::start("0.00").await;
    let db = TestDatabase::new().await;
    let servers = Servers::start(&db.url(), &fakes, 1).await;
    let mut client = Client::new(0);
    let shop = open_shop(&mut client, &servers, "100.00").await;
    let buyer = client.register(&servers, "buyer@example.com").await;

    let order_id = buy(&mut client, &servers, &buyer, &shop.product).await;
    let order = wait_final(&mut client, &servers, &shop.seller, &order_id).await;

    assert_eq!(order["status"], "PURCHASED", "{order}");
    let summary = fakes.hook.summary().await;
    let captures = summary["paypal"]["captures"].as_array().unwrap();
    assert_eq!(captures.len(), 1, "{summary}");
    assert_eq!(captures[0]["status"], "COMPLETED", "{summary}");
    assert_eq!(captures[0]["amount"]["value"], "39.99", "{summary}");
    let supplier_orders = summary["aliexpress"]["orders"].as_array().unwrap();
    assert_eq!(supplier_orders.len(), 1, "{summary}");
    assert_eq!(
        supplier_orders[0]["order_id"], order["supplierOrderId"],
        "{summary}"
    );
    // The hook refuses what is not a fault: a 200 "failure".
    let refused = reqwest::Client::new()
        .post(format!("{}/__fake/faults", fakes.hook.base_url))
        .json(&json!({"operation": "PayPalCapture", "fault": {"kind": "status", "status": 200}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), reqwest::StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_business_survives_killed_servers_database_restarts_and_provider_faults_with_nothing_lost_or_done_twice(
) {
    run(Plan {
        name: "short",
        clients: 4,
        orders_per_client: 10,
        servers: 2,
        kills_min: 6,
        database_restarts: 2,
        database_pause: Duration::from_secs(4),
        mid_run_injections: 1,
        seed: 0x00FA_0175,
        progress: false,
    })
    .await;
}

/// The soak run: 500 orders from ten customers through three servers, at
/// least 20 kills, two database restarts and a 6 s pause.
#[tokio::test]
#[ignore = "the long run (about ten minutes): cargo test --release --test faults -- --ignored --nocapture soak"]
async fn soak_the_business_through_500_orders_and_20_kills() {
    run(Plan {
        name: "soak",
        clients: 10,
        orders_per_client: 50,
        servers: 3,
        kills_min: 20,
        database_restarts: 2,
        database_pause: Duration::from_secs(6),
        mid_run_injections: 4,
        seed: 0x50AC_0500,
        progress: true,
    })
    .await;
}
