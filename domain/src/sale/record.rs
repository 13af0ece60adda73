//! Recording a sale touches the order, the sale and its payouts at once.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::state::{RecordSale, Sale, SaleCommand, SaleEvent};
use super::SaleError;
use crate::aggregate::Aggregate;
use crate::ids::{EntryId, PayoutId, SaleId};
use crate::money::{Money, Percentage};
use crate::order::{Order, OrderCommand, OrderEvent, ReviewReason};
use crate::payout::{Payee, Payout, PayoutCommand, PayoutEvent, PayoutReduction};
use crate::receivable::{Receivable, ReceivableCommand, ReceivableEvent};

/// Events to append together to the sale, the order and the new payouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleDecision {
    /// For `sale-<uuid>`; empty when the profit guard refused the sale.
    pub sale: Vec<SaleEvent>,
    /// For `order-<uuid>`: the sale recorded, or the order flagged for review.
    pub order: Vec<OrderEvent>,
    /// For each new `payout-<uuid>`: its PayoutRequested event.
    pub payouts: Vec<(PayoutId, Vec<PayoutEvent>)>,
    /// The profit guard's refusal, when the order was flagged instead.
    pub refused: Option<SaleError>,
    /// For each payee who owed money back: `RecoveryNetted`, the part
    /// kept from their new payout.
    pub receivables: Vec<(Payee, Vec<ReceivableEvent>)>,
}

/// Record the sale of a purchased order (the order supplies the terms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordOrderSale {
    /// The sale's id.
    pub sale_id: SaleId,
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

/// Records the sale of a purchased order, marks the order sold and requests
/// the commission and net-profit payouts. If the profit guard refuses the
/// sale, nothing is recorded but the order is flagged for review.
pub fn record_sale(
    order: &Order,
    sale: &Sale,
    command: RecordOrderSale,
) -> Result<SaleDecision, SaleError> {
    record_sale_netting(order, sale, &BTreeMap::new(), command)
}

/// [`record_sale`], keeping from each new payout what its payee owes back
/// (`receivables`; a payee absent owes nothing): the payout is reduced
/// (CANCELLED at zero, never negative), the debt netted by an entry on the
/// sale (Dr payable, Cr receivable), and what is still owed carries over.
pub fn record_sale_netting(
    order: &Order,
    sale: &Sale,
    receivables: &BTreeMap<Payee, Receivable>,
    command: RecordOrderSale,
) -> Result<SaleDecision, SaleError> {
    let RecordOrderSale {
        sale_id,
        commission_rate,
        entry_id,
        admin_payout_id,
        seller_payout_id,
        effective_at,
    } = command;
    let terms = order.sale_terms()?;
    let decided = sale.decide(SaleCommand::RecordSale(RecordSale {
        sale_id,
        terms,
        commission_rate,
        entry_id,
        admin_payout_id,
        seller_payout_id,
        effective_at,
    }));
    let sale_events = match decided {
        Ok(events) => events,
        Err(SaleError::NonPositiveProfit(breakdown)) => {
            let order_events = order.decide(OrderCommand::FlagForReview {
                reason: ReviewReason::NonPositiveProfit {
                    net_profit: breakdown.net_profit(),
                },
                flagged_at: effective_at,
            })?;
            return Ok(SaleDecision {
                sale: Vec::new(),
                order: order_events,
                payouts: Vec::new(),
                refused: Some(SaleError::NonPositiveProfit(breakdown)),
                receivables: Vec::new(),
            });
        }
        Err(other) => return Err(other),
    };
    let order_events = order.decide(OrderCommand::RecordSale {
        sale_id,
        recorded_at: effective_at,
    })?;
    let mut decision = SaleDecision {
        payouts: request_payouts(&sale_events, sale_id, effective_at)?,
        sale: sale_events,
        order: order_events,
        refused: None,
        receivables: Vec::new(),
    };
    net_debts(&mut decision, sale, receivables, entry_id, effective_at)?;
    Ok(decision)
}

/// Keeps from each new payout what its payee owes, up to the payout.
fn net_debts(
    decision: &mut SaleDecision,
    sale: &Sale,
    receivables: &BTreeMap<Payee, Receivable>,
    entry_id: EntryId,
    effective_at: DateTime<Utc>,
) -> Result<(), SaleError> {
    let mut sale_after = sale.clone().replay(&decision.sale);
    for (payout_id, events) in &mut decision.payouts {
        let payout = Payout::default().replay(events.iter());
        let (Some(payee), Some(amount)) = (payout.payee(), payout.amount()) else {
            continue;
        };
        let Some(receivable) = receivables.get(&payee) else {
            continue;
        };
        let netted = receivable.decide(ReceivableCommand::Net {
            payee,
            payout_id: *payout_id,
            available: amount,
            netted_at: effective_at,
        })?;
        let Some(ReceivableEvent::RecoveryNetted { amount: kept, .. }) = netted.first() else {
            continue;
        };
        let kept: Money = *kept;
        events.extend(payout.decide(PayoutCommand::ReducePayout {
            by: kept,
            reason: PayoutReduction::Recovery,
            reduced_at: effective_at,
        })?);
        let netting = sale_after.decide(SaleCommand::NetPayout {
            payee,
            payout_id: *payout_id,
            amount: kept,
            entry_id: EntryId::from_uuid(Uuid::new_v5(
                &entry_id.as_uuid(),
                format!("net:{payout_id}").as_bytes(),
            )),
            effective_at,
        })?;
        sale_after = sale_after.replay(&netting);
        decision.sale.extend(netting);
        decision.receivables.push((payee, netted));
    }
    Ok(())
}

/// The commission payout (if any commission) and the seller's payout of a
/// recorded sale, each the first event of its own stream.
fn request_payouts(
    sale_events: &[SaleEvent],
    sale_id: SaleId,
    requested_at: DateTime<Utc>,
) -> Result<Vec<(PayoutId, Vec<PayoutEvent>)>, SaleError> {
    let mut payouts = Vec::new();
    for event in sale_events {
        let SaleEvent::SaleRecorded {
            seller,
            breakdown,
            admin_payout_id,
            seller_payout_id,
            ..
        } = event
        else {
            continue;
        };
        let owed = [
            admin_payout_id.map(|id| (id, Payee::Admin, breakdown.commission())),
            Some((
                *seller_payout_id,
                Payee::User { user_id: *seller },
                breakdown.net_profit(),
            )),
        ];
        for (payout_id, payee, amount) in owed.into_iter().flatten() {
            let events = Payout::default().decide(PayoutCommand::RequestPayout {
                payout_id,
                sale_id,
                payee,
                amount,
                requested_at,
            })?;
            payouts.push((payout_id, events));
        }
    }
    Ok(payouts)
}
