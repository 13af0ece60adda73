//! Asking a signed-in user for their password again before a change a
//! stolen token must not be enough for (where their money goes). The same
//! limits as sign-in: per client address, per account, in all, and a
//! hashing place.

use dropledger_domain::UserId;

use crate::auth::verify_password;
use crate::context::{RequestContext, Services};
use crate::errors::{internal, UserError};

/// Whether `password` is `user_id`'s; `Err` (outer) for a fault of ours,
/// `Ok(Err)` for the refusal to show: `WRONG_PASSWORD` or `RATE_LIMITED`.
pub(crate) async fn confirm_password(
    services: &Services,
    request: &RequestContext,
    user_id: UserId,
    password: &str,
    field: &str,
) -> async_graphql::Result<Result<(), UserError>> {
    let account = format!("user:{user_id}");
    if let Err(refusal) = services
        .auth_limits
        .check(request.client_ip, Some(&account))
    {
        metrics::counter!("dropledger_auth_rate_limited_total").increment(1);
        return Ok(Err(UserError::new("RATE_LIMITED", refusal.to_string())));
    }
    let wrong = || UserError {
        code: "WRONG_PASSWORD".to_owned(),
        message: "that is not your password: enter the one you sign in with".to_owned(),
        field: Some(field.to_owned()),
    };
    if password.chars().count() > crate::users::PASSWORD_CHARS_MAX {
        return Ok(Err(wrong()));
    }
    let Some(hash) = services
        .accounts
        .password_hash(user_id.as_uuid())
        .await
        .map_err(|error| internal(&error))?
    else {
        return Ok(Err(wrong()));
    };
    let place = match services.auth_limits.hashing_place().await {
        Ok(place) => place,
        Err(refusal) => return Ok(Err(UserError::new("RATE_LIMITED", refusal.to_string()))),
    };
    let password = password.to_owned();
    let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|error| internal(&error))?;
    drop(place);
    Ok(if matches { Ok(()) } else { Err(wrong()) })
}
