//! One LISTEN connection per process for the sequencer's "new head"
//! notifications, fanned out to every subscription through a watch channel.
//!
//! A `PgListener` holds a database connection for as long as it listens; one
//! per subscription let a client that opens many subscriptions take the
//! pool. Here the first subscription that waits starts a task that listens
//! on one connection and publishes the newest head it heard of; every other
//! subscription watches that value. The task stops when nobody watches, and
//! the next subscription to wait starts it again. A lost notification, a
//! dropped connection or a stopped task still costs a subscription at most
//! its poll interval, never an event: subscriptions read by position.

use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio::sync::watch;

use crate::on_demand::OnDemand;
use crate::sequencer::LOG_CHANNEL;
use crate::Backoff;

/// Pauses between failed attempts to listen: 100 ms, doubling to 3.2 s.
const LISTEN_RETRY_BACKOFF: Backoff = Backoff::from_millis(100, 3_200);

/// The newest head heard of, per process; shared by clones of a store.
#[derive(Debug, Default)]
pub(crate) struct SharedListener {
    /// The listening task's channel, while anyone watches.
    current: OnDemand<watch::Sender<u64>>,
}

impl SharedListener {
    /// A watch on the log's head as notified, starting the listening task on
    /// `pool` if none runs. Must be called within a Tokio runtime.
    pub(crate) fn heads(self: &Arc<Self>, pool: &PgPool) -> watch::Receiver<u64> {
        self.current.receiver(
            watch::Sender::subscribe,
            || watch::channel(0),
            |sender| {
                tokio::spawn(listen(pool.clone(), sender, self.clone()));
            },
        )
    }
}

/// Listens on one connection and publishes each head announced, until
/// nobody watches.
async fn listen(pool: PgPool, sender: Arc<watch::Sender<u64>>, shared: Arc<SharedListener>) {
    let mut failures = 0;
    loop {
        let mut listener = match connect(&pool).await {
            Ok(listener) => {
                failures = 0;
                // Anything announced while we were not listening is read by
                // position: wake the watchers to look.
                sender.send_modify(|_| {});
                listener
            }
            Err(error) => {
                failures += 1;
                tracing::warn!(%error, failures, "cannot listen for log notifications; subscriptions poll meanwhile");
                tokio::select! {
                    () = tokio::time::sleep(LISTEN_RETRY_BACKOFF.nth(failures)) => continue,
                    () = sender.closed() => {
                        if shared.current.retire_if_unused(&sender) {
                            return;
                        }
                        continue;
                    }
                }
            }
        };
        loop {
            tokio::select! {
                notification = listener.try_recv() => match notification {
                    Ok(Some(notification)) => publish(&sender, notification.payload()),
                    // The connection dropped; `try_recv` reconnects. What was
                    // announced meanwhile is read by position.
                    Ok(None) => {
                        tracing::info!("log listener reconnecting");
                        sender.send_modify(|_| {});
                    }
                    Err(error) => {
                        tracing::warn!(%error, "log listener failed; listening again");
                        break;
                    }
                },
                () = sender.closed() => {
                    if shared.current.retire_if_unused(&sender) {
                        return;
                    }
                    // Someone started watching just now; `closed` resolves
                    // again only when they are gone. A pause keeps this
                    // branch from spinning if it does not.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        }
    }
}

/// A listener on the log's channel, holding one connection of `pool`.
async fn connect(pool: &PgPool) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(LOG_CHANNEL).await?;
    Ok(listener)
}

/// Publishes the head a sequencer announced (its payload is the position);
/// a payload that is not a position still wakes the watchers.
fn publish(sender: &watch::Sender<u64>, payload: &str) {
    match payload.parse::<u64>() {
        Ok(head) => {
            sender.send_modify(|known| *known = (*known).max(head));
        }
        Err(_) => sender.send_modify(|_| {}),
    }
}
