//! The fault run's own PostgreSQL: a private cluster (devdb's
//! [`PrivateCluster`], on a socket in its own folder, no TCP port), so that
//! it can be restarted and paused without touching the server on
//! 127.0.0.1:5432 that other tests share.

use std::path::PathBuf;
use std::time::Duration;

use dropledger_devdb::PrivateCluster;
use dropledger_eventstore::MIGRATOR;
use sqlx::postgres::PgPoolOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgPool};

/// The run's database on the private cluster.
const DATABASE: &str = "dropledger_faults";
/// Connections the test's own pool opens (the servers have their own).
const POOL_CONNECTIONS_MAX: u32 = 4;

/// A private cluster with one migrated database, stopped and removed when
/// dropped.
pub struct FaultDatabase {
    cluster: PrivateCluster,
    pool: PgPool,
}

impl FaultDatabase {
    /// Creates and starts a cluster under the system's temporary folder
    /// (one per test process and `name`), with the run's database migrated.
    pub async fn start(name: &str) -> FaultDatabase {
        let data_dir =
            std::env::temp_dir().join(format!("dropledger-faults-{}-{name}", std::process::id()));
        let _ = tokio::fs::remove_dir_all(&data_dir).await;
        let cluster = PrivateCluster::start(data_dir)
            .await
            .unwrap_or_else(|error| {
                panic!("a private PostgreSQL cluster for the fault run: {error}")
            });
        let mut admin = cluster
            .connect_options()
            .connect()
            .await
            .expect("the private cluster accepts connections");
        admin
            .execute(format!("CREATE DATABASE {DATABASE}").as_str())
            .await
            .expect("the fault run's database is created");
        let _ = admin.close().await;
        let pool = PgPoolOptions::new()
            .max_connections(POOL_CONNECTIONS_MAX)
            .connect_with(cluster.connect_options().database(DATABASE))
            .await
            .expect("the fault run's database accepts connections");
        MIGRATOR
            .run(&pool)
            .await
            .expect("the fault run's database migrates");
        FaultDatabase { cluster, pool }
    }

    /// A pool on the run's database (it reconnects after a restart).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// `DATABASE_URL` for the servers: the socket folder as `host`.
    pub fn url(&self) -> String {
        format!(
            "postgres://postgres@localhost:5432/{DATABASE}?host={}",
            self.cluster.data_dir().display()
        )
    }

    /// Stops the server with a fast shutdown (every connection dropped,
    /// transactions under way rolled back) and starts it again.
    pub async fn restart_fast(&self) {
        self.cluster
            .stop()
            .await
            .expect("the private cluster stops (fast)");
        PrivateCluster::start(self.cluster.data_dir().to_path_buf())
            .await
            .expect("the private cluster starts again");
    }

    /// Freezes the postmaster and every backend (SIGSTOP) for `pause`:
    /// connections stay open and every query hangs, then all resume
    /// (SIGCONT) — a server that stops answering without dropping anyone.
    pub async fn pause(&self, pause: Duration) {
        let processes = self.server_processes().await;
        signal(&processes, "-STOP").await;
        tokio::time::sleep(pause).await;
        signal(&processes, "-CONT").await;
    }

    /// The postmaster's pid (the first line of `postmaster.pid`) and its
    /// children's (the backends and the server's own workers).
    async fn server_processes(&self) -> Vec<u32> {
        let pid_file = tokio::fs::read_to_string(self.cluster.data_dir().join("postmaster.pid"))
            .await
            .expect("the running cluster has a postmaster.pid");
        let postmaster: u32 = pid_file
            .lines()
            .next()
            .and_then(|line| line.trim().parse().ok())
            .expect("postmaster.pid starts with the pid");
        tokio::task::spawn_blocking(move || {
            let mut processes = vec![postmaster];
            processes.extend(children_of(postmaster));
            processes
        })
        .await
        .expect("listing the server's processes")
    }
}

impl Drop for FaultDatabase {
    fn drop(&mut self) {
        // Drop runs inside the test's runtime, which cannot be blocked on.
        let data_dir: PathBuf = self.cluster.data_dir().to_path_buf();
        let stopped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to stop the private cluster");
            runtime.block_on(async {
                if let Ok(Some(cluster)) = PrivateCluster::existing(data_dir.clone()).await {
                    let _ = cluster.stop().await;
                }
                let _ = tokio::fs::remove_dir_all(&data_dir).await;
            });
        });
        let _ = stopped.join();
    }
}

/// Sends `signal` (`-STOP`, `-CONT`) to each of `processes`, by pid.
async fn signal(processes: &[u32], signal: &str) {
    let status = tokio::process::Command::new("kill")
        .arg(signal)
        .args(processes.iter().map(u32::to_string))
        .status()
        .await
        .expect("kill runs");
    assert!(status.success(), "kill {signal} {processes:?} failed");
}

/// The pids whose parent is `parent`, read from `/proc/<pid>/stat`.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            // "pid (comm) state ppid ...": the comm may hold spaces, so
            // the fields are counted after its closing parenthesis.
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let after_comm = stat.rsplit_once(')')?.1.to_owned();
                    after_comm.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}
