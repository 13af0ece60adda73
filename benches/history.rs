//! The cost of one order with an empty log and with a long history before
//! it: does a shop with 100,000 orders behind it serve the next one as fast
//! as a new shop? Beside raw PostgreSQL doing the same writes, in the same
//! run on the same server.
//!
//! ```text
//! cargo bench --bench history             # 0 and 100,000 earlier orders
//! cargo bench --bench history -- --quick  # 0 and 10,000: a smoke run
//! ```
//!
//! The history is a realistic business (the projections benchmark's
//! generator: orders through captures, purchases, sales, payouts, refunds,
//! contributions, reconciliations) appended directly, in large batches. It
//! is the log an earlier server left: its process managers' checkpoints are
//! at the head (they dealt with it), its read models are rebuilt by the new
//! server before anything is measured, as they would be after an upgrade.
//! Then one client buys orders one after another through GraphQL on the
//! local fakes — `createCheckout`, the buyer's approval at PayPal,
//! `captureCheckout` — and waits until the server has bought each one from
//! the supplier: that whole round is the order's cost. "raw" replays the
//! measured orders' appends as plain INSERTs on one connection.

#[path = "../tests/api_support/mod.rs"]
mod api_support;
#[path = "../tests/api_support/cycle.rs"]
mod cycle;
#[path = "../projections/tests/common/generator.rs"]
mod generator;
mod support;

use std::time::{Duration, Instant};

use anyhow::bail;
use api_support::{start_server, App};
use cycle::{Fakes, Shop, LAMP};
use dropledger_devdb::TestDatabase;
use dropledger_eventstore::{EventStore, APPEND_EVENTS_MAX};
use generator::{Business, Versions};
use support::{millis, percentile, progress_bar, purchase_timing, replay_raw};

/// Earlier orders of a full run, and of a quick one.
const HISTORY_ORDERS: usize = 100_000;
const QUICK_HISTORY_ORDERS: usize = 10_000;
/// Orders measured at each history length.
const MEASURED_ORDERS: usize = 60;
const QUICK_MEASURED_ORDERS: usize = 15;
/// Orders before the measured ones: connections, caches and plans warm up.
const WARM_UP_ORDERS: usize = 5;
/// Events appended per transaction while generating the history.
const WAVE_EVENTS: usize = 20_000;
/// The process managers an earlier server ran over the history.
const MANAGERS: [&str; 4] = ["fulfilment", "sale", "payout", "reconciliation"];
/// How long a server may take to rebuild its read models, or to buy one order.
const CATCH_UP_WAIT: Duration = Duration::from_secs(900);
const PURCHASE_WAIT: Duration = Duration::from_secs(60);
/// The target: the long history's median within this factor of the empty one's.
const TARGET_RATIO: f64 = 1.2;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let quick = std::env::args().any(|arg| arg == "--quick");
    let (history, measured) = if quick {
        (QUICK_HISTORY_ORDERS, QUICK_MEASURED_ORDERS)
    } else {
        (HISTORY_ORDERS, MEASURED_ORDERS)
    };
    let empty = run(0, measured).await?;
    let long = run(history, measured).await?;
    println!();
    println!("| earlier orders | events in the log | order p50 | order p90 | capture → PURCHASED p50 | raw PostgreSQL, same writes, per order | p50 vs empty log |");
    println!("|---:|---:|---:|---:|---:|---:|---:|");
    for row in [&empty, &long] {
        println!(
            "| {} | {} | {:.1} ms | {:.1} ms | {:.1} ms | {:.2} ms | {:.2}× |",
            row.history,
            row.events,
            row.order_p50_ms,
            row.order_p90_ms,
            row.purchase_p50_ms,
            row.raw_ms_per_order,
            row.order_p50_ms / empty.order_p50_ms,
        );
    }
    let ratio = long.order_p50_ms / empty.order_p50_ms;
    println!(
        "\ntarget: the median order with {history} earlier orders within {TARGET_RATIO}× of the empty log's: {:.2}× ({})",
        ratio,
        if ratio <= TARGET_RATIO { "met" } else { "NOT met" }
    );
    Ok(())
}

struct Row {
    history: usize,
    events: i64,
    order_p50_ms: f64,
    order_p90_ms: f64,
    purchase_p50_ms: f64,
    raw_ms_per_order: f64,
}

