//! What a purchased order offers a sale, flags, statuses and limits.

use super::*;

#[test]
fn only_a_purchased_order_has_sale_terms_and_they_carry_the_real_cost_and_fee() {
    let (order, _) = paid("0");
    assert!(matches!(
        order.sale_terms(),
        Err(OrderError::InvalidTransition { .. })
    ));
    let terms = purchased().sale_terms().unwrap();
    assert_eq!(terms.sale_price, usd("50"));
    assert_eq!(terms.supplier_cost, usd("18.50"));
    assert_eq!(terms.fees, usd("1.20"));
    assert_eq!(terms.seller, user_id(SELLER));
}

#[test]
fn a_sale_is_recorded_on_an_order_only_once() {
    let order = purchased();
    let record = OrderCommand::RecordSale {
        sale_id: SaleId::from_uuid(uuid(40)),
        recorded_at: at(5),
    };
    let events = order.decide(record.clone()).unwrap();
    let order = order.replay(&events);
    assert_eq!(order.sale_id(), Some(SaleId::from_uuid(uuid(40))));
    assert_eq!(
        order.decide(record),
        Err(OrderError::AlreadySold(SaleId::from_uuid(uuid(40))))
    );
}

#[test]
fn only_a_purchased_order_can_be_flagged_for_review() {
    let flag = OrderCommand::FlagForReview {
        reason: ReviewReason::NonPositiveProfit {
            net_profit: Money::zero(Currency::Usd),
        },
        flagged_at: at(5),
    };
    assert!(created(1).decide(flag.clone()).is_err());
    let order = purchased();
    let events = order.decide(flag).unwrap();
    assert!(order.replay(&events).review_reason().is_some());
}

#[test]
fn order_statuses_have_their_api_names() {
    let names: Vec<_> = [
        OrderStatus::Created,
        OrderStatus::Paid,
        OrderStatus::Purchasing,
        OrderStatus::Purchased,
        OrderStatus::Failed,
    ]
    .map(OrderStatus::as_str)
    .into();
    assert_eq!(
        names,
        ["CREATED", "PAID", "PURCHASING", "PURCHASED", "FAILED"]
    );
}

#[test]
fn an_order_whose_total_would_overflow_is_refused_at_creation() {
    let mut command = create(QUANTITY_MAX);
    if let OrderCommand::CreateOrder { terms, .. } = &mut command {
        terms.unit_price =
            Money::new(Money::MAX_ABS / rust_decimal::Decimal::TWO, Currency::Usd).unwrap();
    }
    assert!(matches!(
        Order::default().decide(command),
        Err(OrderError::Money(crate::money::MoneyError::OutOfRange(_)))
    ));
}
