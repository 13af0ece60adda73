//! A fresh, migrated database for every test, so tests run in parallel.
//!
//! The server is found as the binary finds it (`DATABASE_URL`, the local
//! socket, 127.0.0.1:5432, or a private cluster under the workspace's
//! `.dropledger/`). Migrations run once into a template database named after
//! their checksums; each test database is a copy of it, which is much faster
//! than migrating every time. Databases are dropped when the test ends, and
//! those left behind by test processes that died are dropped by the next run.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};
use tokio::sync::OnceCell;

use dropledger_eventstore::{EventStore, MIGRATOR};

use crate::server::{locate_server, quote_identifier, Server};

/// Connections each test database's pool may open; tests share one server.
const TEST_POOL_CONNECTIONS_MAX: u32 = 8;
/// Test databases are named `<prefix><pid>_<n>` so leftovers can be traced to their process.
const TEST_DATABASE_PREFIX: &str = "dropledger_test_";

static SERVER: OnceCell<Server> = OnceCell::const_new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();
static NEXT_DATABASE: AtomicU32 = AtomicU32::new(0);

/// A database of a test's own, dropped when the value is dropped.
pub struct TestDatabase {
    pool: PgPool,
    options: PgConnectOptions,
    name: String,
}

impl TestDatabase {
    /// Creates a migrated database for one test. Panics with the reason when
    /// no server can be found or started: a test cannot go on without one.
    pub async fn new() -> Self {
        let server = SERVER
            .get_or_try_init(|| async {
                let url = std::env::var("DATABASE_URL").ok();
                let data_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.dropledger");
                // Registered before looking, so that a private cluster's
                // watchdog keeps it running while this process needs it.
                let users_dir = data_dir.join("pg-users");
                let _ = tokio::fs::create_dir_all(&users_dir).await;
                let _ = tokio::fs::write(users_dir.join(std::process::id().to_string()), b"").await;
                let server = locate_server(url.as_deref(), &data_dir).await?;
                if let Some(cluster) = server.cluster.as_ref().filter(|c| c.started_here()) {
                    cluster.stop_when_unused(&users_dir).await?;
                }
                Ok::<_, crate::DevDatabaseError>(server)
            })
            .await
            .unwrap_or_else(|error| panic!("no PostgreSQL for the tests: {error}"));
        let template = TEMPLATE
            .get_or_try_init(|| prepare_template(server))
            .await
            .unwrap_or_else(|error| panic!("cannot prepare the test template database: {error}"));

        let name = format!(
            "{TEST_DATABASE_PREFIX}{}_{}",
            std::process::id(),
            NEXT_DATABASE.fetch_add(1, Ordering::Relaxed)
        );
        let mut admin = connect(&server.admin).await;
        admin
            .execute(
                format!(
                    "CREATE DATABASE {} TEMPLATE {}",
                    quote_identifier(&name),
                    quote_identifier(template)
                )
                .as_str(),
            )
            .await
            .unwrap_or_else(|error| panic!("cannot create test database {name}: {error}"));
        let _ = admin.close().await;

        let options = server.database(&name);
        let pool = PgPoolOptions::new()
            .max_connections(TEST_POOL_CONNECTIONS_MAX)
            .connect_with(options.clone())
            .await
            .unwrap_or_else(|error| panic!("cannot connect to test database {name}: {error}"));
        Self {
            pool,
            options,
            name,
        }
    }

    /// The pool of the test's database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// An event store on the test's database.
    pub fn store(&self) -> EventStore {
        EventStore::new(self.pool.clone())
    }

    /// Options to open more connections to the test's database.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.options.clone()
    }

    /// A URL for the test's database, e.g. for a child process's `DATABASE_URL`.
    pub fn url(&self) -> String {
        self.options.to_url_lossy().to_string()
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Some(server) = SERVER.get() else { return };
        let admin = server.admin.clone();
        let name = self.name.clone();
        // Drop runs inside the test's runtime, which cannot be blocked on;
        // a thread with a runtime of its own drops the database.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database");
            runtime.block_on(drop_database(&admin, &name));
        });
        let _ = dropped.join();
    }
}

