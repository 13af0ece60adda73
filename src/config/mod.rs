//! The server's configuration: every setting `serve` (and the demo's
//! server) takes from its command line or environment, read once by clap
//! at start-up and parsed here into types — URLs as `Url`, secrets as
//! `SecretString`, durations with their unit — before anything listens.
//! Parsing looks at every setting and reports every problem at once, so an
//! operator fixes a deployment in one go. Nothing else reads the
//! environment.

mod keys;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use clap::Args;
use dropledger_graphql::{
    TokenKeys, AUTH_REQUESTS_PER_MINUTE_DEFAULT, CHECKOUTS_PER_MINUTE_DEFAULT,
    WEBHOOKS_PER_MINUTE_DEFAULT,
};
use dropledger_integrations::{EncryptionKey, ExposeSecret, PayPalEnvironment, SecretString};
use reqwest::Url;

pub use keys::{Keys, KeysInput};

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

/// The settings as given: text, to be parsed by [`ServerSettingsInput::parse`].
/// Secrets are kept as `SecretString` from the start, so that no `Debug`
/// print shows them.
#[derive(Debug, Clone, Args)]
pub struct ServerSettingsInput {
    /// `sandbox` (default: test accounts or local fakes) or `production`
    /// (real money: every secret required, nothing simulated).
    #[arg(long, env = "AUTOPILOT_MODE", value_name = "MODE")]
    pub autopilot_mode: Option<String>,
    /// Where browsers and providers reach this server (checkout return URL,
    /// OAuth callback); the listening address when unset.
    #[arg(long, env = "PUBLIC_URL", value_name = "URL")]
    pub public_url: Option<String>,
    /// Signs the API's bearer tokens (at least 32 bytes); random, and lost
    /// at restart, when unset outside production.
    #[arg(long, env = "JWT_SECRET", hide_env_values = true, value_parser = secret)]
    pub jwt_secret: Option<SecretString>,
    /// Seals stored credentials (`kid:base64` of 32 bytes); a local key
    /// under the data folder when unset outside production.
    #[arg(long, env = "ENCRYPTION_KEY", hide_env_values = true, value_parser = secret)]
    pub encryption_key: Option<SecretString>,
    /// Keys that sealed credentials before `ENCRYPTION_KEY` (comma-separated
    /// `kid:base64`): they still open, never seal; drop them after
    /// `dropledger rotate-credentials`.
    #[arg(long, env = "ENCRYPTION_KEYS_RETIRED", hide_env_values = true, value_parser = secret)]
    pub encryption_keys_retired: Option<SecretString>,
    /// Protects `POST /internal/autopilot/run` (at least 32 bytes); the
    /// trigger is off when unset outside production.
    #[arg(long, env = "INTERNAL_RUN_SECRET", hide_env_values = true, value_parser = secret)]
    pub internal_run_secret: Option<SecretString>,
    /// PayPal REST app's client id; local fake providers when unset.
    #[arg(long, env = "PAYPAL_CLIENT_ID")]
    pub paypal_client_id: Option<String>,
    /// PayPal REST app's secret.
    #[arg(long, env = "PAYPAL_CLIENT_SECRET", hide_env_values = true, value_parser = secret)]
    pub paypal_client_secret: Option<SecretString>,
    /// `sandbox` (default) or `production` (also `live`).
    #[arg(long, env = "PAYPAL_ENVIRONMENT", value_name = "ENVIRONMENT")]
    pub paypal_environment: Option<String>,
    /// The webhook id PayPal verifies our notifications against; webhooks
    /// are refused when unset (pending captures then settle by polling).
    #[arg(long, env = "PAYPAL_WEBHOOK_ID")]
    pub paypal_webhook_id: Option<String>,
    /// Sandbox only: where PayPal is (a fake in a test's process).
    #[arg(long, env = "PAYPAL_BASE_URL", value_name = "URL")]
    pub paypal_base_url: Option<String>,
    /// AliExpress app key; local fake providers when unset.
    #[arg(long, env = "ALIEXPRESS_APP_KEY")]
    pub aliexpress_app_key: Option<String>,
    /// AliExpress app secret.
    #[arg(long, env = "ALIEXPRESS_APP_SECRET", hide_env_values = true, value_parser = secret)]
    pub aliexpress_app_secret: Option<SecretString>,
    /// Sandbox only: where AliExpress is.
    #[arg(long, env = "ALIEXPRESS_BASE_URL", value_name = "URL")]
    pub aliexpress_base_url: Option<String>,
    /// Sandbox only: where Payoneer is; Payoneer payouts are off when unset.
    #[arg(long, env = "PAYONEER_BASE_URL", value_name = "URL")]
    pub payoneer_base_url: Option<String>,
    /// Payoneer program id.
    #[arg(long, env = "PAYONEER_PROGRAM_ID")]
    pub payoneer_program_id: Option<String>,
    /// Payoneer client id.
    #[arg(long, env = "PAYONEER_CLIENT_ID")]
    pub payoneer_client_id: Option<String>,
    /// Payoneer client secret.
    #[arg(long, env = "PAYONEER_CLIENT_SECRET", hide_env_values = true, value_parser = secret)]
    pub payoneer_client_secret: Option<SecretString>,
    /// Sandbox only: how long one provider call may take, in milliseconds.
    #[arg(long, env = "PROVIDER_ATTEMPT_TIMEOUT_MS", value_name = "MS")]
    pub provider_attempt_timeout_ms: Option<String>,
    /// Sign-up and sign-in attempts per client address and minute.
    #[arg(long, env = "AUTH_REQUESTS_PER_MINUTE", value_name = "COUNT")]
    pub auth_requests_per_minute: Option<String>,
    /// `createCheckout`s per client address and minute (default 30).
    #[arg(long, env = "CHECKOUTS_PER_MINUTE", value_name = "COUNT")]
    pub checkouts_per_minute: Option<String>,
    /// Deliveries to `/webhooks/paypal` per client address and minute
    /// (default 300).
    #[arg(long, env = "WEBHOOKS_PER_MINUTE", value_name = "COUNT")]
    pub webhooks_per_minute: Option<String>,
    /// Reverse proxies whose `X-Forwarded-For` names the client
    /// (comma-separated addresses); from anyone else the header is ignored.
    #[arg(long, env = "TRUSTED_PROXIES", value_name = "ADDRESSES")]
    pub trusted_proxies: Option<String>,
    /// `on`: GraphiQL and introspection in production too (`off` by
    /// default there; always on outside production).
    #[arg(long = "graphiql", env = "DROPLEDGER_GRAPHIQL", value_name = "on|off")]
    pub graphiql: Option<String>,
    /// How often PayPal's balance is reconciled with the ledger, in seconds
    /// (1 to 86400; default 900).
    #[arg(long, env = "RECONCILIATION_INTERVAL_SECS", value_name = "SECONDS")]
    pub reconciliation_interval_secs: Option<String>,
}

