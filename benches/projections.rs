//! Rebuilding every projection from a generated log, beside the raw read
//! rate of the same log, on the same server in the same run.
//!
//! ```text
//! cargo bench --bench projections              # 1,000,000+ events (generated once, then reused)
//! cargo bench --bench projections -- --quick   # a smoke run over ~50,000 events
//! cargo bench --bench projections -- --fresh   # regenerate the log even if one is there
//! cargo bench --bench projections -- --each    # also rebuild each projection on its own
//! ```
//!
//! The log is a realistic business (orders through captures, purchases,
//! sales and payouts, with failures, refunds and capital contributions),
//! decided by the domain's own rules and appended through the store in
//! batches. "raw read" is a `read_all` loop over the log with nothing
//! applied: the ceiling a rebuild could reach. The rebuild builds the
//! shadow tables of all projections and swaps them in, as
//! `dropledger replay` does.

#[path = "../projections/tests/common/generator.rs"]
mod generator;

use std::time::Instant;

use anyhow::Context;
use dropledger_devdb::locate_server;
use dropledger_eventstore::{EventStore, MIGRATOR, READ_EVENTS_MAX};
use dropledger_projections::{rebuild, RebuildPhase};
use generator::{Business, Versions};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Executor, PgPool};

const BENCH_DATABASE: &str = "dropledger_bench_projections";
/// Events appended per transaction while generating the log.
const WAVE_EVENTS: usize = 20_000;
/// The full run's log size, and the target rate of a full rebuild.
const FULL_EVENTS: u64 = 1_000_000;
const QUICK_EVENTS: u64 = 50_000;
const TARGET_EVENTS_PER_SECOND: f64 = 50_000.0;

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let quick = args.iter().any(|arg| arg == "--quick");
    let fresh = args.iter().any(|arg| arg == "--fresh");
    let wanted = if quick { QUICK_EVENTS } else { FULL_EVENTS };
    let database = if quick {
        format!("{BENCH_DATABASE}_quick")
    } else {
        BENCH_DATABASE.to_owned()
    };
    let pool = database_with_log(&database, wanted, fresh).await?;
    let store = EventStore::new(pool.clone());
    let head = store
        .wait_for_log(std::time::Duration::from_secs(30))
        .await?
        .head;

    // The raw read rate of the same log.
    let bar = progress_bar(head, "raw read");
    let started = Instant::now();
    let mut position = 0;
    loop {
        let events = store.read_all(position, READ_EVENTS_MAX).await?;
        let Some(last) = events.last() else { break };
        position = last.position;
        bar.set_position(position);
    }
    let read_seconds = started.elapsed().as_secs_f64();
    bar.finish_and_clear();

    // A full rebuild of every projection.
    let bar = progress_bar(head, "rebuild");
    let mut phases: Vec<(RebuildPhase, f64)> = Vec::new();
    let report = rebuild(&store, None, &mut |progress| {
        if phases.last().map(|(phase, _)| *phase) != Some(progress.phase) {
            phases.push((progress.phase, progress.elapsed.as_secs_f64()));
        }
        bar.set_position(progress.position.min(head));
        let phase = match progress.phase {
            RebuildPhase::Loading => "loading",
            RebuildPhase::Indexing => "indexing",
            RebuildPhase::Swapping => "swapping",
            RebuildPhase::Done => "done",
        };
        bar.set_message(format!(
            "{phase}, {:.0} events/s",
            progress.events_per_second
        ));
    })
    .await?;
    bar.finish_and_clear();

    let phases: Vec<String> = phases
        .iter()
        .map(|(phase, at)| format!("{phase:?} from {at:.2}s"))
        .collect();
    println!("rebuild phases: {}", phases.join(", "));
    println!();
    println!(
        "projections over {head} events ({})",
        if quick { "--quick" } else { "full" }
    );
    println!();
    println!("| workload | events | seconds | events/s |");
    println!("|---|---:|---:|---:|");
    println!(
        "| raw read (`read_all` loop) | {head} | {read_seconds:.2} | {:.0} |",
        head as f64 / read_seconds
    );
    println!(
        "| rebuild all projections (load, index, swap) | {} | {:.2} | {:.0} |",
        report.events,
        report.elapsed.as_secs_f64(),
        report.events_per_second
    );
    if args.iter().any(|arg| arg == "--each") {
        for name in ["ledger", "commerce", "audit"] {
            let report = rebuild(&store, Some(name), &mut |_| {}).await?;
            println!(
                "| rebuild {name} only | {} | {:.2} | {:.0} |",
                report.events,
                report.elapsed.as_secs_f64(),
                report.events_per_second
            );
        }
    }
    println!();
    println!(
        "target: a full rebuild at >= {TARGET_EVENTS_PER_SECOND:.0} events/s: {}",
        if report.events_per_second >= TARGET_EVENTS_PER_SECOND {
            "met"
        } else {
            "NOT met"
        }
    );
    Ok(())
}

