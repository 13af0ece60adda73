//! Event store throughput beside raw PostgreSQL, on the same server in the same run.
//!
//! ```text
//! cargo bench --bench eventstore              # the full run (about a minute)
//! cargo bench --bench eventstore -- --quick   # a smoke run with small counts
//! ```
//!
//! The raw baseline inserts rows of the same shape (same columns, same
//! unique constraints) into a plain table with plain INSERTs: no stream
//! versions, no idempotency, no commit-order index, no sequencer. The store
//! runs as it does in production: a subscriber follows the log during the
//! appends, so the sequencer's work is part of what is measured. Full-log
//! reads report the best of three alternating runs of each side.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use dropledger_devdb::locate_server;
use dropledger_eventstore::{
    EventStore, ExpectedVersion, Metadata, NewEvent, SubscriptionOptions, MIGRATOR,
};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use serde_json::value::RawValue;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool, Row};
use uuid::Uuid;

const BENCH_DATABASE: &str = "dropledger_bench";
const WRITERS_MAX: u32 = 8;
const READ_BATCH_EVENTS: i64 = 10_000;
const READ_RUNS: usize = 3;

/// How many operations each workload runs.
struct Sizes {
    single_appends: u64,
    batch_appends: u64,
    batch_events: u64,
}

impl Sizes {
    fn from_args() -> Self {
        if std::env::args().any(|arg| arg == "--quick") {
            Self {
                single_appends: 400,
                batch_appends: 40,
                batch_events: 100,
            }
        } else {
            Self {
                single_appends: 4_000,
                batch_appends: 2_000,
                batch_events: 100,
            }
        }
    }
}

/// One line of the result table.
struct ResultLine {
    workload: String,
    store: f64,
    raw: f64,
    target: &'static str,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let sizes = Sizes::from_args();
    let pool = fresh_database().await?;
    let store = EventStore::new(pool.clone());

    // A live subscriber, as in production: it drives the sequencer.
    let follower = {
        let mut subscription = store.subscribe(0, SubscriptionOptions::default());
        tokio::spawn(async move { while subscription.next_batch().await.is_ok() {} })
    };

    let mut rows = Vec::new();
    for writers in [1_u64, 8] {
        let count = sizes.single_appends;
        let label = format!("single-event appends, {writers} writer(s)");
        let store_rate = measure(&format!("{label}: store"), count, writers, {
            let store = store.clone();
            move |n| {
                let store = store.clone();
                async move {
                    store
                        .append(
                            &format!("order-{writers}-{n}"),
                            ExpectedVersion::NoStream,
                            &[order_event(n)],
                        )
                        .await
                        .map(|_| ())
                        .context("store append")
                }
            }
        })
        .await?;
        let raw_rate =
            measure(&format!("{label}: raw"), count, writers, {
                let pool = pool.clone();
                move |n| {
                    let pool = pool.clone();
                    async move {
                        raw_insert(&pool, &format!("order-{writers}-{n}"), &order_event(n)).await
                    }
                }
            })
            .await?;
        rows.push(ResultLine {
            workload: label,
            store: store_rate,
            raw: raw_rate,
            target: if writers == 8 { ">= 60 % of raw" } else { "" },
        });
    }

    let batch = sizes.batch_events;
    let label = format!("{batch}-event batch appends, 1 writer");
    let batches = sizes.batch_appends;
    let store_rate = measure(&format!("{label}: store"), batches, 1, {
        let store = store.clone();
        move |n| {
            let store = store.clone();
            async move {
                let events: Vec<NewEvent> =
                    (0..batch).map(|i| order_event(n * batch + i)).collect();
                store
                    .append(&format!("batch-{n}"), ExpectedVersion::NoStream, &events)
                    .await
                    .map(|_| ())
                    .context("store batch append")
            }
        }
    })
    .await?
        * batch as f64;
    let raw_rate = measure(&format!("{label}: raw"), batches, 1, {
        let pool = pool.clone();
        move |n| {
            let pool = pool.clone();
            async move {
                let events: Vec<NewEvent> =
                    (0..batch).map(|i| order_event(n * batch + i)).collect();
                raw_insert_batch(&pool, &format!("batch-{n}"), &events).await
            }
        }
    })
    .await?
        * batch as f64;
    rows.push(ResultLine {
        workload: label,
        store: store_rate,
        raw: raw_rate,
        target: ">= 50 % of raw",
    });

