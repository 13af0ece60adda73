//! The autonomous cycle end to end through GraphQL, with the fake providers:
//! orders per second from capture to PURCHASED and the latency of
//! `captureCheckout`, at 1, 4, 16 and 64 concurrent clients, beside raw
//! PostgreSQL doing the same writes on the same server in the same run, with
//! how often the server had to decide a command again (its
//! `dropledger_command_attempts` histogram).
//!
//! ```text
//! cargo bench --bench cycle             # 100, 200, 480 and 960 orders
//! cargo bench --bench cycle -- --quick  # a smoke run: a tenth of each
//! cargo bench --bench cycle -- --clients 16  # one level only
//! ```
//!
//! Each level gets its own database, fakes and `dropledger serve` (the
//! release build of the binary). A client loops: `createCheckout` → the
//! buyer approves at the fake PayPal → `captureCheckout` (timed; the test
//! helpers of `tests/api_support/cycle.rs`, which stop at any refusal); from
//! there the server's fulfilment buys at the fake AliExpress on its own.
//! Capture → PURCHASED is read from the log: the first capture's recorded
//! time to the last purchase's. "raw" replays exactly the transactions the
//! server appended in that window (same rows, same grouping, same number
//! of concurrent connections) as plain multi-row INSERTs into a plain
//! table: the rate PostgreSQL alone would allow for those writes.

#[path = "../tests/api_support/mod.rs"]
mod api_support;
#[path = "../tests/api_support/cycle.rs"]
mod cycle;
mod support;

use std::time::{Duration, Instant};

use anyhow::bail;
use api_support::App;
use cycle::{Fakes, LAMP};
use support::{
    command_attempts, cpu_split, millis, percentile, progress_bar, purchase_timing, replay_raw,
    CpuSplit,
};

/// (concurrent clients, orders) of a full run.
const LEVELS: [(usize, usize); 4] = [(1, 100), (4, 200), (16, 480), (64, 960)];
/// A quick run's orders are this fraction of a full run's.
const QUICK_DIVISOR: usize = 10;
/// Orders before the measured ones: connections, caches and plans warm up.
const WARM_UP_ORDERS: usize = 3;
/// How long the server may take to purchase every order of a level.
const PURCHASE_WAIT_SECS: u64 = 600;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    let only: Option<usize> = match args.iter().position(|arg| arg == "--clients") {
        Some(at) => Some(
            args.get(at + 1)
                .and_then(|n| n.parse().ok())
                .ok_or_else(|| {
                    anyhow::anyhow!("--clients needs one of {:?}", LEVELS.map(|(c, _)| c))
                })?,
        ),
        None => None,
    };
    let mut rows = Vec::new();
    for (clients, orders) in LEVELS {
        if only.is_some_and(|only| only != clients) {
            continue;
        }
        let orders = if quick {
            orders / QUICK_DIVISOR
        } else {
            orders
        };
        rows.push(run_level(clients, orders).await?);
    }
    println!();
    println!("| clients | orders | capture → PURCHASED orders/s | raw PostgreSQL orders/s (same writes) | captureCheckout p50 | p99 | capture → PURCHASED p50 | p99 | attempts per command p50 / p99 / max |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} ms | {:.1} ms | {:.0} ms | {:.0} ms | {} / {} / {} of {} |",
            row.clients,
            row.orders,
            row.orders_per_second,
            row.raw_orders_per_second,
            row.capture_p50_ms,
            row.capture_p99_ms,
            row.purchase_p50_ms,
            row.purchase_p99_ms,
            row.attempts.0,
            row.attempts.1,
            row.attempts.2,
            row.attempts.3,
        );
    }
    println!();
    println!(
        "Where the time went (cores busy on average; the machine has {} cores):",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!("| clients | dropledger serve | PostgreSQL | clients + fake providers |");
    println!("|---:|---:|---:|---:|");
    for row in &rows {
        println!(
            "| {} | {:.2} | {:.2} | {:.2} |",
            row.clients, row.cpu.server, row.cpu.postgres, row.cpu.bench
        );
    }
    Ok(())
}

/// One line of the table.
struct Row {
    clients: usize,
    orders: usize,
    orders_per_second: f64,
    raw_orders_per_second: f64,
    capture_p50_ms: f64,
    capture_p99_ms: f64,
    purchase_p50_ms: f64,
    purchase_p99_ms: f64,
    /// Attempts per command: p50, p99, max, and how many commands.
    attempts: (u32, u32, u32, u64),
    /// Cores busy, on average, from the first capture to the last purchase.
    cpu: CpuSplit,
}