/// A count per minute above zero named `name`, or `default` when not given.
fn per_minute(
    problems: &mut Problems,
    name: &str,
    given: Option<&str>,
    default: u32,
) -> NonZeroU32 {
    problems
        .parse(name, given, |value| {
            value
                .parse::<NonZeroU32>()
                .map_err(|_| "must be a whole number above zero".to_owned())
        })
        .unwrap_or(NonZeroU32::new(default).unwrap_or(NonZeroU32::MIN))
}

/// A secret as given; never printed.
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value.to_owned()))
}

/// The settings, parsed and checked.
#[derive(Debug)]
pub struct ServerSettings {
    /// Real money: nothing is simulated, every secret is required.
    pub production: bool,
    /// Where browsers and providers reach the server.
    pub public_url: Option<Url>,
    /// Signs and checks the API's bearer tokens (random when not given).
    pub tokens: Option<TokenKeys>,
    /// Seals stored credentials (a local key when not given).
    pub encryption_key: Option<EncryptionKey>,
    /// Open what older keys sealed; never seal.
    pub retired_encryption_keys: Vec<EncryptionKey>,
    /// Protects the autopilot's internal trigger.
    pub internal_run_secret: Option<SecretString>,
    /// The provider accounts.
    pub providers: ProviderSettings,
    /// Sign-up and sign-in attempts per client address and minute.
    pub auth_requests_per_minute: NonZeroU32,
    /// `createCheckout`s per client address and minute.
    pub checkouts_per_minute: NonZeroU32,
    /// Webhook deliveries per client address and minute.
    pub webhooks_per_minute: NonZeroU32,
    /// How often cash is reconciled.
    pub reconciliation_interval: Duration,
    /// Reverse proxies whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpAddr>,
    /// GraphiQL and introspection asked for in production.
    pub schema_explorer: bool,
}

