//! `dropledger serve`: the GraphQL API over HTTP.
//!
//! Migrates the database, picks PayPal (or starts the local fake providers
//! when no credentials are configured, loudly), builds the schema's
//! services and serves them until SIGTERM or Ctrl-C, letting in-flight
//! requests finish.

use std::net::SocketAddr;
use std::path::Path;

use anyhow::{bail, Context};
use dropledger_graphql::{TokenKeys, AUTH_REQUESTS_PER_MINUTE_DEFAULT};
use dropledger_integrations::{EncryptionKey, PayPalEnvironment};

use crate::local_database::LocalDatabase;
use crate::providers::Providers;
use crate::server::{self, ServerSettings};

/// What `serve` reads from its environment.
#[derive(Debug, Default)]
struct Environment {
    production: bool,
    jwt_secret: Option<String>,
    encryption_key: Option<String>,
    paypal_client_id: Option<String>,
    paypal_client_secret: Option<String>,
    auth_requests_per_minute: Option<String>,
    public_url: Option<String>,
    internal_run_secret: Option<String>,
}

impl Environment {
    fn read() -> Self {
        let var = |name: &str| {
            std::env::var(name)
                .ok()
                .filter(|value| !value.trim().is_empty())
        };
        let paypal_environment = var("PAYPAL_ENVIRONMENT");
        let production = var("AUTOPILOT_MODE")
            .is_some_and(|mode| mode.eq_ignore_ascii_case("production"))
            || paypal_environment
                .as_deref()
                .and_then(PayPalEnvironment::parse)
                .is_some_and(|environment| environment == PayPalEnvironment::Live);
        Self {
            production,
            jwt_secret: var("JWT_SECRET"),
            encryption_key: var("ENCRYPTION_KEY"),
            paypal_client_id: var("PAYPAL_CLIENT_ID"),
            paypal_client_secret: var("PAYPAL_CLIENT_SECRET"),
            auth_requests_per_minute: var("AUTH_REQUESTS_PER_MINUTE"),
            public_url: var("PUBLIC_URL"),
            internal_run_secret: var("INTERNAL_RUN_SECRET"),
        }
    }

    /// Production refuses to start on anything it would otherwise make up.
    fn check_production(&self) -> anyhow::Result<()> {
        if !self.production {
            return Ok(());
        }
        let missing: Vec<&str> = [
            ("JWT_SECRET", self.jwt_secret.is_none()),
            ("ENCRYPTION_KEY", self.encryption_key.is_none()),
            ("PAYPAL_CLIENT_ID", self.paypal_client_id.is_none()),
            ("PAYPAL_CLIENT_SECRET", self.paypal_client_secret.is_none()),
            ("INTERNAL_RUN_SECRET", self.internal_run_secret.is_none()),
        ]
        .into_iter()
        .filter_map(|(name, missing)| missing.then_some(name))
        .collect();
        if !missing.is_empty() {
            bail!(
                "production mode (AUTOPILOT_MODE=production or PAYPAL_ENVIRONMENT=production) needs {}",
                missing.join(", ")
            );
        }
        // Present is not enough: a key that does not parse would only fail
        // at the first credential saved.
        if let Some(key) = &self.encryption_key {
            EncryptionKey::parse(key)
                .map_err(|error| anyhow::anyhow!("ENCRYPTION_KEY: {error}"))?;
        }
        Ok(())
    }
}

/// Serves the API on `listen` until a shutdown signal.
pub async fn run(
    database_url: Option<&str>,
    data_dir: &Path,
    listen: SocketAddr,
) -> anyhow::Result<()> {
    let environment = Environment::read();
    environment.check_production()?;
    let tokens = match &environment.jwt_secret {
        Some(secret) => TokenKeys::from_secret(secret.as_bytes()).map_err(anyhow::Error::msg)?,
        None => {
            tracing::warn!("JWT_SECRET is not set: using a random secret; tokens stop working when the server restarts");
            TokenKeys::generate()
        }
    };
    let auth_requests_per_minute = match &environment.auth_requests_per_minute {
        Some(value) => value
            .parse()
            .context("AUTH_REQUESTS_PER_MINUTE is a whole number")?,
        None => AUTH_REQUESTS_PER_MINUTE_DEFAULT,
    };
    let database = LocalDatabase::open(database_url, data_dir).await?;
    // The same clients serve the API and the process managers.
    let providers = Providers::from_environment(environment.production).await?;
    let server = server::start(
        &database.pool,
        data_dir,
        listen,
        providers,
        ServerSettings {
            production: environment.production,
            tokens,
            auth_requests_per_minute,
            public_url: environment.public_url.clone(),
        },
    )
    .await?;
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
