//! The event store: the one handle the rest of the system appends and reads through.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use sqlx::{Connection, PgPool, Postgres, Transaction};
use tokio::sync::Notify;

use crate::append::{explain_refusal, try_append, validate};
use crate::command::StateCache;
use crate::listener::SharedListener;
use crate::sequencer::{BlockingTransaction, SequenceOutcome, SharedPasses};
use crate::{AppendError, AppendResult, ExpectedVersion, NewEvent, Upcasters};

/// An append-only event store on PostgreSQL. Cheap to clone; clones share the
/// pool, the upcasters and the in-process "something was appended" signal.
#[derive(Clone)]
pub struct EventStore {
    pub(crate) pool: PgPool,
    pub(crate) upcasters: Arc<Upcasters>,
    /// Woken after every append from this process, so local subscribers do
    /// not wait for a poll.
    pub(crate) appended: Arc<Notify>,
    /// States of long streams, so loading them reads only new events.
    pub(crate) states: Arc<StateCache>,
    /// The sequencing passes this process's readers share.
    pub(crate) passes: Arc<SharedPasses>,
    /// The one LISTEN connection this process's subscriptions share.
    pub(crate) listener: Arc<SharedListener>,
}

/// The state of the global log.
#[derive(Debug, Clone, PartialEq)]
pub struct LogStatus {
    /// The last position given out.
    pub head: u64,
    /// Committed events that an older running transaction holds back.
    pub waiting_for: Option<BlockingTransaction>,
}

/// One stream's part of an atomic multi-stream append.
#[derive(Debug, Clone)]
pub struct StreamAppend {
    /// The stream to append to.
    pub stream_id: String,
    /// The version it must be at.
    pub expected: ExpectedVersion,
    /// The events to append, in order.
    pub events: Vec<NewEvent>,
    /// For a stream that keeps a budget (see the `stream.budget` column):
    /// how much these events move it. An append that would take it below
    /// zero is refused with [`AppendError::BudgetExceeded`]. `None` for a
    /// stream without one; a stream either keeps a budget and every append
    /// says how it moves it, or keeps none.
    pub budget_change: Option<Decimal>,
}

impl StreamAppend {
    /// An append of `events` to `stream_id` at `expected`, with no budget.
    pub fn new(
        stream_id: impl Into<String>,
        expected: ExpectedVersion,
        events: Vec<NewEvent>,
    ) -> Self {
        Self {
            stream_id: stream_id.into(),
            expected,
            events,
            budget_change: None,
        }
    }
}

impl EventStore {
    /// A store over `pool`, whose database has been migrated with [`crate::MIGRATOR`],
    /// reading old payloads through the domain's upcasters ([`Upcasters::domain`]).
    pub fn new(pool: PgPool) -> Self {
        Self::with_upcasters(pool, Upcasters::domain())
    }

    /// A store whose reads upgrade old payloads with `upcasters`.
    pub fn with_upcasters(pool: PgPool, upcasters: Upcasters) -> Self {
        Self {
            pool,
            upcasters: Arc::new(upcasters),
            appended: Arc::new(Notify::new()),
            states: Arc::default(),
            passes: Arc::default(),
            listener: Arc::default(),
        }
    }

    /// This store reached through `pool` instead: the same process-wide
    /// state (upcasters, the append signal, cached states, sequencing
    /// passes, the shared listener), other connections. The API runs on a
    /// pool of its own so that a flood of requests cannot take the
    /// connections the workers need.
    pub fn through(&self, pool: PgPool) -> Self {
        Self {
            pool,
            ..self.clone()
        }
    }

