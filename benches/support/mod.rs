//! What the end-to-end benchmarks share: reading capture → PURCHASED
//! times from the log, replaying the same writes on raw PostgreSQL, the
//! server's retry counts, percentiles and progress bars.

// Each benchmark includes this module and uses part of it.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, Utc};
use indicatif::{ProgressBar, ProgressStyle};
use sqlx::PgPool;

pub mod counters;

/// Capture → PURCHASED, from the log's recorded times.
pub struct PurchaseTiming {
    /// First capture to last purchase of the measured orders.
    pub seconds: f64,
    /// Each order's capture → purchase.
    pub per_order: Vec<Duration>,
    /// The last purchase's append: the end of the measured window.
    pub window_end: i64,
}

pub async fn purchase_timing(pool: &PgPool, window_start: i64) -> anyhow::Result<PurchaseTiming> {
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
pub async fn replay_raw(
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

pub fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted[rank - 1]
}

pub fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

pub fn progress_bar(total: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{msg:>16} [{bar:40}] {pos}/{len} {per_sec} eta {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_message(label.to_owned());
    bar
}

/// How many times the server decided its commands before appending them
/// (1: no retry), from its `/metrics` histogram: (p50, p99, max, commands).
pub fn command_attempts(metrics: &str) -> (u32, u32, u32, u64) {
    let mut buckets: Vec<(f64, u64)> = Vec::new();
    for line in metrics.lines() {
        let Some(rest) = line.strip_prefix("dropledger_command_attempts_bucket{le=\"") else {
            continue;
        };
        let Some((bound, count)) = rest.split_once("\"} ") else {
            continue;
        };
        let bound = if bound == "+Inf" {
            f64::INFINITY
        } else {
            bound.parse().unwrap_or(f64::INFINITY)
        };
        buckets.push((bound, count.trim().parse().unwrap_or(0)));
    }
    let total = buckets.iter().map(|(_, count)| *count).max().unwrap_or(0);
    let at = |share: f64| -> u32 {
        let wanted = (total as f64 * share).ceil().max(1.0) as u64;
        buckets
            .iter()
            .find(|(_, count)| *count >= wanted)
            .map_or(0, |(bound, _)| {
                if bound.is_finite() {
                    *bound as u32
                } else {
                    u32::MAX
                }
            })
    };
    if total == 0 {
        return (0, 0, 0, 0);
    }
    (at(0.5), at(0.99), at(1.0), total)
}

/// CPU time (user + system) of the processes whose command name is `name`
/// (`None`: of process `pid` only), from `/proc`: where a run's time went.
/// Each process's reaped children count too, so PostgreSQL's backends that
/// ended between two readings stay in the sum, in their postmaster's.
pub fn cpu_seconds(pid: Option<u32>, name: Option<&str>) -> f64 {
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat_of = |pid: &str| -> Option<(String, f64)> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (head, rest) = stat.rsplit_once(") ")?;
        let command = head.split_once(" (")?.1.to_owned();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        // Fields 14 to 17 of stat (utime, stime, cutime, cstime), counted
        // after the name.
        let mut ticks = 0.0;
        for field in 11..=14 {
            ticks += fields.get(field)?.parse::<f64>().ok()?;
        }
        Some((command, ticks / TICKS_PER_SECOND))
    };
    if let Some(pid) = pid {
        return stat_of(&pid.to_string()).map_or(0.0, |(_, seconds)| seconds);
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| stat_of(entry.file_name().to_str()?))
        .filter(|(command, _)| Some(command.as_str()) == name)
        .map(|(_, seconds)| seconds)
        .sum()
}

/// CPU seconds of the server, of PostgreSQL (every `postgres` process) and
/// of this process (the clients and the fake providers).
#[derive(Clone, Copy)]
pub struct CpuSplit {
    pub server: f64,
    pub postgres: f64,
    pub bench: f64,
}

pub fn cpu_split(server_pid: Option<u32>) -> CpuSplit {
    CpuSplit {
        server: server_pid.map_or(0.0, |pid| cpu_seconds(Some(pid), None)),
        postgres: cpu_seconds(None, Some("postgres")),
        bench: cpu_seconds(Some(std::process::id()), None),
    }
}

impl CpuSplit {
    pub fn since(&self, before: &CpuSplit) -> CpuSplit {
        CpuSplit {
            server: self.server - before.server,
            postgres: self.postgres - before.postgres,
            bench: self.bench - before.bench,
        }
    }

    /// Cores busy on average over `wall` seconds.
    pub fn per_wall_second(&self, wall: f64) -> CpuSplit {
        CpuSplit {
            server: self.server / wall,
            postgres: self.postgres / wall,
            bench: self.bench / wall,
        }
    }
}