async fn run(history: usize, measured: usize) -> anyhow::Result<Row> {
    println!("\n== {history} earlier orders ==");
    let fakes = Fakes::start(false, "100000000.00").await;
    fakes.aliexpress.set_product_stock(LAMP, 10_000_000);
    let db = TestDatabase::new().await;
    if history > 0 {
        generate(&db.store(), history).await?;
    }
    let mut env = fakes.env();
    env.push(("AUTH_REQUESTS_PER_MINUTE".into(), "100000".into()));
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let (server, address) = start_server(&db.url(), &env).await;
    let app = App {
        address,
        db,
        http: reqwest::Client::new(),
        server,
    };
    wait_for_read_models(&app).await?;
    let events: i64 = sqlx::query_scalar("SELECT count(*) FROM event")
        .fetch_one(app.db.pool())
        .await?;

    let shop = app.shop("100000000.00", "15.10", "39.99").await;
    for _ in 0..WARM_UP_ORDERS {
        buy_and_wait(&app, &shop).await?;
    }
    let window_start: i64 = sqlx::query_scalar("SELECT coalesce(max(append_id), 0) FROM event")
        .fetch_one(app.db.pool())
        .await?;
    let bar = progress_bar(measured as u64, "orders");
    let mut per_order = Vec::with_capacity(measured);
    for _ in 0..measured {
        per_order.push(buy_and_wait(&app, &shop).await?);
        bar.inc(1);
    }
    bar.finish();
    per_order.sort();

    let timing = purchase_timing(app.db.pool(), window_start).await?;
    let raw_seconds = replay_raw(app.db.pool(), window_start, &timing, 1).await?;
    Ok(Row {
        history,
        events,
        order_p50_ms: millis(percentile(&per_order, 50)),
        order_p90_ms: millis(percentile(&per_order, 90)),
        purchase_p50_ms: millis(percentile(&timing.per_order, 50)),
        raw_ms_per_order: raw_seconds * 1000.0 / measured as f64,
    })
}

/// One order, from `createCheckout` until the server has bought it.
async fn buy_and_wait(app: &App, shop: &Shop) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let order_id = app.check_out(shop).await;
    app.capture(shop, &order_id).await;
    let stream = format!("order-{order_id}");
    let deadline = Instant::now() + PURCHASE_WAIT;
    loop {
        let purchased: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT FROM event WHERE stream_id = $1 AND event_type = 'OrderPurchased')",
        )
        .bind(&stream)
        .fetch_one(app.db.pool())
        .await?;
        if purchased {
            return Ok(started.elapsed());
        }
        if Instant::now() > deadline {
            bail!("order {order_id} was not purchased within {PURCHASE_WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Appends a seeded business's facts until it has created `orders` orders;
/// then marks the history as dealt with by the process managers.
async fn generate(store: &EventStore, orders: usize) -> anyhow::Result<()> {
    let bar = progress_bar(orders as u64, "history");
    let mut business = Business::new(2026).with_orders_in_flight(2_000);
    let mut versions = Versions::default();
    for fact in business.setup() {
        versions.append_fact(store, fact).await?;
    }
    let mut created = 0;
    while created < orders {
        let mut wave = Vec::new();
        let (mut events, mut capital_events) = (0, 0);
        // A stream takes at most APPEND_EVENTS_MAX events per append; the
        // capital stream is the one that grows fastest.
        while events < WAVE_EVENTS && capital_events < APPEND_EVENTS_MAX / 2 && created < orders {
            let fact = business.step();
            for (stream, stream_events) in &fact {
                events += stream_events.len();
                if stream.starts_with("capital-") {
                    capital_events += stream_events.len();
                }
                created += stream_events
                    .iter()
                    .filter(|event| event.event_type == "OrderCreated")
                    .count();
            }
            wave.push(fact);
        }
        versions.append_wave(store, wave).await?;
        bar.set_position(created as u64);
    }
    bar.finish();
    let head = store.wait_for_log(Duration::from_secs(60)).await?.head;
    for manager in MANAGERS {
        sqlx::query(
            "INSERT INTO process_checkpoint (name, position) VALUES ($1, $2) \
             ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
        )
        .bind(manager)
        .bind(head as i64)
        .execute(store.pool())
        .await?;
    }
    Ok(())
}

/// Waits until every read model has applied the whole log.
async fn wait_for_read_models(app: &App) -> anyhow::Result<()> {
    let store = EventStore::new(app.db.pool().clone());
    let head = store.wait_for_log(Duration::from_secs(60)).await?.head as i64;
    let bar = progress_bar(head as u64, "read models");
    let deadline = Instant::now() + CATCH_UP_WAIT;
    loop {
        let slowest: i64 = sqlx::query_scalar("SELECT min(position) FROM projection_checkpoint")
            .fetch_one(app.db.pool())
            .await?;
        bar.set_position(slowest as u64);
        if slowest >= head {
            bar.finish();
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the read models reached {slowest} of {head} within {CATCH_UP_WAIT:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
