//! The user aggregate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::ids::UserId;
use crate::payout::PayoutDestination;
use crate::personal::PersonalText;

/// What a user may do, as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Role {
    /// Runs the platform; receives the commission.
    Admin,
    /// Sells products and buys.
    User,
    /// Reads everything, changes nothing.
    Accountant,
}

/// What may be asked of a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserCommand {
    /// Register a new user (the caller decides the role: the first user
    /// ever registered becomes ADMIN).
    RegisterUser {
        /// The new user's id.
        user_id: UserId,
        /// Sign-in e-mail, sealed for this user.
        email: PersonalText,
        /// Role.
        role: Role,
        /// Where profit is paid, if given at registration.
        payout_destination: Option<PayoutDestination>,
        /// When.
        registered_at: DateTime<Utc>,
    },
    /// Grant a role.
    ChangeRole {
        /// The new role.
        role: Role,
        /// When.
        changed_at: DateTime<Utc>,
    },
    /// Set where the user's profit is paid.
    SetPayoutMethod {
        /// PayPal e-mail or Payoneer payee.
        destination: PayoutDestination,
        /// When.
        set_at: DateTime<Utc>,
    },
    /// Erase the user's personal data (`deleteMyData`): the edge has
    /// destroyed their data key; this records that it happened.
    ErasePersonalData {
        /// When.
        erased_at: DateTime<Utc>,
    },
}

/// Something that happened to a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum UserEvent {
    /// A user registered.
    #[serde(rename = "UserRegistered")]
    UserRegistered {
        /// The user.
        user_id: UserId,
        /// Sign-in e-mail, sealed for this user.
        email: PersonalText,
        /// Role.
        role: Role,
        /// Where profit is paid, if given.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        payout_destination: Option<PayoutDestination>,
        /// When.
        registered_at: DateTime<Utc>,
    },
    /// A user was granted another role.
    #[serde(rename = "UserRoleChanged")]
    UserRoleChanged {
        /// The new role.
        role: Role,
        /// When.
        changed_at: DateTime<Utc>,
    },
    /// A user set where their profit is paid.
    #[serde(rename = "PayoutMethodSet")]
    PayoutMethodSet {
        /// PayPal e-mail or Payoneer payee.
        destination: PayoutDestination,
        /// When.
        set_at: DateTime<Utc>,
    },
    /// The user's personal data was erased: their data key is destroyed,
    /// so every sealed value of theirs in the log is unreadable for good.
    /// Carries no personal data itself.
    #[serde(rename = "PersonalDataErased")]
    PersonalDataErased {
        /// When.
        erased_at: DateTime<Utc>,
    },
}

impl DomainEvent for UserEvent {
    /// 2: personal values are sealed (version 1 held plaintext e-mails and
    /// payee ids; see `crate::upcast`).
    const SCHEMA_VERSION: i32 = 2;

    fn event_type(&self) -> &'static str {
        match self {
            UserEvent::UserRegistered { .. } => "UserRegistered",
            UserEvent::UserRoleChanged { .. } => "UserRoleChanged",
            UserEvent::PayoutMethodSet { .. } => "PayoutMethodSet",
            UserEvent::PersonalDataErased { .. } => "PersonalDataErased",
        }
    }
}

/// Why a user command was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UserError {
    /// The user does not exist.
    #[error("no such user")]
    NotFound,
    /// The user id is already registered.
    #[error("the user is already registered")]
    AlreadyRegistered,
    /// The user's personal data is erased: nothing personal can be set again.
    #[error("this user's personal data is erased")]
    Erased,
}

impl ErrorCode for UserError {
    fn code(&self) -> &'static str {
        match self {
            UserError::NotFound => "NOT_FOUND",
            UserError::AlreadyRegistered => "ALREADY_EXISTS",
            UserError::Erased => "ERASED",
        }
    }
}

