//! The fake PayPal: OAuth2, Orders v2, captures, refunds, tracking,
//! payouts, balances, disputes and signed webhooks, in memory.

mod captures;
mod dashboard;
mod disputes;
mod handle;
mod orders;
mod payouts;
mod summary;
mod webhooks;

pub use handle::{FakePayPal, FakePayPalWallet};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use dropledger_domain::{Currency, Money, MoneyError};
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::faults::{FakeOperation, Fault, Faults};
use crate::money::{read_amount, PayPalAmount, UnrepresentableAmount, WireAmount};

/// How to start a [`FakePayPal`].
#[derive(Debug, Clone)]
pub struct FakePayPalBuilder {
    client_id: String,
    client_secret: String,
    capture_pending: bool,
    token_ttl: Duration,
    webhook_url: Option<String>,
    webhook_id: String,
    opening_balance: Money,
    fee_percent: Decimal,
    fee_fixed: Decimal,
}

impl Default for FakePayPalBuilder {
    fn default() -> Self {
        Self {
            client_id: "fake-client-id".to_owned(),
            client_secret: "fake-client-secret".to_owned(),
            capture_pending: false,
            token_ttl: Duration::from_secs(32_400),
            webhook_url: None,
            webhook_id: "WH-FAKE-0001".to_owned(),
            opening_balance: Money::zero(Currency::Usd),
            // PayPal's US standard rate: 3.49 % + 0.49.
            fee_percent: Decimal::new(349, 2),
            fee_fixed: Decimal::new(49, 2),
        }
    }
}

impl FakePayPalBuilder {
    /// The client id and secret the fake accepts.
    pub fn credentials(mut self, client_id: &str, client_secret: &str) -> Self {
        self.client_id = client_id.to_owned();
        self.client_secret = client_secret.to_owned();
        self
    }

    /// Leave captures PENDING (funds held) until told to complete them.
    pub fn capture_pending(mut self, pending: bool) -> Self {
        self.capture_pending = pending;
        self
    }

    /// How long an access token lives.
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Where to deliver webhooks.
    pub fn webhook_url(mut self, url: impl Into<String>) -> Self {
        self.webhook_url = Some(url.into());
        self
    }

    /// The balance before any sale.
    pub fn opening_balance(mut self, balance: Money) -> Self {
        self.opening_balance = balance;
        self
    }

    /// Starts the server on 127.0.0.1 and a free port.
    pub async fn start(self) -> std::io::Result<FakePayPal> {
        let (router, shared) = self.assemble();
        let (base_url, task) = super::serve(router).await?;
        *shared.base_url.lock().expect("lock") = base_url.clone();
        Ok(FakePayPal::new(base_url, shared, Some(task)))
    }

    /// The fake's routes, to be served under `base_url` by a server the
    /// caller runs (the fakes together on one address).
    pub(crate) fn mounted(self, base_url: &str) -> (Router, FakePayPal) {
        let (router, shared) = self.assemble();
        *shared.base_url.lock().expect("lock") = base_url.to_owned();
        (router, FakePayPal::new(base_url.to_owned(), shared, None))
    }

