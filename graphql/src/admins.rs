//! ADMINs: how the first one comes to be, and that the last one stays.
//!
//! Outside production the first user to register becomes ADMIN (local
//! runs, the demo, tests). In production registration only ever makes a
//! USER — whoever reached a fresh deployment first, from any site, would
//! own it — and the first ADMIN is created by an operator on the command
//! line ([`create_admin`], `dropledger admin create`). An ADMIN cannot take
//! ADMIN away from the last ADMIN, so the platform always has one.
//!
//! Role changes that could leave no ADMIN run one at a time across servers
//! under a transaction-level advisory lock, so two ADMINs demoting each
//! other at once cannot both succeed.

use chrono::Utc;
use dropledger_domain::{
    Aggregate, EmailAddress, InvalidEmail, PayoutDestination, Role as DomainRole,
    User as UserState, UserCommand, UserId,
};
use dropledger_eventstore::{CommandError, EventStore, Metadata};
use dropledger_integrations::{PersonalData, PersonalDataError};
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::accounts::{AccountError, Accounts};
use crate::auth::hash_password;
use crate::users::{check_password_length, PASSWORD_CHARS_MAX, PASSWORD_CHARS_MIN};

/// The advisory lock key of changes to who is ADMIN ("admins" in ASCII).
const ADMIN_CHANGES_LOCK_KEY: i64 = 0x61_64_6d_69_6e_73;

/// Why `dropledger admin create` created no ADMIN.
#[derive(Debug, thiserror::Error)]
pub enum CreateAdminError {
    /// The e-mail address does not parse.
    #[error("--email: {0}")]
    InvalidEmail(#[from] InvalidEmail),
    /// The password is too short or too long.
    #[error("the password must have {PASSWORD_CHARS_MIN} to {PASSWORD_CHARS_MAX} characters")]
    InvalidPassword,
    /// Someone already signed up with this e-mail.
    #[error(
        "an account with this e-mail exists; pick another e-mail, or have an ADMIN grant \
         that user ADMIN with setUserRole"
    )]
    EmailTaken,
    /// There is an ADMIN already: they grant roles through the API.
    #[error(
        "an ADMIN exists already; an ADMIN grants roles with the setUserRole mutation \
         (this command only creates the first one)"
    )]
    AdminExists,
    /// The database failed.
    #[error("the database failed: {0}")]
    Database(#[from] sqlx::Error),
    /// The user could not be recorded in the event log.
    #[error("recording the user failed: {0}")]
    Store(String),
}

/// Held while a change to who is ADMIN is checked and made; other such
/// changes wait. Released by [`AdminChangeLock::release`] (or, should the
/// task die, with its connection).
pub(crate) struct AdminChangeLock(Transaction<'static, Postgres>);

impl AdminChangeLock {
    /// Waits for the lock.
    pub(crate) async fn acquire(pool: &PgPool) -> Result<Self, sqlx::Error> {
        let mut transaction = pool.begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ADMIN_CHANGES_LOCK_KEY)
            .execute(&mut *transaction)
            .await?;
        Ok(Self(transaction))
    }

    /// Lets the next change go.
    pub(crate) async fn release(self) -> Result<(), sqlx::Error> {
        self.0.commit().await
    }
}

/// Whether some user other than `except` is ADMIN now (and not erased). Users live in
/// their own streams; the accounts table lists them.
pub(crate) async fn other_admin_exists(
    store: &EventStore,
    accounts: &Accounts,
    except: Option<UserId>,
) -> Result<bool, String> {
    for user_id in accounts.user_ids().await.map_err(|e| e.to_string())? {
        let user_id = UserId::from_uuid(user_id);
        if Some(user_id) == except {
            continue;
        }
        let user = store
            .load::<_, std::convert::Infallible>(
                &UserState::stream_id(user_id),
                UserState::default(),
            )
            .await
            .map_err(|error| error.to_string())?;
        // An erased ADMIN can no longer sign in: not an ADMIN anyone has.
        if user.state.role() == Some(DomainRole::Admin) && !user.state.is_erased() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Creates the platform's first ADMIN (an operator's command, never the
/// API): an account with `email` and `password`, paid at PayPal to
/// `paypal_payout_email` (default: `email`). Refused when an ADMIN exists.
pub async fn create_admin(
    store: &EventStore,
    personal: &PersonalData,
    email: &str,
    password: &str,
    paypal_payout_email: Option<&str>,
) -> Result<UserId, CreateAdminError> {
    let email = EmailAddress::parse(email)?;
    let payout = match paypal_payout_email {
        Some(payout) => EmailAddress::parse(payout)?,
        None => email.clone(),
    };
    check_password_length(password).map_err(|_| CreateAdminError::InvalidPassword)?;
    let accounts = Accounts::new(store.pool().clone());
    let lock = AdminChangeLock::acquire(store.pool()).await?;
    if other_admin_exists(store, &accounts, None)
        .await
        .map_err(CreateAdminError::Store)?
    {
        return Err(CreateAdminError::AdminExists);
    }
    let password = password.to_owned();
    let hash = tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|error| CreateAdminError::Store(error.to_string()))?;
    let user_id = UserId::from_uuid(Uuid::new_v4());
    match accounts
        .create(user_id.as_uuid(), email.as_str(), &hash)
        .await
    {
        Ok(_) => {}
        Err(AccountError::EmailTaken) => return Err(CreateAdminError::EmailTaken),
        Err(AccountError::Database(error)) => return Err(error.into()),
    }
    let sealed = async {
        let subject = user_id.as_uuid();
        Ok::<_, PersonalDataError>((
            personal.seal(subject, email.as_str()).await?,
            personal.seal(subject, payout.as_str()).await?,
        ))
    };
    let (email, payout) = sealed
        .await
        .map_err(|error| CreateAdminError::Store(error.to_string()))?;
    let command = UserCommand::RegisterUser {
        user_id,
        email,
        role: DomainRole::Admin,
        payout_destination: Some(PayoutDestination::Paypal { email: payout }),
        registered_at: Utc::now(),
    };
    let stream = UserState::stream_id(user_id);
    let metadata = Metadata {
        correlation_id: Uuid::new_v4(),
        causation_id: None,
        actor: "system:admin-create".to_owned(),
        command_id: Some(Uuid::new_v4()),
    };
    let recorded = store
        .execute(|| async {
            let user = store.load(&stream, UserState::default()).await?;
            let events = user
                .state
                .decide(command.clone())
                .map_err(CommandError::Refused)?;
            Ok((vec![user.append(&events, &metadata)], ()))
        })
        .await;
    if let Err(error) = recorded {
        // The sign-in must not outlive a user that was never recorded.
        if let Err(cleanup) = accounts.remove(user_id.as_uuid()).await {
            tracing::error!(%cleanup, %user_id, "could not remove the account of a failed admin creation");
        }
        return Err(CreateAdminError::Store(error.to_string()));
    }
    lock.release().await?;
    Ok(user_id)
}
