//! The order aggregate.

use super::command::OrderCommand;
use super::error::OrderError;
use super::event::OrderEvent;
use super::status::{FailureReason, OrderStatus, ReviewReason};
use super::QUANTITY_MAX;
use crate::aggregate::Aggregate;
use crate::capital::CaptureStatus;
use crate::ids::{
    CaptureId, EntryId, HoldId, OrderId, ProductId, ProviderOrderId, ProviderRefundId,
    RefundRequestId, SaleId, SupplierOrderId, UserId,
};
use crate::money::Money;
use crate::sale::SaleTerms;

/// An order as its events describe it; `Order::default()` is "not created".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Order {
    placed: Option<Placed>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Placed {
    pub(super) order_id: OrderId,
    pub(super) product_id: ProductId,
    pub(super) seller: UserId,
    pub(super) quantity: u32,
    pub(super) unit_price: Money,
    pub(super) unit_supplier_cost: Money,
    pub(super) status: OrderStatus,
    pub(super) buyer: Option<UserId>,
    pub(super) capture: Option<Capture>,
    pub(super) open_hold: Option<(HoldId, Money)>,
    pub(super) supplier_order_id: Option<SupplierOrderId>,
    pub(super) supplier_cost: Option<Money>,
    pub(super) failure: Option<FailureReason>,
    pub(super) review: Option<ReviewReason>,
    pub(super) sale_id: Option<SaleId>,
    pub(super) provider_order_id: ProviderOrderId,
    pub(super) tracking_number: Option<crate::PersonalText>,
    /// The refund asked for, with the status the order had before it.
    pub(super) refund_request: Option<(RefundRequestId, OrderStatus)>,
    /// The amount of the refund asked for (its intent), while one is.
    pub(super) refund_requested: Option<Money>,
    /// What was refunded so far (refunds of a sold order may be partial).
    pub(super) refunded: Money,
    /// PayPal's ids of the refunds recorded, so none is recorded twice.
    pub(super) refund_ids: Vec<ProviderRefundId>,
    /// The order's disputes, oldest first.
    pub(super) disputes: Vec<super::dispute::OrderDispute>,
    /// The supplier cancelled the purchase (it owes its cost back).
    pub(super) supplier_cancelled: bool,
    /// The supplier's refund of the cancelled purchase arrived.
    pub(super) supplier_refunded: bool,
}

/// The payment as captured, for the sale and for a refund.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Capture {
    pub(crate) capture_id: CaptureId,
    pub(crate) entry_id: EntryId,
    pub(crate) fee: Money,
}

impl Placed {
    /// The order as an `OrderCreated` event starts it; `None` for other events.
    fn created(event: &OrderEvent) -> Option<Placed> {
        let OrderEvent::OrderCreated {
            order_id,
            product_id,
            seller,
            quantity,
            unit_price,
            unit_supplier_cost,
            provider_order_id,
            ..
        } = event
        else {
            return None;
        };
        Some(Placed {
            order_id: *order_id,
            product_id: *product_id,
            seller: *seller,
            quantity: *quantity,
            unit_price: *unit_price,
            unit_supplier_cost: *unit_supplier_cost,
            status: OrderStatus::Created,
            buyer: None,
            capture: None,
            open_hold: None,
            supplier_order_id: None,
            supplier_cost: None,
            failure: None,
            review: None,
            sale_id: None,
            provider_order_id: provider_order_id.clone(),
            tracking_number: None,
            refund_request: None,
            refund_requested: None,
            refunded: Money::zero(unit_price.currency()),
            refund_ids: Vec::new(),
            disputes: Vec::new(),
            supplier_cancelled: false,
            supplier_refunded: false,
        })
    }

    pub(super) fn total(&self) -> Money {
        // Checked when the order was created; see `decide_create`.
        Money::from_total(
            self.unit_price.amount() * rust_decimal::Decimal::from(self.quantity),
            self.unit_price.currency(),
        )
    }

    pub(super) fn supplier_cost_quoted(&self) -> Money {
        Money::from_total(
            self.unit_supplier_cost.amount() * rust_decimal::Decimal::from(self.quantity),
            self.unit_supplier_cost.currency(),
        )
    }
}

