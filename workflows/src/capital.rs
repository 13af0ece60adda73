//! The owner's capital: contributions, and the budgets the store keeps for
//! the working-capital streams.

use dropledger_domain::{
    decode_event, Aggregate, CapitalCommand, CapitalError, CapitalEvent, Currency, Money,
    Reference, WorkingCapital,
};
use dropledger_eventstore::{AppendError, AppendResult, CommandError, EventStore, Metadata};

/// Gives the working-capital streams recorded before the store kept their
/// budget (free capital) the budget their events add up to; how many. Run
/// when a server starts, before anything appends to them; streams that have
/// one are left alone, so it is cheap when there is nothing to do.
pub async fn prepare_budgets(
    store: &EventStore,
) -> Result<usize, CommandError<std::convert::Infallible>> {
    let mut filled = 0;
    for (stream, _) in capital_streams(store).await? {
        filled += usize::from(store.backfill_budget::<CapitalEvent>(&stream).await?);
    }
    Ok(filled)
}

/// Loads every working-capital stream into the store's cache, so that the
/// first command after a start reads only what is new instead of folding
/// the whole history while a customer waits.
pub async fn warm_up(store: &EventStore) -> Result<usize, CommandError<std::convert::Infallible>> {
    let streams = capital_streams(store).await?;
    for (stream, currency) in &streams {
        store
            .load_cached::<_, std::convert::Infallible>(stream, WorkingCapital::new(*currency))
            .await?;
    }
    Ok(streams.len())
}

/// The working-capital streams of the log, with their currencies.
async fn capital_streams(
    store: &EventStore,
) -> Result<Vec<(String, Currency)>, CommandError<std::convert::Infallible>> {
    let streams = store.stream_ids_starting_with("capital-").await?;
    Ok(streams
        .into_iter()
        .filter_map(|stream| {
            let currency = Currency::parse(stream.strip_prefix("capital-")?).ok()?;
            (WorkingCapital::stream_id(currency) == stream).then_some((stream, currency))
        })
        .collect())
}

/// Records the owner's contribution of `amount` (`command` is
/// `ContributeCapital`); what was appended. The entry id, and the command id
/// of `metadata`, name one contribution (they derive from an idempotency
/// key): recording it again appends nothing and returns where it was
/// recorded, and the same id with another amount or reference is refused
/// with [`CapitalError::ContributionReused`].
pub async fn contribute(
    store: &EventStore,
    command: CapitalCommand,
    metadata: &Metadata,
) -> Result<Vec<AppendResult>, CommandError<CapitalError>> {
    let CapitalCommand::ContributeCapital {
        entry_id,
        amount,
        ref reference,
        ..
    } = command
    else {
        unreachable!("contribute is only called with ContributeCapital")
    };
    let currency = amount.currency();
    let stream = WorkingCapital::stream_id(currency);
    let recorded = store
        .execute(|| async {
            let capital = store
                .load_cached(&stream, WorkingCapital::new(currency))
                .await?;
            let events = capital
                .state
                .decide(command.clone())
                .map_err(CommandError::Refused)?;
            // Cash coming in: no version to expect (see `decide_with_capital`).
            Ok((vec![capital.append_commuting(&events, metadata)], ()))
        })
        .await;
    match recorded {
        Ok((_, appends)) => Ok(appends),
        // The event id is taken: by this contribution (a retry, recorded at
        // another time) or by another one under the same key.
        Err(CommandError::Append(AppendError::EventIdConflict { event_id })) => {
            let stored = store.read_event(event_id).await?;
            match stored.as_ref().map(|stored| {
                let event = decode_event::<CapitalEvent>(
                    &stored.event_type,
                    stored.schema_version,
                    stored.payload_value(),
                );
                (stored, event)
            }) {
                Some((stored, Ok(event)))
                    if stored.stream_id == stream && is_contribution(&event, amount, reference) =>
                {
                    Ok(vec![AppendResult {
                        stream_id: stream.clone(),
                        first_version: stored.stream_version,
                        last_version: stored.stream_version,
                        already_stored: true,
                    }])
                }
                _ => Err(CommandError::Refused(CapitalError::ContributionReused(
                    entry_id,
                ))),
            }
        }
        Err(error) => Err(error),
    }
}

/// Whether `event` records a contribution of `amount` with `reference`.
fn is_contribution(event: &CapitalEvent, amount: Money, reference: &Reference) -> bool {
    match event {
        CapitalEvent::CapitalContributed {
            reference: recorded,
            entry,
        } => {
            recorded == reference
                && entry
                    .postings()
                    .iter()
                    .any(|posting| posting.amount() == amount)
        }
        _ => false,
    }
}
