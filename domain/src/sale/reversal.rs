//! Reversing a sale in proportion to a refund, and who bears it.
//!
//! The policy (LEDGER.md): the platform passes every sale's profit on, so a
//! refund is borne by the parties the profit went to. The admin gives back
//! the commission on the refunded part (commission × refunded ÷ price,
//! cumulative and rounded half to even, so a full refund reverses it to the
//! cent). The seller bears the rest of what the refund costs: the refunded
//! amount less that commission and less any fee PayPal returns. The
//! supplier cost of an item the customer keeps is not recovered, so a full
//! refund charges the seller their profit plus that cost and the fee PayPal
//! kept. Each share comes first out of the payee's payout of this sale if
//! it is not sent yet (the payout is reduced), and otherwise is owed back
//! (a receivable netted against the payee's next payouts). A dispute the
//! platform loses is reversed the same way, and PayPal's chargeback fee is
//! the seller's too (their sale, like the fee PayPal keeps on a refund).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::state::{Sale, SaleEvent};
use super::SaleError;
use crate::ids::{EntryId, ProviderRefundId};
use crate::ledger::{Account, JournalEntry, Posting};
use crate::money::Money;
use crate::payout::Payee;

/// Reverse a sale in proportion to a refund of its order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReverseSale {
    /// PayPal's refund id.
    pub refund_id: ProviderRefundId,
    /// Id of the reversal's entry.
    pub entry_id: EntryId,
    /// What the customer got back.
    pub refunded: Money,
    /// The part of the capture fee PayPal gave back with it.
    pub fee_returned: Money,
    /// What PayPal charged for a dispute lost (zero for a refund): the
    /// seller bears it with the rest of the refund.
    pub chargeback_fee: Money,
    /// What the supplier gives back of the sale's cost, in all (its cost
    /// once it cancelled the purchase, else zero): what a reversal has not
    /// yet credited comes off the seller's share, since the seller bore it.
    pub supplier_cost_returned: Money,
    /// What each payee's payout of this sale may still give up (its whole
    /// amount while not sent, nothing once sent or in flight).
    pub reducible: BTreeMap<Payee, Money>,
    /// PayPal's refund time.
    pub effective_at: DateTime<Utc>,
}

/// How one payee's share of a refund is taken back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareReversal {
    /// Who gives it back.
    pub payee: Payee,
    /// Taken off their payout of this sale, not yet sent.
    pub from_payout: Money,
    /// Owed back (their payout was sent): a receivable.
    pub owed: Money,
}

impl Sale {
    pub(super) fn reverse(&self, command: ReverseSale) -> Result<SaleEvent, SaleError> {
        let recorded = self.recorded()?;
        let sale = recorded.breakdown;
        let price = sale.sale_price();
        let currency = price.currency();
        let refunded = command.refunded;
        let returned = command.fee_returned;
        let does_not_fit = || SaleError::RefundDoesNotFit {
            refunded,
            fee_returned: returned,
        };
        let chargeback_fee = command.chargeback_fee;
        if refunded.currency() != currency
            || returned.currency() != currency
            || chargeback_fee.currency() != currency
            || chargeback_fee.is_negative()
        {
            return Err(does_not_fit());
        }
        let refunded_after = recorded.refunded + refunded.amount();
        let returned_after = recorded.fees_returned + returned.amount();
        if !refunded.is_positive()
            || refunded_after > price.amount()
            || returned.is_negative()
            || returned.amount() > refunded.amount()
            || returned_after > sale.fees().amount()
        {
            return Err(does_not_fit());
        }
        // Cumulative, so that partial refunds adding up to the price
        // reverse exactly the commission charged.
        let commission_after = Money::round_half_even(
            sale.commission().amount() * refunded_after / price.amount(),
            currency,
        )?;
        let commission_reversed = Money::from_total(
            commission_after.amount() - recorded.commission_reversed,
            currency,
        );
        // The supplier's refund is credited to the seller once, with the
        // first reversal after the supplier cancelled: the seller bears no
        // supplier cost the supplier gives back.
        let supplier_credit = Money::from_total(
            command.supplier_cost_returned.amount() - recorded.supplier_cost_credited,
            currency,
        );
        if command.supplier_cost_returned.currency() != currency
            || supplier_credit.is_negative()
            || command.supplier_cost_returned.amount() > sale.supplier_cost().amount()
        {
            return Err(does_not_fit());
        }
        let seller_share = refunded
            .checked_sub(returned)?
            .checked_sub(commission_reversed)?
            .checked_add(chargeback_fee)?
            .checked_sub(supplier_credit)?;
        let seller = Payee::User {
            user_id: recorded.seller,
        };
        let mut shares = Vec::new();
        let mut postings = Vec::new();
        for (payee, share, expense) in [
            (Payee::Admin, commission_reversed, Account::CommissionShare),
            (seller, seller_share, Account::SellerShare),
        ] {
            if share.is_negative() {
                // PayPal returned more fee than the seller's share: the
                // difference is owed to the seller, on their payable.
                postings.push(Posting::debit(expense, share.negated())?);
                postings.push(Posting::credit(payee.payable_account(), share.negated())?);
                continue;
            }
            if !share.is_positive() {
                continue;
            }
            let reducible = command
                .reducible
                .get(&payee)
                .copied()
                .unwrap_or(Money::zero(currency));
            let from_payout = if reducible.checked_cmp(&share)?.is_lt() {
                reducible
            } else {
                share
            };
            let owed = share.checked_sub(from_payout)?;
            if from_payout.is_positive() {
                postings.push(Posting::debit(payee.payable_account(), from_payout)?);
            }
            if owed.is_positive() {
                postings.push(Posting::debit(payee.receivable_account(), owed)?);
            }
            postings.push(Posting::credit(expense, share)?);
            shares.push(ShareReversal {
                payee,
                from_payout,
                owed,
            });
        }
        let entry = if postings.is_empty() {
            None
        } else {
            Some(JournalEntry::new(
                command.entry_id,
                command.effective_at,
                postings,
            )?)
        };
        Ok(SaleEvent::SaleReversed {
            sale_id: recorded.sale_id,
            refund_id: command.refund_id,
            refunded,
            fee_returned: returned,
            chargeback_fee: chargeback_fee.is_positive().then_some(chargeback_fee),
            supplier_cost_credited: supplier_credit.is_positive().then_some(supplier_credit),
            commission_reversed,
            seller_share_reversed: seller_share,
            shares,
            entry,
        })
    }
}
