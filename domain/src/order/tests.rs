use super::*;
use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::capital::{CapitalCommand, CapitalError, CapitalEvent, CaptureStatus, WorkingCapital};
use crate::ids::{ProductId, ProviderOrderId, SaleId, SupplierOrderId};
use crate::money::{Currency, Money};
use crate::product::CheckoutTerms;
use crate::testkit::*;

mod clearance;
mod refunds;
mod sale;

const SELLER: u128 = 100;
const BUYER: u128 = 200;

fn terms() -> CheckoutTerms {
    CheckoutTerms {
        product_id: ProductId::from_uuid(uuid(7)),
        seller: user_id(SELLER),
        unit_price: usd("25"),
        unit_supplier_cost: usd("10"),
    }
}

fn create(quantity: u32) -> OrderCommand {
    OrderCommand::CreateOrder {
        order_id: order_id(1),
        terms: terms(),
        quantity,
        provider_order_id: ProviderOrderId::parse("5O190127TN364715T").unwrap(),
        created_at: at(0),
    }
}

fn created(quantity: u32) -> Order {
    let events = Order::default().decide(create(quantity)).unwrap();
    Order::default().replay(&events)
}

fn capture(amount: &str) -> CapturePayment {
    CapturePayment {
        buyer: user_id(BUYER),
        capture_id: capture_id("CAP-1"),
        amount: usd(amount),
        fee: usd("1.20"),
        status: CaptureStatus::Completed,
        entry_id: entry_id(10),
        captured_at: at(1),
    }
}

fn capital(amount: &str) -> WorkingCapital {
    let empty = WorkingCapital::new(Currency::Usd);
    if usd(amount).is_zero() {
        return empty;
    }
    let events = empty
        .decide(CapitalCommand::ContributeCapital {
            entry_id: entry_id(9),
            amount: usd(amount),
            reference: crate::ids::Reference::parse("seed").unwrap(),
            effective_at: at(0),
        })
        .unwrap();
    empty.replay(&events)
}

/// Applies a two-stream decision to both states.
fn apply(
    order: Order,
    capital: WorkingCapital,
    decision: &OrderDecision,
) -> (Order, WorkingCapital) {
    (
        order.replay(&decision.order),
        capital.replay(&decision.capital),
    )
}

fn paid(capital_amount: &str) -> (Order, WorkingCapital) {
    let order = created(2);
    let capital = self::capital(capital_amount);
    let decision = capture_payment(&order, &capital, capture("50")).unwrap();
    apply(order, capital, &decision)
}

fn start() -> StartPurchase {
    StartPurchase {
        hold_id: hold_id(20),
        started_at: at(2),
    }
}

fn purchasing() -> (Order, WorkingCapital) {
    let (order, capital) = paid("0");
    let decision = start_purchase(&order, &capital, start()).unwrap();
    apply(order, capital, &decision)
}

fn confirm(cost: &str) -> ConfirmPurchase {
    ConfirmPurchase {
        supplier_order_id: SupplierOrderId::parse("AE-8001").unwrap(),
        supplier_cost: usd(cost),
        entry_id: entry_id(30),
        confirmed_at: at(3),
    }
}

fn fail(reason: FailureReason) -> FailPurchase {
    FailPurchase {
        reason,
        failed_at: at(4),
    }
}

fn purchased() -> Order {
    let (order, capital) = purchasing();
    let decision = confirm_purchase(&order, &capital, confirm("18.50")).unwrap();
    apply(order, capital, &decision).0
}

#[test]
fn a_created_order_records_its_seller_quantity_and_total() {
    let order = created(2);
    assert_eq!(order.status(), Some(OrderStatus::Created));
    assert_eq!(order.seller(), Some(user_id(SELLER)));
    assert_eq!(order.buyer(), None);
    assert_eq!(order.total(), Some(usd("50")));
    assert_eq!(order.supplier_cost_quoted(), Some(usd("20")));
    assert_eq!(Order::stream_id(order_id(1)), format!("order-{}", uuid(1)));
}

#[test]
fn an_order_cannot_be_created_twice() {
    assert_eq!(created(1).decide(create(1)), Err(OrderError::AlreadyExists));
}

#[test]
fn a_quantity_of_zero_or_above_the_limit_is_refused() {
    assert_eq!(
        Order::default().decide(create(0)),
        Err(OrderError::InvalidQuantity(0))
    );
    assert_eq!(
        Order::default().decide(create(QUANTITY_MAX + 1)),
        Err(OrderError::InvalidQuantity(QUANTITY_MAX + 1))
    );
}

#[test]
fn capturing_the_payment_makes_the_order_paid_by_the_buyer_and_receives_the_cash() {
    let (order, capital) = paid("0");
    assert_eq!(order.status(), Some(OrderStatus::Paid));
    assert_eq!(order.buyer(), Some(user_id(BUYER)));
    assert_eq!(capital.available(), usd("48.80"));
}

