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

    /// The ids of the streams whose id starts with `prefix`.
    pub async fn stream_ids_starting_with(&self, prefix: &str) -> Result<Vec<String>, ReadError> {
        Ok(sqlx::query_scalar(
            "SELECT stream_id FROM stream WHERE stream_id LIKE $1 ORDER BY stream_id",
        )
        .bind(like_prefix(prefix))
        .fetch_all(&self.pool)
        .await?)
    }

    /// Gives `stream_id`, if it keeps no budget yet, the budget its events
    /// (of type `E`) add up to; whether it gave it one. A stream that moves
    /// while it is summed is summed again, so the budget is exact at the
    /// version it is set at.
    pub async fn backfill_budget<E: DomainEvent>(
        &self,
        stream_id: &str,
    ) -> Result<bool, CommandError<std::convert::Infallible>> {
        loop {
            let (version, budget) = self.sum_budget::<E>(stream_id).await?;
            let set = sqlx::query(
                "UPDATE stream SET budget = $3 \
                 WHERE stream_id = $1 AND version = $2 AND budget IS NULL",
            )
            .bind(stream_id)
            .bind(version as i64)
            .bind(budget)
            .execute(&self.pool)
            .await
            .map_err(ReadError::from)?;
            if set.rows_affected() == 1 {
                tracing::info!(%stream_id, version, %budget, "stream budget computed from its events");
                return Ok(true);
            }
            let keeps_budget: Option<bool> =
                sqlx::query_scalar("SELECT budget IS NOT NULL FROM stream WHERE stream_id = $1")
                    .bind(stream_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(ReadError::from)?;
            match keeps_budget {
                // Had one already, or another process gave it one first; or
                // there is no such stream.
                Some(true) | None => return Ok(false),
                // The stream moved while it was summed.
                Some(false) => continue,
            }
        }
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

/// A `LIKE` pattern matching ids that start with `prefix`, taken literally.
fn like_prefix(prefix: &str) -> String {
    format!(
        "{}%",
        prefix
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    )
}
