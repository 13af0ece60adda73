//! `POST /internal/autopilot/run`: a scheduler outside runs one cycle,
//! authorised by `Authorization: Bearer <INTERNAL_RUN_SECRET>`.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use dropledger_domain::{CycleTrigger, Decision, ErrorCode};
use dropledger_graphql::CORRELATION_ID_HEADER;
use dropledger_integrations::{ExposeSecret, SecretString};
use dropledger_workflows::autopilot::{AutopilotRunError, CycleReport, CycleRunner, CycleStatus};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// The trigger's path.
pub const RUN_PATH: &str = "/internal/autopilot/run";

#[derive(Clone)]
struct TriggerState {
    runner: Arc<CycleRunner>,
    secret: Option<Arc<SecretString>>,
}

/// The trigger's route; without a secret it answers 503 and runs nothing.
pub fn routes(runner: Arc<CycleRunner>, secret: Option<SecretString>) -> Router {
    Router::new()
        .route(RUN_PATH, post(run))
        .with_state(TriggerState {
            runner,
            secret: secret.map(Arc::new),
        })
}

/// Compares digests of the two, so that neither the content nor the length
/// of the secret shows in how long a wrong guess takes.
fn matches(given: &str, secret: &SecretString) -> bool {
    let given = Sha256::digest(given.as_bytes());
    let expected = Sha256::digest(secret.expose_secret().as_bytes());
    given.ct_eq(&expected).into()
}

fn error(status: StatusCode, code: &str, message: &str) -> Response {
    (status, Json(json!({ "code": code, "message": message }))).into_response()
}

async fn run(State(state): State<TriggerState>, headers: HeaderMap) -> Response {
    let Some(secret) = &state.secret else {
        return error(
            StatusCode::SERVICE_UNAVAILABLE,
            "NOT_CONFIGURED",
            "INTERNAL_RUN_SECRET is not set on this server, so the internal trigger is off; set it and restart",
        );
    };
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().strip_prefix("Bearer "))
        .map(str::trim);
    if !token.is_some_and(|token| matches(token, secret)) {
        let mut response = error(
            StatusCode::UNAUTHORIZED,
            "UNAUTHENTICATED",
            "send Authorization: Bearer <INTERNAL_RUN_SECRET>",
        );
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            "Bearer".parse().expect("a valid header"),
        );
        return response;
    }
    let correlation_id = headers
        .get(CORRELATION_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| Uuid::parse_str(value.trim()).ok())
        .unwrap_or_else(Uuid::new_v4);
    match state
        .runner
        .run(CycleTrigger::External, correlation_id, None)
        .await
    {
        Ok(report) => (StatusCode::OK, Json(describe(&report))).into_response(),
        Err(AutopilotRunError::Refused(refusal)) => {
            error(StatusCode::CONFLICT, refusal.code(), &refusal.to_string())
        }
        Err(AutopilotRunError::NoSeller) => error(
            StatusCode::CONFLICT,
            "NO_SELLER",
            &AutopilotRunError::NoSeller.to_string(),
        ),
        Err(AutopilotRunError::Internal(reason)) => {
            tracing::error!(%reason, "the internal autopilot trigger failed");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INTERNAL",
                "internal error",
            )
        }
    }
}

/// What the cycle did, as JSON.
fn describe(report: &CycleReport) -> Value {
    json!({
        "cycleId": report.cycle_id.to_string(),
        "status": match report.status {
            CycleStatus::Running => "RUNNING",
            CycleStatus::Finished => "FINISHED",
            CycleStatus::Failed => "FAILED",
        },
        "found": report.opportunities.len(),
        "listed": report.opportunities.iter().filter(|o| o.decision == Decision::Listed).count(),
        "productIds": report.published.iter().map(|p| p.product_id.to_string()).collect::<Vec<_>>(),
        "failureReason": report.failure_reason,
    })
}
