//! The fake Payoneer: client-credentials token, mass payouts idempotent on
//! `client_reference_id`, status and cancel.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use secrecy::SecretString;
use serde_json::{json, Value};
use tokio::task::JoinHandle;

use super::faults::{late, FakeOperation, Fault, Faults};
use crate::payoneer::PayoneerConfig;
use crate::resilience::CallPolicy;

const PROGRAM_ID: &str = "100000001";
const CLIENT_ID: &str = "fake-payoneer-client";
const CLIENT_SECRET: &str = "fake-payoneer-secret";

#[derive(Default)]
struct State_ {
    tokens: HashSet<String>,
    payouts: HashMap<String, String>,
    balance: Decimal,
}

struct Shared {
    state: Mutex<State_>,
    faults: Faults,
}

type Shared_ = State<Arc<Shared>>;

/// A running fake Payoneer. Dropping it stops the server.
pub struct FakePayoneer {
    base_url: String,
    shared: Arc<Shared>,
    /// The server this fake runs alone; `None` when mounted in a server
    /// the caller runs.
    task: Option<JoinHandle<()>>,
}

impl Drop for FakePayoneer {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

impl std::fmt::Debug for FakePayoneer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakePayoneer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

fn error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": code, "error_description": description})),
    )
        .into_response()
}

fn authorized(shared: &Shared, headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|token| shared.state.lock().expect("lock").tokens.contains(token))
}

async fn fault(shared: &Shared, operation: FakeOperation) -> Result<Option<Fault>, Response> {
    match shared.faults.next(operation) {
        Some(Fault::ServerError(status)) => Err(error(
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            "server_error",
            "Internal error",
        )),
        other => Ok(late(other, other).await),
    }
}

async fn token(State(shared): Shared_, headers: HeaderMap) -> Response {
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    );
    if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected.as_str()) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "Client authentication failed",
        );
    }
    let token = uuid::Uuid::new_v4().simple().to_string();
    shared
        .state
        .lock()
        .expect("lock")
        .tokens
        .insert(token.clone());
    Json(json!({"access_token": token, "token_type": "Bearer", "expires_in": 3600, "scope": "read write"})).into_response()
}

async fn mass_payout(
    State(shared): Shared_,
    Path(program): Path<String>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    if !authorized(&shared, &headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Token expired or invalid",
        );
    }
    let fault = match fault(&shared, FakeOperation::PayoneerPayout).await {
        Ok(fault) => fault,
        Err(response) => return response,
    };
    if program != PROGRAM_ID {
        return error(
            StatusCode::NOT_FOUND,
            "program_not_found",
            "Unknown program",
        );
    }
    let payments = body["Payments"].as_array().cloned().unwrap_or_default();
    let mut state = shared.state.lock().expect("lock");
    for payment in &payments {
        let reference = payment["client_reference_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        if reference.is_empty() || payment["payee_id"].as_str().is_none_or(str::is_empty) {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client_reference_id and payee_id are required",
            );
        }
        // A repeated client_reference_id is the same payment, not a new one.
        if state.payouts.contains_key(&reference) {
            continue;
        }
        let amount: Decimal = payment["amount"]
            .as_str()
            .and_then(|a| a.parse().ok())
            .unwrap_or_default();
        if amount > state.balance {
            return error(
                StatusCode::BAD_REQUEST,
                "insufficient_funds",
                "Insufficient balance",
            );
        }
        state.balance -= amount;
        let status = if fault == Some(Fault::Declined) {
            "Failed"
        } else {
            "Transferred"
        };
        state.payouts.insert(reference, status.to_owned());
    }
    Json(json!({"result": "Payments Created", "payments_count": payments.len()})).into_response()
}

async fn status(
    State(shared): Shared_,
    Path((_, reference)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&shared, &headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Token expired or invalid",
        );
    }
    if let Err(response) = fault(&shared, FakeOperation::PayoneerStatus).await {
        return response;
    }
    match shared.state.lock().expect("lock").payouts.get(&reference) {
        Some(status) => {
            Json(json!({"result": {"status": status, "client_reference_id": reference}}))
                .into_response()
        }
        None => error(StatusCode::NOT_FOUND, "payout_not_found", "Unknown payout"),
    }
}

