//! The autonomous cycle end to end through GraphQL, with the fake providers:
//! orders per second from capture to PURCHASED and the latency of
//! `captureCheckout`, at 1 and 16 concurrent clients, beside raw PostgreSQL
//! doing the same writes on the same server in the same run.
//!
//! ```text
//! cargo bench --bench cycle             # 100 orders at 1 client, 480 at 16
//! cargo bench --bench cycle -- --quick  # a smoke run: 10 and 48 orders
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

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use api_support::App;
use chrono::{DateTime, Utc};
use cycle::{Fakes, LAMP};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;

/// (concurrent clients, orders) of a full run.
const LEVELS: [(usize, usize); 2] = [(1, 100), (16, 480)];
/// A quick run's orders are this fraction of a full run's.
const QUICK_DIVISOR: usize = 10;
/// Orders before the measured ones: connections, caches and plans warm up.
const WARM_UP_ORDERS: usize = 3;
/// How long the server may take to purchase every order of a level.
const PURCHASE_WAIT_SECS: u64 = 600;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let mut rows = Vec::new();
    for (clients, orders) in LEVELS {
        let orders = if quick {
            orders / QUICK_DIVISOR
        } else {
            orders
        };
        rows.push(run_level(clients, orders).await?);
    }
    println!();
    println!("| clients | orders | capture → PURCHASED orders/s | raw PostgreSQL orders/s (same writes) | captureCheckout p50 | p99 | capture → PURCHASED p50 | p99 |");
    println!("|---:|---:|---:|---:|---:|---:|---:|---:|");
    for row in &rows {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} ms | {:.1} ms | {:.0} ms | {:.0} ms |",
            row.clients,
            row.orders,
            row.orders_per_second,
            row.raw_orders_per_second,
            row.capture_p50_ms,
            row.capture_p99_ms,
            row.purchase_p50_ms,
            row.purchase_p99_ms
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
}

async fn run_level(clients: usize, orders: usize) -> anyhow::Result<Row> {
    println!("\n== {clients} client(s), {orders} orders ==");
    // Enough cash for every order's purchase and payouts.
    let fakes = Fakes::start(false, "1000000.00").await;
    // The catalogue's stock would run out long before the last order.
    fakes.aliexpress.set_product_stock(LAMP, 1_000_000);
    let mut env = fakes.env();
    env.push(("AUTH_REQUESTS_PER_MINUTE".into(), "100000".into()));
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
                let order_id = app.check_out(&shop).await;
                let started = Instant::now();
                app.capture(&shop, &order_id).await;
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

/// Capture → PURCHASED, from the log's recorded times.
struct PurchaseTiming {
    /// First capture to last purchase of the measured orders.
    seconds: f64,
    /// Each order's capture → purchase.
    per_order: Vec<Duration>,
    /// The last purchase's append: the end of the measured window.
    window_end: i64,
}

async fn purchase_timing(pool: &PgPool, window_start: i64) -> anyhow::Result<PurchaseTiming> {
    let rows: Vec<(DateTime<Utc>, DateTime<Utc>, i64)> = sqlx::query_as(
        "SELECT paid.recorded_at, purchased.recorded_at, purchased.append_id \
         FROM event paid JOIN event purchased \
           ON purchased.stream_id = paid.stream_id AND purchased.event_type = 'OrderPurchased' \
         WHERE paid.event_type = 'OrderPaid' AND paid.append_id > $1",
    )
    .bind(window_start)
    .fetch_all(pool)
    .await?;
    let first = rows
        .iter()
        .map(|row| row.0)
        .min()
        .context("no measured orders")?;
    let last = rows
        .iter()
        .map(|row| row.1)
        .max()
        .context("no measured orders")?;
    let mut per_order: Vec<Duration> = rows
        .iter()
        .map(|(paid, purchased, _)| (*purchased - *paid).to_std().unwrap_or_default())
        .collect();
    per_order.sort();
    Ok(PurchaseTiming {
        seconds: (last - first).to_std()?.as_secs_f64(),
        per_order,
        window_end: rows.iter().map(|row| row.2).max().unwrap_or(window_start),
    })
}

/// Replays the window's transactions as plain INSERTs on `clients`
/// connections; the seconds they took.
async fn replay_raw(
    pool: &PgPool,
    window_start: i64,
    timing: &PurchaseTiming,
    clients: usize,
) -> anyhow::Result<f64> {
    sqlx::query(
        "CREATE TABLE raw_event (
            append_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id       uuid NOT NULL UNIQUE,
            stream_id      text NOT NULL,
            stream_version bigint NOT NULL,
            event_type     text NOT NULL,
            schema_version integer NOT NULL,
            payload        json NOT NULL,
            metadata       json NOT NULL,
            recorded_at    timestamptz NOT NULL DEFAULT now(),
            UNIQUE (stream_id, stream_version)
        )",
    )
    .execute(pool)
    .await?;
    // One append is one transaction; its events share the recorded time.
    let events: Vec<RawEvent> = sqlx::query_as(
        "SELECT recorded_at, event_id, stream_id, stream_version, event_type, schema_version, \
                payload::text, metadata::text \
         FROM event WHERE append_id > $1 AND append_id <= $2 ORDER BY append_id",
    )
    .bind(window_start)
    .bind(timing.window_end)
    .fetch_all(pool)
    .await?;
    let mut transactions: Vec<Vec<RawEvent>> = Vec::new();
    for event in events {
        match transactions.last_mut() {
            Some(last) if last[0].recorded_at == event.recorded_at => last.push(event),
            _ => transactions.push(vec![event]),
        }
    }
    let mut queues: Vec<Vec<Vec<RawEvent>>> = (0..clients).map(|_| Vec::new()).collect();
    for (index, transaction) in transactions.into_iter().enumerate() {
        queues[index % clients].push(transaction);
    }
    let started = Instant::now();
    let mut tasks = Vec::new();
    for queue in queues {
        let pool = pool.clone();
        tasks.push(tokio::spawn(async move {
            for transaction in queue {
                insert_raw(&pool, &transaction).await?;
            }
            anyhow::Ok(())
        }));
    }
    for task in tasks {
        task.await??;
    }
    Ok(started.elapsed().as_secs_f64())
}

#[derive(sqlx::FromRow)]
struct RawEvent {
    recorded_at: DateTime<Utc>,
    event_id: uuid::Uuid,
    stream_id: String,
    stream_version: i64,
    event_type: String,
    schema_version: i32,
    payload: String,
    metadata: String,
}

async fn insert_raw(pool: &PgPool, events: &[RawEvent]) -> anyhow::Result<()> {
    let column = |f: fn(&RawEvent) -> String| events.iter().map(f).collect::<Vec<_>>();
    let ids: Vec<uuid::Uuid> = events.iter().map(|e| e.event_id).collect();
    let versions: Vec<i64> = events.iter().map(|e| e.stream_version).collect();
    let schemas: Vec<i32> = events.iter().map(|e| e.schema_version).collect();
    sqlx::query(
        "INSERT INTO raw_event (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata) \
         SELECT * FROM unnest($1::uuid[], $2::text[], $3::int8[], $4::text[], $5::int4[], $6::json[], $7::json[])",
    )
    .bind(&ids)
    .bind(column(|e| e.stream_id.clone()))
    .bind(&versions)
    .bind(column(|e| e.event_type.clone()))
    .bind(&schemas)
    .bind(column(|e| e.payload.clone()))
    .bind(column(|e| e.metadata.clone()))
    .execute(pool)
    .await?;
    Ok(())
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

fn progress_bar(total: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(label.to_owned());
    bar
}