/// How long a test waits for a connection while the server has none free.
const CONNECT_WAIT_MS_MAX: u64 = 30_000;

/// Connects, waiting while the server is at its connection limit: the
/// tests of a run share one server, and a burst of them (each with its own
/// server process and pool) can hold every connection for a moment.
async fn connect(options: &PgConnectOptions) -> PgConnection {
    let deadline = tokio::time::Instant::now() + Duration::from_millis(CONNECT_WAIT_MS_MAX);
    loop {
        match options.connect().await {
            Ok(connection) => return connection,
            Err(error) if too_many_clients(&error) && tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("cannot connect to the test server: {error}"),
        }
    }
}

/// PostgreSQL's "sorry, too many clients already" (SQLSTATE 53300).
fn too_many_clients(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .and_then(|error| error.code())
        .is_some_and(|code| code == "53300")
}

async fn drop_database(admin: &PgConnectOptions, name: &str) {
    if let Ok(mut connection) = admin.connect().await {
        let statement = format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_identifier(name)
        );
        let _ = connection.execute(statement.as_str()).await;
        let _ = connection.close().await;
    }
}

/// Migrates a template database once per migration set, and drops test
/// databases whose process is gone.
async fn prepare_template(server: &Server) -> Result<String, sqlx::Error> {
    let mut checksums = Sha256::new();
    for migration in MIGRATOR.iter() {
        checksums.update(migration.version.to_be_bytes());
        checksums.update(&*migration.checksum);
    }
    let template = format!(
        "dropledger_template_{}",
        &hex::encode(checksums.finalize())[..16]
    );

    let mut admin = connect(&server.admin).await;
    // Test processes start together; one builds the template, the others wait.
    sqlx::query("SELECT pg_advisory_lock(hashtext('dropledger test template'))")
        .execute(&mut admin)
        .await?;
    let built: Result<(), sqlx::Error> = async {
        drop_abandoned_test_databases(&mut admin, &server.admin).await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(&template)
                .fetch_one(&mut admin)
                .await?;
        if exists {
            return Ok(());
        }
        // Built under another name and renamed when complete, so a half-built
        // template is never copied.
        let building = format!("{template}_building");
        drop_database(&server.admin, &building).await;
        admin
            .execute(format!("CREATE DATABASE {}", quote_identifier(&building)).as_str())
            .await?;
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .connect_with(server.database(&building))
            .await?;
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|error| sqlx::Error::Protocol(format!("migrating the template: {error}")))?;
        pool.close().await;
        admin
            .execute(
                format!(
                    "ALTER DATABASE {} RENAME TO {}",
                    quote_identifier(&building),
                    quote_identifier(&template)
                )
                .as_str(),
            )
            .await?;
        Ok(())
    }
    .await;
    sqlx::query("SELECT pg_advisory_unlock(hashtext('dropledger test template'))")
        .execute(&mut admin)
        .await?;
    let _ = admin.close().await;
    built.map(|()| template)
}

async fn drop_abandoned_test_databases(
    admin: &mut PgConnection,
    admin_options: &PgConnectOptions,
) -> Result<(), sqlx::Error> {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT datname::text FROM pg_database WHERE datname LIKE $1")
            .bind(format!("{TEST_DATABASE_PREFIX}%"))
            .fetch_all(&mut *admin)
            .await?;
    for name in names {
        let pid = name
            .trim_start_matches(TEST_DATABASE_PREFIX)
            .split('_')
            .next()
            .and_then(|pid| pid.parse::<u32>().ok());
        let alive = pid.is_some_and(|pid| Path::new(&format!("/proc/{pid}")).exists());
        if !alive {
            drop_database(admin_options, &name).await;
        }
    }
    Ok(())
}
