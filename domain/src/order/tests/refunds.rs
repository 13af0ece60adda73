//! Refunds of orders that were paid but never fulfilled: the intent
//! first, then the refund PayPal made.

use super::*;
use crate::ids::RefundRequestId;

fn ask(amount: &str) -> RequestRefund {
    RequestRefund {
        request_id: RefundRequestId::from_uuid(uuid(90)),
        amount: usd(amount),
        requested_at: at(8),
    }
}

/// The order and capital once a full refund was asked for.
fn requested(order: Order, capital: WorkingCapital) -> (Order, WorkingCapital) {
    let decision = request_refund(&order, &capital, ask("50")).unwrap();
    assert!(decision.capital.is_empty(), "no cash moves before PayPal");
    apply(order, capital, &decision)
}

fn refund(amount: &str, fee_returned: &str) -> RefundPayment {
    RefundPayment {
        refund_id: crate::ids::ProviderRefundId::parse("RF-1").unwrap(),
        amount: usd(amount),
        fee_returned: usd(fee_returned),
        entry_id: entry_id(60),
        refunded_at: at(9),
    }
}

#[test]
fn refunding_a_failed_order_returns_the_money_and_expenses_the_fee_paypal_keeps() {
    // 48.80 came in net of the fee; the request needs 50.00 free (in case
    // PayPal returns no fee); giving 49.80 back leaves 0.20 of the 1.20.
    let (order, capital) = paid("1.20");
    let decision = fail_purchase(&order, &capital, fail(FailureReason::OutOfStock)).unwrap();
    let (order, capital) = apply(order, capital, &decision);
    let (order, capital) = requested(order, capital);
    assert_eq!(order.status(), Some(OrderStatus::RefundRequested));
    let decision = refund_payment(&order, &capital, refund("50", "0.20")).unwrap();
    let [CapitalEvent::PaymentRefunded { entry, .. }] = decision.capital.as_slice() else {
        panic!("unexpected {decision:?}")
    };
    let net = |account| entry.net_for(account, Currency::Usd);
    assert_eq!(
        entry.corrects(),
        Some(entry_id(10)),
        "points at the capture's entry"
    );
    assert_eq!(
        net(crate::ledger::Account::CustomerPrepayments),
        usd("50").amount()
    );
    assert_eq!(
        net(crate::ledger::Account::CashAvailable),
        -usd("49.80").amount()
    );
    assert_eq!(
        net(crate::ledger::Account::PrepaidPaymentFees),
        -usd("1.20").amount()
    );
    assert_eq!(
        net(crate::ledger::Account::PaymentFees),
        usd("1.00").amount()
    );
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(order.status(), Some(OrderStatus::Refunded));
    assert_eq!(capital.available(), usd("0.20"));
}

#[test]
fn a_refunded_order_cannot_be_purchased_refunded_again_or_sold() {
    let (order, capital) = paid("10");
    let (order, capital) = requested(order, capital);
    let decision = refund_payment(&order, &capital, refund("50", "1.20")).unwrap();
    let (order, capital) = apply(order, capital, &decision);
    let invalid = |action| OrderError::InvalidTransition {
        action,
        status: OrderStatus::Refunded,
    };
    assert_eq!(
        request_refund(&order, &capital, ask("50")),
        Err(invalid("refund"))
    );
    assert_eq!(
        refund_payment(&order, &capital, refund("50", "0")),
        Err(invalid("record the refund of"))
    );
    assert_eq!(
        start_purchase(&order, &capital, start()),
        Err(invalid("start the purchase of"))
    );
    assert_eq!(OrderStatus::Refunded.as_str(), "REFUNDED");
}

#[test]
fn a_purchased_order_whose_sale_is_not_recorded_cannot_be_refunded() {
    // Its sale is recorded right after the purchase; until then (or while
    // the profit guard holds it for review) there is nothing to reverse.
    let capital = capital("100");
    assert_eq!(
        request_refund(&purchased(), &capital, ask("50")),
        Err(OrderError::SaleNotRecorded)
    );
}

