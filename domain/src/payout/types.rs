//! Payout statuses, destinations and failure reasons.

use serde::{Deserialize, Serialize};

use crate::personal::PersonalText;

/// A payout's status, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PayoutStatus {
    /// Requested, or reserved and in flight at the provider.
    #[serde(rename = "PENDING")]
    Pending,
    /// The provider confirmed it.
    #[serde(rename = "SENT")]
    Sent,
    /// It failed; it can be retried.
    #[serde(rename = "FAILED")]
    Failed,
    /// Available cash did not cover it; it will be retried.
    #[serde(rename = "PAYOUT_SKIPPED_INSUFFICIENT_FUNDS")]
    SkippedInsufficientFunds,
    /// Reduced to nothing before it was sent (a refund of its sale, or
    /// what the payee owed back): nothing is paid, for good.
    #[serde(rename = "CANCELLED")]
    Cancelled,
}

impl PayoutStatus {
    /// The API name, e.g. `"PAYOUT_SKIPPED_INSUFFICIENT_FUNDS"`.
    pub fn as_str(self) -> &'static str {
        match self {
            PayoutStatus::Pending => "PENDING",
            PayoutStatus::Sent => "SENT",
            PayoutStatus::Failed => "FAILED",
            PayoutStatus::SkippedInsufficientFunds => "PAYOUT_SKIPPED_INSUFFICIENT_FUNDS",
            PayoutStatus::Cancelled => "CANCELLED",
        }
    }
}

/// Where a payout is sent. The method is not personal; the address or
/// payee id is, so events carry it sealed (see [`PersonalText`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayoutDestination {
    /// PayPal Payouts to an e-mail address.
    Paypal {
        /// The receiver's PayPal e-mail, sealed.
        email: PersonalText,
    },
    /// Payoneer, to a payee id.
    Payoneer {
        /// The Payoneer payee id, sealed.
        payee_id: PersonalText,
    },
}

/// Whether payouts move real money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayoutEnvironment {
    /// The provider's sandbox.
    Sandbox,
    /// Real money.
    Production,
}

/// Why a payout failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayoutFailureReason {
    /// In production, the payee has no payout e-mail.
    MissingPayoutEmail,
    /// The provider refused the payout.
    ProviderRejected,
    /// The provider returned the payout (e.g. unclaimed, receiver blocked).
    Returned,
}

/// Why a payout not yet sent was reduced.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PayoutReduction {
    /// Its sale was (partly) refunded: the payee's share of the refund.
    SaleRefunded {
        /// PayPal's refund id.
        refund_id: crate::ids::ProviderRefundId,
    },
    /// The payee owed money back from an earlier refund: kept from this payout.
    Recovery,
}
