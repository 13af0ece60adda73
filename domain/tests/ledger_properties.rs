//! Properties of the whole domain over random command sequences: the books
//! always balance, capital and cash never go negative, sales add up to the
//! cent, and replaying the events gives back the state decisions were made on.

mod scenario;

use dropledger_domain::*;
use proptest::prelude::*;
use rust_decimal::Decimal;
use scenario::{step, usd_cents, World};

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn books_balance_capital_stays_non_negative_and_replay_gives_the_same_state(
        steps in prop::collection::vec(step(), 1..120)
    ) {
        let mut world = World::new();
        for step in steps {
            world.run(step);
            world.check_invariants();
        }
        world.check_replay();
    }

    #[test]
    fn a_sale_splits_its_price_exactly_for_any_amounts_and_rate(
        price_cents in 1i64..10_000_000,
        cost_cents in 1i64..10_000_000,
        fee_cents in 0i64..1_000_000,
        rate_hundredths in 0u32..=10_000,
    ) {
        let rate = Percentage::new(Decimal::new(rate_hundredths.into(), 2)).unwrap();
        let sale = SaleBreakdown::compute(
            usd_cents(price_cents), usd_cents(cost_cents), usd_cents(fee_cents), rate,
        ).unwrap();
        let sum = sale.supplier_cost()
            .checked_add(sale.fees()).unwrap()
            .checked_add(sale.commission()).unwrap()
            .checked_add(sale.net_profit()).unwrap();
        prop_assert_eq!(sum, sale.sale_price());
        prop_assert_eq!(sale.gross_profit(), usd_cents(price_cents - cost_cents));
        // The commission is within half a cent of the exact share.
        if sale.gross_profit().is_positive() {
            let exact = sale.gross_profit().amount() * rate.value() / Decimal::ONE_HUNDRED;
            prop_assert!((sale.commission().amount() - exact).abs() <= Decimal::new(5, 3));
        }
    }
}
