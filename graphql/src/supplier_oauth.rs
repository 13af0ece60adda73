//! The AliExpress OAuth flow: `connectAliExpress` records a single-use state
//! for the caller, AliExpress sends the user back to
//! `GET /oauth/aliexpress/callback?code=…&state=…`, and the callback takes
//! the state, exchanges the code and seals the user's token pair.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use dropledger_integrations::SupplierTokens;
use serde::Deserialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::context::Services;

/// How long a started flow may take before its state is refused.
const STATE_LIFETIME_SECONDS: i64 = 15 * 60;

/// What AliExpress appends to the callback URL.
#[derive(Debug, Deserialize)]
pub(crate) struct CallbackParameters {
    code: Option<String>,
    state: Option<String>,
    /// Set when the user declined.
    error: Option<String>,
}

/// Records a new flow of `user_id` for `environment`; the state to pass.
pub(crate) async fn begin(pool: &PgPool, user_id: Uuid, environment: &str) -> sqlx::Result<Uuid> {
    let state = Uuid::new_v4();
    // Old flows nobody finished are cleared on the way, so the table stays small.
    sqlx::query(
        "DELETE FROM supplier_oauth_state WHERE created_at < now() - make_interval(secs => $1)",
    )
    .bind(STATE_LIFETIME_SECONDS as f64)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO supplier_oauth_state (state, user_id, environment) VALUES ($1, $2, $3)",
    )
    .bind(state)
    .bind(user_id)
    .bind(environment)
    .execute(pool)
    .await?;
    Ok(state)
}

/// Takes a live flow: deleting it makes a state work once, even when the
/// callback is replayed or raced.
async fn take(pool: &PgPool, state: Uuid) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as(
        "DELETE FROM supplier_oauth_state \
         WHERE state = $1 AND created_at >= now() - make_interval(secs => $2) \
         RETURNING user_id, environment",
    )
    .bind(state)
    .bind(STATE_LIFETIME_SECONDS as f64)
    .fetch_optional(pool)
    .await
}

/// `GET /oauth/aliexpress/callback`: a small page saying what happened.
pub(crate) async fn callback(services: &Services, parameters: CallbackParameters) -> Response {
    let page = |status: StatusCode, message: &str| {
        (
            status,
            // The web app's dashboard started the flow in this tab: a link
            // takes the seller back to where their connections are listed.
            Html(format!(
                "<!doctype html><title>AliExpress</title><p>{message}</p>\
                 <p><a href=\"/dashboard/account\">Back to your dashboard</a></p>"
            )),
        )
            .into_response()
    };
    let (Some(supplier), Some(vault)) = (&services.supplier, &services.credentials) else {
        return page(
            StatusCode::NOT_FOUND,
            "This server has no AliExpress app configured.",
        );
    };
    if let Some(error) = parameters.error {
        tracing::info!(provider = "aliexpress", %error, "the user did not grant access");
        return page(
            StatusCode::BAD_REQUEST,
            "AliExpress access was not granted. Start again from connectAliExpress if you meant to.",
        );
    }
    let (Some(code), Some(state)) = (parameters.code, parameters.state) else {
        return page(
            StatusCode::BAD_REQUEST,
            "The callback lacks its code or state. Start again from connectAliExpress.",
        );
    };
    let flow = match Uuid::parse_str(&state) {
        Ok(state) => take(services.store.pool(), state).await,
        Err(_) => Ok(None),
    };
    let (user_id, environment) = match flow {
        Ok(Some(flow)) => flow,
        Ok(None) => {
            return page(
                StatusCode::BAD_REQUEST,
                "This link is unknown, used or expired. Start again from connectAliExpress.",
            )
        }
        Err(error) => {
            tracing::error!(%error, "reading the OAuth state failed");
            return page(
                StatusCode::SERVICE_UNAVAILABLE,
                "The server could not finish the connection; try again shortly.",
            );
        }
    };
    let token = match supplier.client.create_token(&code).await {
        Ok(token) => token,
        Err(error) => {
            tracing::warn!(provider = "aliexpress", %error, %user_id, "token exchange failed");
            return page(
                StatusCode::BAD_GATEWAY,
                "AliExpress did not accept the authorisation. Start again from connectAliExpress.",
            );
        }
    };
    if let Err(error) = SupplierTokens::new(vault.as_ref())
        .save(user_id, &environment, &token)
        .await
    {
        tracing::error!(%error, %user_id, "storing the supplier token failed");
        return page(
            StatusCode::SERVICE_UNAVAILABLE,
            "The server could not store the connection; start again shortly.",
        );
    }
    tracing::info!(provider = "aliexpress", %user_id, %environment, "supplier account connected");
    page(StatusCode::OK, "Your AliExpress account is connected.")
}
