//! The stored JSON of events is a public record: these tests pin it, so a
//! rename of a Rust type, field or variant that would change the wire fails here.

use chrono::{TimeZone, Utc};
use dropledger_domain::*;
use serde_json::json;
use uuid::Uuid;

fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn at() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 20, 0, 0).unwrap()
}

/// Serialises, compares with the pinned JSON, and reads the pinned JSON back.
fn assert_wire<E: DomainEvent>(event: E, event_type: &str, pinned: serde_json::Value) {
    assert_eq!(event.event_type(), event_type);
    assert_eq!(serde_json::to_value(&event).unwrap(), pinned);
    let back: E = serde_json::from_value(pinned).unwrap();
    assert_eq!(back, event);
}

#[test]
fn a_capital_contribution_is_stored_with_its_postings() {
    let entry = JournalEntry::new(
        EntryId::from_uuid(id(1)),
        at(),
        vec![
            Posting::debit(Account::CashAvailable, usd("100")).unwrap(),
            Posting::credit(Account::OwnerCapital, usd("100")).unwrap(),
        ],
    )
    .unwrap();
    let event = CapitalEvent::CapitalContributed {
        reference: Reference::parse("wire 42").unwrap(),
        entry,
    };
    assert_wire(
        event,
        "CapitalContributed",
        json!({
            "type": "CapitalContributed",
            "reference": "wire 42",
            "entry": {
                "id": "00000000-0000-0000-0000-000000000001",
                "effective_at": "2026-11-25T20:00:00Z",
                "postings": [
                    {"account": "cash:paypal:available", "side": "DEBIT",
                     "amount": {"amount": "100.00", "currency": "USD"}},
                    {"account": "equity:owner_capital", "side": "CREDIT",
                     "amount": {"amount": "100.00", "currency": "USD"}}
                ]
            }
        }),
    );
}

#[test]
fn a_purchase_hold_is_stored_with_its_purpose_and_accounts() {
    let hold = Hold::new(
        HoldId::from_uuid(id(2)),
        Account::GoodsInTransit,
        Account::CashAvailable,
        usd("20"),
        at(),
    )
    .unwrap();
    let event = CapitalEvent::HoldPlaced {
        purpose: HoldPurpose::Purchase {
            order_id: OrderId::from_uuid(id(3)),
        },
        hold,
    };
    assert_wire(
        event,
        "HoldPlaced",
        json!({
            "type": "HoldPlaced",
            "purpose": {"kind": "PURCHASE", "order_id": "00000000-0000-0000-0000-000000000003"},
            "hold": {
                "id": "00000000-0000-0000-0000-000000000002",
                "debit": "goods_in_transit",
                "credit": "cash:paypal:available",
                "amount": {"amount": "20.00", "currency": "USD"},
                "placed_at": "2026-11-25T20:00:00Z"
            }
        }),
    );
}

#[test]
fn an_order_paid_event_records_the_buyer_and_the_capture() {
    let event = OrderEvent::OrderPaid {
        buyer: UserId::from_uuid(id(4)),
        capture_id: CaptureId::parse("3C679366HH908993F").unwrap(),
        amount: usd("50"),
        fee: usd("1.75"),
        capture_status: CaptureStatus::Pending,
        entry_id: EntryId::from_uuid(id(9)),
        paid_at: at(),
    };
    assert_wire(
        event,
        "OrderPaid",
        json!({
            "type": "OrderPaid",
            "buyer": "00000000-0000-0000-0000-000000000004",
            "capture_id": "3C679366HH908993F",
            "amount": {"amount": "50.00", "currency": "USD"},
            "fee": {"amount": "1.75", "currency": "USD"},
            "capture_status": "PENDING",
            "entry_id": "00000000-0000-0000-0000-000000000009",
            "paid_at": "2026-11-25T20:00:00Z"
        }),
    );
}

#[test]
fn an_order_failed_for_insufficient_funds_is_stored_with_its_reason() {
    let event = OrderEvent::OrderFailed {
        reason: FailureReason::InsufficientFunds,
        released_hold: None,
        failed_at: at(),
    };
    assert_wire(
        event,
        "OrderFailed",
        json!({
            "type": "OrderFailed",
            "reason": "INSUFFICIENT_FUNDS",
            "failed_at": "2026-11-25T20:00:00Z"
        }),
    );
}

