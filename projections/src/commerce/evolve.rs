//! What each event does to a read model: records what it says, checks only
//! that it refers to a model that exists (and is not created twice).

use std::collections::HashMap;

use dropledger_domain::{
    CaptureStatus, DisputeOutcome, Money, OrderEvent, OrderId, OrderStatus, PayoutEvent, PayoutId,
    PayoutStatus, ProductEvent, ProductId, ProductStatus, SaleEvent, SaleId,
};
use uuid::Uuid;

use super::view::{OrderView, PayoutView, ProductView, SaleView};

fn missing(kind: &str, id: Uuid, event: &str) -> String {
    format!("{event} for {kind} {id}, which was never created")
}

pub(super) fn product(
    products: &mut HashMap<Uuid, ProductView>,
    id: ProductId,
    event: &ProductEvent,
    position: u64,
) -> Result<(), String> {
    let key = id.as_uuid();
    if let ProductEvent::ProductCreated {
        product_id,
        owner,
        title,
        supplier_product_id,
        supplier_cost,
        price,
        origin,
        created_at,
    } = event
    {
        if products.contains_key(&key) {
            return Err(format!("product {key} is created twice"));
        }
        products.insert(
            key,
            ProductView {
                product_id: *product_id,
                owner: *owner,
                title: title.as_str().to_owned(),
                supplier_product_id: supplier_product_id.clone(),
                supplier_cost: *supplier_cost,
                price: *price,
                status: ProductStatus::Draft,
                origin: origin.clone(),
                created_at: *created_at,
                updated_at: *created_at,
                created_position: position,
                last_position: position,
            },
        );
        return Ok(());
    }
    let view = products
        .get_mut(&key)
        .ok_or_else(|| missing("product", key, event.event_type_name()))?;
    view.last_position = position;
    match event {
        ProductEvent::ProductCreated { .. } => {}
        ProductEvent::ProductRepriced {
            supplier_cost,
            price,
            repriced_at,
        } => {
            view.supplier_cost = *supplier_cost;
            view.price = *price;
            view.updated_at = *repriced_at;
        }
        ProductEvent::ProductPublished { published_at } => {
            view.status = ProductStatus::Published;
            view.updated_at = *published_at;
        }
        ProductEvent::ProductUnpublished { unpublished_at } => {
            view.status = ProductStatus::Unpublished;
            view.updated_at = *unpublished_at;
        }
    }
    Ok(())
}

/// The type name of a domain event, for messages.
trait EventTypeName {
    fn event_type_name(&self) -> &'static str;
}

impl<E: dropledger_domain::DomainEvent> EventTypeName for E {
    fn event_type_name(&self) -> &'static str {
        self.event_type()
    }
}

