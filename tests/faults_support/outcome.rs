//! The end of a fault run: every order final and every payout sent, then
//! the counts the fault suite promises, printed and asserted — from the
//! fakes' summary (what the providers did) and from the books.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::Ordering;
use std::time::Duration;

use dropledger_domain::Currency;
use dropledger_eventstore::EventStore;
use dropledger_projections::{trial_balance, AsOf};
use serde_json::{json, Value};

use super::books::{differences, read_models, reconcile, replay};
use super::business::Shop;
use super::database::FaultDatabase;
use super::processes::{FakeProcess, Servers};
use super::run::Plan;
use super::settle::{
    plain_id, process_checkpoints, wait_payouts_settled, wait_projections_caught_up,
    PASSED_OVER_EVENTS_MAX,
};
use super::turbulence::Turbulence;

/// How long a server may take to stop on SIGTERM (its managers wait 10 s
/// at most for a step in flight).
const STOP_TIMEOUT: Duration = Duration::from_secs(30);

/// What the run ran on.
pub struct Books<'a> {
    /// The run's private PostgreSQL.
    pub database: &'a FaultDatabase,
    /// The fake providers' process.
    pub fakes: &'a FakeProcess,
    /// The servers (all running again).
    pub servers: &'a Servers,
    /// The shop's people and listing.
    pub shop: &'a Shop,
}

/// Waits for the payouts, reads everything back, prints the counts and
/// asserts them; stops the servers to rebuild the read models and compare.
pub async fn check(
    plan: &Plan,
    books: &Books<'_>,
    orders: &HashMap<String, Value>,
    turbulence: &Turbulence,
    elapsed: Duration,
) {
    let purchased: Vec<&Value> = orders
        .values()
        .filter(|order| order["status"] == "PURCHASED")
        .collect();
    // No business refusal is provoked (capital suffices, the lamp is in
    // stock at its price): every FAILED order was failed by a fault.
    let failed: Vec<&Value> = orders
        .values()
        .filter(|order| order["status"] != "PURCHASED")
        .collect();
    let mut client = super::business::Client::new(0);
    let payouts = wait_payouts_settled(
        &mut client,
        books.servers,
        &books.shop.admin,
        purchased.len(),
    )
    .await;
    let summary = books.fakes.hook.summary().await;
    let supplier = supplier_orders(&summary, &purchased);
    let max_payouts_per_recipient_per_sale = payouts_per_recipient_per_sale(&summary, &payouts);

    let pool = books.database.pool();
    let store = EventStore::new(pool.clone());
    let reconciled = reconcile(&store, books.fakes).await;
    let lagging = wait_projections_caught_up(&store).await;
    let managers = process_checkpoints(pool, &store).await;
    let managers_behind: Vec<_> = managers
        .iter()
        .filter(|(_, behind, _)| *behind > PASSED_OVER_EVENTS_MAX)
        .collect();
    let managers_failed: Vec<_> = managers
        .iter()
        .filter(|(_, _, error)| error.is_some())
        .collect();
    let trial = trial_balance(pool, Currency::Usd, AsOf::Now).await.unwrap();
    let crashed = books.servers.exited_on_their_own();

    let replayed = stop_and_replay(books, &crashed).await;

    let reconciliation = if reconciled.difference().is_zero() {
        "matched".to_owned()
    } else {
        format!("DIFFERENT {:?}", reconciled.difference())
    };
    println!(
        "fault run ({:.0?}): orders {}, purchased {}, kills {}, database restarts {} \
         ({} in a purchase's window), database pauses {} ({:?} each), provider faults {}, \
         supplier orders per order max {}, payouts per recipient per sale max {}, \
         orders failed by our faults {}, trial balance {} (debits {}, credits {}), \
         reconciliation {reconciliation}, replay equals live {} ({} read-model tables), \
         projections lagging {}, process managers behind {}, servers crashed {}",
        elapsed,
        orders.len(),
        purchased.len(),
        turbulence.kills.load(Ordering::SeqCst),
        turbulence.database_restarts.load(Ordering::SeqCst),
        turbulence
            .restarts_in_purchase_window
            .load(Ordering::SeqCst),
        turbulence.database_pauses.load(Ordering::SeqCst),
        plan.database_pause,
        turbulence.provider_faults.load(Ordering::SeqCst),
        supplier.max_per_order,
        max_payouts_per_recipient_per_sale,
        failed.len(),
        trial.total_debit.amount() - trial.total_credit.amount(),
        trial.total_debit,
        trial.total_credit,
        replayed.differences.is_empty(),
        replayed.tables,
        lagging.len(),
        managers_behind.len(),
        crashed.len(),
    );
    assert_eq!(orders.len(), plan.orders());
    assert!(failed.is_empty(), "orders failed by our faults: {failed:?}");
    assert_eq!(
        supplier.bought, supplier.placed,
        "PURCHASED orders and supplier orders differ"
    );
    assert_eq!(supplier.placed.len(), purchased.len());
    assert_eq!(supplier.max_per_order, 1);
    assert_eq!(payouts.len(), 2 * purchased.len());
    assert_eq!(max_payouts_per_recipient_per_sale, 1);
    assert!(trial.is_balanced(), "{trial:?}");
    assert!(
        reconciled.difference().is_zero(),
        "the ledger's PayPal cash differs from the fake PayPal's: {reconciled:?}"
    );
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
    assert!(
        replayed.differences.is_empty(),
        "the read models rebuilt from the log differ from the live ones: {:#?}",
        replayed.differences
    );
    assert_eq!(
        summary["pending_faults"],
        json!([]),
        "every injected fault happened"
    );
    assert!(
        crashed.is_empty(),
        "servers exited on their own: {crashed:?}"
    );
    assert!(
        replayed.stops.iter().all(|status| status.success()),
        "a server stopped on SIGTERM with a failure: {:?}",
        replayed.stops
    );
    assert!(turbulence.kills.load(Ordering::SeqCst) >= plan.kills_min);
    assert_eq!(
        turbulence.database_restarts.load(Ordering::SeqCst),
        plan.database_restarts
    );
    assert_eq!(
        turbulence
            .restarts_in_purchase_window
            .load(Ordering::SeqCst),
        1,
        "the first restart came while a purchase's answer was held back"
    );
    assert_eq!(turbulence.database_pauses.load(Ordering::SeqCst), 1);
}

