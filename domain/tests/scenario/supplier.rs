//! Supplier cancellations in random scenarios: a bought order's supplier
//! cancels (what it charged becomes a receivable) and later refunds it
//! (the receivable becomes cash); the model credits the cost to the seller
//! with the sale's next refund.

use chrono::{DateTime, Utc};
use dropledger_domain::*;

use super::World;

impl World {
    pub(crate) fn supplier_cancel(&mut self, order: usize, refund: bool, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
        let command = CancelBySupplier {
            entry_id: EntryId::from_uuid(self.uuid()),
            supplier_status: if refund { "FINISH" } else { "IN_CANCEL" }.to_owned(),
            cancelled_at: at,
        };
        let Ok(decision) = cancel_by_supplier(&self.orders[index].0, &self.capital, command) else {
            return;
        };
        self.apply_order_decision(index, decision);
        let order = &self.orders[index].0;
        if let (Some(sale_id), Some(cost)) = (order.sale_id(), order.supplier_cost_returned()) {
            self.model.supplier_cancelled(sale_id, cost.amount());
        }
        if refund {
            self.supplier_refund(index, at);
        }
    }

    pub(crate) fn supplier_refund(&mut self, order: usize, at: DateTime<Utc>) {
        if self.orders.is_empty() {
            return;
        }
        let index = order % self.orders.len();
        let Some(amount) = self.orders[index].0.supplier_cost_returned() else {
            return;
        };
        let command = ReceiveSupplierRefund {
            entry_id: EntryId::from_uuid(self.uuid()),
            amount,
            refunded_at: at,
        };
        if let Ok(decision) = receive_supplier_refund(&self.orders[index].0, &self.capital, command)
        {
            self.apply_order_decision(index, decision);
        }
    }
}