pub(super) fn order(
    orders: &mut HashMap<Uuid, OrderView>,
    id: OrderId,
    event: &OrderEvent,
    position: u64,
) -> Result<(), String> {
    let key = id.as_uuid();
    if let OrderEvent::OrderCreated {
        order_id,
        product_id,
        seller,
        quantity,
        unit_price,
        unit_supplier_cost,
        provider_order_id,
        created_at,
    } = event
    {
        if orders.contains_key(&key) {
            return Err(format!("order {key} is created twice"));
        }
        let price = unit_price
            .checked_mul(*quantity)
            .map_err(|error| format!("order {key} total: {error}"))?;
        orders.insert(
            key,
            OrderView {
                order_id: *order_id,
                product_id: *product_id,
                seller: *seller,
                buyer: None,
                quantity: *quantity,
                unit_price: *unit_price,
                price,
                unit_supplier_cost: *unit_supplier_cost,
                status: OrderStatus::Created,
                failure_reason: None,
                provider_order_id: provider_order_id.clone(),
                capture_id: None,
                capture_status: None,
                payment_fee: None,
                hold_id: None,
                supplier_order_id: None,
                supplier_cost: None,
                refunded: None,
                review_reason: None,
                sale_id: None,
                supplier_cancelled: false,
                supplier_refunded: None,
                created_at: *created_at,
                updated_at: *created_at,
                created_position: position,
                last_position: position,
            },
        );
        return Ok(());
    }
    let view = orders
        .get_mut(&key)
        .ok_or_else(|| missing("order", key, event.event_type_name()))?;
    view.last_position = position;
    match event {
        OrderEvent::OrderCreated { .. } => {}
        OrderEvent::OrderPaid {
            buyer,
            capture_id,
            fee,
            capture_status,
            paid_at,
            ..
        } => {
            // As the aggregate: a PENDING capture waits for clearance.
            view.status = match capture_status {
                CaptureStatus::Completed => OrderStatus::Paid,
                CaptureStatus::Pending => OrderStatus::AwaitingPaymentClearance,
            };
            view.buyer = Some(*buyer);
            view.capture_id = Some(capture_id.clone());
            view.capture_status = Some(*capture_status);
            view.payment_fee = Some(*fee);
            view.updated_at = *paid_at;
        }
        OrderEvent::OrderPurchaseStarted {
            hold_id,
            started_at,
            ..
        } => {
            view.status = OrderStatus::Purchasing;
            view.failure_reason = None;
            view.hold_id = Some(*hold_id);
            view.updated_at = *started_at;
        }
        OrderEvent::OrderPurchased {
            supplier_order_id,
            supplier_cost,
            purchased_at,
        } => {
            view.status = OrderStatus::Purchased;
            view.hold_id = None;
            view.supplier_order_id = Some(supplier_order_id.clone());
            view.supplier_cost = Some(*supplier_cost);
            view.updated_at = *purchased_at;
        }
        OrderEvent::OrderFailed {
            reason, failed_at, ..
        } => {
            view.status = OrderStatus::Failed;
            view.failure_reason = Some(*reason);
            view.hold_id = None;
            view.updated_at = *failed_at;
        }
        OrderEvent::OrderRefunded {
            amount,
            refunded_at,
            ..
        } => {
            let refunded = match view.refunded {
                Some(before) => Money::new(before.amount() + amount.amount(), amount.currency())
                    .map_err(|error| error.to_string())?,
                None => *amount,
            };
            // A sold order partly refunded stays sold (PURCHASED, or
            // SUPPLIER_CANCELLED if its supplier cancelled).
            view.status = if view.sale_id.is_some() && refunded != view.price {
                still_sold(view)
            } else {
                OrderStatus::Refunded
            };
            view.refunded = Some(refunded);
            view.updated_at = *refunded_at;
        }
        OrderEvent::OrderFlaggedForReview { reason, flagged_at } => {
            view.review_reason = Some(*reason);
            view.updated_at = *flagged_at;
        }
        OrderEvent::OrderShipped { recorded_at, .. } => {
            view.updated_at = *recorded_at;
        }
        OrderEvent::OrderRetryRequested { requested_at, .. } => {
            view.status = OrderStatus::Paid;
            view.failure_reason = None;
            view.updated_at = *requested_at;
        }
        OrderEvent::OrderSaleRecorded {
            sale_id,
            recorded_at,
        } => {
            view.sale_id = Some(*sale_id);
            view.updated_at = *recorded_at;
        }
        OrderEvent::RefundRequested { requested_at, .. } => {
            view.status = OrderStatus::RefundRequested;
            view.updated_at = *requested_at;
        }
        OrderEvent::RefundRequestFailed { failed_at, .. } => {
            // A sold order goes back to PURCHASED; otherwise only a PAID or
            // FAILED order may ask for a refund, and only a FAILED one has a
            // failure reason: that is where it goes back.
            view.status = match (view.sale_id, view.failure_reason) {
                (Some(_), _) => still_sold(view),
                (None, _) if view.supplier_cancelled => OrderStatus::SupplierCancelled,
                (None, Some(_)) => OrderStatus::Failed,
                (None, None) => OrderStatus::Paid,
            };
            view.updated_at = *failed_at;
        }
        OrderEvent::OrderDisputeOpened { opened_at, .. } => {
            view.updated_at = *opened_at;
        }
        OrderEvent::OrderDisputeAnswered { answered_at, .. } => {
            view.updated_at = *answered_at;
        }
        OrderEvent::OrderDisputeResolved {
            outcome,
            amount,
            resolved_at,
            ..
        } => {
            // A lost dispute refunded the customer, as the aggregate counts it.
            if *outcome == DisputeOutcome::Lost {
                let refunded = match view.refunded {
                    Some(before) => {
                        Money::new(before.amount() + amount.amount(), amount.currency())
                            .map_err(|error| error.to_string())?
                    }
                    None => *amount,
                };
                if matches!(
                    view.status,
                    OrderStatus::Purchased | OrderStatus::SupplierCancelled
                ) && refunded == view.price
                {
                    view.status = OrderStatus::Refunded;
                }
                view.refunded = Some(refunded);
            }
            view.updated_at = *resolved_at;
        }
        OrderEvent::OrderPaymentCleared { cleared_at, .. } => {
            view.status = OrderStatus::Paid;
            view.updated_at = *cleared_at;
        }
        OrderEvent::OrderSupplierCancelled { cancelled_at, .. } => {
            // As the aggregate: a refunded order stays REFUNDED, one being
            // refunded stays REFUND_REQUESTED.
            view.supplier_cancelled = true;
            if view.status == OrderStatus::Purchased {
                view.status = OrderStatus::SupplierCancelled;
            }
            view.updated_at = *cancelled_at;
        }
        OrderEvent::OrderSupplierRefunded {
            amount,
            refunded_at,
            ..
        } => {
            view.supplier_refunded = Some(*amount);
            view.updated_at = *refunded_at;
        }
    }
    Ok(())
}

