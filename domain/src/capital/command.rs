//! Commands to the working-capital aggregate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::ids::{
    CaptureId, EntryId, HoldId, OrderId, PayoutId, ProviderDisputeId, ProviderRefundId, Reference,
    SupplierOrderId,
};
use crate::ledger::Account;
use crate::money::Money;
use crate::payout::Payee;

/// PayPal's status of a capture (`captures[].status`), as far as cash goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CaptureStatus {
    /// The money is captured but not yet usable (e.g. an eCheck, a review).
    Pending,
    /// The money is in the available balance.
    Completed,
}

/// What a hold on working capital reserves money for; it decides the
/// account debited when the hold is posted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum HoldPurpose {
    /// Buying an order's goods from the supplier.
    Purchase {
        /// The order.
        order_id: OrderId,
    },
    /// Paying out what is owed to a payee.
    Payout {
        /// The payout.
        payout_id: PayoutId,
        /// Who is paid.
        payee: Payee,
    },
    /// The most the payout provider may charge for sending a payout.
    PayoutFee {
        /// The payout.
        payout_id: PayoutId,
    },
}

impl HoldPurpose {
    /// The account debited when a hold for this purpose is posted.
    pub fn debit_account(&self) -> Account {
        match self {
            HoldPurpose::Purchase { .. } => Account::GoodsInTransit,
            HoldPurpose::Payout { payee, .. } => payee.payable_account(),
            HoldPurpose::PayoutFee { .. } => Account::PayoutFees,
        }
    }
}

/// What may be asked of working capital.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CapitalCommand {
    /// The owner puts money into the PayPal balance.
    ContributeCapital {
        /// Id of the journal entry to record.
        entry_id: EntryId,
        /// How much.
        amount: Money,
        /// The owner's reference for the transfer.
        reference: Reference,
        /// When the money arrived.
        effective_at: DateTime<Utc>,
    },
    /// A customer's payment was captured at PayPal.
    ReceivePayment {
        /// Id of the journal entry to record.
        entry_id: EntryId,
        /// The order paid.
        order_id: OrderId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// What the customer paid.
        gross: Money,
        /// PayPal's fee withheld (`seller_receivable_breakdown.paypal_fee`).
        fee: Money,
        /// Whether the money is available yet.
        status: CaptureStatus,
        /// PayPal's `create_time` of the capture.
        effective_at: DateTime<Utc>,
    },
    /// PayPal reports a pending capture COMPLETED.
    CompleteCapture {
        /// Id of the journal entry to record.
        entry_id: EntryId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// PayPal's `update_time`.
        effective_at: DateTime<Utc>,
    },
    /// A completed capture was refunded in full to the customer.
    RefundPayment {
        /// Id of the journal entry to record.
        entry_id: EntryId,
        /// The cash entry of the capture this corrects.
        corrects: EntryId,
        /// The order refunded.
        order_id: OrderId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// PayPal's refund id.
        refund_id: ProviderRefundId,
        /// What the customer paid and gets back.
        gross: Money,
        /// The fee PayPal withheld at capture.
        fee: Money,
        /// The part of that fee PayPal gives back (often nothing).
        fee_returned: Money,
        /// PayPal's refund time.
        effective_at: DateTime<Utc>,
    },
    /// A sold order was refunded, in full or in part: the customer's money
    /// leaves cash and the sale's revenue is reduced (see the sale's
    /// reversal for who bears it).
    RefundSale {
        /// Id of the journal entry to record.
        entry_id: EntryId,
        /// The order refunded.
        order_id: OrderId,
        /// PayPal's capture id.
        capture_id: CaptureId,
        /// PayPal's refund id.
        refund_id: ProviderRefundId,
        /// What the customer gets back.
        gross: Money,
        /// The part of the capture fee PayPal gives back with it.
        fee_returned: Money,
        /// PayPal's refund time.
        effective_at: DateTime<Utc>,
    },
    /// A customer opened a dispute: PayPal holds `amount` back.
    HoldDisputedFunds {
        /// Id of the journal entry to record.
        entry_id: EntryId,
        /// The order disputed.
        order_id: OrderId,
        /// PayPal's dispute id.
        dispute_id: ProviderDisputeId,
        /// The disputed amount.
        amount: Money,
        /// PayPal's `create_time` of the dispute.
        effective_at: DateTime<Utc>,
    },
    /// The dispute was resolved in the platform's favour.
    ReleaseDisputedFunds {
        /// Id of the journal entry to record.
        entry_id: EntryId,
        /// PayPal's dispute id.
        dispute_id: ProviderDisputeId,
        /// PayPal's `update_time` of the resolution.
        effective_at: DateTime<Utc>,
    },
    /// The dispute was resolved in the customer's favour.
    LoseDispute {
        /// Id of the journal entry to record.
        entry_id: EntryId,
        /// PayPal's dispute id.
        dispute_id: ProviderDisputeId,
        /// What PayPal charges for the lost dispute (zero if nothing).
        chargeback_fee: Money,
        /// PayPal's `update_time` of the resolution.
        effective_at: DateTime<Utc>,
    },
    /// The supplier cancelled (or closed) a purchase it had accepted: what
    /// it charged is owed back. Dr receivable from supplier; Cr goods in
    /// transit while the order's sale is not recorded, else Cr supplier
    /// cost (the cost of goods sold shrinks: nothing was sold after all).
    CancelSupplierPurchase {
        /// Id of the entry.
        entry_id: EntryId,
        /// The order.
        order_id: OrderId,
        /// The supplier's order id.
        supplier_order_id: SupplierOrderId,
        /// What the supplier charged, now owed back.
        amount: Money,
        /// Whether the order's sale is recorded (its cost is an expense).
        sold: bool,
        /// When the supplier cancelled it (or when we learnt it).
        effective_at: DateTime<Utc>,
    },
    /// The supplier's refund of a cancelled purchase arrived in the PayPal
    /// balance the purchase was paid from: Dr cash available, Cr receivable
    /// from supplier.
    ReceiveSupplierRefund {
        /// Id of the entry.
        entry_id: EntryId,
        /// The order.
        order_id: OrderId,
        /// The supplier's order id.
        supplier_order_id: SupplierOrderId,
        /// What the supplier gave back.
        amount: Money,
        /// When the supplier reported it refunded.
        effective_at: DateTime<Utc>,
    },
    /// Reserve free capital; refused unless free capital covers it.
    PlaceHold {
        /// Id of the hold, chosen by the caller.
        hold_id: HoldId,
        /// What it is for.
        purpose: HoldPurpose,
        /// How much.
        amount: Money,
        /// When it was placed.
        effective_at: DateTime<Utc>,
    },
    /// Spend a hold, fully or in part; the rest is released.
    PostHold {
        /// The hold.
        hold_id: HoldId,
        /// Id of the journal entry to record.
        entry_id: EntryId,
        /// What was really spent (at most the hold).
        amount: Money,
        /// The provider's time of the spending.
        effective_at: DateTime<Utc>,
    },
    /// Release a hold entirely.
    VoidHold {
        /// The hold.
        hold_id: HoldId,
        /// When.
        effective_at: DateTime<Utc>,
    },
}
