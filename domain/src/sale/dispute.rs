//! A customer's dispute touches the order, working capital, the sale's
//! payouts and — when the platform loses — the sale and what its payees
//! owe, all in one decision per step (opened, resolved).

use std::collections::BTreeMap;

use uuid::Uuid;

use super::refund::{reverse_and_recover, SoldRefundDecision};
use super::reversal::ReverseSale;
use super::state::Sale;
use super::SaleError;
use crate::aggregate::Aggregate;
use crate::capital::{CapitalCommand, WorkingCapital};
use crate::ids::{EntryId, OrderId, PayoutId, ProviderDisputeId, ProviderRefundId};
use crate::order::{DisputeOutcome, OpenDispute, Order, OrderCommand, OrderError, ResolveDispute};
use crate::payout::{Payee, Payout, PayoutCommand, PayoutEvent};
use crate::receivable::Receivable;

/// Events to append together for one step of a dispute: the same streams
/// as a refund of a sold order (`order`, `capital`, `sale`, `payouts`,
/// `receivables`), any of them empty.
pub type DisputeDecision = SoldRefundDecision;

/// The id of a dispute step's journal entry: derived from the order and
/// PayPal's dispute id, so a webhook repeated (or a webhook and a poll)
/// decide the same events.
fn dispute_entry_id(order_id: OrderId, dispute_id: &ProviderDisputeId, step: &str) -> EntryId {
    EntryId::from_uuid(Uuid::new_v5(
        &order_id.as_uuid(),
        format!("dispute-{step}:{}", dispute_id.as_str()).as_bytes(),
    ))
}

/// Records a dispute PayPal reports opened: the order shows it, PayPal's
/// hold on the amount moves it from available cash to disputed cash, and
/// the sale's payouts not yet sent (nor in flight) wait for the outcome.
/// Nothing when the dispute is already recorded. `payouts` are the sale's
/// payouts (none before the sale).
pub fn open_dispute(
    order: &Order,
    capital: &WorkingCapital,
    payouts: &[Payout],
    command: OpenDispute,
) -> Result<DisputeDecision, SaleError> {
    let order_events = order.decide(OrderCommand::OpenDispute(command.clone()))?;
    if order_events.is_empty() {
        return Ok(DisputeDecision::default());
    }
    let order_id = order.id().ok_or(OrderError::NotFound)?;
    let capital_events = capital
        .decide(CapitalCommand::HoldDisputedFunds {
            entry_id: dispute_entry_id(order_id, &command.dispute_id, "held"),
            order_id,
            dispute_id: command.dispute_id.clone(),
            amount: command.amount,
            effective_at: command.opened_at,
        })
        .map_err(OrderError::from)?;
    let mut payout_events = Vec::new();
    for payout in of_sale(order, payouts) {
        // A payout sent or in flight is the payee's already: a loss is
        // recovered from them afterwards instead.
        if payout
            .reducible()
            .is_some_and(|amount| amount.is_positive())
        {
            let events = payout.decide(PayoutCommand::PausePayout {
                dispute_id: command.dispute_id.clone(),
                paused_at: command.opened_at,
            })?;
            push_events(&mut payout_events, payout, events)?;
        }
    }
    Ok(DisputeDecision {
        order: order_events,
        capital: capital_events,
        payouts: payout_events,
        ..DisputeDecision::default()
    })
}

