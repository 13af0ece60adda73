//! The provider clients `serve` and its process managers share, built from
//! the checked settings: real PayPal / AliExpress / Payoneer when
//! configured, provider URLs of the caller's choosing in sandbox mode (tests
//! run the fakes in their own process and point the server at them), or
//! local fake providers started here when nothing is configured.

use std::sync::Arc;

use anyhow::{bail, Context};
use dropledger_domain::{Currency, Money};
use dropledger_integrations::{
    AliExpressClient, AliExpressConfig, CallPolicy, FakeProviders, PayPalClient, PayPalConfig,
    PayoneerClient, PayoneerConfig,
};
use dropledger_workflows::Mode;

use crate::config::{AliExpressAccount, PayPalAccount, PayoneerAccount, ProviderSettings};

/// The clients, and the fakes they talk to when this process started them.
pub struct Providers {
    /// Sandbox or production.
    pub mode: Mode,
    /// PayPal: checkouts, captures, payouts.
    pub paypal: Arc<PayPalClient>,
    /// AliExpress: purchases with each seller's token.
    pub supplier: Arc<AliExpressClient>,
    /// Payoneer, when configured.
    pub payoneer: Option<Arc<PayoneerClient>>,
    /// Local fakes this process started: dropping them stops them.
    pub fakes: Option<FakeProviders>,
}

impl Providers {
    /// Builds the clients from `settings`; `production` (checked to have
    /// every account and no sandbox-only override) never starts fakes.
    pub async fn from_settings(
        settings: &ProviderSettings,
        production: bool,
    ) -> anyhow::Result<Providers> {
        let mode = if production {
            Mode::Production
        } else {
            Mode::Sandbox
        };
        let mut policy = CallPolicy::default();
        if let Some(timeout) = settings.attempt_timeout {
            policy.attempt_timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        }
        let needs_fakes = settings.paypal.is_none() || settings.aliexpress.is_none();
        let fakes = if needs_fakes && !production {
            Some(
                FakeProviders::start(Money::zero(Currency::Usd), settings.fake_capture_pending)
                    .await
                    .context("starting the fake providers")?,
            )
        } else {
            None
        };
        let paypal = paypal(settings.paypal.as_ref(), fakes.as_ref(), policy)?;
        let supplier = supplier(settings.aliexpress.as_ref(), fakes.as_ref(), policy)?;
        let payoneer = settings
            .payoneer
            .as_ref()
            .map(|account| payoneer(account, policy));
        Ok(Providers {
            mode,
            paypal: Arc::new(paypal),
            supplier: Arc::new(supplier),
            payoneer: payoneer.map(Arc::new),
            fakes,
        })
    }
}

impl Providers {
    /// Clients for fakes the caller started (the demo, which stages the
    /// fakes' stock and faults): sandbox mode, nothing read from the
    /// environment.
    pub fn simulated(fakes: FakeProviders) -> Providers {
        Providers {
            mode: Mode::Sandbox,
            paypal: Arc::new(PayPalClient::new(fakes.paypal.client_config())),
            supplier: Arc::new(AliExpressClient::new(fakes.aliexpress.client_config())),
            payoneer: None,
            fakes: Some(fakes),
        }
    }
}

fn paypal(
    account: Option<&PayPalAccount>,
    fakes: Option<&FakeProviders>,
    policy: CallPolicy,
) -> anyhow::Result<PayPalClient> {
    let Some(account) = account else {
        let fakes =
            fakes.context("production mode needs PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET")?;
        let warning = format!(
            "WARNING: no PayPal credentials: payments are SIMULATED by a local fake PayPal at {}; no real money moves",
            fakes.paypal.base_url()
        );
        tracing::warn!("{warning}");
        eprintln!("{warning}");
        return Ok(PayPalClient::new(fakes.paypal.client_config()));
    };
    let mut config = PayPalConfig::new(
        account.environment,
        account.client_id.clone(),
        account.client_secret.clone(),
    )
    .with_call_policy(policy);
    if let Some(base_url) = &account.base_url {
        config = config.with_base_url(base_url.as_str().trim_end_matches('/'));
    }
    match &account.webhook_id {
        Some(webhook_id) => config = config.with_webhook_id(webhook_id.clone()),
        None => tracing::warn!(
            "PAYPAL_WEBHOOK_ID is not set: PayPal webhooks are refused; pending captures settle by polling"
        ),
    }
    Ok(PayPalClient::new(config))
}

fn supplier(
    account: Option<&AliExpressAccount>,
    fakes: Option<&FakeProviders>,
    policy: CallPolicy,
) -> anyhow::Result<AliExpressClient> {
    let Some(account) = account else {
        let Some(fakes) = fakes else {
            bail!("production mode needs ALIEXPRESS_APP_KEY and ALIEXPRESS_APP_SECRET");
        };
        let warning = format!(
            "WARNING: no AliExpress app key: supplier purchases are SIMULATED by a local fake AliExpress at {}",
            fakes.aliexpress.base_url()
        );
        tracing::warn!("{warning}");
        eprintln!("{warning}");
        return Ok(AliExpressClient::new(fakes.aliexpress.client_config()));
    };
    let mut config = AliExpressConfig::new(account.app_key.clone(), account.app_secret.clone())
        .with_call_policy(policy);
    if let Some(base_url) = &account.base_url {
        config = config.with_base_url(base_url.as_str().trim_end_matches('/'));
    }
    Ok(AliExpressClient::new(config))
}

fn payoneer(account: &PayoneerAccount, policy: CallPolicy) -> PayoneerClient {
    let config = PayoneerConfig::new(
        account.base_url.as_str().trim_end_matches('/'),
        account.program_id.clone(),
        account.client_id.clone(),
        account.client_secret.clone(),
    )
    .with_call_policy(policy);
    PayoneerClient::new(config)
}
