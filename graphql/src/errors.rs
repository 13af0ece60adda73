//! Business refusals as `userErrors`, and the one mapping of command
//! failures to them.

use async_graphql::{ErrorExtensions, SimpleObject};
use dropledger_domain::ErrorCode;
use dropledger_eventstore::CommandError;

/// Why a mutation did nothing: a code from API.md, a message for people,
/// and the input field at fault (dotted path), when there is one.
#[derive(Debug, Clone, PartialEq, Eq, SimpleObject)]
pub struct UserError {
    /// SCREAMING_SNAKE_CASE, e.g. `INVALID_INPUT`, `FORBIDDEN`.
    pub code: String,
    /// What went wrong, for people.
    pub message: String,
    /// The input field at fault, e.g. `input.price.amount`.
    pub field: Option<String>,
}

impl UserError {
    /// A refusal with `code` and `message`, about no field in particular.
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
            field: None,
        }
    }

    /// A refusal with `code` naming `field`.
    pub fn at(code: &str, field: &str, message: impl std::fmt::Display) -> Self {
        Self {
            code: code.to_owned(),
            message: format!("{field}: {message}"),
            field: Some(field.to_owned()),
        }
    }

    /// `INVALID_INPUT` naming `field`.
    pub fn invalid(field: &str, message: impl std::fmt::Display) -> Self {
        Self {
            code: "INVALID_INPUT".to_owned(),
            message: format!("{field}: {message}"),
            field: Some(field.to_owned()),
        }
    }

    /// No valid bearer token.
    pub fn unauthenticated() -> Self {
        Self::new("UNAUTHENTICATED", "sign in first")
    }

    /// The caller's role may not do this.
    pub fn forbidden() -> Self {
        Self::new("FORBIDDEN", "your role may not do this")
    }
}

/// A refusal from the domain.
pub(crate) fn refused<E: ErrorCode + std::fmt::Display>(error: &E) -> UserError {
    UserError::new(error.code(), error.to_string())
}

/// What a failed command means to the caller: a domain refusal or a
/// version conflict is a `userErrors` entry; anything else is a server
/// fault, logged here and shown as an opaque top-level error.
pub(crate) fn command_failure<E: ErrorCode + std::fmt::Display>(
    error: CommandError<E>,
) -> async_graphql::Result<UserError> {
    match error {
        CommandError::Refused(refusal) => Ok(refused(&refusal)),
        CommandError::Contended { .. } => Ok(UserError::new(
            "VERSION_CONFLICT",
            "others kept changing the same records; try again",
        )),
        other => Err(internal(&other)),
    }
}

/// Logs a server fault and returns an error that says nothing about it.
pub(crate) fn internal(error: &dyn std::fmt::Display) -> async_graphql::Error {
    tracing::error!(%error, "request failed");
    async_graphql::Error::new("internal error").extend_with(|_, e| e.set("code", "INTERNAL"))
}

/// A top-level error with an API code, for queries and subscriptions.
pub(crate) fn top_level(error: UserError) -> async_graphql::Error {
    async_graphql::Error::new(error.message).extend_with(|_, e| {
        e.set("code", error.code.clone());
        if let Some(field) = &error.field {
            e.set("field", field.clone());
        }
    })
}
