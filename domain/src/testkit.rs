//! Helpers shared by the unit tests.

use chrono::{DateTime, TimeZone, Utc};
use uuid::Uuid;

use crate::ids::*;
use crate::money::Money;

pub fn usd(amount: &str) -> Money {
    Money::parse(amount, "USD").unwrap()
}

pub fn at(minute: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 12, minute, 0).unwrap()
}

pub fn uuid(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

pub fn entry_id(n: u128) -> EntryId {
    EntryId::from_uuid(uuid(n))
}

pub fn hold_id(n: u128) -> HoldId {
    HoldId::from_uuid(uuid(n))
}

pub fn order_id(n: u128) -> OrderId {
    OrderId::from_uuid(uuid(n))
}

pub fn user_id(n: u128) -> UserId {
    UserId::from_uuid(uuid(n))
}

pub fn payout_id(n: u128) -> PayoutId {
    PayoutId::from_uuid(uuid(n))
}

pub fn capture_id(text: &str) -> CaptureId {
    CaptureId::parse(text).unwrap()
}

/// An order replayed up to PURCHASED: one unit at `price`, bought for
/// `supplier_cost`, with `fee` withheld at capture.
pub fn purchased_order(price: &str, supplier_cost: &str, fee: &str) -> crate::order::Order {
    use crate::aggregate::Aggregate;
    use crate::capital::CaptureStatus;
    use crate::order::{Order, OrderEvent};
    let events = [
        OrderEvent::OrderCreated {
            order_id: order_id(1),
            product_id: ProductId::from_uuid(uuid(7)),
            seller: user_id(100),
            quantity: 1,
            unit_price: usd(price),
            unit_supplier_cost: usd(supplier_cost),
            provider_order_id: ProviderOrderId::parse("PP-1").unwrap(),
            created_at: at(0),
        },
        OrderEvent::OrderPaid {
            buyer: user_id(200),
            capture_id: capture_id("CAP-1"),
            amount: usd(price),
            fee: usd(fee),
            capture_status: CaptureStatus::Completed,
            entry_id: entry_id(10),
            paid_at: at(1),
        },
        OrderEvent::OrderPurchaseStarted {
            hold_id: hold_id(20),
            reserved: usd(supplier_cost),
            started_at: at(2),
        },
        OrderEvent::OrderPurchased {
            supplier_order_id: SupplierOrderId::parse("AE-1").unwrap(),
            supplier_cost: usd(supplier_cost),
            purchased_at: at(3),
        },
    ];
    Order::default().replay(&events)
}

/// A sealed personal value for tests: the "ciphertext" is the text itself.
pub fn sealed(subject: u128, text: &str) -> crate::PersonalText {
    crate::PersonalText::sealed(uuid(subject), text.to_owned())
}
