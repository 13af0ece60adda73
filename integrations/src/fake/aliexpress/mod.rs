//! The fake AliExpress Open Platform: OAuth, signed `/rest` and `/sync`
//! calls, a small catalogue, purchases idempotent on `out_order_id`.

mod handle;
mod methods;

pub use handle::{FakeAliExpress, SupplierCancelRefused};

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::{Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{json, Value};

use super::faults::{late, FakeOperation, Fault, Faults};
use crate::aliexpress::signature_matches;

/// How far a request's timestamp may be from the server clock (±7200 s).
const TIMESTAMP_SKEW_MS_MAX: i64 = 7_200_000;

/// A product of the fake catalogue.
#[derive(Debug, Clone)]
pub(super) struct FakeProduct {
    pub title: String,
    pub orders: u64,
    pub skus: Vec<FakeSku>,
}

#[derive(Debug, Clone)]
pub(super) struct FakeSku {
    pub sku_id: String,
    pub sku_attr: String,
    pub price: Decimal,
    pub stock: u64,
}

#[derive(Debug, Clone)]
pub(super) struct FakeSupplierOrder {
    pub status: String,
    pub logistics_status: String,
    pub amount: Decimal,
    pub tracking_number: Option<String>,
    /// Why a FINISH order ended (`end_reason`), once it did.
    pub end_reason: Option<String>,
    /// The `logistics_address` the order was placed with.
    pub ship_to: serde_json::Value,
}

#[derive(Debug, Default)]
pub(super) struct State_ {
    pub codes: HashSet<String>,
    pub access_tokens: HashMap<String, Instant>,
    pub refresh_tokens: HashSet<String>,
    pub products: HashMap<String, FakeProduct>,
    pub orders: HashMap<String, FakeSupplierOrder>,
    pub by_out_order_id: HashMap<String, Vec<String>>,
    pub next_order: u64,
}

pub(super) struct Shared {
    pub app_key: String,
    pub app_secret: SecretString,
    pub token_ttl: Duration,
    pub state: Mutex<State_>,
    pub faults: Faults,
    /// Where purchases are paid from, when linked to a fake PayPal.
    pub wallet: Mutex<Option<crate::fake::paypal::FakePayPalWallet>>,
}

impl Shared {
    pub fn state(&self) -> std::sync::MutexGuard<'_, State_> {
        self.state.lock().expect("fake AliExpress state lock")
    }
}

/// How to start a [`FakeAliExpress`].
#[derive(Debug, Clone)]
pub struct FakeAliExpressBuilder {
    app_key: String,
    app_secret: String,
    token_ttl: Duration,
}

impl Default for FakeAliExpressBuilder {
    fn default() -> Self {
        Self {
            app_key: "500000".to_owned(),
            app_secret: "fake-aliexpress-app-secret".to_owned(),
            token_ttl: Duration::from_secs(86_400),
        }
    }
}

impl FakeAliExpressBuilder {
    /// The app key and secret the fake accepts.
    pub fn app(mut self, app_key: &str, app_secret: &str) -> Self {
        self.app_key = app_key.to_owned();
        self.app_secret = app_secret.to_owned();
        self
    }

    /// How long an access token lives.
    pub fn token_ttl(mut self, ttl: Duration) -> Self {
        self.token_ttl = ttl;
        self
    }

    /// Starts the server on 127.0.0.1 and a free port.
    pub async fn start(self) -> std::io::Result<FakeAliExpress> {
        let (router, shared) = self.assemble();
        let (base_url, task) = super::serve(router).await?;
        Ok(FakeAliExpress::new(base_url, shared, Some(task)))
    }

    /// The fake's routes, to be served under `base_url` by a server the
    /// caller runs (the fakes together on one address).
    pub(crate) fn mounted(self, base_url: &str) -> (Router, FakeAliExpress) {
        let (router, shared) = self.assemble();
        (
            router,
            FakeAliExpress::new(base_url.to_owned(), shared, None),
        )
    }

