//! The settings once parsed and checked: what the server is started with.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use dropledger_graphql::{SubscriptionLimits, TokenKeys};
use dropledger_integrations::{EncryptionKey, PayPalEnvironment, SecretString};
use reqwest::Url;

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
    /// Open GraphQL subscriptions per user and in all.
    pub subscription_limits: SubscriptionLimits,
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
    /// Whether the local fake PayPal (when one runs) leaves captures PENDING.
    pub fake_capture_pending: bool,
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