/// The status of a sold order not refunded in full.
fn still_sold(view: &OrderView) -> OrderStatus {
    if view.supplier_cancelled {
        OrderStatus::SupplierCancelled
    } else {
        OrderStatus::Purchased
    }
}

pub(super) fn sale(
    sales: &mut HashMap<Uuid, SaleView>,
    id: SaleId,
    event: &SaleEvent,
    position: u64,
) -> Result<(), String> {
    let key = id.as_uuid();
    // A reversal or a netting changes the books (the ledger projection),
    // not the sale as recorded.
    let SaleEvent::SaleRecorded {
        sale_id,
        order_id,
        seller,
        breakdown,
        admin_payout_id,
        seller_payout_id,
        entry,
    } = event
    else {
        return Ok(());
    };
    if sales.contains_key(&key) {
        return Err(format!("sale {key} is recorded twice"));
    }
    sales.insert(
        key,
        SaleView {
            sale_id: *sale_id,
            order_id: *order_id,
            seller: *seller,
            sale_price: breakdown.sale_price(),
            supplier_cost: breakdown.supplier_cost(),
            gross_profit: breakdown.gross_profit(),
            commission_rate: breakdown.commission_rate(),
            commission: breakdown.commission(),
            fees: breakdown.fees(),
            net_profit: breakdown.net_profit(),
            admin_payout_id: *admin_payout_id,
            seller_payout_id: *seller_payout_id,
            recorded_at: entry.effective_at(),
            created_position: position,
        },
    );
    Ok(())
}

pub(super) fn payout(
    payouts: &mut HashMap<Uuid, PayoutView>,
    id: PayoutId,
    event: &PayoutEvent,
    position: u64,
) -> Result<(), String> {
    let key = id.as_uuid();
    if let PayoutEvent::PayoutRequested {
        payout_id,
        sale_id,
        payee,
        amount,
        requested_at,
    } = event
    {
        if payouts.contains_key(&key) {
            return Err(format!("payout {key} is requested twice"));
        }
        payouts.insert(
            key,
            PayoutView {
                payout_id: *payout_id,
                sale_id: *sale_id,
                payee: *payee,
                amount: *amount,
                status: PayoutStatus::Pending,
                destination: None,
                provider_payout_id: None,
                fee: None,
                failure_reason: None,
                skipped_free_capital: None,
                requested_at: *requested_at,
                updated_at: *requested_at,
                created_position: position,
                last_position: position,
            },
        );
        return Ok(());
    }
    let view = payouts
        .get_mut(&key)
        .ok_or_else(|| missing("payout", key, event.event_type_name()))?;
    view.last_position = position;
    match event {
        PayoutEvent::PayoutRequested { .. } => {}
        PayoutEvent::PayoutReserved {
            destination,
            reserved_at,
            ..
        } => {
            view.status = PayoutStatus::Pending;
            view.destination = Some(destination.clone());
            view.failure_reason = None;
            view.updated_at = *reserved_at;
        }
        PayoutEvent::PayoutSkippedInsufficientFunds { free, skipped_at } => {
            view.status = PayoutStatus::SkippedInsufficientFunds;
            view.skipped_free_capital = Some(*free);
            view.updated_at = *skipped_at;
        }
        PayoutEvent::PayoutSent {
            provider_payout_id,
            fee,
            sent_at,
        } => {
            view.status = PayoutStatus::Sent;
            view.provider_payout_id = Some(provider_payout_id.clone());
            view.fee = Some(*fee);
            view.updated_at = *sent_at;
        }
        PayoutEvent::PayoutFailed {
            reason, failed_at, ..
        } => {
            view.status = PayoutStatus::Failed;
            view.failure_reason = Some(*reason);
            view.updated_at = *failed_at;
        }
        // Paused while a dispute of its sale is open: still PENDING.
        PayoutEvent::PayoutPaused { paused_at, .. } => {
            view.updated_at = *paused_at;
        }
        PayoutEvent::PayoutResumed { resumed_at, .. } => {
            view.updated_at = *resumed_at;
        }
        PayoutEvent::PayoutReduced {
            remaining,
            reduced_at,
            ..
        } => {
            view.amount = *remaining;
            if remaining.is_zero() {
                view.status = PayoutStatus::Cancelled;
            }
            view.updated_at = *reduced_at;
        }
    }
    Ok(())
}
