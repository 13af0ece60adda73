use std::collections::BTreeSet;

use proptest::prelude::*;
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

use super::*;
use crate::aggregate::{Aggregate, ErrorCode};
use crate::ids::{ProductId, SupplierProductId};
use crate::money::{Money, Percentage};
use crate::product::ProductTitle;
use crate::testkit::*;

fn rule(markup: Decimal, rounding: PriceRounding) -> MarkupRule {
    MarkupRule {
        markup: Markup::new(markup).unwrap(),
        rounding,
    }
}

fn settings(enabled: bool, threshold: &str, limit: u32) -> AutopilotSettings {
    AutopilotSettings::new(
        enabled,
        60,
        Percentage::parse(threshold).unwrap(),
        rule(dec!(100), PriceRounding::UpToMinorUnit),
        limit,
        None,
    )
    .unwrap()
}

fn paypal_fee() -> FeeRule {
    FeeRule {
        percent: Percentage::parse("3.49").unwrap(),
        fixed: usd("0.49"),
    }
}

fn supplier(id: &str) -> SupplierProductId {
    SupplierProductId::parse(id).unwrap()
}

fn candidate(id: &str, cost: &str, shipping: &str, stock: u32) -> Candidate {
    Candidate {
        supplier_product_id: supplier(id),
        title: ProductTitle::parse(&format!("Product {id}")).unwrap(),
        supplier_cost: usd(cost),
        shipping: usd(shipping),
        stock,
    }
}

fn cycle(n: u128) -> CycleId {
    CycleId::from_uuid(uuid(n))
}

fn given(events: &[AutopilotEvent]) -> Autopilot {
    Autopilot::default().replay(events)
}

fn configured(settings: AutopilotSettings) -> AutopilotEvent {
    AutopilotEvent::AutopilotConfigured {
        settings,
        configured_at: at(0),
    }
}

fn start(n: u128, trigger: CycleTrigger, minute: u32) -> AutopilotCommand {
    AutopilotCommand::StartCycle {
        cycle_id: cycle(n),
        trigger,
        seller: user_id(7),
        started_at: at(minute),
    }
}

fn started(n: u128, settings: AutopilotSettings, minute: u32) -> AutopilotEvent {
    AutopilotEvent::AutopilotCycleStarted {
        cycle_id: cycle(n),
        trigger: CycleTrigger::Schedule,
        seller: user_id(7),
        settings,
        started_at: at(minute),
    }
}

fn record(n: u128, candidates: Vec<Candidate>) -> AutopilotCommand {
    AutopilotCommand::RecordOpportunities {
        cycle_id: cycle(n),
        source: "local".into(),
        fee: paypal_fee(),
        candidates,
        already_listed: BTreeSet::new(),
        found_at: at(1),
    }
}

fn decisions(events: &[AutopilotEvent]) -> Vec<(String, Decision)> {
    match events {
        [AutopilotEvent::AutopilotOpportunitiesFound { opportunities, .. }] => opportunities
            .iter()
            .map(|o| (o.supplier_product_id.to_string(), o.decision))
            .collect(),
        other => panic!("expected one OpportunitiesFound, got {other:?}"),
    }
}

#[test]
fn settings_outside_their_bounds_are_refused_with_the_value_at_fault() {
    let threshold = Percentage::parse("20").unwrap();
    let markup = rule(dec!(50), PriceRounding::UpToMinorUnit);
    for (interval, limit, expected) in [
        (4, 5, AutopilotError::InvalidInterval(4)),
        (
            INTERVAL_SECONDS_MAX + 1,
            5,
            AutopilotError::InvalidInterval(INTERVAL_SECONDS_MAX + 1),
        ),
        (60, 0, AutopilotError::InvalidListingLimit(0)),
        (
            60,
            LISTINGS_PER_CYCLE_MAX + 1,
            AutopilotError::InvalidListingLimit(LISTINGS_PER_CYCLE_MAX + 1),
        ),
    ] {
        assert_eq!(
            AutopilotSettings::new(true, interval, threshold, markup, limit, None),
            Err(expected.clone())
        );
        assert_eq!(expected.code(), "INVALID_INPUT");
    }
    assert_eq!(
        Markup::new(dec!(0)),
        Err(AutopilotError::InvalidMarkup(dec!(0)))
    );
    assert_eq!(
        Markup::new(dec!(1000.01)),
        Err(AutopilotError::InvalidMarkup(dec!(1000.01)))
    );
    assert_eq!(
        Markup::new(dec!(12.345)),
        Err(AutopilotError::InvalidMarkup(dec!(12.345)))
    );
    assert!(Markup::new(dec!(250)).is_ok());
}

