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
//!
//! Each run also says where the work went: the server's and PostgreSQL's
//! CPU while idle and per order, and PostgreSQL's pages (visited, read from
//! outside shared buffers, written to WAL) per order, by table, with the
//! idle background left out (`support::counters`).

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
use support::counters::{CountersDelta, CountersReading};
use support::{cpu_split, millis, percentile, progress_bar, purchase_timing, replay_raw};

/// Earlier orders of a full run, and of a quick one.
const HISTORY_ORDERS: usize = 100_000;
const QUICK_HISTORY_ORDERS: usize = 10_000;
/// Orders measured at each history length.
const MEASURED_ORDERS: usize = 300;
const QUICK_MEASURED_ORDERS: usize = 15;
/// Orders before the measured ones: connections, caches and plans warm up.
const WARM_UP_ORDERS: usize = 20;
/// Events appended per transaction while generating the history.
const WAVE_EVENTS: usize = 20_000;
/// The process managers an earlier server ran over the history.
const MANAGERS: [&str; 4] = ["fulfilment", "sale", "payout", "reconciliation"];
/// How long a server may take to rebuild its read models, or to buy one order.
const CATCH_UP_WAIT: Duration = Duration::from_secs(900);
const PURCHASE_WAIT: Duration = Duration::from_secs(60);
/// The target: the long history's median within this factor of the empty one's.
const TARGET_RATIO: f64 = 1.2;
/// How long the server is watched doing nothing before the orders: its
/// background work (pollers, followers) per second of idle.
const IDLE_WINDOW: Duration = Duration::from_secs(10);
/// Tables listed in the page report: those whose pages were visited most.
const TABLES_REPORTED: usize = 10;

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
    println!();
    println!("Where the time went (CPU: server process / every postgres process):");
    println!("| earlier orders | idle: server cores | idle: PostgreSQL cores | per order: server CPU | per order: PostgreSQL CPU |");
    println!("|---:|---:|---:|---:|---:|");
    for row in [&empty, &long] {
        println!(
            "| {} | {:.3} | {:.3} | {:.1} ms | {:.1} ms |",
            row.history,
            row.idle_server_cores,
            row.idle_postgres_cores,
            row.server_cpu_ms_per_order,
            row.postgres_cpu_ms_per_order,
        );
    }
    println!();
    println!(
        "PostgreSQL's pages (WAL: the whole server's), per order and, while idle, per second:"
    );
    println!("| earlier orders | | WAL written | full-page images | pages read from outside shared buffers | pages found in them |");
    println!("|---:|---|---:|---:|---:|---:|");
    for row in [&empty, &long] {
        for (label, work) in [
            ("per order", &row.per_order),
            ("idle, per second", &row.background),
        ] {
            println!(
                "| {} | {label} | {:.1} KiB | {:.1} | {:.1} | {:.1} |",
                row.history,
                work.pages.wal_bytes / 1024.0,
                work.pages.full_page_images,
                work.pages.pages_read,
                work.pages.pages_hit,
            );
        }
    }
    for row in [&empty, &long] {
        for (label, work) in [
            ("per order", &row.per_order),
            ("idle, per second", &row.background),
        ] {
            println!(
                "\nTables whose pages were visited most, {label} ({} earlier orders):",
                row.history
            );
            println!("| table | pages visited | sequential scans | index scans |");
            println!("|---|---:|---:|---:|");
            for table in work.most_visited(TABLES_REPORTED) {
                println!(
                    "| {} | {:.1} | {:.1} | {:.1} |",
                    table.name, table.pages, table.seq_scans, table.index_scans
                );
            }
        }
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
    idle_server_cores: f64,
    idle_postgres_cores: f64,
    server_cpu_ms_per_order: f64,
    postgres_cpu_ms_per_order: f64,
    /// The database's work per second while idle.
    background: CountersDelta,
    /// The database's work per order, the background's left out.
    per_order: CountersDelta,
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
    // Every client is on loopback: one address's checkout and webhook limits.
    env.push(("CHECKOUTS_PER_MINUTE".into(), "1000000".into()));
    env.push(("WEBHOOKS_PER_MINUTE".into(), "1000000".into()));
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
    settle(&app).await?;
    // The background's work while idle, then the orders' less the
    // background's over as long: what the orders themselves cost.
    let server_pid = app.server.id();
    let idle_start = CountersReading::read(app.db.pool()).await?;
    let idle_cpu_before = cpu_split(server_pid);
    tokio::time::sleep(IDLE_WINDOW).await;
    let idle = cpu_split(server_pid)
        .since(&idle_cpu_before)
        .per_wall_second(IDLE_WINDOW.as_secs_f64());
    let orders_start = CountersReading::read(app.db.pool()).await?;
    let background = orders_start.since(&idle_start);
    let window_start: i64 = sqlx::query_scalar("SELECT coalesce(max(append_id), 0) FROM event")
        .fetch_one(app.db.pool())
        .await?;
    let cpu_before = cpu_split(server_pid);
    let bar = progress_bar(measured as u64, "orders");
    let mut per_order = Vec::with_capacity(measured);
    for _ in 0..measured {
        per_order.push(buy_and_wait(&app, &shop).await?);
        bar.inc(1);
    }
    bar.finish();
    per_order.sort();
    let cpu = cpu_split(server_pid).since(&cpu_before);
    let orders = CountersReading::read(app.db.pool())
        .await?
        .since(&orders_start)
        .less_background(&background);

    let timing = purchase_timing(app.db.pool(), window_start).await?;
    let raw_seconds = replay_raw(app.db.pool(), window_start, &timing, 1).await?;
    Ok(Row {
        history,
        events,
        order_p50_ms: millis(percentile(&per_order, 50)),
        order_p90_ms: millis(percentile(&per_order, 90)),
        purchase_p50_ms: millis(percentile(&timing.per_order, 50)),
        raw_ms_per_order: raw_seconds * 1000.0 / measured as f64,
        idle_server_cores: idle.server,
        idle_postgres_cores: idle.postgres,
        server_cpu_ms_per_order: cpu.server * 1000.0 / measured as f64,
        postgres_cpu_ms_per_order: cpu.postgres * 1000.0 / measured as f64,
        background: background.scaled(1.0 / background.seconds),
        per_order: orders.scaled(1.0 / measured as f64),
    })
}

/// Leaves the database as a shop that has lived with its history would
/// have it, not as a bulk load just left it: vacuumed and analysed (which
/// autovacuum would otherwise start in the middle of the measured orders,
/// on millions of fresh rows) and its dirty pages written by a checkpoint.
/// Both runs settle after their warm-up orders: analysed while still
/// empty, the new shop's event table would look so small to the planner
/// that it scans it whole for every stream read as it grows.
async fn settle(app: &App) -> anyhow::Result<()> {
    let started = Instant::now();
    sqlx::query("VACUUM (ANALYZE)")
        .execute(app.db.pool())
        .await?;
    sqlx::query("CHECKPOINT").execute(app.db.pool()).await?;
    println!(
        "vacuumed, analysed and checkpointed in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One order, from `createCheckout` until the server has bought it.
async fn buy_and_wait(app: &App, shop: &Shop) -> anyhow::Result<Duration> {
    let started = Instant::now();
    let checkout = app.check_out(shop).await;
    let order_id = &checkout.order_id;
    app.capture(shop, &checkout).await;
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
