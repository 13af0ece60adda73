//! The process managers of `serve`, each a workflow of
//! `dropledger-workflows` followed by `dropledger_workflows::follow`.
//!
//! [`start`] runs every manager of `serve`: fulfilment, sale, payout, the
//! settlement and tracking pollers and the cash reconciliation;
//! [`Managers::stop`] stops them on shutdown.

use std::sync::Arc;
use std::time::Duration;

use dropledger_eventstore::EventStore;
use dropledger_integrations::{CredentialVault, PgCredentialStore};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use dropledger_workflows::follow as runner;
use dropledger_workflows::follow::ManagerHealth;
use dropledger_workflows::{
    dispute_poll, settlement, Fulfilment, Payouts, Reconciliation, Sales, Tracking,
    TRACKING_POLL_INTERVAL_MS,
};

use crate::providers::Providers;

/// How long shutdown waits for a step in flight before abandoning it (its
/// checkpoint was not moved, so the next start does it again).
const STOP_WAIT_MS: u64 = 10_000;

/// The running managers.
pub struct Managers {
    shutdown: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Starts every process manager on `store` with the shared provider
/// clients; the cash reconciliation runs every `reconciliation_interval`.
/// Each reports how it is doing (and its restarts) to `health`.
pub fn start(
    store: &EventStore,
    providers: &Providers,
    vault: Arc<CredentialVault<PgCredentialStore>>,
    reconciliation_interval: Duration,
    health: &ManagerHealth,
) -> Managers {
    let (shutdown, watching) = watch::channel(false);
    let mut tasks = start_followers(store, providers, vault.clone(), health, &watching);
    tasks.extend(start_pollers(
        store,
        providers,
        vault,
        reconciliation_interval,
        health,
        watching,
    ));
    tracing::info!(
        "process managers started: fulfilment, sale, payout, settlement, disputes, tracking, reconciliation"
    );
    Managers { shutdown, tasks }
}

/// The managers that follow the log: fulfilment, sale and payout.
fn start_followers(
    store: &EventStore,
    providers: &Providers,
    vault: Arc<CredentialVault<PgCredentialStore>>,
    health: &ManagerHealth,
    watching: &watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let fulfilment = Fulfilment {
        store: store.clone(),
        supplier: providers.supplier.clone(),
        paypal: providers.paypal.clone(),
        vault: vault.clone(),
        mode: providers.mode,
    };
    let sales = Sales {
        store: store.clone(),
    };
    let payouts = Payouts {
        store: store.clone(),
        paypal: providers.paypal.clone(),
        payoneer: providers.payoneer.clone(),
        mode: providers.mode,
        personal: dropledger_integrations::PersonalData::new(vault.clone()),
    };
    vec![
        tokio::spawn(runner::run(
            store.clone(),
            fulfilment,
            health.clone(),
            watching.clone(),
        )),
        tokio::spawn(runner::run(
            store.clone(),
            sales,
            health.clone(),
            watching.clone(),
        )),
        tokio::spawn(runner::run(
            store.clone(),
            payouts,
            health.clone(),
            watching.clone(),
        )),
    ]
}

/// The managers that poll: settlement, disputes, tracking and the cash
/// reconciliation.
fn start_pollers(
    store: &EventStore,
    providers: &Providers,
    vault: Arc<CredentialVault<PgCredentialStore>>,
    reconciliation_interval: Duration,
    health: &ManagerHealth,
    watching: watch::Receiver<bool>,
) -> Vec<JoinHandle<()>> {
    let tracking = Arc::new(Tracking {
        store: store.clone(),
        paypal: providers.paypal.clone(),
        supplier: providers.supplier.clone(),
        personal: dropledger_integrations::PersonalData::new(vault.clone()),
        vault,
        mode: providers.mode,
    });
    let settlement_store = store.clone();
    let paypal = providers.paypal.clone();
    let settlement_schedule = Arc::new(settlement::SettlementSchedule::default());
    let dispute_store = store.clone();
    let dispute_paypal = providers.paypal.clone();
    let reconciliation = Reconciliation {
        store: store.clone(),
        paypal: providers.paypal.clone(),
    };
    vec![
        tokio::spawn(runner::run_periodic(
            store.clone(),
            "settlement",
            Duration::from_millis(settlement::SETTLEMENT_POLL_INTERVAL_MS),
            move || {
                let store = settlement_store.clone();
                let paypal = paypal.clone();
                let schedule = settlement_schedule.clone();
                async move { settlement::poll(&store, &paypal, &schedule).await }
            },
            health.clone(),
            watching.clone(),
        )),
        tokio::spawn(runner::run_periodic(
            store.clone(),
            "disputes",
            Duration::from_millis(dispute_poll::DISPUTE_POLL_INTERVAL_MS),
            move || {
                let store = dispute_store.clone();
                let paypal = dispute_paypal.clone();
                async move { dispute_poll::poll_disputes(&store, &paypal).await }
            },
            health.clone(),
            watching.clone(),
        )),
        tokio::spawn(runner::run_periodic(
            store.clone(),
            "tracking",
            Duration::from_millis(TRACKING_POLL_INTERVAL_MS),
            move || {
                let tracking = tracking.clone();
                async move { tracking.poll().await }
            },
            health.clone(),
            watching.clone(),
        )),
        tokio::spawn(reconciliation_schedule(
            store.clone(),
            reconciliation,
            reconciliation_interval,
            health.clone(),
            watching,
        )),
    ]
}

/// The cash reconciliation every `interval`, the first one interval after
/// start: a server that restarts often does not ask PayPal's reporting API
/// each time.
async fn reconciliation_schedule(
    store: EventStore,
    reconciliation: Reconciliation,
    interval: Duration,
    health: ManagerHealth,
    mut shutdown: watch::Receiver<bool>,
) {
    // Listed at /healthz from the start, though its first run is later.
    health.set_state(
        dropledger_workflows::reconciliation::MANAGER_NAME,
        runner::ManagerState::Starting,
    );
    if runner::sleep_or_shutdown(interval, &mut shutdown).await {
        return;
    }
    runner::run_periodic(
        store,
        dropledger_workflows::reconciliation::MANAGER_NAME,
        interval,
        move || {
            let reconciliation = reconciliation.clone();
            async move { reconciliation.run().await }
        },
        health,
        shutdown,
    )
    .await;
}

impl Managers {
    /// Asks every manager to stop after its step in flight, and waits (bounded).
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_millis(STOP_WAIT_MS), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        tracing::info!("process managers stopped");
    }
}
