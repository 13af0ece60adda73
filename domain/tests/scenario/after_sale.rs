//! Refunds after the sale in random scenarios, and an independent model of
//! what each party (the admin, each seller) has earned, to check the books
//! against.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use dropledger_domain::*;
use rust_decimal::{Decimal, RoundingStrategy};

use super::{usd_cents, World};

/// What each payee earned (commission or net profit, less their share of
/// refunds) and was paid, computed from the amounts alone — not from the
/// domain's postings — plus, per sale, what the model needs for refunds.
#[derive(Debug, Default)]
pub struct Model {
    pub(crate) earned: BTreeMap<Payee, Decimal>,
    pub(crate) paid: BTreeMap<Payee, Decimal>,
    /// Per sale: price, commission, refunded so far, commission reversed so far.
    pub(crate) sales: BTreeMap<SaleId, (Decimal, Decimal, Decimal, Decimal)>,
    /// Per sale: the supplier cost its supplier gives back, not yet credited
    /// to the seller (the policy: it comes off the seller's share of the
    /// next refund).
    pub(crate) supplier_credit: BTreeMap<SaleId, Decimal>,
}

impl Model {
    pub(crate) fn sold(&mut self, sale_id: SaleId, seller: UserId, breakdown: &SaleBreakdown) {
        let commission = breakdown.commission().amount();
        *self.earned.entry(Payee::Admin).or_default() += commission;
        *self
            .earned
            .entry(Payee::User { user_id: seller })
            .or_default() += breakdown.net_profit().amount();
        self.sales.insert(
            sale_id,
            (
                breakdown.sale_price().amount(),
                commission,
                Decimal::ZERO,
                Decimal::ZERO,
            ),
        );
    }

    /// The policy, computed independently: the admin gives back the
    /// commission on the refunded part (cumulative, rounded half to even),
    /// the seller the rest of the refund less the fee PayPal returned.
    pub(crate) fn refunded(
        &mut self,
        sale_id: SaleId,
        seller: UserId,
        refunded: Decimal,
        fee_returned: Decimal,
    ) {
        let (price, commission, before, reversed) = self.sales[&sale_id];
        let after = before + refunded;
        let commission_after = (commission * after / price)
            .round_dp_with_strategy(2, RoundingStrategy::MidpointNearestEven);
        let admin_share = commission_after - reversed;
        let credit = self.supplier_credit.remove(&sale_id).unwrap_or_default();
        *self.earned.entry(Payee::Admin).or_default() -= admin_share;
        *self
            .earned
            .entry(Payee::User { user_id: seller })
            .or_default() -= refunded - fee_returned - admin_share - credit;
        self.sales
            .insert(sale_id, (price, commission, after, commission_after));
    }

    /// The supplier of a sold order cancelled: its cost is credited to the
    /// seller with the sale's next refund.
    pub(crate) fn supplier_cancelled(&mut self, sale_id: SaleId, cost: Decimal) {
        self.supplier_credit.insert(sale_id, cost);
    }

    /// A chargeback fee: the seller's alone (LEDGER.md, disputes).
    pub(crate) fn charged(&mut self, seller: UserId, fee: Decimal) {
        *self
            .earned
            .entry(Payee::User { user_id: seller })
            .or_default() -= fee;
    }

    pub(crate) fn paid(&mut self, payee: Payee, amount: Decimal) {
        *self.paid.entry(payee).or_default() += amount;
    }
}

impl World {
    /// Refunds `per_mille` ‰ of what is left of a sold order (at least a
    /// cent), PayPal returning `fee_returned_per_mille` ‰ of what it may.
    pub(crate) fn refund_sold(
        &mut self,
        order: usize,
        per_mille: i64,
        fee_returned_per_mille: i64,
        at: DateTime<Utc>,
    ) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
        let order = self.orders[index].0.clone();
        let (Some(sale_id), Some(total), Some(refunded), Some(seller)) = (
            order.sale_id(),
            order.total(),
            order.refunded(),
            order.seller(),
        ) else {
            return;
        };
        let rest = total.amount() - refunded.amount();
        let amount = (rest * Decimal::from(per_mille) / Decimal::from(1000))
            .trunc_with_scale(2)
            .max(Decimal::new(1, 2))
            .min(rest);
        let Some(sale_index) = self
            .sales
            .iter()
            .position(|(sale, _)| sale.id() == Some(sale_id))
        else {
            return;
        };
        let sale = self.sales[sale_index].0.clone();
        let fee = sale
            .breakdown()
            .map(|b| b.fees().amount())
            .unwrap_or_default();
        let fee_left = fee
            - self
                .fees_returned
                .get(&sale_id)
                .copied()
                .unwrap_or_default();
        let fee_returned = (fee_left.min(amount) * Decimal::from(fee_returned_per_mille)
            / Decimal::from(1000))
        .trunc_with_scale(2);
        let intent = RequestRefund {
            request_id: RefundRequestId::from_uuid(self.uuid()),
            amount: Money::new(amount, Currency::Usd).unwrap(),
            requested_at: at,
        };
        let Ok(asked) = request_refund(&order, &self.capital, intent) else {
            return;
        };
        self.apply_order_decision(index, asked);
        let payouts: Vec<Payout> = self
            .payouts
            .iter()
            .map(|(payout, _)| payout.clone())
            .collect();
        let command = RefundPayment {
            refund_id: ProviderRefundId::parse(&format!("RF-{}", self.next_id)).unwrap(),
            amount: Money::new(amount, Currency::Usd).unwrap(),
            fee_returned: Money::new(fee_returned, Currency::Usd).unwrap(),
            entry_id: EntryId::from_uuid(self.uuid()),
            refunded_at: at,
        };
        let decision = refund_sold_order(
            &self.orders[index].0,
            &self.capital,
            &sale,
            &payouts,
            &self.receivables,
            command,
        )
        .expect("a refund asked for and covered is recorded");
        self.apply_sold_order_decision(index, decision);
        *self.fees_returned.entry(sale_id).or_default() += fee_returned;
        self.model.refunded(sale_id, seller, amount, fee_returned);
    }

    pub(crate) fn apply_receivables(&mut self, receivables: Vec<(Payee, Vec<ReceivableEvent>)>) {
        for (payee, events) in receivables {
            let now = self.receivables.remove(&payee).unwrap_or_default();
            self.receivables.insert(payee, now.replay(&events));
        }
    }

    /// Each payee's books agree with the model: what they are owed less
    /// what they owe back plus what they were paid is what they earned.
    pub fn check_parties(&self) {
        let usd = Currency::Usd;
        let posted = |account: Account| self.books.balance(account, usd).posted(account);
        for (payee, earned) in &self.model.earned {
            let paid = self.model.paid.get(payee).copied().unwrap_or_default();
            let total = posted(payee.payable_account()) - posted(payee.receivable_account()) + paid;
            assert_eq!(total, *earned, "{payee:?}: books {total}, model {earned}");
            let owed = self
                .receivables
                .get(payee)
                .cloned()
                .unwrap_or_default()
                .owed(usd);
            assert_eq!(
                owed.amount(),
                posted(payee.receivable_account()),
                "{payee:?}"
            );
        }
        let admin = self
            .model
            .earned
            .get(&Payee::Admin)
            .copied()
            .unwrap_or_default();
        assert_eq!(posted(Account::CommissionShare), admin);
        let sellers: Decimal = self
            .model
            .earned
            .iter()
            .filter(|(payee, _)| **payee != Payee::Admin)
            .map(|(_, earned)| *earned)
            .sum();
        assert_eq!(posted(Account::SellerShare), sellers);
        let _ = usd_cents(0);
    }
}
