//! Disputes in random scenarios: opened on any paid order (PayPal's hold,
//! the sale's unsent payouts paused), then won (the hold released) or lost
//! (a sold order refunded through its reversal, the chargeback fee borne
//! by the seller) — checked against the same independent model of each
//! party's earnings.

use chrono::{DateTime, Utc};
use dropledger_domain::*;
use rust_decimal::Decimal;

use super::{usd_cents, World};

impl World {
    /// Opens a dispute of `per_mille` ‰ of what is left of an order (at
    /// least a cent), if the domain takes it.
    pub(crate) fn open_dispute(&mut self, order: usize, per_mille: i64, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
        let order = self.orders[index].0.clone();
        let (Some(total), Some(refunded), Some(disputed)) =
            (order.total(), order.refunded(), order.disputed())
        else {
            return;
        };
        let rest = total.amount() - refunded.amount() - disputed.amount();
        let amount = (rest * Decimal::from(per_mille) / Decimal::from(1000))
            .trunc_with_scale(2)
            .max(Decimal::new(1, 2));
        let command = OpenDispute {
            dispute_id: ProviderDisputeId::parse(&format!("PP-D-{}", self.uuid())).unwrap(),
            amount: Money::new(amount, Currency::Usd).unwrap(),
            reason: "MERCHANDISE_OR_SERVICE_NOT_RECEIVED".to_owned(),
            opened_at: at,
        };
        let payouts: Vec<Payout> = self.payouts.iter().map(|(p, _)| p.clone()).collect();
        let Ok(decision) = open_dispute(&order, &self.capital, &payouts, command) else {
            return;
        };
        assert!(decision.sale.is_empty() && decision.receivables.is_empty());
        self.apply_sold_order_decision(index, decision);
    }

    /// Resolves an order's oldest open dispute, if the domain takes it.
    pub(crate) fn resolve_dispute(
        &mut self,
        order: usize,
        won: bool,
        fee_cents: i64,
        at: DateTime<Utc>,
    ) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
        let order = self.orders[index].0.clone();
        let Some(open) = order
            .disputes()
            .iter()
            .find(|dispute| dispute.outcome.is_none())
            .cloned()
        else {
            return;
        };
        let sale = order
            .sale_id()
            .and_then(|sale_id| self.sales.iter().find(|(s, _)| s.id() == Some(sale_id)))
            .map(|(sale, _)| sale.clone())
            .unwrap_or_default();
        let fee = if won { 0 } else { fee_cents };
        let command = ResolveDispute {
            dispute_id: open.dispute_id.clone(),
            outcome: if won {
                DisputeOutcome::Won
            } else {
                DisputeOutcome::Lost
            },
            chargeback_fee: usd_cents(fee),
            resolved_at: at,
        };
        let payouts: Vec<Payout> = self.payouts.iter().map(|(p, _)| p.clone()).collect();
        let Ok(decision) = resolve_dispute(
            &order,
            &self.capital,
            &sale,
            &payouts,
            &self.receivables,
            command,
        ) else {
            return;
        };
        if !won {
            let (Some(sale_id), Some(seller)) = (order.sale_id(), order.seller()) else {
                unreachable!("only a sold order's dispute is lost")
            };
            self.model
                .refunded(sale_id, seller, open.amount.amount(), Decimal::ZERO);
            self.model.charged(seller, usd_cents(fee).amount());
        }
        self.apply_sold_order_decision(index, decision);
    }

    /// A decision over a sold order's streams (a refund's, a dispute's):
    /// each applied, and the books.
    pub(crate) fn apply_sold_order_decision(&mut self, index: usize, decision: DisputeDecision) {
        self.apply_order(index, decision.order);
        self.apply_capital(decision.capital);
        if let Some(sale_id) = self.orders[index].0.sale_id() {
            self.book(&decision.sale);
            if let Some((sale, log)) = self.sales.iter_mut().find(|(s, _)| s.id() == Some(sale_id))
            {
                *sale = sale.clone().replay(&decision.sale);
                log.extend(decision.sale);
            }
        }
        for (payout_id, events) in decision.payouts {
            let payout = self
                .payouts
                .iter()
                .position(|(payout, _)| payout.id() == Some(payout_id))
                .expect("the sale's payout exists");
            self.apply_payout(payout, events);
        }
        self.apply_receivables(decision.receivables);
    }
}