/// Records a dispute PayPal reports resolved. Won: the funds held return
/// to available cash. Lost (a sold order only): the customer keeps the
/// amount, PayPal its chargeback fee, and the sale is reversed as a refund
/// is (LEDGER.md): the commission on the amount from the admin, the rest
/// and the fee from the seller — off their unsent payouts, else owed back.
/// Either way the payouts the dispute paused may be sent again. Nothing
/// when the dispute is already resolved.
pub fn resolve_dispute(
    order: &Order,
    capital: &WorkingCapital,
    sale: &Sale,
    payouts: &[Payout],
    receivables: &BTreeMap<Payee, Receivable>,
    command: ResolveDispute,
) -> Result<DisputeDecision, SaleError> {
    let order_events = order.decide(OrderCommand::ResolveDispute(command.clone()))?;
    if order_events.is_empty() {
        return Ok(DisputeDecision::default());
    }
    let order_id = order.id().ok_or(OrderError::NotFound)?;
    let dispute_id = &command.dispute_id;
    let entry_id = dispute_entry_id(order_id, dispute_id, "resolved");
    let of_this_sale = of_sale(order, payouts);
    let mut decision = DisputeDecision {
        order: order_events,
        ..DisputeDecision::default()
    };
    match command.outcome {
        DisputeOutcome::Won => {
            decision.capital = capital
                .decide(CapitalCommand::ReleaseDisputedFunds {
                    entry_id,
                    dispute_id: dispute_id.clone(),
                    effective_at: command.resolved_at,
                })
                .map_err(OrderError::from)?;
        }
        DisputeOutcome::Lost => {
            let sale_id = order.sale_id().ok_or(OrderError::SaleNotRecorded)?;
            if sale.id() != Some(sale_id) {
                return Err(SaleError::NotRecorded);
            }
            let amount = order
                .dispute(dispute_id)
                .map(|dispute| dispute.amount)
                .ok_or_else(|| OrderError::DisputeNotFound(dispute_id.clone()))?;
            decision.capital = capital
                .decide(CapitalCommand::LoseDispute {
                    entry_id,
                    dispute_id: dispute_id.clone(),
                    chargeback_fee: command.chargeback_fee,
                    effective_at: command.resolved_at,
                })
                .map_err(OrderError::from)?;
            // The sale's refund records name PayPal's dispute as the refund.
            let refund_id = ProviderRefundId::parse(dispute_id.as_str())
                .expect("a dispute id is a valid reference");
            let (sale_events, recovered) = reverse_and_recover(
                sale,
                ReverseSale {
                    refund_id,
                    entry_id: EntryId::from_uuid(Uuid::new_v5(
                        &entry_id.as_uuid(),
                        b"sale-reversal",
                    )),
                    refunded: amount,
                    fee_returned: crate::money::Money::zero(amount.currency()),
                    chargeback_fee: command.chargeback_fee,
                    supplier_cost_returned: order
                        .supplier_cost_returned()
                        .ok_or(OrderError::NotFound)?,
                    reducible: BTreeMap::new(),
                    effective_at: command.resolved_at,
                },
                &of_this_sale,
                receivables,
            )?;
            decision.sale = sale_events;
            decision.payouts = recovered.payouts;
            decision.receivables = recovered.receivables;
        }
    }
    for payout in of_this_sale {
        let payout_id = payout.id().ok_or(SaleError::NotRecorded)?;
        // Resumed as the reduction (if any) left it.
        let reduced: Vec<PayoutEvent> = decision
            .payouts
            .iter()
            .filter(|(id, _)| *id == payout_id)
            .flat_map(|(_, events)| events.clone())
            .collect();
        let after = payout.clone().replay(&reduced);
        let events = after.decide(PayoutCommand::ResumePayout {
            dispute_id: dispute_id.clone(),
            resumed_at: command.resolved_at,
        })?;
        push_events(&mut decision.payouts, payout, events)?;
    }
    Ok(decision)
}

/// The payouts of the order's sale (none before the sale).
fn of_sale<'a>(order: &Order, payouts: &'a [Payout]) -> Vec<&'a Payout> {
    let Some(sale_id) = order.sale_id() else {
        return Vec::new();
    };
    payouts
        .iter()
        .filter(|payout| payout.sale_id() == Some(sale_id))
        .collect()
}

/// Adds `events` to the payout's list (one list per payout stream).
fn push_events(
    lists: &mut Vec<(PayoutId, Vec<PayoutEvent>)>,
    payout: &Payout,
    events: Vec<PayoutEvent>,
) -> Result<(), SaleError> {
    if events.is_empty() {
        return Ok(());
    }
    let payout_id = payout.id().ok_or(SaleError::NotRecorded)?;
    match lists.iter_mut().find(|(id, _)| *id == payout_id) {
        Some((_, list)) => list.extend(events),
        None => lists.push((payout_id, events)),
    }
    Ok(())
}