#[test]
fn stored_settings_are_checked_again_when_read_back() {
    let json = serde_json::to_value(settings(true, "20", 3)).unwrap();
    let back: AutopilotSettings = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, settings(true, "20", 3));
    let mut broken = json;
    broken["interval_seconds"] = serde_json::json!(1);
    assert!(serde_json::from_value::<AutopilotSettings>(broken).is_err());
}

#[test]
fn a_markup_price_is_rounded_up_to_the_cent_or_to_the_next_99() {
    let cent = rule(dec!(33.33), PriceRounding::UpToMinorUnit);
    // 10.00 × 1.3333 = 13.333 → 13.34, never down to 13.33.
    assert_eq!(cent.price(usd("10.00")), Ok(usd("13.34")));
    let charm = rule(dec!(50), PriceRounding::EndingIn99);
    assert_eq!(charm.price(usd("10.00")), Ok(usd("15.99")));
    // Exactly x.99 stays.
    assert_eq!(charm.price(usd("8.66")), Ok(usd("12.99")));
    let yen = rule(dec!(50), PriceRounding::EndingIn99);
    assert_eq!(
        yen.price(Money::parse("1001", "JPY").unwrap()),
        Ok(Money::parse("1502", "JPY").unwrap())
    );
}

#[test]
fn a_quote_subtracts_landed_cost_and_the_payment_fee_exactly() {
    let quote = quote(
        &candidate("A", "3.49", "1.50", 10),
        &rule(dec!(100), PriceRounding::UpToMinorUnit),
        &paypal_fee(),
    )
    .unwrap();
    assert_eq!(quote.landed_cost, usd("4.99"));
    assert_eq!(quote.proposed_price, usd("9.98"));
    // 3.49 % of 9.98 = 0.348302 → 0.35, plus 0.49.
    assert_eq!(quote.estimated_fee, usd("0.84"));
    assert_eq!(quote.expected_margin, usd("4.15"));
    // 4.15 / 9.98 = 41.583… % → 41.58 (rounded down).
    assert_eq!(quote.expected_margin_pct, dec!(41.58));
}

#[test]
fn given_no_configuration_when_a_cycle_starts_then_it_is_refused_as_not_configured() {
    let autopilot = given(&[]);
    assert_eq!(
        autopilot.decide(start(1, CycleTrigger::External, 0)),
        Err(AutopilotError::NotConfigured)
    );
}

#[test]
fn given_a_disabled_autopilot_when_the_schedule_starts_a_cycle_then_it_is_refused_but_a_person_may()
{
    let autopilot = given(&[configured(settings(false, "20", 3))]);
    assert_eq!(
        autopilot.decide(start(1, CycleTrigger::Schedule, 0)),
        Err(AutopilotError::Disabled)
    );
    let events = autopilot
        .decide(start(1, CycleTrigger::Manual { user: user_id(1) }, 0))
        .unwrap();
    assert!(matches!(
        &events[..],
        [AutopilotEvent::AutopilotCycleStarted { seller, .. }] if *seller == user_id(7)
    ));
}

#[test]
fn given_a_running_cycle_when_another_starts_then_it_is_refused_until_the_lease_expires() {
    let s = settings(true, "20", 3);
    let autopilot = given(&[configured(s.clone()), started(1, s, 0)]);
    let refusal = autopilot.decide(start(2, CycleTrigger::External, 5));
    assert_eq!(refusal, Err(AutopilotError::CycleInProgress(cycle(1))));
    assert_eq!(refusal.unwrap_err().code(), "CYCLE_IN_PROGRESS");
    // The same start again is a retry: nothing new.
    assert_eq!(
        autopilot.decide(start(1, CycleTrigger::External, 5)),
        Ok(vec![])
    );
    // After the lease the dead cycle is failed and the new one starts.
    let minutes = u32::try_from(CYCLE_LEASE_SECONDS / 60).unwrap();
    let events = autopilot
        .decide(start(2, CycleTrigger::External, minutes))
        .unwrap();
    assert!(matches!(
        &events[..],
        [
            AutopilotEvent::AutopilotCycleFailed { cycle_id, .. },
            AutopilotEvent::AutopilotCycleStarted { .. }
        ] if *cycle_id == cycle(1)
    ));
}

