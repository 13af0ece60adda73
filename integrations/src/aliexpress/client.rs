//! The AliExpress Open Platform client: signed form posts to `/rest/...`
//! (system APIs) and `/sync` (business methods).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

use super::error::AliExpressError;
use super::parse;
use super::sign::sign_request;
use super::types::*;
use crate::resilience::{BreakerPolicy, CallPolicy, Guard, Idempotency};

/// The platform's host.
pub const ALIEXPRESS_BASE_URL: &str = "https://api-sg.aliexpress.com";
/// Largest search page we ask for.
pub const SEARCH_PAGE_SIZE_MAX: u32 = 50;

/// Who we are to AliExpress and where it is.
#[derive(Debug, Clone)]
pub struct AliExpressConfig {
    /// Host, without a trailing slash (the fake's URL in tests).
    pub base_url: String,
    /// `app_key`.
    pub app_key: String,
    /// The app secret that keys the signatures.
    pub app_secret: SecretString,
    /// Timeouts and retries.
    pub call_policy: CallPolicy,
    /// Circuit breaker.
    pub breaker_policy: BreakerPolicy,
}

impl AliExpressConfig {
    /// The real platform with default limits.
    pub fn new(app_key: impl Into<String>, app_secret: SecretString) -> Self {
        Self {
            base_url: ALIEXPRESS_BASE_URL.to_owned(),
            app_key: app_key.into(),
            app_secret,
            call_policy: CallPolicy::default(),
            breaker_policy: BreakerPolicy::default(),
        }
    }

    /// Points the client elsewhere (a fake, a stub).
    pub fn with_base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Replaces the call policy.
    pub fn with_call_policy(mut self, policy: CallPolicy) -> Self {
        self.call_policy = policy;
        self
    }
}

/// The AliExpress Dropshipping client. Cheap to share behind an `Arc`.
#[derive(Debug, Clone)]
pub struct AliExpressClient {
    http: reqwest::Client,
    config: AliExpressConfig,
    guard: Guard,
}

impl AliExpressClient {
    /// A client for `config`.
    pub fn new(config: AliExpressConfig) -> Self {
        let http = reqwest::Client::builder()
            // A backstop behind the guard's per-attempt timeout.
            .timeout(Duration::from_millis(
                config.call_policy.attempt_timeout_ms.saturating_mul(2),
            ))
            .build()
            .expect("a reqwest client with rustls builds");
        let guard = Guard::new("aliexpress", config.call_policy, config.breaker_policy);
        Self {
            http,
            config,
            guard,
        }
    }

    /// The guard, to look at its breaker.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    /// The URL to send a user to so they grant us access (A1).
    pub fn authorize_url(&self, redirect_uri: &str, state: &str) -> String {
        let mut url = reqwest::Url::parse(&format!("{}/oauth/authorize", self.config.base_url))
            .expect("the base URL is a URL");
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("force_auth", "true")
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("client_id", &self.config.app_key)
            .append_pair("state", state);
        url.into()
    }

    /// Exchanges the authorisation code for a token pair (A2).
    pub async fn create_token(&self, code: &str) -> Result<AliExpressToken, AliExpressError> {
        let mut params = BTreeMap::new();
        params.insert("code".to_owned(), code.to_owned());
        // An authorisation code works once: a lost answer cannot be replayed.
        let body = self
            .system_call("/auth/token/create", params, Idempotency::Unkeyed)
            .await?;
        parse::token(&body)
    }

    /// Exchanges a refresh token for a new pair (A3).
    pub async fn refresh_token(
        &self,
        refresh_token: &SecretString,
    ) -> Result<AliExpressToken, AliExpressError> {
        let mut params = BTreeMap::new();
        params.insert(
            "refresh_token".to_owned(),
            refresh_token.expose_secret().to_owned(),
        );
        let body = self
            .system_call("/auth/token/refresh", params, Idempotency::Unkeyed)
            .await?;
        parse::token(&body)
    }

