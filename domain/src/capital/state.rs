//! The working-capital aggregate: the platform's PayPal cash in one currency.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use super::command::{CapitalCommand, CaptureStatus, HoldPurpose};
use super::error::CapitalError;
use super::event::CapitalEvent;
use crate::aggregate::Aggregate;
use crate::ids::{CaptureId, HoldId, OrderId, ProviderDisputeId};
use crate::ledger::{Account, Hold};
use crate::money::{Currency, Money};

/// Cash available and pending, open holds, and captures awaiting completion.
///
/// Free capital = available cash − open holds. A hold is only placed when
/// free capital covers it, so neither free capital nor available cash can go
/// below zero: posting spends at most what was held. The store checks the
/// same limit again at the write ([`crate::DomainEvent::budget_change`]),
/// so a decision taken on a view that missed a concurrent hold cannot
/// overspend either.
///
/// The state is what is still open — holds, pending captures — and two
/// sums; it does not grow with history. Closed holds and completed captures
/// are facts in the log, and doing one twice is prevented by the stream of
/// what they belong to (an order, a payout) or by the ids of their events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkingCapital {
    pub(super) currency: Currency,
    pub(super) available: Decimal,
    pub(super) pending: Decimal,
    pub(super) holds: BTreeMap<HoldId, (HoldPurpose, Hold)>,
    pub(super) pending_captures: BTreeMap<CaptureId, (OrderId, Money)>,
    /// Open disputes whose funds PayPal holds, with their orders and amounts.
    pub(super) disputes: BTreeMap<ProviderDisputeId, (OrderId, Money)>,
}

impl WorkingCapital {
    /// Captures PayPal still holds (PENDING), with their orders: what the
    /// settlement poller asks PayPal about.
    pub fn pending_captures(&self) -> impl Iterator<Item = (&CaptureId, &OrderId)> {
        self.pending_captures
            .iter()
            .map(|(capture_id, (order_id, _))| (capture_id, order_id))
    }

    /// The stream id of the working capital in `currency`, e.g. `capital-USD`.
    pub fn stream_id(currency: Currency) -> String {
        crate::stream::StreamKind::Capital(currency).stream_id()
    }

    /// Working capital before any event: nothing.
    pub fn new(currency: Currency) -> WorkingCapital {
        WorkingCapital {
            currency,
            available: Decimal::ZERO,
            pending: Decimal::ZERO,
            holds: BTreeMap::new(),
            pending_captures: BTreeMap::new(),
            disputes: BTreeMap::new(),
        }
    }

    /// The stream's currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// Posted cash that can be spent (open holds not deducted).
    pub fn available(&self) -> Money {
        Money::from_total(self.available, self.currency)
    }

    /// Cash of captures not yet COMPLETED.
    pub fn pending(&self) -> Money {
        Money::from_total(self.pending, self.currency)
    }

    /// Sum of open holds: capital committed to purchases and payouts in flight.
    pub fn committed(&self) -> Money {
        let committed = self
            .holds
            .values()
            .map(|(_, hold)| hold.amount().amount())
            .sum();
        Money::from_total(committed, self.currency)
    }

    /// Available cash − open holds.
    pub fn free(&self) -> Money {
        Money::from_total(self.available - self.committed().amount(), self.currency)
    }

    /// An open hold and its purpose.
    pub fn hold(&self, hold_id: HoldId) -> Option<(&HoldPurpose, &Hold)> {
        self.holds
            .get(&hold_id)
            .map(|(purpose, hold)| (purpose, hold))
    }

    /// Cash PayPal holds for open disputes.
    pub fn disputed(&self) -> Money {
        let held = self
            .disputes
            .values()
            .map(|(_, amount)| amount.amount())
            .sum();
        Money::from_total(held, self.currency)
    }

    /// Open holds.
    pub fn open_holds(&self) -> impl Iterator<Item = (&HoldPurpose, &Hold)> {
        self.holds.values().map(|(purpose, hold)| (purpose, hold))
    }
}

impl Aggregate for WorkingCapital {
    type Command = CapitalCommand;
    type Event = CapitalEvent;
    type Error = CapitalError;

