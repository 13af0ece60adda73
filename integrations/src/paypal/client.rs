//! The PayPal REST client: configuration, the cached OAuth2 token, and one
//! request path every operation goes through.

use std::time::{Duration, Instant};

use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::Value;

use super::error::PayPalError;
use crate::resilience::{BreakerPolicy, CallPolicy, Guard, Idempotency};
use crate::token_cache::{IssuedToken, TokenCache};

/// Sandbox or live (`PAYPAL_ENVIRONMENT`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PayPalEnvironment {
    /// `https://api-m.sandbox.paypal.com`.
    Sandbox,
    /// `https://api-m.paypal.com`.
    Live,
}

impl PayPalEnvironment {
    /// The REST host.
    pub fn base_url(self) -> &'static str {
        match self {
            Self::Sandbox => "https://api-m.sandbox.paypal.com",
            Self::Live => "https://api-m.paypal.com",
        }
    }

    /// Reads `sandbox`, `production` or `live`.
    pub fn parse(value: &str) -> Option<Self> {
        match value.trim().to_ascii_lowercase().as_str() {
            "sandbox" => Some(Self::Sandbox),
            "production" | "live" => Some(Self::Live),
            _ => None,
        }
    }
}

/// Who we are to PayPal and where it is.
#[derive(Debug, Clone)]
pub struct PayPalConfig {
    /// REST host without a trailing slash.
    pub base_url: String,
    /// `PAYPAL_CLIENT_ID`.
    pub client_id: String,
    /// `PAYPAL_CLIENT_SECRET`.
    pub client_secret: SecretString,
    /// The id of our registered webhook, needed to verify signatures.
    pub webhook_id: Option<String>,
    /// Timeouts and retries.
    pub call_policy: CallPolicy,
    /// Circuit breaker.
    pub breaker_policy: BreakerPolicy,
}

impl PayPalConfig {
    /// PayPal's `environment` with default limits.
    pub fn new(
        environment: PayPalEnvironment,
        client_id: impl Into<String>,
        client_secret: SecretString,
    ) -> Self {
        Self {
            base_url: environment.base_url().to_owned(),
            client_id: client_id.into(),
            client_secret,
            webhook_id: None,
            call_policy: CallPolicy::default(),
            breaker_policy: BreakerPolicy::default(),
        }
    }

    /// Points the client elsewhere (a fake, a stub).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Sets the webhook id used to verify signatures.
    pub fn with_webhook_id(mut self, webhook_id: impl Into<String>) -> Self {
        self.webhook_id = Some(webhook_id.into());
        self
    }

    /// Replaces the call policy.
    pub fn with_call_policy(mut self, policy: CallPolicy) -> Self {
        self.call_policy = policy;
        self
    }

    /// Replaces the breaker policy.
    pub fn with_breaker_policy(mut self, policy: BreakerPolicy) -> Self {
        self.breaker_policy = policy;
        self
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
}

/// A successful answer: HTTP status and body.
pub(crate) struct Answer {
    pub status: u16,
    pub body: Value,
}

/// The PayPal client. Share it behind an `Arc`: the token cache and the
/// circuit breakers (one per operation) are per client.
pub struct PayPalClient {
    pub(crate) http: reqwest::Client,
    pub(crate) config: PayPalConfig,
    pub(crate) guard: Guard,
    token: TokenCache,
}

impl std::fmt::Debug for PayPalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayPalClient")
            .field("base_url", &self.config.base_url)
            .field("client_id", &self.config.client_id)
            .finish_non_exhaustive()
    }
}

impl PayPalClient {
    /// A client for `config`.
    pub fn new(config: PayPalConfig) -> Self {
        let http = reqwest::Client::builder()
            // A backstop behind the guard's per-attempt timeout.
            .timeout(Duration::from_millis(
                config.call_policy.attempt_timeout_ms.saturating_mul(2),
            ))
            // Redirects are never part of the REST API; following one would
            // resend the bearer token elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("a reqwest client with rustls builds");
        // PayPal limits each API on its own: 429s of one operation (say,
        // webhook checks someone floods) must not stop captures or payouts.
        let guard = Guard::per_operation("paypal", config.call_policy, config.breaker_policy);
        Self {
            http,
            config,
            guard,
            token: TokenCache::default(),
        }
    }

    /// The guard, to look at its breaker.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The configuration in force.
    pub fn config(&self) -> &PayPalConfig {
        &self.config
    }

    /// Forgets the cached token; the next call fetches a new one.
    pub async fn forget_token(&self) {
        self.token.forget().await;
    }

    /// The cached token, or a new one (P1).
    async fn access_token(&self) -> Result<SecretString, PayPalError> {
        self.token.token(|| self.request_token()).await
    }

