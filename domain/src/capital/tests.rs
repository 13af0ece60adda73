use super::*;
use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::ids::Reference;
use crate::ledger::{Account, LedgerError};
use crate::money::Currency;
use crate::payout::Payee;
use crate::testkit::*;
use rust_decimal::Decimal;

fn given(events: &[CapitalEvent]) -> WorkingCapital {
    WorkingCapital::new(Currency::Usd).replay(events)
}

fn decide_ok(state: &WorkingCapital, command: CapitalCommand) -> Vec<CapitalEvent> {
    state.decide(command).expect("command accepted")
}

fn contribute(n: u128, amount: &str) -> CapitalCommand {
    CapitalCommand::ContributeCapital {
        entry_id: entry_id(n),
        amount: usd(amount),
        reference: Reference::parse("bank transfer").unwrap(),
        effective_at: at(0),
    }
}

fn funded(amount: &str) -> (WorkingCapital, Vec<CapitalEvent>) {
    let events = decide_ok(&WorkingCapital::new(Currency::Usd), contribute(1, amount));
    (given(&events), events)
}

fn purchase_hold(n: u128, amount: &str) -> CapitalCommand {
    CapitalCommand::PlaceHold {
        hold_id: hold_id(n),
        purpose: HoldPurpose::Purchase {
            order_id: order_id(n),
        },
        amount: usd(amount),
        effective_at: at(1),
    }
}

fn receive(capture: &str, gross: &str, fee: &str, status: CaptureStatus) -> CapitalCommand {
    CapitalCommand::ReceivePayment {
        entry_id: entry_id(50),
        order_id: order_id(9),
        capture_id: capture_id(capture),
        gross: usd(gross),
        fee: usd(fee),
        status,
        effective_at: at(2),
    }
}

#[test]
fn the_stream_of_working_capital_is_named_by_currency() {
    assert_eq!(WorkingCapital::stream_id(Currency::Usd), "capital-USD");
    assert_eq!(WorkingCapital::stream_id(Currency::Eur), "capital-EUR");
}

#[test]
fn a_contribution_makes_cash_available_and_credits_owner_capital() {
    let (state, events) = funded("100");
    assert_eq!(events[0].event_type(), "CapitalContributed");
    assert_eq!(state.available(), usd("100"));
    assert_eq!(state.free(), usd("100"));
    let CapitalEvent::CapitalContributed { entry, .. } = &events[0] else {
        panic!("unexpected {events:?}")
    };
    assert_eq!(
        entry.net_for(Account::OwnerCapital, Currency::Usd),
        -usd("100").amount()
    );
}

#[test]
fn a_contribution_in_another_currency_or_of_nothing_is_refused() {
    let state = WorkingCapital::new(Currency::Usd);
    let mut command = contribute(1, "1");
    if let CapitalCommand::ContributeCapital { amount, .. } = &mut command {
        *amount = crate::money::Money::parse("1", "EUR").unwrap();
    }
    assert_eq!(
        state.decide(command),
        Err(CapitalError::WrongCurrency {
            expected: Currency::Usd,
            got: Currency::Eur
        })
    );
    assert_eq!(
        state.decide(contribute(1, "0")),
        Err(CapitalError::NonPositiveAmount(usd("0")))
    );
}

#[test]
fn a_pending_capture_is_pending_cash_until_completed() {
    let state = WorkingCapital::new(Currency::Usd);
    let received = decide_ok(
        &state,
        receive("CAP-1", "50", "1.75", CaptureStatus::Pending),
    );
    let state = given(&received);
    assert_eq!(state.pending(), usd("48.25"));
    assert_eq!(state.available(), usd("0"));
    assert_eq!(state.free(), usd("0"));

    let completed = decide_ok(
        &state,
        CapitalCommand::CompleteCapture {
            entry_id: entry_id(51),
            capture_id: capture_id("CAP-1"),
            effective_at: at(3),
        },
    );
    assert_eq!(completed[0].event_type(), "CaptureCompleted");
    let state = state.replay(&completed);
    assert_eq!(state.pending(), usd("0"));
    assert_eq!(state.available(), usd("48.25"));
}

#[test]
fn a_completed_capture_is_available_at_once() {
    let state = WorkingCapital::new(Currency::Usd);
    let events = decide_ok(
        &state,
        receive("CAP-1", "50", "0", CaptureStatus::Completed),
    );
    let CapitalEvent::PaymentReceived { entry, .. } = &events[0] else {
        panic!("unexpected {events:?}")
    };
    assert_eq!(entry.postings().len(), 2, "a zero fee gets no leg");
    assert_eq!(given(&events).available(), usd("50"));
}