    fn decide(&self, command: CapitalCommand) -> Result<Vec<CapitalEvent>, CapitalError> {
        match command {
            CapitalCommand::ContributeCapital {
                entry_id,
                amount,
                reference,
                effective_at,
            } => self.contribute(entry_id, amount, reference, effective_at),
            command @ CapitalCommand::ReceivePayment { .. } => self.receive_payment(command),
            command @ CapitalCommand::RefundPayment { .. } => self.refund_payment(command),
            command @ CapitalCommand::RefundSale { .. } => self.refund_sale(command),
            command @ (CapitalCommand::CancelSupplierPurchase { .. }
            | CapitalCommand::ReceiveSupplierRefund { .. }) => self.supplier_cancellation(command),
            CapitalCommand::CompleteCapture {
                entry_id,
                capture_id,
                effective_at,
            } => self.complete_capture(entry_id, capture_id, effective_at),
            CapitalCommand::HoldDisputedFunds {
                entry_id,
                order_id,
                dispute_id,
                amount,
                effective_at,
            } => self.hold_disputed_funds(entry_id, order_id, dispute_id, amount, effective_at),
            CapitalCommand::ReleaseDisputedFunds {
                entry_id,
                dispute_id,
                effective_at,
            } => self.release_disputed_funds(entry_id, dispute_id, effective_at),
            CapitalCommand::LoseDispute {
                entry_id,
                dispute_id,
                chargeback_fee,
                effective_at,
            } => self.lose_dispute(entry_id, dispute_id, chargeback_fee, effective_at),
            CapitalCommand::PlaceHold {
                hold_id,
                purpose,
                amount,
                effective_at,
            } => self.place_hold(hold_id, purpose, amount, effective_at),
            CapitalCommand::PostHold {
                hold_id,
                entry_id,
                amount,
                effective_at,
            } => self.post_hold(hold_id, entry_id, amount, effective_at),
            CapitalCommand::VoidHold {
                hold_id,
                effective_at,
            } => self.void_hold(hold_id, effective_at),
        }
    }

    fn evolve(mut self, event: &CapitalEvent) -> WorkingCapital {
        // Cash follows the postings, so state and books cannot disagree.
        if let Some(entry) = event.entry() {
            self.available += entry.net_for(Account::CashAvailable, self.currency);
            self.pending += entry.net_for(Account::CashPending, self.currency);
        }
        match event {
            CapitalEvent::PaymentReceived {
                order_id,
                capture_id,
                status: CaptureStatus::Pending,
                gross,
                fee,
                ..
            } => {
                let net = Money::from_total(gross.amount() - fee.amount(), self.currency);
                self.pending_captures
                    .insert(capture_id.clone(), (*order_id, net));
            }
            CapitalEvent::CaptureCompleted { capture_id, .. }
            | CapitalEvent::CaptureDenied { capture_id, .. } => {
                self.pending_captures.remove(capture_id);
            }
            CapitalEvent::HoldPlaced { purpose, hold } => {
                self.holds.insert(hold.id(), (*purpose, hold.clone()));
            }
            CapitalEvent::HoldPosted { hold, .. } | CapitalEvent::HoldVoided { hold, .. } => {
                self.holds.remove(&hold.id());
            }
            CapitalEvent::DisputedFundsHeld {
                order_id,
                dispute_id,
                amount,
                ..
            } => {
                self.disputes
                    .insert(dispute_id.clone(), (*order_id, *amount));
            }
            CapitalEvent::DisputedFundsReleased { dispute_id, .. }
            | CapitalEvent::DisputeLost { dispute_id, .. } => {
                self.disputes.remove(dispute_id);
            }
            CapitalEvent::CapitalContributed { .. }
            | CapitalEvent::PaymentReceived { .. }
            | CapitalEvent::PaymentRefunded { .. }
            | CapitalEvent::SaleRefunded { .. }
            | CapitalEvent::SupplierPurchaseCancelled { .. }
            | CapitalEvent::SupplierRefundReceived { .. } => {}
        }
        self
    }
}