/// The provider accounts and how they are called.
#[derive(Debug, Default)]
pub struct ProviderSettings {
    /// PayPal, when configured.
    pub paypal: Option<PayPalAccount>,
    /// AliExpress, when configured.
    pub aliexpress: Option<AliExpressAccount>,
    /// Payoneer, when configured.
    pub payoneer: Option<PayoneerAccount>,
    /// How long one provider call may take (sandbox only).
    pub attempt_timeout: Option<Duration>,
}

/// A PayPal REST app.
#[derive(Debug)]
pub struct PayPalAccount {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: SecretString,
    /// Sandbox or live.
    pub environment: PayPalEnvironment,
    /// Webhook id, when webhooks are configured.
    pub webhook_id: Option<String>,
    /// Another host (sandbox only: a fake).
    pub base_url: Option<Url>,
}

/// An AliExpress app.
#[derive(Debug)]
pub struct AliExpressAccount {
    /// App key.
    pub app_key: String,
    /// App secret.
    pub app_secret: SecretString,
    /// Another host (sandbox only: a fake).
    pub base_url: Option<Url>,
}

/// A Payoneer program.
#[derive(Debug)]
pub struct PayoneerAccount {
    /// Where Payoneer is.
    pub base_url: Url,
    /// Program id.
    pub program_id: String,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: SecretString,
}

/// Everything wrong with the settings, one problem a line.
#[derive(Debug, thiserror::Error)]
#[error("the configuration has {} problem(s):\n  - {}", .0.len(), .0.join("\n  - "))]
pub struct ConfigError(pub Vec<String>);

