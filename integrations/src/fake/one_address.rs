//! The three fakes on one address, as `dropledger fake-providers` runs them
//! in a process of their own: PayPal under `/paypal`, AliExpress under
//! `/aliexpress`, Payoneer under `/payoneer`, and under `/__fake` a
//! read-only summary of what they hold and a hook to inject faults, so that
//! a test in another process can kill servers and still count what was
//! paid, bought and paid out.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dropledger_domain::Money;
use secrecy::ExposeSecret;
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use super::faults::{FakeOperation, FakeProvider, Fault};
use super::{FakeAliExpress, FakePayPal, FakePayoneer, FakeProviders};

/// The path of the read-only summary (JSON).
pub const FAKE_SUMMARY_PATH: &str = "/__fake/summary";
/// The path that takes a [`FaultRequest`] (POST, JSON).
pub const FAKE_FAULTS_PATH: &str = "/__fake/faults";
/// The path (POST, JSON [`SupplierCancelRequest`]) on which the fake
/// supplier cancels an accepted order, `{order_id}` its supplier order id.
pub const FAKE_SUPPLIER_CANCEL_PATH: &str = "/__fake/aliexpress/orders/{order_id}/cancel";
/// The longest delay a fault request may ask for: a fault that outlives a
/// test would hold a connection past its end.
const FAULT_DELAY_MS_MAX: u64 = 120_000;
/// The most times one fault request may queue its fault.
const FAULT_TIMES_MAX: usize = 10_000;

/// A fault injected over HTTP: `{"operation": "AliExpressPlaceOrder",
/// "fault": {"kind": "delay", "ms": 1500}, "times": 1}`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct FaultRequest {
    /// The operation that fails.
    pub operation: FakeOperation,
    /// How it fails.
    pub fault: FaultKind,
    /// How many of its next calls fail (default 1).
    #[serde(default = "one")]
    pub times: usize,
}

fn one() -> usize {
    1
}

/// The fake supplier cancels an order: `{"refund": true}` closes it and
/// pays its amount back (`FINISH`); `false` leaves it `IN_CANCEL`.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
pub struct SupplierCancelRequest {
    /// Whether the supplier's refund is made too.
    #[serde(default)]
    pub refund: bool,
}

/// [`Fault`] on the wire.
#[derive(Debug, Clone, Copy, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FaultKind {
    /// The work is done, the answer comes `ms` later (lost to a client that
    /// gives up sooner).
    Delay {
        /// Milliseconds.
        ms: u64,
    },
    /// This HTTP status without doing the work (5xx, or 429).
    Status {
        /// The status code.
        status: u16,
    },
    /// The provider's decline.
    Declined,
    /// The supplier is out of stock.
    OutOfStock,
}

impl FaultKind {
    fn fault(self) -> Result<Fault, String> {
        match self {
            FaultKind::Delay { ms } if ms <= FAULT_DELAY_MS_MAX => {
                Ok(Fault::Delay(Duration::from_millis(ms)))
            }
            FaultKind::Delay { .. } => Err(format!("a delay is at most {FAULT_DELAY_MS_MAX} ms")),
            FaultKind::Status { status } if status == 429 || (500..=599).contains(&status) => {
                Ok(Fault::ServerError(status))
            }
            FaultKind::Status { .. } => Err("status must be 429 or 5xx".to_owned()),
            FaultKind::Declined => Ok(Fault::Declined),
            FaultKind::OutOfStock => Ok(Fault::OutOfStock),
        }
    }
}

/// The three fakes served together on one address until dropped.
#[derive(Debug)]
pub struct FakeProviderServer {
    base_url: String,
    providers: Arc<FakeProviders>,
    task: JoinHandle<()>,
}

impl Drop for FakeProviderServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeProviderServer {
    /// Serves the fakes on `listener`; PayPal starts with
    /// `paypal_opening_balance`, which also pays the supplier's purchases,
    /// and with `capture_pending` leaves captures PENDING.
    pub fn serve(
        listener: TcpListener,
        paypal_opening_balance: Money,
        capture_pending: bool,
    ) -> std::io::Result<FakeProviderServer> {
        let base_url = format!("http://{}", listener.local_addr()?);
        let (paypal_routes, paypal) = FakePayPal::builder()
            .capture_pending(capture_pending)
            .opening_balance(paypal_opening_balance)
            .mounted(&format!("{base_url}/paypal"));
        let (aliexpress_routes, aliexpress) =
            FakeAliExpress::builder().mounted(&format!("{base_url}/aliexpress"));
        aliexpress.pay_purchases_from(paypal.wallet());
        let (payoneer_routes, payoneer) =
            FakePayoneer::mounted(rust_decimal::Decimal::ZERO, &format!("{base_url}/payoneer"));
        let providers = Arc::new(FakeProviders {
            paypal,
            aliexpress,
            payoneer,
        });
        let control = Router::new()
            .route(FAKE_SUMMARY_PATH, get(summary))
            .route(FAKE_FAULTS_PATH, post(inject))
            .route(FAKE_SUPPLIER_CANCEL_PATH, post(cancel_supplier_order))
            .with_state(providers.clone());
        let router = Router::new()
            .nest("/paypal", paypal_routes)
            .nest("/aliexpress", aliexpress_routes)
            .nest("/payoneer", payoneer_routes)
            .merge(control);
        let task = tokio::spawn(async move {
            if let Err(error) = axum::serve(listener, router).await {
                tracing::error!(%error, "fake provider server stopped");
            }
        });
        Ok(FakeProviderServer {
            base_url,
            providers,
            task,
        })
    }

