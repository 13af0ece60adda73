//! `deleteMyData`: a signed-in user erases their own personal data.
//!
//! Crypto-shredding: the user's data key is destroyed, so every sealed
//! value of theirs in the permanent log (e-mails, payout destination) is
//! unreadable for good, while the log, its hash chain, the books (ledger
//! accounts are by user id) and every replay stay exactly as they were. A
//! `PersonalDataErased` event records that it happened, without anything
//! personal; the account row loses its e-mail and password, so nobody signs
//! in to it again and the address may register anew as a new user.

use async_graphql::{Context, InputObject, Object, SimpleObject};
use chrono::Utc;
use dropledger_domain::{User as UserState, UserCommand, UserId};

use crate::admins::{other_admin_exists, AdminChangeLock};
use crate::auth::Role;
use crate::consistency::position_of;
use crate::context::{parts, Services};
use crate::errors::{command_failure, internal, UserError};
use crate::reauth::confirm_password;
use crate::users::decide_on_user;

/// `deleteMyData`'s input. There is no user argument: only the caller's own
/// data can be erased.
#[derive(Debug, InputObject)]
pub struct DeleteMyDataInput {
    /// The caller's password, again: a stolen token must not be enough.
    pub current_password: String,
}

/// `deleteMyData`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct DeleteMyDataPayload {
    /// True once the data is erased (the token no longer signs in anew).
    pub erased: bool,
    /// The log position of the erasure event: pass it as `consistentAfter`.
    pub position: Option<i64>,
    /// Why nothing happened: `WRONG_PASSWORD`, `LAST_ADMIN`,
    /// `ORDERS_IN_FLIGHT`, `PAYOUTS_UNSENT`, `RATE_LIMITED`, `UNAUTHENTICATED`.
    pub user_errors: Vec<UserError>,
}

/// The erasure mutation.
#[derive(Default)]
pub struct ErasureMutation;

#[Object]
impl ErasureMutation {
    /// Erases the caller's personal data for good: their e-mail, payout
    /// e-mail and payee id become unreadable everywhere (the event log
    /// included), and the account cannot sign in again. Refused while
    /// something of theirs is under way (an order paid and not yet
    /// purchased, a payout not yet sent) and for the last ADMIN.
    async fn delete_my_data(
        &self,
        ctx: &Context<'_>,
        input: DeleteMyDataInput,
    ) -> async_graphql::Result<DeleteMyDataPayload> {
        let (services, request) = parts(ctx);
        let refused = |error| DeleteMyDataPayload {
            user_errors: vec![error],
            ..DeleteMyDataPayload::default()
        };
        let user_id = match request.require(&[Role::User, Role::Admin, Role::Accountant]) {
            Ok(claims) => UserId::from_uuid(claims.sub),
            Err(error) => return Ok(refused(error)),
        };
        let confirmed = confirm_password(
            services,
            &request,
            user_id,
            &input.current_password,
            "input.currentPassword",
        )
        .await?;
        if let Err(error) = confirmed {
            return Ok(refused(error));
        }
        // Whether an ADMIN remains is decided while no other change of
        // who is ADMIN runs.
        let lock = AdminChangeLock::acquire(services.store.pool())
            .await
            .map_err(|error| internal(&error))?;
        let refusal = refusal(services, user_id).await?;
        if let Some(error) = refusal {
            lock.release().await.map_err(|error| internal(&error))?;
            return Ok(refused(error));
        }
        // The key first: once it is gone nothing of theirs opens, even if
        // what follows fails (it is then retried by calling again).
        services
            .personal
            .erase(user_id.as_uuid())
            .await
            .map_err(|error| internal(&error))?;
        let command = UserCommand::ErasePersonalData {
            erased_at: Utc::now(),
        };
        let outcome = decide_on_user(services, &request, user_id, command).await;
        let appends = match outcome {
            Ok((_, appends)) => appends,
            Err(error) => {
                lock.release().await.map_err(|error| internal(&error))?;
                return Ok(refused(command_failure(error)?));
            }
        };
        services
            .accounts
            .anonymise(user_id.as_uuid())
            .await
            .map_err(|error| internal(&error))?;
        lock.release().await.map_err(|error| internal(&error))?;
        tracing::warn!(%user_id, correlation_id = %request.correlation_id, "personal data erased");
        Ok(DeleteMyDataPayload {
            erased: true,
            position: position_of(services, &appends).await?,
            user_errors: Vec::new(),
        })
    }
}

/// Why `user_id` may not be erased now, if anything forbids it.
async fn refusal(services: &Services, user_id: UserId) -> async_graphql::Result<Option<UserError>> {
    let user = services
        .store
        .load::<_, std::convert::Infallible>(&UserState::stream_id(user_id), UserState::default())
        .await
        .map_err(|error| internal(&error))?
        .state;
    if user.role() == Some(dropledger_domain::Role::Admin)
        && !other_admin_exists(&services.store, &services.accounts, Some(user_id))
            .await
            .map_err(|error| internal(&error))?
    {
        return Ok(Some(UserError::new(
            "LAST_ADMIN",
            "you are the last ADMIN: make another user ADMIN first",
        )));
    }
    let work = dropledger_projections::open_work(services.store.pool(), user_id)
        .await
        .map_err(|error| internal(&error))?;
    if work.orders_in_flight > 0 {
        return Ok(Some(UserError::new(
            "ORDERS_IN_FLIGHT",
            format!(
                "{} of your orders are paid and not yet purchased or refunded: try again once they are",
                work.orders_in_flight
            ),
        )));
    }
    if work.payouts_unsent > 0 {
        return Ok(Some(UserError::new(
            "PAYOUTS_UNSENT",
            format!(
                "{} payouts to you are not sent yet: erasing now would leave them nowhere to go; try again once they are sent",
                work.payouts_unsent
            ),
        )));
    }
    Ok(None)
}