async fn run_level(clients: usize, orders: usize) -> anyhow::Result<Row> {
    println!("\n== {clients} client(s), {orders} orders ==");
    // Enough cash for every order's purchase and payouts.
    let fakes = Fakes::start(false, "1000000.00").await;
    // The catalogue's stock would run out long before the last order.
    fakes.aliexpress.set_product_stock(LAMP, 1_000_000);
    let mut env = fakes.env();
    env.push(("AUTH_REQUESTS_PER_MINUTE".into(), "100000".into()));
    // Every client is on loopback: one address's checkout and webhook limits.
    env.push(("CHECKOUTS_PER_MINUTE".into(), "1000000".into()));
    env.push(("WEBHOOKS_PER_MINUTE".into(), "1000000".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let app = api_support::spawn_app_with(&env).await;
    let shop = app.shop("1000000.00", "15.10", "39.99").await;
    for _ in 0..WARM_UP_ORDERS {
        app.buy(&shop).await;
    }
    wait_for_purchases(&app, WARM_UP_ORDERS, None).await?;
    let window_start: i64 = sqlx::query_scalar("SELECT coalesce(max(append_id), 0) FROM event")
        .fetch_one(app.db.pool())
        .await?;

    let server_pid = app.server.id();
    let cpu_before = cpu_split(server_pid);
    let wall = Instant::now();
    let bar = progress_bar(orders as u64, "captureCheckout");
    let mut tasks = Vec::new();
    let app = std::sync::Arc::new(app);
    let shop = std::sync::Arc::new(shop);
    for client in 0..clients {
        let share = orders / clients + usize::from(client < orders % clients);
        let (app, shop, bar) = (app.clone(), shop.clone(), bar.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(share);
            for _ in 0..share {
                let checkout = app.check_out(&shop).await;
                let started = Instant::now();
                app.capture(&shop, &checkout).await;
                latencies.push(started.elapsed());
                bar.inc(1);
            }
            anyhow::Ok(latencies)
        }));
    }
    let mut latencies = Vec::with_capacity(orders);
    for task in tasks {
        latencies.extend(task.await??);
    }
    bar.finish();
    wait_for_purchases(&app, WARM_UP_ORDERS + orders, Some(orders)).await?;
    let wall = wall.elapsed().as_secs_f64();
    let cpu = cpu_split(server_pid).since(&cpu_before);

    let attempts = command_attempts(&app.metrics().await);
    let timing = purchase_timing(app.db.pool(), window_start).await?;
    let raw_seconds = replay_raw(app.db.pool(), window_start, &timing, clients).await?;
    latencies.sort();
    Ok(Row {
        clients,
        orders,
        orders_per_second: orders as f64 / timing.seconds,
        raw_orders_per_second: orders as f64 / raw_seconds,
        capture_p50_ms: millis(percentile(&latencies, 50)),
        capture_p99_ms: millis(percentile(&latencies, 99)),
        purchase_p50_ms: millis(percentile(&timing.per_order, 50)),
        purchase_p99_ms: millis(percentile(&timing.per_order, 99)),
        attempts,
        cpu: cpu.per_wall_second(wall),
    })
}

/// Waits until the log holds `total` purchases (and no failed order).
async fn wait_for_purchases(
    app: &App,
    total: usize,
    measured: Option<usize>,
) -> anyhow::Result<()> {
    let bar = measured.map(|orders| progress_bar(orders as u64, "PURCHASED"));
    let deadline = Instant::now() + Duration::from_secs(PURCHASE_WAIT_SECS);
    loop {
        let (purchased, failed): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE event_type = 'OrderPurchased'), \
                    count(*) FILTER (WHERE event_type = 'OrderFailed') FROM event",
        )
        .fetch_one(app.db.pool())
        .await?;
        if failed > 0 {
            bail!("{failed} orders failed: the benchmark measures purchases only");
        }
        if let Some(bar) = &bar {
            bar.set_position((purchased as u64).saturating_sub(WARM_UP_ORDERS as u64));
        }
        if purchased as usize >= total {
            if let Some(bar) = bar {
                bar.finish();
            }
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!(
                "only {purchased} of {total} orders were purchased within {PURCHASE_WAIT_SECS} s"
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
