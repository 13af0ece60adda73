//! Which disputes a caller may see, and which order a dispute id is of:
//! PayPal's Disputes API names the capture's checkout (`custom`), and our
//! order says who sells it and what was recorded of the dispute.

use dropledger_domain::{
    DisputeAnswer, DisputeOutcome, Money, OrderError, OrderId, ProviderDisputeId,
};
use dropledger_eventstore::EventStore;
use dropledger_integrations::{PayPalClient, PayPalError};

use super::dispute::ReportedDispute;
use super::refund::Refunder;
use super::PaymentError;
use crate::order::load_order;

/// A dispute as a caller sees it: PayPal's stage and status, our record.
#[derive(Debug, Clone)]
pub struct DisputeRecord {
    /// PayPal's dispute id.
    pub dispute_id: ProviderDisputeId,
    /// The order disputed.
    pub order_id: OrderId,
    /// The disputed amount.
    pub amount: Money,
    /// PayPal's reason.
    pub reason: String,
    /// PayPal's life-cycle stage (`INQUIRY`, `CHARGEBACK`, …).
    pub stage: String,
    /// PayPal's status (`WAITING_FOR_SELLER_RESPONSE`, `RESOLVED`, …).
    pub status: String,
    /// Our answer, once given.
    pub answer: Option<DisputeAnswer>,
    /// The outcome, once recorded.
    pub outcome: Option<DisputeOutcome>,
}

/// The disputes PayPal lists (its latest page) that are recorded on our
/// orders and that `viewer` may see: an ADMIN or ACCOUNTANT (`None`) all,
/// a seller those of the orders they sell.
pub async fn list_disputes(
    store: &EventStore,
    paypal: &PayPalClient,
    viewer: Option<Refunder>,
) -> Result<Vec<DisputeRecord>, PaymentError> {
    let listed = paypal.list_disputes(None).await.map_err(|error| {
        tracing::warn!(%error, "PayPal did not list the disputes");
        PaymentError::DisputesUnavailable
    })?;
    let mut records = Vec::new();
    for dispute in listed {
        let Ok(reported) = ReportedDispute::from_paypal(&dispute) else {
            continue;
        };
        let order = load_order(store, reported.order_id).await?.state;
        if let Some(Refunder::Seller(user)) = viewer {
            if order.seller() != Some(user) {
                continue;
            }
        }
        let Some(recorded) = order.dispute(&reported.opened.dispute_id) else {
            continue;
        };
        records.push(DisputeRecord {
            dispute_id: recorded.dispute_id.clone(),
            order_id: reported.order_id,
            amount: recorded.amount,
            reason: recorded.reason.clone(),
            stage: dispute.stage.clone(),
            status: dispute.status.clone(),
            answer: recorded.answer,
            outcome: recorded.outcome,
        });
    }
    Ok(records)
}

/// The order a dispute id is of, as PayPal shows the dispute; refused
/// (`NOT_FOUND`) for a dispute PayPal does not know or that is not of one
/// of our orders.
pub async fn order_of_dispute(
    paypal: &PayPalClient,
    dispute_id: &ProviderDisputeId,
) -> Result<OrderId, PaymentError> {
    let not_found = || PaymentError::refused(&OrderError::DisputeNotFound(dispute_id.clone()));
    match paypal.show_dispute(dispute_id.as_str()).await {
        Ok(dispute) => Ok(ReportedDispute::from_paypal(&dispute)
            .map_err(|_| not_found())?
            .order_id),
        Err(PayPalError::NotFound(_)) => Err(not_found()),
        Err(error) => {
            tracing::warn!(%error, %dispute_id, "PayPal did not show the dispute");
            Err(PaymentError::DisputesUnavailable)
        }
    }
}