    /// Returns `token` while it has more than `margin` to live, a refreshed
    /// pair otherwise: call it before a purchase so that the token cannot
    /// expire halfway through. Store the returned pair (sealed) when it
    /// differs from the one passed in.
    pub async fn ensure_fresh(
        &self,
        token: AliExpressToken,
        now: chrono::DateTime<chrono::Utc>,
        margin: chrono::Duration,
    ) -> Result<AliExpressToken, AliExpressError> {
        if token.needs_refresh(now, margin) {
            self.refresh_token(&token.refresh_token).await
        } else {
            Ok(token)
        }
    }

    /// Buys from the supplier (A6). Retried safely: `out_order_id` dedupes.
    pub async fn place_order(
        &self,
        session: &SecretString,
        order: &PlaceOrder,
    ) -> Result<PlacedOrder, AliExpressError> {
        let mut params = BTreeMap::new();
        params.insert(
            "param_place_order_request4_open_api_d_t_o".to_owned(),
            parse::place_order_request(order).to_string(),
        );
        let extend = serde_json::json!({"payment": {"pay_currency": order.pay_currency, "try_to_pay": "true"}});
        params.insert("ds_extend_request".to_owned(), extend.to_string());
        let body = self
            .business_call(
                "aliexpress.ds.order.create",
                session,
                params,
                Idempotency::Keyed,
            )
            .await?;
        parse::placed_order(&body)
    }

    /// A supplier order's status, cost and tracking numbers (A7).
    pub async fn order(
        &self,
        session: &SecretString,
        order_id: &str,
    ) -> Result<SupplierOrder, AliExpressError> {
        let mut params = BTreeMap::new();
        params.insert(
            "single_order_query".to_owned(),
            serde_json::json!({"order_id": order_id}).to_string(),
        );
        let body = self
            .business_call(
                "aliexpress.trade.ds.order.get",
                session,
                params,
                Idempotency::Read,
            )
            .await?;
        parse::supplier_order(order_id, &body)
    }

    /// Parcels and scans of a supplier order (A8).
    pub async fn tracking(
        &self,
        session: &SecretString,
        order_id: &str,
    ) -> Result<Vec<Shipment>, AliExpressError> {
        let mut params = BTreeMap::new();
        params.insert("ae_order_id".to_owned(), order_id.to_owned());
        params.insert("language".to_owned(), "en_US".to_owned());
        let body = self
            .business_call(
                "aliexpress.ds.order.tracking.get",
                session,
                params,
                Idempotency::Read,
            )
            .await?;
        parse::shipments(&body)
    }

    /// A product's current price and stock per SKU (A4).
    pub async fn product(
        &self,
        session: &SecretString,
        query: &ProductQuery,
    ) -> Result<Product, AliExpressError> {
        let mut params = BTreeMap::new();
        params.insert("product_id".to_owned(), query.product_id.clone());
        params.insert("ship_to_country".to_owned(), query.ship_to_country.clone());
        params.insert("target_currency".to_owned(), query.currency.clone());
        params.insert("target_language".to_owned(), query.language.clone());
        let body = self
            .business_call(
                "aliexpress.ds.product.get",
                session,
                params,
                Idempotency::Read,
            )
            .await?;
        parse::product(&query.product_id, &query.currency, &body)
    }

    /// Ways to ship a SKU and their prices (A5).
    pub async fn freight(
        &self,
        session: &SecretString,
        query: &FreightQuery,
    ) -> Result<Vec<DeliveryOption>, AliExpressError> {
        let request = serde_json::json!({
            "quantity": query.quantity,
            "shipToCountry": query.ship_to_country,
            "productId": query.product_id,
            "selectedSkuId": query.sku_id,
            "language": query.locale,
            "locale": query.locale,
            "currency": query.currency,
        });
        let mut params = BTreeMap::new();
        params.insert("queryDeliveryReq".to_owned(), request.to_string());
        let body = self
            .business_call(
                "aliexpress.ds.freight.query",
                session,
                params,
                Idempotency::Read,
            )
            .await?;
        parse::delivery_options(&query.currency, &body)
    }

