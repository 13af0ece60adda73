//! `User.payoutMethodChanges`: every change of where a user's profit goes,
//! read from their stream. The announcement a user (or whoever owns the
//! old destination) sees when someone with their session redirected the
//! money: when, to which method, and a hint of the destination, never the
//! whole address.

use async_graphql::SimpleObject;
use chrono::{DateTime, Utc};
use dropledger_domain::{PayoutDestination, User as UserState, UserEvent, UserId};

use crate::context::Services;
use crate::errors::internal;
use crate::payout_method::PayoutMethod;

/// User events read for the list: payout changes are few, registration first.
const USER_EVENTS_READ_MAX: usize = 1_000;

/// One change of payout destination.
#[derive(Debug, Clone, SimpleObject)]
pub struct PayoutMethodChange {
    /// When it was made.
    pub at: DateTime<Utc>,
    /// PAYPAL or PAYONEER.
    pub method: PayoutMethod,
    /// The destination, mostly hidden (`a•••@example.com`, `•••11`).
    pub destination_hint: String,
}

/// `destination` (opened: `plaintext`, `None` once erased) with most of
/// it hidden.
fn hint(destination: &PayoutDestination, plaintext: Option<&str>) -> String {
    let Some(plaintext) = plaintext else {
        return "erased".to_owned();
    };
    match destination {
        PayoutDestination::Paypal { .. } => {
            let address = plaintext;
            match address.split_once('@') {
                Some((local, domain)) => {
                    let first: String = local.chars().take(1).collect();
                    format!("{first}•••@{domain}")
                }
                None => "•••".to_owned(),
            }
        }
        PayoutDestination::Payoneer { .. } => {
            let id: Vec<char> = plaintext.chars().collect();
            let tail: String = id[id.len().saturating_sub(2)..].iter().collect();
            format!("•••{tail}")
        }
    }
}

/// The payout changes of `user_id`, oldest first (the destination given at
/// registration is not a change).
pub(crate) async fn payout_method_changes(
    services: &Services,
    user_id: UserId,
) -> async_graphql::Result<Vec<PayoutMethodChange>> {
    let events = services
        .store
        .read_stream(&UserState::stream_id(user_id), 1, USER_EVENTS_READ_MAX)
        .await
        .map_err(|error| internal(&error))?;
    let mut changes = Vec::new();
    for event in events
        .iter()
        .filter(|event| event.event_type == "PayoutMethodSet")
    {
        if let Ok(UserEvent::PayoutMethodSet {
            destination,
            set_at,
        }) = event.payload_as::<UserEvent>()
        {
            let text = match &destination {
                PayoutDestination::Paypal { email } => email,
                PayoutDestination::Payoneer { payee_id } => payee_id,
            };
            let plaintext = services
                .personal
                .open(text, Some(user_id.as_uuid()))
                .await
                .map_err(|error| internal(&error))?
                .into_plain();
            changes.push(PayoutMethodChange {
                at: set_at,
                method: PayoutMethod::of(&destination),
                destination_hint: hint(&destination, plaintext.as_deref()),
            });
        }
    }
    Ok(changes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropledger_domain::PersonalText;

    #[test]
    fn a_hint_shows_the_first_letter_and_domain_or_the_last_two_characters() {
        let sealed = PersonalText::sealed(uuid::Uuid::nil(), "c2VhbGVk".to_owned());
        let paypal = PayoutDestination::Paypal {
            email: sealed.clone(),
        };
        assert_eq!(hint(&paypal, Some("alice@example.com")), "a•••@example.com");
        let payoneer = PayoutDestination::Payoneer { payee_id: sealed };
        assert_eq!(hint(&payoneer, Some("payee-4711")), "•••11");
        assert_eq!(hint(&payoneer, None), "erased");
    }
}
