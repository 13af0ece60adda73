//! The demo's GraphQL client: what a frontend or a script does, over HTTP,
//! against the server the demo started.

use std::time::Duration;

use anyhow::{bail, Context};
use serde_json::{json, Value};

/// How long one request may take before the demo gives up on it.
const REQUEST_TIMEOUT_MS: u64 = 30_000;

/// The API at one URL, and a browser for the provider pages (approval,
/// consent) that a person would click through.
pub struct Api {
    http: reqwest::Client,
    browser: reqwest::Client,
    graphql_url: String,
    /// The cookies the server set (`name=value`), sent back to it only, as a
    /// browser does: the supplier's OAuth callback needs the one
    /// `connectAliExpress` set.
    cookies: std::sync::Mutex<Vec<String>>,
}

impl Api {
    /// A client of the API at `graphql_url`.
    pub fn new(graphql_url: String) -> anyhow::Result<Self> {
        let timeout = Duration::from_millis(REQUEST_TIMEOUT_MS);
        Ok(Self {
            http: reqwest::Client::builder().timeout(timeout).build()?,
            // Redirects are followed one at a time, as the flows need.
            browser: reqwest::Client::builder()
                .timeout(timeout)
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
            graphql_url,
            cookies: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// Keeps the cookies a response of the server set.
    fn keep_cookies(&self, response: &reqwest::Response) {
        let set = response
            .headers()
            .get_all(reqwest::header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|value| value.split(';').next())
            .map(str::to_owned);
        self.cookies
            .lock()
            .expect("the cookie list is never poisoned")
            .extend(set);
    }

    /// A GET of `url` by the browser, with the server's cookies when `url`
    /// is the server's.
    fn browse(&self, url: &str) -> reqwest::RequestBuilder {
        let request = self.browser.get(url);
        let origin = self.graphql_url.trim_end_matches("/graphql");
        let cookies = self
            .cookies
            .lock()
            .expect("the cookie list is never poisoned")
            .join("; ");
        if url.starts_with(origin) && !cookies.is_empty() {
            request.header(reqwest::header::COOKIE, cookies)
        } else {
            request
        }
    }

    /// Runs one operation as `token` (anonymous when `None`); its `data`.
    /// Top-level errors (malformed requests, server faults) are errors here.
    pub async fn run(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let mut request = self
            .http
            .post(&self.graphql_url)
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("calling {}", self.graphql_url))?;
        self.keep_cookies(&response);
        let response: Value = response
            .json()
            .await
            .context("reading a GraphQL response")?;
        if let Some(errors) = response.get("errors").filter(|errors| !errors.is_null()) {
            bail!("the API answered with errors: {errors}");
        }
        Ok(response["data"].clone())
    }

    /// Runs a mutation and returns its payload (`data[field]`), refusing a
    /// payload with user errors: every step of the demo is expected to work.
    pub async fn mutate(
        &self,
        token: Option<&str>,
        field: &str,
        query: &str,
        variables: Value,
    ) -> anyhow::Result<Value> {
        let data = self.run(token, query, variables).await?;
        let payload = data[field].clone();
        match payload["userErrors"].as_array() {
            Some(errors) if !errors.is_empty() => bail!("{field} was refused: {errors:?}"),
            _ => Ok(payload),
        }
    }

    /// Follows a provider page's redirect as a browser would; the
    /// `Location` it sends the person to.
    pub async fn follow(&self, url: &str) -> anyhow::Result<String> {
        let response = self
            .browse(url)
            .send()
            .await
            .with_context(|| format!("opening {url}"))?;
        if !response.status().is_redirection() {
            bail!("{url} answered {} instead of a redirect", response.status());
        }
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .with_context(|| format!("{url} redirected nowhere"))?;
        Ok(location.to_owned())
    }

    /// Opens a page of our own server (a callback) as a browser would.
    pub async fn visit(&self, url: &str) -> anyhow::Result<()> {
        let response = self
            .browse(url)
            .send()
            .await
            .with_context(|| format!("opening {url}"))?;
        if !(response.status().is_success() || response.status().is_redirection()) {
            bail!("{url} answered {}", response.status());
        }
        Ok(())
    }
}

/// A string field of a JSON value, or an error naming it.
pub fn text<'a>(value: &'a Value, field: &str) -> anyhow::Result<&'a str> {
    value[field]
        .as_str()
        .with_context(|| format!("no {field} in {value}"))
}
