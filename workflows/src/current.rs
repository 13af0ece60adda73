//! An aggregate's current state, for reading (no command follows).

use dropledger_domain::{Aggregate, Currency, WorkingCapital};
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

/// The working capital in `currency` now, read from this process's last
/// view of it (only the events since are read).
pub(crate) async fn current_capital(
    store: &EventStore,
    currency: Currency,
) -> Result<WorkingCapital, StoreFault> {
    Ok(store
        .load_cached::<_, std::convert::Infallible>(
            &WorkingCapital::stream_id(currency),
            WorkingCapital::new(currency),
        )
        .await?
        .state)
}