    /// `http://<address>`: the summary and fault hook live under it.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The fakes, for a caller in the same process.
    pub fn providers(&self) -> &FakeProviders {
        &self.providers
    }

    /// The settings that point `dropledger serve` at these fakes, as
    /// environment variables (name, value).
    pub fn server_environment(&self) -> Vec<(&'static str, String)> {
        let paypal = self.providers.paypal.client_config();
        let supplier = self.providers.aliexpress.client_config();
        let payoneer = self.providers.payoneer.client_config();
        vec![
            ("PAYPAL_BASE_URL", paypal.base_url.clone()),
            ("PAYPAL_CLIENT_ID", paypal.client_id.clone()),
            (
                "PAYPAL_CLIENT_SECRET",
                paypal.client_secret.expose_secret().to_owned(),
            ),
            ("ALIEXPRESS_BASE_URL", supplier.base_url.clone()),
            ("ALIEXPRESS_APP_KEY", supplier.app_key.clone()),
            (
                "ALIEXPRESS_APP_SECRET",
                supplier.app_secret.expose_secret().to_owned(),
            ),
            ("PAYONEER_BASE_URL", payoneer.base_url.clone()),
            ("PAYONEER_PROGRAM_ID", payoneer.program_id.clone()),
            ("PAYONEER_CLIENT_ID", payoneer.client_id.clone()),
            (
                "PAYONEER_CLIENT_SECRET",
                payoneer.client_secret.expose_secret().to_owned(),
            ),
        ]
    }

    /// Everything the fakes hold that a test compares with the ledger.
    pub fn summary(&self) -> Value {
        summary_of(&self.providers)
    }
}

fn summary_of(providers: &FakeProviders) -> Value {
    let mut pending_faults = providers.paypal.pending_faults();
    pending_faults.extend(providers.aliexpress.pending_faults());
    pending_faults.extend(providers.payoneer.pending_faults());
    json!({
        "paypal": providers.paypal.summary(),
        "aliexpress": providers.aliexpress.summary(),
        "payoneer": providers.payoneer.summary(),
        "pending_faults": pending_faults,
    })
}

async fn summary(State(providers): State<Arc<FakeProviders>>) -> Json<Value> {
    Json(summary_of(&providers))
}

async fn inject(
    State(providers): State<Arc<FakeProviders>>,
    Json(request): Json<FaultRequest>,
) -> Response {
    let fault = match request.fault.fault() {
        Ok(fault) if request.times <= FAULT_TIMES_MAX => fault,
        Ok(_) => return refused(format!("times is at most {FAULT_TIMES_MAX}")),
        Err(reason) => return refused(reason),
    };
    let (operation, times) = (request.operation, request.times);
    match operation.provider() {
        FakeProvider::PayPal => providers.paypal.inject_times(operation, fault, times),
        FakeProvider::AliExpress => providers.aliexpress.inject_times(operation, fault, times),
        FakeProvider::Payoneer => providers.payoneer.inject_times(operation, fault, times),
    }
    tracing::info!(?operation, ?fault, times, "fault injected");
    (StatusCode::ACCEPTED, Json(json!({"queued": times}))).into_response()
}

async fn cancel_supplier_order(
    State(providers): State<Arc<FakeProviders>>,
    Path(order_id): Path<String>,
    Json(request): Json<SupplierCancelRequest>,
) -> Response {
    match providers.aliexpress.cancel(&order_id, request.refund) {
        Ok(()) => {
            tracing::info!(%order_id, refund = request.refund, "supplier order cancelled");
            (StatusCode::ACCEPTED, Json(json!({"cancelled": order_id}))).into_response()
        }
        Err(refused) => self::refused(refused.to_string()),
    }
}

fn refused(reason: String) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": reason}))).into_response()
}
