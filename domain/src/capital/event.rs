//! Events of the working-capital streams (`capital-<CURRENCY>`).

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::command::{CaptureStatus, HoldPurpose};
use crate::aggregate::DomainEvent;
use crate::ids::{
    CaptureId, OrderId, ProviderDisputeId, ProviderRefundId, Reference, SupplierOrderId,
};
use crate::ledger::{Account, Hold, JournalEntry, LedgerEffect};
use crate::money::Money;

/// Something that happened to the platform's cash. Every variant moves money
/// and carries its postings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, strum::EnumDiscriminants)]
#[serde(tag = "type")]
#[strum_discriminants(
    name(CapitalEventType),
    doc = "The type of a working-capital event, without its data: what readers of the log route on (its text is the stored `event_type`).",
    derive(strum::EnumString, strum::IntoStaticStr)
)]
pub enum CapitalEvent {
    /// The owner contributed working capital.
    #[serde(rename = "CapitalContributed")]
    CapitalContributed {
        /// The owner's reference.
        reference: Reference,
        /// Dr cash available, Cr owner's capital.
        entry: JournalEntry,
    },
    /// A customer's payment was captured; cash is pending or available per status.
    #[serde(rename = "PaymentReceived")]
    PaymentReceived {
        /// The order paid.
        order_id: OrderId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// Capture status at the time.
        status: CaptureStatus,
        /// What the customer paid.
        gross: Money,
        /// PayPal's fee withheld.
        fee: Money,
        /// Dr cash (net), Dr prepaid fees, Cr customer prepayments (gross).
        entry: JournalEntry,
    },
    /// A pending capture completed; its cash became available.
    #[serde(rename = "CaptureCompleted")]
    CaptureCompleted {
        /// The order paid.
        order_id: OrderId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// Dr cash available, Cr cash pending.
        entry: JournalEntry,
    },
    /// A completed capture was refunded in full; the entry corrects the capture's.
    #[serde(rename = "PaymentRefunded")]
    PaymentRefunded {
        /// The order refunded.
        order_id: OrderId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// PayPal's refund id.
        refund_id: ProviderRefundId,
        /// What the customer got back.
        gross: Money,
        /// The part of the capture fee PayPal gave back.
        fee_returned: Money,
        /// Dr customer prepayments, Cr cash, Cr prepaid fees, Dr fees lost.
        entry: JournalEntry,
    },
    /// A sold order was refunded (in full or in part): Dr sales refunds
    /// (gross), Cr cash available (gross − fee returned), Cr payment fees
    /// (the fee returned). The sale's `SaleReversed` says who bears it.
    #[serde(rename = "SaleRefunded")]
    SaleRefunded {
        /// The order refunded.
        order_id: OrderId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// PayPal's refund id.
        refund_id: ProviderRefundId,
        /// What the customer got back.
        gross: Money,
        /// The part of the capture fee PayPal gave back.
        fee_returned: Money,
        /// The entry.
        entry: JournalEntry,
    },
    /// A customer opened a dispute and PayPal holds the disputed amount
    /// back: Dr cash disputed, Cr cash available.
    #[serde(rename = "DisputedFundsHeld")]
    DisputedFundsHeld {
        /// The order disputed.
        order_id: OrderId,
        /// PayPal's dispute id.
        dispute_id: ProviderDisputeId,
        /// The disputed amount.
        amount: Money,
        /// The entry.
        entry: JournalEntry,
    },
    /// The platform won the dispute: Dr cash available, Cr cash disputed.
    #[serde(rename = "DisputedFundsReleased")]
    DisputedFundsReleased {
        /// The order disputed.
        order_id: OrderId,
        /// PayPal's dispute id.
        dispute_id: ProviderDisputeId,
        /// The amount released.
        amount: Money,
        /// The entry.
        entry: JournalEntry,
    },
    /// The platform lost the dispute of a sold order: Dr sales refunds, Cr
    /// cash disputed (the amount held); Dr chargeback fees, Cr cash
    /// available (PayPal's fee). The sale's `SaleReversed` says who bears it.
    #[serde(rename = "DisputeLost")]
    DisputeLost {
        /// The order disputed.
        order_id: OrderId,
        /// PayPal's dispute id.
        dispute_id: ProviderDisputeId,
        /// What the customer got back.
        amount: Money,
        /// What PayPal charged for the lost dispute.
        chargeback_fee: Money,
        /// The entry.
        entry: JournalEntry,
    },
    /// The supplier cancelled or closed a purchase it had accepted: what it
    /// charged is owed back (`receivable:supplier`), out of goods in transit
    /// (not sold) or supplier cost (sold).
    #[serde(rename = "SupplierPurchaseCancelled")]
    SupplierPurchaseCancelled {
        /// The order.
        order_id: OrderId,
        /// The supplier's order id.
        supplier_order_id: SupplierOrderId,
        /// What the supplier owes back.
        amount: Money,
        /// The postings.
        entry: JournalEntry,
    },
    /// The supplier refunded a cancelled purchase into the PayPal balance.
    #[serde(rename = "SupplierRefundReceived")]
    SupplierRefundReceived {
        /// The order.
        order_id: OrderId,
        /// The supplier's order id.
        supplier_order_id: SupplierOrderId,
        /// What came back.
        amount: Money,
        /// The postings.
        entry: JournalEntry,
    },
    /// Free capital was reserved (a pending transfer out of available cash).
    #[serde(rename = "HoldPlaced")]
    HoldPlaced {
        /// What it is for.
        purpose: HoldPurpose,
        /// The pending transfer.
        hold: Hold,
    },
    /// A hold was spent, fully or in part; the rest is free again.
    #[serde(rename = "HoldPosted")]
    HoldPosted {
        /// What it was for.
        purpose: HoldPurpose,
        /// The hold as placed.
        hold: Hold,
        /// What was not spent.
        released: Money,
        /// The posted transfer.
        entry: JournalEntry,
    },
    /// A hold was released entirely.
    #[serde(rename = "HoldVoided")]
    HoldVoided {
        /// What it was for.
        purpose: HoldPurpose,
        /// The hold as placed.
        hold: Hold,
        /// When it was voided.
        voided_at: DateTime<Utc>,
    },
    /// PayPal denied (or failed) a pending capture: the money never became
    /// the platform's, so the capture's entry is reversed. Pending cash
    /// only: free capital (available − holds) is unchanged.
    #[serde(rename = "CaptureDenied")]
    CaptureDenied {
        /// The order whose payment it was.
        order_id: OrderId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// Dr customer prepayments (gross), Cr cash pending (net), Cr
        /// prepaid fees (fee): the capture's entry, reversed.
        entry: JournalEntry,
    },
}

