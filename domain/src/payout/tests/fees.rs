//! The payout provider's fee: held beside the payout, posted for what was charged.

use super::*;

fn with_fee_allowance(amount: &str) -> ReservePayout {
    ReservePayout {
        fee_allowance: Some(FeeAllowance {
            hold_id: hold_id(8),
            amount: usd(amount),
        }),
        ..reserve(paypal(), PayoutEnvironment::Production)
    }
}

#[test]
fn a_fee_allowance_is_held_beside_the_payout_and_counts_against_free_cash() {
    let (payout, capital) = (requested("30"), capital("100"));
    let decision = reserve_payout(&payout, &capital, with_fee_allowance("0.60")).unwrap();
    assert_eq!(decision.capital.len(), 2);
    let (payout, capital) = apply(payout, capital, &decision);
    assert_eq!(capital.free(), usd("69.40"));
    assert_eq!(
        payout.fee_allowance_in_flight().unwrap().amount,
        usd("0.60")
    );

    let (payout, capital) = (requested("30"), self::capital("30.59"));
    let decision = reserve_payout(&payout, &capital, with_fee_allowance("0.60")).unwrap();
    assert!(decision.capital.is_empty(), "both holds or none");
    assert_eq!(
        apply(payout, capital, &decision).0.status(),
        Some(PayoutStatus::SkippedInsufficientFunds)
    );
}

#[test]
fn the_fee_charged_is_posted_to_payout_fees_and_the_rest_of_the_allowance_released() {
    let (payout, capital) = (requested("30"), capital("100"));
    let decision = reserve_payout(&payout, &capital, with_fee_allowance("0.60")).unwrap();
    let (payout, capital) = apply(payout, capital, &decision);
    let mut command = confirm();
    command.fee = usd("0.25");
    let decision = confirm_payout(&payout, &capital, command).unwrap();
    let [CapitalEvent::HoldPosted { .. }, CapitalEvent::HoldPosted {
        released, entry, ..
    }] = decision.capital.as_slice()
    else {
        panic!("unexpected {decision:?}")
    };
    assert_eq!(*released, usd("0.35"));
    assert_eq!(
        entry.net_for(Account::PayoutFees, Currency::Usd),
        usd("0.25").amount()
    );
    let (payout, capital) = apply(payout, capital, &decision);
    assert_eq!(payout.status(), Some(PayoutStatus::Sent));
    assert_eq!(capital.available(), usd("69.75"));
    assert_eq!(capital.free(), usd("69.75"));
}

#[test]
fn a_zero_fee_voids_the_allowance_and_a_failure_voids_both_holds() {
    let (payout, capital) = (requested("30"), capital("100"));
    let decision = reserve_payout(&payout, &capital, with_fee_allowance("0.60")).unwrap();
    let (reserved, capital) = apply(payout, capital, &decision);
    let sent = confirm_payout(&reserved, &capital, confirm()).unwrap();
    assert_eq!(sent.capital[1].event_type(), "HoldVoided");
    let failed = fail_payout(&reserved, &capital, fail(PayoutFailureReason::Returned)).unwrap();
    let types: Vec<_> = failed.capital.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, ["HoldVoided", "HoldVoided"]);
    assert_eq!(apply(reserved, capital, &failed).1.free(), usd("100"));
}

#[test]
fn a_fee_above_the_allowance_or_without_one_is_refused() {
    let (payout, capital) = (requested("30"), capital("100"));
    let decision = reserve_payout(&payout, &capital, with_fee_allowance("0.60")).unwrap();
    let (with_allowance, capital) = apply(payout, capital, &decision);
    let mut command = confirm();
    command.fee = usd("0.61");
    assert_eq!(
        confirm_payout(&with_allowance, &capital, command.clone()),
        Err(PayoutError::FeeExceedsAllowance {
            fee: usd("0.61"),
            allowance: usd("0.60")
        })
    );
    let (without, capital) = in_flight();
    assert_eq!(
        confirm_payout(&without, &capital, command),
        Err(PayoutError::FeeExceedsAllowance {
            fee: usd("0.61"),
            allowance: usd("0")
        })
    );
}

#[test]
fn a_fee_allowance_of_nothing_is_refused() {
    assert_eq!(
        reserve_payout(&requested("30"), &capital("100"), with_fee_allowance("0")),
        Err(PayoutError::InvalidFeeAllowance(usd("0")))
    );
}
