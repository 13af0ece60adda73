//! The log fanned out: one reader per process, any number of followers.
//!
//! A [`Subscription`] per API client read the log on its own, so a thousand
//! clients meant a thousand reads of every new event. A [`LogFeed`] runs one
//! subscription (started by the first follower, stopped when the last is
//! gone) and broadcasts each batch it reads. A follower reads the store
//! itself only to catch up: from its starting position until it reaches the
//! feed, and again whenever it fell so far behind that the broadcast dropped
//! batches it had not taken, or a batch does not begin where it stopped. It
//! follows by position, so it never skips or repeats an event.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::Semaphore;

use crate::on_demand::OnDemand;
use crate::{EventStore, LoggedEvent, ReadError, SubscriptionOptions};

/// How long the reader waits before following again after its
/// subscription gave up (the database was unreachable for a while).
const FEED_RESTART_PAUSE_MS: u64 = 1_000;
/// How often an idle reader looks whether anyone still follows.
const FEED_IDLE_CHECK_MS: u64 = 1_000;

/// How a feed reads and how far followers may fall behind it.
#[derive(Debug, Clone, Copy)]
pub struct FeedOptions {
    /// Events per read, the reader's and a catching-up follower's.
    pub batch_events_max: usize,
    /// Batches the broadcast keeps for a slow follower; one that falls
    /// further behind catches up from the store.
    pub batches_buffered_max: usize,
    /// Followers reading the store at once to catch up; the others wait
    /// their turn, so that many followers starting from the beginning
    /// cannot take every connection of the pool.
    pub catch_up_reads_max: usize,
}

impl Default for FeedOptions {
    fn default() -> Self {
        Self {
            batch_events_max: 200,
            batches_buffered_max: 64,
            catch_up_reads_max: 2,
        }
    }
}

/// A batch as broadcast: shared by every follower, never copied whole.
type Batch = Arc<[LoggedEvent]>;

/// The process's one reader of the log, fanned out to followers.
#[derive(Clone)]
pub struct LogFeed {
    shared: Arc<FeedShared>,
}

struct FeedShared {
    store: EventStore,
    options: FeedOptions,
    /// The reader's broadcast, while anyone follows.
    current: OnDemand<broadcast::Sender<Batch>>,
    /// Places for followers reading the store to catch up.
    catch_up_reads: Semaphore,
}

impl LogFeed {
    /// A feed of `store`'s log; its reader starts with the first follower.
    pub fn new(store: EventStore, options: FeedOptions) -> Self {
        Self {
            shared: Arc::new(FeedShared {
                store,
                options,
                current: OnDemand::default(),
                catch_up_reads: Semaphore::new(options.catch_up_reads_max.max(1)),
            }),
        }
    }

    /// Follows the log after `after_position` (0: from the start). Must be
    /// called within a Tokio runtime.
    pub fn follow(&self, after_position: u64) -> FeedFollower {
        FeedFollower {
            receiver: self.shared.receiver(),
            shared: self.shared.clone(),
            position: after_position,
            buffered: VecDeque::new(),
            catching_up: true,
            catch_ups: 0,
        }
    }
}

impl FeedShared {
    /// A receiver of the running reader's batches, starting the reader if
    /// none runs.
    fn receiver(self: &Arc<Self>) -> broadcast::Receiver<Batch> {
        self.current.receiver(
            broadcast::Sender::subscribe,
            || broadcast::channel(self.options.batches_buffered_max.max(1)),
            |sender| {
                tokio::spawn(read(self.clone(), sender));
            },
        )
    }
}

/// Reads the log from its head on and broadcasts each batch, until nobody
/// follows.
async fn read(shared: Arc<FeedShared>, sender: Arc<broadcast::Sender<Batch>>) {
    let options = SubscriptionOptions {
        batch_events_max: shared.options.batch_events_max,
        ..SubscriptionOptions::default()
    };
    // Followers catch up from the store by themselves, so the reader may
    // start anywhere; the head spares it reading history nobody asked for.
    let start = match shared.store.log_status().await {
        Ok(status) => status.head,
        Err(error) => {
            tracing::warn!(%error, "the log feed cannot read the head; it starts from the beginning");
            0
        }
    };
    let mut subscription = shared.store.subscribe(start, options);
    let mut idle_check = tokio::time::interval(Duration::from_millis(FEED_IDLE_CHECK_MS));
    loop {
        tokio::select! {
            batch = subscription.next_batch() => match batch {
                Ok(events) => {
                    // No receivers is not an error: the idle check retires us.
                    let _ = sender.send(Arc::from(events));
                }
                Err(error) => {
                    tracing::warn!(%error, position = subscription.position(), "the log feed stopped reading; it starts again shortly");
                    tokio::time::sleep(Duration::from_millis(FEED_RESTART_PAUSE_MS)).await;
                    subscription = shared.store.subscribe(subscription.position(), options);
                }
            },
            _ = idle_check.tick() => {
                if shared.current.retire_if_unused(&sender) {
                    return;
                }
            }
        }
    }
}

/// One follower of a [`LogFeed`].
pub struct FeedFollower {
    shared: Arc<FeedShared>,
    receiver: broadcast::Receiver<Batch>,
    /// The position of the last event handed out.
    position: u64,
    buffered: VecDeque<LoggedEvent>,
    /// Reading the store (behind the feed) rather than the broadcast.
    catching_up: bool,
    /// How often this follower fell behind the broadcast.
    catch_ups: u64,
}

impl FeedFollower {
    /// The position of the last event handed out.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// How many times this follower found itself behind the broadcast and
    /// read the store to catch up (its first catch-up, from its starting
    /// position, not counted).
    pub fn catch_ups(&self) -> u64 {
        self.catch_ups
    }

    /// The next event, waiting for one to be committed if needed.
    pub async fn next(&mut self) -> Result<LoggedEvent, ReadError> {
        loop {
            if let Some(event) = self.buffered.pop_front() {
                self.position = event.position;
                return Ok(event);
            }
            if self.catching_up {
                // Never closed: the semaphore lives as long as the feed.
                let _place = self.shared.catch_up_reads.acquire().await;
                let events = self
                    .shared
                    .store
                    .read_all(self.position, self.shared.options.batch_events_max)
                    .await?;
                // Nothing more in the store: whatever comes next is in the
                // broadcast, whose receiver was taken before this read.
                self.catching_up = !events.is_empty();
                self.buffered.extend(events);
                continue;
            }
            match self.receiver.recv().await {
                Ok(batch) => self.take(&batch),
                Err(RecvError::Lagged(dropped)) => {
                    tracing::info!(
                        position = self.position,
                        dropped,
                        "a log follower fell behind the feed; it catches up from the store"
                    );
                    self.fall_behind();
                }
                // The reader stopped (its runtime is shutting down): follow
                // a new one, from the store first.
                Err(RecvError::Closed) => {
                    self.receiver = self.shared.receiver();
                    self.fall_behind();
                }
            }
        }
    }

    /// Keeps the events of `batch` after our position, if they continue it;
    /// a batch that starts later means we missed some: catch up.
    fn take(&mut self, batch: &[LoggedEvent]) {
        let mut unseen = batch
            .iter()
            .filter(|event| event.position > self.position)
            .peekable();
        match unseen.peek() {
            None => {}
            Some(first) if first.position == self.position + 1 => {
                self.buffered.extend(unseen.cloned());
            }
            Some(_) => self.fall_behind(),
        }
    }

    fn fall_behind(&mut self) {
        metrics::counter!("dropledger_log_feed_catch_ups_total").increment(1);
        self.catch_ups += 1;
        self.catching_up = true;
    }
}