    /// Searches the catalogue (A9).
    pub async fn text_search(
        &self,
        session: &SecretString,
        search: &TextSearch,
    ) -> Result<Vec<SearchHit>, AliExpressError> {
        let mut params = BTreeMap::new();
        params.insert("keyWord".to_owned(), search.keyword.clone());
        params.insert("local".to_owned(), search.locale.clone());
        params.insert("countryCode".to_owned(), search.country.clone());
        params.insert("currency".to_owned(), search.currency.clone());
        if let Some(sort) = &search.sort_by {
            params.insert("sortBy".to_owned(), sort.clone());
        }
        params.insert("pageIndex".to_owned(), search.page_index.max(1).to_string());
        params.insert(
            "pageSize".to_owned(),
            search.page_size.clamp(1, SEARCH_PAGE_SIZE_MAX).to_string(),
        );
        let body = self
            .business_call(
                "aliexpress.ds.text.search",
                session,
                params,
                Idempotency::Read,
            )
            .await?;
        parse::search_hits(&search.currency, &body)
    }

    fn system_params(&self) -> BTreeMap<String, String> {
        let mut params = BTreeMap::new();
        params.insert("app_key".to_owned(), self.config.app_key.clone());
        params.insert(
            "timestamp".to_owned(),
            chrono::Utc::now().timestamp_millis().to_string(),
        );
        params.insert("sign_method".to_owned(), "sha256".to_owned());
        params
    }

    async fn system_call(
        &self,
        api_path: &'static str,
        extra: BTreeMap<String, String>,
        idempotency: Idempotency,
    ) -> Result<Value, AliExpressError> {
        let url = format!("{}/rest{}", self.config.base_url, api_path);
        self.guard
            .call(api_path, idempotency, || {
                let mut params = self.system_params();
                params.extend(extra.clone());
                let sign = sign_request(&self.config.app_secret, Some(api_path), &params);
                params.insert("sign".to_owned(), sign);
                self.post(&url, api_path, params)
            })
            .await
    }

    async fn business_call(
        &self,
        method: &'static str,
        session: &SecretString,
        extra: BTreeMap<String, String>,
        idempotency: Idempotency,
    ) -> Result<Value, AliExpressError> {
        let url = format!("{}/sync", self.config.base_url);
        let body = self
            .guard
            .call(method, idempotency, || {
                let mut params = self.system_params();
                params.insert("method".to_owned(), method.to_owned());
                params.insert("format".to_owned(), "json".to_owned());
                params.insert("session".to_owned(), session.expose_secret().to_owned());
                params.extend(extra.clone());
                let sign = sign_request(&self.config.app_secret, None, &params);
                params.insert("sign".to_owned(), sign);
                self.post(&url, method, params)
            })
            .await?;
        let key = format!("{}_response", method.replace('.', "_"));
        let inner = body
            .get(&key)
            .cloned()
            .ok_or_else(|| AliExpressError::Decode(format!("no {key} in the answer")))?;
        parse::business_failure(method, &inner)?;
        Ok(inner)
    }

    /// One attempt: post the form, trace the outcome (never the params,
    /// which hold the session token), map errors.
    async fn post(
        &self,
        url: &str,
        operation: &str,
        params: BTreeMap<String, String>,
    ) -> Result<Value, AliExpressError> {
        let started = Instant::now();
        let response = self
            .http
            .post(url)
            .form(&params)
            .send()
            .await
            .map_err(|error| AliExpressError::Transport(error.without_url().to_string()))?;
        let status = response.status().as_u16();
        let text = crate::http::read_body(response).await?;
        let body: Option<Value> = serde_json::from_str(&text).ok();
        let request_id = body.as_ref().and_then(parse::request_id);
        tracing::info!(
            provider = "aliexpress",
            operation,
            status,
            latency_ms = started.elapsed().as_millis() as u64,
            debug_id = request_id.as_deref().unwrap_or(""),
            "provider response"
        );
        if let Some(error) = body
            .as_ref()
            .and_then(|body| parse::gateway_error(operation, body))
        {
            return Err(error);
        }
        if status >= 400 {
            return Err(AliExpressError::Http { status });
        }
        body.ok_or_else(|| AliExpressError::Decode("the answer is not JSON".into()))
    }
}
