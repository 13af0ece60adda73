//! Provider credentials: saved sealed, listed without their values, and the
//! start of the AliExpress OAuth flow. Nothing here ever returns a secret.

use std::collections::BTreeMap;

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::{DateTime, Utc};
use dropledger_integrations::{
    CredentialKey, SecretString, SupplierTokens, SUPPLIER_PROVIDER, SUPPLIER_TOKEN_NAME,
};
use uuid::Uuid;

use crate::auth::Role;
use crate::context::{parts, Services};
use crate::errors::{internal, top_level, UserError};
use crate::supplier_oauth;

/// Providers a credential may be saved for.
const PROVIDERS: [&str; 3] = ["paypal", "aliexpress", "payoneer"];
/// Environments a credential may be saved for.
const ENVIRONMENTS: [&str; 2] = ["sandbox", "production"];
/// Most values one `saveApiCredential` may store.
const VALUES_PER_SAVE_MAX: usize = 8;
/// Longest value name, in characters.
const VALUE_NAME_CHARS_MAX: usize = 64;
/// Longest value, in characters (tokens and PEM keys fit).
const VALUE_CHARS_MAX: usize = 8_192;

/// One named secret, e.g. `client_id` or `client_secret`.
#[derive(Debug, InputObject)]
pub struct CredentialValueInput {
    /// Lower-case letters, digits and `_`, e.g. `client_secret`.
    pub name: String,
    /// The secret; sealed before it is stored, never readable back.
    pub value: String,
}

/// `saveApiCredential`'s input.
#[derive(Debug, InputObject)]
pub struct SaveApiCredentialInput {
    /// `paypal`, `aliexpress` or `payoneer`.
    pub provider: String,
    /// `sandbox` or `production`.
    pub environment: String,
    /// The values to store (replacing values of the same name).
    pub values: Vec<CredentialValueInput>,
}

/// What the caller has stored for one provider and environment — names and
/// dates, never values.
#[derive(Debug, Clone, SimpleObject)]
pub struct ApiCredential {
    /// The provider.
    pub provider: String,
    /// The environment.
    pub environment: String,
    /// The names of the stored values.
    pub names: Vec<String>,
    /// When a value was last saved.
    pub updated_at: DateTime<Utc>,
    /// When the access token expires (AliExpress OAuth), if known.
    pub expires_at: Option<DateTime<Utc>>,
}

/// `saveApiCredential`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct SaveApiCredentialPayload {
    /// What is now stored for the provider and environment.
    pub credential: Option<ApiCredential>,
    /// Why nothing was stored.
    pub user_errors: Vec<UserError>,
}

/// `connectAliExpress`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct ConnectAliExpressPayload {
    /// Send the user here; AliExpress sends them back to our callback,
    /// which stores their token.
    pub authorize_url: Option<String>,
    /// Why the flow did not start.
    pub user_errors: Vec<UserError>,
}

/// The caller's connected providers.
#[derive(Default)]
pub struct CredentialQuery;

#[Object]
impl CredentialQuery {
    /// Which providers the caller has connected, per environment, with the
    /// expiry of OAuth tokens — never the secrets. Signed-in users.
    async fn api_credentials(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<ApiCredential>> {
        let (services, request) = parts(ctx);
        let claims = request
            .require(&[Role::Admin, Role::User, Role::Accountant])
            .map_err(top_level)?;
        connected(services, claims.sub).await
    }
}

/// Credential mutations.
#[derive(Default)]
pub struct CredentialMutation;

#[Object]
impl CredentialMutation {
    /// Stores provider keys for the caller, sealed with the server's
    /// encryption key. USER or ADMIN.
    async fn save_api_credential(
        &self,
        ctx: &Context<'_>,
        input: SaveApiCredentialInput,
    ) -> async_graphql::Result<SaveApiCredentialPayload> {
        let (services, request) = parts(ctx);
        let refused = |error| SaveApiCredentialPayload {
            credential: None,
            user_errors: vec![error],
        };
        let user_id = match request.require(&[Role::User, Role::Admin]) {
            Ok(claims) => claims.sub,
            Err(error) => return Ok(refused(error)),
        };
        if let Err(error) = check_save(&input) {
            return Ok(refused(error));
        }
        let vault = services
            .credentials
            .as_ref()
            .ok_or_else(|| internal(&"the server has no credential vault"))?;
        for value in &input.values {
            let key = CredentialKey {
                user_id,
                provider: input.provider.clone(),
                environment: input.environment.clone(),
                name: value.name.clone(),
            };
            vault
                .save(&key, &SecretString::from(value.value.clone()))
                .await
                .map_err(|error| internal(&error))?;
        }
        tracing::info!(
            provider = %input.provider,
            environment = %input.environment,
            values = input.values.len(),
            "provider credential saved"
        );
        let credential = connected(services, user_id)
            .await?
            .into_iter()
            .find(|c| c.provider == input.provider && c.environment == input.environment);
        Ok(SaveApiCredentialPayload {
            credential,
            user_errors: Vec::new(),
        })
    }