async fn cancel(
    State(shared): Shared_,
    Path((_, reference)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    if !authorized(&shared, &headers) {
        return error(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "Token expired or invalid",
        );
    }
    let mut state = shared.state.lock().expect("lock");
    match state.payouts.get_mut(&reference) {
        Some(status) if status == "Pending" => {
            *status = "Cancelled".to_owned();
            Json(json!({"result": {"status": "Cancelled"}})).into_response()
        }
        Some(_) => error(
            StatusCode::BAD_REQUEST,
            "cannot_cancel",
            "The payout can no longer be cancelled",
        ),
        None => error(StatusCode::NOT_FOUND, "payout_not_found", "Unknown payout"),
    }
}

impl FakePayoneer {
    /// Starts the fake with a program balance.
    pub async fn start(balance: Decimal) -> std::io::Result<Self> {
        let (router, shared) = Self::assemble(balance);
        let (base_url, task) = super::serve(router).await?;
        Ok(Self {
            base_url,
            shared,
            task: Some(task),
        })
    }

    /// The fake's routes, to be served under `base_url` by a server the
    /// caller runs (the fakes together on one address).
    pub(crate) fn mounted(balance: Decimal, base_url: &str) -> (Router, Self) {
        let (router, shared) = Self::assemble(balance);
        let fake = Self {
            base_url: base_url.to_owned(),
            shared,
            task: None,
        };
        (router, fake)
    }

    fn assemble(balance: Decimal) -> (Router, Arc<Shared>) {
        let shared = Arc::new(Shared {
            state: Mutex::new(State_ {
                balance,
                ..State_::default()
            }),
            faults: Faults::default(),
        });
        let router = Router::new()
            .route("/v2/oauth2/token", post(token))
            .route("/v4/programs/{program}/masspayouts", post(mass_payout))
            .route(
                "/v4/programs/{program}/payouts/{reference}/status",
                get(status),
            )
            .route(
                "/v4/programs/{program}/payouts/{reference}/cancel",
                post(cancel),
            )
            .with_state(shared.clone());
        (router, shared)
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// A client configuration pointing at this fake, with short timeouts.
    pub fn client_config(&self) -> PayoneerConfig {
        PayoneerConfig::new(
            &self.base_url,
            PROGRAM_ID,
            CLIENT_ID,
            SecretString::from(CLIENT_SECRET),
        )
        .with_call_policy(CallPolicy::fast_for_tests())
    }

    /// Makes `operation` fail once with `fault`.
    pub fn inject(&self, operation: FakeOperation, fault: Fault) {
        self.shared.faults.push(operation, fault, 1);
    }

    /// Makes `operation` fail `times` times with `fault`.
    pub fn inject_times(&self, operation: FakeOperation, fault: Fault, times: usize) {
        self.shared.faults.push(operation, fault, times);
    }

    /// Payouts per `client_reference_id` with their status, and the
    /// program balance, as JSON.
    pub fn summary(&self) -> Value {
        let state = self.shared.state.lock().expect("lock");
        let payouts: serde_json::Map<String, Value> = state
            .payouts
            .iter()
            .map(|(reference, status)| (reference.clone(), json!(status)))
            .collect();
        json!({ "payouts": payouts, "balance": state.balance.to_string() })
    }

    /// The operations of the injected faults that have not happened yet,
    /// once per fault.
    pub fn pending_faults(&self) -> Vec<FakeOperation> {
        self.shared.faults.pending()
    }

    /// The program balance.
    pub fn balance(&self) -> Decimal {
        self.shared.state.lock().expect("lock").balance
    }

    /// How many access tokens the fake has issued.
    pub fn tokens_issued(&self) -> usize {
        self.shared.state.lock().expect("lock").tokens.len()
    }

    /// How many payouts exist.
    pub fn payout_count(&self) -> usize {
        self.shared.state.lock().expect("lock").payouts.len()
    }
}