#[test]
fn a_cleared_payment_and_a_denied_one_are_stored_with_the_capture() {
    assert_wire(
        OrderEvent::OrderPaymentCleared {
            capture_id: CaptureId::parse("3C679366HH908993F").unwrap(),
            cleared_at: at(),
        },
        "OrderPaymentCleared",
        json!({
            "type": "OrderPaymentCleared",
            "capture_id": "3C679366HH908993F",
            "cleared_at": "2026-11-25T20:00:00Z"
        }),
    );
    assert_wire(
        OrderEvent::OrderFailed {
            reason: FailureReason::PaymentDenied,
            released_hold: None,
            failed_at: at(),
        },
        "OrderFailed",
        json!({
            "type": "OrderFailed",
            "reason": "PAYMENT_DENIED",
            "failed_at": "2026-11-25T20:00:00Z"
        }),
    );
    let entry = JournalEntry::new(
        EntryId::from_uuid(id(12)),
        at(),
        vec![
            Posting::debit(Account::CustomerPrepayments, usd("50")).unwrap(),
            Posting::credit(Account::CashPending, usd("48.25")).unwrap(),
            Posting::credit(Account::PrepaidPaymentFees, usd("1.75")).unwrap(),
        ],
    )
    .unwrap();
    assert_wire(
        CapitalEvent::CaptureDenied {
            order_id: OrderId::from_uuid(id(3)),
            capture_id: CaptureId::parse("3C679366HH908993F").unwrap(),
            entry,
        },
        "CaptureDenied",
        json!({
            "type": "CaptureDenied",
            "order_id": "00000000-0000-0000-0000-000000000003",
            "capture_id": "3C679366HH908993F",
            "entry": {
                "id": "00000000-0000-0000-0000-00000000000c",
                "effective_at": "2026-11-25T20:00:00Z",
                "postings": [
                    {"account": "customer_prepayments", "side": "DEBIT",
                     "amount": {"amount": "50.00", "currency": "USD"}},
                    {"account": "cash:paypal:pending", "side": "CREDIT",
                     "amount": {"amount": "48.25", "currency": "USD"}},
                    {"account": "prepaid_payment_fees", "side": "CREDIT",
                     "amount": {"amount": "1.75", "currency": "USD"}}
                ]
            }
        }),
    );
}

#[test]
fn a_refund_intent_and_its_refusal_are_stored_with_the_request_id() {
    assert_wire(
        OrderEvent::RefundRequested {
            request_id: RefundRequestId::from_uuid(id(21)),
            amount: usd("50"),
            requested_at: at(),
        },
        "RefundRequested",
        json!({
            "type": "RefundRequested",
            "request_id": "00000000-0000-0000-0000-000000000015",
            "amount": {"amount": "50.00", "currency": "USD"},
            "requested_at": "2026-11-25T20:00:00Z"
        }),
    );
    assert_wire(
        OrderEvent::RefundRequestFailed {
            request_id: RefundRequestId::from_uuid(id(21)),
            failed_at: at(),
        },
        "RefundRequestFailed",
        json!({
            "type": "RefundRequestFailed",
            "request_id": "00000000-0000-0000-0000-000000000015",
            "failed_at": "2026-11-25T20:00:00Z"
        }),
    );
}

#[test]
fn a_skipped_payout_is_stored_with_the_free_capital_it_saw() {
    let event = PayoutEvent::PayoutSkippedInsufficientFunds {
        free: usd("3.10"),
        skipped_at: at(),
    };
    assert_wire(
        event,
        "PayoutSkippedInsufficientFunds",
        json!({
            "type": "PayoutSkippedInsufficientFunds",
            "free": {"amount": "3.10", "currency": "USD"},
            "skipped_at": "2026-11-25T20:00:00Z"
        }),
    );
}

#[test]
fn a_payout_request_names_its_payee() {
    let event = PayoutEvent::PayoutRequested {
        payout_id: PayoutId::from_uuid(id(5)),
        sale_id: SaleId::from_uuid(id(6)),
        payee: Payee::User {
            user_id: UserId::from_uuid(id(7)),
        },
        amount: usd("10.80"),
        requested_at: at(),
    };
    assert_wire(
        event,
        "PayoutRequested",
        json!({
            "type": "PayoutRequested",
            "payout_id": "00000000-0000-0000-0000-000000000005",
            "sale_id": "00000000-0000-0000-0000-000000000006",
            "payee": {"kind": "USER", "user_id": "00000000-0000-0000-0000-000000000007"},
            "amount": {"amount": "10.80", "currency": "USD"},
            "requested_at": "2026-11-25T20:00:00Z"
        }),
    );
}

