//! Routing a logged event to its domain type, by its stream id.

use dropledger_domain::{
    CapitalEvent, DomainEvent, OrderEvent, OrderId, PayoutEvent, PayoutId, ProductEvent, ProductId,
    ReconciliationEvent, SaleEvent, SaleId, StreamKind,
};
use dropledger_eventstore::{LoggedEvent, RecordedEvent};

/// A domain event the read models know, with the aggregate its stream names.
#[derive(Debug, Clone)]
pub(crate) enum Known {
    Capital(CapitalEvent),
    Order(OrderId, OrderEvent),
    Product(ProductId, ProductEvent),
    Sale(SaleId, SaleEvent),
    Payout(PayoutId, PayoutEvent),
    Reconciliation(ReconciliationEvent),
    /// An event of a domain stream no read model uses (users, platform config).
    Unused,
    /// An event of a stream that is not the domain's (another component's);
    /// only the audit trail records it.
    Foreign,
}

/// A logged event and what it decoded to; decoded once per batch and shared
/// by the projections that need it.
#[derive(Debug, Clone)]
pub(crate) struct Decoded {
    pub(crate) logged: LoggedEvent,
    /// The domain event, or why a domain stream's event does not decode.
    pub(crate) known: Result<Known, String>,
}

impl Decoded {
    pub(crate) fn position(&self) -> u64 {
        self.logged.position
    }

    pub(crate) fn recorded(&self) -> &RecordedEvent {
        &self.logged.event
    }
}

/// Decodes a batch of logged events.
pub(crate) fn decode_all(events: Vec<LoggedEvent>) -> Vec<Decoded> {
    events
        .into_iter()
        .map(|logged| {
            let known = decode(&logged.event);
            Decoded { logged, known }
        })
        .collect()
}

/// Decodes one event as `decode_event` does (schema version, type column
/// against the payload's tag, every invariant through deserialisation), but
/// straight from the stored text without an intermediate JSON value.
fn decode(event: &RecordedEvent) -> Result<Known, String> {
    let Ok(kind) = StreamKind::parse(&event.stream_id) else {
        return Ok(Known::Foreign);
    };
    Ok(match kind {
        StreamKind::Capital(_) => Known::Capital(typed(event)?),
        StreamKind::Order(id) => Known::Order(id, typed(event)?),
        StreamKind::Product(id) => Known::Product(id, typed(event)?),
        StreamKind::Sale(id) => Known::Sale(id, typed(event)?),
        StreamKind::Payout(id) => Known::Payout(id, typed(event)?),
        StreamKind::Reconciliation(_) => Known::Reconciliation(typed(event)?),
        // What payees owe back carries no postings (the sale's events do).
        StreamKind::User(_)
        | StreamKind::PlatformConfig
        | StreamKind::Autopilot
        | StreamKind::Receivable(_) => Known::Unused,
    })
}

fn typed<E: DomainEvent>(event: &RecordedEvent) -> Result<E, String> {
    if event.schema_version != E::SCHEMA_VERSION {
        return Err(format!(
            "{} has schema version {}; this code reads version {}",
            event.event_type,
            event.schema_version,
            E::SCHEMA_VERSION
        ));
    }
    let decoded: E = event
        .payload_as()
        .map_err(|error| format!("{} payload is invalid: {error}", event.event_type))?;
    if decoded.event_type() != event.event_type {
        return Err(format!(
            "stored as {} but the payload is a {}",
            event.event_type,
            decoded.event_type()
        ));
    }
    Ok(decoded)
}
