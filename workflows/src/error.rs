//! Faults of ours, shared by every workflow: the store could not be read or
//! written. They are retried or reported as internal errors, never recorded
//! as a provider's or the business's answer.

use dropledger_domain::DecodeError;
use dropledger_eventstore::{AppendError, CommandError, ReadError};

/// The event store failed (or held an event this code cannot read).
#[derive(Debug, thiserror::Error)]
pub enum StoreFault {
    /// Reading failed (connection lost, database down).
    #[error(transparent)]
    Read(#[from] ReadError),
    /// Appending failed for a reason other than a business refusal.
    #[error(transparent)]
    Append(#[from] AppendError),
    /// A stored event could not be decoded.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Other writers kept moving the same streams.
    #[error("other writers kept changing {stream}")]
    Contended {
        /// The stream of the last conflict.
        stream: String,
    },
    /// A sealed credential could not be read or written (the vault's
    /// table, or a key this server does not hold).
    #[error(transparent)]
    Credentials(#[from] dropledger_integrations::CredentialError),
    /// A personal value could not be sealed or opened.
    #[error(transparent)]
    PersonalData(#[from] dropledger_integrations::PersonalDataError),
    /// A parked-work or checkpoint table could not be read or written.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// A command's outcome split into the business refusal (`Ok(Err)`) and
/// our own fault (`Err`).
pub(crate) fn split_refusal<E>(error: CommandError<E>) -> Result<E, StoreFault> {
    match error {
        CommandError::Refused(refusal) => Ok(refusal),
        CommandError::Contended { stream, .. } => Err(StoreFault::Contended { stream }),
        CommandError::Undecodable { source, .. } => Err(StoreFault::Decode(source)),
        CommandError::Append(error) => Err(StoreFault::Append(error)),
        CommandError::Read(error) => Err(StoreFault::Read(error)),
    }
}

impl From<CommandError<std::convert::Infallible>> for StoreFault {
    fn from(error: CommandError<std::convert::Infallible>) -> Self {
        match split_refusal(error) {
            Ok(never) => match never {},
            Err(fault) => fault,
        }
    }
}

/// Why one poll (settlement, tracking, reconciliation) did not finish. The
/// next poll tries again: pollers are idempotent by construction.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    /// Ours: the store failed.
    #[error(transparent)]
    Store(#[from] StoreFault),
    /// A provider refused or could not be reached.
    #[error("{provider}: {reason}")]
    Provider {
        /// Which.
        provider: &'static str,
        /// What it said.
        reason: String,
    },
    /// A provider's answer, or our own records, cannot be used as they are.
    #[error("{0}")]
    Unusable(String),
}

impl PollError {
    /// PayPal's fault.
    pub(crate) fn paypal(error: impl std::fmt::Display) -> Self {
        PollError::Provider {
            provider: "PayPal",
            reason: error.to_string(),
        }
    }

    /// AliExpress's fault.
    pub(crate) fn supplier(error: impl std::fmt::Display) -> Self {
        PollError::Provider {
            provider: "AliExpress",
            reason: error.to_string(),
        }
    }
}

impl From<sqlx::Error> for PollError {
    fn from(error: sqlx::Error) -> Self {
        PollError::Store(StoreFault::Database(error))
    }
}

impl<E: std::fmt::Display> From<CommandError<E>> for PollError {
    fn from(error: CommandError<E>) -> Self {
        match split_refusal(error) {
            Ok(refusal) => PollError::Unusable(format!("the domain refused: {refusal}")),
            Err(fault) => PollError::Store(fault),
        }
    }
}
