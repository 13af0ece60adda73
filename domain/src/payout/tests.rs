use super::*;
use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::capital::{CapitalCommand, CapitalError, CapitalEvent, WorkingCapital};
use crate::ids::{ProviderPayoutId, Reference, SaleId};
use crate::ledger::Account;
use crate::money::Currency;
use crate::testkit::*;

mod fees;

fn seller() -> Payee {
    Payee::User {
        user_id: user_id(100),
    }
}

fn requested(amount: &str) -> Payout {
    let events = Payout::default()
        .decide(PayoutCommand::RequestPayout {
            payout_id: payout_id(1),
            sale_id: SaleId::from_uuid(uuid(2)),
            payee: seller(),
            amount: usd(amount),
            requested_at: at(0),
        })
        .unwrap();
    Payout::default().replay(&events)
}

fn capital(amount: &str) -> WorkingCapital {
    let empty = WorkingCapital::new(Currency::Usd);
    let events = empty
        .decide(CapitalCommand::ContributeCapital {
            entry_id: entry_id(9),
            amount: usd(amount),
            reference: Reference::parse("seed").unwrap(),
            effective_at: at(0),
        })
        .unwrap();
    empty.replay(&events)
}

fn paypal() -> Option<PayoutDestination> {
    Some(PayoutDestination::Paypal {
        email: sealed(9, "seller@example.com"),
    })
}

fn reserve(
    destination: Option<PayoutDestination>,
    environment: PayoutEnvironment,
) -> ReservePayout {
    ReservePayout {
        hold_id: hold_id(5),
        fee_allowance: None,
        destination,
        environment,
        reserved_at: at(1),
    }
}

fn apply(
    payout: Payout,
    capital: WorkingCapital,
    decision: &PayoutDecision,
) -> (Payout, WorkingCapital) {
    (
        payout.replay(&decision.payout),
        capital.replay(&decision.capital),
    )
}

fn in_flight() -> (Payout, WorkingCapital) {
    let (payout, capital) = (requested("30"), capital("100"));
    let decision = reserve_payout(
        &payout,
        &capital,
        reserve(paypal(), PayoutEnvironment::Production),
    )
    .unwrap();
    apply(payout, capital, &decision)
}

fn confirm() -> ConfirmPayout {
    ConfirmPayout {
        provider_payout_id: ProviderPayoutId::parse("PO-77").unwrap(),
        entry_id: entry_id(6),
        fee: usd("0"),
        fee_entry_id: entry_id(7),
        sent_at: at(2),
    }
}

fn fail(reason: PayoutFailureReason) -> FailPayout {
    FailPayout {
        reason,
        failed_at: at(3),
    }
}

#[test]
fn a_requested_payout_is_pending() {
    let payout = requested("30");
    assert_eq!(payout.status(), Some(PayoutStatus::Pending));
    assert_eq!(payout.amount(), Some(usd("30")));
    assert_eq!(payout.payee(), Some(seller()));
    assert_eq!(
        Payout::stream_id(payout_id(1)),
        format!("payout-{}", uuid(1))
    );
}

#[test]
fn a_payout_of_nothing_or_requested_twice_is_refused() {
    let request = |amount: &str| PayoutCommand::RequestPayout {
        payout_id: payout_id(1),
        sale_id: SaleId::from_uuid(uuid(2)),
        payee: Payee::Admin,
        amount: usd(amount),
        requested_at: at(0),
    };
    assert_eq!(
        Payout::default().decide(request("0")),
        Err(PayoutError::NonPositiveAmount(usd("0")))
    );
    assert_eq!(
        requested("1").decide(request("1")),
        Err(PayoutError::AlreadyExists)
    );
}

#[test]
fn a_payout_covered_by_free_cash_is_reserved_with_a_hold_on_the_payable() {
    let (payout, capital) = (requested("30"), capital("100"));
    let decision = reserve_payout(
        &payout,
        &capital,
        reserve(paypal(), PayoutEnvironment::Production),
    )
    .unwrap();
    assert_eq!(decision.payout[0].event_type(), "PayoutReserved");
    let [CapitalEvent::HoldPlaced { hold, .. }] = decision.capital.as_slice() else {
        panic!("unexpected {decision:?}")
    };
    assert_eq!(hold.debit(), Account::PayableToUser(user_id(100)));
    let (payout, capital) = apply(payout, capital, &decision);
    assert_eq!(payout.status(), Some(PayoutStatus::Pending));
    assert_eq!(payout.hold_in_flight(), Some(hold_id(5)));
    assert_eq!(capital.free(), usd("70"));
}

#[test]
fn a_payout_not_covered_by_free_cash_is_skipped_and_can_be_retried() {
    let (payout, capital) = (requested("30"), capital("29.99"));
    let decision = reserve_payout(
        &payout,
        &capital,
        reserve(paypal(), PayoutEnvironment::Production),
    )
    .unwrap();
    assert!(decision.capital.is_empty());
    assert_eq!(
        decision.payout,
        vec![PayoutEvent::PayoutSkippedInsufficientFunds {
            free: usd("29.99"),
            skipped_at: at(1)
        }]
    );
    let (payout, _) = apply(payout, capital, &decision);
    assert_eq!(
        payout.status(),
        Some(PayoutStatus::SkippedInsufficientFunds)
    );
    assert_eq!(
        PayoutStatus::SkippedInsufficientFunds.as_str(),
        "PAYOUT_SKIPPED_INSUFFICIENT_FUNDS"
    );
    let richer = self::capital("30");
    let retry = reserve_payout(
        &payout,
        &richer,
        reserve(paypal(), PayoutEnvironment::Production),
    )
    .unwrap();
    assert_eq!(retry.capital.len(), 1);
}

