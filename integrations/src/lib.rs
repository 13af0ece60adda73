//! Provider clients (PayPal, AliExpress Dropshipping, Payoneer), the trend
//! sources, encrypted credentials, and local fake providers that speak the
//! same HTTP so the whole system runs and is tested without the internet.
//!
//! Every provider call runs under a [`Guard`]: a per-attempt timeout,
//! bounded jittered retries for retryable errors of idempotent calls only,
//! and a circuit breaker per provider. Calls are traced with provider,
//! operation, status, latency and debug id; secrets are [`SecretString`]s
//! and never reach a log.
//!
//! Where to start:
//! - PayPal: [`PayPalClient::new`] with a [`PayPalConfig`]
//!   (`PAYPAL_ENVIRONMENT` → [`PayPalEnvironment::parse`]). Every write
//!   takes a request id (derive it from our own ids). The webhook receiver
//!   is [`paypal_webhook_router`]; plug the database in through
//!   [`WebhookDedupe`] and the process managers through [`WebhookSink`].
//! - AliExpress: [`AliExpressClient::new`]; the user's token comes from
//!   [`AliExpressClient::authorize_url`] → callback →
//!   [`AliExpressClient::create_token`], is stored sealed, and is refreshed
//!   with [`AliExpressClient::ensure_fresh`] before each purchase. Errors
//!   carry an [`ErrorCategory`].
//! - Payouts: [`PayoutProvider`], implemented by [`PayPalClient`] and
//!   [`PayoneerClient`]. Discovery: [`TrendSource`], implemented by
//!   [`AliExpressTrendSource`] and [`LocalTrendFeed`].
//! - Credentials: a [`Keyring`] from `ENCRYPTION_KEY`
//!   ([`EncryptionKey::parse`]), the application's table behind
//!   [`CredentialStore`], both in a [`CredentialVault`].
//! - Fakes: [`FakeProviders::start`] (or each fake's builder); each fake's
//!   `client_config()` points a client at it, and `inject` makes an
//!   operation fail ([`FakeOperation`], [`Fault`]).

mod aliexpress;
mod credentials;
mod fake;
mod http;
mod money;
mod payoneer;
mod payout;
mod paypal;
mod personal;
mod postgres;
mod resilience;
mod supplier_tokens;
mod token_cache;
mod trends;

pub use aliexpress::{
    sign_request, AliExpressClient, AliExpressConfig, AliExpressError, AliExpressErrorKind,
    AliExpressToken, DeliveryOption, ErrorCategory, FreightQuery, OrderLine, PlaceOrder,
    PlacedOrder, Product, ProductQuery, SearchHit, Shipment, ShippingAddress, Sku, SupplierOrder,
    SupplierOrderState, TextSearch, TrackingEvent, ALIEXPRESS_BASE_URL, SEARCH_PAGE_SIZE_MAX,
};
pub use credentials::{
    CredentialError, CredentialKey, CredentialStore, CredentialVault, EncryptionKey,
    InMemoryCredentialStore, Keyring, SealedValue, ENCRYPTION_KEY_ENV,
};
pub use fake::{
    FakeAliExpress, FakeAliExpressBuilder, FakeOperation, FakePayPal, FakePayPalBuilder,
    FakePayPalWallet, FakePayoneer, FakeProvider, FakeProviderServer, FakeProviders, Fault,
    FaultKind, FaultRequest, SupplierCancelRefused, SupplierCancelRequest, FAKE_FAULTS_PATH,
    FAKE_SUMMARY_PATH, FAKE_SUPPLIER_CANCEL_PATH,
};
pub use http::RESPONSE_BYTES_MAX;
pub use money::UnrepresentableAmount;
pub use payoneer::{PayoneerClient, PayoneerConfig, PayoneerError};
pub use payout::{PayoutError, PayoutProvider, PayoutReceipt, PayoutRequest, PayoutState};
pub use paypal::{
    paypal_webhook_router, Balances, BuyerPhone, BuyerShipping, Capture, CaptureStatus,
    ChannelWebhookSink, CheckoutItem, CheckoutOrder, CreatedOrder, CurrencyBalance, Dispute,
    InMemoryWebhookDedupe, OrderDetails, PayPalClient, PayPalConfig, PayPalEnvironment,
    PayPalError, PayPalErrorBody, PayPalErrorDetail, PayPalWebhookEvent, PayPalWebhookReceiver,
    PayoutBatch, PayoutBatchItem, PayoutBatchRequest, PayoutItem, PayoutItemStatus, Refund,
    TrackingInfo, TransmissionRefusal, WebhookDedupe, WebhookHeaders, WebhookSink, WebhookVerifier,
    DISPUTES_PAGE_SIZE_MAX, WEBHOOK_BODY_BYTES_MAX, WEBHOOK_CLOCK_SKEW_MAX_SECS,
    WEBHOOK_TRANSMISSION_AGE_MAX_SECS,
};
pub use personal::{Opened, PersonalData, PersonalDataError};
pub use postgres::{PgCredentialStore, PgWebhookDedupe, Resealed, StoredCredential};
pub use resilience::{
    BreakerPolicy, CallPolicy, CircuitBreaker, Guard, Idempotency, ProviderFault,
};
pub use secrecy::{ExposeSecret, SecretString};
pub use supplier_tokens::{SupplierTokens, SUPPLIER_PROVIDER, SUPPLIER_TOKEN_NAME};
pub use trends::{
    AliExpressTrendSource, LocalTrendFeed, TrendError, TrendQuery, TrendSource, TrendingProduct,
    TREND_RESULTS_MAX,
};
