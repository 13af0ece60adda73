//! Registration, sign-in, roles and `me`.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use dropledger_domain::{
    Aggregate, EmailAddress, PayoutDestination, PersonalText, User as UserState, UserCommand,
    UserId,
};
use dropledger_eventstore::{AppendResult, CommandError};
use dropledger_integrations::PersonalDataError;
use uuid::Uuid;

use crate::accounts::AccountError;
use crate::admins::{other_admin_exists, AdminChangeLock};
use crate::auth::{hash_password, verify_password, Role};
use crate::auth_limits::AuthRefusal;
use crate::consistency::position_of;
use crate::context::count_appends;
use crate::context::{parts, RequestContext, Services};
use crate::errors::{command_failure, internal, top_level, UserError};
use crate::payout_changes::{payout_method_changes, PayoutMethodChange};
use crate::payout_method::PayoutMethod;
use crate::profile::{account_access, display_name};

/// Shortest password accepted, in characters.
pub(crate) const PASSWORD_CHARS_MIN: usize = 8;
/// Longest password accepted: argon2's cost grows with it.
pub(crate) const PASSWORD_CHARS_MAX: usize = 128;

/// A user's account. Its id and display name are public; the rest
/// (e-mail, role, payout details) is personal and resolves only for the
/// user themselves, ADMIN and ACCOUNTANT (see `profile::account_access`):
/// anyone else gets `UNAUTHENTICATED` or `FORBIDDEN` on those fields.
#[derive(Debug, Clone)]
pub struct User {
    id: UserId,
    /// Sealed as recorded: opened per field read, so an erased user's
    /// values read as erased on every path.
    email: PersonalText,
    role: Role,
    paypal_payout_email: Option<PersonalText>,
    payout_method: Option<PayoutMethod>,
    erased: bool,
    /// Why the caller may not read the personal fields; `None`: they may.
    denial: Option<UserError>,
}

impl User {
    /// The account of `state` as the caller of `request` may see it.
    pub(crate) fn shown_to(state: &UserState, request: &RequestContext) -> Option<Self> {
        let user = Self::of(state)?;
        let denial = account_access(request, user.id).err();
        Some(Self { denial, ..user })
    }

    /// The account of `state` for the user themselves, who just proved who
    /// they are (`register`, `login`): every field.
    pub(crate) fn shown_to_themselves(state: &UserState) -> Option<Self> {
        Self::of(state)
    }

    /// This account as the caller of `request` may see it.
    pub(crate) fn for_caller(self, request: &RequestContext) -> Self {
        let denial = account_access(request, self.id).err();
        Self { denial, ..self }
    }

    /// Every field, readable: callers narrow it with [`User::for_caller`].
    fn of(state: &UserState) -> Option<Self> {
        Some(Self {
            id: state.id()?,
            email: state.email()?.clone(),
            role: state.role()?.into(),
            paypal_payout_email: match state.payout_destination() {
                Some(PayoutDestination::Paypal { email }) => Some(email.clone()),
                _ => None,
            },
            payout_method: state.payout_destination().map(PayoutMethod::of),
            erased: state.is_erased(),
            denial: None,
        })
    }

    /// The loaded account with nobody allowed to read its personal fields
    /// yet: the loader's result, narrowed per caller by [`User::for_caller`].
    pub(crate) fn loaded(state: &UserState) -> Option<Self> {
        let user = Self::of(state)?;
        Some(Self {
            denial: Some(UserError::forbidden()),
            ..user
        })
    }

    fn personal<T: Clone>(&self, value: &T) -> async_graphql::Result<T> {
        match &self.denial {
            None => Ok(value.clone()),
            Some(denial) => Err(top_level(denial.clone())),
        }
    }
}

#[Object]
impl User {
    /// The user id.
    async fn id(&self) -> ID {
        ID(self.id.to_string())
    }

    /// The name shown to other users.
    async fn display_name(&self) -> String {
        display_name(self.id)
    }

