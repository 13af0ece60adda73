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