/// Collects problems while the settings are parsed.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, problem: impl Into<String>) {
        self.0.push(problem.into());
    }

    /// `value` parsed by `parse`, or the problem noted and `None`.
    fn parse<T>(
        &mut self,
        name: &str,
        value: Option<&str>,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let value = value?;
        match parse(value) {
            Ok(parsed) => Some(parsed),
            Err(reason) => {
                self.add(format!("{name}={value:?}: {reason}"));
                None
            }
        }
    }
}

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
            &mut given.payoneer_program_id,
            &mut given.payoneer_client_id,
            &mut given.provider_attempt_timeout_ms,
            &mut given.auth_requests_per_minute,
            &mut given.checkouts_per_minute,
            &mut given.webhooks_per_minute,
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
        let public_url = problems.parse("PUBLIC_URL", self.public_url.as_deref(), http_url);
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
        let auth_requests_per_minute = problems
            .parse(
                "AUTH_REQUESTS_PER_MINUTE",
                self.auth_requests_per_minute.as_deref(),
                |value| {
                    value
                        .parse::<NonZeroU32>()
                        .map_err(|_| "must be a whole number above zero".to_owned())
                },
            )
            .unwrap_or(
                NonZeroU32::new(AUTH_REQUESTS_PER_MINUTE_DEFAULT).unwrap_or(NonZeroU32::MIN),
            );
        let checkouts_per_minute = per_minute(
            &mut problems,
            "CHECKOUTS_PER_MINUTE",
            self.checkouts_per_minute.as_deref(),
            CHECKOUTS_PER_MINUTE_DEFAULT,
        );
        let webhooks_per_minute = per_minute(
            &mut problems,
            "WEBHOOKS_PER_MINUTE",
            self.webhooks_per_minute.as_deref(),
            WEBHOOKS_PER_MINUTE_DEFAULT,
        );
        let reconciliation_interval = problems
            .parse(
                "RECONCILIATION_INTERVAL_SECS",
                self.reconciliation_interval_secs.as_deref(),
                |value| {
                    whole_number_within(
                        value,
                        RECONCILIATION_INTERVAL_SECS_MIN..=RECONCILIATION_INTERVAL_SECS_MAX,
                    )
                },
            )
            .map_or(
                Duration::from_secs(RECONCILIATION_INTERVAL_SECS_DEFAULT),
                Duration::from_secs,
            );
        let trusted_proxies = problems
            .parse("TRUSTED_PROXIES", self.trusted_proxies.as_deref(), |list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|entry| !entry.is_empty())
                    .map(|entry| {
                        entry.parse::<IpAddr>().map_err(|_| {
                            format!("`{entry}` is not an IP address (list the proxies' addresses, comma-separated)")
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        let schema_explorer = problems
            .parse(
                "DROPLEDGER_GRAPHIQL",
                self.graphiql.as_deref(),
                |value| match value {
                    "on" => Ok(true),
                    "off" => Ok(false),
                    _ => Err("must be on or off".to_owned()),
                },
            )
            .unwrap_or(false);
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
            reconciliation_interval,
            trusted_proxies,
            schema_explorer,
        })
    }

    /// The provider accounts; an account half given is a problem.
    fn providers(
        &self,
        problems: &mut Problems,
        paypal_environment: Option<PayPalEnvironment>,
        production: bool,
    ) -> ProviderSettings {
        if production {
            let overrides = [
                ("PAYPAL_BASE_URL", self.paypal_base_url.is_some()),
                ("ALIEXPRESS_BASE_URL", self.aliexpress_base_url.is_some()),
                ("PAYONEER_BASE_URL", self.payoneer_base_url.is_some()),
                (
                    "PROVIDER_ATTEMPT_TIMEOUT_MS",
                    self.provider_attempt_timeout_ms.is_some(),
                ),
            ];
            for (name, _) in overrides.iter().filter(|(_, given)| *given) {
                problems.add(format!(
                    "{name} is for sandbox mode only; unset it in production"
                ));
            }
        }
        let paypal_base_url =
            problems.parse("PAYPAL_BASE_URL", self.paypal_base_url.as_deref(), http_url);
        let paypal = match (&self.paypal_client_id, &self.paypal_client_secret) {
            (Some(client_id), Some(client_secret)) => Some(PayPalAccount {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                environment: paypal_environment.unwrap_or(PayPalEnvironment::Sandbox),
                webhook_id: self.paypal_webhook_id.clone(),
                base_url: paypal_base_url,
            }),
            (None, None) => None,
            _ => {
                problems.add("PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET go together: set both");
                None
            }
        };
        let aliexpress_base_url = problems.parse(
            "ALIEXPRESS_BASE_URL",
            self.aliexpress_base_url.as_deref(),
            http_url,
        );
        let aliexpress = match (&self.aliexpress_app_key, &self.aliexpress_app_secret) {
            (Some(app_key), Some(app_secret)) => Some(AliExpressAccount {
                app_key: app_key.clone(),
                app_secret: app_secret.clone(),
                base_url: aliexpress_base_url,
            }),
            (None, None) => None,
            _ => {
                problems.add("ALIEXPRESS_APP_KEY and ALIEXPRESS_APP_SECRET go together: set both");
                None
            }
        };
        let payoneer = self.payoneer(problems);
        let attempt_timeout = problems
            .parse(
                "PROVIDER_ATTEMPT_TIMEOUT_MS",
                self.provider_attempt_timeout_ms.as_deref(),
                |value| whole_number_within(value, 1..=PROVIDER_ATTEMPT_TIMEOUT_MS_MAX),
            )
            .map(Duration::from_millis);
        ProviderSettings {
            paypal,
            aliexpress,
            payoneer,
            attempt_timeout,
        }
    }

    /// Payoneer: all four settings, or none.
    fn payoneer(&self, problems: &mut Problems) -> Option<PayoneerAccount> {
        let base_url = problems.parse(
            "PAYONEER_BASE_URL",
            self.payoneer_base_url.as_deref(),
            http_url,
        );
        let given = [
            self.payoneer_base_url.is_some(),
            self.payoneer_program_id.is_some(),
            self.payoneer_client_id.is_some(),
            self.payoneer_client_secret.is_some(),
        ];
        match (
            base_url,
            &self.payoneer_program_id,
            &self.payoneer_client_id,
            &self.payoneer_client_secret,
        ) {
            (Some(base_url), Some(program_id), Some(client_id), Some(client_secret)) => {
                Some(PayoneerAccount {
                    base_url,
                    program_id: program_id.clone(),
                    client_id: client_id.clone(),
                    client_secret: client_secret.clone(),
                })
            }
            _ if given.iter().any(|given| *given) && !given.iter().all(|given| *given) => {
                problems.add(
                    "Payoneer needs PAYONEER_BASE_URL, PAYONEER_PROGRAM_ID, PAYONEER_CLIENT_ID \
                     and PAYONEER_CLIENT_SECRET together",
                );
                None
            }
            _ => None,
        }
    }

    /// Production refuses to start on anything it would otherwise make up
    /// or simulate.
    fn check_production(
        &self,
        problems: &mut Problems,
        paypal_environment: Option<PayPalEnvironment>,
    ) {
        let required = [
            ("JWT_SECRET", self.jwt_secret.is_none()),
            ("ENCRYPTION_KEY", self.encryption_key.is_none()),
            ("PAYPAL_CLIENT_ID", self.paypal_client_id.is_none()),
            ("PAYPAL_CLIENT_SECRET", self.paypal_client_secret.is_none()),
            ("ALIEXPRESS_APP_KEY", self.aliexpress_app_key.is_none()),
            (
                "ALIEXPRESS_APP_SECRET",
                self.aliexpress_app_secret.is_none(),
            ),
            ("INTERNAL_RUN_SECRET", self.internal_run_secret.is_none()),
        ];
        let missing: Vec<&str> = required
            .iter()
            .filter(|(_, missing)| *missing)
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            problems.add(format!(
                "production mode (AUTOPILOT_MODE=production or PAYPAL_ENVIRONMENT=production) needs {}",
                missing.join(", ")
            ));
        }
        // Real supplier purchases paid by sandbox (free, fake) money would
        // be bought with the platform's own capital and never paid for.
        if paypal_environment != Some(PayPalEnvironment::Live) {
            problems.add(
                "production mode takes real payments: set PAYPAL_ENVIRONMENT=production \
                 (PayPal sandbox money cannot pay for real purchases)",
            );
        }
    }
}

/// An absolute http(s) URL.
fn http_url(value: &str) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|error| error.to_string())?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err("must be an http:// or https:// URL with a host".to_owned()),
    }
}

/// A whole number within `range`.
fn whole_number_within(value: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, String> {
    match value.parse::<u64>() {
        Ok(number) if range.contains(&number) => Ok(number),
        _ => Err(format!(
            "must be a whole number from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

#[cfg(test)]
mod tests;