#[test]
fn a_pending_capture_leaves_the_order_awaiting_clearance_and_its_cash_not_free() {
    let order = created(2);
    let capital = WorkingCapital::new(Currency::Usd);
    let mut command = capture("50");
    command.status = CaptureStatus::Pending;
    let decision = capture_payment(&order, &capital, command).unwrap();
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::AwaitingPaymentClearance));
    assert_eq!(capital.pending(), usd("48.80"));
    assert_eq!(capital.free(), usd("0"));
}

#[test]
fn a_capture_for_another_amount_is_refused() {
    let capital = WorkingCapital::new(Currency::Usd);
    assert_eq!(
        capture_payment(&created(2), &capital, capture("49.99")),
        Err(OrderError::AmountMismatch {
            expected: usd("50"),
            got: usd("49.99")
        })
    );
}

#[test]
fn a_capture_fee_that_is_negative_or_not_below_the_amount_is_refused() {
    let mut command = capture("50");
    command.fee = usd("50");
    assert_eq!(
        created(2).decide(OrderCommand::CapturePayment(command)),
        Err(OrderError::InvalidFee {
            fee: usd("50"),
            amount: usd("50")
        })
    );
}

#[test]
fn capturing_an_unknown_or_already_paid_order_is_refused() {
    let capital = WorkingCapital::new(Currency::Usd);
    assert_eq!(
        capture_payment(&Order::default(), &capital, capture("50")),
        Err(OrderError::NotFound)
    );
    let (order, capital) = paid("0");
    let refusal = capture_payment(&order, &capital, capture("50")).unwrap_err();
    assert_eq!(
        refusal,
        OrderError::InvalidTransition {
            action: "capture the payment of",
            status: OrderStatus::Paid
        }
    );
    assert_eq!(refusal.code(), "INVALID_STATE");
}

#[test]
fn starting_a_purchase_reserves_the_supplier_cost_in_the_same_decision() {
    let (order, capital) = paid("0");
    let decision = start_purchase(&order, &capital, start()).unwrap();
    assert_eq!(decision.order[0].event_type(), "OrderPurchaseStarted");
    let [CapitalEvent::HoldPlaced { hold, .. }] = decision.capital.as_slice() else {
        panic!("unexpected {decision:?}")
    };
    assert_eq!(hold.amount(), usd("20"));
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::Purchasing));
    assert_eq!(order.open_hold(), Some(hold_id(20)));
    assert_eq!(capital.free(), usd("28.80"));
}

#[test]
fn without_enough_free_capital_the_order_fails_with_insufficient_funds_and_nothing_is_held() {
    // 48.80 available, 40.00 of it held for another order: 8.80 free < 20.00.
    let (order, capital) = paid("0");
    let other = capital
        .decide(CapitalCommand::PlaceHold {
            hold_id: hold_id(77),
            purpose: crate::capital::HoldPurpose::Purchase {
                order_id: order_id(77),
            },
            amount: usd("40"),
            effective_at: at(1),
        })
        .unwrap();
    let capital = capital.replay(&other);

    let decision = start_purchase(&order, &capital, start()).unwrap();
    assert!(decision.capital.is_empty());
    assert_eq!(
        decision.order,
        vec![OrderEvent::OrderFailed {
            reason: FailureReason::InsufficientFunds,
            released_hold: None,
            failed_at: at(2)
        }]
    );
    let (order, _) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::Failed));
    assert_eq!(
        order.failure_reason(),
        Some(FailureReason::InsufficientFunds)
    );
    assert_eq!(
        FailureReason::InsufficientFunds.status_code(),
        "FAILED_INSUFFICIENT_FUNDS"
    );
}

#[test]
fn a_failed_order_can_be_retried_once_capital_is_there() {
    let (order, capital) = paid("0");
    let decision =
        fail_purchase(&order, &capital, fail(FailureReason::SupplierUnavailable)).unwrap();
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::Failed));
    let decision = start_purchase(&order, &capital, start()).unwrap();
    let (order, _) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::Purchasing));
    assert_eq!(order.failure_reason(), None);
}

#[test]
fn a_purchase_cannot_start_before_payment_or_twice() {
    let capital = capital("100");
    assert_eq!(
        start_purchase(&created(1), &capital, start()),
        Err(OrderError::InvalidTransition {
            action: "start the purchase of",
            status: OrderStatus::Created
        })
    );
    let (order, capital) = purchasing();
    assert!(matches!(
        start_purchase(&order, &capital, start()),
        Err(OrderError::InvalidTransition {
            status: OrderStatus::Purchasing,
            ..
        })
    ));
}

