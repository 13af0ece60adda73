//! Budgets of streams recorded before budgets existed, and reading them.
//!
//! A stream's budget (the `stream.budget` column) is the sum of its events'
//! [`DomainEvent::budget_change`]. Streams created since the column exists
//! keep it from their first append; older ones get it here, computed from
//! their events, once, when the application starts.

use dropledger_domain::{decode_event, DomainEvent};
use rust_decimal::Decimal;

use crate::{CommandError, EventStore, ReadError};

/// Events read per request when summing a stream.
const BACKFILL_BATCH_EVENTS: usize = 1_000;

impl EventStore {
    /// The budget the store keeps for `stream_id` (`None`: it keeps none, or
    /// there is no such stream).
    pub async fn budget(&self, stream_id: &str) -> Result<Option<Decimal>, ReadError> {
        let budget: Option<Option<Decimal>> =
            sqlx::query_scalar("SELECT budget FROM stream WHERE stream_id = $1")
                .bind(stream_id)
                .fetch_optional(&self.pool)
                .await?;
        Ok(budget.flatten())
    }

    /// Gives every stream whose id starts with `prefix` and that keeps no
    /// budget yet the budget its events add up to (events of type `E`);
    /// how many it gave one. A stream that moves while it is summed is
    /// summed again, so the budget is exact at the version it is set at.
    pub async fn backfill_budgets<E: DomainEvent>(
        &self,
        prefix: &str,
    ) -> Result<usize, CommandError<std::convert::Infallible>> {
        let pattern = format!("{}%", prefix.replace('%', "\\%").replace('_', "\\_"));
        let streams: Vec<String> = sqlx::query_scalar(
            "SELECT stream_id FROM stream WHERE budget IS NULL AND stream_id LIKE $1",
        )
        .bind(&pattern)
        .fetch_all(&self.pool)
        .await
        .map_err(ReadError::from)?;
        let mut filled = 0;
        for stream_id in streams {
            loop {
                let (version, budget) = self.sum_budget::<E>(&stream_id).await?;
                let set = sqlx::query(
                    "UPDATE stream SET budget = $3 \
                     WHERE stream_id = $1 AND version = $2 AND budget IS NULL",
                )
                .bind(&stream_id)
                .bind(version as i64)
                .bind(budget)
                .execute(&self.pool)
                .await
                .map_err(ReadError::from)?;
                if set.rows_affected() == 1 {
                    filled += 1;
                    tracing::info!(%stream_id, version, %budget, "stream budget computed from its events");
                    break;
                }
                match self.budget(&stream_id).await? {
                    // Another process filled it first.
                    Some(_) => break,
                    // The stream moved while it was summed.
                    None => continue,
                }
            }
        }
        Ok(filled)
    }

    /// The sum of the budget changes of every event of `stream_id`, and the
    /// version it reaches.
    async fn sum_budget<E: DomainEvent>(
        &self,
        stream_id: &str,
    ) -> Result<(u64, Decimal), CommandError<std::convert::Infallible>> {
        let (mut version, mut budget) = (0, Decimal::ZERO);
        loop {
            let batch = self
                .read_stream(stream_id, version + 1, BACKFILL_BATCH_EVENTS)
                .await?;
            for recorded in &batch {
                let event: E = decode_event(
                    &recorded.event_type,
                    recorded.schema_version,
                    recorded.payload_value(),
                )
                .map_err(|source| CommandError::Undecodable {
                    stream: stream_id.to_owned(),
                    source,
                })?;
                budget += event.budget_change().unwrap_or_default();
                version = recorded.stream_version;
            }
            if batch.len() < BACKFILL_BATCH_EVENTS {
                return Ok((version, budget));
            }
        }
    }
}
