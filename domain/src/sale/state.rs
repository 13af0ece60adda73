//! The sale aggregate: one balanced, multi-leg entry per purchased order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::breakdown::{SaleBreakdown, SaleTerms};
use super::SaleError;
use crate::aggregate::{Aggregate, DomainEvent};
use crate::ids::{EntryId, OrderId, PayoutId, SaleId, UserId};
use crate::ledger::{Account, JournalEntry, LedgerEffect, Posting};
use crate::money::{Money, Percentage};

/// What may be asked of a sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaleCommand {
    /// Record the sale of a purchased order.
    RecordSale(RecordSale),
}

/// Record the sale of a purchased order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSale {
    /// The sale's id.
    pub sale_id: SaleId,
    /// The order's facts, from `Order::sale_terms`.
    pub terms: SaleTerms,
    /// The platform commission rate in force.
    pub commission_rate: Percentage,
    /// Id of the sale's journal entry.
    pub entry_id: EntryId,
    /// Id of the admin's commission payout (unused if the commission is zero).
    pub admin_payout_id: PayoutId,
    /// Id of the seller's net-profit payout.
    pub seller_payout_id: PayoutId,
    /// When the sale took effect (the supplier's confirmation time).
    pub effective_at: DateTime<Utc>,
}

/// Something that happened to a sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum SaleEvent {
    /// A sale was recorded: revenue recognised, costs matched, profit owed.
    #[serde(rename = "SaleRecorded")]
    SaleRecorded {
        /// The sale.
        sale_id: SaleId,
        /// The order sold.
        order_id: OrderId,
        /// The seller.
        seller: UserId,
        /// Price, cost, fees, commission and net profit.
        breakdown: SaleBreakdown,
        /// The admin's payout, if the commission is above zero.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        admin_payout_id: Option<PayoutId>,
        /// The seller's payout.
        seller_payout_id: PayoutId,
        /// The sale entry (see LEDGER.md).
        entry: JournalEntry,
    },
}

impl DomainEvent for SaleEvent {
    const SCHEMA_VERSION: i32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            SaleEvent::SaleRecorded { .. } => "SaleRecorded",
        }
    }

    fn ledger_effect(&self) -> Option<LedgerEffect<'_>> {
        match self {
            SaleEvent::SaleRecorded { entry, .. } => Some(LedgerEffect::Entry(entry)),
        }
    }
}

/// A sale as its events describe it; `Sale::default()` is "not recorded".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sale {
    recorded: Option<Recorded>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Recorded {
    sale_id: SaleId,
    order_id: OrderId,
    seller: UserId,
    breakdown: SaleBreakdown,
}

impl Sale {
    /// The stream id of a sale, `sale-<uuid>`.
    pub fn stream_id(sale_id: SaleId) -> String {
        sale_id.stream_id()
    }

    /// The sale's id, once recorded.
    pub fn id(&self) -> Option<SaleId> {
        self.recorded.as_ref().map(|recorded| recorded.sale_id)
    }

    /// The order sold, once recorded.
    pub fn order_id(&self) -> Option<OrderId> {
        self.recorded.as_ref().map(|recorded| recorded.order_id)
    }

    /// The seller, once recorded.
    pub fn seller(&self) -> Option<UserId> {
        self.recorded.as_ref().map(|recorded| recorded.seller)
    }

    /// The split of the sale price, once recorded.
    pub fn breakdown(&self) -> Option<&SaleBreakdown> {
        self.recorded.as_ref().map(|recorded| &recorded.breakdown)
    }
}

/// The sale entry: revenue recognised against the customer's prepayment,
/// goods in transit and prepaid fees expensed, commission and net profit
/// distributed to what the platform owes the admin and the seller.
fn sale_entry(
    entry_id: EntryId,
    effective_at: DateTime<Utc>,
    seller: UserId,
    sale: &SaleBreakdown,
) -> Result<JournalEntry, SaleError> {
    let legs: [(Account, Account, Money); 5] = [
        (
            Account::CustomerPrepayments,
            Account::SalesRevenue,
            sale.sale_price(),
        ),
        (
            Account::SupplierCost,
            Account::GoodsInTransit,
            sale.supplier_cost(),
        ),
        (
            Account::PaymentFees,
            Account::PrepaidPaymentFees,
            sale.fees(),
        ),
        (
            Account::CommissionShare,
            Account::PayableToAdmin,
            sale.commission(),
        ),
        (
            Account::SellerShare,
            Account::PayableToUser(seller),
            sale.net_profit(),
        ),
    ];
    let mut postings = Vec::with_capacity(legs.len() * 2);
    for (debit, credit, amount) in legs {
        // A zero fee or commission gets no legs: postings are positive.
        if amount.is_positive() {
            postings.push(Posting::debit(debit, amount)?);
            postings.push(Posting::credit(credit, amount)?);
        }
    }
    Ok(JournalEntry::new(entry_id, effective_at, postings)?)
}

impl Aggregate for Sale {
    type Command = SaleCommand;
    type Event = SaleEvent;
    type Error = SaleError;

    fn decide(&self, command: SaleCommand) -> Result<Vec<SaleEvent>, SaleError> {
        let SaleCommand::RecordSale(command) = command;
        if let Some(recorded) = &self.recorded {
            return Err(SaleError::AlreadyRecorded(recorded.sale_id));
        }
        let terms = command.terms;
        let breakdown = SaleBreakdown::compute(
            terms.sale_price,
            terms.supplier_cost,
            terms.fees,
            command.commission_rate,
        )?;
        // Profit guard: the platform never records a sale the seller loses on.
        if !breakdown.net_profit().is_positive() {
            return Err(SaleError::NonPositiveProfit(Box::new(breakdown)));
        }
        let entry = sale_entry(
            command.entry_id,
            command.effective_at,
            terms.seller,
            &breakdown,
        )?;
        Ok(vec![SaleEvent::SaleRecorded {
            sale_id: command.sale_id,
            order_id: terms.order_id,
            seller: terms.seller,
            breakdown,
            admin_payout_id: breakdown
                .commission()
                .is_positive()
                .then_some(command.admin_payout_id),
            seller_payout_id: command.seller_payout_id,
            entry,
        }])
    }

    fn evolve(mut self, event: &SaleEvent) -> Sale {
        match event {
            SaleEvent::SaleRecorded {
                sale_id,
                order_id,
                seller,
                breakdown,
                ..
            } => {
                self.recorded = Some(Recorded {
                    sale_id: *sale_id,
                    order_id: *order_id,
                    seller: *seller,
                    breakdown: *breakdown,
                });
            }
        }
        self
    }
}