fn progress_bar(length: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(length);
    bar.set_style(
        ProgressStyle::with_template(&format!(
            "{label:>10} [{{bar:40}}] {{pos}}/{{len}} {{per_sec}} eta {{eta}} {{msg}}"
        ))
        .expect("a valid template")
        .progress_chars("=> "),
    );
    bar
}

/// The bench database with a log of at least `wanted` events, generated
/// (once) when it has fewer.
async fn database_with_log(database: &str, wanted: u64, fresh: bool) -> anyhow::Result<PgPool> {
    let url = std::env::var("DATABASE_URL").ok();
    let server = locate_server(url.as_deref(), std::path::Path::new(".dropledger")).await?;
    let connect = || async {
        PgPoolOptions::new()
            .max_connections(8)
            .connect_with(server.database(database))
            .await
    };
    if !fresh {
        if let Ok(pool) = connect().await {
            if MIGRATOR.run(&pool).await.is_ok() {
                let store = EventStore::new(pool.clone());
                let head = store
                    .wait_for_log(std::time::Duration::from_secs(30))
                    .await?
                    .head;
                if head >= wanted {
                    println!("reusing the log of {head} events in database {database}");
                    return Ok(pool);
                }
            }
            pool.close().await;
        }
    }
    let mut admin = sqlx::ConnectOptions::connect(&server.admin).await?;
    admin
        .execute(format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)").as_str())
        .await?;
    admin
        .execute(format!("CREATE DATABASE {database}").as_str())
        .await?;
    let pool = connect().await?;
    MIGRATOR
        .run(&pool)
        .await
        .context("migrating the bench database")?;
    generate(&EventStore::new(pool.clone()), wanted).await?;
    Ok(pool)
}

/// Appends a seeded business's facts in waves until the log holds `wanted` events.
async fn generate(store: &EventStore, wanted: u64) -> anyhow::Result<()> {
    let bar = progress_bar(wanted, "generate");
    let mut business = Business::new(2026).with_orders_in_flight(2_000);
    let mut versions = Versions::default();
    let mut appended = 0_u64;
    for fact in business.setup() {
        appended += versions.append_fact(store, fact).await? as u64;
    }
    while appended < wanted {
        let mut wave = Vec::new();
        let (mut events, mut capital_events) = (0, 0);
        // A stream takes at most APPEND_EVENTS_MAX events per append; the
        // capital stream is the one that grows fastest.
        while events < WAVE_EVENTS && capital_events < dropledger_eventstore::APPEND_EVENTS_MAX / 2
        {
            let fact = business.step();
            for (stream, stream_events) in &fact {
                events += stream_events.len();
                if stream.starts_with("capital-") {
                    capital_events += stream_events.len();
                }
            }
            wave.push(fact);
        }
        appended += versions.append_wave(store, wave).await? as u64;
        bar.set_position(appended.min(wanted));
    }
    bar.finish_and_clear();
    println!("generated {appended} events");
    Ok(())
}
