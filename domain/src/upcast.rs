//! Upgrades of stored payloads to the current schema versions.
//!
//! Events are never rewritten. When personal values became sealed
//! ([`crate::PersonalText`]), the user, payout and platform events moved to
//! schema version 2; these functions read their version-1 payloads (which
//! hold plaintext) in the version-2 shape, the plaintext wrapped as the
//! legacy form so that every reader treats it as personal and hides it once
//! its subject is erased. The event store runs them on every read; they are
//! pure JSON functions of the stored payload and its stream id.

use serde_json::Value;
use uuid::Uuid;

use crate::stream::StreamKind;

/// One upgrade: payloads of `event_type` stored at `from_version` are read
/// through `upgrade(stream_id, payload)` as `from_version + 1`.
#[derive(Debug, Clone, Copy)]
pub struct Upcast {
    /// The stored event type.
    pub event_type: &'static str,
    /// The version it upgrades from.
    pub from_version: i32,
    /// The upgrade.
    pub upgrade: fn(&str, Value) -> Result<Value, String>,
}

/// Every upgrade this code needs to read the log.
pub fn upcasts() -> Vec<Upcast> {
    let step = |event_type, upgrade| Upcast {
        event_type,
        from_version: 1,
        upgrade,
    };
    [
        step("UserRegistered", user_registered_v1),
        step("UserRoleChanged", unchanged),
        step("PayoutMethodSet", payout_method_set_v1),
        step("PlatformConfigured", platform_configured_v1),
        step("PayoutRequested", unchanged),
        step("PayoutReserved", payout_reserved_v1),
        step("PayoutSkippedInsufficientFunds", unchanged),
        step("PayoutSent", unchanged),
        step("PayoutFailed", unchanged),
        step("PayoutReduced", unchanged),
        step("PayoutPaused", unchanged),
        step("PayoutResumed", unchanged),
    ]
    .into_iter()
    .chain(order_upcasts())
    .collect()
}

/// Order events: only `OrderShipped` changed (its tracking number).
fn order_upcasts() -> impl Iterator<Item = Upcast> {
    use strum::IntoEnumIterator;
    crate::order::OrderEventType::iter().map(|event_type| {
        let name: &'static str = event_type.into();
        Upcast {
            event_type: name,
            from_version: 1,
            upgrade: if name == "OrderShipped" {
                order_shipped_v1
            } else {
                unchanged
            },
        }
    })
}

fn order_shipped_v1(_stream_id: &str, mut payload: Value) -> Result<Value, String> {
    // The buyer is named by the order's earlier events: the reader
    // supplies the subject from the order's state.
    wrap(&mut payload, "tracking_number", None)?;
    Ok(payload)
}

/// Events of a stream whose shape did not change, only its version.
fn unchanged(_stream_id: &str, payload: Value) -> Result<Value, String> {
    Ok(payload)
}

fn user_registered_v1(_stream_id: &str, mut payload: Value) -> Result<Value, String> {
    let subject = payload
        .get("user_id")
        .and_then(Value::as_str)
        .and_then(|id| Uuid::parse_str(id).ok())
        .ok_or("UserRegistered v1 without a user_id")?;
    wrap(&mut payload, "email", Some(subject))?;
    if let Some(destination) = payload.get_mut("payout_destination") {
        if !destination.is_null() {
            wrap_destination(destination, Some(subject))?;
        }
    }
    Ok(payload)
}

fn payout_method_set_v1(stream_id: &str, mut payload: Value) -> Result<Value, String> {
    let subject = match StreamKind::parse(stream_id) {
        Ok(StreamKind::User(user_id)) => Some(user_id.as_uuid()),
        _ => None,
    };
    let destination = payload
        .get_mut("destination")
        .ok_or("PayoutMethodSet v1 without a destination")?;
    wrap_destination(destination, subject)?;
    Ok(payload)
}

fn payout_reserved_v1(_stream_id: &str, mut payload: Value) -> Result<Value, String> {
    // The payee is named by the payout's first event, not this one: the
    // reader supplies the subject (the payee) from the payout's state.
    let destination = payload
        .get_mut("destination")
        .ok_or("PayoutReserved v1 without a destination")?;
    wrap_destination(destination, None)?;
    Ok(payload)
}

