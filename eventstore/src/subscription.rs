//! Catch-up subscriptions to the global log.
//!
//! A subscription reads the log from its position in batches; once caught
//! up it sleeps until the sequencer announces a new head (LISTEN/NOTIFY, on
//! the one connection per process that [`crate::listener`] keeps), a local
//! append signals, or the poll interval passes — so a lost notification or a
//! dropped listening connection costs at most one interval, never an event. Because it reads by position, reconnecting
//! never delivers an event twice.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use tokio::sync::watch;

use crate::{Backoff, BlockingTransaction, EventStore, LoggedEvent, ReadError};

/// Pauses between failed reads: 100 ms after the first, doubling to 3.2 s.
const READ_RETRY_BACKOFF: Backoff = Backoff::from_millis(100, 3_200);

/// How a subscription reads and waits.
#[derive(Debug, Clone, Copy)]
pub struct SubscriptionOptions {
    /// Events fetched per read.
    pub batch_events_max: usize,
    /// The longest a caught-up subscription sleeps before looking again.
    pub poll_interval_ms: u64,
    /// Consecutive failed reads tolerated (with back-off) before giving up.
    pub read_failures_max: u32,
    /// How long the log may be held back by an open transaction before the
    /// subscription warns, naming it.
    pub stall_warning_ms: u64,
}

impl Default for SubscriptionOptions {
    fn default() -> Self {
        Self {
            batch_events_max: 1_000,
            poll_interval_ms: 500,
            read_failures_max: 20,
            stall_warning_ms: 5_000,
        }
    }
}

/// Follows the global log from a position, forever.
pub struct Subscription {
    store: EventStore,
    position: u64,
    options: SubscriptionOptions,
    /// The process's shared watch on the log's head, once this has waited.
    heads: Option<watch::Receiver<u64>>,
    buffered: VecDeque<LoggedEvent>,
    /// The transaction holding the log back, and since when we have seen it.
    stalled: Option<(BlockingTransaction, Instant)>,
}

impl EventStore {
    /// Follows the log after `after_position` (0: from the start).
    pub fn subscribe(&self, after_position: u64, options: SubscriptionOptions) -> Subscription {
        Subscription {
            store: self.clone(),
            position: after_position,
            options,
            heads: None,
            buffered: VecDeque::new(),
            stalled: None,
        }
    }
}

impl Subscription {
    /// The position of the last event handed out.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// The transaction that holds back committed events this subscription
    /// waits for, if any: what a stalled reader is waiting on.
    pub fn waiting_for(&self) -> Option<&BlockingTransaction> {
        self.stalled.as_ref().map(|(blocking, _)| blocking)
    }

    /// The next event, waiting for one to be committed if needed.
    pub async fn next(&mut self) -> Result<LoggedEvent, ReadError> {
        if self.buffered.is_empty() {
            self.buffered = self.next_batch().await?.into();
        }
        let event = self
            .buffered
            .pop_front()
            .expect("next_batch returns at least one event");
        Ok(event)
    }

    /// The next events in order (at least one), waiting until there are some.
    pub async fn next_batch(&mut self) -> Result<Vec<LoggedEvent>, ReadError> {
        if !self.buffered.is_empty() {
            return Ok(self.buffered.drain(..).collect());
        }
        let mut failures = 0;
        loop {
            // Armed before reading, so an append that lands between the read
            // and the wait still wakes us.
            let appended = self.store.appended.clone();
            let local_append = appended.notified();
            tokio::pin!(local_append);
            local_append.as_mut().enable();
            if let Some(heads) = self.heads.as_mut() {
                heads.mark_unchanged();
            }

            match self
                .store
                .read_all_or_say_why_not(self.position, self.options.batch_events_max)
                .await
            {
                Ok((events, waiting_for)) => {
                    failures = 0;
                    self.note_stall(waiting_for);
                    if let Some(last) = events.last() {
                        self.position = last.position;
                        return Ok(events);
                    }
                }
                Err(ReadError::Database(error)) if failures < self.options.read_failures_max => {
                    failures += 1;
                    let back_off = READ_RETRY_BACKOFF.nth(failures);
                    tracing::warn!(%error, failures, "reading the event log failed; retrying");
                    tokio::time::sleep(back_off).await;
                    continue;
                }
                Err(error) => return Err(error),
            }
            self.wait(local_append).await;
        }
    }

    /// Remembers what holds the log back and warns when it lasts.
    fn note_stall(&mut self, waiting_for: Option<BlockingTransaction>) {
        let Some(blocking) = waiting_for else {
            self.stalled = None;
            return;
        };
        let since = match &self.stalled {
            Some((previous, since)) if previous.transaction_id == blocking.transaction_id => *since,
            _ => Instant::now(),
        };
        let warn_after = Duration::from_millis(self.options.stall_warning_ms);
        if since.elapsed() >= warn_after {
            tracing::warn!(
                position = self.position,
                waiting_for = %blocking,
                "the event log is held back by an open transaction"
            );
            // Warn again only after another full interval.
            self.stalled = Some((blocking, Instant::now()));
        } else {
            self.stalled = Some((blocking, since));
        }
    }

    /// Sleeps until the log may have grown.
    async fn wait(&mut self, local_append: std::pin::Pin<&mut tokio::sync::futures::Notified<'_>>) {
        let poll = tokio::time::sleep(Duration::from_millis(self.options.poll_interval_ms));
        let heads = self
            .heads
            .get_or_insert_with(|| self.store.listener.heads(&self.store.pool));
        tokio::select! {
            changed = heads.changed() => {
                if changed.is_err() {
                    // The listening task is gone (its runtime stopped): the
                    // next wait watches a new one.
                    self.heads = None;
                }
            }
            _ = local_append => {}
            _ = poll => {}
        }
    }
}
