//! One fault run of the whole business: the fakes in a process of their
//! own, several `serve` on one private PostgreSQL, customers buying through
//! all of them while servers are killed, the database is restarted and
//! paused and providers fail; then everything settles and the counts are
//! printed and asserted.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use serde_json::Value;

use super::business::{buy, open_shop, Client};
use super::database::FaultDatabase;
use super::outcome::{check, Books};
use super::processes::{FakeProcess, Servers};
use super::provider_faults::{self, BEFORE_THE_RUSH, MID_RUN};
use super::settle::wait_final;
use super::turbulence::{database_faults, kill_servers, Turbulence};

/// The owner's money per order of the run (at least 1,000.00): what the
/// ledger starts with and the fake PayPal holds. A lamp reserves 15.10, so
/// every order can be bought even before any sale's money comes in — a
/// FAILED_INSUFFICIENT_FUNDS is not what the run is about.
const CAPITAL_PER_ORDER: u64 = 20;
const CAPITAL_MIN: u64 = 1_000;

/// What a run does.
pub struct Plan {
    /// A name for the run's private cluster folder.
    pub name: &'static str,
    /// Customers buying at once.
    pub clients: usize,
    /// Orders each customer places.
    pub orders_per_client: usize,
    /// `serve` processes on the one database.
    pub servers: usize,
    /// At least this many SIGKILLs.
    pub kills_min: usize,
    /// Fast restarts of PostgreSQL (the first aimed at a purchase).
    pub database_restarts: usize,
    /// How long PostgreSQL is paused once: longer than a bounded step's
    /// retry budget (four attempts within about 1.4 s).
    pub database_pause: Duration,
    /// How often the mid-run provider faults are queued, spread over the run.
    pub mid_run_injections: usize,
    /// The seed of every random choice: a failure can be run again as it was.
    pub seed: u64,
    /// Show a progress bar (the long run).
    pub progress: bool,
}

impl Plan {
    /// Every order of the run.
    pub fn orders(&self) -> usize {
        self.clients * self.orders_per_client
    }
}

/// Runs `plan` to the end and checks the outcome; panics on anything lost,
/// done twice or failed by our own faults.
pub async fn run(plan: Plan) {
    let started = Instant::now();
    let database = Arc::new(FaultDatabase::start(plan.name).await);
    let capital = format!(
        "{}.00",
        CAPITAL_MIN.max(CAPITAL_PER_ORDER * plan.orders() as u64)
    );
    // Each colour of the lamp holds as many as the run's orders (the
    // catalogue's usual hundred would fail a long run OUT_OF_STOCK).
    let mut fakes = FakeProcess::start_stocked(&capital, Some(plan.orders() as u64)).await;
    let servers = Arc::new(Servers::start(&database.url(), &fakes, plan.servers).await);
    let mut setup = Client::new(0);
    let shop = Arc::new(open_shop(&mut setup, &servers, &capital).await);
    let turbulence = Arc::new(Turbulence::default());
    provider_faults::inject(&fakes.hook, &turbulence.provider_faults, BEFORE_THE_RUSH).await;

    let progress = progress_bar(&plan);
    let done = Arc::new(AtomicBool::new(false));
    let bought = Arc::new(AtomicUsize::new(0));
    let killer = tokio::spawn(kill_servers(
        servers.clone(),
        plan.kills_min,
        plan.seed,
        done.clone(),
        turbulence.clone(),
    ));
    let database_faulter = tokio::spawn(database_faults(
        database.clone(),
        fakes.hook.clone(),
        plan.database_restarts,
        plan.database_pause,
        plan.orders(),
        bought.clone(),
        done.clone(),
        turbulence.clone(),
    ));
    let mut customers = Vec::new();
    let mid_run_every = plan.orders() / (plan.mid_run_injections + 1);
    for number in 0..plan.clients {
        let (servers, shop, bought) = (servers.clone(), shop.clone(), bought.clone());
        let (hook, turbulence, progress) =
            (fakes.hook.clone(), turbulence.clone(), progress.clone());
        let (orders_per_client, injections) = (plan.orders_per_client, plan.mid_run_injections);
        customers.push(tokio::spawn(async move {
            let mut client = Client::new(number);
            let buyer = client
                .register(&servers, &format!("buyer{number}@example.com"))
                .await;
            let mut orders = Vec::new();
            for _ in 0..orders_per_client {
                orders.push(buy(&mut client, &servers, &buyer, &shop.product).await);
                progress.inc(1);
                let count = bought.fetch_add(1, Ordering::SeqCst) + 1;
                // Most captures, purchases and payouts are still to come:
                // the mid-run faults hit them, while servers die.
                if count % mid_run_every == 0 && count / mid_run_every <= injections {
                    provider_faults::inject(&hook, &turbulence.provider_faults, MID_RUN).await;
                }
            }
            orders
        }));
    }
    let mut order_ids = Vec::new();
    for customer in customers {
        order_ids.extend(customer.await.expect("a customer finished"));
    }
    done.store(true, Ordering::SeqCst);
    progress.set_message("customers done; waiting for the faults to end");
    // The kills still to come when the customers are done: a kill and its
    // restart take a few seconds (1 to 3 s apart, the server's start-up).
    let kills_left = plan
        .kills_min
        .saturating_sub(turbulence.kills.load(Ordering::SeqCst));
    let wind_down = Duration::from_secs(120 + 15 * kills_left as u64);
    tokio::time::timeout(wind_down, killer)
        .await
        .unwrap_or_else(|_| panic!("the killer stops within {wind_down:?} of the customers"))
        .expect("the killer did not panic");
    tokio::time::timeout(wind_down, database_faulter)
        .await
        .unwrap_or_else(|_| panic!("the database faults end within {wind_down:?} of the customers"))
        .expect("the database faults did not panic");

    progress.set_message("settling");
    let mut client = Client::new(0);
    let mut orders: HashMap<String, Value> = HashMap::new();
    for order_id in &order_ids {
        let order = wait_final(&mut client, &servers, &shop.seller, order_id).await;
        orders.insert(order_id.clone(), order);
    }
    progress.finish_and_clear();
    assert!(fakes.is_running(), "the fake providers outlived the run");
    let books = Books {
        database: &database,
        fakes: &fakes,
        servers: &servers,
        shop: &shop,
    };
    check(&plan, &books, &orders, &turbulence, started.elapsed()).await;
}

/// A bar over the run's orders when the plan asks for one.
fn progress_bar(plan: &Plan) -> ProgressBar {
    if !plan.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(plan.orders() as u64);
    bar.set_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} orders {msg}")
            .expect("a valid progress template"),
    );
    bar.enable_steady_tick(Duration::from_millis(500));
    bar
}