    follower.abort();
    let sequencing = Instant::now();
    let status = store.wait_for_log(Duration::from_secs(60)).await?;
    println!(
        "log head {} ({:.2}s to sequence what the follower had not yet)",
        status.head,
        sequencing.elapsed().as_secs_f64()
    );
    // Reads are short, so the best of a few alternating runs of each is
    // reported: a burst of other work on the machine shows in one run, not all.
    let (mut store_rate, mut raw_rate) = (0.0_f64, 0.0_f64);
    for _ in 0..READ_RUNS {
        store_rate = store_rate.max(read_store(&store, status.head).await?);
        raw_rate = raw_rate.max(read_raw(&pool).await?);
    }
    rows.push(ResultLine {
        workload: format!("read the whole log ({} events)", status.head),
        store: store_rate,
        raw: raw_rate,
        target: ">= 200,000 events/s",
    });

    print_table(&rows);
    pool.close().await;
    Ok(())
}

/// Runs `operation(0..count)` on `writers` concurrent tasks; returns operations/s.
async fn measure<F, Fut>(label: &str, count: u64, writers: u64, operation: F) -> anyhow::Result<f64>
where
    F: Fn(u64) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let progress = progress_bar(label, count);
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|writer| {
            let operation = operation.clone();
            let progress = progress.clone();
            tokio::spawn(async move {
                for n in (writer..count).step_by(writers as usize) {
                    operation(n).await?;
                    progress.inc(1);
                }
                Ok::<_, anyhow::Error>(())
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    Ok(count as f64 / elapsed)
}

fn progress_bar(label: &str, count: u64) -> ProgressBar {
    ProgressBar::new(count)
        .with_style(
            ProgressStyle::with_template("{msg:48} {bar:30} {pos}/{len} ({per_sec}, eta {eta})")
                .expect("a valid progress template"),
        )
        .with_message(label.to_owned())
}

/// An order event of realistic size, with balanced postings.
fn order_event(n: u64) -> NewEvent {
    let mut metadata = Metadata::new("system:bench");
    metadata.command_id = Some(Uuid::new_v4());
    NewEvent::new(
        "OrderPurchased",
        json!({
            "order_id": Uuid::new_v4(),
            "supplier_order_id": format!("AE{n:012}"),
            "supplier_cost": { "amount": "11.37", "currency": "USD" },
            "effective_at": "2026-11-25T12:00:00Z",
            "postings": [
                { "account": "supplier_cost", "amount": { "amount": "11.37", "currency": "USD" } },
                { "account": "cash_available", "amount": { "amount": "-11.37", "currency": "USD" } }
            ]
        }),
        metadata,
    )
}

async fn fresh_database() -> anyhow::Result<PgPool> {
    let url = std::env::var("DATABASE_URL").ok();
    let server = locate_server(url.as_deref(), std::path::Path::new(".dropledger")).await?;
    let mut admin = sqlx::ConnectOptions::connect(&server.admin).await?;
    admin
        .execute(format!("DROP DATABASE IF EXISTS {BENCH_DATABASE} WITH (FORCE)").as_str())
        .await?;
    admin
        .execute(format!("CREATE DATABASE {BENCH_DATABASE}").as_str())
        .await?;
    let pool = PgPoolOptions::new()
        .max_connections(WRITERS_MAX + 4)
        .connect_with(server.database(BENCH_DATABASE))
        .await?;
    MIGRATOR.run(&pool).await?;
    pool.execute(
        "CREATE TABLE raw_event (
            append_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            order_key      xid8 NOT NULL DEFAULT pg_current_xact_id(),
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
    .await?;
    Ok(pool)
}

async fn raw_insert(pool: &PgPool, stream_id: &str, event: &NewEvent) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO raw_event (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata) \
         VALUES ($1, $2, 1, $3, $4, $5::json, $6::json)",
    )
    .bind(event.event_id)
    .bind(stream_id)
    .bind(&event.event_type)
    .bind(event.schema_version)
    .bind(serde_json::to_string(&event.payload)?)
    .bind(serde_json::to_string(&event.metadata)?)
    .execute(pool)
    .await?;
    Ok(())
}

async fn raw_insert_batch(
    pool: &PgPool,
    stream_id: &str,
    events: &[NewEvent],
) -> anyhow::Result<()> {
    let ids: Vec<Uuid> = events.iter().map(|e| e.event_id).collect();
    let versions: Vec<i64> = (1..=events.len() as i64).collect();
    let types: Vec<&str> = events.iter().map(|e| e.event_type.as_str()).collect();
    let schema_versions: Vec<i32> = events.iter().map(|e| e.schema_version).collect();
    let payloads: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(&e.payload))
        .collect::<Result<_, _>>()?;
    let metadata: Vec<String> = events
        .iter()
        .map(|e| serde_json::to_string(&e.metadata))
        .collect::<Result<_, _>>()?;
    sqlx::query(
        "INSERT INTO raw_event (event_id, stream_id, stream_version, event_type, schema_version, payload, metadata) \
         SELECT id, $2, version, type, schema, payload::json, metadata::json \
         FROM unnest($1::uuid[], $3::int8[], $4::text[], $5::int4[], $6::text[], $7::text[]) \
              AS t(id, version, type, schema, payload, metadata)",
    )
    .bind(&ids)
    .bind(stream_id)
    .bind(&versions)
    .bind(&types)
    .bind(&schema_versions)
    .bind(&payloads)
    .bind(&metadata)
    .execute(pool)
    .await?;
    Ok(())
}

