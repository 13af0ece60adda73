//! Opening the application's database: found or started, created, migrated.

use std::path::Path;

use anyhow::Context;
use dropledger_eventstore::{connect_and_migrate, locate_server, PrivateCluster, Server};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, PgPool};

/// The database name used on a server that dropledger found by itself.
const DEFAULT_DATABASE: &str = "dropledger";
/// Connections the application's pool may open.
const POOL_CONNECTIONS_MAX: u32 = 16;

/// The application's migrated database, and the private cluster to stop
/// when we are done if this process started it.
pub struct LocalDatabase {
    /// The connection pool.
    pub pool: PgPool,
    /// Where the database is.
    pub options: PgConnectOptions,
    server: Server,
}

impl LocalDatabase {
    /// Finds or starts the server, creates the database if needed and migrates it.
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> anyhow::Result<Self> {
        let server = locate_server(database_url, data_dir).await?;
        let options = match database_url {
            Some(url) => url.parse::<PgConnectOptions>()?,
            None => server.database(DEFAULT_DATABASE),
        };
        let database = options
            .get_database()
            .unwrap_or(DEFAULT_DATABASE)
            .to_owned();
        server
            .ensure_database(&database)
            .await
            .with_context(|| format!("preparing database {database} ({})", server.description))?;
        let pool = connect_and_migrate(options.clone(), POOL_CONNECTIONS_MAX)
            .await
            .with_context(|| format!("opening database {database} ({})", server.description))?;
        tracing::info!(database, server = %server.description, "database ready");
        Ok(Self {
            pool,
            options,
            server,
        })
    }

    /// A URL for the database (for `DATABASE_URL`).
    pub fn url(&self) -> String {
        self.options.to_url_lossy().to_string()
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

/// Stops the private cluster under `data_dir`, if there is one running.
pub fn stop_private_cluster(data_dir: &Path) -> anyhow::Result<bool> {
    match PrivateCluster::existing(data_dir.join("pg"))? {
        Some(cluster) if cluster.is_running() => {
            cluster.stop()?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
