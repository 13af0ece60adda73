//! The running server: the GraphQL API over HTTP, the projection runners,
//! the process managers and the autopilot's schedule, started together on
//! one database and one set of provider clients, and stopped together.
//!
//! `dropledger serve` starts it from the environment and stops it on a
//! signal; `dropledger demo` starts it on the fakes it stages and drives it
//! through its own API.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dropledger_eventstore::EventStore;
use dropledger_graphql::{
    limit_per_client, router, ApiPolicy, CheckoutUrls, PerClientRate, Services, SupplierConnection,
    TokenKeys,
};
use dropledger_integrations::FakeProviders;
use dropledger_workflows::follow::ManagerHealth;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::autopilot::AutopilotService;
use crate::config::ServerSettings;
use crate::managers::Managers;
use crate::paypal_webhooks;
use crate::projection_workers::ProjectionWorkers;
use crate::providers::Providers;

/// Buckets of `dropledger_command_attempts`: one per attempt a command can
/// take (see `COMMAND_ATTEMPTS_MAX`).
const COMMAND_ATTEMPT_BUCKETS: [f64; 8] = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0];

/// Connections the API (GraphQL, webhooks) may open, in a pool of its own:
/// a flood of requests waits for these, never for the workers' connections,
/// so captures, purchases, payouts and the read models keep moving.
const API_POOL_CONNECTIONS_MAX: u32 = 10;
/// How the API's connections name themselves in `pg_stat_activity`.
const API_APPLICATION_NAME: &str = "dropledger-api";
/// The longest a request waits for one of the API's connections before it
/// fails (as an internal error), as long as the workers' pool waits: on a
/// server near its connection limit, opening one can take that long (5 s
/// failed requests in the test suite, where many servers share one
/// PostgreSQL). A flood of aliases waits behind itself (see the GraphQL
/// crate's root-field limit), not in front of this wait.
const API_POOL_ACQUIRE_TIMEOUT_MS: u64 = 30_000;

/// A server that is serving.
pub struct RunningServer {
    address: SocketAddr,
    public_url: String,
    shutdown: oneshot::Sender<()>,
    serving: JoinHandle<std::io::Result<()>>,
    workers: Workers,
}

/// What runs beside the HTTP server, stopped after it.
struct Workers {
    projections: ProjectionWorkers,
    managers: Managers,
    autopilot: AutopilotService,
    /// Held so that fakes started for this server live as long as it.
    providers: Providers,
}

impl Workers {
    /// Each stops after its current step.
    async fn stop(self) {
        self.managers.stop().await;
        self.autopilot.stop().await;
        self.projections.stop().await;
        drop(self.providers);
        tracing::info!("shut down");
    }
}

/// Binds `listen` and starts everything that follows the log; returns once
/// the API accepts requests.
pub async fn start(
    pool: &PgPool,
    data_dir: &Path,
    listen: SocketAddr,
    providers: Providers,
    settings: ServerSettings,
) -> anyhow::Result<RunningServer> {
    let metrics = install_metrics()?;
    let store = EventStore::new(pool.clone());
    prepare_capital(&store).await?;
    let projections = crate::projection_workers::start(&store).await;
    let autopilot = crate::autopilot::start(
        &store,
        &settings,
        providers.fakes.as_ref().map(|fakes| &fakes.aliexpress),
    )
    .await?;
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let address = listener.local_addr()?;
    let public_url = match &settings.public_url {
        Some(url) => url.as_str().trim_end_matches('/').to_owned(),
        None => format!("http://{address}"),
    };
    let vault = Arc::new(crate::encryption_key::credential_vault(
        pool.clone(),
        data_dir,
        settings.encryption_key,
        settings.retired_encryption_keys,
    )?);
    let tokens = settings.tokens.unwrap_or_else(|| {
        tracing::warn!("JWT_SECRET is not set: using a random secret; tokens stop working when the server restarts");
        TokenKeys::generate()
    });
    let manager_health = ManagerHealth::new();
    let api_store = store.through(api_pool(pool));
    let services = Services::new(
        api_store.clone(),
        providers.paypal.clone(),
        tokens,
        CheckoutUrls {
            return_url: format!("{public_url}/checkout/return"),
            cancel_url: format!("{public_url}/checkout/cancel"),
        },
        settings.auth_requests_per_minute.get(),
    )
    .with_policy(ApiPolicy::for_mode(
        settings.production,
        settings.schema_explorer,
    ))
    .with_trusted_proxies(settings.trusted_proxies)
    .with_checkouts_per_minute(settings.checkouts_per_minute)
    .with_subscription_limits(settings.subscription_limits)
    .with_autopilot(autopilot.runner())
    .with_credentials(vault.clone())
    .with_managers(manager_health.clone())
    .with_supplier(SupplierConnection {
        client: providers.supplier.clone(),
        environment: providers.mode.as_str().to_owned(),
        callback_url: format!("{public_url}/oauth/aliexpress/callback"),
    });
    if let Some(fakes) = &providers.fakes {
        // The fake PayPal delivers its webhooks where a real account would
        // be configured to: to this server.
        fakes
            .paypal
            .set_webhook_url(format!("{public_url}/webhooks/paypal"));
    }
    let managers = crate::managers::start(
        &store,
        &providers,
        vault,
        settings.reconciliation_interval,
        &manager_health,
    );
    // Each delivery costs a call to PayPal: limited per client address.
    let webhooks = limit_per_client(
        paypal_webhooks::router(api_store, providers.paypal.clone()),
        "webhooks",
        Arc::new(PerClientRate::per_minute(settings.webhooks_per_minute)),
        services.trusted_proxies.clone(),
    );
    let app = router(services, metrics)
        .merge(webhooks)
        .merge(autopilot.routes())
        // The storefront and the dashboard: explicit paths of their own, so
        // none of the routes above can be shadowed by them.
        .merge(dropledger_web::router());
    let (shutdown, serving) = serve_until_told(listener, app);
    tracing::info!(%address, "serving the web app at /, /graphql, /healthz and /metrics");
    Ok(RunningServer {
        address,
        public_url,
        shutdown,
        serving,
        workers: Workers {
            projections,
            managers,
            autopilot,
            providers,
        },
    })
}