impl Order {
    /// The stream id of an order, `order-<uuid>`.
    pub fn stream_id(order_id: OrderId) -> String {
        order_id.stream_id()
    }

    pub(super) fn placed(&self) -> Result<&Placed, OrderError> {
        self.placed.as_ref().ok_or(OrderError::NotFound)
    }

    /// The order's id, or `None` before creation.
    pub fn id(&self) -> Option<OrderId> {
        self.placed.as_ref().map(|placed| placed.order_id)
    }

    /// The status, or `None` before creation.
    pub fn status(&self) -> Option<OrderStatus> {
        self.placed.as_ref().map(|placed| placed.status)
    }

    /// Why it failed, while FAILED.
    pub fn failure_reason(&self) -> Option<FailureReason> {
        self.placed.as_ref().and_then(|placed| placed.failure)
    }

    /// The seller (the product's owner).
    pub fn seller(&self) -> Option<UserId> {
        self.placed.as_ref().map(|placed| placed.seller)
    }

    /// The buyer (the user who captured), once paid.
    pub fn buyer(&self) -> Option<UserId> {
        self.placed.as_ref().and_then(|placed| placed.buyer)
    }

    /// The product ordered.
    pub fn product_id(&self) -> Option<ProductId> {
        self.placed.as_ref().map(|placed| placed.product_id)
    }

    /// PayPal's checkout order id.
    pub fn provider_order_id(&self) -> Option<&ProviderOrderId> {
        self.placed.as_ref().map(|placed| &placed.provider_order_id)
    }

    /// PayPal's capture id, once paid.
    pub fn capture_id(&self) -> Option<&CaptureId> {
        self.capture().map(|capture| &capture.capture_id)
    }

    /// The carrier's tracking number (sealed), once shipped.
    pub fn tracking_number(&self) -> Option<&crate::PersonalText> {
        self.placed
            .as_ref()
            .and_then(|placed| placed.tracking_number.as_ref())
    }

    /// Units ordered.
    pub fn quantity(&self) -> Option<u32> {
        self.placed.as_ref().map(|placed| placed.quantity)
    }

    /// Price × quantity.
    pub fn total(&self) -> Option<Money> {
        self.placed.as_ref().map(Placed::total)
    }

    /// Supplier cost per unit at checkout × quantity: what a purchase reserves.
    pub fn supplier_cost_quoted(&self) -> Option<Money> {
        self.placed.as_ref().map(Placed::supplier_cost_quoted)
    }

    /// The hold on working capital while PURCHASING.
    pub fn open_hold(&self) -> Option<HoldId> {
        self.placed
            .as_ref()
            .and_then(|placed| placed.open_hold.map(|(hold_id, _)| hold_id))
    }

    /// The supplier's order id, once PURCHASED.
    pub fn supplier_order_id(&self) -> Option<&SupplierOrderId> {
        self.placed
            .as_ref()
            .and_then(|placed| placed.supplier_order_id.as_ref())
    }

    /// Why the order awaits review, if it does.
    pub fn review_reason(&self) -> Option<ReviewReason> {
        self.placed.as_ref().and_then(|placed| placed.review)
    }

    /// The refund asked for (its intent), once one was; PayPal's refund
    /// request id derives from it.
    pub fn refund_request_id(&self) -> Option<RefundRequestId> {
        self.placed
            .as_ref()
            .and_then(|placed| placed.refund_request.map(|(request_id, _)| request_id))
    }

    /// The amount of the refund asked for and not yet recorded, if any.
    pub fn refund_requested(&self) -> Option<Money> {
        self.placed
            .as_ref()
            .and_then(|placed| placed.refund_requested)
    }

    /// What was refunded so far.
    pub fn refunded(&self) -> Option<Money> {
        self.placed.as_ref().map(|placed| placed.refunded)
    }

    /// Whether PayPal's refund `refund_id` is recorded on this order.
    pub fn has_refund(&self, refund_id: &ProviderRefundId) -> bool {
        self.placed
            .as_ref()
            .is_some_and(|placed| placed.refund_ids.contains(refund_id))
    }