    fn assemble(self) -> (Router, Arc<Shared>) {
        let mut balances = HashMap::new();
        balances.insert(
            self.opening_balance.currency(),
            Balance {
                available: self.opening_balance.amount(),
                withheld: Decimal::ZERO,
            },
        );
        let mut signing_key = [0u8; 32];
        signing_key.copy_from_slice(uuid::Uuid::new_v4().as_bytes().repeat(2).as_slice());
        let shared = Arc::new(Shared {
            base_url: Mutex::new(String::new()),
            webhook_url: Mutex::new(self.webhook_url.clone()),
            config: self,
            state: Mutex::new(State {
                balances,
                ..State::default()
            }),
            faults: Faults::default(),
            signing_key,
            http: reqwest::Client::new(),
        });
        let router = Router::new()
            .route("/v1/oauth2/token", post(orders::token))
            .route("/v2/checkout/orders", post(orders::create_order))
            .route("/v2/checkout/orders/{id}", get(orders::get_order))
            .route(
                "/v2/checkout/orders/{id}/capture",
                post(captures::capture_order),
            )
            .route("/v2/checkout/orders/{id}/track", post(orders::track))
            .route("/checkoutnow", get(orders::approve))
            .route("/v2/payments/captures/{id}", get(captures::get_capture))
            .route("/v2/payments/captures/{id}/refund", post(captures::refund))
            .route("/v1/customer/disputes", get(disputes::list))
            .route("/v1/customer/disputes/{id}", get(disputes::show))
            .route(
                "/v1/customer/disputes/{id}/accept-claim",
                post(disputes::accept_claim),
            )
            .route(
                "/v1/customer/disputes/{id}/provide-evidence",
                post(disputes::provide_evidence),
            )
            .route("/v1/reporting/balances", get(payouts::balances))
            .route("/v1/payments/payouts", post(payouts::create_batch))
            .route("/v1/payments/payouts/{id}", get(payouts::get_batch))
            .route("/v1/payments/payouts-item/{id}", get(payouts::get_item))
            .route(
                "/v1/payments/payouts-item/{id}/cancel",
                post(payouts::cancel_item),
            )
            .route(
                "/v1/notifications/webhooks",
                post(webhooks::register_webhook),
            )
            .route(
                "/v1/notifications/verify-webhook-signature",
                post(webhooks::verify_webhook),
            )
            .with_state(shared.clone());
        (router, shared)
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Balance {
    pub available: Decimal,
    pub withheld: Decimal,
}

#[derive(Debug, Clone)]
pub(super) struct FakeOrder {
    pub id: String,
    pub status: String,
    pub purchase_unit: Value,
    pub amount: Money,
    pub return_url: Option<String>,
    pub capture_id: Option<String>,
    pub trackers: Vec<Value>,
}

#[derive(Debug, Clone)]
pub(super) struct FakeCapture {
    pub id: String,
    pub order_id: String,
    pub status: String,
    pub gross: Money,
    pub fee: Money,
    pub refunded: Decimal,
}

#[derive(Debug, Clone)]
pub(super) struct FakeBatch {
    pub id: String,
    pub sender_batch_id: String,
    pub items: Vec<Value>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub tokens: HashMap<String, Instant>,
    pub orders: HashMap<String, FakeOrder>,
    pub captures: HashMap<String, FakeCapture>,
    /// Answers by (operation, PayPal-Request-Id): a repeat gets the first
    /// answer back with 200.
    pub replies: HashMap<(&'static str, String), Value>,
    pub balances: HashMap<Currency, Balance>,
    pub batches: HashMap<String, FakeBatch>,
    pub batch_by_sender_id: HashMap<String, String>,
    pub item_batch: HashMap<String, String>,
    pub webhooks_sent: Vec<(String, u16)>,
    /// Customers' disputes, by dispute id.
    pub disputes: HashMap<String, disputes::FakeDispute>,
    pub tokens_refused: usize,
    pub tokens_issued: usize,
    /// Buyers approve without giving PayPal a shipping address.
    pub buyers_without_address: bool,
    /// The reporting balance's `as_of_time` when a test fixes it (PayPal's
    /// reporting lags); `None`: the moment of the request.
    pub balance_as_of: Option<chrono::DateTime<chrono::Utc>>,
    /// Captures whose reads (`GET /v2/payments/captures/{id}`) fail with a
    /// 500 for as long as they are listed: one capture PayPal keeps refusing.
    pub refused_capture_reads: std::collections::HashSet<String>,
    /// Captures whose reads are answered 404 as if PayPal had never heard
    /// of them (recorded against another account, say).
    pub forgotten_captures: std::collections::HashSet<String>,
    /// Reads (`GET /v2/payments/captures/{id}`) asked per capture id,
    /// answered or not: how often a poller asks.
    pub capture_reads: HashMap<String, usize>,
    /// Receivers whose payout batches fail with a 500 for as long as they
    /// are listed: a payout PayPal keeps refusing.
    pub refused_payout_receivers: std::collections::HashSet<String>,
}

pub(super) struct Shared {
    pub config: FakePayPalBuilder,
    pub base_url: Mutex<String>,
    pub webhook_url: Mutex<Option<String>>,
    pub state: Mutex<State>,
    pub faults: Faults,
    pub signing_key: [u8; 32],
    pub http: reqwest::Client,
}

impl Shared {
    pub fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("fake PayPal state lock")
    }

    pub fn base_url(&self) -> String {
        self.base_url.lock().expect("lock").clone()
    }

    /// The bearer token is known and alive.
    pub fn authorize(&self, headers: &HeaderMap) -> Result<(), Response> {
        let token = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let alive = token
            .and_then(|token| self.state().tokens.get(token).copied())
            .is_some_and(|expires| Instant::now() < expires);
        if alive {
            Ok(())
        } else {
            self.state().tokens_refused += 1;
            Err(reply(
                StatusCode::UNAUTHORIZED,
                json!({"error": "invalid_token", "error_description": "Access Token not found in cache"}),
            ))
        }
    }

    /// Applies an injected fault; `Ok(Some(Declined))` is left to the
    /// handler, 5xx answers here.
    pub async fn fault(&self, operation: FakeOperation) -> Result<Option<Fault>, Response> {
        match self.faults.next(operation) {
            // PayPal names its rate limit RATE_LIMIT_REACHED (429).
            Some(Fault::ServerError(429)) => Err(reply(
                StatusCode::TOO_MANY_REQUESTS,
                json!({"name": "RATE_LIMIT_REACHED", "message": "Too many requests. Blocked due to rate limiting.", "debug_id": debug_id(), "details": []}),
            )),
            Some(Fault::ServerError(status)) => Err(reply(
                StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
                json!({"name": "INTERNAL_SERVER_ERROR", "message": "An internal server error occurred.", "debug_id": debug_id(), "details": []}),
            )),
            other => Ok(other),
        }
    }

    /// Like [`Shared::fault`], but a delay is slept out before the work.
    pub async fn fault_before(&self, operation: FakeOperation) -> Result<Option<Fault>, Response> {
        let fault = self.fault(operation).await?;
        Ok(super::faults::late(fault, fault).await)
    }

    /// HMAC over the transmission and a digest of the event, standing in
    /// for PayPal's RSA signature (the receiver asks PayPal — here, us — to
    /// verify, so the scheme is ours to choose).
    pub fn signature(
        &self,
        transmission_id: &str,
        transmission_time: &str,
        raw_event: &str,
    ) -> String {
        let canonical = serde_json::from_str::<Value>(raw_event)
            .map(|v| v.to_string())
            .unwrap_or_default();
        let digest = hex::encode(Sha256::digest(canonical.as_bytes()));
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.signing_key).expect("HMAC key");
        mac.update(
            format!(
                "{transmission_id}|{transmission_time}|{}|{digest}",
                self.config.webhook_id
            )
            .as_bytes(),
        );
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    }
}

pub(super) fn debug_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..13].to_owned()
}

