//! The sale aggregate: one balanced, multi-leg entry per purchased order.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use rust_decimal::Decimal;

use super::breakdown::{SaleBreakdown, SaleTerms};
use super::reversal::{ReverseSale, ShareReversal};
use super::SaleError;
use crate::aggregate::{Aggregate, DomainEvent};
use crate::ids::{EntryId, OrderId, PayoutId, ProviderRefundId, SaleId, UserId};
use crate::ledger::{Account, JournalEntry, LedgerEffect, Posting};
use crate::money::{Money, Percentage};
use crate::payout::Payee;

/// What may be asked of a sale.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaleCommand {
    /// Record the sale of a purchased order.
    RecordSale(RecordSale),
    /// The order was refunded (in full or in part): reverse the sale in
    /// proportion.
    ReverseSale(ReverseSale),
    /// Keep `amount` of this sale's payout to `payee` for what they owe.
    NetPayout {
        /// Who owes.
        payee: Payee,
        /// The payout that pays less.
        payout_id: PayoutId,
        /// How much is kept.
        amount: Money,
        /// Id of the netting entry.
        entry_id: EntryId,
        /// When.
        effective_at: DateTime<Utc>,
    },
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
    /// The order was refunded (in full or in part) after the sale: the
    /// commission on the refunded part goes back from the admin, and the
    /// rest of what the refund cost goes back from the seller (the policy
    /// in LEDGER.md) — from their unsent payout, else as a receivable.
    #[serde(rename = "SaleReversed")]
    SaleReversed {
        /// The sale.
        sale_id: SaleId,
        /// PayPal's refund id.
        refund_id: ProviderRefundId,
        /// What the customer got back.
        refunded: Money,
        /// The part of the capture fee PayPal gave back with it.
        fee_returned: Money,
        /// PayPal's fee for a dispute lost, borne by the seller (absent for
        /// a refund).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        chargeback_fee: Option<Money>,
        /// The supplier cost the supplier gives back, credited to the
        /// seller by this reversal (absent unless the supplier cancelled).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        supplier_cost_credited: Option<Money>,
        /// The commission reversed (the admin's share of the refund).
        commission_reversed: Money,
        /// The seller's share of the refund: refunded − fee returned −
        /// commission reversed + chargeback fee (negative only if PayPal returned more fee
        /// than that, which then is owed to the seller).
        seller_share_reversed: Money,
        /// How each payee's share is taken back.
        shares: Vec<ShareReversal>,
        /// Dr payable / receivable, Cr commission share / seller share;
        /// none when every share is zero.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        entry: Option<JournalEntry>,
    },
    /// Of this sale's payout to `payee`, `amount` was kept to settle what
    /// they owed from an earlier refund: Dr payable, Cr receivable.
    #[serde(rename = "PayoutNetted")]
    PayoutNetted {
        /// The sale.
        sale_id: SaleId,
        /// Who owed.
        payee: Payee,
        /// The payout that pays less.
        payout_id: PayoutId,
        /// How much was kept.
        amount: Money,
        /// The netting entry.
        entry: JournalEntry,
    },
}

impl DomainEvent for SaleEvent {
    const SCHEMA_VERSION: i32 = 1;

    fn event_type(&self) -> &'static str {
        match self {
            SaleEvent::SaleRecorded { .. } => "SaleRecorded",
            SaleEvent::SaleReversed { .. } => "SaleReversed",
            SaleEvent::PayoutNetted { .. } => "PayoutNetted",
        }
    }

    fn ledger_effect(&self) -> Option<LedgerEffect<'_>> {
        self.entry().map(LedgerEffect::Entry)
    }
}

impl SaleEvent {
    /// The event's journal entry, if it posts one.
    pub fn entry(&self) -> Option<&JournalEntry> {
        match self {
            SaleEvent::SaleRecorded { entry, .. } | SaleEvent::PayoutNetted { entry, .. } => {
                Some(entry)
            }
            SaleEvent::SaleReversed { entry, .. } => entry.as_ref(),
        }
    }
}

/// A sale as its events describe it; `Sale::default()` is "not recorded".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sale {
    recorded: Option<Recorded>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Recorded {
    pub(super) sale_id: SaleId,
    pub(super) order_id: OrderId,
    pub(super) seller: UserId,
    pub(super) breakdown: SaleBreakdown,
    /// Refunded so far.
    pub(super) refunded: Decimal,
    /// Commission reversed so far.
    pub(super) commission_reversed: Decimal,
    /// Capture fee PayPal gave back so far.
    pub(super) fees_returned: Decimal,
    /// Supplier cost given back by the supplier and credited to the seller.
    pub(super) supplier_cost_credited: Decimal,
    /// The sale's payouts (the admin's only if there was commission).
    pub(super) payout_ids: Vec<PayoutId>,
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

    /// What was refunded of the sale so far, once recorded.
    pub fn refunded(&self) -> Option<Money> {
        self.recorded.as_ref().map(|recorded| {
            Money::from_total(
                recorded.refunded,
                recorded.breakdown.sale_price().currency(),
            )
        })
    }

    /// The sale's payouts, once recorded.
    pub fn payout_ids(&self) -> Vec<PayoutId> {
        self.recorded
            .as_ref()
            .map(|recorded| recorded.payout_ids.clone())
            .unwrap_or_default()
    }

    pub(super) fn recorded(&self) -> Result<&Recorded, SaleError> {
        self.recorded.as_ref().ok_or(SaleError::NotRecorded)
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
        let command = match command {
            SaleCommand::RecordSale(command) => command,
            SaleCommand::ReverseSale(command) => return Ok(vec![self.reverse(command)?]),
            SaleCommand::NetPayout {
                payee,
                payout_id,
                amount,
                entry_id,
                effective_at,
            } => {
                let recorded = self.recorded()?;
                let entry = JournalEntry::new(
                    entry_id,
                    effective_at,
                    vec![
                        Posting::debit(payee.payable_account(), amount)?,
                        Posting::credit(payee.receivable_account(), amount)?,
                    ],
                )?;
                return Ok(vec![SaleEvent::PayoutNetted {
                    sale_id: recorded.sale_id,
                    payee,
                    payout_id,
                    amount,
                    entry,
                }]);
            }
        };
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
                admin_payout_id,
                seller_payout_id,
                ..
            } => {
                self.recorded = Some(Recorded {
                    payout_ids: admin_payout_id
                        .iter()
                        .copied()
                        .chain([*seller_payout_id])
                        .collect(),
                    sale_id: *sale_id,
                    order_id: *order_id,
                    seller: *seller,
                    breakdown: *breakdown,
                    refunded: Decimal::ZERO,
                    commission_reversed: Decimal::ZERO,
                    fees_returned: Decimal::ZERO,
                    supplier_cost_credited: Decimal::ZERO,
                });
            }
            SaleEvent::SaleReversed {
                refunded,
                fee_returned,
                commission_reversed,
                supplier_cost_credited,
                ..
            } => {
                if let Some(recorded) = self.recorded.as_mut() {
                    recorded.supplier_cost_credited +=
                        supplier_cost_credited.map_or(Decimal::ZERO, |credit| credit.amount());
                    recorded.refunded += refunded.amount();
                    recorded.commission_reversed += commission_reversed.amount();
                    recorded.fees_returned += fee_returned.amount();
                }
            }
            SaleEvent::PayoutNetted { .. } => {}
        }
        self
    }
}
