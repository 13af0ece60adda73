//! The order's rules: which command applies in which status, and what it records.

use chrono::{DateTime, Utc};

use super::command::{CapturePayment, ConfirmPurchase, FailPurchase, RefundPayment, StartPurchase};
use super::error::OrderError;
use super::event::OrderEvent;
use super::state::{Order, Placed};
use super::status::{FailureReason, OrderStatus};
use crate::ids::{RefundRequestId, SaleId};
use crate::money::Money;

impl Order {
    pub(super) fn decide_request_refund(
        &self,
        request_id: RefundRequestId,
        amount: Money,
        requested_at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let placed = self.placed()?;
        match placed.status {
            // An order never fulfilled is refunded in full: nothing was sold.
            OrderStatus::Paid | OrderStatus::Failed => {
                self.refuse_if_payment_denied("refund")?;
                let expected = placed.total();
                if amount != expected {
                    return Err(OrderError::AmountMismatch {
                        expected,
                        got: amount,
                    });
                }
            }
            // A supplier-cancelled order never sold is refunded in full,
            // as one never fulfilled.
            OrderStatus::SupplierCancelled if placed.sale_id.is_none() => {
                let expected = placed.total();
                if amount != expected {
                    return Err(OrderError::AmountMismatch {
                        expected,
                        got: amount,
                    });
                }
            }
            // A sold order, in full or in part, up to what is left; the
            // sale is reversed in proportion when the refund is recorded.
            OrderStatus::Purchased | OrderStatus::SupplierCancelled => {
                if placed.sale_id.is_none() {
                    return Err(OrderError::SaleNotRecorded);
                }
                // Money PayPal holds for an open dispute is refunded, if at
                // all, by the dispute's outcome.
                let refundable = placed
                    .total()
                    .checked_sub(placed.refunded)?
                    .checked_sub(self.disputed().expect("placed"))?;
                if amount.currency() != refundable.currency()
                    || !amount.is_positive()
                    || amount.checked_cmp(&refundable)?.is_gt()
                {
                    return Err(OrderError::RefundExceedsRefundable {
                        refundable,
                        requested: amount,
                    });
                }
            }
            status => {
                return Err(OrderError::InvalidTransition {
                    action: "refund",
                    status,
                })
            }
        }
        Ok(OrderEvent::RefundRequested {
            request_id,
            amount,
            requested_at,
        })
    }

    pub(super) fn decide_fail_refund_request(
        &self,
        failed_at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        let placed = self.expect_status(
            "fail the refund request of",
            &[OrderStatus::RefundRequested],
        )?;
        let (request_id, _) = placed
            .refund_request
            .expect("a REFUND_REQUESTED order has its request");
        Ok(OrderEvent::RefundRequestFailed {
            request_id,
            failed_at,
        })
    }

    pub(super) fn decide_refund(&self, command: RefundPayment) -> Result<OrderEvent, OrderError> {
        // The intent (`RefundRequested`) came first, so nothing was bought
        // meanwhile; the refund recorded is the one asked for.
        let placed = self.expect_status("record the refund of", &[OrderStatus::RefundRequested])?;
        let expected = placed.refund_requested.unwrap_or(placed.total());
        if command.amount != expected {
            return Err(OrderError::AmountMismatch {
                expected,
                got: command.amount,
            });
        }
        let fee = placed
            .capture
            .as_ref()
            .map(|capture| capture.fee)
            .expect("a refundable order has a capture");
        let returned = command.fee_returned;
        if returned.currency() != fee.currency()
            || returned.is_negative()
            || returned.checked_cmp(&fee)?.is_gt()
        {
            return Err(OrderError::InvalidFeeReturned { returned, fee });
        }
        Ok(OrderEvent::OrderRefunded {
            refund_id: command.refund_id,
            amount: command.amount,
            refunded_at: command.refunded_at,
        })
    }

    /// An order whose payment PayPal denied was never paid: nothing may be
    /// bought, retried or refunded for it.
    pub(super) fn refuse_if_payment_denied(&self, action: &'static str) -> Result<(), OrderError> {
        let placed = self.placed()?;
        if placed.failure == Some(FailureReason::PaymentDenied) {
            return Err(OrderError::InvalidTransition {
                action,
                status: placed.status,
            });
        }
        Ok(())
    }

