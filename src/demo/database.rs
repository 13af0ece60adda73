//! The demo's database: a fresh `dropledger_demo` on the server the other
//! commands would use, or exactly the database `DATABASE_URL` names.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use dropledger_eventstore::{connect_and_migrate, locate_server, quote_identifier, Server};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgPool};

/// The database the demo records into when no URL is given. It is dropped
/// and created again on every run, so the summary describes this run only.
pub const DEMO_DATABASE: &str = "dropledger_demo";
/// Connections the demo's pool may open.
const POOL_CONNECTIONS_MAX: u32 = 8;

/// The migrated database the demo runs on.
pub struct DemoDatabase {
    /// The connection pool.
    pub pool: PgPool,
    /// The database's name, for the summary.
    pub name: String,
    server: Server,
}

impl DemoDatabase {
    /// Opens `database_url` as given (creating it if needed, never emptying
    /// it), or else recreates [`DEMO_DATABASE`] on the local server.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        let server = locate_server(database_url, data_dir).await?;
        let options = match database_url {
            Some(url) => PgConnectOptions::from_str(url)?,
            None => {
                recreate(&server, DEMO_DATABASE).await?;
                server.database(DEMO_DATABASE)
            }
        };
        let name = options.get_database().unwrap_or("postgres").to_owned();
        if database_url.is_some() {
            server
                .ensure_database(&name)
                .await
                .with_context(|| format!("preparing database {name} ({})", server.description))?;
        }
        let pool = connect_and_migrate(options, POOL_CONNECTIONS_MAX)
            .await
            .with_context(|| format!("opening database {name} ({})", server.description))?;
        tracing::info!(database = %name, server = %server.description, "demo database ready");
        Ok(Self { pool, name, server })
    }

    /// Closes the pool and stops the private cluster if this process started it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(cluster) = self.server.cluster.as_ref().filter(|c| c.started_here()) {
            cluster.stop()?;
            tracing::info!("stopped the private PostgreSQL cluster");
        }
        Ok(())
    }
}

/// Drops and creates `name`. The event table refuses DELETE and TRUNCATE by
/// design, so starting over means a new database, not emptied tables.
async fn recreate(server: &Server, name: &str) -> anyhow::Result<()> {
    let mut admin = server
        .admin
        .connect()
        .await
        .with_context(|| format!("connecting to {}", server.description))?;
    let quoted = quote_identifier(name);
    admin
        .execute(format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)").as_str())
        .await
        .with_context(|| format!("dropping the previous demo database {name}"))?;
    admin
        .execute(format!("CREATE DATABASE {quoted}").as_str())
        .await
        .with_context(|| format!("creating the demo database {name}"))?;
    admin.close().await?;
    Ok(())
}
