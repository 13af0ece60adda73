//! Pending captures: the order waits, then is PAID or FAILS with the denial.

use super::*;

fn settle(entry: u128) -> SettleCapture {
    SettleCapture {
        entry_id: entry_id(entry),
        effective_at: at(5),
    }
}

/// An order of 2 × 25.00 whose 50.00 capture (fee 1.20) PayPal left PENDING.
fn awaiting_clearance(capital_amount: &str) -> (Order, WorkingCapital) {
    let order = created(2);
    let capital = self::capital(capital_amount);
    let pending = CapturePayment {
        status: CaptureStatus::Pending,
        ..capture("50")
    };
    let decision = capture_payment(&order, &capital, pending).unwrap();
    apply(order, capital, &decision)
}

#[test]
fn a_pending_capture_leaves_the_order_awaiting_clearance_and_nothing_may_be_bought() {
    let (order, capital) = awaiting_clearance("100");
    assert_eq!(order.status(), Some(OrderStatus::AwaitingPaymentClearance));
    assert_eq!(capital.pending(), usd("48.80"));
    assert!(matches!(
        start_purchase(&order, &capital, start()),
        Err(OrderError::InvalidTransition {
            status: OrderStatus::AwaitingPaymentClearance,
            ..
        })
    ));
}

#[test]
fn a_completed_capture_makes_the_order_paid_and_its_cash_available() {
    let (order, capital) = awaiting_clearance("0");
    let decision = clear_payment(&order, &capital, settle(40)).unwrap();
    assert_eq!(
        decision.order,
        vec![OrderEvent::OrderPaymentCleared {
            capture_id: capture_id("CAP-1"),
            cleared_at: at(5),
        }]
    );
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::Paid));
    assert_eq!(capital.available(), usd("48.80"));
    assert_eq!(capital.pending(), usd("0.00"));
    // Fulfilment may now reserve the supplier cost.
    let started = start_purchase(&order, &capital, start()).unwrap();
    assert_eq!(
        order.replay(&started.order).status(),
        Some(OrderStatus::Purchasing)
    );
}

#[test]
fn clearing_twice_is_refused_once_the_capture_is_no_longer_pending() {
    let (order, capital) = awaiting_clearance("0");
    let decision = clear_payment(&order, &capital, settle(40)).unwrap();
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(
        clear_payment(&order, &capital, settle(40)),
        Err(OrderError::Capital(CapitalError::UnknownCapture(
            capture_id("CAP-1")
        )))
    );
}

#[test]
fn a_denied_capture_fails_the_order_for_good_and_reverses_the_pending_cash() {
    let (order, capital) = awaiting_clearance("100");
    let free_before = capital.free();
    let decision = deny_payment(&order, &capital, settle(41)).unwrap();
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::Failed));
    assert_eq!(order.failure_reason(), Some(FailureReason::PaymentDenied));
    assert_eq!(order.open_hold(), None);
    assert_eq!(capital.pending(), usd("0.00"));
    assert_eq!(capital.free(), free_before, "pending cash was never free");
    assert_eq!(capital.committed(), usd("0.00"));

    // Never paid: no retry, no purchase, no refund, no second failure.
    let refused = |result: Result<Vec<OrderEvent>, OrderError>| {
        assert!(
            matches!(result, Err(OrderError::InvalidTransition { .. })),
            "{result:?}"
        );
    };
    refused(order.decide(OrderCommand::RequestRetry {
        requested_at: at(6),
    }));
    refused(order.decide(OrderCommand::StartPurchase(start())));
    refused(order.decide(OrderCommand::FailPurchase(fail(FailureReason::OutOfStock))));
    refused(order.decide(OrderCommand::RefundPayment(RefundPayment {
        refund_id: crate::ids::ProviderRefundId::parse("RF-1").unwrap(),
        amount: usd("50"),
        fee_returned: usd("0"),
        entry_id: entry_id(60),
        refunded_at: at(9),
    })));
}

#[test]
fn only_an_order_awaiting_clearance_can_be_cleared_or_denied() {
    let (order, capital) = paid("0");
    refused_as_paid(clear_payment(&order, &capital, settle(40)).map(|_| ()));
    refused_as_paid(deny_payment(&order, &capital, settle(41)).map(|_| ()));
}

fn refused_as_paid(result: Result<(), OrderError>) {
    // A COMPLETED capture has no pending cash to complete or reverse.
    assert!(
        matches!(
            result,
            Err(OrderError::InvalidTransition {
                status: OrderStatus::Paid,
                ..
            }) | Err(OrderError::Capital(CapitalError::UnknownCapture(_)))
        ),
        "{result:?}"
    );
}