    pub(super) fn decide_clear(&self, cleared_at: DateTime<Utc>) -> Result<OrderEvent, OrderError> {
        let placed = self.expect_status(
            "clear the payment of",
            &[OrderStatus::AwaitingPaymentClearance],
        )?;
        let capture = placed
            .capture
            .as_ref()
            .expect("an order awaiting clearance has a capture");
        Ok(OrderEvent::OrderPaymentCleared {
            capture_id: capture.capture_id.clone(),
            cleared_at,
        })
    }

    pub(super) fn decide_deny(&self, denied_at: DateTime<Utc>) -> Result<OrderEvent, OrderError> {
        self.expect_status(
            "deny the payment of",
            &[OrderStatus::AwaitingPaymentClearance],
        )?;
        // Nothing was held while the payment was pending.
        Ok(OrderEvent::OrderFailed {
            reason: FailureReason::PaymentDenied,
            released_hold: None,
            failed_at: denied_at,
        })
    }

    pub(super) fn expect_status(
        &self,
        action: &'static str,
        allowed: &[OrderStatus],
    ) -> Result<&Placed, OrderError> {
        let placed = self.placed()?;
        if allowed.contains(&placed.status) {
            Ok(placed)
        } else {
            Err(OrderError::InvalidTransition {
                action,
                status: placed.status,
            })
        }
    }

    pub(super) fn decide_capture(&self, command: CapturePayment) -> Result<OrderEvent, OrderError> {
        let placed = self.expect_status("capture the payment of", &[OrderStatus::Created])?;
        let expected = placed.total();
        if command.amount != expected {
            return Err(OrderError::AmountMismatch {
                expected,
                got: command.amount,
            });
        }
        let fee = command.fee;
        if fee.currency() != expected.currency()
            || fee.is_negative()
            || fee.checked_cmp(&expected)?.is_ge()
        {
            return Err(OrderError::InvalidFee {
                fee,
                amount: expected,
            });
        }
        Ok(OrderEvent::OrderPaid {
            buyer: command.buyer,
            capture_id: command.capture_id,
            amount: command.amount,
            fee: command.fee,
            capture_status: command.status,
            entry_id: command.entry_id,
            paid_at: command.captured_at,
        })
    }

    pub(super) fn decide_start(&self, command: StartPurchase) -> Result<OrderEvent, OrderError> {
        // A FAILED order may be retried (retryFulfilment): the failure may
        // have been temporary, such as insufficient funds.
        let placed = self.expect_status(
            "start the purchase of",
            &[OrderStatus::Paid, OrderStatus::Failed],
        )?;
        self.refuse_if_payment_denied("start the purchase of")?;
        Ok(OrderEvent::OrderPurchaseStarted {
            hold_id: command.hold_id,
            reserved: placed.supplier_cost_quoted(),
            started_at: command.started_at,
        })
    }

    pub(super) fn decide_confirm(
        &self,
        command: ConfirmPurchase,
    ) -> Result<OrderEvent, OrderError> {
        let placed = self.expect_status("confirm the purchase of", &[OrderStatus::Purchasing])?;
        let (_, reserved) = placed
            .open_hold
            .expect("a PURCHASING order has an open hold");
        let cost = command.supplier_cost;
        if cost.currency() != reserved.currency() || !cost.is_positive() {
            return Err(OrderError::InvalidCost(cost));
        }
        if cost.checked_cmp(&reserved)?.is_gt() {
            return Err(OrderError::CostExceedsReservation { reserved, cost });
        }
        Ok(OrderEvent::OrderPurchased {
            supplier_order_id: command.supplier_order_id,
            supplier_cost: cost,
            purchased_at: command.confirmed_at,
        })
    }

    pub(super) fn decide_fail(&self, command: FailPurchase) -> Result<OrderEvent, OrderError> {
        let placed = self.expect_status(
            "fail the purchase of",
            &[
                OrderStatus::Paid,
                OrderStatus::Purchasing,
                OrderStatus::Failed,
            ],
        )?;
        // A denied payment is the last word on the order.
        self.refuse_if_payment_denied("fail the purchase of")?;
        Ok(OrderEvent::OrderFailed {
            reason: command.reason,
            released_hold: placed.open_hold.map(|(hold_id, _)| hold_id),
            failed_at: command.failed_at,
        })
    }

    pub(super) fn decide_record_sale(
        &self,
        sale_id: SaleId,
        recorded_at: DateTime<Utc>,
    ) -> Result<OrderEvent, OrderError> {
        self.sale_terms()?;
        Ok(OrderEvent::OrderSaleRecorded {
            sale_id,
            recorded_at,
        })
    }
}
