//! PayPal's error body, mapped to errors a caller can act on.
//!
//! PayPal answers `{name, message, debug_id, details[{field, value,
//! location, issue, description}], links}`; the `issue` of the first
//! detail says what happened (`ORDER_NOT_APPROVED`, ...). The OAuth
//! endpoints answer `{error, error_description}` instead.

use serde::Deserialize;

use dropledger_domain::MoneyError;

use crate::money::UnrepresentableAmount;
use crate::resilience::ProviderFault;

/// One entry of `details[]`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PayPalErrorDetail {
    /// The field at fault, as a JSON pointer.
    #[serde(default)]
    pub field: Option<String>,
    /// The value at fault.
    #[serde(default)]
    pub value: Option<String>,
    /// `body`, `path`, `query`.
    #[serde(default)]
    pub location: Option<String>,
    /// The machine-readable reason: what we branch on.
    pub issue: String,
    /// Human text.
    #[serde(default)]
    pub description: Option<String>,
}

/// A PayPal error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayPalErrorBody {
    /// HTTP status.
    pub status: u16,
    /// `name` (e.g. `UNPROCESSABLE_ENTITY`), or the OAuth `error`.
    pub name: String,
    /// `message`, or the OAuth `error_description`.
    pub message: String,
    /// `debug_id` (also in the `PayPal-Debug-Id` header): quote it to PayPal.
    pub debug_id: Option<String>,
    /// `details[]`.
    pub details: Vec<PayPalErrorDetail>,
}

impl PayPalErrorBody {
    /// The first detail's `issue`, or `name` when there is none (payouts
    /// put the code in `name`, e.g. `INSUFFICIENT_FUNDS`).
    pub fn issue(&self) -> &str {
        self.details
            .first()
            .map(|detail| detail.issue.as_str())
            .unwrap_or(&self.name)
    }

    fn has_issue(&self, issue: &str) -> bool {
        self.name == issue || self.details.iter().any(|detail| detail.issue == issue)
    }
}

/// Errors of the PayPal client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayPalError {
    /// `ORDER_NOT_APPROVED`: the buyer has not approved; do not fulfil.
    #[error("PayPal order not approved (debug id {:?})", .0.debug_id)]
    OrderNotApproved(PayPalErrorBody),
    /// `ORDER_ALREADY_CAPTURED`: read the order to find the capture.
    #[error("PayPal order already captured (debug id {:?})", .0.debug_id)]
    OrderAlreadyCaptured(PayPalErrorBody),
    /// `INSTRUMENT_DECLINED`: the buyer's funding source was declined.
    #[error("PayPal payment instrument declined (debug id {:?})", .0.debug_id)]
    InstrumentDeclined(PayPalErrorBody),
    /// `INSUFFICIENT_FUNDS` on a payout.
    #[error("PayPal balance insufficient (debug id {:?})", .0.debug_id)]
    InsufficientFunds(PayPalErrorBody),
    /// 401/403 after a fresh token: credentials or scopes are wrong.
    #[error("PayPal refused our credentials: {} (debug id {:?})", .0.name, .0.debug_id)]
    Unauthorized(PayPalErrorBody),
    /// 404.
    #[error("PayPal resource not found (debug id {:?})", .0.debug_id)]
    NotFound(PayPalErrorBody),
    /// 429.
    #[error("PayPal rate limit hit (debug id {:?})", .0.debug_id)]
    RateLimited(PayPalErrorBody),
    /// 5xx.
    #[error("PayPal unavailable: HTTP {} (debug id {:?})", .0.status, .0.debug_id)]
    Unavailable(PayPalErrorBody),
    /// Any other refusal (400, 422 with another issue).
    #[error("PayPal refused the request: {} {} (debug id {:?})", .0.status, .0.issue(), .0.debug_id)]
    Rejected(PayPalErrorBody),
    /// An attempt ran out of time.
    #[error("PayPal did not answer within {after_ms} ms")]
    Timeout {
        /// The attempt timeout.
        after_ms: u64,
    },
    /// The connection failed.
    #[error("PayPal transport error: {0}")]
    Transport(String),
    /// The circuit breaker refused the call.
    #[error("PayPal circuit open")]
    CircuitOpen,
    /// The answer did not have the documented shape.
    #[error("PayPal answer not understood: {0}")]
    Decode(String),
    /// PayPal answered with an amount the ledger cannot hold (an unknown
    /// currency, more decimals than the currency has): refused, never
    /// rounded. What PayPal did (a capture, a refund) may still have
    /// happened; read it again once the cause is understood.
    #[error("PayPal answered an amount the ledger cannot hold: {0}")]
    Amount(UnrepresentableAmount),
    /// A checkout's amounts do not add up to one order amount (lines in
    /// another currency, a total out of range); nothing was sent.
    #[error("the checkout's amounts do not add up: {0}")]
    CheckoutAmounts(MoneyError),
}