/// A JSON answer with a `PayPal-Debug-Id` header, as PayPal sends.
pub(super) fn reply(status: StatusCode, body: Value) -> Response {
    let debug = body["debug_id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(debug_id);
    (status, [("paypal-debug-id", debug)], Json(body)).into_response()
}

/// PayPal's error shape with one detail.
pub(super) fn issue(status: StatusCode, name: &str, issue: &str, description: &str) -> Response {
    reply(
        status,
        json!({
            "name": name,
            "message": "The requested action could not be performed, semantically incorrect, or failed business validation.",
            "debug_id": debug_id(),
            "details": [{"issue": issue, "description": description}],
        }),
    )
}

pub(super) fn wire(money: Money) -> Value {
    PayPalAmount::json(money)
}

/// A running total of valid amounts (a balance) as money: such a sum keeps
/// the currency's decimal places.
pub(super) fn total_money(currency: Currency, total: Decimal) -> Money {
    let mut total = total;
    total.rescale(currency.minor_units());
    Money::new(total, currency).expect("a fake balance stays within the ledger's range")
}

/// The amount of shape `A` at `value`: `None` when absent, and PayPal's
/// refusal as the answer when it cannot take the amount.
pub(super) fn amount_of<A: WireAmount>(value: Option<&Value>) -> Result<Option<Money>, Response> {
    read_amount::<A>(value)
        .transpose()
        .map_err(|refused| amount_refused(&refused))
}

/// PayPal's refusal of an amount it cannot take (too many decimals for the
/// currency, a currency it does not support), as it answers it.
fn amount_refused(refused: &UnrepresentableAmount) -> Response {
    let (status, name, issue_name) = match refused.reason {
        MoneyError::TooManyDecimalPlaces { .. } => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNPROCESSABLE_ENTITY",
            "DECIMAL_PRECISION",
        ),
        MoneyError::UnknownCurrency(_) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            "UNPROCESSABLE_ENTITY",
            "CURRENCY_NOT_SUPPORTED",
        ),
        _ => (
            StatusCode::BAD_REQUEST,
            "INVALID_REQUEST",
            "INVALID_PARAMETER_VALUE",
        ),
    };
    issue(status, name, issue_name, &refused.to_string())
}