    /// The connection pool, for the crates that keep their own tables beside the events.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Appends `events` to one stream if it is at `expected`. Appending event
    /// ids that are already stored with the same content writes nothing and
    /// returns the original result, also when two callers race.
    pub async fn append(
        &self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendResult, AppendError> {
        let append = StreamAppend::new(stream_id, expected, events.to_vec());
        self.append_one(&append).await
    }

    /// Appends one [`StreamAppend`], budget included.
    pub async fn append_one(&self, append: &StreamAppend) -> Result<AppendResult, AppendError> {
        validate(&append.stream_id, &append.events)?;
        let mut connection = self.pool.acquire().await?;
        let result = match try_append(&mut connection, append).await? {
            Some(result) => result,
            None => explain_refusal(&mut connection, append).await?,
        };
        if !result.already_stored {
            self.appended.notify_waiters();
        }
        Ok(result)
    }

    /// Appends to several streams atomically: all of them or none. A retry of
    /// an append that was already stored returns the original results.
    pub async fn append_all(
        &self,
        appends: &[StreamAppend],
    ) -> Result<Vec<AppendResult>, AppendError> {
        for append in appends {
            validate(&append.stream_id, &append.events)?;
        }
        // The common case costs one statement per stream and no savepoints:
        // at the first refusal the whole transaction is rolled back, and only
        // then is it worked out whether this was a retry or a conflict.
        let mut transaction = self.pool.begin().await?;
        let mut results = Vec::with_capacity(appends.len());
        for (index, append) in appends.iter().enumerate() {
            let appended = try_append(&mut transaction, append).await?;
            match appended {
                Some(result) => results.push(result),
                None => {
                    transaction.rollback().await?;
                    return self.explain_refused_appends(appends, index).await;
                }
            }
        }
        transaction.commit().await?;
        self.appended.notify_waiters();
        Ok(results)
    }

    /// After the atomic append of `appends` was refused at `refused`: the
    /// original results if the whole append was stored before (a retry),
    /// else why it was refused, naming the stream that refused it.
    async fn explain_refused_appends(
        &self,
        appends: &[StreamAppend],
        refused: usize,
    ) -> Result<Vec<AppendResult>, AppendError> {
        let mut connection = self.pool.acquire().await?;
        let first = &appends[refused];
        let stored = explain_refusal(&mut connection, first).await?;
        // Appends are atomic, so a retry finds every stream stored. Streams
        // before the refused one went in just now, so they were not stored:
        // some ids of this append belong to another one.
        let reused = || AppendError::EventIdConflict {
            event_id: first.events.first().map(|e| e.event_id).unwrap_or_default(),
        };
        if refused > 0 {
            return Err(reused());
        }
        let mut results = vec![stored];
        for append in &appends[1..] {
            match explain_refusal(&mut connection, append).await {
                Ok(result) => results.push(result),
                Err(AppendError::VersionConflict { .. }) => return Err(reused()),
                Err(other) => return Err(other),
            }
        }
        Ok(results)
    }

    /// Starts a transaction whose appends commit together.
    pub async fn begin(&self) -> Result<AppendTransaction, AppendError> {
        Ok(AppendTransaction {
            transaction: self.pool.begin().await?,
            appended: Arc::clone(&self.appended),
            wrote: false,
        })
    }

    /// Gives every ready event its position, and reports what the log waits for.
    pub async fn log_status(&self) -> Result<LogStatus, sqlx::Error> {
        let outcome = self.sequence_all_ready().await?;
        Ok(LogStatus {
            head: outcome.head,
            waiting_for: outcome.waiting_for,
        })
    }

    /// Waits until every event committed before this call has its position,
    /// or `timeout` passes (then the status says which transaction holds it).
    pub async fn wait_for_log(&self, timeout: Duration) -> Result<LogStatus, sqlx::Error> {
        let deadline = Instant::now() + timeout;
        loop {
            let status = self.log_status().await?;
            if status.waiting_for.is_none() || Instant::now() >= deadline {
                return Ok(status);
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// How many sequencing passes this store and its clones have run: with
    /// [`EventStore::log_status`], what a reader's wait for the log costs.
    pub fn sequencing_passes(&self) -> u64 {
        self.passes.run()
    }

    /// Sequences until no ready event is left (or shares a pass that began
    /// after this call, see [`SharedPasses`]).
    pub(crate) async fn sequence_all_ready(&self) -> Result<SequenceOutcome, sqlx::Error> {
        self.passes.sequence_all_ready(&self.pool).await
    }
}

/// Appends that commit together, or not at all.
pub struct AppendTransaction {
    transaction: Transaction<'static, Postgres>,
    appended: Arc<Notify>,
    wrote: bool,
}

impl AppendTransaction {
    /// Appends to one stream within the transaction. A refused append is
    /// rolled back to a savepoint, so the transaction can go on and tell a
    /// retry of a stored append from a conflict.
    pub async fn append(
        &mut self,
        stream_id: &str,
        expected: ExpectedVersion,
        events: &[NewEvent],
    ) -> Result<AppendResult, AppendError> {
        validate(stream_id, events)?;
        let append = StreamAppend::new(stream_id, expected, events.to_vec());
        let mut savepoint = Connection::begin(&mut *self.transaction).await?;
        match try_append(&mut savepoint, &append).await? {
            Some(result) => {
                savepoint.commit().await?;
                self.wrote = true;
                Ok(result)
            }
            None => {
                savepoint.rollback().await?;
                explain_refusal(&mut self.transaction, &append).await
            }
        }
    }

    /// Commits every append of the transaction.
    pub async fn commit(self) -> Result<(), AppendError> {
        self.transaction.commit().await?;
        if self.wrote {
            self.appended.notify_waiters();
        }
        Ok(())
    }

    /// Discards every append of the transaction.
    pub async fn rollback(self) -> Result<(), AppendError> {
        self.transaction.rollback().await?;
        Ok(())
    }
}