    /// Sign-in e-mail; null once the user's personal data is erased
    /// (`deleteMyData`). Personal: the user, ADMIN and ACCOUNTANT.
    async fn email(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<String>> {
        self.personal(&())?;
        open_personal(ctx, &self.email, self.id).await
    }

    /// Whether the user erased their personal data (`deleteMyData`): their
    /// e-mail and payout details read as null for good. Personal: the
    /// user, ADMIN and ACCOUNTANT.
    async fn erased(&self) -> async_graphql::Result<bool> {
        self.personal(&self.erased)
    }

    /// What they may do. Personal: the user, ADMIN and ACCOUNTANT.
    async fn role(&self) -> async_graphql::Result<Role> {
        self.personal(&self.role)
    }

    /// Where their profit goes at PayPal, if that is their payout method.
    /// Personal: the user, ADMIN and ACCOUNTANT.
    async fn paypal_payout_email(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<String>> {
        self.personal(&())?;
        match &self.paypal_payout_email {
            Some(email) => open_personal(ctx, email, self.id).await,
            None => Ok(None),
        }
    }

    /// How their profit is paid, once they said. Personal: the user, ADMIN
    /// and ACCOUNTANT.
    async fn payout_method(&self) -> async_graphql::Result<Option<PayoutMethod>> {
        self.personal(&self.payout_method)
    }

    /// Every change of where their profit goes, oldest first, with a hint
    /// of each destination: how a user learns that someone changed it.
    /// Personal: the user, ADMIN and ACCOUNTANT.
    async fn payout_method_changes(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<PayoutMethodChange>> {
        self.personal(&())?;
        let (services, _) = parts(ctx);
        payout_method_changes(services, self.id).await
    }
}

/// The plaintext of `text`, a personal value of `owner`; `None` once erased.
pub(crate) async fn open_personal(
    ctx: &Context<'_>,
    text: &PersonalText,
    owner: UserId,
) -> async_graphql::Result<Option<String>> {
    let (services, _) = parts(ctx);
    services
        .personal
        .open(text, Some(owner.as_uuid()))
        .await
        .map(|opened| opened.into_plain())
        .map_err(|error| internal(&error))
}

/// `register`'s input.
#[derive(Debug, InputObject)]
pub struct RegisterInput {
    /// Sign-in e-mail.
    pub email: String,
    /// 8 to 128 characters.
    pub password: String,
    /// Where profit is paid at PayPal.
    pub paypal_payout_email: String,
}

/// `login`'s input.
#[derive(Debug, InputObject)]
pub struct LoginInput {
    /// Sign-in e-mail.
    pub email: String,
    /// The password.
    pub password: String,
}

/// A signed-in user and their bearer token.
#[derive(Debug, Default, SimpleObject)]
pub struct AuthPayload {
    /// `Authorization: Bearer <token>` for later requests.
    pub token: Option<String>,
    /// Who signed in.
    pub user: Option<User>,
    /// The log position of the last event this wrote: pass it as
    /// `consistentAfter` to a query to read your own write. Null only when
    /// an older transaction held the log back for over 5 s.
    pub position: Option<i64>,
    /// Why nothing happened.
    pub user_errors: Vec<UserError>,
}

impl AuthPayload {
    fn refused(error: UserError) -> Self {
        Self {
            user_errors: vec![error],
            ..Self::default()
        }
    }
}

/// `setUserRole`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct SetUserRolePayload {
    /// The user as now.
    pub user: Option<User>,
    /// The log position of the last event this wrote: pass it as
    /// `consistentAfter` to a query to read your own write. Null only when
    /// an older transaction held the log back for over 5 s.
    pub position: Option<i64>,
    /// Why nothing happened.
    pub user_errors: Vec<UserError>,
}

/// `me`.
#[derive(Default)]
pub struct UserQuery;

#[Object]
impl UserQuery {
    /// The caller; null when not signed in.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<User>> {
        let (services, request) = parts(ctx);
        let Some(claims) = request.claims else {
            return Ok(None);
        };
        load_user(services, UserId::from_uuid(claims.sub)).await
    }
}

/// Sign-up, sign-in, roles.
#[derive(Default)]
pub struct UserMutation;

#[Object]
impl UserMutation {
    /// Creates a USER and signs them in. Outside production the first user
    /// ever registered becomes ADMIN; in production never (the first ADMIN
    /// is created with `dropledger admin create`).
    async fn register(
        &self,
        ctx: &Context<'_>,
        input: RegisterInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (services, request) = parts(ctx);
        if let Err(error) = rate_limit(services, &request, None) {
            return Ok(AuthPayload::refused(error));
        }
        let parsed = (|| {
            let email = EmailAddress::parse(&input.email)
                .map_err(|error| UserError::invalid("input.email", error))?;
            let payout = EmailAddress::parse(&input.paypal_payout_email)
                .map_err(|error| UserError::invalid("input.paypalPayoutEmail", error))?;
            check_password_length(&input.password)?;
            Ok::<_, UserError>((email, payout))
        })();
        let (email, payout) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => return Ok(AuthPayload::refused(error)),
        };
        let place = match services.auth_limits.hashing_place().await {
            Ok(place) => place,
            Err(refusal) => return Ok(AuthPayload::refused(rate_limited(refusal))),
        };
        let password = input.password.clone();
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|error| internal(&error))?;
        drop(place);
        let user_id = UserId::from_uuid(Uuid::new_v4());
        let first = match services
            .accounts
            .create(user_id.as_uuid(), email.as_str(), &hash)
            .await
        {
            Ok(first) => first,
            Err(AccountError::EmailTaken) => {
                return Ok(AuthPayload::refused(UserError {
                    code: "ALREADY_EXISTS".to_owned(),
                    message: "an account with this e-mail exists".to_owned(),
                    field: Some("input.email".to_owned()),
                }))
            }
            Err(AccountError::Database(error)) => return Err(internal(&error)),
        };
        // Only outside production does the first sign-up take the platform;
        // in production the first ADMIN comes from `dropledger admin create`.
        let role = if first && services.policy.first_user_becomes_admin {
            Role::Admin
        } else {
            Role::User
        };
        let (email, payout) = match seal_registration(services, user_id, &email, &payout).await {
            Ok(sealed) => sealed,
            Err(error) => {
                forget_account(services, user_id).await;
                return Err(internal(&error));
            }
        };
        let command = UserCommand::RegisterUser {
            user_id,
            email,
            role: role.into(),
            payout_destination: Some(PayoutDestination::Paypal { email: payout }),
            registered_at: Utc::now(),
        };
        let outcome = decide_on_user(services, &request, user_id, command).await;
        match outcome {
            Ok((state, appends)) => Ok(AuthPayload {
                token: Some(services.tokens.issue(user_id.as_uuid(), role)),
                user: User::shown_to_themselves(&state),
                position: position_of(services, &appends).await?,
                user_errors: Vec::new(),
            }),
            Err(error) => {
                forget_account(services, user_id).await;
                Ok(AuthPayload::refused(command_failure(error)?))
            }
        }
    }

    /// Signs in with e-mail and password.
    async fn login(
        &self,
        ctx: &Context<'_>,
        input: LoginInput,
    ) -> async_graphql::Result<AuthPayload> {
        let (services, request) = parts(ctx);
        if let Err(error) = rate_limit(services, &request, Some(&input.email)) {
            return Ok(AuthPayload::refused(error));
        }
        let wrong = || {
            AuthPayload::refused(UserError::new(
                "UNAUTHENTICATED",
                "wrong e-mail or password",
            ))
        };
        if input.password.chars().count() > PASSWORD_CHARS_MAX {
            return Ok(wrong());
        }
        // An unknown address costs the same hashing as a wrong password, so
        // timing does not tell which addresses have accounts.
        let (user_id, hash) = match services
            .accounts
            .find(input.email.trim())
            .await
            .map_err(|error| internal(&error))?
        {
            Some((user_id, hash)) => (Some(user_id), hash),
            None => (None, unknown_account_hash().to_owned()),
        };
        let place = match services.auth_limits.hashing_place().await {
            Ok(place) => place,
            Err(refusal) => return Ok(AuthPayload::refused(rate_limited(refusal))),
        };
        let password = input.password.clone();
        let matches = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|error| internal(&error))?;
        drop(place);
        let (true, Some(user_id)) = (matches, user_id) else {
            return Ok(wrong());
        };
        let Some(user) = load_user(services, UserId::from_uuid(user_id)).await? else {
            return Ok(wrong());
        };
        Ok(AuthPayload {
            token: Some(services.tokens.issue(user_id, user.role)),
            user: Some(user),
            position: None,
            user_errors: Vec::new(),
        })
    }

    /// Grants a user a role. ADMIN only; the last ADMIN keeps ADMIN
    /// (`LAST_ADMIN`).
    async fn set_user_role(
        &self,
        ctx: &Context<'_>,
        user_id: ID,
        role: Role,
    ) -> async_graphql::Result<SetUserRolePayload> {
        let (services, request) = parts(ctx);
        let refused = |error| SetUserRolePayload {
            user_errors: vec![error],
            ..SetUserRolePayload::default()
        };
        if let Err(error) = request.require(&[Role::Admin]) {
            return Ok(refused(error));
        }
        let Ok(target) = user_id.parse::<UserId>() else {
            return Ok(refused(UserError::invalid("userId", "not a user id")));
        };
        let command = UserCommand::ChangeRole {
            role: role.into(),
            changed_at: Utc::now(),
        };
        // Whether this leaves an ADMIN is checked and the change made
        // while no other change of who is ADMIN runs.
        let lock = AdminChangeLock::acquire(services.store.pool())
            .await
            .map_err(|error| internal(&error))?;
        if role != Role::Admin {
            let current = services
                .store
                .load::<_, std::convert::Infallible>(
                    &UserState::stream_id(target),
                    UserState::default(),
                )
                .await
                .map_err(|error| internal(&error))?;
            let demotes_admin = current.state.role() == Some(dropledger_domain::Role::Admin);
            if demotes_admin
                && !other_admin_exists(&services.store, &services.accounts, Some(target))
                    .await
                    .map_err(|error| internal(&error))?
            {
                lock.release().await.map_err(|error| internal(&error))?;
                return Ok(refused(UserError {
                    code: "LAST_ADMIN".to_owned(),
                    message: "this user is the last ADMIN and the platform needs one: grant ADMIN \
                              to someone else first, then change this user's role"
                        .to_owned(),
                    field: Some("role".to_owned()),
                }));
            }
        }
        let outcome = decide_on_user(services, &request, target, command).await;
        lock.release().await.map_err(|error| internal(&error))?;
        match outcome {
            Ok((state, appends)) => Ok(SetUserRolePayload {
                user: User::shown_to(&state, &request),
                position: position_of(services, &appends).await?,
                user_errors: Vec::new(),
            }),
            Err(error) => Ok(refused(command_failure(error)?)),
        }
    }
}

