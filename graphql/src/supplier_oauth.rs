//! The AliExpress OAuth flow: `connectAliExpress` records a single-use state
//! for the caller, AliExpress sends the user back to
//! `GET /oauth/aliexpress/callback?code=…&state=…`, and the callback takes
//! the state, exchanges the code and seals the user's token pair.
//!
//! The state is bound to the browser that started the flow, not only to
//! the user: otherwise an attacker could start a flow, send the victim the
//! authorisation URL, and have the victim's supplier account linked to the
//! attacker's user. `connectAliExpress` sets an HttpOnly, SameSite=Lax
//! cookie (sent on AliExpress's top-level redirect back, never readable by
//! script) holding a random nonce whose SHA-256 is kept with the state; the
//! callback takes the state only with that cookie.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dropledger_integrations::SupplierTokens;
use serde::Deserialize;
use sha2::{Digest, Sha256};
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

/// Where the browser's cookie is sent: the callback only.
const COOKIE_PATH: &str = "/oauth/aliexpress/callback";

/// A started flow: the state to pass to AliExpress and the cookie that
/// binds it to the caller's browser.
pub(crate) struct Started {
    pub(crate) state: Uuid,
    /// A `Set-Cookie` value.
    pub(crate) cookie: String,
}

/// The cookie of the flow `state`: one per flow, so two flows started in
/// one browser do not overwrite each other's.
fn cookie_name(state: Uuid) -> String {
    format!("dropledger_oauth_{}", state.simple())
}

fn hash(nonce: &str) -> Vec<u8> {
    Sha256::digest(nonce.as_bytes()).to_vec()
}

/// Records a new flow of `user_id` for `environment`, bound to the browser
/// that will store the returned cookie (`Secure` when `secure`: the
/// server is reached over HTTPS).
pub(crate) async fn begin(
    pool: &PgPool,
    user_id: Uuid,
    environment: &str,
    secure: bool,
) -> sqlx::Result<Started> {
    let state = Uuid::new_v4();
    let nonce = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    // Old flows nobody finished are cleared on the way, so the table stays small.
    sqlx::query(
        "DELETE FROM supplier_oauth_state WHERE created_at < now() - make_interval(secs => $1)",
    )
    .bind(STATE_LIFETIME_SECONDS as f64)
    .execute(pool)
    .await?;
    sqlx::query(
        "INSERT INTO supplier_oauth_state (state, user_id, environment, browser_hash) \
         VALUES ($1, $2, $3, $4)",
    )
    .bind(state)
    .bind(user_id)
    .bind(environment)
    .bind(hash(&nonce))
    .execute(pool)
    .await?;
    let secure = if secure { "; Secure" } else { "" };
    Ok(Started {
        state,
        cookie: format!(
            "{}={nonce}; Max-Age={STATE_LIFETIME_SECONDS}; Path={COOKIE_PATH}; HttpOnly; SameSite=Lax{secure}",
            cookie_name(state)
        ),
    })
}

/// The nonce the browser presents for the flow `state`, if any.
fn presented_nonce(headers: &HeaderMap, state: Uuid) -> Option<String> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
}

/// Takes a live flow started by this browser: deleting it makes a state
/// work once, even when the callback is replayed or raced. A browser
/// without the flow's cookie takes nothing (and leaves the flow to the one
/// that started it).
async fn take(pool: &PgPool, state: Uuid, nonce: &str) -> sqlx::Result<Option<(Uuid, String)>> {
    sqlx::query_as(
        "DELETE FROM supplier_oauth_state \
         WHERE state = $1 AND created_at >= now() - make_interval(secs => $2) \
           AND browser_hash = $3 \
         RETURNING user_id, environment",
    )
    .bind(state)
    .bind(STATE_LIFETIME_SECONDS as f64)
    .bind(hash(nonce))
    .fetch_optional(pool)
    .await
}

/// A `Set-Cookie` value that deletes the flow's cookie.
fn expired_cookie(state: Uuid) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{}=; Max-Age=0; Path={COOKIE_PATH}; HttpOnly; SameSite=Lax",
        cookie_name(state)
    ))
    .expect("a cookie name of hex digits is a valid header")
}

/// `GET /oauth/aliexpress/callback`: a small page saying what happened.
pub(crate) async fn callback(
    services: &Services,
    headers: &HeaderMap,
    parameters: CallbackParameters,
) -> Response {
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
    let Ok(state) = Uuid::parse_str(&state) else {
        return page(
            StatusCode::BAD_REQUEST,
            "This link is unknown, used or expired. Start again from connectAliExpress.",
        );
    };
    let Some(nonce) = presented_nonce(headers, state) else {
        tracing::warn!(provider = "aliexpress", %state, "an OAuth callback from a browser that did not start the flow");
        return page(
            StatusCode::FORBIDDEN,
            "This connection was started in another browser. If you meant to connect your \
             AliExpress account, sign in here and start again from connectAliExpress.",
        );
    };
    let (user_id, environment) = match take(services.store.pool(), state, &nonce).await {
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
    let page = |status, message: &str| {
        let mut response = page(status, message);
        response
            .headers_mut()
            .append(header::SET_COOKIE, expired_cookie(state));
        response
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
