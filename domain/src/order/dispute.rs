//! A customer's dispute (or card chargeback) of an order, as the order
//! remembers it: opened once per PayPal dispute id (a webhook repeated, or
//! a webhook and a poll, record it once), answered once, resolved once.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::OrderError;
use super::event::OrderEvent;
use super::state::Order;
use super::status::OrderStatus;
use crate::ids::ProviderDisputeId;
use crate::money::Money;

/// How the platform answers a dispute at PayPal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DisputeAnswer {
    /// Accept the customer's claim (`accept-claim`): the platform will lose.
    Accept,
    /// Provide evidence (`provide-evidence`): the tracking number uploaded.
    ProvideEvidence,
}

/// How PayPal resolved a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DisputeOutcome {
    /// In the platform's favour (`RESOLVED_IN_SELLER_FAVOUR`): the funds held return.
    Won,
    /// In the customer's favour (`RESOLVED_IN_BUYER_FAVOUR`): the amount
    /// is refunded and PayPal may charge a fee.
    Lost,
}

/// One dispute of an order, as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderDispute {
    /// PayPal's dispute id.
    pub dispute_id: ProviderDisputeId,
    /// The disputed amount.
    pub amount: Money,
    /// PayPal's reason (`MERCHANDISE_OR_SERVICE_NOT_RECEIVED`, …).
    pub reason: String,
    /// The answer given, once one was.
    pub answer: Option<DisputeAnswer>,
    /// The outcome, once resolved.
    pub outcome: Option<DisputeOutcome>,
}

/// A dispute opened by the customer at PayPal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenDispute {
    /// PayPal's dispute id.
    pub dispute_id: ProviderDisputeId,
    /// The disputed amount (`dispute_amount`).
    pub amount: Money,
    /// PayPal's reason.
    pub reason: String,
    /// PayPal's `create_time`.
    pub opened_at: DateTime<Utc>,
}

/// A dispute resolved by PayPal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolveDispute {
    /// PayPal's dispute id.
    pub dispute_id: ProviderDisputeId,
    /// Won or lost.
    pub outcome: DisputeOutcome,
    /// What PayPal charges for a lost dispute (zero when won).
    pub chargeback_fee: Money,
    /// PayPal's `update_time`.
    pub resolved_at: DateTime<Utc>,
}

/// Longest dispute reason kept, in characters; PayPal's are far shorter.
pub const DISPUTE_REASON_CHARS_MAX: usize = 64;

impl Order {
    /// The order's disputes, oldest first.
    pub fn disputes(&self) -> &[OrderDispute] {
        self.placed()
            .map_or(&[], |placed| placed.disputes.as_slice())
    }

    /// One of the order's disputes.
    pub fn dispute(&self, dispute_id: &ProviderDisputeId) -> Option<&OrderDispute> {
        self.disputes()
            .iter()
            .find(|dispute| &dispute.dispute_id == dispute_id)
    }

    /// The sum of the disputes not yet resolved: money PayPal holds back
    /// that may still be refunded through them.
    pub fn disputed(&self) -> Option<Money> {
        let placed = self.placed().ok()?;
        let held = placed
            .disputes
            .iter()
            .filter(|dispute| dispute.outcome.is_none())
            .map(|dispute| dispute.amount.amount())
            .sum();
        Some(Money::from_total(held, placed.total().currency()))
    }

    /// Nothing when the dispute is already recorded.
    pub(super) fn decide_open_dispute(
        &self,
        command: OpenDispute,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let placed = self.placed()?;
        if self.dispute(&command.dispute_id).is_some() {
            return Ok(Vec::new());
        }
        if placed.capture.is_none()
            || matches!(
                placed.status,
                OrderStatus::Created | OrderStatus::AwaitingPaymentClearance
            )
        {
            return Err(OrderError::InvalidTransition {
                action: "dispute",
                status: placed.status,
            });
        }
        let disputable = placed
            .total()
            .checked_sub(placed.refunded)?
            .checked_sub(self.disputed().expect("placed"))?;
        let amount = command.amount;
        if amount.currency() != disputable.currency()
            || !amount.is_positive()
            || amount.checked_cmp(&disputable)?.is_gt()
        {
            return Err(OrderError::DisputeExceedsDisputable {
                disputable,
                disputed: amount,
            });
        }
        let reason: String = command
            .reason
            .trim()
            .chars()
            .take(DISPUTE_REASON_CHARS_MAX)
            .collect();
        Ok(vec![OrderEvent::OrderDisputeOpened {
            dispute_id: command.dispute_id,
            amount,
            reason,
            opened_at: command.opened_at,
        }])
    }

    /// Refused for an unknown, answered or resolved dispute.
    pub(super) fn decide_answer_dispute(
        &self,
        dispute_id: ProviderDisputeId,
        answer: DisputeAnswer,
        answered_at: DateTime<Utc>,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let dispute = self
            .dispute(&dispute_id)
            .ok_or_else(|| OrderError::DisputeNotFound(dispute_id.clone()))?;
        if dispute.outcome.is_some() {
            return Err(OrderError::DisputeResolved(dispute_id));
        }
        if dispute.answer.is_some() {
            return Err(OrderError::DisputeAnswered(dispute_id));
        }
        if answer == DisputeAnswer::ProvideEvidence && self.tracking_number().is_none() {
            return Err(OrderError::NoEvidence);
        }
        Ok(vec![OrderEvent::OrderDisputeAnswered {
            dispute_id,
            answer,
            answered_at,
        }])
    }

    /// Nothing when the dispute is already resolved. A lost dispute is a
    /// refund of the sale: refused for an order whose sale is not recorded.
    pub(super) fn decide_resolve_dispute(
        &self,
        command: ResolveDispute,
    ) -> Result<Vec<OrderEvent>, OrderError> {
        let placed = self.placed()?;
        let dispute = self
            .dispute(&command.dispute_id)
            .ok_or_else(|| OrderError::DisputeNotFound(command.dispute_id.clone()))?;
        if dispute.outcome.is_some() {
            return Ok(Vec::new());
        }
        if command.outcome == DisputeOutcome::Lost && placed.sale_id.is_none() {
            return Err(OrderError::SaleNotRecorded);
        }
        Ok(vec![OrderEvent::OrderDisputeResolved {
            dispute_id: command.dispute_id,
            outcome: command.outcome,
            amount: dispute.amount,
            chargeback_fee: command.chargeback_fee,
            resolved_at: command.resolved_at,
        }])
    }
}