async fn read_store(store: &EventStore, head: u64) -> anyhow::Result<f64> {
    let progress = progress_bar("read the whole log: store", head);
    let started = Instant::now();
    let mut position = 0;
    let mut read = 0_u64;
    loop {
        let batch = store.read_all(position, READ_BATCH_EVENTS as usize).await?;
        let Some(last) = batch.last() else { break };
        position = last.position;
        read += batch.len() as u64;
        progress.set_position(read);
    }
    let elapsed = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    anyhow::ensure!(read == head, "read {read} events of {head}");
    Ok(read as f64 / elapsed)
}

/// Reads the raw table in the same batches and decodes the same columns.
async fn read_raw(pool: &PgPool) -> anyhow::Result<f64> {
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM raw_event")
        .fetch_one(pool)
        .await?;
    let progress = progress_bar("read the whole log: raw", total as u64);
    let started = Instant::now();
    let mut after = 0_i64;
    let mut read = 0_u64;
    loop {
        let rows = sqlx::query(
            "SELECT append_id, event_id, stream_id, stream_version, event_type, schema_version, \
                    payload::text, metadata::text, recorded_at \
             FROM raw_event WHERE append_id > $1 ORDER BY append_id LIMIT $2",
        )
        .bind(after)
        .bind(READ_BATCH_EVENTS)
        .fetch_all(pool)
        .await?;
        let Some(last) = rows.last() else { break };
        after = last.get(0);
        // The same decoding the store does: typed columns, the payload kept
        // as checked raw JSON, the metadata parsed.
        for row in &rows {
            let decoded = (
                row.get::<Uuid, _>(1),
                row.get::<String, _>(2),
                row.get::<i64, _>(3),
                row.get::<String, _>(4),
                row.get::<i32, _>(5),
                RawValue::from_string(row.get::<String, _>(6))?,
                serde_json::from_str::<Metadata>(row.get::<&str, _>(7))?,
                row.get::<chrono::DateTime<chrono::Utc>, _>(8),
            );
            std::hint::black_box(decoded);
        }
        read += rows.len() as u64;
        progress.set_position(read);
    }
    let elapsed = started.elapsed().as_secs_f64();
    progress.finish_and_clear();
    Ok(read as f64 / elapsed)
}

fn print_table(rows: &[ResultLine]) {
    println!();
    println!("| workload | store events/s | raw PostgreSQL events/s | store/raw | target |");
    println!("|---|---:|---:|---:|---|");
    for row in rows {
        println!(
            "| {} | {:.0} | {:.0} | {:.0} % | {} |",
            row.workload,
            row.store,
            row.raw,
            100.0 * row.store / row.raw,
            row.target
        );
    }
}