#[test]
fn given_an_enabled_schedule_when_the_interval_has_not_passed_then_the_next_cycle_is_not_due() {
    let s = settings(true, "20", 3);
    let autopilot = given(&[
        configured(s.clone()),
        started(1, s, 0),
        AutopilotEvent::AutopilotCycleFinished {
            cycle_id: cycle(1),
            found: 0,
            listed: 0,
            published: 0,
            finished_at: at(0),
        },
    ]);
    assert!(!autopilot.is_due(at(0)));
    assert_eq!(
        autopilot.decide(start(2, CycleTrigger::Schedule, 0)),
        Err(AutopilotError::NotDue)
    );
    assert!(autopilot.is_due(at(1)));
    assert!(autopilot
        .decide(start(2, CycleTrigger::Schedule, 1))
        .is_ok());
    assert_eq!(
        autopilot.decide(start(1, CycleTrigger::Schedule, 1)),
        Err(AutopilotError::CycleAlreadyRan(cycle(1)))
    );
}

#[test]
fn given_candidates_when_scored_then_each_decision_says_why_best_first() {
    let s = settings(true, "30", 1);
    let autopilot = given(&[configured(s.clone()), started(1, s, 0)]);
    let events = autopilot
        .decide(record(
            1,
            vec![
                candidate("LOW", "9.00", "0.00", 5),
                candidate("EMPTY", "3.00", "1.00", 0),
                candidate("BEST", "20.00", "0.00", 5),
                candidate("SECOND", "10.00", "0.00", 5),
            ],
        ))
        .unwrap();
    // 100 % markup: margins are 50 % minus the fee's share of the price; the
    // fixed 0.49 weighs most on cheap items.
    assert_eq!(
        decisions(&events),
        vec![
            ("BEST".into(), Decision::Listed),
            ("SECOND".into(), Decision::OverCycleLimit),
            ("LOW".into(), Decision::OverCycleLimit),
            ("EMPTY".into(), Decision::OutOfStock),
        ]
    );
    let s = settings(true, "47", 5);
    let autopilot = given(&[configured(s.clone()), started(1, s, 0)]);
    let events = autopilot
        .decide(record(1, vec![candidate("CHEAP", "1.00", "0.00", 5)]))
        .unwrap();
    let AutopilotEvent::AutopilotOpportunitiesFound { opportunities, .. } = &events[0] else {
        panic!("{events:?}");
    };
    assert_eq!(opportunities[0].decision, Decision::BelowMarginThreshold);
    assert!(opportunities[0]
        .reason
        .contains("below the threshold of 47 %"));
}

#[test]
fn given_a_product_listed_by_an_earlier_cycle_when_found_again_then_it_is_already_listed() {
    let s = settings(true, "10", 5);
    let first = given(&[configured(s.clone()), started(1, s.clone(), 0)]);
    let found = first
        .decide(record(1, vec![candidate("A", "5.00", "1.00", 3)]))
        .unwrap();
    assert_eq!(decisions(&found), vec![("A".into(), Decision::Listed)]);
    let mut history = vec![configured(s.clone()), started(1, s.clone(), 0)];
    history.extend(found);
    history.push(AutopilotEvent::AutopilotCycleFinished {
        cycle_id: cycle(1),
        found: 1,
        listed: 1,
        published: 1,
        finished_at: at(1),
    });
    history.push(started(2, s, 2));
    let second = given(&history);
    let events = second
        .decide(record(
            2,
            vec![
                candidate("A", "5.00", "1.00", 3),
                candidate("B", "5.00", "1.00", 3),
                candidate("B", "5.00", "1.00", 3),
            ],
        ))
        .unwrap();
    assert_eq!(
        decisions(&events),
        vec![
            ("A".into(), Decision::AlreadyListed),
            ("B".into(), Decision::Listed),
            ("B".into(), Decision::AlreadyListed),
        ]
    );
}

#[test]
fn given_a_cycle_when_it_publishes_an_unlisted_product_then_it_is_refused() {
    let s = settings(true, "10", 5);
    let mut history = vec![configured(s.clone()), started(1, s, 0)];
    let autopilot = given(&history);
    history.extend(
        autopilot
            .decide(record(1, vec![candidate("A", "5.00", "1.00", 3)]))
            .unwrap(),
    );
    let autopilot = given(&history);
    let publish = |id: &str| AutopilotCommand::RecordPublished {
        cycle_id: cycle(1),
        products: vec![PublishedListing {
            supplier_product_id: supplier(id),
            product_id: ProductId::from_uuid(uuid(9)),
        }],
        published_at: at(2),
    };
    assert_eq!(
        autopilot.decide(publish("Z")),
        Err(AutopilotError::NotListed(supplier("Z")))
    );
    history.extend(autopilot.decide(publish("A")).unwrap());
    let autopilot = given(&history);
    let finish = AutopilotCommand::FinishCycle {
        cycle_id: cycle(1),
        finished_at: at(3),
    };
    let finished = autopilot.decide(finish.clone()).unwrap();
    assert_eq!(
        finished,
        vec![AutopilotEvent::AutopilotCycleFinished {
            cycle_id: cycle(1),
            found: 1,
            listed: 1,
            published: 1,
            finished_at: at(3),
        }]
    );
    history.extend(finished);
    let autopilot = given(&history);
    // Finishing again is a retry; recording into an ended cycle is refused.
    assert_eq!(autopilot.decide(finish), Ok(vec![]));
    assert_eq!(
        autopilot.decide(record(1, vec![])),
        Err(AutopilotError::CycleNotRunning(cycle(1)))
    );
    assert!(autopilot.running().is_none());
}

