//! The seller's AliExpress session for a purchase: their stored token,
//! refreshed when close to expiry; in sandbox mode a seller who never
//! connected is connected through the (fake) OAuth flow on the spot.

use chrono::Utc;
use dropledger_integrations::{
    AliExpressClient, AliExpressError, AliExpressToken, CredentialError, CredentialVault,
    PgCredentialStore, SecretString, SupplierTokens,
};
use uuid::Uuid;

use crate::Mode;

/// Why the seller's session could not be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// The supplier refused or could not be reached (refresh, connect).
    #[error(transparent)]
    Supplier(#[from] AliExpressError),
    /// The sealed token could not be read or written: ours.
    #[error("the seller's supplier token: {0}")]
    Vault(#[from] CredentialError),
    /// The (fake) OAuth flow did not end in a code.
    #[error("connecting to the supplier: {0}")]
    Connect(String),
}

/// A token this close to expiry is refreshed before buying.
const REFRESH_MARGIN_MINUTES: i64 = 10;

/// The seller's access token; `None` when they have none and none can be
/// made (production: the seller must connect AliExpress first).
pub async fn session(
    client: &AliExpressClient,
    vault: &CredentialVault<PgCredentialStore>,
    mode: Mode,
    seller: Uuid,
) -> Result<Option<SecretString>, TokenError> {
    let tokens = SupplierTokens::new(vault);
    let stored = tokens.load(seller, mode.as_str()).await?;
    let token = match stored {
        Some(token) => {
            let fresh = client
                .ensure_fresh(
                    token.clone(),
                    Utc::now(),
                    chrono::Duration::minutes(REFRESH_MARGIN_MINUTES),
                )
                .await?;
            if fresh.expires_at != token.expires_at {
                tokens.save(seller, mode.as_str(), &fresh).await?;
            }
            fresh
        }
        None if mode == Mode::Sandbox => {
            let token = connect(client).await?;
            tokens.save(seller, mode.as_str(), &token).await?;
            tracing::warn!(%seller, "sandbox: connected the seller to the (fake) supplier on their behalf");
            token
        }
        None => return Ok(None),
    };
    Ok(Some(token.access_token))
}

/// The OAuth flow as a browser would run it: follow the authorise URL, take
/// the code from the callback, exchange it for a token. Only the fake
/// supplier approves without a person, so this is for sandbox mode only.
pub async fn connect(client: &AliExpressClient) -> Result<AliExpressToken, TokenError> {
    let state = Uuid::new_v4().to_string();
    let url = client.authorize_url("http://127.0.0.1/oauth/aliexpress/callback", &state);
    let connect = |error: &dyn std::fmt::Display| TokenError::Connect(error.to_string());
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|error| connect(&error))?;
    let response = browser
        .get(&url)
        .send()
        .await
        .map_err(|error| connect(&error))?;
    let location = response
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .ok_or_else(|| connect(&"the authorise page did not redirect to the callback"))?;
    let callback = reqwest::Url::parse(location).map_err(|error| connect(&error))?;
    let code = callback
        .query_pairs()
        .find(|(key, _)| key == "code")
        .map(|(_, code)| code.into_owned())
        .ok_or_else(|| connect(&"the callback carries no code"))?;
    Ok(client.create_token(&code).await?)
}