#[test]
fn completing_an_unknown_capture_is_refused() {
    let state = WorkingCapital::new(Currency::Usd);
    let result = state.decide(CapitalCommand::CompleteCapture {
        entry_id: entry_id(1),
        capture_id: capture_id("nope"),
        effective_at: at(0),
    });
    assert_eq!(
        result,
        Err(CapitalError::UnknownCapture(capture_id("nope")))
    );
    assert_eq!(result.unwrap_err().code(), "NOT_FOUND");
}

#[test]
fn recording_the_same_pending_capture_twice_is_refused() {
    let state = given(&decide_ok(
        &WorkingCapital::new(Currency::Usd),
        receive("CAP-1", "50", "1", CaptureStatus::Pending),
    ));
    assert_eq!(
        state.decide(receive("CAP-1", "50", "1", CaptureStatus::Pending)),
        Err(CapitalError::DuplicateCapture(capture_id("CAP-1")))
    );
}

#[test]
fn a_fee_that_is_negative_or_eats_the_whole_payment_is_refused() {
    let state = WorkingCapital::new(Currency::Usd);
    for fee in ["-1", "50", "60"] {
        assert_eq!(
            state.decide(receive("C", "50", fee, CaptureStatus::Completed)),
            Err(CapitalError::InvalidFee {
                fee: usd(fee),
                gross: usd("50")
            })
        );
    }
}

#[test]
fn a_hold_within_free_capital_is_placed_and_commits_capital() {
    let (state, _) = funded("100");
    let events = decide_ok(&state, purchase_hold(1, "60"));
    assert_eq!(events[0].event_type(), "HoldPlaced");
    let state = state.replay(&events);
    assert_eq!(state.available(), usd("100"));
    assert_eq!(state.committed(), usd("60"));
    assert_eq!(state.free(), usd("40"));
}

#[test]
fn a_hold_beyond_free_capital_is_refused_with_insufficient_funds() {
    let (state, _) = funded("100");
    let placed = decide_ok(&state, purchase_hold(1, "60"));
    let state = state.replay(&placed);
    let refusal = state.decide(purchase_hold(2, "40.01")).unwrap_err();
    assert_eq!(
        refusal,
        CapitalError::InsufficientFunds {
            free: usd("40"),
            requested: usd("40.01")
        }
    );
    assert_eq!(refusal.code(), "INSUFFICIENT_FUNDS");
    assert!(state.decide(purchase_hold(2, "40")).is_ok());
}

#[test]
fn a_hold_id_cannot_be_reused_while_open() {
    let (state, _) = funded("100");
    let placed = decide_ok(&state, purchase_hold(1, "10"));
    let state = state.replay(&placed);
    assert_eq!(
        state.decide(purchase_hold(1, "10")),
        Err(CapitalError::DuplicateHold(hold_id(1)))
    );
}

#[test]
fn posting_a_hold_for_less_spends_that_much_and_releases_the_rest() {
    let (state, _) = funded("100");
    let placed = decide_ok(&state, purchase_hold(1, "60"));
    let state = state.replay(&placed);
    let events = decide_ok(
        &state,
        CapitalCommand::PostHold {
            hold_id: hold_id(1),
            entry_id: entry_id(2),
            amount: usd("55"),
            effective_at: at(5),
        },
    );
    let CapitalEvent::HoldPosted {
        released, entry, ..
    } = &events[0]
    else {
        panic!("unexpected {events:?}")
    };
    assert_eq!(*released, usd("5"));
    assert_eq!(
        entry.net_for(Account::GoodsInTransit, Currency::Usd),
        usd("55").amount()
    );
    let state = state.replay(&events);
    assert_eq!(state.available(), usd("45"));
    assert_eq!(state.committed(), usd("0"));
    assert_eq!(state.free(), usd("45"));
}

#[test]
fn posting_more_than_the_hold_is_refused() {
    let (state, _) = funded("100");
    let placed = decide_ok(&state, purchase_hold(1, "60"));
    let state = state.replay(&placed);
    let result = state.decide(CapitalCommand::PostHold {
        hold_id: hold_id(1),
        entry_id: entry_id(2),
        amount: usd("60.01"),
        effective_at: at(5),
    });
    assert_eq!(
        result,
        Err(CapitalError::Ledger(LedgerError::HoldExceeded {
            hold: hold_id(1),
            held: usd("60"),
            requested: usd("60.01")
        }))
    );
}

#[test]
fn voiding_a_hold_frees_all_of_it_and_moves_no_cash() {
    let (state, _) = funded("100");
    let placed = decide_ok(&state, purchase_hold(1, "60"));
    let state = state.replay(&placed);
    let events = decide_ok(
        &state,
        CapitalCommand::VoidHold {
            hold_id: hold_id(1),
            effective_at: at(6),
        },
    );
    assert_eq!(events[0].event_type(), "HoldVoided");
    let state = state.replay(&events);
    assert_eq!(state.available(), usd("100"));
    assert_eq!(state.free(), usd("100"));
}