    /// Whether the supplier cancelled (or closed) the purchase.
    pub fn supplier_cancelled(&self) -> bool {
        self.placed
            .as_ref()
            .is_some_and(|placed| placed.supplier_cancelled)
    }

    /// Whether the supplier's refund of its cancelled purchase arrived.
    pub fn supplier_refunded(&self) -> bool {
        self.placed
            .as_ref()
            .is_some_and(|placed| placed.supplier_refunded)
    }

    /// What the supplier gives back of the purchase: its cost once it
    /// cancelled, else zero. A refund of the sale credits it to the seller,
    /// who then does not bear a cost the supplier returns.
    pub fn supplier_cost_returned(&self) -> Option<Money> {
        let placed = self.placed.as_ref()?;
        let zero = Money::zero(placed.unit_price.currency());
        Some(match (placed.supplier_cancelled, placed.supplier_cost) {
            (true, Some(cost)) => cost,
            _ => zero,
        })
    }

    /// The recorded sale, if any.
    pub fn sale_id(&self) -> Option<SaleId> {
        self.placed.as_ref().and_then(|placed| placed.sale_id)
    }

    /// The facts a sale is recorded from; only a PURCHASED order whose sale
    /// is not yet recorded has them.
    pub fn sale_terms(&self) -> Result<SaleTerms, OrderError> {
        let placed = self.placed()?;
        if placed.status != OrderStatus::Purchased {
            return Err(OrderError::InvalidTransition {
                action: "record the sale of",
                status: placed.status,
            });
        }
        if let Some(sale_id) = placed.sale_id {
            return Err(OrderError::AlreadySold(sale_id));
        }
        let (Some(Capture { fee, .. }), Some(supplier_cost)) =
            (placed.capture.as_ref(), placed.supplier_cost)
        else {
            unreachable!("a PURCHASED order has a capture and a supplier cost")
        };
        Ok(SaleTerms {
            order_id: placed.order_id,
            seller: placed.seller,
            sale_price: placed.total(),
            supplier_cost,
            fees: *fee,
        })
    }

    /// The captured payment, once paid.
    pub(crate) fn capture(&self) -> Option<&Capture> {
        self.placed
            .as_ref()
            .and_then(|placed| placed.capture.as_ref())
    }
}

impl Aggregate for Order {
    type Command = OrderCommand;
    type Event = OrderEvent;
    type Error = OrderError;

