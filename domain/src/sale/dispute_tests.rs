//! Disputes of the worked example's sold order (25.00, supplier 10.00,
//! fee 1.20, commission 3.00, net profit 10.80): PayPal's hold, the
//! payouts paused, and the outcome — released when won, refunded with the
//! chargeback fee borne by the seller when lost.

use super::*;
use crate::ids::ProviderDisputeId;
use crate::order::{DisputeAnswer, DisputeOutcome, OpenDispute, OrderCommand, ResolveDispute};
use crate::payout::{PayoutCommand, PayoutEnvironment, PayoutError, ReservePayout};

fn dispute_id() -> ProviderDisputeId {
    ProviderDisputeId::parse("PP-D-1").unwrap()
}

impl World {
    fn open(&mut self, amount: &str) -> DisputeDecision {
        let decision = open_dispute(
            &self.order,
            &self.capital,
            &self.payouts,
            OpenDispute {
                dispute_id: dispute_id(),
                amount: usd(amount),
                reason: "MERCHANDISE_OR_SERVICE_NOT_RECEIVED".to_owned(),
                opened_at: at(10),
            },
        )
        .unwrap();
        self.apply(&decision);
        decision
    }

    fn resolve(&mut self, outcome: DisputeOutcome, fee: &str) -> DisputeDecision {
        let decision = resolve_dispute(
            &self.order,
            &self.capital,
            &self.sale,
            &self.payouts,
            &self.receivables,
            ResolveDispute {
                dispute_id: dispute_id(),
                outcome,
                chargeback_fee: usd(fee),
                resolved_at: at(20),
            },
        )
        .unwrap();
        self.apply(&decision);
        decision
    }
}

#[test]
fn an_opened_dispute_moves_the_amount_to_disputed_cash_and_pauses_the_unsent_payouts() {
    let mut world = sold();
    world.open("25");
    assert_eq!(world.posted(Account::CashAvailable), usd("75").amount());
    assert_eq!(world.posted(Account::CashDisputed), usd("25").amount());
    assert_eq!(world.capital.disputed(), usd("25"));
    assert!(world.payouts.iter().all(Payout::is_paused));
    assert_eq!(world.order.disputed(), Some(usd("25")));
    assert!(world.balanced());
}

#[test]
fn a_dispute_reported_twice_is_recorded_once() {
    let mut world = sold();
    world.open("25");
    let again = world.open("25");
    assert_eq!(again, DisputeDecision::default());
    assert_eq!(world.posted(Account::CashDisputed), usd("25").amount());
}

#[test]
fn a_paused_payout_is_not_reserved_until_the_dispute_is_resolved() {
    let mut world = sold();
    world.open("25");
    let refused = world
        .payout(seller())
        .decide(PayoutCommand::ReservePayout(ReservePayout {
            hold_id: hold_id(71),
            fee_allowance: None,
            destination: None,
            environment: PayoutEnvironment::Sandbox,
            reserved_at: at(11),
        }));
    assert_eq!(refused, Err(PayoutError::PausedByDispute(dispute_id())));
}

#[test]
fn a_dispute_won_releases_the_funds_and_the_payouts_pay_in_full() {
    let mut world = sold();
    world.open("25");
    world.resolve(DisputeOutcome::Won, "0");
    assert_eq!(world.posted(Account::CashAvailable), usd("100").amount());
    assert_eq!(world.posted(Account::CashDisputed), usd("0").amount());
    assert!(world.payouts.iter().all(|payout| !payout.is_paused()));
    assert_eq!(world.payout(seller()).amount(), Some(usd("10.80")));
    assert_eq!(world.payout(Payee::Admin).amount(), Some(usd("3")));
    assert_eq!(world.order.status(), Some(OrderStatus::Purchased));
    assert!(world.balanced());
}

