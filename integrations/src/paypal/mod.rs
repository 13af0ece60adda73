//! PayPal REST: OAuth2, Orders v2, captures, refunds, tracking, payouts,
//! balances, disputes, webhooks.

mod client;
mod disputes;
mod error;
mod orders;
mod payouts;
mod refunds;
mod tracking;
mod transmission;
mod webhook;

pub use client::{PayPalClient, PayPalConfig, PayPalEnvironment};
pub use disputes::{Dispute, DISPUTES_PAGE_SIZE_MAX};
pub use error::{PayPalError, PayPalErrorBody, PayPalErrorDetail};
pub use orders::{
    BuyerPhone, BuyerShipping, Capture, CaptureStatus, CheckoutItem, CheckoutOrder, CreatedOrder,
    OrderDetails,
};
pub use payouts::{
    Balances, CurrencyBalance, PayoutBatch, PayoutBatchItem, PayoutBatchRequest, PayoutItem,
    PayoutItemStatus,
};
pub use refunds::Refund;
pub use tracking::TrackingInfo;
pub use transmission::{
    TransmissionRefusal, WEBHOOK_CLOCK_SKEW_MAX_SECS, WEBHOOK_TRANSMISSION_AGE_MAX_SECS,
};
pub use webhook::{
    paypal_webhook_router, ChannelWebhookSink, InMemoryWebhookDedupe, PayPalWebhookEvent,
    PayPalWebhookReceiver, WebhookDedupe, WebhookHeaders, WebhookSink, WebhookVerifier,
    WEBHOOK_BODY_BYTES_MAX,
};
