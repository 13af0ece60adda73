//! PostgreSQL's own counters of what a run did in its database: pages
//! visited per table, pages read from outside shared buffers, WAL written.
//! They say where a database's work went without a profiler, and a long
//! log's extra work shows as extra pages.

use std::time::{Duration, Instant};

use sqlx::PgPool;

/// How long an idle PostgreSQL connection may keep its counters before
/// reporting them (PostgreSQL 15: ten seconds); a reading waits this long.
pub const STATISTICS_FLUSH: Duration = Duration::from_secs(11);

/// One table's counters (its indexes' pages included).
#[derive(Clone, Debug, Default)]
pub struct TableCounters {
    pub name: String,
    /// Table and index pages visited, in shared buffers or not.
    pub pages: f64,
    pub seq_scans: f64,
    pub index_scans: f64,
}

/// The database's counters, and the server's WAL.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageCounters {
    /// WAL bytes written by the whole server.
    pub wal_bytes: f64,
    /// Full-page images in that WAL: a page's first change after a checkpoint.
    pub full_page_images: f64,
    /// Pages read from outside shared buffers (the OS cache or the disk).
    pub pages_read: f64,
    /// Pages found in shared buffers.
    pub pages_hit: f64,
}

impl PageCounters {
    fn zip(&self, other: &PageCounters, f: impl Fn(f64, f64) -> f64) -> PageCounters {
        PageCounters {
            wal_bytes: f(self.wal_bytes, other.wal_bytes),
            full_page_images: f(self.full_page_images, other.full_page_images),
            pages_read: f(self.pages_read, other.pages_read),
            pages_hit: f(self.pages_hit, other.pages_hit),
        }
    }
}

impl TableCounters {
    fn zip(&self, other: &TableCounters, f: impl Fn(f64, f64) -> f64) -> TableCounters {
        TableCounters {
            name: self.name.clone(),
            pages: f(self.pages, other.pages),
            seq_scans: f(self.seq_scans, other.seq_scans),
            index_scans: f(self.index_scans, other.index_scans),
        }
    }
}

/// `tables` combined with the same-named table of `others` (zero when absent).
fn zip_tables(
    tables: &[TableCounters],
    others: &[TableCounters],
    f: impl Fn(f64, f64) -> f64 + Copy,
) -> Vec<TableCounters> {
    tables
        .iter()
        .map(|table| {
            let other = others
                .iter()
                .find(|other| other.name == table.name)
                .cloned()
                .unwrap_or_default();
            table.zip(&other, f)
        })
        .collect()
}

/// The counters at one moment.
pub struct CountersReading {
    at: Instant,
    pages: PageCounters,
    tables: Vec<TableCounters>,
}

/// What happened between two readings.
#[derive(Clone, Debug, Default)]
pub struct CountersDelta {
    pub seconds: f64,
    pub pages: PageCounters,
    pub tables: Vec<TableCounters>,
}

impl CountersReading {
    /// Waits [`STATISTICS_FLUSH`] so every connection has reported, then reads.
    pub async fn read(pool: &PgPool) -> anyhow::Result<CountersReading> {
        tokio::time::sleep(STATISTICS_FLUSH).await;
        let at = Instant::now();
        let (wal_bytes, full_page_images, pages_read, pages_hit): (i64, i64, i64, i64) =
            sqlx::query_as(
                "SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::int8, \
                        (SELECT wal_fpi FROM pg_stat_wal), blks_read, blks_hit \
                 FROM pg_stat_database WHERE datname = current_database()",
            )
            .fetch_one(pool)
            .await?;
        let tables: Vec<(String, i64, i64, i64)> = sqlx::query_as(
            "SELECT t.schemaname || '.' || t.relname, \
                    coalesce(io.heap_blks_read, 0) + coalesce(io.heap_blks_hit, 0) \
                      + coalesce(io.idx_blks_read, 0) + coalesce(io.idx_blks_hit, 0), \
                    coalesce(t.seq_scan, 0), coalesce(t.idx_scan, 0) \
             FROM pg_stat_user_tables t JOIN pg_statio_user_tables io USING (relid)",
        )
        .fetch_all(pool)
        .await?;
        Ok(CountersReading {
            at,
            pages: PageCounters {
                wal_bytes: wal_bytes as f64,
                full_page_images: full_page_images as f64,
                pages_read: pages_read as f64,
                pages_hit: pages_hit as f64,
            },
            tables: tables
                .into_iter()
                .map(|(name, pages, seq_scans, index_scans)| TableCounters {
                    name,
                    pages: pages as f64,
                    seq_scans: seq_scans as f64,
                    index_scans: index_scans as f64,
                })
                .collect(),
        })
    }

    /// What happened since `before`.
    pub fn since(&self, before: &CountersReading) -> CountersDelta {
        let minus = |now: f64, then: f64| now - then;
        CountersDelta {
            seconds: (self.at - before.at).as_secs_f64(),
            pages: self.pages.zip(&before.pages, minus),
            tables: zip_tables(&self.tables, &before.tables, minus),
        }
    }
}

impl CountersDelta {
    /// Every counter times `factor` (per order, per second).
    pub fn scaled(&self, factor: f64) -> CountersDelta {
        let times = move |count: f64, _: f64| count * factor;
        CountersDelta {
            seconds: self.seconds * factor,
            pages: self.pages.zip(&self.pages, times),
            tables: zip_tables(&self.tables, &self.tables, times),
        }
    }

    /// This delta less what `background` (measured while idle) would have
    /// done over as many seconds: the work of what ran in between.
    pub fn less_background(&self, background: &CountersDelta) -> CountersDelta {
        let idle = background.scaled(self.seconds / background.seconds.max(f64::EPSILON));
        let minus = |all: f64, idle: f64| all - idle;
        CountersDelta {
            seconds: self.seconds,
            pages: self.pages.zip(&idle.pages, minus),
            tables: zip_tables(&self.tables, &idle.tables, minus),
        }
    }

    /// The `count` tables with the most pages visited, most first.
    pub fn most_visited(&self, count: usize) -> Vec<TableCounters> {
        let mut tables = self.tables.clone();
        tables.sort_by(|a, b| b.pages.total_cmp(&a.pages));
        tables.truncate(count);
        tables
    }
}