/// The API's own pool on the database of `workers` (see
/// [`API_POOL_CONNECTIONS_MAX`]); connections open as requests need them.
fn api_pool(workers: &PgPool) -> PgPool {
    PgPoolOptions::new()
        .max_connections(API_POOL_CONNECTIONS_MAX)
        .acquire_timeout(Duration::from_millis(API_POOL_ACQUIRE_TIMEOUT_MS))
        .connect_lazy_with(
            (*workers.connect_options())
                .clone()
                .application_name(API_APPLICATION_NAME),
        )
}

/// The `/metrics` recorder, installed for the whole process.
fn install_metrics() -> anyhow::Result<PrometheusHandle> {
    PrometheusBuilder::new()
        // Attempts are small whole numbers: a bucket each gives exact
        // counts (a summary would only keep a recent window).
        .set_buckets_for_metric(
            Matcher::Full("dropledger_command_attempts".to_owned()),
            &COMMAND_ATTEMPT_BUCKETS,
        )
        .context("configuring the metrics recorder")?
        .install_recorder()
        .context("installing the metrics recorder")
}

/// Before anything appends to working capital: streams from before
/// budgets existed get theirs, and each is folded once now rather than by
/// the first customer's command.
async fn prepare_capital(store: &EventStore) -> anyhow::Result<()> {
    dropledger_workflows::capital::prepare_budgets(store)
        .await
        .context("computing the working-capital budgets")?;
    dropledger_workflows::capital::warm_up(store)
        .await
        .context("loading working capital")?;
    Ok(())
}

/// Serves `app` on `listener` in a task of its own until the sender is
/// used (or dropped); requests under way finish first.
fn serve_until_told(
    listener: tokio::net::TcpListener,
    app: axum::Router,
) -> (oneshot::Sender<()>, JoinHandle<std::io::Result<()>>) {
    let (shutdown, stopping) = oneshot::channel::<()>();
    let serving = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopping.await;
        })
        .await
    });
    (shutdown, serving)
}

impl RunningServer {
    /// The address it listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Where browsers reach the server: the storefront is at this URL, the
    /// dashboard at `/dashboard`.
    pub fn public_url(&self) -> &str {
        &self.public_url
    }

    /// Where the API is, for browsers (GraphiQL) and clients.
    pub fn graphql_url(&self) -> String {
        format!("{}/graphql", self.public_url)
    }

    /// The local fake providers, when the server runs on them.
    pub fn fakes(&self) -> Option<&FakeProviders> {
        self.workers.providers.fakes.as_ref()
    }

    /// Serves until `signal` resolves (or serving fails), then lets
    /// in-flight requests finish and stops the process managers, the
    /// autopilot and the projection runners.
    pub async fn run_until(
        self,
        signal: impl std::future::Future<Output = ()>,
    ) -> anyhow::Result<()> {
        let RunningServer {
            shutdown,
            mut serving,
            workers,
            ..
        } = self;
        let served = tokio::select! {
            () = signal => {
                tracing::info!("stopping: finishing in-flight requests");
                let _ = shutdown.send(());
                (&mut serving).await
            }
            // Serving ended without being asked to: stop the rest, say why.
            ended = &mut serving => ended,
        };
        workers.stop().await;
        served.context("the HTTP server task")?.context("serving")
    }

    /// Stops now (see [`RunningServer::run_until`]).
    pub async fn stop(self) -> anyhow::Result<()> {
        self.run_until(std::future::ready(())).await
    }
}
