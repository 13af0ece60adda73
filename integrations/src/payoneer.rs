//! Payoneer mass payouts (Y3-Y5), behind [`crate::PayoutProvider`].
//!
//! Payoneer's token endpoint was not found in the public references, so its
//! path is configuration; the payout paths follow the v4 programs API.
//! Verify names in Payoneer's sandbox before production use.

use std::time::{Duration, Instant};

use async_trait::async_trait;
use dropledger_domain::Money;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};

use crate::money::wire_value;
use crate::payout::{PayoutError, PayoutProvider, PayoutReceipt, PayoutRequest, PayoutState};
use crate::resilience::{BreakerPolicy, CallPolicy, Guard, Idempotency, ProviderFault};
use crate::token_cache::{IssuedToken, TokenCache};

/// A token answer without `expires_in` is taken to live this long.
const TOKEN_LIFETIME_DEFAULT_SECONDS: u64 = 3600;

/// Where Payoneer is and who we are to it.
#[derive(Debug, Clone)]
pub struct PayoneerConfig {
    /// API host without a trailing slash.
    pub base_url: String,
    /// The token endpoint's path (not documented publicly: configure it).
    pub token_path: String,
    /// Our program id.
    pub program_id: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: SecretString,
    /// Timeouts and retries.
    pub call_policy: CallPolicy,
    /// Circuit breaker.
    pub breaker_policy: BreakerPolicy,
}

impl PayoneerConfig {
    /// A configuration with default limits and token path.
    pub fn new(
        base_url: impl Into<String>,
        program_id: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            token_path: "/v2/oauth2/token".to_owned(),
            program_id: program_id.into(),
            client_id: client_id.into(),
            client_secret,
            call_policy: CallPolicy::default(),
            breaker_policy: BreakerPolicy::default(),
        }
    }

    /// Replaces the call policy.
    pub fn with_call_policy(mut self, policy: CallPolicy) -> Self {
        self.call_policy = policy;
        self
    }
}

/// Errors of the Payoneer client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayoneerError {
    /// Payoneer refused the request.
    #[error("Payoneer refused: HTTP {status} {code}: {description}")]
    Rejected {
        /// HTTP status.
        status: u16,
        /// Error code.
        code: String,
        /// Description.
        description: String,
    },
    /// Payoneer failed (5xx, 429).
    #[error("Payoneer unavailable: HTTP {status}")]
    Unavailable {
        /// HTTP status.
        status: u16,
    },
    /// An attempt ran out of time.
    #[error("Payoneer did not answer within {after_ms} ms")]
    Timeout {
        /// The attempt timeout.
        after_ms: u64,
    },
    /// The connection failed.
    #[error("Payoneer transport error: {0}")]
    Transport(String),
    /// The circuit breaker refused the call.
    #[error("Payoneer circuit open")]
    CircuitOpen,
    /// The answer did not have the expected shape.
    #[error("Payoneer answer not understood: {0}")]
    Decode(String),
}

impl PayoneerError {
    /// The program balance does not cover the payout.
    pub fn is_insufficient_funds(&self) -> bool {
        matches!(self, Self::Rejected { code, .. } if code.to_ascii_lowercase().contains("insufficient"))
    }
}

impl ProviderFault for PayoneerError {
    fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable { .. } | Self::Timeout { .. } | Self::Transport(_)
        )
    }

    fn timeout(after_ms: u64) -> Self {
        Self::Timeout { after_ms }
    }

    fn circuit_open(_: &'static str) -> Self {
        Self::CircuitOpen
    }
}

/// The Payoneer client.
pub struct PayoneerClient {
    http: reqwest::Client,
    config: PayoneerConfig,
    guard: Guard,
    token: TokenCache,
}

impl std::fmt::Debug for PayoneerClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayoneerClient")
            .field("base_url", &self.config.base_url)
            .field("program_id", &self.config.program_id)
            .finish_non_exhaustive()
    }
}

fn transport(error: reqwest::Error) -> PayoneerError {
    PayoneerError::Transport(error.without_url().to_string())
}

fn rejected(status: u16, text: &str) -> PayoneerError {
    if status >= 500 || status == 429 {
        return PayoneerError::Unavailable { status };
    }
    let body: Value = serde_json::from_str(text).unwrap_or(Value::Null);
    let code = body["error"]
        .as_str()
        .or(body["code"].as_str())
        .map(str::to_owned)
        .or_else(|| body["code"].as_i64().map(|c| c.to_string()))
        .unwrap_or_else(|| format!("HTTP_{status}"));
    let description = body["error_description"]
        .as_str()
        .or(body["description"].as_str())
        .unwrap_or_default()
        .to_owned();
    PayoneerError::Rejected {
        status,
        code,
        description,
    }
}