#[test]
fn a_missing_payout_email_in_production_fails_the_payout() {
    let (payout, capital) = (requested("30"), capital("100"));
    let decision = reserve_payout(
        &payout,
        &capital,
        reserve(None, PayoutEnvironment::Production),
    )
    .unwrap();
    assert!(decision.capital.is_empty());
    let (payout, _) = apply(payout, capital, &decision);
    assert_eq!(payout.status(), Some(PayoutStatus::Failed));
    assert_eq!(
        payout.failure_reason(),
        Some(PayoutFailureReason::MissingPayoutEmail)
    );
}

#[test]
fn a_missing_payout_email_in_the_sandbox_is_refused_without_recording_anything() {
    let refusal = reserve_payout(
        &requested("30"),
        &capital("100"),
        reserve(None, PayoutEnvironment::Sandbox),
    )
    .unwrap_err();
    assert_eq!(refusal, PayoutError::MissingDestination);
    assert_eq!(refusal.code(), "INVALID_INPUT");
}

#[test]
fn provider_confirmation_sends_the_payout_and_posts_the_hold_in_full() {
    let (payout, capital) = in_flight();
    let decision = confirm_payout(&payout, &capital, confirm()).unwrap();
    let [CapitalEvent::HoldPosted {
        released, entry, ..
    }] = decision.capital.as_slice()
    else {
        panic!("unexpected {decision:?}")
    };
    assert!(released.is_zero());
    assert_eq!(
        entry.net_for(Account::PayableToUser(user_id(100)), Currency::Usd),
        usd("30").amount()
    );
    let (payout, capital) = apply(payout, capital, &decision);
    assert_eq!(payout.status(), Some(PayoutStatus::Sent));
    assert_eq!(payout.provider_payout_id().unwrap().as_str(), "PO-77");
    assert_eq!(capital.available(), usd("70"));
    assert_eq!(capital.free(), usd("70"));
}

#[test]
fn a_provider_failure_or_return_voids_the_hold_and_the_payout_can_be_retried() {
    for reason in [
        PayoutFailureReason::ProviderRejected,
        PayoutFailureReason::Returned,
    ] {
        let (payout, capital) = in_flight();
        let decision = fail_payout(&payout, &capital, fail(reason)).unwrap();
        assert_eq!(decision.capital[0].event_type(), "HoldVoided");
        let (payout, capital) = apply(payout, capital, &decision);
        assert_eq!(payout.status(), Some(PayoutStatus::Failed));
        assert_eq!(capital.free(), usd("100"));
        assert!(reserve_payout(
            &payout,
            &capital,
            reserve(paypal(), PayoutEnvironment::Production)
        )
        .is_ok());
    }
}

#[test]
fn a_payout_in_flight_cannot_be_reserved_again() {
    let (payout, capital) = in_flight();
    assert_eq!(
        reserve_payout(
            &payout,
            &capital,
            reserve(paypal(), PayoutEnvironment::Production)
        ),
        Err(PayoutError::InvalidTransition {
            action: "reserve",
            status: PayoutStatus::Pending,
            in_flight: true
        })
    );
}

#[test]
fn a_sent_payout_cannot_be_reserved_confirmed_or_failed_again() {
    let (payout, capital) = in_flight();
    let decision = confirm_payout(&payout, &capital, confirm()).unwrap();
    let (payout, capital) = apply(payout, capital, &decision);
    let invalid = |action| PayoutError::InvalidTransition {
        action,
        status: PayoutStatus::Sent,
        in_flight: false,
    };
    assert_eq!(
        reserve_payout(
            &payout,
            &capital,
            reserve(paypal(), PayoutEnvironment::Production)
        ),
        Err(invalid("reserve"))
    );
    assert_eq!(
        confirm_payout(&payout, &capital, confirm()),
        Err(invalid("confirm"))
    );
    assert_eq!(
        fail_payout(&payout, &capital, fail(PayoutFailureReason::Returned)),
        Err(invalid("fail"))
    );
}

#[test]
fn confirming_or_failing_a_payout_not_in_flight_is_refused() {
    let (payout, capital) = (requested("30"), capital("100"));
    assert!(matches!(
        confirm_payout(&payout, &capital, confirm()),
        Err(PayoutError::InvalidTransition {
            action: "confirm",
            ..
        })
    ));
    assert!(matches!(
        fail_payout(
            &payout,
            &capital,
            fail(PayoutFailureReason::ProviderRejected)
        ),
        Err(PayoutError::InvalidTransition { action: "fail", .. })
    ));
    assert_eq!(
        confirm_payout(&Payout::default(), &capital, confirm()),
        Err(PayoutError::NotFound)
    );
}

#[test]
fn a_payout_in_another_currency_than_the_capital_is_refused() {
    let euros = WorkingCapital::new(Currency::Eur);
    assert_eq!(
        reserve_payout(
            &requested("30"),
            &euros,
            reserve(paypal(), PayoutEnvironment::Production)
        ),
        Err(PayoutError::Capital(CapitalError::WrongCurrency {
            expected: Currency::Eur,
            got: Currency::Usd
        }))
    );
}

#[test]
fn the_admin_payee_is_owed_through_the_admin_payable() {
    assert_eq!(Payee::Admin.payable_account(), Account::PayableToAdmin);
}