    /// Starts connecting the caller's AliExpress account: returns the URL to
    /// send them to, and sets a cookie (HttpOnly) that the callback needs:
    /// the flow finishes only in the browser that started it. USER or ADMIN.
    async fn connect_ali_express(
        &self,
        ctx: &Context<'_>,
        environment: String,
    ) -> async_graphql::Result<ConnectAliExpressPayload> {
        let (services, request) = parts(ctx);
        let refused = |error| ConnectAliExpressPayload {
            authorize_url: None,
            user_errors: vec![error],
        };
        let user_id = match request.require(&[Role::User, Role::Admin]) {
            Ok(claims) => claims.sub,
            Err(error) => return Ok(refused(error)),
        };
        let Some(supplier) = &services.supplier else {
            return Ok(refused(UserError::new(
                "NOT_CONFIGURED",
                "this server has no AliExpress app; set ALIEXPRESS_APP_KEY and ALIEXPRESS_APP_SECRET",
            )));
        };
        if environment != supplier.environment {
            return Ok(refused(UserError::invalid(
                "environment",
                format!(
                    "this server connects to AliExpress {}; ask for that environment",
                    supplier.environment
                ),
            )));
        }
        let secure = supplier.callback_url.starts_with("https://");
        let started = supplier_oauth::begin(services.store.pool(), user_id, &environment, secure)
            .await
            .map_err(|error| internal(&error))?;
        // The browser keeps the cookie that binds the flow to it (the
        // GraphQL response of a same-origin fetch sets it).
        ctx.append_http_header(axum::http::header::SET_COOKIE, started.cookie);
        Ok(ConnectAliExpressPayload {
            authorize_url: Some(
                supplier
                    .client
                    .authorize_url(&supplier.callback_url, &started.state.to_string()),
            ),
            user_errors: Vec::new(),
        })
    }
}

/// The input's shape: known provider and environment, 1 to
/// [`VALUES_PER_SAVE_MAX`] values with unique, well-formed names, bounded sizes.
fn check_save(input: &SaveApiCredentialInput) -> Result<(), UserError> {
    if !PROVIDERS.contains(&input.provider.as_str()) {
        return Err(UserError::invalid(
            "input.provider",
            format!("must be one of {}", PROVIDERS.join(", ")),
        ));
    }
    if !ENVIRONMENTS.contains(&input.environment.as_str()) {
        return Err(UserError::invalid(
            "input.environment",
            "must be sandbox or production",
        ));
    }
    if input.values.is_empty() || input.values.len() > VALUES_PER_SAVE_MAX {
        return Err(UserError::invalid(
            "input.values",
            format!("give 1 to {VALUES_PER_SAVE_MAX} values"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for (index, value) in input.values.iter().enumerate() {
        let name_ok = !value.name.is_empty()
            && value.name.chars().count() <= VALUE_NAME_CHARS_MAX
            && value
                .name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !name_ok {
            return Err(UserError::invalid(
                &format!("input.values[{index}].name"),
                format!("use 1 to {VALUE_NAME_CHARS_MAX} lower-case letters, digits or _"),
            ));
        }
        // The supplier's token pair is written by the OAuth callback only,
        // so a client cannot plant a token by hand.
        if value.name == SUPPLIER_TOKEN_NAME {
            return Err(UserError::invalid(
                &format!("input.values[{index}].name"),
                "oauth_token is stored by connectAliExpress's callback, not by hand",
            ));
        }
        if !seen.insert(value.name.as_str()) {
            return Err(UserError::invalid(
                &format!("input.values[{index}].name"),
                "each name once",
            ));
        }
        let length = value.value.chars().count();
        if length == 0 || length > VALUE_CHARS_MAX {
            return Err(UserError::invalid(
                &format!("input.values[{index}].value"),
                format!("must have 1 to {VALUE_CHARS_MAX} characters"),
            ));
        }
    }
    Ok(())
}

/// The caller's stored credentials grouped by provider and environment,
/// with the supplier token's expiry.
async fn connected(
    services: &Services,
    user_id: Uuid,
) -> async_graphql::Result<Vec<ApiCredential>> {
    let Some(vault) = &services.credentials else {
        return Ok(Vec::new());
    };
    let stored = vault
        .store()
        .list(user_id)
        .await
        .map_err(|error| internal(&error))?;
    let mut grouped: BTreeMap<(String, String), ApiCredential> = BTreeMap::new();
    for row in stored {
        let entry = grouped
            .entry((row.provider.clone(), row.environment.clone()))
            .or_insert_with(|| ApiCredential {
                provider: row.provider.clone(),
                environment: row.environment.clone(),
                names: Vec::new(),
                updated_at: row.updated_at,
                expires_at: None,
            });
        entry.updated_at = entry.updated_at.max(row.updated_at);
        entry.names.push(row.name);
    }
    for credential in grouped.values_mut() {
        if credential.provider == SUPPLIER_PROVIDER
            && credential
                .names
                .iter()
                .any(|name| name == SUPPLIER_TOKEN_NAME)
        {
            credential.expires_at = SupplierTokens::new(vault.as_ref())
                .expires_at(user_id, &credential.environment)
                .await
                .map_err(|error| internal(&error))?;
        }
    }
    Ok(grouped.into_values().collect())
}