/// The servers stopped and the read models rebuilt.
struct Replayed {
    /// How each server exited on SIGTERM.
    stops: Vec<std::process::ExitStatus>,
    /// Read-model tables compared.
    tables: usize,
    /// The tables whose rebuilt contents differ from the live ones.
    differences: Vec<String>,
}

/// Replay equals live: the servers (but those that `crashed`) stop on
/// SIGTERM, as in production; the read models are digested, rebuilt from
/// the log, digested again.
async fn stop_and_replay(books: &Books<'_>, crashed: &[usize]) -> Replayed {
    let mut stops = Vec::new();
    for slot in 0..books.servers.count() {
        if !crashed.contains(&slot) {
            stops.push(books.servers.terminate(slot, STOP_TIMEOUT).await);
        }
    }
    let pool = books.database.pool();
    let live = read_models(pool).await;
    replay(&books.database.url()).await;
    let replayed = read_models(pool).await;
    Replayed {
        stops,
        tables: live.len(),
        differences: differences(&live, &replayed),
    }
}

/// The supplier's orders beside ours.
struct SupplierOrders {
    /// The supplier order ids our PURCHASED orders recorded.
    bought: HashSet<String>,
    /// The supplier orders the fake AliExpress holds.
    placed: HashSet<String>,
    /// The most supplier orders placed for one of our orders.
    max_per_order: usize,
}

fn supplier_orders(summary: &Value, purchased: &[&Value]) -> SupplierOrders {
    SupplierOrders {
        bought: purchased
            .iter()
            .map(|order| order["supplierOrderId"].as_str().unwrap().to_owned())
            .collect(),
        placed: summary["aliexpress"]["orders"]
            .as_array()
            .unwrap()
            .iter()
            .map(|order| order["order_id"].as_str().unwrap().to_owned())
            .collect(),
        max_per_order: summary["aliexpress"]["orders_by_out_order_id"]
            .as_object()
            .unwrap()
            .values()
            .map(|ids| ids.as_array().unwrap().len())
            .max()
            .unwrap_or(0),
    }
}

/// The most payout items PayPal paid to one recipient for one sale; panics
/// on a batch the ledger does not know.
fn payouts_per_recipient_per_sale(summary: &Value, payouts: &[Value]) -> usize {
    let payout_of: HashMap<String, &Value> = payouts
        .iter()
        .map(|payout| (plain_id(&payout["id"]), payout))
        .collect();
    let mut per_recipient_and_sale: HashMap<(String, String), usize> = HashMap::new();
    for batch in summary["paypal"]["payouts"].as_array().unwrap() {
        let payout = payout_of
            .get(&plain_id(&batch["sender_batch_id"]))
            .unwrap_or_else(|| panic!("PayPal paid a batch the ledger does not know: {batch}"));
        let key = (
            payout["saleId"].as_str().unwrap().to_owned(),
            payout["recipient"].as_str().unwrap().to_owned(),
        );
        *per_recipient_and_sale.entry(key).or_default() += batch["items"].as_array().unwrap().len();
    }
    assert_eq!(
        per_recipient_and_sale.len(),
        payouts.len(),
        "one payout at PayPal per payout in the ledger"
    );
    per_recipient_and_sale.values().copied().max().unwrap_or(0)
}
