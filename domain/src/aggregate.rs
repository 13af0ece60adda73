//! What every aggregate and every event offers the rest of the system.

use rust_decimal::Decimal;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::ledger::LedgerEffect;

/// An event stream's rules: pure `decide` and `evolve`.
///
/// The event store's load → decide → append-with-expected-version loop is
/// written once against this trait. All business rules live in `decide`;
/// `evolve` only records what an event says and never fails, so that any
/// event once appended can always be replayed.
pub trait Aggregate: Clone {
    /// What may be asked of the aggregate.
    type Command;
    /// What it records.
    type Event: DomainEvent;
    /// Why a command was refused.
    type Error: std::error::Error + ErrorCode;

    /// Decides which events a command produces, or refuses it.
    fn decide(&self, command: Self::Command) -> Result<Vec<Self::Event>, Self::Error>;

    /// The state after one more event.
    #[must_use]
    fn evolve(self, event: &Self::Event) -> Self;

    /// The state after a sequence of events, starting from `self`.
    #[must_use]
    fn replay<'a, I>(self, events: I) -> Self
    where
        I: IntoIterator<Item = &'a Self::Event>,
        Self::Event: 'a,
    {
        events.into_iter().fold(self, Self::evolve)
    }
}

/// An event as stored: a stable type name, a schema version and JSON.
pub trait DomainEvent: Serialize + DeserializeOwned + Clone + std::fmt::Debug + PartialEq {
    /// Version of the payload schema of this stream's events; bump it (and
    /// keep reading the old one) whenever a payload changes shape.
    const SCHEMA_VERSION: i32;

    /// The stable, past-tense type name stored beside the payload, e.g.
    /// `"OrderPaid"`; equal to the payload's `"type"` tag.
    fn event_type(&self) -> &'static str;

    /// What this event does to the books, if it moves money.
    fn ledger_effect(&self) -> Option<LedgerEffect<'_>> {
        None
    }

    /// For a stream whose events draw on a limited amount (working
    /// capital's free cash): what this event adds to it (positive) or takes
    /// from it (negative). The store keeps the running total beside the
    /// stream and refuses an append that would take it below zero, so the
    /// limit holds at the write, whatever the writer saw when it decided.
    /// `None` for streams without such a limit.
    fn budget_change(&self) -> Option<Decimal> {
        None
    }
}

/// The API error code of a refusal (`userErrors.code`), in SCREAMING_SNAKE_CASE.
pub trait ErrorCode {
    /// E.g. `"INSUFFICIENT_FUNDS"`, `"INVALID_INPUT"`, `"NOT_FOUND"`.
    fn code(&self) -> &'static str;
}