impl From<UnrepresentableAmount> for PayPalError {
    fn from(refused: UnrepresentableAmount) -> Self {
        Self::Amount(refused)
    }
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    debug_id: Option<String>,
    #[serde(default)]
    details: Vec<PayPalErrorDetail>,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl PayPalError {
    /// Maps an error answer.
    pub fn from_response(status: u16, body: &str, debug_id_header: Option<String>) -> Self {
        let wire: Option<WireError> = serde_json::from_str(body).ok();
        let body = match wire {
            Some(wire) => PayPalErrorBody {
                status,
                name: wire
                    .name
                    .or(wire.error)
                    .unwrap_or_else(|| format!("HTTP_{status}")),
                message: wire.message.or(wire.error_description).unwrap_or_default(),
                debug_id: wire.debug_id.or(debug_id_header),
                details: wire.details,
            },
            None => PayPalErrorBody {
                status,
                name: format!("HTTP_{status}"),
                message: String::new(),
                debug_id: debug_id_header,
                details: Vec::new(),
            },
        };
        match status {
            401 | 403 => Self::Unauthorized(body),
            404 => Self::NotFound(body),
            429 => Self::RateLimited(body),
            500..=599 => Self::Unavailable(body),
            _ if body.has_issue("ORDER_NOT_APPROVED") => Self::OrderNotApproved(body),
            _ if body.has_issue("ORDER_ALREADY_CAPTURED") => Self::OrderAlreadyCaptured(body),
            _ if body.has_issue("INSTRUMENT_DECLINED") => Self::InstrumentDeclined(body),
            _ if body.has_issue("INSUFFICIENT_FUNDS") => Self::InsufficientFunds(body),
            _ => Self::Rejected(body),
        }
    }

    /// The error body, when PayPal sent one.
    pub fn body(&self) -> Option<&PayPalErrorBody> {
        match self {
            Self::OrderNotApproved(body)
            | Self::OrderAlreadyCaptured(body)
            | Self::InstrumentDeclined(body)
            | Self::InsufficientFunds(body)
            | Self::Unauthorized(body)
            | Self::NotFound(body)
            | Self::RateLimited(body)
            | Self::Unavailable(body)
            | Self::Rejected(body) => Some(body),
            _ => None,
        }
    }

    /// PayPal's debug id, when there is one.
    pub fn debug_id(&self) -> Option<&str> {
        self.body().and_then(|body| body.debug_id.as_deref())
    }
}

impl ProviderFault for PayPalError {
    fn is_retryable(&self) -> bool {
        matches!(
            self,
            Self::Unavailable(_) | Self::RateLimited(_) | Self::Timeout { .. } | Self::Transport(_)
        )
    }

    fn timeout(after_ms: u64) -> Self {
        Self::Timeout { after_ms }
    }

    fn circuit_open(_: &'static str) -> Self {
        Self::CircuitOpen
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_of_a_422_decides_the_error() {
        let body = r#"{"name":"UNPROCESSABLE_ENTITY","details":[{"issue":"ORDER_NOT_APPROVED","description":"Payer has not yet approved the Order for payment."}],"message":"The requested action could not be performed, semantically incorrect, or failed business validation.","debug_id":"90957fca61718"}"#;
        let error = PayPalError::from_response(422, body, None);
        assert!(matches!(error, PayPalError::OrderNotApproved(_)));
        assert_eq!(error.debug_id(), Some("90957fca61718"));
    }

    #[test]
    fn an_oauth_error_body_is_read_too() {
        let body = r#"{"error":"invalid_token","error_description":"Token signature verification failed"}"#;
        let error = PayPalError::from_response(401, body, Some("abc".into()));
        let PayPalError::Unauthorized(body) = error else {
            panic!("expected Unauthorized");
        };
        assert_eq!(body.name, "invalid_token");
        assert_eq!(body.debug_id.as_deref(), Some("abc"));
    }

    #[test]
    fn server_errors_are_retryable_and_refusals_are_not() {
        assert!(PayPalError::from_response(503, "", None).is_retryable());
        assert!(!PayPalError::from_response(400, "{}", None).is_retryable());
    }
}