#[test]
fn a_partial_refund_or_a_fee_returned_above_the_fee_is_refused() {
    let (order, capital) = paid("2");
    assert_eq!(
        request_refund(&order, &capital, ask("20")),
        Err(OrderError::AmountMismatch {
            expected: usd("50"),
            got: usd("20")
        })
    );
    let (order, capital) = requested(order, capital);
    assert_eq!(
        refund_payment(&order, &capital, refund("20", "0")),
        Err(OrderError::AmountMismatch {
            expected: usd("50"),
            got: usd("20")
        })
    );
    assert_eq!(
        refund_payment(&order, &capital, refund("50", "1.21")),
        Err(OrderError::InvalidFeeReturned {
            returned: usd("1.21"),
            fee: usd("1.20")
        })
    );
}

#[test]
fn a_refund_of_a_pending_capture_or_beyond_free_capital_is_refused() {
    let order = created(2);
    let capital = WorkingCapital::new(Currency::Usd);
    let mut command = capture("50");
    command.status = CaptureStatus::Pending;
    let decision = capture_payment(&order, &capital, command).unwrap();
    let (order, capital) = apply(order, capital, &decision);
    assert_eq!(
        request_refund(&order, &capital, ask("50")),
        Err(OrderError::InvalidTransition {
            action: "refund",
            status: OrderStatus::AwaitingPaymentClearance
        })
    );

    // Completed, but most of the cash is held for another order's purchase.
    let (order, capital) = paid("0");
    let other = CapitalCommand::PlaceHold {
        hold_id: hold_id(77),
        purpose: crate::capital::HoldPurpose::Purchase {
            order_id: order_id(77),
        },
        amount: usd("40"),
        effective_at: at(5),
    };
    let held = capital.decide(other).unwrap();
    let capital = capital.replay(&held);
    let refusal = request_refund(&order, &capital, ask("50")).unwrap_err();
    assert_eq!(
        refusal,
        OrderError::Capital(CapitalError::InsufficientFunds {
            free: usd("8.80"),
            requested: usd("50")
        })
    );
    assert_eq!(refusal.code(), "INSUFFICIENT_FUNDS");
}

#[test]
fn once_a_refund_is_asked_for_nothing_is_bought_and_a_started_purchase_refuses_the_refund() {
    let (order, capital) = paid("100");
    let (asked, capital_after) = requested(order.clone(), capital.clone());
    assert_eq!(
        start_purchase(&asked, &capital_after, start()),
        Err(OrderError::InvalidTransition {
            action: "start the purchase of",
            status: OrderStatus::RefundRequested
        })
    );
    assert!(asked
        .decide(OrderCommand::RequestRetry {
            requested_at: at(9)
        })
        .is_err());

    // The other way round: fulfilment placed its hold first.
    let started = start_purchase(&order, &capital, start()).unwrap();
    let (purchasing, capital) = apply(order, capital, &started);
    assert_eq!(
        request_refund(&purchasing, &capital, ask("50")),
        Err(OrderError::InvalidTransition {
            action: "refund",
            status: OrderStatus::Purchasing
        })
    );
}

#[test]
fn a_refund_paypal_refuses_puts_the_order_back_where_it_was() {
    let (order, capital) = paid("2");
    let (asked, _) = requested(order.clone(), capital.clone());
    assert_eq!(
        asked.refund_request_id(),
        Some(RefundRequestId::from_uuid(uuid(90)))
    );
    let failed = fail_refund_request(&asked, at(9)).unwrap();
    assert_eq!(
        failed.order,
        vec![OrderEvent::RefundRequestFailed {
            request_id: RefundRequestId::from_uuid(uuid(90)),
            failed_at: at(9)
        }]
    );
    let back = asked.replay(&failed.order);
    assert_eq!(back.status(), Some(OrderStatus::Paid));
    assert!(fail_refund_request(&back, at(10)).is_err());
    assert!(start_purchase(&back, &capital, start()).is_ok());
}