fn platform_configured_v1(_stream_id: &str, mut payload: Value) -> Result<Value, String> {
    // Who configured it is in the event's metadata, not its payload: a
    // legacy platform address names no subject.
    wrap(&mut payload, "admin_paypal_email", None)?;
    Ok(payload)
}

/// A payout destination's personal field: the e-mail or the payee id.
fn wrap_destination(destination: &mut Value, subject: Option<Uuid>) -> Result<(), String> {
    let field = if destination.get("email").is_some() {
        "email"
    } else {
        "payee_id"
    };
    wrap(destination, field, subject)
}

/// Replaces the plaintext string at `field` by its legacy [`PersonalText`].
fn wrap(object: &mut Value, field: &str, subject: Option<Uuid>) -> Result<(), String> {
    let slot = object
        .get_mut(field)
        .ok_or_else(|| format!("no {field} to upcast"))?;
    let plaintext = slot
        .as_str()
        .ok_or_else(|| format!("{field} is not a string"))?
        .to_owned();
    *slot = serde_json::to_value(crate::PersonalText::legacy(subject, plaintext))
        .map_err(|error| error.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{decode_event, PayoutDestination, PersonalForm, UserEvent};
    use serde_json::json;
    use strum::IntoEnumIterator;

    fn upgrade(event_type: &str, stream_id: &str, payload: Value) -> Value {
        let step = upcasts()
            .into_iter()
            .find(|step| step.event_type == event_type)
            .unwrap();
        (step.upgrade)(stream_id, payload).unwrap()
    }

    #[test]
    fn a_v1_registration_reads_as_legacy_plaintext_of_its_user() {
        let user = Uuid::from_u128(3);
        let payload = upgrade(
            "UserRegistered",
            &format!("user-{user}"),
            json!({
                "type": "UserRegistered", "user_id": user, "email": "ana@example.com",
                "role": "USER", "payout_destination": {"method": "PAYPAL", "email": "pay@example.com"},
                "registered_at": "2026-01-01T00:00:00Z"
            }),
        );
        let event: UserEvent = decode_event("UserRegistered", 2, payload).unwrap();
        let UserEvent::UserRegistered {
            email,
            payout_destination: Some(PayoutDestination::Paypal { email: payout }),
            ..
        } = event
        else {
            panic!("not a registration with a PayPal destination: {event:?}");
        };
        assert_eq!(email.subject(), Some(user));
        assert_eq!(
            email.form(),
            &PersonalForm::LegacyPlaintext {
                legacy_plaintext: "ana@example.com".to_owned()
            }
        );
        assert_eq!(payout.subject(), Some(user));
    }

    #[test]
    fn a_v1_shipment_reads_as_legacy_plaintext_and_other_order_events_as_stored() {
        let payload = upgrade(
            "OrderShipped",
            "order-00000000-0000-0000-0000-000000000001",
            json!({ "type": "OrderShipped", "tracking_number": "LP1", "carrier": "Cainiao",
                    "recorded_at": "2026-01-01T00:00:00Z" }),
        );
        assert_eq!(
            payload["tracking_number"],
            json!({ "legacy_plaintext": "LP1" })
        );
        let failed = json!({ "type": "OrderFailed", "reason": "OUT_OF_STOCK", "failed_at": "2026-01-01T00:00:00Z" });
        assert_eq!(upgrade("OrderFailed", "order-x", failed.clone()), failed);
        let steps = upcasts();
        for event_type in crate::order::OrderEventType::iter() {
            let name: &str = event_type.into();
            assert!(steps.iter().any(|step| step.event_type == name), "{name}");
        }
    }

    #[test]
    fn a_v1_payout_method_takes_its_subject_from_the_user_stream() {
        let user = Uuid::from_u128(4);
        let payload = upgrade(
            "PayoutMethodSet",
            &format!("user-{user}"),
            json!({
                "type": "PayoutMethodSet", "destination": {"method": "PAYONEER", "payee_id": "P-1"},
                "set_at": "2026-01-01T00:00:00Z"
            }),
        );
        let event: UserEvent = decode_event("PayoutMethodSet", 2, payload).unwrap();
        let UserEvent::PayoutMethodSet {
            destination: PayoutDestination::Payoneer { payee_id },
            ..
        } = event
        else {
            panic!("not a Payoneer destination: {event:?}");
        };
        assert_eq!(payee_id.subject(), Some(user));
    }
}
