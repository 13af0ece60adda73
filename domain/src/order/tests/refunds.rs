//! Refunds of orders that were paid but never fulfilled.

use super::*;

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
    // 48.80 came in net of the fee; giving 49.80 back needs 1.00 of capital.
    let (order, capital) = paid("1");
    let decision = fail_purchase(&order, &capital, fail(FailureReason::OutOfStock)).unwrap();
    let (order, capital) = apply(order, capital, &decision);
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
    assert_eq!(capital.available(), usd("0"));
}

#[test]
fn a_refunded_order_cannot_be_purchased_refunded_again_or_sold() {
    let (order, capital) = paid("10");
    let decision = refund_payment(&order, &capital, refund("50", "1.20")).unwrap();
    let (order, capital) = apply(order, capital, &decision);
    let invalid = |action| OrderError::InvalidTransition {
        action,
        status: OrderStatus::Refunded,
    };
    assert_eq!(
        refund_payment(&order, &capital, refund("50", "0")),
        Err(invalid("refund"))
    );
    assert_eq!(
        start_purchase(&order, &capital, start()),
        Err(invalid("start the purchase of"))
    );
    assert_eq!(OrderStatus::Refunded.as_str(), "REFUNDED");
}

#[test]
fn a_purchased_order_cannot_be_refunded_this_way() {
    let capital = capital("100");
    assert_eq!(
        refund_payment(&purchased(), &capital, refund("50", "0")),
        Err(OrderError::InvalidTransition {
            action: "refund",
            status: OrderStatus::Purchased
        })
    );
}

#[test]
fn a_partial_refund_or_a_fee_returned_above_the_fee_is_refused() {
    let (order, capital) = paid("0");
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
        refund_payment(&order, &capital, refund("50", "0")),
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
    let refusal = refund_payment(&order, &capital, refund("50", "0")).unwrap_err();
    assert_eq!(
        refusal,
        OrderError::Capital(CapitalError::InsufficientFunds {
            free: usd("8.80"),
            requested: usd("50")
        })
    );
    assert_eq!(refusal.code(), "INSUFFICIENT_FUNDS");
}
