use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use serde_json::json;

use super::*;
use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::codec::{decode_event, encode_event, DecodeError};
use crate::money::{Currency, Money};
use crate::testkit::*;

fn stream() -> ReconciliationStream {
    ReconciliationStream::new(CashProvider::PayPal, Currency::Usd)
}

fn reported(as_of: DateTime<Utc>, available: &str, withheld: &str) -> ProviderCashBalance {
    let (available, withheld) = (usd(available), usd(withheld));
    ProviderCashBalance {
        as_of_time: as_of,
        total: available.checked_add(withheld).unwrap(),
        available,
        withheld,
    }
}

fn ledger(available: &str, pending: &str) -> LedgerCash {
    LedgerCash {
        available: usd(available),
        pending: usd(pending),
        position: 42,
    }
}

fn reconcile(reported: ProviderCashBalance, ledger: LedgerCash) -> ReconciliationCommand {
    ReconciliationCommand::ReconcileCash {
        reported,
        ledger,
        checked_at: at(30),
    }
}

#[test]
fn the_stream_id_names_the_provider_and_currency_and_parses_back() {
    assert_eq!(stream().stream_id(), "reconciliation-paypal-USD");
    assert_eq!(
        ReconciliationStream::parse("reconciliation-paypal-USD"),
        Ok(stream())
    );
    for text in [
        "reconciliation-paypal-usd",
        "reconciliation-PAYPAL-USD",
        "reconciliation-payoneer-USD",
        "reconciliation-paypal",
        "reconciliation-paypal-XYZ",
        "capital-USD",
    ] {
        assert!(
            ReconciliationStream::parse(text).is_err(),
            "{text:?} was accepted"
        );
    }
}

#[test]
fn balances_that_agree_figure_by_figure_are_reconciled() {
    let state = CashReconciliation::new(stream());
    let events = state
        .decide(reconcile(
            reported(at(0), "100.00", "20.00"),
            ledger("100.00", "20.00"),
        ))
        .unwrap();
    assert_eq!(
        events,
        vec![ReconciliationEvent::CashReconciled {
            provider: CashProvider::PayPal,
            currency: Currency::Usd,
            reported: reported(at(0), "100.00", "20.00"),
            ledger: ledger("100.00", "20.00"),
            checked_at: at(30),
        }]
    );
    assert!(events[0].difference().is_zero());
}

#[test]
fn a_fee_the_ledger_does_not_know_is_a_negative_difference_for_review() {
    let state = CashReconciliation::new(stream());
    let events = state
        .decide(reconcile(
            reported(at(0), "98.75", "20.00"),
            ledger("100.00", "20.00"),
        ))
        .unwrap();
    let [ReconciliationEvent::CashDifferenceFound { difference, .. }] = events.as_slice() else {
        panic!("expected a difference, got {events:?}");
    };
    assert_eq!(
        *difference,
        CashDifference {
            total: usd("-1.25"),
            available: usd("-1.25"),
            pending: usd("0.00"),
        }
    );
}

#[test]
fn a_capture_completed_at_paypal_but_not_yet_in_the_ledger_differs_in_its_split_only() {
    let state = CashReconciliation::new(stream());
    let events = state
        .decide(reconcile(
            reported(at(0), "120.00", "0.00"),
            ledger("100.00", "20.00"),
        ))
        .unwrap();
    assert_eq!(
        events[0].difference(),
        CashDifference {
            total: usd("0.00"),
            available: usd("20.00"),
            pending: usd("-20.00"),
        }
    );
}

#[test]
fn the_same_provider_snapshot_is_recorded_once_whatever_the_ledger_says_meanwhile() {
    let snapshot = reported(at(0), "98.75", "0.00");
    let state = CashReconciliation::new(stream());
    let events = state
        .decide(reconcile(snapshot, ledger("100.00", "0.00")))
        .unwrap();
    let state = state.replay(&events);
    assert_eq!(state.recorded(), 1);
    assert_eq!(
        state.decide(reconcile(snapshot, ledger("100.00", "0.00"))),
        Ok(vec![])
    );
    assert_eq!(
        state.decide(reconcile(snapshot, ledger("98.75", "0.00"))),
        Ok(vec![])
    );
}

#[test]
fn a_new_snapshot_is_recorded_and_a_revision_at_the_same_time_too_but_an_older_one_is_refused() {
    let first = reported(at(10), "100.00", "0.00");
    let state = CashReconciliation::new(stream());
    let events = state
        .decide(reconcile(first, ledger("100.00", "0.00")))
        .unwrap();
    let state = state.replay(&events);

    let revised = reported(at(10), "99.00", "0.00");
    let events = state
        .decide(reconcile(revised, ledger("100.00", "0.00")))
        .unwrap();
    assert_eq!(events.len(), 1);
    let state = state.replay(&events);
    assert_eq!(
        state.decide(reconcile(first, ledger("100.00", "0.00"))),
        Ok(vec![])
    );

    let later = reported(at(20), "100.00", "0.00");
    assert_eq!(
        state
            .decide(reconcile(later, ledger("100.00", "0.00")))
            .unwrap()
            .len(),
        1
    );

    let older = reported(at(5), "100.00", "0.00");
    let refused = state
        .decide(reconcile(older, ledger("100.00", "0.00")))
        .unwrap_err();
    assert_eq!(
        refused,
        ReconciliationError::StaleSnapshot {
            as_of_time: at(5),
            latest: at(10)
        }
    );
    assert_eq!(refused.code(), "STALE_SNAPSHOT");
}