#[test]
fn a_sale_breakdown_is_stored_with_every_part_as_money() {
    let breakdown = SaleBreakdown::compute(
        usd("25"),
        usd("10"),
        usd("1.20"),
        Percentage::parse("20").unwrap(),
    )
    .unwrap();
    assert_eq!(
        serde_json::to_value(breakdown).unwrap(),
        json!({
            "sale_price": {"amount": "25.00", "currency": "USD"},
            "supplier_cost": {"amount": "10.00", "currency": "USD"},
            "fees": {"amount": "1.20", "currency": "USD"},
            "gross_profit": {"amount": "15.00", "currency": "USD"},
            "commission_rate": "20",
            "commission": {"amount": "3.00", "currency": "USD"},
            "net_profit": {"amount": "10.80", "currency": "USD"}
        })
    );
}

#[test]
fn a_user_registration_is_stored_without_any_credential_or_plaintext() {
    let event = UserEvent::UserRegistered {
        user_id: UserId::from_uuid(id(8)),
        email: PersonalText::sealed(id(8), "c2lnbi1pbg==".to_owned()),
        role: Role::Admin,
        payout_destination: Some(PayoutDestination::Paypal {
            email: PersonalText::sealed(id(8), "cGF5b3V0".to_owned()),
        }),
        registered_at: at(),
    };
    assert_wire(
        event,
        "UserRegistered",
        json!({
            "type": "UserRegistered",
            "user_id": "00000000-0000-0000-0000-000000000008",
            "email": {"subject": "00000000-0000-0000-0000-000000000008", "sealed": "c2lnbi1pbg=="},
            "role": "ADMIN",
            "payout_destination": {"method": "PAYPAL", "email": {"subject": "00000000-0000-0000-0000-000000000008", "sealed": "cGF5b3V0"}},
            "registered_at": "2026-11-25T20:00:00Z"
        }),
    );
}

#[test]
fn every_stream_is_at_version_one_but_those_whose_personal_values_became_sealed() {
    assert_eq!(CapitalEvent::SCHEMA_VERSION, 1);
    assert_eq!(SaleEvent::SCHEMA_VERSION, 1);
    assert_eq!(ProductEvent::SCHEMA_VERSION, 1);
    // Version 2 sealed their e-mails, payee ids and tracking numbers;
    // upcasters read version 1.
    assert_eq!(OrderEvent::SCHEMA_VERSION, 2);
    assert_eq!(PayoutEvent::SCHEMA_VERSION, 2);
    assert_eq!(UserEvent::SCHEMA_VERSION, 2);
    assert_eq!(PlatformEvent::SCHEMA_VERSION, 2);
}

#[test]
fn an_unknown_event_type_or_a_float_amount_is_refused() {
    let unknown = json!({"type": "OrderTeleported", "failed_at": "2026-11-25T20:00:00Z"});
    assert!(serde_json::from_value::<OrderEvent>(unknown).is_err());
    let bad_money = json!({
        "type": "PayoutSkippedInsufficientFunds",
        "free": {"amount": 3.1, "currency": "USD"},
        "skipped_at": "2026-11-25T20:00:00Z"
    });
    assert!(serde_json::from_value::<PayoutEvent>(bad_money).is_err());
}

#[test]
fn stream_ids_follow_the_naming_the_event_store_expects() {
    assert_eq!(WorkingCapital::stream_id(Currency::Usd), "capital-USD");
    assert_eq!(PlatformConfig::stream_id(), "platform-config");
    assert_eq!(
        Order::stream_id(OrderId::from_uuid(id(1))),
        "order-00000000-0000-0000-0000-000000000001"
    );
    assert_eq!(
        User::stream_id(UserId::from_uuid(id(1))),
        "user-00000000-0000-0000-0000-000000000001"
    );
    assert_eq!(
        Product::stream_id(ProductId::from_uuid(id(1))),
        "product-00000000-0000-0000-0000-000000000001"
    );
    assert_eq!(
        Sale::stream_id(SaleId::from_uuid(id(1))),
        "sale-00000000-0000-0000-0000-000000000001"
    );
    assert_eq!(
        Payout::stream_id(PayoutId::from_uuid(id(1))),
        "payout-00000000-0000-0000-0000-000000000001"
    );
}

