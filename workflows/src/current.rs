//! An aggregate's current state, for reading (no command follows).

use dropledger_domain::Aggregate;
use dropledger_eventstore::EventStore;

use crate::error::StoreFault;

/// The state of `stream` after all its events (`initial` when it has none).
pub(crate) async fn current<A: Aggregate>(
    store: &EventStore,
    stream: &str,
    initial: A,
) -> Result<A, StoreFault> {
    Ok(store
        .load::<_, std::convert::Infallible>(stream, initial)
        .await?
        .state)
}
