//! One payout trait for PayPal and Payoneer: the payout process manager
//! does not care which one pays.

use async_trait::async_trait;
use dropledger_domain::Money;

use crate::payoneer::PayoneerError;
use crate::paypal::{
    PayPalClient, PayPalError, PayoutBatchItem, PayoutBatchRequest, PayoutItemStatus,
};
use crate::resilience::ProviderFault;

/// A payment to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutRequest {
    /// Our payout id: the provider's idempotency key (`sender_batch_id`,
    /// `client_reference_id`), so a retry never pays twice.
    pub reference: String,
    /// PayPal e-mail or Payoneer payee id.
    pub recipient: String,
    /// How much.
    pub amount: Money,
    /// Shown to the recipient.
    pub note: Option<String>,
}

/// Where a payout stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutState {
    /// Accepted, not final.
    Pending,
    /// The money reached the recipient.
    Paid,
    /// Failed, with the provider's reason.
    Failed(String),
    /// Waiting for the recipient to open an account.
    Unclaimed,
    /// Came back to us (returned, refunded, reversed).
    Returned,
    /// Held or blocked by the provider.
    Held,
    /// Cancelled.
    Cancelled,
}

impl PayoutState {
    /// Whether the state can still change.
    pub fn is_final(&self) -> bool {
        matches!(
            self,
            Self::Paid | Self::Failed(_) | Self::Returned | Self::Cancelled
        )
    }
}

/// The provider's answer to a payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutReceipt {
    /// "paypal" or "payoneer".
    pub provider: &'static str,
    /// The id to ask [`PayoutProvider::payout_state`] with.
    pub provider_payout_id: String,
    /// State at creation.
    pub state: PayoutState,
}

/// Errors of a payout, by provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PayoutError {
    /// PayPal failed.
    #[error(transparent)]
    PayPal(#[from] PayPalError),
    /// Payoneer failed.
    #[error(transparent)]
    Payoneer(#[from] PayoneerError),
}

impl PayoutError {
    /// Worth retrying later with the same reference.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::PayPal(error) => {
                error.is_retryable() || matches!(error, PayPalError::CircuitOpen)
            }
            Self::Payoneer(error) => {
                error.is_retryable() || matches!(error, PayoneerError::CircuitOpen)
            }
        }
    }

    /// The provider balance does not cover it: record
    /// `PAYOUT_SKIPPED_INSUFFICIENT_FUNDS` and retry later.
    pub fn is_insufficient_funds(&self) -> bool {
        match self {
            Self::PayPal(error) => matches!(error, PayPalError::InsufficientFunds(_)),
            Self::Payoneer(error) => error.is_insufficient_funds(),
        }
    }
}

/// Pays people.
#[async_trait]
pub trait PayoutProvider: Send + Sync {
    /// "paypal" or "payoneer".
    fn provider_name(&self) -> &'static str;
    /// Sends one payout; repeating a request with the same reference does
    /// not pay twice.
    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, PayoutError>;
    /// Where a payout stands now.
    async fn payout_state(&self, provider_payout_id: &str) -> Result<PayoutState, PayoutError>;
}

fn paypal_state(status: &PayoutItemStatus, error: Option<&str>) -> PayoutState {
    match status {
        PayoutItemStatus::Success => PayoutState::Paid,
        PayoutItemStatus::Failed => PayoutState::Failed(error.unwrap_or("FAILED").to_owned()),
        PayoutItemStatus::Pending | PayoutItemStatus::Other(_) => PayoutState::Pending,
        PayoutItemStatus::Unclaimed => PayoutState::Unclaimed,
        PayoutItemStatus::Returned | PayoutItemStatus::Refunded | PayoutItemStatus::Reversed => {
            PayoutState::Returned
        }
        PayoutItemStatus::Onhold | PayoutItemStatus::Blocked => PayoutState::Held,
    }
}

#[async_trait]
impl PayoutProvider for PayPalClient {
    fn provider_name(&self) -> &'static str {
        "paypal"
    }

    async fn send_payout(&self, request: &PayoutRequest) -> Result<PayoutReceipt, PayoutError> {
        let batch = self
            .create_payout_batch(&PayoutBatchRequest {
                sender_batch_id: request.reference.clone(),
                email_subject: "You have a payout".to_owned(),
                items: vec![PayoutBatchItem {
                    receiver: request.recipient.clone(),
                    amount: request.amount,
                    sender_item_id: request.reference.clone(),
                    note: request.note.clone(),
                }],
            })
            .await?;
        let state = match batch.batch_status.as_str() {
            "DENIED" => PayoutState::Failed("DENIED".to_owned()),
            "SUCCESS" => PayoutState::Paid,
            _ => PayoutState::Pending,
        };
        Ok(PayoutReceipt {
            provider: "paypal",
            provider_payout_id: batch.payout_batch_id,
            state,
        })
    }

    async fn payout_state(&self, provider_payout_id: &str) -> Result<PayoutState, PayoutError> {
        let batch = self.payout_batch(provider_payout_id).await?;
        Ok(match batch.items.first() {
            Some(item) => paypal_state(&item.transaction_status, item.error.as_deref()),
            None if batch.batch_status == "DENIED" => PayoutState::Failed("DENIED".to_owned()),
            None => PayoutState::Pending,
        })
    }
}
