//! AliExpress error codes mapped to what the caller should do.

use crate::money::UnrepresentableAmount;
use crate::resilience::ProviderFault;

/// What a caller does about an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCategory {
    /// Try again later (the guard already retried what it safely could).
    Retryable,
    /// Our request is wrong: fix the address, SKU, delivery method, ...
    FixData,
    /// A human must look: declined payment, stock gone, revoked token,
    /// a repeated order, an unknown code.
    Alert,
}

/// What an AliExpress error code means, as far as we act on it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AliExpressErrorKind {
    /// The signature did not verify (`IncompleteSignature`): our secret or
    /// recipe is wrong.
    InvalidSignature,
    /// The user token is missing, wrong or expired (`IllegalAccessToken`).
    TokenInvalid,
    /// The app or API call limit was hit (`ApiCallLimit`).
    RateLimited,
    /// The platform failed (`isp.*`, `SYSTEM_ERROR`).
    ProviderUnavailable,
    /// `B_DROPSHIPPER_DELIVERY_ADDRESS_VALIDATE_FAIL`.
    AddressInvalid,
    /// `DELIVERY_METHOD_NOT_EXIST`.
    DeliveryMethodNotExist,
    /// `INVENTORY_HOLD_ERROR`: the stock could not be held.
    OutOfStock,
    /// `REPEATED_ORDER_ERROR`: the order was already placed.
    RepeatedOrder,
    /// The product or SKU does not exist or is off sale.
    ProductUnavailable,
    /// The supplier payment was declined.
    PaymentDeclined,
    /// A parameter is missing or malformed.
    InvalidRequest,
    /// A code we do not know.
    Unknown,
}

impl AliExpressErrorKind {
    /// Maps a platform code.
    pub fn from_code(code: &str) -> Self {
        match code {
            "IncompleteSignature" | "InvalidSignature" => Self::InvalidSignature,
            "IllegalAccessToken"
            | "InvalidSession"
            | "SessionExpired"
            | "MissingSession"
            | "MissingAccessToken"
            | "InvalidRefreshToken"
            | "InvalidCode" => Self::TokenInvalid,
            "ApiCallLimit" | "AppCallLimit" | "FrequencyLimited" => Self::RateLimited,
            "SYSTEM_ERROR" | "ServiceUnavailable" | "InternalError" => Self::ProviderUnavailable,
            code if code.starts_with("isp.") => Self::ProviderUnavailable,
            "B_DROPSHIPPER_DELIVERY_ADDRESS_VALIDATE_FAIL" => Self::AddressInvalid,
            "DELIVERY_METHOD_NOT_EXIST" => Self::DeliveryMethodNotExist,
            "INVENTORY_HOLD_ERROR" | "OUT_OF_STOCK" => Self::OutOfStock,
            "REPEATED_ORDER_ERROR" => Self::RepeatedOrder,
            "PRODUCT_NOT_EXIST" | "SKU_NOT_EXIST" | "ITEM_NOT_FOUND" | "PRODUCT_OFFLINE" => {
                Self::ProductUnavailable
            }
            "PAYMENT_FAILED" | "PAY_FAILED" | "BALANCE_NOT_ENOUGH" => Self::PaymentDeclined,
            "MissingParameter" | "InvalidParameter" | "PARAM_ERROR" => Self::InvalidRequest,
            _ => Self::Unknown,
        }
    }

    /// What to do about it.
    pub fn category(self) -> ErrorCategory {
        match self {
            Self::RateLimited | Self::ProviderUnavailable => ErrorCategory::Retryable,
            Self::AddressInvalid
            | Self::DeliveryMethodNotExist
            | Self::ProductUnavailable
            | Self::InvalidRequest => ErrorCategory::FixData,
            Self::InvalidSignature
            | Self::TokenInvalid
            | Self::OutOfStock
            | Self::RepeatedOrder
            | Self::PaymentDeclined
            | Self::Unknown => ErrorCategory::Alert,
        }
    }
}

/// Errors of the AliExpress client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AliExpressError {
    /// The platform answered with an error code.
    #[error("AliExpress refused {method}: {code} ({message}) request id {request_id:?}")]
    Api {
        /// The mapped meaning of `code`.
        kind: AliExpressErrorKind,
        /// The platform's code, verbatim.
        code: String,
        /// The platform's message.
        message: String,
        /// The method or API path called.
        method: String,
        /// The platform's request id, for support tickets.
        request_id: Option<String>,
    },
    /// The platform answered 5xx (or 429) with no usable body.
    #[error("AliExpress answered HTTP {status}")]
    Http {
        /// HTTP status.
        status: u16,
    },
    /// An attempt ran out of time.
    #[error("AliExpress did not answer within {after_ms} ms")]
    Timeout {
        /// The attempt timeout.
        after_ms: u64,
    },
    /// The connection failed.
    #[error("AliExpress transport error: {0}")]
    Transport(String),
    /// The circuit breaker refused the call.
    #[error("AliExpress circuit open")]
    CircuitOpen,
    /// The answer did not have the documented shape.
    #[error("AliExpress answer not understood: {0}")]
    Decode(String),
    /// The platform answered with an amount the ledger cannot hold (an
    /// unknown currency, more decimals than the currency has): refused,
    /// never rounded.
    #[error("AliExpress answered an amount the ledger cannot hold: {0}")]
    Amount(UnrepresentableAmount),
}

impl From<UnrepresentableAmount> for AliExpressError {
    fn from(refused: UnrepresentableAmount) -> Self {
        Self::Amount(refused)
    }
}

impl AliExpressError {
    /// What the caller should do.
    pub fn category(&self) -> ErrorCategory {
        match self {
            Self::Api { kind, .. } => kind.category(),
            Self::Http { status } if *status >= 500 || *status == 429 => ErrorCategory::Retryable,
            Self::Http { .. } => ErrorCategory::Alert,
            Self::Timeout { .. } | Self::Transport(_) | Self::CircuitOpen => {
                ErrorCategory::Retryable
            }
            Self::Decode(_) | Self::Amount(_) => ErrorCategory::Alert,
        }
    }

    /// The mapped kind of an API error.
    pub fn kind(&self) -> Option<AliExpressErrorKind> {
        match self {
            Self::Api { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

impl ProviderFault for AliExpressError {
    fn is_retryable(&self) -> bool {
        !matches!(self, Self::CircuitOpen) && self.category() == ErrorCategory::Retryable
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
    fn the_documented_order_errors_map_to_their_categories() {
        let cases = [
            (
                "B_DROPSHIPPER_DELIVERY_ADDRESS_VALIDATE_FAIL",
                ErrorCategory::FixData,
            ),
            ("DELIVERY_METHOD_NOT_EXIST", ErrorCategory::FixData),
            ("INVENTORY_HOLD_ERROR", ErrorCategory::Alert),
            ("REPEATED_ORDER_ERROR", ErrorCategory::Alert),
            ("ApiCallLimit", ErrorCategory::Retryable),
            ("isp.temporary-failure", ErrorCategory::Retryable),
            ("IncompleteSignature", ErrorCategory::Alert),
            ("SOMETHING_NEW", ErrorCategory::Alert),
        ];
        for (code, category) in cases {
            assert_eq!(
                AliExpressErrorKind::from_code(code).category(),
                category,
                "{code}"
            );
        }
    }
}