#[test]
fn a_refund_entry_points_at_the_capture_entry_it_corrects() {
    let entry = JournalEntry::new(
        EntryId::from_uuid(id(11)),
        at(),
        vec![
            Posting::debit(Account::CustomerPrepayments, usd("25")).unwrap(),
            Posting::credit(Account::CashAvailable, usd("25")).unwrap(),
        ],
    )
    .unwrap()
    .correcting(EntryId::from_uuid(id(10)));
    let event = CapitalEvent::PaymentRefunded {
        order_id: OrderId::from_uuid(id(3)),
        capture_id: CaptureId::parse("CAP").unwrap(),
        refund_id: ProviderRefundId::parse("RF").unwrap(),
        gross: usd("25"),
        fee_returned: usd("0"),
        entry,
    };
    assert_wire(
        event,
        "PaymentRefunded",
        json!({
            "type": "PaymentRefunded",
            "order_id": "00000000-0000-0000-0000-000000000003",
            "capture_id": "CAP",
            "refund_id": "RF",
            "gross": {"amount": "25.00", "currency": "USD"},
            "fee_returned": {"amount": "0.00", "currency": "USD"},
            "entry": {
                "id": "00000000-0000-0000-0000-00000000000b",
                "effective_at": "2026-11-25T20:00:00Z",
                "corrects": "00000000-0000-0000-0000-00000000000a",
                "postings": [
                    {"account": "customer_prepayments", "side": "DEBIT",
                     "amount": {"amount": "25.00", "currency": "USD"}},
                    {"account": "cash:paypal:available", "side": "CREDIT",
                     "amount": {"amount": "25.00", "currency": "USD"}}
                ]
            }
        }),
    );
}

fn assert_tag_is_event_type<E: DomainEvent>(events: &[E]) {
    for event in events {
        let json = serde_json::to_value(event).unwrap();
        assert_eq!(json["type"], event.event_type(), "{event:?}");
        assert_eq!(&serde_json::from_value::<E>(json).unwrap(), event);
    }
}

#[test]
fn product_user_and_platform_events_are_tagged_with_their_event_type() {
    let user = UserId::from_uuid(id(1));
    let email = PersonalText::sealed(id(1), "YQ==".to_owned());
    assert_tag_is_event_type(&[
        ProductEvent::ProductCreated {
            product_id: ProductId::from_uuid(id(2)),
            owner: user,
            title: ProductTitle::parse("Lamp").unwrap(),
            supplier_product_id: SupplierProductId::parse("1005").unwrap(),
            supplier_cost: usd("10"),
            price: usd("25"),
            origin: ProductOrigin::Opportunity {
                score: rust_decimal::Decimal::new(87, 1),
            },
            created_at: at(),
        },
        ProductEvent::ProductRepriced {
            supplier_cost: usd("11"),
            price: usd("26"),
            repriced_at: at(),
        },
        ProductEvent::ProductPublished { published_at: at() },
        ProductEvent::ProductUnpublished {
            unpublished_at: at(),
        },
    ]);
    assert_tag_is_event_type(&[
        UserEvent::UserRoleChanged {
            role: Role::Accountant,
            changed_at: at(),
        },
        UserEvent::PayoutMethodSet {
            destination: PayoutDestination::Payoneer {
                payee_id: PersonalText::sealed(id(8), "UFktMQ==".to_owned()),
            },
            set_at: at(),
        },
        UserEvent::PersonalDataErased { erased_at: at() },
    ]);
    assert_tag_is_event_type(&[PlatformEvent::PlatformConfigured {
        commission_rate: Percentage::parse("12.5").unwrap(),
        admin_paypal_email: email,
        configured_at: at(),
    }]);
}

#[test]
fn a_reserved_payout_records_its_holds_and_destination() {
    let event = PayoutEvent::PayoutReserved {
        hold_id: HoldId::from_uuid(id(1)),
        fee_allowance: Some(FeeAllowance {
            hold_id: HoldId::from_uuid(id(2)),
            amount: usd("0.60"),
        }),
        destination: PayoutDestination::Paypal {
            email: PersonalText::sealed(id(9), "c2VsbGVy".to_owned()),
        },
        reserved_at: at(),
    };
    assert_wire(
        event,
        "PayoutReserved",
        json!({
            "type": "PayoutReserved",
            "hold_id": "00000000-0000-0000-0000-000000000001",
            "fee_allowance": {
                "hold_id": "00000000-0000-0000-0000-000000000002",
                "amount": {"amount": "0.60", "currency": "USD"}
            },
            "destination": {"method": "PAYPAL", "email": {"subject": "00000000-0000-0000-0000-000000000009", "sealed": "c2VsbGVy"}},
            "reserved_at": "2026-11-25T20:00:00Z"
        }),
    );
}
