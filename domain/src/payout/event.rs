//! Events of the payout streams (`payout-<uuid>`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::command::FeeAllowance;
use super::payee::Payee;
use super::types::{PayoutDestination, PayoutFailureReason, PayoutReduction};
use crate::aggregate::DomainEvent;
use crate::ids::{HoldId, PayoutId, ProviderDisputeId, ProviderPayoutId, SaleId};
use crate::money::Money;

/// Something that happened to a payout. Cash moves in the working-capital
/// events appended with these.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "type")]
#[strum_discriminants(
    name(PayoutEventType),
    doc = "The type of a payout event, without its data: what readers of the log route on (its text is the stored `event_type`).",
    derive(strum::EnumString, strum::IntoStaticStr)
)]
pub enum PayoutEvent {
    /// A sale created a payout owed to a payee.
    #[serde(rename = "PayoutRequested")]
    PayoutRequested {
        /// The payout.
        payout_id: PayoutId,
        /// The sale.
        sale_id: SaleId,
        /// Who is paid.
        payee: Payee,
        /// How much.
        amount: Money,
        /// When.
        requested_at: DateTime<Utc>,
    },
    /// Cash was reserved and the payout handed to the provider.
    #[serde(rename = "PayoutReserved")]
    PayoutReserved {
        /// The hold on working capital.
        hold_id: HoldId,
        /// The hold reserving the provider's fee, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        fee_allowance: Option<FeeAllowance>,
        /// Where it goes.
        destination: PayoutDestination,
        /// When.
        reserved_at: DateTime<Utc>,
    },
    /// Available cash did not cover the payout; it will be retried.
    #[serde(rename = "PayoutSkippedInsufficientFunds")]
    PayoutSkippedInsufficientFunds {
        /// Free capital at the time.
        free: Money,
        /// When.
        skipped_at: DateTime<Utc>,
    },
    /// The provider confirmed the payout.
    #[serde(rename = "PayoutSent")]
    PayoutSent {
        /// The provider's id.
        provider_payout_id: ProviderPayoutId,
        /// What the provider charged for sending it.
        fee: Money,
        /// When.
        sent_at: DateTime<Utc>,
    },
    /// The payout failed; any hold is voided in the same append.
    #[serde(rename = "PayoutFailed")]
    PayoutFailed {
        /// Why.
        reason: PayoutFailureReason,
        /// The hold released, if one was placed.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        released_hold: Option<HoldId>,
        /// When.
        failed_at: DateTime<Utc>,
    },
    /// The payout, not yet sent, pays less; at zero it is CANCELLED. The
    /// postings are the sale's (its reversal, or the netting of a debt).
    #[serde(rename = "PayoutReduced")]
    PayoutReduced {
        /// How much less.
        by: Money,
        /// What it pays now.
        remaining: Money,
        /// Why.
        reason: PayoutReduction,
        /// When.
        reduced_at: DateTime<Utc>,
    },
    /// A customer disputed the sale: the payout, not yet sent, waits until
    /// the dispute is resolved (a lost dispute reduces it first).
    #[serde(rename = "PayoutPaused")]
    PayoutPaused {
        /// The dispute it waits for.
        dispute_id: ProviderDisputeId,
        /// When.
        paused_at: DateTime<Utc>,
    },
    /// The dispute it waited for was resolved; it may be sent once no
    /// other dispute holds it.
    #[serde(rename = "PayoutResumed")]
    PayoutResumed {
        /// The dispute resolved.
        dispute_id: ProviderDisputeId,
        /// When.
        resumed_at: DateTime<Utc>,
    },
}

impl DomainEvent for PayoutEvent {
    /// 2: `PayoutReserved.destination` holds its address sealed (version 1
    /// held plaintext; see `crate::upcast`).
    const SCHEMA_VERSION: i32 = 2;

    fn event_type(&self) -> &'static str {
        PayoutEventType::from(self).into()
    }
}
