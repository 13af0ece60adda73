//! The dispute poller: PayPal's latest disputes, read through the Disputes
//! API and recorded as their webhooks are (`payment::record_dispute`), so a
//! dispute whose webhook was lost is still found, and one reported both
//! ways is recorded once.

use std::sync::Arc;

use dropledger_eventstore::{EventStore, Metadata};
use dropledger_integrations::PayPalClient;

use crate::error::PollError;
use crate::payment::{self, PaymentError, ReportedDispute};

/// How often PayPal's disputes are read.
pub const DISPUTE_POLL_INTERVAL_MS: u64 = 5_000;
/// Who is recorded as acting.
const ACTOR: &str = "system:dispute-poll";

/// One poll: each dispute of PayPal's latest page is recorded (opened,
/// resolved) unless it already is. One that cannot be recorded (not our
/// order, refused by the books) is logged for a person and does not stop
/// the others; our own store failing ends the poll.
pub async fn poll_disputes(
    store: &EventStore,
    paypal: &Arc<PayPalClient>,
) -> Result<(), PollError> {
    let disputes = paypal
        .list_disputes(None)
        .await
        .map_err(PollError::paypal)?;
    for dispute in disputes {
        let reported = match ReportedDispute::from_paypal(&dispute) {
            Ok(reported) => reported,
            Err(reason) => {
                tracing::warn!(dispute_id = %dispute.id, reason, "a PayPal dispute not of our orders");
                continue;
            }
        };
        let metadata = Metadata {
            correlation_id: reported.order_id.as_uuid(),
            causation_id: None,
            actor: ACTOR.to_owned(),
            command_id: None,
        };
        match payment::record_dispute(store, &reported, &metadata).await {
            Ok(()) => {}
            Err(PaymentError::Store(fault)) => return Err(PollError::Store(fault)),
            Err(error) => {
                tracing::error!(dispute_id = %dispute.id, %error, "a PayPal dispute could not be recorded");
            }
        }
    }
    Ok(())
}
