//! Where an appended event landed in the global log: the position a writer
//! hands back so that its reader can wait for read models to reach it.

use std::time::{Duration, Instant};

use crate::EventStore;

/// How long [`EventStore::position_of`] sleeps between looks while an
/// older transaction holds the event back.
const POSITION_POLL_MS: u64 = 5;

impl EventStore {
    /// The global position of the event at `stream_version` of `stream_id`,
    /// sequencing committed events first. `None` when it has no position
    /// after `timeout` (an older transaction still holds the log back, or
    /// there is no such event).
    pub async fn position_of(
        &self,
        stream_id: &str,
        stream_version: u64,
        timeout: Duration,
    ) -> Result<Option<u64>, sqlx::Error> {
        let deadline = Instant::now() + timeout;
        loop {
            let position: Option<i64> = sqlx::query_scalar(
                "SELECT l.position FROM event e JOIN log_entry l ON l.append_id = e.append_id \
                 WHERE e.stream_id = $1 AND e.stream_version = $2",
            )
            .bind(stream_id)
            .bind(stream_version as i64)
            .fetch_optional(&self.pool)
            .await?;
            if let Some(position) = position {
                return Ok(Some(position as u64));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            let outcome = self.sequence_all_ready().await?;
            if outcome.sequenced == 0 {
                tokio::time::sleep(Duration::from_millis(POSITION_POLL_MS)).await;
            }
        }
    }
}
