//! The autopilot in the server: a cycle runner (discovery → scoring →
//! products published for the seller, see [`cycle`]), the schedule that runs
//! it while enabled ([`schedule`]), the `INTERNAL_RUN_SECRET`-protected HTTP
//! trigger ([`trigger`]). Its read model, the `autopilot` projection, is
//! run with the others by `projection_workers`.
//!
//! Sandbox mode (the default) discovers from the local trend feed and
//! quotes from the fake AliExpress; production mode discovers with the
//! AliExpress text search and needs `ALIEXPRESS_APP_KEY` and
//! `ALIEXPRESS_APP_SECRET`.

mod trigger;

use std::sync::Arc;

use anyhow::{bail, Context};
use dropledger_domain::{Currency, FeeRule, Money, Percentage};
use dropledger_eventstore::EventStore;
use dropledger_integrations::{
    AliExpressClient, AliExpressConfig, FakeAliExpress, LocalTrendFeed, SecretString,
};
use dropledger_workflows::autopilot::{
    run_schedule, AutopilotRunner, CycleRunner, Supplier, SupplierSession, TrendChoice,
};
use tokio::sync::{watch, Mutex};
use tokio::task::JoinHandle;

use crate::config::ServerSettings;

/// The currency the autopilot lists in.
pub const LISTING_CURRENCY: Currency = Currency::Usd;
/// PayPal's standard fee on a sale (3.49 % + 0.49 USD): only used to
/// estimate an opportunity's margin.
const PAYMENT_FEE_PERCENT: &str = "3.49";
const PAYMENT_FEE_FIXED: &str = "0.49";

/// The running autopilot of a server.
pub struct AutopilotService {
    runner: Arc<CycleRunner>,
    secret: Option<SecretString>,
    shutdown: watch::Sender<bool>,
    schedule: JoinHandle<()>,
    /// A fake AliExpress this service started itself (sandbox mode when the
    /// server has none); it stops when dropped.
    _fake: Option<FakeAliExpress>,
}

/// Starts the autopilot's schedule with the server's `settings`. `fake` is
/// the server's fake AliExpress, if it started one.
pub async fn start(
    store: &EventStore,
    settings: &ServerSettings,
    fake: Option<&FakeAliExpress>,
) -> anyhow::Result<AutopilotService> {
    let secret = settings.internal_run_secret.clone();
    if secret.is_none() {
        if settings.production {
            bail!("production mode needs INTERNAL_RUN_SECRET (the autopilot's internal trigger)");
        }
        tracing::warn!("INTERNAL_RUN_SECRET is not set: POST /internal/autopilot/run is off");
    }
    let mut own_fake = None;
    let supplier = if settings.production {
        let Some(account) = &settings.providers.aliexpress else {
            bail!("production mode needs ALIEXPRESS_APP_KEY and ALIEXPRESS_APP_SECRET for the autopilot");
        };
        let client = AliExpressClient::new(AliExpressConfig::new(
            account.app_key.clone(),
            account.app_secret.clone(),
        ));
        // The seller's OAuth token is not wired into the autopilot yet:
        // production cycles fail with this reason rather than pretend.
        Supplier::new(
            TrendChoice::AliExpress,
            Arc::new(client),
            SupplierSession::Missing(
                "the seller's AliExpress token is not available to the autopilot yet".to_owned(),
            ),
            LISTING_CURRENCY,
        )
    } else {
        let fake = match fake {
            Some(fake) => fake,
            None => own_fake.insert(
                FakeAliExpress::start()
                    .await
                    .context("starting the fake AliExpress")?,
            ),
        };
        let client = AliExpressClient::new(fake.client_config());
        let token = client
            .create_token(&fake.issue_code())
            .await
            .context("connecting the autopilot to the fake AliExpress")?;
        tracing::warn!(
            aliexpress = fake.base_url(),
            "sandbox mode: the autopilot discovers from the local trend feed and quotes from a fake AliExpress"
        );
        Supplier::new(
            TrendChoice::Local(LocalTrendFeed::sample()),
            Arc::new(client),
            SupplierSession::Token(Mutex::new(token)),
            LISTING_CURRENCY,
        )
    };
    let fee = FeeRule {
        percent: Percentage::parse(PAYMENT_FEE_PERCENT)?,
        fixed: Money::parse(PAYMENT_FEE_FIXED, LISTING_CURRENCY.code())?,
    };
    let runner = Arc::new(CycleRunner::new(store.clone(), supplier, fee));
    let (shutdown, watching) = watch::channel(false);
    let schedule = tokio::spawn(run_schedule(runner.clone(), watching));
    Ok(AutopilotService {
        runner,
        secret,
        shutdown,
        schedule,
        _fake: own_fake,
    })
}

impl AutopilotService {
    /// What `runAutopilotCycle` runs.
    pub fn runner(&self) -> Arc<dyn AutopilotRunner> {
        self.runner.clone()
    }

    /// The internal trigger's route.
    pub fn routes(&self) -> axum::Router {
        trigger::routes(self.runner.clone(), self.secret.clone())
    }

    /// Stops the schedule (after the cycle in flight).
    pub async fn stop(self) {
        let _ = self.shutdown.send(true);
        let _ = self.schedule.await;
    }
}
