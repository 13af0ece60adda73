//! The cash side of a supplier cancellation: what the supplier charged is
//! owed back when it cancels, and comes back into the PayPal balance (which
//! paid for the purchase) when it refunds.

use super::command::CapitalCommand;
use super::error::CapitalError;
use super::event::CapitalEvent;
use super::state::WorkingCapital;
use crate::ledger::Account;

impl WorkingCapital {
    /// `CancelSupplierPurchase` or `ReceiveSupplierRefund`. Neither takes
    /// cash out, so neither needs free capital; the order checks that each
    /// happens once and for the amount the supplier charged.
    pub(super) fn supplier_cancellation(
        &self,
        command: CapitalCommand,
    ) -> Result<Vec<CapitalEvent>, CapitalError> {
        match command {
            CapitalCommand::CancelSupplierPurchase {
                entry_id,
                order_id,
                supplier_order_id,
                amount,
                sold,
                effective_at,
            } => {
                // A sold order's purchase cost is already an expense; an
                // unsold one's is still goods in transit.
                let from = if sold {
                    Account::SupplierCost
                } else {
                    Account::GoodsInTransit
                };
                let entry = self.two_legs(
                    entry_id,
                    effective_at,
                    (Account::ReceivableFromSupplier, from),
                    amount,
                )?;
                Ok(vec![CapitalEvent::SupplierPurchaseCancelled {
                    order_id,
                    supplier_order_id,
                    amount,
                    entry,
                }])
            }
            CapitalCommand::ReceiveSupplierRefund {
                entry_id,
                order_id,
                supplier_order_id,
                amount,
                effective_at,
            } => {
                let entry = self.two_legs(
                    entry_id,
                    effective_at,
                    (Account::CashAvailable, Account::ReceivableFromSupplier),
                    amount,
                )?;
                Ok(vec![CapitalEvent::SupplierRefundReceived {
                    order_id,
                    supplier_order_id,
                    amount,
                    entry,
                }])
            }
            _ => unreachable!("supplier_cancellation is only called with supplier commands"),
        }
    }
}
