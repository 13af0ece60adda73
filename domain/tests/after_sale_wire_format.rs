//! The stored JSON of the events of refunds after the sale is a public
//! record too (see `event_wire_format.rs`): pinned here.

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
    Utc.with_ymd_and_hms(2026, 12, 5, 2, 0, 0).unwrap()
}

fn seller() -> Payee {
    Payee::User {
        user_id: UserId::from_uuid(id(7)),
    }
}

fn assert_wire<E: DomainEvent>(event: E, event_type: &str, pinned: serde_json::Value) {
    assert_eq!(event.event_type(), event_type);
    assert_eq!(serde_json::to_value(&event).unwrap(), pinned);
    let back: E = serde_json::from_value(pinned).unwrap();
    assert_eq!(back, event);
}

#[test]
fn a_sale_reversal_names_each_share_and_how_it_is_taken_back() {
    let entry = JournalEntry::new(
        EntryId::from_uuid(id(1)),
        at(),
        vec![
            Posting::debit(Account::ReceivableFromAdmin, usd("1.20")).unwrap(),
            Posting::credit(Account::CommissionShare, usd("1.20")).unwrap(),
            Posting::debit(Account::PayableToUser(UserId::from_uuid(id(7))), usd("5")).unwrap(),
            Posting::debit(
                Account::ReceivableFromUser(UserId::from_uuid(id(7))),
                usd("3.80"),
            )
            .unwrap(),
            Posting::credit(Account::SellerShare, usd("8.80")).unwrap(),
        ],
    )
    .unwrap();
    let event = SaleEvent::SaleReversed {
        sale_id: SaleId::from_uuid(id(2)),
        refund_id: ProviderRefundId::parse("RF-1").unwrap(),
        refunded: usd("10"),
        fee_returned: usd("0"),
        chargeback_fee: None,
        supplier_cost_credited: None,
        commission_reversed: usd("1.20"),
        seller_share_reversed: usd("8.80"),
        shares: vec![
            ShareReversal {
                payee: Payee::Admin,
                from_payout: usd("0"),
                owed: usd("1.20"),
            },
            ShareReversal {
                payee: seller(),
                from_payout: usd("5"),
                owed: usd("3.80"),
            },
        ],
        entry: Some(entry),
    };
    let money = |amount: &str| json!({"amount": amount, "currency": "USD"});
    assert_wire(
        event,
        "SaleReversed",
        json!({
            "type": "SaleReversed",
            "sale_id": "00000000-0000-0000-0000-000000000002",
            "refund_id": "RF-1",
            "refunded": money("10.00"),
            "fee_returned": money("0.00"),
            "commission_reversed": money("1.20"),
            "seller_share_reversed": money("8.80"),
            "shares": [
                {"payee": {"kind": "ADMIN"}, "from_payout": money("0.00"), "owed": money("1.20")},
                {"payee": {"kind": "USER", "user_id": "00000000-0000-0000-0000-000000000007"},
                 "from_payout": money("5.00"), "owed": money("3.80")}
            ],
            "entry": {
                "id": "00000000-0000-0000-0000-000000000001",
                "effective_at": "2026-12-05T02:00:00Z",
                "postings": [
                    {"account": "receivable:admin", "side": "DEBIT", "amount": money("1.20")},
                    {"account": "expense:commission_share", "side": "CREDIT", "amount": money("1.20")},
                    {"account": "payable:user:00000000-0000-0000-0000-000000000007", "side": "DEBIT", "amount": money("5.00")},
                    {"account": "receivable:user:00000000-0000-0000-0000-000000000007", "side": "DEBIT", "amount": money("3.80")},
                    {"account": "expense:seller_share", "side": "CREDIT", "amount": money("8.80")}
                ]
            }
        }),
    );
}

#[test]
fn a_payout_reduced_says_by_how_much_what_is_left_and_why() {
    let event = PayoutEvent::PayoutReduced {
        by: usd("8.80"),
        remaining: usd("2.00"),
        reason: PayoutReduction::SaleRefunded {
            refund_id: ProviderRefundId::parse("RF-1").unwrap(),
        },
        reduced_at: at(),
    };
    assert_wire(
        event,
        "PayoutReduced",
        json!({
            "type": "PayoutReduced",
            "by": {"amount": "8.80", "currency": "USD"},
            "remaining": {"amount": "2.00", "currency": "USD"},
            "reason": {"kind": "SALE_REFUNDED", "refund_id": "RF-1"},
            "reduced_at": "2026-12-05T02:00:00Z"
        }),
    );
    let netted = PayoutEvent::PayoutReduced {
        by: usd("2"),
        remaining: usd("0"),
        reason: PayoutReduction::Recovery,
        reduced_at: at(),
    };
    assert_eq!(
        serde_json::to_value(&netted).unwrap()["reason"],
        json!({"kind": "RECOVERY"})
    );
}

#[test]
fn a_debt_owed_back_names_the_payee_the_sale_and_the_refund() {
    let event = ReceivableEvent::RecoveryOwed {
        payee: seller(),
        sale_id: SaleId::from_uuid(id(2)),
        refund_id: ProviderRefundId::parse("RF-1").unwrap(),
        amount: usd("3.80"),
        owed_at: at(),
    };
    assert_wire(
        event,
        "RecoveryOwed",
        json!({
            "type": "RecoveryOwed",
            "payee": {"kind": "USER", "user_id": "00000000-0000-0000-0000-000000000007"},
            "sale_id": "00000000-0000-0000-0000-000000000002",
            "refund_id": "RF-1",
            "amount": {"amount": "3.80", "currency": "USD"},
            "owed_at": "2026-12-05T02:00:00Z"
        }),
    );
    assert_eq!(
        StreamKind::parse(&seller().receivable_stream_id()),
        Ok(StreamKind::Receivable(seller()))
    );
    assert_eq!(
        seller().receivable_stream_id(),
        format!("receivable-user-{}", id(7))
    );
}