    fn decide(&self, command: OrderCommand) -> Result<Vec<OrderEvent>, OrderError> {
        let event = match command {
            OrderCommand::OpenDispute(command) => return self.decide_open_dispute(command),
            OrderCommand::AnswerDispute {
                dispute_id,
                answer,
                answered_at,
            } => return self.decide_answer_dispute(dispute_id, answer, answered_at),
            OrderCommand::ResolveDispute(command) => return self.decide_resolve_dispute(command),
            OrderCommand::CreateOrder {
                order_id,
                terms,
                quantity,
                provider_order_id,
                created_at,
            } => {
                if self.placed.is_some() {
                    return Err(OrderError::AlreadyExists);
                }
                if quantity == 0 || quantity > QUANTITY_MAX {
                    return Err(OrderError::InvalidQuantity(quantity));
                }
                // Refuse totals that overflow now, so later arithmetic cannot.
                terms.unit_price.checked_mul(quantity)?;
                terms.unit_supplier_cost.checked_mul(quantity)?;
                OrderEvent::OrderCreated {
                    order_id,
                    product_id: terms.product_id,
                    seller: terms.seller,
                    quantity,
                    unit_price: terms.unit_price,
                    unit_supplier_cost: terms.unit_supplier_cost,
                    provider_order_id,
                    created_at,
                }
            }
            OrderCommand::CapturePayment(command) => self.decide_capture(command)?,
            OrderCommand::StartPurchase(command) => self.decide_start(command)?,
            OrderCommand::ConfirmPurchase(command) => self.decide_confirm(command)?,
            OrderCommand::FailPurchase(command) => self.decide_fail(command)?,
            OrderCommand::RequestRefund {
                request_id,
                amount,
                requested_at,
            } => self.decide_request_refund(request_id, amount, requested_at)?,
            OrderCommand::FailRefundRequest { failed_at } => {
                self.decide_fail_refund_request(failed_at)?
            }
            OrderCommand::RefundPayment(command) => self.decide_refund(command)?,
            OrderCommand::FlagForReview { reason, flagged_at } => {
                self.expect_status("flag", &[OrderStatus::Purchased])?;
                OrderEvent::OrderFlaggedForReview { reason, flagged_at }
            }
            OrderCommand::ClearPayment { cleared_at } => self.decide_clear(cleared_at)?,
            OrderCommand::DenyPayment { denied_at } => self.decide_deny(denied_at)?,
            OrderCommand::RequestRetry { requested_at } => {
                let placed = self.expect_status("retry the purchase of", &[OrderStatus::Failed])?;
                self.refuse_if_payment_denied("retry the purchase of")?;
                OrderEvent::OrderRetryRequested {
                    previous_reason: placed.failure.expect("a FAILED order has a failure reason"),
                    requested_at,
                }
            }
            OrderCommand::RecordShipment {
                tracking_number,
                carrier,
                recorded_at,
            } => {
                // Bought from the supplier, whatever happened since: a
                // refund of the sale (asked for, or made) does not stop the
                // parcel, and its tracking is still the order's.
                let placed = self.placed()?;
                if placed.supplier_order_id.is_none() {
                    return Err(OrderError::InvalidTransition {
                        action: "record the shipment of",
                        status: placed.status,
                    });
                }
                if placed.supplier_cancelled {
                    return Err(OrderError::InvalidTransition {
                        action: "record the shipment of a supplier-cancelled",
                        status: placed.status,
                    });
                }
                if placed.tracking_number.is_some() {
                    return Err(OrderError::InvalidTransition {
                        action: "record a second shipment of",
                        status: placed.status,
                    });
                }
                OrderEvent::OrderShipped {
                    tracking_number,
                    carrier,
                    recorded_at,
                }
            }
            OrderCommand::RecordSale {
                sale_id,
                recorded_at,
            } => self.decide_record_sale(sale_id, recorded_at)?,
            OrderCommand::CancelBySupplier {
                supplier_status,
                cancelled_at,
            } => self.decide_supplier_cancel(supplier_status, cancelled_at)?,
            OrderCommand::ReceiveSupplierRefund {
                amount,
                refunded_at,
            } => self.decide_supplier_refund(amount, refunded_at)?,
        };
        Ok(vec![event])
    }