impl DomainEvent for CapitalEvent {
    const SCHEMA_VERSION: i32 = 1;

    fn event_type(&self) -> &'static str {
        CapitalEventType::from(self).into()
    }

    fn ledger_effect(&self) -> Option<LedgerEffect<'_>> {
        Some(match self {
            CapitalEvent::CapitalContributed { entry, .. }
            | CapitalEvent::PaymentReceived { entry, .. }
            | CapitalEvent::CaptureCompleted { entry, .. }
            | CapitalEvent::PaymentRefunded { entry, .. }
            | CapitalEvent::SaleRefunded { entry, .. }
            | CapitalEvent::CaptureDenied { entry, .. }
            | CapitalEvent::DisputedFundsHeld { entry, .. }
            | CapitalEvent::DisputedFundsReleased { entry, .. }
            | CapitalEvent::DisputeLost { entry, .. }
            | CapitalEvent::SupplierPurchaseCancelled { entry, .. }
            | CapitalEvent::SupplierRefundReceived { entry, .. } => LedgerEffect::Entry(entry),
            CapitalEvent::HoldPlaced { hold, .. } => LedgerEffect::HoldPlaced(hold),
            CapitalEvent::HoldPosted { hold, entry, .. } => {
                LedgerEffect::HoldPosted { hold, entry }
            }
            CapitalEvent::HoldVoided { hold, .. } => LedgerEffect::HoldVoided(hold),
        })
    }

    /// The change of free capital (available cash − open holds): what
    /// holds and refunds draw on. Cash coming in and holds closing only add
    /// to it, which is why they never have to wait for one another.
    fn budget_change(&self) -> Option<Decimal> {
        // A capital stream is in one currency, so every posting counts.
        let cash: Decimal = self.entry().map_or(Decimal::ZERO, |entry| {
            entry
                .postings()
                .iter()
                .filter(|posting| posting.account() == Account::CashAvailable)
                .map(|posting| posting.signed_amount())
                .sum()
        });
        let held = match self {
            CapitalEvent::HoldPlaced { hold, .. } => hold.amount().amount(),
            CapitalEvent::HoldPosted { hold, .. } | CapitalEvent::HoldVoided { hold, .. } => {
                -hold.amount().amount()
            }
            _ => Decimal::ZERO,
        };
        Some(cash - held)
    }
}

impl CapitalEvent {
    /// The journal entry of an event that moves cash.
    pub(super) fn entry(&self) -> Option<&JournalEntry> {
        match self {
            CapitalEvent::CapitalContributed { entry, .. }
            | CapitalEvent::PaymentReceived { entry, .. }
            | CapitalEvent::CaptureCompleted { entry, .. }
            | CapitalEvent::PaymentRefunded { entry, .. }
            | CapitalEvent::SaleRefunded { entry, .. }
            | CapitalEvent::CaptureDenied { entry, .. }
            | CapitalEvent::DisputedFundsHeld { entry, .. }
            | CapitalEvent::DisputedFundsReleased { entry, .. }
            | CapitalEvent::DisputeLost { entry, .. }
            | CapitalEvent::SupplierPurchaseCancelled { entry, .. }
            | CapitalEvent::SupplierRefundReceived { entry, .. }
            | CapitalEvent::HoldPosted { entry, .. } => Some(entry),
            CapitalEvent::HoldPlaced { .. } | CapitalEvent::HoldVoided { .. } => None,
        }
    }
}
