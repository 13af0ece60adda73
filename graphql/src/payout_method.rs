//! `setPayoutMethod`: where a user's profit is paid.

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject};
use chrono::Utc;
use dropledger_domain::{EmailAddress, PayoutDestination, Reference, UserCommand, UserId};
use dropledger_integrations::PersonalDataError;

use crate::auth::Role;
use crate::consistency::position_of;
use crate::context::parts;
use crate::errors::{command_failure, internal, UserError};
use crate::reauth::confirm_password;
use crate::users::{decide_on_user, User};

/// How profit is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PayoutMethod {
    /// PayPal Payouts to an e-mail address.
    Paypal,
    /// Payoneer, to a payee id.
    Payoneer,
}

impl PayoutMethod {
    pub(crate) fn of(destination: &PayoutDestination) -> Self {
        match destination {
            PayoutDestination::Paypal { .. } => PayoutMethod::Paypal,
            PayoutDestination::Payoneer { .. } => PayoutMethod::Payoneer,
        }
    }
}

/// `setPayoutMethod`'s input.
#[derive(Debug, InputObject)]
pub struct SetPayoutMethodInput {
    /// PAYPAL or PAYONEER.
    pub method: PayoutMethod,
    /// The PayPal e-mail, or the Payoneer payee id.
    pub destination: String,
    /// The caller's password, asked again: a stolen token alone must not be
    /// able to redirect their money.
    pub current_password: String,
}

/// `setPayoutMethod`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct SetPayoutMethodPayload {
    /// The caller as now.
    pub user: Option<User>,
    /// The log position of the last event this wrote: pass it as
    /// `consistentAfter` to read your own write.
    pub position: Option<i64>,
    /// Why nothing changed.
    pub user_errors: Vec<UserError>,
}

/// Payout method mutation.
#[derive(Default)]
pub struct PayoutMethodMutation;

#[Object]
impl PayoutMethodMutation {
    /// Sets where the caller's profit is paid, with their password again.
    /// The change is announced: logged (without the address) and listed in
    /// the account's `payoutMethodChanges`. USER or ADMIN.
    async fn set_payout_method(
        &self,
        ctx: &Context<'_>,
        input: SetPayoutMethodInput,
    ) -> async_graphql::Result<SetPayoutMethodPayload> {
        let (services, request) = parts(ctx);
        let refused = |error| SetPayoutMethodPayload {
            user_errors: vec![error],
            ..SetPayoutMethodPayload::default()
        };
        let user_id = match request.require(&[Role::User, Role::Admin]) {
            Ok(claims) => UserId::from_uuid(claims.sub),
            Err(error) => return Ok(refused(error)),
        };
        // Parsed here, sealed once the password is confirmed: the log
        // holds the address only sealed for this user.
        let parsed = match input.method {
            PayoutMethod::Paypal => EmailAddress::parse(&input.destination)
                .map(|email| email.as_str().to_owned())
                .map_err(|error| UserError::invalid("input.destination", error)),
            PayoutMethod::Payoneer => Reference::parse(&input.destination)
                .map(|payee_id| payee_id.as_str().to_owned())
                .map_err(|error| UserError::invalid("input.destination", error)),
        };
        let plaintext = match parsed {
            Ok(plaintext) => plaintext,
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
            tracing::warn!(%user_id, code = %error.code, "payout destination change refused: password not confirmed");
            return Ok(refused(error));
        }
        let sealed = match services.personal.seal(user_id.as_uuid(), &plaintext).await {
            Ok(sealed) => sealed,
            Err(PersonalDataError::Erased(_)) => {
                return Ok(refused(UserError::new(
                    "ERASED",
                    "this account's personal data is erased: register a new account",
                )))
            }
            Err(error) => return Err(internal(&error)),
        };
        let destination = match input.method {
            PayoutMethod::Paypal => PayoutDestination::Paypal { email: sealed },
            PayoutMethod::Payoneer => PayoutDestination::Payoneer { payee_id: sealed },
        };
        let method = PayoutMethod::of(&destination);
        let command = UserCommand::SetPayoutMethod {
            destination,
            set_at: Utc::now(),
        };
        let outcome = decide_on_user(services, &request, user_id, command).await;
        match outcome {
            Ok((state, appends)) => {
                if appends.iter().any(|append| !append.already_stored) {
                    // For whoever watches the logs; the address stays out.
                    tracing::warn!(%user_id, method = ?method, correlation_id = %request.correlation_id, "payout destination changed");
                }
                Ok(SetPayoutMethodPayload {
                    user: User::shown_to(&state, &request),
                    position: position_of(services, &appends).await?,
                    user_errors: Vec::new(),
                })
            }
            Err(error) => Ok(refused(command_failure(error)?)),
        }
    }
}