#[test]
fn supplier_confirmation_purchases_the_order_and_posts_the_real_cost_releasing_the_rest() {
    let (order, capital) = purchasing();
    let decision = confirm_purchase(&order, &capital, confirm("18.50")).unwrap();
    let [CapitalEvent::HoldPosted { released, .. }] = decision.capital.as_slice() else {
        panic!("unexpected {decision:?}")
    };
    assert_eq!(*released, usd("1.50"));
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::Purchased));
    assert_eq!(order.supplier_order_id().unwrap().as_str(), "AE-8001");
    assert_eq!(order.open_hold(), None);
    assert_eq!(capital.available(), usd("30.30"));
    assert_eq!(capital.free(), usd("30.30"));
}

#[test]
fn a_supplier_cost_above_the_reservation_is_refused() {
    let (order, capital) = purchasing();
    assert_eq!(
        confirm_purchase(&order, &capital, confirm("20.01")),
        Err(OrderError::CostExceedsReservation {
            reserved: usd("20"),
            cost: usd("20.01")
        })
    );
    assert_eq!(
        confirm_purchase(&order, &capital, confirm("0")),
        Err(OrderError::InvalidCost(usd("0")))
    );
}

#[test]
fn confirming_an_order_that_is_not_purchasing_is_refused() {
    let (order, capital) = paid("100");
    assert_eq!(
        confirm_purchase(&order, &capital, confirm("10")),
        Err(OrderError::InvalidTransition {
            action: "confirm the purchase of",
            status: OrderStatus::Paid
        })
    );
}

#[test]
fn a_failed_purchase_voids_its_hold() {
    let (order, capital) = purchasing();
    let decision = fail_purchase(&order, &capital, fail(FailureReason::OutOfStock)).unwrap();
    assert_eq!(decision.capital[0].event_type(), "HoldVoided");
    assert_eq!(
        decision.order,
        vec![OrderEvent::OrderFailed {
            reason: FailureReason::OutOfStock,
            released_hold: Some(hold_id(20)),
            failed_at: at(4)
        }]
    );
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::Failed));
    assert_eq!(capital.free(), capital.available());
}

#[test]
fn a_created_or_purchased_order_cannot_fail_its_purchase() {
    let capital = capital("100");
    assert!(matches!(
        fail_purchase(&created(1), &capital, fail(FailureReason::SupplierRejected)),
        Err(OrderError::InvalidTransition {
            status: OrderStatus::Created,
            ..
        })
    ));
    assert!(matches!(
        fail_purchase(
            &purchased(),
            &capital,
            fail(FailureReason::SupplierRejected)
        ),
        Err(OrderError::InvalidTransition {
            status: OrderStatus::Purchased,
            ..
        })
    ));
}

#[test]
fn a_purchase_in_another_currency_than_the_capital_is_refused_by_capital() {
    let (order, _) = paid("0");
    let euros = WorkingCapital::new(Currency::Eur);
    assert_eq!(
        start_purchase(&order, &euros, start()),
        Err(OrderError::Capital(CapitalError::WrongCurrency {
            expected: Currency::Eur,
            got: Currency::Usd
        }))
    );
}

#[test]
fn a_retry_of_a_failed_purchase_makes_the_order_paid_again_and_a_new_purchase_can_start() {
    let (order, capital) = purchasing();
    let decision = fail_purchase(&order, &capital, fail(FailureReason::SupplierRejected)).unwrap();
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(
        order.failure_reason(),
        Some(FailureReason::SupplierRejected)
    );

    let events = order
        .decide(OrderCommand::RequestRetry {
            requested_at: at(5),
        })
        .unwrap();
    assert_eq!(
        events,
        vec![OrderEvent::OrderRetryRequested {
            previous_reason: FailureReason::SupplierRejected,
            requested_at: at(5),
        }]
    );
    let order = order.replay(&events);
    assert_eq!(order.status(), Some(OrderStatus::Paid));
    assert_eq!(order.failure_reason(), None);
    assert!(start_purchase(&order, &capital, start()).is_ok());
}

#[test]
fn only_a_failed_purchase_can_be_retried() {
    for order in [paid("100").0, purchasing().0, purchased()] {
        let refused = order
            .decide(OrderCommand::RequestRetry {
                requested_at: at(5),
            })
            .unwrap_err();
        assert!(
            matches!(refused, OrderError::InvalidTransition { .. }),
            "{refused:?}"
        );
        assert_eq!(refused.code(), "INVALID_STATE");
    }
}

#[test]
fn a_purchased_order_records_its_shipment_once() {
    let order = purchased();
    let ship = |number: &str| OrderCommand::RecordShipment {
        tracking_number: sealed(2, number),
        carrier: "Cainiao".to_owned(),
        recorded_at: at(6),
    };
    let events = order.decide(ship("LP001")).unwrap();
    let shipped = order.replay(&events);
    assert_eq!(shipped.tracking_number(), Some(&sealed(2, "LP001")));
    assert!(matches!(
        shipped.decide(ship("LP002")),
        Err(OrderError::InvalidTransition { .. })
    ));
    assert!(matches!(
        paid("100").0.decide(ship("LP001")),
        Err(OrderError::InvalidTransition { .. })
    ));
}