    fn assemble(self) -> (Router, Arc<Shared>) {
        let shared = Arc::new(Shared {
            app_key: self.app_key,
            app_secret: SecretString::from(self.app_secret),
            token_ttl: self.token_ttl,
            state: Mutex::new(State_ {
                products: methods::sample_catalogue(),
                next_order: 8_100_000_000_000_001,
                ..State_::default()
            }),
            faults: Faults::default(),
            wallet: Mutex::new(None),
        });
        let router = Router::new()
            .route("/oauth/authorize", get(authorize))
            .route("/rest/auth/token/create", post(token_create))
            .route("/rest/auth/token/refresh", post(token_refresh))
            .route("/sync", post(sync))
            .with_state(shared.clone());
        (router, shared)
    }
}

/// Query string and form body, merged (the platform accepts both).
fn params(query: Option<String>, body: &str) -> BTreeMap<String, String> {
    let text = format!("{}&{}", query.unwrap_or_default(), body);
    let url = reqwest::Url::parse(&format!("http://fake/?{text}")).expect("a URL");
    url.query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

fn request_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..13].to_owned()
}

/// The `/sync` gateway error shape.
pub(super) fn gateway_error(code: &str, msg: &str) -> Response {
    Json(json!({"error_response": {"type": "ISV", "code": code, "msg": msg, "request_id": request_id()}})).into_response()
}

/// The `/rest` error shape.
fn rest_error(code: &str, message: &str) -> Response {
    Json(json!({"type": "ISV", "code": code, "message": message, "request_id": request_id()}))
        .into_response()
}

/// Checks app key, timestamp and signature; `api_path` for system APIs.
fn check_signature(
    shared: &Shared,
    api_path: Option<&str>,
    params: &BTreeMap<String, String>,
) -> Result<(), (&'static str, &'static str)> {
    if params.get("app_key") != Some(&shared.app_key) {
        return Err(("InvalidAppKey", "The app key is invalid"));
    }
    let timestamp: i64 = params
        .get("timestamp")
        .and_then(|t| t.parse().ok())
        .ok_or(("MissingParameter", "timestamp is required"))?;
    if (chrono::Utc::now().timestamp_millis() - timestamp).abs() > TIMESTAMP_SKEW_MS_MAX {
        return Err((
            "InvalidTimestamp",
            "The timestamp is too far from the server time",
        ));
    }
    if params.get("sign_method").map(String::as_str) != Some("sha256") {
        return Err(("InvalidSignMethod", "sign_method must be sha256"));
    }
    let sign = params
        .get("sign")
        .ok_or(("MissingSignature", "sign is required"))?;
    if !signature_matches(&shared.app_secret, api_path, params, sign) {
        return Err((
            "IncompleteSignature",
            "The request signature does not conform to platform standards",
        ));
    }
    Ok(())
}

async fn server_fault(
    shared: &Shared,
    operation: FakeOperation,
) -> Result<Option<Fault>, Response> {
    match shared.faults.next(operation) {
        Some(Fault::ServerError(status)) => Err((
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "<html><body>Service Unavailable</body></html>",
        )
            .into_response()),
        other => Ok(other),
    }
}

#[derive(serde::Deserialize)]
struct AuthorizeQuery {
    client_id: String,
    redirect_uri: String,
    state: Option<String>,
}

/// The user grants access at once and is sent back with a code.
async fn authorize(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<AuthorizeQuery>,
) -> Response {
    if query.client_id != shared.app_key {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    }
    let code = issue_code(&shared);
    let mut url = match reqwest::Url::parse(&query.redirect_uri) {
        Ok(url) => url,
        Err(_) => return (StatusCode::BAD_REQUEST, "bad redirect_uri").into_response(),
    };
    url.query_pairs_mut().append_pair("code", &code);
    if let Some(state) = &query.state {
        url.query_pairs_mut().append_pair("state", state);
    }
    Redirect::to(url.as_str()).into_response()
}

pub(super) fn issue_code(shared: &Shared) -> String {
    let code = format!("3_{}_{}", shared.app_key, uuid::Uuid::new_v4().simple());
    shared.state().codes.insert(code.clone());
    code
}