/// A user as their events describe them; `User::default()` is "not registered".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct User {
    registered: Option<Registered>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Registered {
    user_id: UserId,
    email: PersonalText,
    role: Role,
    payout_destination: Option<PayoutDestination>,
    erased: bool,
}

impl User {
    /// The stream id of a user, `user-<uuid>`.
    pub fn stream_id(user_id: UserId) -> String {
        user_id.stream_id()
    }

    /// The user's id, once registered.
    pub fn id(&self) -> Option<UserId> {
        self.registered.as_ref().map(|r| r.user_id)
    }

    /// Sign-in e-mail, sealed.
    pub fn email(&self) -> Option<&PersonalText> {
        self.registered.as_ref().map(|r| &r.email)
    }

    /// Role.
    pub fn role(&self) -> Option<Role> {
        self.registered.as_ref().map(|r| r.role)
    }

    /// Whether the user's personal data was erased.
    pub fn is_erased(&self) -> bool {
        self.registered.as_ref().is_some_and(|r| r.erased)
    }

    /// Where profit is paid, if set (never after erasure).
    pub fn payout_destination(&self) -> Option<&PayoutDestination> {
        self.registered
            .as_ref()
            .and_then(|r| r.payout_destination.as_ref())
    }
}

impl Aggregate for User {
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = UserError;

    fn decide(&self, command: UserCommand) -> Result<Vec<UserEvent>, UserError> {
        match command {
            UserCommand::RegisterUser {
                user_id,
                email,
                role,
                payout_destination,
                registered_at,
            } => {
                if self.registered.is_some() {
                    return Err(UserError::AlreadyRegistered);
                }
                Ok(vec![UserEvent::UserRegistered {
                    user_id,
                    email,
                    role,
                    payout_destination,
                    registered_at,
                }])
            }
            UserCommand::ChangeRole { role, changed_at } => {
                let registered = self.registered.as_ref().ok_or(UserError::NotFound)?;
                // Granting the role a user already has changes nothing.
                if registered.role == role {
                    return Ok(Vec::new());
                }
                Ok(vec![UserEvent::UserRoleChanged { role, changed_at }])
            }
            UserCommand::SetPayoutMethod {
                destination,
                set_at,
            } => {
                let registered = self.registered.as_ref().ok_or(UserError::NotFound)?;
                if registered.erased {
                    return Err(UserError::Erased);
                }
                // Sealed values differ on each sealing, so this holds only
                // for the very same sealed value; the edge compares plaintext.
                if registered.payout_destination.as_ref() == Some(&destination) {
                    return Ok(Vec::new());
                }
                Ok(vec![UserEvent::PayoutMethodSet {
                    destination,
                    set_at,
                }])
            }
            UserCommand::ErasePersonalData { erased_at } => {
                let registered = self.registered.as_ref().ok_or(UserError::NotFound)?;
                // Erasing twice changes nothing.
                if registered.erased {
                    return Ok(Vec::new());
                }
                Ok(vec![UserEvent::PersonalDataErased { erased_at }])
            }
        }
    }

    fn evolve(mut self, event: &UserEvent) -> User {
        match event {
            UserEvent::UserRegistered {
                user_id,
                email,
                role,
                payout_destination,
                ..
            } => {
                self.registered = Some(Registered {
                    user_id: *user_id,
                    email: email.clone(),
                    role: *role,
                    payout_destination: payout_destination.clone(),
                    erased: false,
                });
            }
            UserEvent::UserRoleChanged { role, .. } => {
                if let Some(registered) = self.registered.as_mut() {
                    registered.role = *role;
                }
            }
            UserEvent::PayoutMethodSet { destination, .. } => {
                if let Some(registered) = self.registered.as_mut() {
                    registered.payout_destination = Some(destination.clone());
                }
            }
            UserEvent::PersonalDataErased { .. } => {
                if let Some(registered) = self.registered.as_mut() {
                    registered.payout_destination = None;
                    registered.erased = true;
                }
            }
        }
        self
    }
}