#[test]
fn posting_or_voiding_an_unknown_hold_is_refused() {
    let (state, _) = funded("100");
    assert_eq!(
        state.decide(CapitalCommand::VoidHold {
            hold_id: hold_id(7),
            effective_at: at(6)
        }),
        Err(CapitalError::UnknownHold(hold_id(7)))
    );
    assert_eq!(
        state.decide(CapitalCommand::PostHold {
            hold_id: hold_id(7),
            entry_id: entry_id(2),
            amount: usd("1"),
            effective_at: at(6)
        }),
        Err(CapitalError::UnknownHold(hold_id(7)))
    );
}

#[test]
fn a_payout_hold_debits_the_payees_payable_account_when_posted() {
    let (state, _) = funded("100");
    let purpose = HoldPurpose::Payout {
        payout_id: payout_id(3),
        payee: Payee::User {
            user_id: user_id(4),
        },
    };
    let events = decide_ok(
        &state,
        CapitalCommand::PlaceHold {
            hold_id: hold_id(3),
            purpose,
            amount: usd("20"),
            effective_at: at(1),
        },
    );
    let CapitalEvent::HoldPlaced { hold, .. } = &events[0] else {
        panic!("unexpected {events:?}")
    };
    assert_eq!(hold.debit(), Account::PayableToUser(user_id(4)));
    assert_eq!(hold.credit(), Account::CashAvailable);
}

#[test]
fn a_refund_returning_more_fee_than_was_withheld_is_refused() {
    let completed = decide_ok(
        &WorkingCapital::new(Currency::Usd),
        receive("CAP-1", "50", "1", CaptureStatus::Completed),
    );
    let state = given(&completed);
    let refund = CapitalCommand::RefundPayment {
        entry_id: entry_id(60),
        corrects: entry_id(50),
        order_id: order_id(9),
        capture_id: capture_id("CAP-1"),
        refund_id: crate::ids::ProviderRefundId::parse("RF").unwrap(),
        gross: usd("50"),
        fee: usd("1"),
        fee_returned: usd("1.01"),
        effective_at: at(3),
    };
    assert_eq!(
        state.decide(refund),
        Err(CapitalError::InvalidFeeReturned {
            returned: usd("1.01"),
            fee: usd("1")
        })
    );
}

#[test]
fn every_capital_refusal_has_an_api_code() {
    let cases = [
        (
            CapitalError::InsufficientFunds {
                free: usd("0"),
                requested: usd("1"),
            },
            "INSUFFICIENT_FUNDS",
        ),
        (CapitalError::UnknownHold(hold_id(1)), "NOT_FOUND"),
        (CapitalError::DuplicateHold(hold_id(1)), "ALREADY_EXISTS"),
        (
            CapitalError::CaptureNotCompleted(capture_id("C")),
            "INVALID_STATE",
        ),
        (CapitalError::NonPositiveAmount(usd("0")), "INVALID_INPUT"),
    ];
    for (error, code) in cases {
        assert_eq!(error.code(), code, "{error}");
    }
}

/// Free capital after each event, and the running sum of what the store is
/// told each event does to it, agree: the limit checked at the write is the
/// limit the domain decides on.
#[test]
fn each_event_changes_the_budget_by_what_it_changes_free_capital() {
    let (mut capital, mut events) = funded("100.00");
    for command in [
        receive("P", "30.00", "1.20", CaptureStatus::Pending),
        receive("C", "50.00", "2.00", CaptureStatus::Completed),
        purchase_hold(1, "60.00"),
        purchase_hold(2, "20.00"),
    ] {
        let decided = decide_ok(&capital, command);
        capital = capital.replay(&decided);
        events.extend(decided);
    }
    for command in [
        CapitalCommand::PostHold {
            hold_id: hold_id(1),
            entry_id: entry_id(10),
            amount: usd("55.00"),
            effective_at: at(3),
        },
        CapitalCommand::VoidHold {
            hold_id: hold_id(2),
            effective_at: at(3),
        },
        CapitalCommand::CompleteCapture {
            entry_id: entry_id(11),
            capture_id: capture_id("P"),
            effective_at: at(3),
        },
    ] {
        let decided = decide_ok(&capital, command);
        capital = capital.replay(&decided);
        events.extend(decided);
    }

    let mut state = WorkingCapital::new(Currency::Usd);
    let mut budget = Decimal::ZERO;
    for event in &events {
        let before = state.free().amount();
        state = state.evolve(event);
        let change = event
            .budget_change()
            .expect("every capital event moves the budget");
        assert_eq!(change, state.free().amount() - before, "{event:?}");
        budget += change;
    }
    assert_eq!(budget, capital.free().amount());
    // 100.00 contributed + 48.00 and 28.80 of net payments − 55.00 spent.
    assert_eq!(capital.free(), usd("121.80"));
}
