//! The server's configuration: every setting `serve` (and the demo's
//! server) takes from its command line or environment, read once by clap
//! at start-up and parsed here into types — URLs as `Url`, secrets as
//! `SecretString`, durations with their unit — before anything listens.
//! Parsing looks at every setting and reports every problem at once, so an
//! operator fixes a deployment in one go. Nothing else reads the
//! environment.

use dropledger_graphql::TokenKeys;
use dropledger_integrations::{EncryptionKey, ExposeSecret, PayPalEnvironment};

mod input;
mod keys;
mod limits;
mod problems;
mod production;
mod providers;
mod settings;

pub use input::ServerSettingsInput;
pub use keys::{Keys, KeysInput};
pub use problems::ConfigError;
pub use providers::fake_capture_pending;
pub use settings::{
    AliExpressAccount, PayPalAccount, PayoneerAccount, ProviderSettings, ServerSettings,
};

use problems::{http_url, Problems};

/// Every 15 minutes: PayPal's reporting balance lags by more than that, so
/// asking more often mostly finds the same snapshot.
pub const RECONCILIATION_INTERVAL_SECS_DEFAULT: u64 = 900;
/// At most once a second (tests run it that often).
const RECONCILIATION_INTERVAL_SECS_MIN: u64 = 1;
/// At least once a day.
const RECONCILIATION_INTERVAL_SECS_MAX: u64 = 86_400;
/// The shortest `INTERNAL_RUN_SECRET`: a shared bearer secret must not be
/// guessable (the same bar as the JWT secret).
const INTERNAL_RUN_SECRET_BYTES_MIN: usize = 32;
/// Longest provider attempt timeout accepted, in milliseconds.
const PROVIDER_ATTEMPT_TIMEOUT_MS_MAX: u64 = 120_000;

impl ServerSettingsInput {
    /// Parses and checks every setting; every problem at once. An empty
    /// value counts as not given (`FOO=` in an environment file).
    pub fn parse(&self) -> Result<ServerSettings, ConfigError> {
        self.without_empty_values().parse_given()
    }

    /// The same settings, with every empty value taken as not given.
    fn without_empty_values(&self) -> Self {
        let mut given = self.clone();
        for text in [
            &mut given.autopilot_mode,
            &mut given.public_url,
            &mut given.paypal_client_id,
            &mut given.paypal_environment,
            &mut given.paypal_webhook_id,
            &mut given.paypal_base_url,
            &mut given.aliexpress_app_key,
            &mut given.aliexpress_base_url,
            &mut given.payoneer_base_url,
            &mut given.fake_paypal_capture_status,
            &mut given.payoneer_program_id,
            &mut given.payoneer_client_id,
            &mut given.provider_attempt_timeout_ms,
            &mut given.auth_requests_per_minute,
            &mut given.checkouts_per_minute,
            &mut given.webhooks_per_minute,
            &mut given.subscriptions_per_user_max,
            &mut given.subscriptions_max,
            &mut given.reconciliation_interval_secs,
            &mut given.trusted_proxies,
            &mut given.graphiql,
        ] {
            if text.as_deref() == Some("") {
                *text = None;
            }
        }
        for secret in [
            &mut given.jwt_secret,
            &mut given.encryption_key,
            &mut given.encryption_keys_retired,
            &mut given.internal_run_secret,
            &mut given.paypal_client_secret,
            &mut given.aliexpress_app_secret,
            &mut given.payoneer_client_secret,
        ] {
            if secret
                .as_ref()
                .is_some_and(|value| value.expose_secret().is_empty())
            {
                *secret = None;
            }
        }
        given
    }

    fn parse_given(&self) -> Result<ServerSettings, ConfigError> {
        let mut problems = Problems::default();
        let (paypal_environment, production) = self.mode(&mut problems);
        let public_url = problems.parse("PUBLIC_URL", self.public_url.as_deref(), http_url);
        let (tokens, encryption_key) = self.keys(&mut problems);
        let retired_encryption_keys = keys::parse_retired(
            self.encryption_keys_retired.as_ref(),
            encryption_key.as_ref(),
            &mut problems.0,
        );
        if let Some(secret) = &self.internal_run_secret {
            if secret.expose_secret().len() < INTERNAL_RUN_SECRET_BYTES_MIN {
                problems.add(format!(
                    "INTERNAL_RUN_SECRET must be at least {INTERNAL_RUN_SECRET_BYTES_MIN} bytes"
                ));
            }
        }
        let providers = self.providers(&mut problems, paypal_environment, production);
        let auth_requests_per_minute = self.auth_requests_per_minute(&mut problems);
        let checkouts_per_minute = self.checkouts_per_minute(&mut problems);
        let webhooks_per_minute = self.webhooks_per_minute(&mut problems);
        let subscription_limits = self.subscription_limits(&mut problems);
        let reconciliation_interval = self.reconciliation_interval(&mut problems);
        let trusted_proxies = self.trusted_proxies(&mut problems);
        let schema_explorer = self.schema_explorer(&mut problems);
        if production {
            self.check_production(&mut problems, paypal_environment);
        }
        if !problems.0.is_empty() {
            return Err(ConfigError(problems.0));
        }
        Ok(ServerSettings {
            production,
            public_url,
            tokens,
            encryption_key,
            retired_encryption_keys,
            internal_run_secret: self.internal_run_secret.clone(),
            providers,
            auth_requests_per_minute,
            checkouts_per_minute,
            webhooks_per_minute,
            subscription_limits,
            reconciliation_interval,
            trusted_proxies,
            schema_explorer,
        })
    }

    /// The mode: PayPal's environment, and whether real money moves.
    fn mode(&self, problems: &mut Problems) -> (Option<PayPalEnvironment>, bool) {
        let autopilot_mode = problems.parse(
            "AUTOPILOT_MODE",
            self.autopilot_mode.as_deref(),
            |value| match value {
                "sandbox" => Ok(false),
                "production" => Ok(true),
                _ => Err("must be sandbox or production".to_owned()),
            },
        );
        let paypal_environment = problems.parse(
            "PAYPAL_ENVIRONMENT",
            self.paypal_environment.as_deref(),
            |value| match value {
                "sandbox" => Ok(PayPalEnvironment::Sandbox),
                "production" | "live" => Ok(PayPalEnvironment::Live),
                _ => Err("must be sandbox, production or live".to_owned()),
            },
        );
        let production =
            autopilot_mode == Some(true) || paypal_environment == Some(PayPalEnvironment::Live);
        (paypal_environment, production)
    }

    /// The token keys and the credentials' encryption key, when given.
    fn keys(&self, problems: &mut Problems) -> (Option<TokenKeys>, Option<EncryptionKey>) {
        let tokens = self.jwt_secret.as_ref().and_then(|secret| {
            TokenKeys::from_secret(secret.expose_secret().as_bytes())
                .map_err(|reason| problems.add(reason))
                .ok()
        });
        let encryption_key = self.encryption_key.as_ref().and_then(|key| {
            EncryptionKey::parse(key.expose_secret())
                .map_err(|reason| problems.add(format!("ENCRYPTION_KEY: {reason}")))
                .ok()
        });
        (tokens, encryption_key)
    }
}

#[cfg(test)]
mod tests;
