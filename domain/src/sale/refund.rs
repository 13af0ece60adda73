//! A refund of a sold order touches the order, working capital, the sale,
//! the sale's payouts and what its payees owe, all in one decision.

use std::collections::BTreeMap;

use uuid::Uuid;

use super::reversal::ReverseSale;
use super::state::{Sale, SaleCommand, SaleEvent};
use super::SaleError;
use crate::aggregate::Aggregate;
use chrono::{DateTime, Utc};

use super::reversal::ShareReversal;
use crate::capital::{CapitalCommand, CapitalEvent, WorkingCapital};
use crate::ids::{EntryId, PayoutId, ProviderRefundId, SaleId};
use crate::money::Money;
use crate::order::{Order, OrderCommand, OrderError, OrderEvent, RefundPayment};
use crate::payout::{Payee, Payout, PayoutCommand, PayoutEvent, PayoutReduction};
use crate::receivable::{Receivable, ReceivableCommand, ReceivableEvent};

/// Events to append together for a refund of a sold order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SoldRefundDecision {
    /// For `order-<uuid>`: `OrderRefunded`.
    pub order: Vec<OrderEvent>,
    /// For `capital-<CURRENCY>`: `SaleRefunded`, the cash.
    pub capital: Vec<CapitalEvent>,
    /// For `sale-<uuid>`: `SaleReversed`, who bears it.
    pub sale: Vec<SaleEvent>,
    /// For each payout of the sale not yet sent: `PayoutReduced`.
    pub payouts: Vec<(PayoutId, Vec<PayoutEvent>)>,
    /// For each payee whose payout was sent: `RecoveryOwed`.
    pub receivables: Vec<(Payee, Vec<ReceivableEvent>)>,
}

/// Records the refund asked for (`request_refund`) of a sold order, made
/// at PayPal: the order's refunded total grows (REFUNDED once it reaches
/// the total), the customer's money leaves cash against sales refunds, and
/// the sale is reversed in proportion (see `reversal.rs` for who bears
/// it): the shares come off the sale's unsent payouts, else are owed back.
/// `payouts` are the sale's payouts; `receivables` what payees owe now
/// (a payee absent owes nothing).
pub fn refund_sold_order(
    order: &Order,
    capital: &WorkingCapital,
    sale: &Sale,
    payouts: &[Payout],
    receivables: &BTreeMap<Payee, Receivable>,
    command: RefundPayment,
) -> Result<SoldRefundDecision, SaleError> {
    let sale_id = order.sale_id().ok_or(OrderError::SaleNotRecorded)?;
    if sale.id() != Some(sale_id) {
        return Err(SaleError::NotRecorded);
    }
    let order_events = order.decide(OrderCommand::RefundPayment(command.clone()))?;
    let order_id = order.id().ok_or(OrderError::NotFound)?;
    let capture_id = order.capture_id().cloned().ok_or(OrderError::NotFound)?;
    let capital_events = capital
        .decide(CapitalCommand::RefundSale {
            entry_id: command.entry_id,
            order_id,
            capture_id,
            refund_id: command.refund_id.clone(),
            gross: command.amount,
            fee_returned: command.fee_returned,
            effective_at: command.refunded_at,
        })
        .map_err(OrderError::from)?;
    let of_this_sale: Vec<&Payout> = payouts
        .iter()
        .filter(|payout| payout.sale_id() == Some(sale_id))
        .collect();
    let (sale_events, recovered) = reverse_and_recover(
        sale,
        ReverseSale {
            refund_id: command.refund_id.clone(),
            entry_id: EntryId::from_uuid(Uuid::new_v5(
                &command.entry_id.as_uuid(),
                b"sale-reversal",
            )),
            refunded: command.amount,
            fee_returned: command.fee_returned,
            chargeback_fee: Money::zero(command.amount.currency()),
            supplier_cost_returned: order.supplier_cost_returned().ok_or(OrderError::NotFound)?,
            reducible: BTreeMap::new(),
            effective_at: command.refunded_at,
        },
        &of_this_sale,
        receivables,
    )?;
    Ok(SoldRefundDecision {
        order: order_events,
        capital: capital_events,
        sale: sale_events,
        payouts: recovered.payouts,
        receivables: recovered.receivables,
    })
}

/// Reverses the sale as `command` says, with what each of its payouts
/// (`of_this_sale`) may still give up, and takes each share back: the
/// sale's events and the payouts' and receivables'.
pub(super) fn reverse_and_recover(
    sale: &Sale,
    mut command: ReverseSale,
    of_this_sale: &[&Payout],
    receivables: &BTreeMap<Payee, Receivable>,
) -> Result<(Vec<SaleEvent>, Recovered), SaleError> {
    let sale_id = sale.id().ok_or(SaleError::NotRecorded)?;
    command.reducible = of_this_sale
        .iter()
        .filter_map(|payout| Some((payout.payee()?, payout.reducible()?)))
        .collect();
    let (refund_id, at) = (command.refund_id.clone(), command.effective_at);
    let sale_events = sale.decide(SaleCommand::ReverseSale(command))?;
    let Some(SaleEvent::SaleReversed { shares, .. }) = sale_events.first() else {
        unreachable!("a reversal decides SaleReversed")
    };
    let recovered = recover_shares(sale_id, shares, of_this_sale, receivables, &refund_id, at)?;
    Ok((sale_events, recovered))
}

/// How a reversal's shares are taken back: payouts reduced, debts owed.
#[derive(Debug, Default)]
pub(super) struct Recovered {
    pub(super) payouts: Vec<(PayoutId, Vec<PayoutEvent>)>,
    pub(super) receivables: Vec<(Payee, Vec<ReceivableEvent>)>,
}

/// Each share comes off the payee's unsent payout of the sale (reduced),
/// and what that does not cover is owed back (a receivable).
pub(super) fn recover_shares(
    sale_id: SaleId,
    shares: &[ShareReversal],
    of_this_sale: &[&Payout],
    receivables: &BTreeMap<Payee, Receivable>,
    refund_id: &ProviderRefundId,
    at: DateTime<Utc>,
) -> Result<Recovered, SaleError> {
    let mut recovered = Recovered::default();
    for share in shares {
        if share.from_payout.is_positive() {
            let payout = of_this_sale
                .iter()
                .find(|payout| payout.payee() == Some(share.payee))
                .ok_or(SaleError::NotRecorded)?;
            let events = payout.decide(PayoutCommand::ReducePayout {
                by: share.from_payout,
                reason: PayoutReduction::SaleRefunded {
                    refund_id: refund_id.clone(),
                },
                reduced_at: at,
            })?;
            let payout_id = payout.id().ok_or(SaleError::NotRecorded)?;
            recovered.payouts.push((payout_id, events));
        }
        if share.owed.is_positive() {
            let receivable = receivables.get(&share.payee).cloned().unwrap_or_default();
            let events = receivable.decide(ReceivableCommand::Owe {
                payee: share.payee,
                sale_id,
                refund_id: refund_id.clone(),
                amount: share.owed,
                owed_at: at,
            })?;
            recovered.receivables.push((share.payee, events));
        }
    }
    Ok(recovered)
}
