use super::*;
use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::ids::{PayoutId, SaleId};
use crate::ledger::{Account, Balances, LedgerEffect};
use crate::money::{Currency, Percentage};
use crate::order::{OrderError, OrderEvent, OrderStatus, ReviewReason};
use crate::payout::{Payee, PayoutEvent};
use crate::testkit::*;

fn command(rate: &str) -> RecordOrderSale {
    RecordOrderSale {
        sale_id: SaleId::from_uuid(uuid(40)),
        commission_rate: Percentage::parse(rate).unwrap(),
        entry_id: entry_id(41),
        admin_payout_id: payout_id(42),
        seller_payout_id: payout_id(43),
        effective_at: at(5),
    }
}

fn recorded(rate: &str) -> SaleDecision {
    record_sale(
        &purchased_order("25", "10", "1.20"),
        &Sale::default(),
        command(rate),
    )
    .unwrap()
}

#[test]
fn recording_a_sale_splits_the_price_and_marks_the_order_sold() {
    let decision = recorded("20");
    assert_eq!(decision.refused, None);
    assert_eq!(decision.sale[0].event_type(), "SaleRecorded");
    assert!(matches!(
        decision.order.as_slice(),
        [OrderEvent::OrderSaleRecorded { .. }]
    ));
    let sale = Sale::default().replay(&decision.sale);
    let breakdown = sale.breakdown().unwrap();
    assert_eq!(breakdown.commission(), usd("3"));
    assert_eq!(breakdown.net_profit(), usd("10.80"));
    assert_eq!(sale.seller(), Some(user_id(100)));
    assert_eq!(sale.order_id(), Some(order_id(1)));
    assert_eq!(
        Sale::stream_id(SaleId::from_uuid(uuid(40))),
        format!("sale-{}", uuid(40))
    );
}

#[test]
fn the_sale_entry_recognises_revenue_expenses_costs_and_owes_the_profit() {
    let decision = recorded("20");
    let SaleEvent::SaleRecorded { entry, .. } = &decision.sale[0] else {
        panic!("not a sale: {:?}", decision.sale)
    };
    let net = |account| entry.net_for(account, Currency::Usd);
    assert_eq!(entry.postings().len(), 10);
    assert_eq!(net(Account::CustomerPrepayments), usd("25").amount());
    assert_eq!(net(Account::SalesRevenue), -usd("25").amount());
    assert_eq!(net(Account::SupplierCost), usd("10").amount());
    assert_eq!(net(Account::GoodsInTransit), -usd("10").amount());
    assert_eq!(net(Account::PaymentFees), usd("1.20").amount());
    assert_eq!(net(Account::PrepaidPaymentFees), -usd("1.20").amount());
    assert_eq!(net(Account::PayableToAdmin), -usd("3").amount());
    assert_eq!(
        net(Account::PayableToUser(user_id(100))),
        -usd("10.80").amount()
    );
    let mut books = Balances::new();
    books.apply(LedgerEffect::Entry(entry)).unwrap();
    assert!(books.trial_balance(Currency::Usd).unwrap().is_balanced());
}

#[test]
fn a_sale_requests_the_commission_and_net_profit_payouts() {
    let decision = recorded("20");
    let requested: Vec<_> = decision
        .payouts
        .iter()
        .map(|(id, events)| match events.as_slice() {
            [PayoutEvent::PayoutRequested { payee, amount, .. }] => (*id, *payee, *amount),
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(
        requested,
        vec![
            (payout_id(42), Payee::Admin, usd("3")),
            (
                payout_id(43),
                Payee::User {
                    user_id: user_id(100)
                },
                usd("10.80")
            ),
        ]
    );
}

#[test]
fn a_zero_commission_sale_has_no_admin_payout_and_no_commission_legs() {
    let decision = recorded("0");
    assert_eq!(decision.payouts.len(), 1);
    let SaleEvent::SaleRecorded {
        entry,
        admin_payout_id,
        ..
    } = &decision.sale[0]
    else {
        panic!("not a sale: {:?}", decision.sale)
    };
    assert_eq!(*admin_payout_id, None);
    assert_eq!(entry.postings().len(), 8);
}

#[test]
fn the_profit_guard_refuses_a_sale_without_net_profit_and_flags_the_order() {
    // 10 − 9 = 1 gross, 20 % → 0.20 commission, 0.80 fee: net profit 0.
    let order = purchased_order("10", "9", "0.80");
    let decision = record_sale(&order, &Sale::default(), command("20")).unwrap();
    assert!(decision.sale.is_empty());
    assert!(decision.payouts.is_empty());
    let Some(SaleError::NonPositiveProfit(breakdown)) = &decision.refused else {
        panic!("unexpected {decision:?}")
    };
    assert_eq!(breakdown.net_profit(), usd("0"));
    assert_eq!(
        decision.order,
        vec![OrderEvent::OrderFlaggedForReview {
            reason: ReviewReason::NonPositiveProfit {
                net_profit: usd("0")
            },
            flagged_at: at(5)
        }]
    );
    assert_eq!(decision.refused.unwrap().code(), "NON_POSITIVE_PROFIT");
}

#[test]
fn the_sale_aggregate_itself_refuses_a_loss() {
    let terms = purchased_order("10", "9.50", "0.60").sale_terms().unwrap();
    let result = Sale::default().decide(SaleCommand::RecordSale(RecordSale {
        sale_id: SaleId::from_uuid(uuid(40)),
        terms,
        commission_rate: Percentage::parse("10").unwrap(),
        entry_id: entry_id(41),
        admin_payout_id: payout_id(42),
        seller_payout_id: payout_id(43),
        effective_at: at(5),
    }));
    let Err(SaleError::NonPositiveProfit(breakdown)) = result else {
        panic!("unexpected {result:?}")
    };
    assert_eq!(breakdown.net_profit(), usd("-0.15"));
}

#[test]
fn a_sale_cannot_be_recorded_twice() {
    let decision = recorded("20");
    let sale = Sale::default().replay(&decision.sale);
    let order = purchased_order("25", "10", "1.20").replay(&decision.order);
    assert_eq!(
        record_sale(&order, &sale, command("20")),
        Err(SaleError::Order(OrderError::AlreadySold(
            SaleId::from_uuid(uuid(40))
        )))
    );
    let fresh_order = purchased_order("25", "10", "1.20");
    assert_eq!(
        record_sale(&fresh_order, &sale, command("20")),
        Err(SaleError::AlreadyRecorded(SaleId::from_uuid(uuid(40))))
    );
}

#[test]
fn an_order_that_is_not_purchased_cannot_be_sold() {
    let result = record_sale(
        &crate::order::Order::default(),
        &Sale::default(),
        command("20"),
    );
    assert_eq!(result, Err(SaleError::Order(OrderError::NotFound)));
    let paid = purchased_order("25", "10", "1.20");
    assert_eq!(paid.status(), Some(OrderStatus::Purchased));
}

#[test]
fn payout_ids_are_distinct_streams() {
    let decision = recorded("20");
    let ids: Vec<PayoutId> = decision.payouts.iter().map(|(id, _)| *id).collect();
    assert_eq!(ids, vec![payout_id(42), payout_id(43)]);
}
