//! The provider clients `serve` and its process managers share, built from
//! the environment: real PayPal / AliExpress / Payoneer when configured,
//! provider URLs of the caller's choosing in sandbox mode (tests run the
//! fakes in their own process and point the server at them), or local fake
//! providers started here when nothing is configured.

use std::sync::Arc;

use anyhow::{bail, Context};
use dropledger_domain::{Currency, Money};
use dropledger_integrations::{
    AliExpressClient, AliExpressConfig, CallPolicy, FakeProviders, PayPalClient, PayPalConfig,
    PayPalEnvironment, PayoneerClient, PayoneerConfig, SecretString,
};
use dropledger_workflows::Mode;

/// Sandbox-only: where PayPal is (a fake in a test's process).
pub const PAYPAL_BASE_URL_ENV: &str = "PAYPAL_BASE_URL";
/// Sandbox-only: where AliExpress is (needs `ALIEXPRESS_APP_KEY`/`_SECRET`).
pub const ALIEXPRESS_BASE_URL_ENV: &str = "ALIEXPRESS_BASE_URL";
/// Sandbox-only: where Payoneer is (needs `PAYONEER_PROGRAM_ID`,
/// `PAYONEER_CLIENT_ID`, `PAYONEER_CLIENT_SECRET`).
pub const PAYONEER_BASE_URL_ENV: &str = "PAYONEER_BASE_URL";
/// Sandbox-only: the per-attempt timeout of every provider call, in ms.
pub const PROVIDER_ATTEMPT_TIMEOUT_MS_ENV: &str = "PROVIDER_ATTEMPT_TIMEOUT_MS";

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

fn var(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|value| !value.trim().is_empty())
}

impl Providers {
    /// Builds the clients from the environment; `production` is serve's
    /// mode (AUTOPILOT_MODE or PAYPAL_ENVIRONMENT), which refuses the
    /// sandbox-only URL overrides and local fakes.
    pub async fn from_environment(production: bool) -> anyhow::Result<Providers> {
        let mode = if production {
            Mode::Production
        } else {
            Mode::Sandbox
        };
        let overrides = [
            PAYPAL_BASE_URL_ENV,
            ALIEXPRESS_BASE_URL_ENV,
            PAYONEER_BASE_URL_ENV,
            PROVIDER_ATTEMPT_TIMEOUT_MS_ENV,
        ];
        if production {
            if let Some(name) = overrides.iter().find(|name| var(name).is_some()) {
                bail!("{name} is for sandbox mode only; unset it in production");
            }
        }
        let mut policy = CallPolicy::default();
        if let Some(value) = var(PROVIDER_ATTEMPT_TIMEOUT_MS_ENV) {
            policy.attempt_timeout_ms = value.parse().with_context(|| {
                format!("{PROVIDER_ATTEMPT_TIMEOUT_MS_ENV} is a whole number of milliseconds")
            })?;
        }
        let needs_fakes = var("PAYPAL_CLIENT_ID").is_none() || var("ALIEXPRESS_APP_KEY").is_none();
        let fakes = if needs_fakes && !production {
            Some(
                FakeProviders::start(Money::zero(Currency::Usd))
                    .await
                    .context("starting the fake providers")?,
            )
        } else {
            None
        };
        let paypal = paypal(fakes.as_ref(), policy)?;
        let supplier = supplier(fakes.as_ref(), policy, production)?;
        let payoneer = payoneer(policy)?;
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

fn paypal(fakes: Option<&FakeProviders>, policy: CallPolicy) -> anyhow::Result<PayPalClient> {
    let (Some(client_id), Some(secret)) = (var("PAYPAL_CLIENT_ID"), var("PAYPAL_CLIENT_SECRET"))
    else {
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
    let environment = var("PAYPAL_ENVIRONMENT")
        .map(|value| {
            PayPalEnvironment::parse(&value).context("PAYPAL_ENVIRONMENT is sandbox or production")
        })
        .transpose()?
        .unwrap_or(PayPalEnvironment::Sandbox);
    let mut config = PayPalConfig::new(environment, client_id, SecretString::from(secret))
        .with_call_policy(policy);
    if let Some(base_url) = var(PAYPAL_BASE_URL_ENV) {
        config = config.with_base_url(base_url);
    }
    match var("PAYPAL_WEBHOOK_ID") {
        Some(webhook_id) => config = config.with_webhook_id(webhook_id),
        None => tracing::warn!(
            "PAYPAL_WEBHOOK_ID is not set: PayPal webhooks are refused; pending captures settle by polling"
        ),
    }
    Ok(PayPalClient::new(config))
}

fn supplier(
    fakes: Option<&FakeProviders>,
    policy: CallPolicy,
    production: bool,
) -> anyhow::Result<AliExpressClient> {
    let (Some(app_key), Some(secret)) = (var("ALIEXPRESS_APP_KEY"), var("ALIEXPRESS_APP_SECRET"))
    else {
        if production {
            bail!("production mode needs ALIEXPRESS_APP_KEY and ALIEXPRESS_APP_SECRET");
        }
        let fakes = fakes.context("the fake providers run when AliExpress is not configured")?;
        let warning = format!(
            "WARNING: no AliExpress app key: supplier purchases are SIMULATED by a local fake AliExpress at {}",
            fakes.aliexpress.base_url()
        );
        tracing::warn!("{warning}");
        eprintln!("{warning}");
        return Ok(AliExpressClient::new(fakes.aliexpress.client_config()));
    };
    let mut config =
        AliExpressConfig::new(app_key, SecretString::from(secret)).with_call_policy(policy);
    if let Some(base_url) = var(ALIEXPRESS_BASE_URL_ENV) {
        config = config.with_base_url(base_url);
    }
    Ok(AliExpressClient::new(config))
}

fn payoneer(policy: CallPolicy) -> anyhow::Result<Option<PayoneerClient>> {
    let Some(base_url) = var(PAYONEER_BASE_URL_ENV) else {
        return Ok(None);
    };
    let required =
        |name: &str| var(name).with_context(|| format!("{PAYONEER_BASE_URL_ENV} needs {name}"));
    let config = PayoneerConfig::new(
        base_url,
        required("PAYONEER_PROGRAM_ID")?,
        required("PAYONEER_CLIENT_ID")?,
        SecretString::from(required("PAYONEER_CLIENT_SECRET")?),
    )
    .with_call_policy(policy);
    Ok(Some(PayoneerClient::new(config)))
}
