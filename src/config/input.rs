//! The settings as an operator gives them: one clap argument (and
//! environment variable) each, kept as text until parsed.

use clap::Args;
use dropledger_integrations::SecretString;

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
    /// Local fakes only: `PENDING` makes the fake PayPal leave captures
    /// pending until PayPal (the demo) completes them; `COMPLETED` (default)
    /// completes them at once.
    #[arg(
        long,
        env = "DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS",
        value_name = "COMPLETED|PENDING"
    )]
    pub fake_paypal_capture_status: Option<String>,
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
    /// GraphQL subscriptions one user may hold open at once (default 32).
    #[arg(long, env = "SUBSCRIPTIONS_PER_USER_MAX", value_name = "COUNT")]
    pub subscriptions_per_user_max: Option<String>,
    /// GraphQL subscriptions the server holds open at once, from all users
    /// (default 512).
    #[arg(long, env = "SUBSCRIPTIONS_MAX", value_name = "COUNT")]
    pub subscriptions_max: Option<String>,
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

/// A secret as given; never printed.
fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value.to_owned()))
}
