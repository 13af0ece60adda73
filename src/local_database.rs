//! Opening the application's database: found or started, created, migrated.

use std::path::Path;

use anyhow::Context;
use dropledger_devdb::{locate_server, quote_identifier, PrivateCluster, Server};
use dropledger_eventstore::connect_and_migrate;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgPool};

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
        Self::migrate(server, options).await
    }

    /// Like [`LocalDatabase::open`], but without a URL the database is
    /// `name`, dropped and created again so that it holds this run only. A
    /// database named by `database_url` is used as given and never emptied.
    pub async fn open_fresh(
        database_url: Option<&str>,
        data_dir: &Path,
        name: &str,
    ) -> anyhow::Result<Self> {
        if database_url.is_some() {
            return Self::open(database_url, data_dir).await;
        }
        let server = locate_server(None, data_dir).await?;
        recreate(&server, name).await?;
        let options = server.database(name);
        Self::migrate(server, options).await
    }

    async fn migrate(server: Server, options: PgConnectOptions) -> anyhow::Result<Self> {
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

    /// The database's name.
    pub fn name(&self) -> &str {
        self.options.get_database().unwrap_or(DEFAULT_DATABASE)
    }

    /// A URL for the database (for `DATABASE_URL`).
    pub fn url(&self) -> String {
        self.options.to_url_lossy().to_string()
    }

    /// The database's URL with any password masked, for logs and reports
    /// (what `migrate` prints): `db url` is the one place that prints the
    /// password, because its output is meant to be used as `DATABASE_URL`.
    pub fn url_for_display(&self) -> String {
        let mut url = self.options.to_url_lossy();
        if url.password().is_some() {
            // Only URLs that cannot have a password refuse one.
            let _ = url.set_password(Some("********"));
        }
        url.to_string()
    }

    /// Closes the pool and stops the private cluster if this process started it.
    pub async fn close(self) -> anyhow::Result<()> {
        self.pool.close().await;
        if let Some(cluster) = self.server.cluster.as_ref().filter(|c| c.started_here()) {
            cluster.stop().await?;
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
        .with_context(|| format!("dropping the previous database {name}"))?;
    admin
        .execute(format!("CREATE DATABASE {quoted}").as_str())
        .await
        .with_context(|| format!("creating database {name}"))?;
    admin.close().await?;
    Ok(())
}

/// Stops the private cluster under `data_dir`, if there is one running.
pub async fn stop_private_cluster(data_dir: &Path) -> anyhow::Result<bool> {
    match PrivateCluster::existing(data_dir.join("pg")).await? {
        Some(cluster) if cluster.is_running().await => {
            cluster.stop().await?;
            Ok(true)
        }
        _ => Ok(false),
    }
}