#[test]
fn a_dispute_lost_before_the_payouts_cancels_them_and_the_seller_owes_the_rest_and_the_fee() {
    let mut world = sold();
    world.open("25");
    world.resolve(DisputeOutcome::Lost, "20");
    assert_eq!(world.order.status(), Some(OrderStatus::Refunded));
    assert_eq!(
        world.payout(Payee::Admin).status(),
        Some(PayoutStatus::Cancelled)
    );
    assert_eq!(
        world.payout(seller()).status(),
        Some(PayoutStatus::Cancelled)
    );
    // The seller: 25 − 3 commission + 20 fee = 42, of which their 10.80
    // payout covers 10.80; 31.20 is owed back.
    assert_eq!(world.owed(seller()), usd("31.20"));
    assert_eq!(world.owed(Payee::Admin), usd("0"));
    assert_eq!(world.posted(Account::SalesRefunds), usd("25").amount());
    assert_eq!(world.posted(Account::ChargebackFees), usd("20").amount());
    assert_eq!(world.posted(Account::CashDisputed), usd("0").amount());
    // The seed's 100 less the 25 the customer got back and PayPal's 20
    // (these books hold no capture, as in the refund tests).
    assert_eq!(world.posted(Account::CashAvailable), usd("55").amount());
    assert_eq!(world.posted(Account::SellerShare), usd("-31.20").amount());
    assert!(world.balanced());
}

#[test]
fn a_dispute_lost_after_the_payouts_is_owed_back_by_both_payees() {
    let mut world = sold();
    world.send_payouts();
    world.open("10");
    world.resolve(DisputeOutcome::Lost, "15");
    // Commission 3.00 × 10 / 25 = 1.20; the seller 10 − 1.20 + 15 = 23.80.
    assert_eq!(world.owed(Payee::Admin), usd("1.20"));
    assert_eq!(world.owed(seller()), usd("23.80"));
    assert_eq!(world.order.status(), Some(OrderStatus::Purchased));
    assert_eq!(world.order.refunded(), Some(usd("10")));
    assert!(world.balanced());
}

#[test]
fn a_dispute_resolved_twice_is_recorded_once() {
    let mut world = sold();
    world.open("25");
    world.resolve(DisputeOutcome::Won, "0");
    let again = world.resolve(DisputeOutcome::Won, "0");
    assert_eq!(again, DisputeDecision::default());
}

#[test]
fn a_dispute_above_what_is_left_of_the_order_is_refused() {
    let mut world = sold();
    world.refund("20", "R1");
    let refused = world.order.decide(OrderCommand::OpenDispute(OpenDispute {
        dispute_id: dispute_id(),
        amount: usd("10"),
        reason: "OTHER".to_owned(),
        opened_at: at(10),
    }));
    assert_eq!(refused.map_err(|error| error.code()), Err("INVALID_INPUT"));
}

#[test]
fn an_open_dispute_leaves_only_the_rest_of_the_order_to_refund() {
    let mut world = sold();
    world.open("20");
    assert_eq!(
        world.ask("10").map_err(|error| error.code()),
        Err("REFUND_EXCEEDS_REFUNDABLE")
    );
    assert!(world.ask("5").is_ok());
}

fn answer(
    world: &World,
    answer: DisputeAnswer,
) -> Result<Vec<crate::order::OrderEvent>, OrderError> {
    world.order.decide(OrderCommand::AnswerDispute {
        dispute_id: dispute_id(),
        answer,
        answered_at: at(12),
    })
}

#[test]
fn answering_an_unknown_dispute_is_refused() {
    let world = sold();
    assert_eq!(
        answer(&world, DisputeAnswer::Accept),
        Err(OrderError::DisputeNotFound(dispute_id()))
    );
}

#[test]
fn answering_a_dispute_twice_is_refused() {
    let mut world = sold();
    world.open("25");
    let answered = answer(&world, DisputeAnswer::Accept).unwrap();
    world.order = world.order.clone().replay(&answered);
    assert_eq!(
        answer(&world, DisputeAnswer::Accept),
        Err(OrderError::DisputeAnswered(dispute_id()))
    );
}

#[test]
fn answering_a_resolved_dispute_is_refused() {
    let mut world = sold();
    world.open("25");
    world.resolve(DisputeOutcome::Won, "0");
    assert_eq!(
        answer(&world, DisputeAnswer::Accept),
        Err(OrderError::DisputeResolved(dispute_id()))
    );
}

#[test]
fn evidence_needs_the_tracking_number_uploaded() {
    let mut world = sold();
    world.open("25");
    assert_eq!(
        answer(&world, DisputeAnswer::ProvideEvidence),
        Err(OrderError::NoEvidence)
    );
}