    async fn request_token(&self) -> Result<IssuedToken, PayPalError> {
        let started = Instant::now();
        let response = self
            .http
            .post(format!("{}/v1/oauth2/token", self.config.base_url))
            .basic_auth(
                &self.config.client_id,
                Some(self.config.client_secret.expose_secret()),
            )
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(transport)?;
        let status = response.status().as_u16();
        let debug_id = debug_id(&response);
        let text = crate::http::read_body(response).await?;
        tracing::info!(
            provider = "paypal",
            operation = "oauth2.token",
            status,
            latency_ms = started.elapsed().as_millis() as u64,
            debug_id = debug_id.as_deref().unwrap_or(""),
            "provider response"
        );
        if status >= 400 {
            return Err(PayPalError::from_response(status, &text, debug_id));
        }
        let answer: TokenAnswer =
            serde_json::from_str(&text).map_err(|e| PayPalError::Decode(e.to_string()))?;
        Ok(IssuedToken {
            value: SecretString::from(answer.access_token),
            lifetime: Duration::from_secs(answer.expires_in),
        })
    }

    /// One guarded call: token, request, one re-authentication if PayPal
    /// says the token is no longer valid (it can revoke tokens early), and
    /// the retry policy around it all.
    pub(crate) async fn call(
        &self,
        operation: &'static str,
        method: Method,
        path: &str,
        body: Option<&Value>,
        request_id: Option<&str>,
    ) -> Result<Answer, PayPalError> {
        let idempotency = match (&method, request_id) {
            (&Method::GET, _) => Idempotency::Read,
            (_, Some(_)) => Idempotency::Keyed,
            (_, None) => Idempotency::Unkeyed,
        };
        let body_text = body.map(Value::to_string);
        let body = body_text.as_deref().map(|text| (text, JSON));
        self.guarded(operation, idempotency, &method, path, body, request_id)
            .await
    }

    /// A call whose body is already encoded as `content_type` (the
    /// Disputes API's evidence is `multipart/form-data`).
    pub(crate) async fn call_encoded(
        &self,
        operation: &'static str,
        path: &str,
        body: &str,
        content_type: &str,
        request_id: &str,
    ) -> Result<Answer, PayPalError> {
        let body = Some((body, content_type));
        self.guarded(
            operation,
            Idempotency::Keyed,
            &Method::POST,
            path,
            body,
            Some(request_id),
        )
        .await
    }

    async fn guarded(
        &self,
        operation: &'static str,
        idempotency: Idempotency,
        method: &Method,
        path: &str,
        body: Option<(&str, &str)>,
        request_id: Option<&str>,
    ) -> Result<Answer, PayPalError> {
        self.guard
            .call(operation, idempotency, || async {
                match self
                    .attempt(operation, method, path, body, request_id)
                    .await
                {
                    Err(PayPalError::Unauthorized(_)) => {
                        self.forget_token().await;
                        self.attempt(operation, method, path, body, request_id)
                            .await
                    }
                    other => other,
                }
            })
            .await
    }

    /// Posts a body that is already JSON text (the webhook verification,
    /// which must pass the event through byte for byte).
    pub(crate) async fn call_raw(
        &self,
        operation: &'static str,
        path: &str,
        body: String,
    ) -> Result<Answer, PayPalError> {
        let body = Some((body.as_str(), JSON));
        self.guarded(
            operation,
            Idempotency::Read,
            &Method::POST,
            path,
            body,
            None,
        )
        .await
    }

    async fn attempt(
        &self,
        operation: &'static str,
        method: &Method,
        path: &str,
        body: Option<(&str, &str)>,
        request_id: Option<&str>,
    ) -> Result<Answer, PayPalError> {
        let token = self.access_token().await?;
        let mut request = self
            .http
            .request(method.clone(), format!("{}{}", self.config.base_url, path))
            .bearer_auth(token.expose_secret())
            .header("Prefer", "return=representation");
        if let Some(id) = request_id {
            request = request.header("PayPal-Request-Id", id);
        }
        if let Some((body, content_type)) = body {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body.to_owned());
        }
        let started = Instant::now();
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let debug_id = debug_id(&response);
        let text = crate::http::read_body(response).await?;
        tracing::info!(
            provider = "paypal",
            operation,
            status,
            latency_ms = started.elapsed().as_millis() as u64,
            debug_id = debug_id.as_deref().unwrap_or(""),
            "provider response"
        );
        if status >= 400 {
            return Err(PayPalError::from_response(status, &text, debug_id));
        }
        let body = if text.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|e| PayPalError::Decode(e.to_string()))?
        };
        Ok(Answer { status, body })
    }
}

/// The content type of every PayPal request body but evidence.
const JSON: &str = "application/json";

fn transport(error: reqwest::Error) -> PayPalError {
    // `without_url` keeps query strings out of logs and errors.
    PayPalError::Transport(error.without_url().to_string())
}

fn debug_id(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get("paypal-debug-id")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
