//! Commands to the payout aggregate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::payee::Payee;
use super::types::{PayoutDestination, PayoutEnvironment, PayoutFailureReason, PayoutReduction};
use crate::ids::{EntryId, HoldId, PayoutId, ProviderDisputeId, ProviderPayoutId, SaleId};
use crate::money::Money;

/// What may be asked of a payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayoutCommand {
    /// A sale owes a payee money.
    RequestPayout {
        /// The payout's id.
        payout_id: PayoutId,
        /// The sale it comes from.
        sale_id: SaleId,
        /// Who is paid.
        payee: Payee,
        /// How much.
        amount: Money,
        /// When.
        requested_at: DateTime<Utc>,
    },
    /// Reserve cash and hand the payout to the provider.
    ReservePayout(ReservePayout),
    /// Record that cash did not cover the payout (decided with working capital).
    SkipForInsufficientFunds {
        /// Free capital at the time.
        free: Money,
        /// When.
        skipped_at: DateTime<Utc>,
    },
    /// The provider confirmed the payout.
    ConfirmPayout(ConfirmPayout),
    /// The provider refused or returned the payout in flight.
    FailPayout(FailPayout),
    /// Pay less: only while the payout is not sent and not in flight.
    ReducePayout {
        /// How much less (above zero, at most the amount).
        by: Money,
        /// Why.
        reason: PayoutReduction,
        /// When.
        reduced_at: DateTime<Utc>,
    },
    /// Hold the payout back while `dispute_id` is open: only while it is
    /// not sent and not in flight; pausing twice for one dispute does nothing.
    PausePayout {
        /// The dispute.
        dispute_id: ProviderDisputeId,
        /// When.
        paused_at: DateTime<Utc>,
    },
    /// The dispute was resolved; nothing if it did not pause this payout.
    ResumePayout {
        /// The dispute.
        dispute_id: ProviderDisputeId,
        /// When.
        resumed_at: DateTime<Utc>,
    },
}

/// The most the payout provider may charge to send a payout (PayPal's
/// `payout_item_fee`), reserved with its own hold so that paying the fee can
/// never overdraw cash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FeeAllowance {
    /// Id of the hold reserving the fee.
    pub hold_id: HoldId,
    /// The most the fee may be.
    pub amount: Money,
}

/// Reserve cash and hand the payout to the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReservePayout {
    /// Id of the hold on working capital.
    pub hold_id: HoldId,
    /// The provider's fee, at most; `None` where sending is free.
    pub fee_allowance: Option<FeeAllowance>,
    /// Where to send it; `None` if the payee has set none.
    pub destination: Option<PayoutDestination>,
    /// Sandbox or production.
    pub environment: PayoutEnvironment,
    /// When.
    pub reserved_at: DateTime<Utc>,
}

/// The provider confirmed the payout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPayout {
    /// The provider's id of the payout item.
    pub provider_payout_id: ProviderPayoutId,
    /// Id of the journal entry posting the hold.
    pub entry_id: EntryId,
    /// What the provider charged for sending it (zero if nothing).
    pub fee: Money,
    /// Id of the journal entry posting the fee, if there is one.
    pub fee_entry_id: EntryId,
    /// The provider's time.
    pub sent_at: DateTime<Utc>,
}

/// The provider refused or returned the payout in flight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailPayout {
    /// Why.
    pub reason: PayoutFailureReason,
    /// The provider's time.
    pub failed_at: DateTime<Utc>,
}