fn token_answer(shared: &Shared) -> Response {
    let access = format!("50000{}", uuid::Uuid::new_v4().simple());
    let refresh = format!("50001{}", uuid::Uuid::new_v4().simple());
    let now_ms = chrono::Utc::now().timestamp_millis();
    let ttl_ms = shared.token_ttl.as_millis() as i64;
    {
        let mut state = shared.state();
        state
            .access_tokens
            .insert(access.clone(), Instant::now() + shared.token_ttl);
        state.refresh_tokens.insert(refresh.clone());
    }
    Json(json!({
        "access_token": access,
        "refresh_token": refresh,
        "expires_in": ttl_ms / 1000,
        "expire_time": now_ms + ttl_ms,
        "refresh_expires_in": 2 * ttl_ms / 1000,
        "refresh_token_valid_time": now_ms + 2 * ttl_ms,
        "user_id": "2000000001",
        "account": "fake-dropshipper@example.com",
        "account_platform": "buyerApp",
        "seller_id": "2000000001",
        "locale": "en_US",
        "code": "0",
        "request_id": request_id(),
    }))
    .into_response()
}

async fn token_create(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    match server_fault(&shared, FakeOperation::AliExpressToken).await {
        Ok(fault) => late(fault, ()).await,
        Err(response) => return response,
    }
    let params = params(query, &body);
    if let Err((code, message)) = check_signature(&shared, Some("/auth/token/create"), &params) {
        return rest_error(code, message);
    }
    // An authorisation code is good once.
    let known = params
        .get("code")
        .is_some_and(|code| shared.state().codes.remove(code));
    if !known {
        return rest_error("InvalidCode", "The authorization code is invalid or used");
    }
    token_answer(&shared)
}

async fn token_refresh(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    match server_fault(&shared, FakeOperation::AliExpressToken).await {
        Ok(fault) => late(fault, ()).await,
        Err(response) => return response,
    }
    let params = params(query, &body);
    if let Err((code, message)) = check_signature(&shared, Some("/auth/token/refresh"), &params) {
        return rest_error(code, message);
    }
    let known = params
        .get("refresh_token")
        .is_some_and(|token| shared.state().refresh_tokens.remove(token));
    if !known {
        return rest_error("InvalidRefreshToken", "The refresh token is invalid");
    }
    token_answer(&shared)
}

async fn sync(
    State(shared): State<Arc<Shared>>,
    RawQuery(query): RawQuery,
    body: String,
) -> Response {
    let params = params(query, &body);
    if let Err((code, message)) = check_signature(&shared, None, &params) {
        return gateway_error(code, message);
    }
    let session_alive = params
        .get("session")
        .or_else(|| params.get("access_token"))
        .and_then(|token| shared.state().access_tokens.get(token).copied())
        .is_some_and(|expires| Instant::now() < expires);
    if !session_alive {
        return gateway_error(
            "IllegalAccessToken",
            "The specified access token is invalid or expired",
        );
    }
    let method = params.get("method").cloned().unwrap_or_default();
    let operation = match method.as_str() {
        "aliexpress.ds.order.create" => FakeOperation::AliExpressPlaceOrder,
        "aliexpress.trade.ds.order.get" => FakeOperation::AliExpressGetOrder,
        "aliexpress.ds.product.get" => FakeOperation::AliExpressProduct,
        "aliexpress.ds.freight.query" => FakeOperation::AliExpressFreight,
        "aliexpress.ds.text.search" => FakeOperation::AliExpressSearch,
        "aliexpress.ds.order.tracking.get" => FakeOperation::AliExpressTracking,
        _ => return gateway_error("InvalidMethod", "The specified method is invalid"),
    };
    let fault = match server_fault(&shared, operation).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    let inner = match operation {
        FakeOperation::AliExpressPlaceOrder => methods::place_order(&shared, &params, fault),
        FakeOperation::AliExpressGetOrder => methods::order_get(&shared, &params),
        FakeOperation::AliExpressProduct => methods::product_get(&shared, &params),
        FakeOperation::AliExpressFreight => methods::freight(&shared, &params),
        FakeOperation::AliExpressSearch => methods::text_search(&shared, &params),
        _ => methods::tracking(&shared, &params),
    };
    let response = match inner {
        Ok(mut inner) => {
            inner["request_id"] = json!(request_id());
            let key = format!("{}_response", method.replace('.', "_"));
            Json(json!({ key: inner })).into_response()
        }
        Err(response) => response,
    };
    // A delay holds the answer back after the work, as a lost answer.
    late(fault, response).await
}

pub(super) fn business_error(code: &str, message: &str) -> Value {
    json!({"result": {"is_success": false, "error_code": code, "error_msg": message}})
}