impl PayoneerClient {
    /// A client for `config`.
    pub fn new(config: PayoneerConfig) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(
                config.call_policy.attempt_timeout_ms.saturating_mul(2),
            ))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client with rustls builds");
        let guard = Guard::new("payoneer", config.call_policy, config.breaker_policy);
        Self {
            http,
            config,
            guard,
            token: TokenCache::default(),
        }
    }

    /// The cached token, or a new one (Y1).
    async fn access_token(&self) -> Result<SecretString, PayoneerError> {
        self.token.token(|| self.request_token()).await
    }

    async fn request_token(&self) -> Result<IssuedToken, PayoneerError> {
        let response = self
            .http
            .post(format!(
                "{}{}",
                self.config.base_url, self.config.token_path
            ))
            .basic_auth(
                &self.config.client_id,
                Some(self.config.client_secret.expose_secret()),
            )
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", "read write"),
            ])
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let text = crate::http::read_body(response).await?;
        if status >= 400 {
            return Err(rejected(status, &text));
        }
        let body: Value =
            serde_json::from_str(&text).map_err(|e| PayoneerError::Decode(e.to_string()))?;
        let token = body["access_token"]
            .as_str()
            .ok_or_else(|| PayoneerError::Decode("token answer without access_token".into()))?;
        Ok(IssuedToken {
            value: SecretString::from(token.to_owned()),
            lifetime: Duration::from_secs(
                body["expires_in"]
                    .as_u64()
                    .unwrap_or(TOKEN_LIFETIME_DEFAULT_SECONDS),
            ),
        })
    }

    async fn call(
        &self,
        operation: &'static str,
        method: Method,
        path: String,
        body: Option<Value>,
        idempotency: Idempotency,
    ) -> Result<Value, PayoneerError> {
        self.guard
            .call(operation, idempotency, || async {
                let token = self.access_token().await?;
                let mut request = self
                    .http
                    .request(method.clone(), format!("{}{}", self.config.base_url, path))
                    .bearer_auth(token.expose_secret());
                if let Some(body) = &body {
                    request = request.json(body);
                }
                let started = Instant::now();
                let response = request.send().await.map_err(transport)?;
                let status = response.status().as_u16();
                let text = crate::http::read_body(response).await?;
                tracing::info!(
                    provider = "payoneer",
                    operation,
                    status,
                    latency_ms = started.elapsed().as_millis() as u64,
                    "provider response"
                );
                if status == 401 {
                    self.token.forget().await;
                }
                if status >= 400 {
                    return Err(rejected(status, &text));
                }
                Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
            })
            .await
    }

    /// Submits one payment as a mass payout (Y3). `client_reference_id` is
    /// unique per payment, which makes the call safe to retry.
    pub async fn mass_payout(
        &self,
        client_reference_id: &str,
        payee_id: &str,
        amount: Money,
        description: &str,
    ) -> Result<(), PayoneerError> {
        let path = format!("/v4/programs/{}/masspayouts", self.config.program_id);
        let body = json!({"Payments": [{
            "client_reference_id": client_reference_id,
            "payee_id": payee_id,
            "amount": wire_value(amount),
            "currency": amount.currency().code(),
            "description": description,
        }]});
        self.call(
            "masspayouts.create",
            Method::POST,
            path,
            Some(body),
            Idempotency::Keyed,
        )
        .await?;
        Ok(())
    }

    /// A payout's status word (Y4): "Pending", "Transferred", "Cancelled", ...
    pub async fn payout_status(&self, client_reference_id: &str) -> Result<String, PayoneerError> {
        let path = format!(
            "/v4/programs/{}/payouts/{}/status",
            self.config.program_id, client_reference_id
        );
        let body = self
            .call("payouts.status", Method::GET, path, None, Idempotency::Read)
            .await?;
        body.pointer("/result/status")
            .or_else(|| body.get("status"))
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| PayoneerError::Decode("status answer without status".into()))
    }

    /// Cancels a payout not yet claimed (Y5).
    pub async fn cancel_payout(&self, client_reference_id: &str) -> Result<(), PayoneerError> {
        let path = format!(
            "/v4/programs/{}/payouts/{}/cancel",
            self.config.program_id, client_reference_id
        );
        self.call(
            "payouts.cancel",
            Method::POST,
            path,
            Some(json!({})),
            Idempotency::Keyed,
        )
        .await?;
        Ok(())
    }
}

fn payoneer_state(status: &str) -> PayoutState {
    match status.to_ascii_lowercase().as_str() {
        "transferred" | "completed" | "paid" | "funded" => PayoutState::Paid,
        "cancelled" | "canceled" => PayoutState::Cancelled,
        "failed" | "rejected" | "declined" => PayoutState::Failed(status.to_owned()),
        _ => PayoutState::Pending,
    }
}

#[async_trait]
impl PayoutProvider for PayoneerClient {
    fn provider_name(&self) -> &'static str {
        "payoneer"
    }

    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, PayoutError> {
        let description = request.note.clone().unwrap_or_else(|| "Payout".to_owned());
        self.mass_payout(
            &request.reference,
            &request.recipient,
            request.amount,
            &description,
        )
        .await?;
        Ok(PayoutReceipt {
            provider: "payoneer",
            // Payoneer identifies payouts by our client reference id.
            provider_payout_id: request.reference.clone(),
            state: PayoutState::Pending,
        })
    }

    async fn payout_state(&self, provider_payout_id: &str) -> Result<PayoutState, PayoutError> {
        Ok(payoneer_state(
            &self.payout_status(provider_payout_id).await?,
        ))
    }
}
