//! Provider clients (PayPal, AliExpress Dropshipping, Payoneer), the trend
//! sources, encrypted credentials, and local fake providers that speak the
//! same HTTP so the whole system runs and is tested without the internet.
//!
//! Every provider call runs under a [`Guard`]: a per-attempt timeout,
//! bounded jittered retries for retryable errors of idempotent calls only,
//! and a circuit breaker per provider. Calls are traced with provider,
//! operation, status, latency and debug id; secrets are [`SecretString`]s
//! and never reach a log.

mod aliexpress;
mod credentials;
mod fake;
mod http;
mod money;
mod payoneer;
mod payout;
mod paypal;
mod resilience;
mod trends;

pub use aliexpress::{
    sign_request, AliExpressClient, AliExpressConfig, AliExpressError, AliExpressErrorKind,
    AliExpressToken, DeliveryOption, ErrorCategory, FreightQuery, OrderLine, PlaceOrder,
    PlacedOrder, Product, ProductQuery, SearchHit, Shipment, ShippingAddress, Sku, SupplierOrder,
    TextSearch, TrackingEvent, ALIEXPRESS_BASE_URL, SEARCH_PAGE_SIZE_MAX,
};
pub use credentials::{
    CredentialError, CredentialKey, CredentialStore, CredentialVault, EncryptionKey,
    InMemoryCredentialStore, Keyring, SealedValue,
};
pub use fake::{
    FakeAliExpress, FakeAliExpressBuilder, FakeOperation, FakePayPal, FakePayPalBuilder,
    FakePayoneer, FakeProviders, Fault, FAKE_PAYPAL_CAPTURE_STATUS_ENV,
};
pub use http::RESPONSE_BYTES_MAX;
pub use money::{Money, MoneyParseError};
pub use payoneer::{PayoneerClient, PayoneerConfig, PayoneerError};
pub use payout::{PayoutError, PayoutProvider, PayoutReceipt, PayoutRequest, PayoutState};
pub use paypal::{
    paypal_webhook_router, Balances, Capture, CaptureStatus, ChannelWebhookSink, CheckoutItem,
    CheckoutOrder, CreatedOrder, CurrencyBalance, InMemoryWebhookDedupe, OrderDetails,
    PayPalClient, PayPalConfig, PayPalEnvironment, PayPalError, PayPalErrorBody, PayPalErrorDetail,
    PayPalWebhookEvent, PayPalWebhookReceiver, PayoutBatch, PayoutBatchItem, PayoutBatchRequest,
    PayoutItem, PayoutItemStatus, Refund, TrackingInfo, WebhookDedupe, WebhookHeaders, WebhookSink,
    WebhookVerifier, WEBHOOK_BODY_BYTES_MAX,
};
pub use resilience::{
    BreakerPolicy, CallPolicy, CircuitBreaker, Guard, Idempotency, ProviderFault,
};
pub use secrecy::{ExposeSecret, SecretString};
pub use trends::{
    AliExpressTrendSource, LocalTrendFeed, TrendError, TrendQuery, TrendSource, TrendingProduct,
    TREND_RESULTS_MAX,
};