#[test]
fn given_too_many_candidates_when_scored_then_the_cycle_refuses_them() {
    let s = settings(true, "10", 5);
    let autopilot = given(&[configured(s.clone()), started(1, s, 0)]);
    let many: Vec<Candidate> = (0..=CANDIDATES_MAX)
        .map(|n| candidate(&n.to_string(), "5.00", "1.00", 1))
        .collect();
    assert_eq!(
        autopilot.decide(record(1, many)),
        Err(AutopilotError::TooManyCandidates {
            count: CANDIDATES_MAX + 1
        })
    );
}

fn cents() -> impl Strategy<Value = Money> {
    (1i64..5_000_000).prop_map(|c| Money::from_minor_units(c, crate::money::Currency::Usd).unwrap())
}

proptest! {
    #[test]
    fn a_listed_opportunity_always_meets_the_threshold_and_its_price_is_the_rule_applied_exactly(
        costs in prop::collection::vec((cents(), 0i64..10_000, 0u32..5), 1..20),
        markup_cents in 1i64..100_000,
        threshold_hundredths in 0i64..9_000,
        limit in 1u32..10,
        charm in any::<bool>(),
    ) {
        let markup = Markup::new(Decimal::new(markup_cents, 2)).unwrap();
        let rounding = if charm { PriceRounding::EndingIn99 } else { PriceRounding::UpToMinorUnit };
        let rule = MarkupRule { markup, rounding };
        let threshold = Percentage::new(Decimal::new(threshold_hundredths, 2)).unwrap();
        let s = AutopilotSettings::new(true, 60, threshold, rule, limit, None).unwrap();
        let candidates: Vec<Candidate> = costs
            .iter()
            .enumerate()
            .map(|(i, (cost, shipping, stock))| Candidate {
                supplier_product_id: supplier(&format!("P{i}")),
                title: ProductTitle::parse("Thing").unwrap(),
                supplier_cost: *cost,
                shipping: Money::from_minor_units(*shipping, crate::money::Currency::Usd).unwrap(),
                stock: *stock,
            })
            .collect();
        let opportunities = score_candidates(&candidates, &s, &paypal_fee(), &BTreeSet::new()).unwrap();
        prop_assert_eq!(opportunities.len(), candidates.len());
        let listed: Vec<_> = opportunities.iter().filter(|o| o.decision == Decision::Listed).collect();
        prop_assert!(listed.len() <= limit as usize);
        for o in &opportunities {
            let landed = o.landed_cost().unwrap();
            let exact = landed.amount() * (Decimal::ONE_HUNDRED + markup.percent()) / Decimal::ONE_HUNDRED;
            // The price is at or above the exact markup, and less than one
            // rounding step (a cent, or a dollar for .99 prices) above it.
            prop_assert!(o.proposed_price.amount() >= exact);
            let step = if charm { Decimal::ONE } else { Decimal::new(1, 2) };
            prop_assert!(o.proposed_price.amount() - exact < step);
            if charm {
                prop_assert_eq!(o.proposed_price.amount().fract(), dec!(0.99));
            }
            prop_assert!(o.proposed_price.amount() > landed.amount());
            // The margin is exactly price − landed cost − fee.
            prop_assert_eq!(
                o.expected_margin.amount(),
                o.proposed_price.amount() - landed.amount() - o.estimated_fee.amount()
            );
            if o.decision == Decision::Listed {
                prop_assert!(o.stock > 0);
                prop_assert!(o.expected_margin_pct >= threshold.value());
                // The rounded-down score never overstates the exact margin.
                let exact_pct = o.expected_margin.amount() * Decimal::ONE_HUNDRED / o.proposed_price.amount();
                prop_assert!(exact_pct >= threshold.value());
            }
        }
        // Scores come best first.
        for pair in opportunities.windows(2) {
            prop_assert!(pair[0].expected_margin_pct >= pair[1].expected_margin_pct);
        }
    }
}