/// Decides `command` on `user_id`'s stream through the command loop; the
/// user as it is after the events, and the appends (for their position).
pub(crate) async fn decide_on_user(
    services: &Services,
    request: &RequestContext,
    user_id: UserId,
    command: UserCommand,
) -> Result<(UserState, Vec<AppendResult>), CommandError<dropledger_domain::UserError>> {
    let stream = UserState::stream_id(user_id);
    let metadata = request.metadata(Uuid::new_v4());
    services
        .store
        .execute(|| async {
            let user = services.store.load(&stream, UserState::default()).await?;
            let events = user
                .state
                .decide(command.clone())
                .map_err(CommandError::Refused)?;
            let changed = user.state.clone().replay(&events);
            Ok((vec![user.append(&events, &metadata)], changed))
        })
        .await
        .map(count_appends)
}

/// The sign-in and payout e-mails sealed for the new user `user_id`: the
/// log never holds them in plaintext.
pub(crate) async fn seal_registration(
    services: &Services,
    user_id: UserId,
    email: &EmailAddress,
    payout: &EmailAddress,
) -> Result<(PersonalText, PersonalText), PersonalDataError> {
    let subject = user_id.as_uuid();
    Ok((
        services.personal.seal(subject, email.as_str()).await?,
        services.personal.seal(subject, payout.as_str()).await?,
    ))
}

