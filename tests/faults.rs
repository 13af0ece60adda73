//! The whole business across real processes while things go wrong:
//! `dropledger fake-providers` in a process of its own (so the providers
//! remember what was paid and bought while servers die), two
//! `dropledger serve` on one database with customers spread over both,
//! each SIGKILLed at seeded random moments and started again, and provider
//! faults injected through the fakes' hook — 5xx, 429, a purchase and a
//! payout whose answers are lost. At the end the fakes' summary and the
//! books must show nothing lost and nothing done twice.

mod api_support;
mod faults_support;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dropledger_devdb::TestDatabase;
use dropledger_domain::Currency;
use dropledger_eventstore::EventStore;
use dropledger_projections::{trial_balance, AsOf};
use faults_support::business::{buy, open_shop, Client};
use faults_support::processes::{FakeHook, FakeProcess, Servers};
use faults_support::settle::{
    plain_id, process_checkpoints, wait_final, wait_payouts_settled, wait_projections_caught_up,
    PASSED_OVER_EVENTS_MAX,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

/// Customers buying at once, and orders each.
const CLIENTS: usize = 4;
const ORDERS_PER_CLIENT: usize = 10;
/// `serve` processes on the one database.
const SERVERS: usize = 2;
/// At least this many SIGKILLs in the run.
const KILLS_MIN: usize = 6;
/// The seed of every random choice (which server, when): a failure can be
/// run again as it was.
const SEED: u64 = 0x00FA_0175;

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
async fn the_business_survives_killed_servers_and_provider_faults_with_nothing_lost_or_done_twice()
{
    let mut fakes = FakeProcess::start("0.00").await;
    let db = TestDatabase::new().await;
    let servers = Arc::new(Servers::start(&db.url(), &fakes, SERVERS).await);
    let mut setup = Client::new(0);
    let shop = Arc::new(open_shop(&mut setup, &servers, "1000.00").await);
    let provider_faults = Arc::new(AtomicUsize::new(0));
    inject_provider_faults(&fakes.hook, &provider_faults, BEFORE_THE_RUSH).await;

    // Customers on every server; meanwhile servers die.
    let customers_done = Arc::new(AtomicBool::new(false));
    let bought = Arc::new(AtomicUsize::new(0));
    let kills = Arc::new(AtomicUsize::new(0));
    let killer = tokio::spawn(kill_servers(
        servers.clone(),
        customers_done.clone(),
        kills.clone(),
    ));
    let mut customers = Vec::new();
    for number in 0..CLIENTS {
        let (servers, shop, bought) = (servers.clone(), shop.clone(), bought.clone());
        let (hook, provider_faults) = (fakes.hook.clone(), provider_faults.clone());
        customers.push(tokio::spawn(async move {
            let mut client = Client::new(number);
            let buyer = client
                .register(&servers, &format!("buyer{number}@example.com"))
                .await;
            let mut orders = Vec::new();
            for _ in 0..ORDERS_PER_CLIENT {
                orders.push(buy(&mut client, &servers, &buyer, &shop.product).await);
                // A quarter in, most captures, purchases and payouts are
                // still to come: the mid-run faults hit them, while servers die.
                if bought.fetch_add(1, Ordering::SeqCst) + 1 == CLIENTS * ORDERS_PER_CLIENT / 4 {
                    inject_provider_faults(&hook, &provider_faults, MID_RUN).await;
                }
            }
            orders
        }));
    }
    let mut order_ids = Vec::new();
    for customer in customers {
        order_ids.extend(customer.await.expect("a customer finished"));
    }
    customers_done.store(true, Ordering::SeqCst);
    tokio::time::timeout(Duration::from_secs(120), killer)
        .await
        .expect("the killer stops within 2 minutes of the customers")
        .expect("the killer did not panic");

    // Every order final, every payout settled.
    let mut client = Client::new(0);
    let mut orders = HashMap::new();
    for order_id in &order_ids {
        let order = wait_final(&mut client, &servers, &shop.seller, order_id).await;
        orders.insert(order_id.clone(), order);
    }
    let purchased: Vec<&Value> = orders
        .values()
        .filter(|order| order["status"] == "PURCHASED")
        .collect();
    let failed: Vec<&Value> = orders
        .values()
        .filter(|order| order["status"] != "PURCHASED")
        .collect();
    let payouts = wait_payouts_settled(&mut client, &servers, &shop.admin, purchased.len()).await;
    let summary = fakes.hook.summary().await;

    // Supplier orders: exactly one per PURCHASED order, none for others.
    let supplier_orders = summary["aliexpress"]["orders"].as_array().unwrap();
    let max_supplier_orders_per_order = summary["aliexpress"]["orders_by_out_order_id"]
        .as_object()
        .unwrap()
        .values()
        .map(|ids| ids.as_array().unwrap().len())
        .max()
        .unwrap_or(0);
    let bought: HashSet<&str> = purchased
        .iter()
        .map(|order| order["supplierOrderId"].as_str().unwrap())
        .collect();
    let placed: HashSet<&str> = supplier_orders
        .iter()
        .map(|order| order["order_id"].as_str().unwrap())
        .collect();
    // Payouts: exactly one batch at PayPal per recipient per sale.
    let payout_of: HashMap<String, &Value> = payouts
        .iter()
        .map(|payout| (plain_id(&payout["id"]), payout))
        .collect();
    let mut batches_per_recipient_and_sale: HashMap<(String, String), usize> = HashMap::new();
    for batch in summary["paypal"]["payouts"].as_array().unwrap() {
        let sender_batch_id = plain_id(&batch["sender_batch_id"]);
        let payout = payout_of
            .get(&sender_batch_id)
            .unwrap_or_else(|| panic!("PayPal paid a batch the ledger does not know: {batch}"));
        let key = (
            payout["saleId"].as_str().unwrap().to_owned(),
            payout["recipient"].as_str().unwrap().to_owned(),
        );
        *batches_per_recipient_and_sale.entry(key).or_default() +=
            batch["items"].as_array().unwrap().len();
    }
    let max_payouts_per_recipient_per_sale = batches_per_recipient_and_sale
        .values()
        .copied()
        .max()
        .unwrap_or(0);
    // The books.
    let store = EventStore::new(db.pool().clone());
    let lagging = wait_projections_caught_up(&store).await;
    let managers = process_checkpoints(&db, &store).await;
    let managers_behind: Vec<&(String, u64, Option<String>)> = managers
        .iter()
        .filter(|(_, behind, _)| *behind > PASSED_OVER_EVENTS_MAX)
        .collect();
    let managers_failed: Vec<&(String, u64, Option<String>)> = managers
        .iter()
        .filter(|(_, _, error)| error.is_some())
        .collect();
    let trial = trial_balance(db.pool(), Currency::Usd, AsOf::Now)
        .await
        .unwrap();

    println!(
        "fault run: orders {}, purchased {}, failed {}, kills {}, provider faults {}, \
         max supplier orders per order {}, max payouts per recipient per sale {}, \
         payouts {}, trial balance {} (debits {}, credits {}), projections lagging {}, \
         process managers {:?} (name, events behind, last error), provider faults not fired {}",
        orders.len(),
        purchased.len(),
        failed.len(),
        kills.load(Ordering::SeqCst),
        provider_faults.load(Ordering::SeqCst),
        max_supplier_orders_per_order,
        max_payouts_per_recipient_per_sale,
        payouts.len(),
        trial.total_debit.amount() - trial.total_credit.amount(),
        trial.total_debit,
        trial.total_credit,
        lagging.len(),
        managers,
        summary["pending_faults"],
    );
    assert_eq!(orders.len(), CLIENTS * ORDERS_PER_CLIENT);
    assert!(
        failed.is_empty(),
        "orders failed without a business reason: {failed:?}"
    );
    assert_eq!(
        bought, placed,
        "PURCHASED orders and supplier orders differ"
    );
    assert_eq!(supplier_orders.len(), purchased.len());
    assert_eq!(max_supplier_orders_per_order, 1);
    assert_eq!(batches_per_recipient_and_sale.len(), 2 * purchased.len());
    assert_eq!(max_payouts_per_recipient_per_sale, 1);
    assert!(trial.is_balanced(), "{trial:?}");
    assert!(
        lagging.is_empty(),
        "projections behind the log: {lagging:?}"
    );
    assert!(
        managers_behind.is_empty(),
        "managers behind: {managers_behind:?}"
    );
    assert!(
        managers_failed.is_empty(),
        "managers gave up a step: {managers_failed:?}"
    );
    assert_eq!(
        summary["pending_faults"],
        json!([]),
        "every injected fault happened"
    );
    assert_eq!(
        provider_faults.load(Ordering::SeqCst),
        BEFORE_THE_RUSH.len() + MID_RUN.len(),
        "the mid-run faults were queued"
    );
    assert!(kills.load(Ordering::SeqCst) >= KILLS_MIN);
    assert!(fakes.is_running(), "the fake providers outlived the run");
}

/// Answers held back past the servers' 1 s attempt timeout: the work is
/// done, the answer lost.
fn lost() -> Value {
    json!({"kind": "delay", "ms": 1500})
}

fn status(status: u16) -> Value {
    json!({"kind": "status", "status": status})
}

/// A fault of the run: the operation, and the fault's JSON as the hook takes it.
type PlannedFault = (&'static str, fn() -> Value);

/// Faults queued before the customers come: each hits the first call of
/// its kind.
const BEFORE_THE_RUSH: &[PlannedFault] = &[
    ("PayPalCreateOrder", || status(503)),
    ("PayPalCapture", || status(503)),
    ("PayPalCapture", || status(429)),
    ("AliExpressPlaceOrder", lost),
    ("AliExpressPlaceOrder", || status(502)),
    ("AliExpressGetOrder", || status(503)),
    ("PayPalPayout", lost),
    ("PayPalPayout", || status(500)),
    ("PayPalPayout", || json!({"kind": "delay", "ms": 400})),
];

/// Faults queued in the middle of the run, a quarter of the orders in,
/// while servers are being killed.
const MID_RUN: &[PlannedFault] = &[
    ("AliExpressPlaceOrder", lost),
    ("PayPalCapture", lost),
    ("PayPalPayout", lost),
    ("PayPalPayout", || status(429)),
];

/// Queues `faults`; counts them into `injected`.
async fn inject_provider_faults(hook: &FakeHook, injected: &AtomicUsize, faults: &[PlannedFault]) {
    for (operation, fault) in faults {
        hook.inject(operation, fault(), 1).await;
        injected.fetch_add(1, Ordering::SeqCst);
    }
}

/// SIGKILLs a random server every 1 to 3 s and starts it again, until the
/// customers are done and at least [`KILLS_MIN`] kills happened; then
/// leaves every server running.
async fn kill_servers(
    servers: Arc<Servers>,
    customers_done: Arc<AtomicBool>,
    kills: Arc<AtomicUsize>,
) {
    let mut random = StdRng::seed_from_u64(SEED);
    while !(customers_done.load(Ordering::SeqCst) && kills.load(Ordering::SeqCst) >= KILLS_MIN) {
        tokio::time::sleep(Duration::from_millis(random.gen_range(1_000..3_000))).await;
        let slot = random.gen_range(0..SERVERS);
        servers.kill(slot).await;
        kills.fetch_add(1, Ordering::SeqCst);
        // Down for a moment: the other server carries the customers.
        tokio::time::sleep(Duration::from_millis(random.gen_range(100..1_000))).await;
        servers.restart(slot).await;
    }
}
