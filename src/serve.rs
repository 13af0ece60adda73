//! `dropledger serve`: the GraphQL API over HTTP.
//!
//! With its settings parsed and checked (`config`), migrates the database,
//! picks PayPal (or starts the local fake providers when no credentials are
//! configured, loudly), builds the schema's services and serves them until
//! SIGTERM or Ctrl-C, letting in-flight requests finish.

use std::net::SocketAddr;
use std::path::Path;

use crate::config::ServerSettings;
use crate::local_database::LocalDatabase;
use crate::providers::Providers;
use crate::server;

/// Serves the API on `listen` until a shutdown signal.
pub async fn run(
    database_url: Option<&str>,
    data_dir: &Path,
    listen: SocketAddr,
    settings: ServerSettings,
) -> anyhow::Result<()> {
    let database = LocalDatabase::open(database_url, data_dir).await?;
    // The same clients serve the API and the process managers.
    let providers = Providers::from_settings(&settings.providers, settings.production).await?;
    let server = server::start(&database.pool, data_dir, listen, providers, settings).await?;
    // Tests and scripts read the address from this line.
    println!("listening on http://{}", server.address());
    let served = server.run_until(shutdown_signal()).await;
    database.close().await?;
    served
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