    fn evolve(mut self, event: &OrderEvent) -> Order {
        if let Some(created) = Placed::created(event) {
            self.placed = Some(created);
            return self;
        }
        let Some(placed) = self.placed.as_mut() else {
            return self;
        };
        match event {
            OrderEvent::OrderCreated { .. } => {}
            OrderEvent::OrderPaid {
                buyer,
                capture_id,
                fee,
                entry_id,
                capture_status,
                ..
            } => {
                // Only a COMPLETED capture is money fulfilment may spend.
                placed.status = match capture_status {
                    CaptureStatus::Completed => OrderStatus::Paid,
                    CaptureStatus::Pending => OrderStatus::AwaitingPaymentClearance,
                };
                placed.buyer = Some(*buyer);
                placed.capture = Some(Capture {
                    capture_id: capture_id.clone(),
                    entry_id: *entry_id,
                    fee: *fee,
                });
            }
            OrderEvent::OrderRefunded {
                refund_id, amount, ..
            } => {
                placed.refunded = Money::from_total(
                    placed.refunded.amount() + amount.amount(),
                    placed.refunded.currency(),
                );
                placed.refund_ids.push(refund_id.clone());
                placed.refund_requested = None;
                // A sold order partly refunded stays sold (PURCHASED): it
                // may be refunded again, up to its total.
                let before = placed.refund_request.map(|(_, before)| before);
                placed.status =
                    match before {
                        Some(
                            before @ (OrderStatus::Purchased | OrderStatus::SupplierCancelled),
                        ) if placed.refunded != placed.total() => before,
                        _ => OrderStatus::Refunded,
                    };
            }
            OrderEvent::OrderPurchaseStarted {
                hold_id, reserved, ..
            } => {
                placed.status = OrderStatus::Purchasing;
                placed.failure = None;
                placed.open_hold = Some((*hold_id, *reserved));
            }
            OrderEvent::OrderPurchased {
                supplier_order_id,
                supplier_cost,
                ..
            } => {
                placed.status = OrderStatus::Purchased;
                placed.open_hold = None;
                placed.supplier_order_id = Some(supplier_order_id.clone());
                placed.supplier_cost = Some(*supplier_cost);
            }
            OrderEvent::OrderFailed { reason, .. } => {
                placed.status = OrderStatus::Failed;
                placed.failure = Some(*reason);
                placed.open_hold = None;
            }
            OrderEvent::OrderFlaggedForReview { reason, .. } => {
                placed.review = Some(*reason);
            }
            OrderEvent::OrderRetryRequested { .. } => {
                placed.status = OrderStatus::Paid;
                placed.failure = None;
            }
            OrderEvent::OrderShipped {
                tracking_number, ..
            } => {
                placed.tracking_number = Some(tracking_number.clone());
            }
            OrderEvent::OrderSaleRecorded { sale_id, .. } => {
                placed.sale_id = Some(*sale_id);
            }
            OrderEvent::OrderPaymentCleared { .. } => {
                placed.status = OrderStatus::Paid;
            }
            OrderEvent::RefundRequested {
                request_id, amount, ..
            } => {
                placed.refund_request = Some((*request_id, placed.status));
                placed.refund_requested = Some(*amount);
                placed.status = OrderStatus::RefundRequested;
            }
            OrderEvent::OrderDisputeOpened {
                dispute_id,
                amount,
                reason,
                ..
            } => placed.disputes.push(super::dispute::OrderDispute {
                dispute_id: dispute_id.clone(),
                amount: *amount,
                reason: reason.clone(),
                answer: None,
                outcome: None,
            }),
            OrderEvent::OrderDisputeAnswered {
                dispute_id, answer, ..
            } => {
                if let Some(dispute) = placed
                    .disputes
                    .iter_mut()
                    .find(|dispute| &dispute.dispute_id == dispute_id)
                {
                    dispute.answer = Some(*answer);
                }
            }
            OrderEvent::OrderDisputeResolved {
                dispute_id,
                outcome,
                amount,
                ..
            } => {
                if let Some(dispute) = placed
                    .disputes
                    .iter_mut()
                    .find(|dispute| &dispute.dispute_id == dispute_id)
                {
                    dispute.outcome = Some(*outcome);
                }
                // A lost dispute refunded the customer: it counts against
                // what may still be refunded, and a sold order refunded in
                // full is REFUNDED (unless a refund is being asked for).
                if *outcome == super::dispute::DisputeOutcome::Lost {
                    placed.refunded = Money::from_total(
                        placed.refunded.amount() + amount.amount(),
                        placed.refunded.currency(),
                    );
                    if matches!(
                        placed.status,
                        OrderStatus::Purchased | OrderStatus::SupplierCancelled
                    ) && placed.refunded == placed.total()
                    {
                        placed.status = OrderStatus::Refunded;
                    }
                }
            }
            OrderEvent::OrderSupplierCancelled { .. } => {
                placed.supplier_cancelled = true;
                // A refunded order stays REFUNDED; a refund asked for keeps
                // its status and comes back to the cancellation if refused.
                match placed.status {
                    OrderStatus::Purchased => placed.status = OrderStatus::SupplierCancelled,
                    OrderStatus::RefundRequested => {
                        if let Some((_, before)) = placed.refund_request.as_mut() {
                            *before = OrderStatus::SupplierCancelled;
                        }
                    }
                    _ => {}
                }
            }
            OrderEvent::OrderSupplierRefunded { .. } => {
                placed.supplier_refunded = true;
            }
            OrderEvent::RefundRequestFailed { .. } => {
                placed.refund_requested = None;
                if let Some((_, before)) = placed.refund_request.take() {
                    placed.status = before;
                }
            }
        }
        self
    }
}