/// The sign-in must not outlive a user that was never recorded.
async fn forget_account(services: &Services, user_id: UserId) {
    if let Err(cleanup) = services.accounts.remove(user_id.as_uuid()).await {
        tracing::error!(%cleanup, %user_id, "could not remove the account of a failed registration");
    }
}

/// A hash no password matches, verified against when the e-mail is unknown.
fn unknown_account_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&Uuid::new_v4().to_string()))
}

/// `INVALID_INPUT` unless `password` has an accepted length.
pub(crate) fn check_password_length(password: &str) -> Result<(), UserError> {
    let count = password.chars().count();
    if !(PASSWORD_CHARS_MIN..=PASSWORD_CHARS_MAX).contains(&count) {
        return Err(UserError::invalid(
            "input.password",
            format!("must have {PASSWORD_CHARS_MIN} to {PASSWORD_CHARS_MAX} characters"),
        ));
    }
    Ok(())
}

/// `RATE_LIMITED` when the client's address (or IPv6 /64), the account
/// signed in to (`account`), or the whole server saw too many attempts.
fn rate_limit(
    services: &Services,
    request: &RequestContext,
    account: Option<&str>,
) -> Result<(), UserError> {
    services
        .auth_limits
        .check(request.client_ip, account)
        .map_err(rate_limited)
}

/// A refusal by the sign-in limits, counted.
fn rate_limited(refusal: AuthRefusal) -> UserError {
    metrics::counter!("dropledger_auth_rate_limited_total").increment(1);
    UserError::new("RATE_LIMITED", refusal.to_string())
}

/// The account of `user_id` for the user themselves (`me`, `login`).
async fn load_user(services: &Services, user_id: UserId) -> async_graphql::Result<Option<User>> {
    let loaded = services
        .store
        .load::<_, std::convert::Infallible>(&UserState::stream_id(user_id), UserState::default())
        .await
        .map_err(|error| internal(&error))?;
    Ok(User::shown_to_themselves(&loaded.state))
}
