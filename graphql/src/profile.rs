//! What one user may learn of another. A user's account — sign-in e-mail,
//! role, payout e-mail and payout method — is shown only to the user
//! themselves, ADMIN and ACCOUNTANT; everyone else (the storefront's
//! visitors, a buyer looking at their seller and the other way round) sees
//! a [`Profile`]: an id and a display name.

use async_graphql::{SimpleObject, ID};
use dropledger_domain::UserId;

use crate::auth::Role;
use crate::context::RequestContext;
use crate::errors::UserError;

/// Hex digits of the user id a display name shows.
const DISPLAY_NAME_ID_CHARS: usize = 8;

/// What anyone may know of a user: who they are on the platform, without
/// how to reach or pay them.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct Profile {
    /// The user id.
    pub id: ID,
    /// A name to show, e.g. `Member 3f2a9c1e`.
    pub display_name: String,
}

impl Profile {
    /// The profile of `user`.
    pub(crate) fn of(user: UserId) -> Self {
        Self {
            id: ID(user.to_string()),
            display_name: display_name(user),
        }
    }
}

/// The display name of `user`. Users do not choose one yet, so it is
/// derived from the id: stable, unique enough to tell people apart, and
/// free of anything personal.
pub(crate) fn display_name(user: UserId) -> String {
    let simple = user.as_uuid().simple().to_string();
    format!("Member {}", &simple[..DISPLAY_NAME_ID_CHARS])
}

/// Whether the caller of `request` may read `subject`'s account (e-mail,
/// role, payout details): the user themselves, ADMIN and ACCOUNTANT may;
/// anyone else is told what they may ask for instead.
pub(crate) fn account_access(request: &RequestContext, subject: UserId) -> Result<(), UserError> {
    const WHAT: &str = "a user's e-mail, role and payout details are shown only to the user \
                        themselves, ADMIN and ACCOUNTANT";
    match &request.claims {
        None => Err(UserError::new(
            "UNAUTHENTICATED",
            format!("{WHAT}; sign in as one of them, or ask for the public `seller {{ displayName }}`"),
        )),
        Some(claims)
            if claims.sub == subject.as_uuid()
                || matches!(claims.role, Role::Admin | Role::Accountant) =>
        {
            Ok(())
        }
        Some(_) => Err(UserError::new(
            "FORBIDDEN",
            format!("{WHAT}; ask for the public profile (`seller`, `sellerProfile`, `buyerProfile`: id and displayName) instead"),
        )),
    }
}