#[test]
fn amounts_in_another_currency_are_refused() {
    let state = CashReconciliation::new(stream());
    let mut euros = ledger("100.00", "0.00");
    euros.pending = Money::parse("0.00", "EUR").unwrap();
    let refused = state
        .decide(reconcile(reported(at(0), "100.00", "0.00"), euros))
        .unwrap_err();
    assert!(matches!(
        refused,
        ReconciliationError::CurrencyMismatch {
            found: Currency::Eur,
            ..
        }
    ));
    assert_eq!(refused.code(), "INVALID_INPUT");
}

#[test]
fn reconciliation_events_move_no_money_and_decode_to_themselves() {
    let state = CashReconciliation::new(stream());
    for (available, pending) in [("100.00", "0.00"), ("80.00", "0.00")] {
        let events = state
            .decide(reconcile(
                reported(at(0), "100.00", "0.00"),
                ledger(available, pending),
            ))
            .unwrap();
        let encoded = encode_event(&events[0]);
        assert!(events[0].ledger_effect().is_none());
        let decoded: ReconciliationEvent =
            decode_event(encoded.event_type, encoded.schema_version, encoded.payload).unwrap();
        assert_eq!(decoded, events[0]);
    }
}

#[test]
fn a_stored_difference_that_does_not_follow_from_its_figures_is_refused() {
    let state = CashReconciliation::new(stream());
    let events = state
        .decide(reconcile(
            reported(at(0), "100.00", "0.00"),
            ledger("80.00", "0.00"),
        ))
        .unwrap();
    let mut payload = encode_event(&events[0]).payload;
    payload["difference"]["total"] = json!({"amount": "25.00", "currency": "USD"});
    assert!(matches!(
        decode_event::<ReconciliationEvent>("CashDifferenceFound", 1, payload),
        Err(DecodeError::Invalid { .. })
    ));

    let matched = state
        .decide(reconcile(
            reported(at(0), "100.00", "0.00"),
            ledger("100.00", "0.00"),
        ))
        .unwrap();
    let mut payload = encode_event(&matched[0]).payload;
    payload["ledger"]["available"] = json!({"amount": "90.00", "currency": "USD"});
    assert!(matches!(
        decode_event::<ReconciliationEvent>("CashReconciled", 1, payload),
        Err(DecodeError::Invalid { .. })
    ));
}

fn cents() -> impl Strategy<Value = i64> {
    0i64..10_000_000
}

proptest! {
    /// Whatever the figures: the difference is provider minus ledger, the
    /// event is `CashReconciled` exactly when it is zero, it survives the
    /// store, and the same snapshot is never recorded twice.
    #[test]
    fn the_difference_is_provider_minus_ledger_and_each_snapshot_is_recorded_once(
        provider_available in cents(),
        provider_withheld in cents(),
        ledger_available in cents(),
        ledger_pending in cents(),
        minutes in 0i64..10_000,
    ) {
        let money = |cents: i64| Money::from_minor_units(cents, Currency::Usd).unwrap();
        let reported = ProviderCashBalance {
            as_of_time: at(0) + Duration::minutes(minutes),
            total: money(provider_available + provider_withheld),
            available: money(provider_available),
            withheld: money(provider_withheld),
        };
        let ledger = LedgerCash {
            available: money(ledger_available),
            pending: money(ledger_pending),
            position: 7,
        };
        let state = CashReconciliation::new(stream());
        let events = state.decide(reconcile(reported, ledger)).unwrap();
        prop_assert_eq!(events.len(), 1);
        let difference = events[0].difference();
        prop_assert_eq!(
            difference.total,
            money(provider_available + provider_withheld - ledger_available - ledger_pending)
        );
        prop_assert_eq!(difference.available, money(provider_available - ledger_available));
        prop_assert_eq!(difference.pending, money(provider_withheld - ledger_pending));
        let matched = provider_available == ledger_available && provider_withheld == ledger_pending;
        prop_assert_eq!(
            matches!(events[0], ReconciliationEvent::CashReconciled { .. }),
            matched
        );
        let encoded = encode_event(&events[0]);
        let decoded: ReconciliationEvent =
            decode_event(encoded.event_type, encoded.schema_version, encoded.payload).unwrap();
        prop_assert_eq!(&decoded, &events[0]);
        let state = state.replay(&[decoded]);
        prop_assert_eq!(state.decide(reconcile(reported, ledger)), Ok(vec![]));
    }
}
