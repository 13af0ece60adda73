//! The loop every process manager runs: take the manager's advisory lock
//! (a second instance waits as a standby), follow the log from the durable
//! checkpoint, react to each event with bounded, backed-off retries (to
//! several at once where the manager allows, one partition at a time),
//! record what still fails, and only then move the checkpoint past it.

use std::future::Future;
use std::time::Duration;

use dropledger_eventstore::{EventStore, LoggedEvent, SubscriptionOptions};
use sqlx::Connection;
use tokio::sync::watch;
use tracing::Instrument;

use futures::stream::{FuturesUnordered, StreamExt};

use super::checkpoint;
use super::in_flight::InFlight;

/// Attempts of one step before it is given up and recorded.
pub const STEP_ATTEMPTS_MAX: u32 = 4;
/// First pause between attempts; it doubles each time.
const RETRY_BACKOFF_MS_FIRST: u64 = 200;
/// Longest pause between attempts (also between attempts to record a failure).
const RETRY_BACKOFF_MS_MAX: u64 = 5_000;
/// How often a standby asks for the lock.
const STANDBY_POLL_MS: u64 = 1_000;
/// Uninteresting events passed before the position is saved anyway.
const SKIPPED_EVENTS_PER_SAVE: u64 = 200;

/// What a process manager does with the log.
pub trait Reaction: Send + Sync + 'static {
    /// The manager's name: its checkpoint row and its lock.
    fn name(&self) -> &'static str;

    /// Whether `event` concerns this manager (cheap: by type and stream).
    fn wants(&self, event: &LoggedEvent) -> bool;

    /// How many events it may react to at once, each of another partition.
    fn concurrency(&self) -> usize {
        1
    }

    /// Events of one partition are reacted to one after the other, in log
    /// order: by default, the events of one stream.
    fn partition(&self, event: &LoggedEvent) -> String {
        event.event.stream_id.clone()
    }

    /// Reacts to `event`. Must be idempotent: it may run again for the same
    /// event after a crash or a failed attempt.
    fn react(&self, event: &LoggedEvent) -> impl Future<Output = anyhow::Result<()>> + Send;

    /// Records, visibly, that reacting to `event` kept failing with `error`
    /// (e.g. the order FAILED with the reason). Retried until it succeeds:
    /// an event is never skipped silently.
    fn give_up(
        &self,
        event: &LoggedEvent,
        error: &anyhow::Error,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Runs `reaction` until `shutdown` turns true.
pub async fn run<R: Reaction>(store: EventStore, reaction: R, mut shutdown: watch::Receiver<bool>) {
    let name = reaction.name();
    loop {
        if *shutdown.borrow() {
            return;
        }
        match follow(&store, &reaction, &mut shutdown).await {
            Ok(()) => return,
            Err(error) => {
                tracing::error!(manager = name, error = %format!("{error:#}"), "process manager stopped; restarting");
                if sleep_or_shutdown(Duration::from_millis(RETRY_BACKOFF_MS_MAX), &mut shutdown)
                    .await
                {
                    return;
                }
            }
        }
    }
}

/// Holds the lock and follows the log; `Ok` on shutdown.
async fn follow<R: Reaction>(
    store: &EventStore,
    reaction: &R,
    shutdown: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let name = reaction.name();
    // A connection of its own, closed (and the lock with it) when dropped,
    // never handed back to the pool with the lock still held.
    let mut lock = store.pool().acquire().await?.detach();
    let key = format!("dropledger-process:{name}");
    loop {
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
            .bind(&key)
            .fetch_one(&mut lock)
            .await?;
        if locked {
            break;
        }
        tracing::debug!(
            manager = name,
            "another instance runs this manager; standing by"
        );
        if sleep_or_shutdown(Duration::from_millis(STANDBY_POLL_MS), shutdown).await {
            return Ok(());
        }
    }
    let pool = store.pool();
    let mut saved = checkpoint::load(pool, name).await?;
    tracing::info!(
        manager = name,
        position = saved,
        "process manager following the log"
    );
    let mut subscription = store.subscribe(saved, SubscriptionOptions::default());
    let concurrency = reaction.concurrency().max(1);
    let mut in_flight = InFlight::default();
    let mut reactions: FuturesUnordered<Reacting<'_>> = FuturesUnordered::new();
    // The position of the last event handed out (or passed over).
    let mut read = saved;
    loop {
        let event = tokio::select! {
            _ = shutdown.changed() => break,
            Some(finished) = reactions.next(), if in_flight.len() > 0 => {
                in_flight.finish_reaction(finished)?;
                saved = save_if_moved(pool, name, in_flight.safe_checkpoint(read), saved).await?;
                continue;
            }
            event = subscription.next(), if in_flight.len() < concurrency => event?,
        };
        read = event.position;
        // The lock's connection is checked now and then: losing it means
        // another instance may take over, so this one must stop.
        if event.position % 64 == 0 {
            sqlx::query("SELECT 1").execute(&mut lock).await?;
        }
        if reaction.wants(&event) {
            let partition = reaction.partition(&event);
            // The partition's previous event first: one order, one step at a time.
            while in_flight.is_busy(&partition) {
                let finished = reactions.next().await;
                in_flight.finish_reaction(finished.expect("a busy partition has a reaction"))?;
            }
            in_flight.start(event.position, partition.clone());
            let span = tracing::info_span!(
                "react",
                manager = name,
                position = event.position,
                event_type = %event.event.event_type,
                correlation_id = %event.event.metadata.correlation_id,
            );
            let mut own_shutdown = shutdown.clone();
            reactions.push(Box::pin(
                async move {
                    let outcome = react_or_give_up(reaction, &event, pool, &mut own_shutdown).await;
                    (event.position, partition, outcome)
                }
                .instrument(span),
            ));
        } else if in_flight.len() == 0 && event.position - saved >= SKIPPED_EVENTS_PER_SAVE {
            saved = save_if_moved(pool, name, event.position, saved).await?;
        }
    }
    // Stopping: the steps under way finish first (each is one bounded step).
    while let Some(finished) = reactions.next().await {
        in_flight.finish_reaction(finished)?;
    }
    save_if_moved(pool, name, in_flight.safe_checkpoint(read), saved).await?;
    let _ = lock.close().await;
    Ok(())
}

/// One reaction under way: it ends with the event's position, its
/// partition and how the step went.
type Reacting<'a> = std::pin::Pin<Box<dyn Future<Output = Finished> + Send + 'a>>;

/// A reaction's end: the event's position, its partition, the step's outcome.
type Finished = (u64, String, anyhow::Result<()>);

impl InFlight {
    /// Takes a finished reaction off the books; its error, if the step
    /// could not even record its failure (the follower then restarts from
    /// the checkpoint, which has not moved past it).
    fn finish_reaction(&mut self, (position, partition, outcome): Finished) -> anyhow::Result<()> {
        outcome?;
        self.finish(position, &partition);
        Ok(())
    }
}

/// Saves the checkpoint when it moved; the checkpoint now saved.
async fn save_if_moved(
    pool: &sqlx::PgPool,
    name: &str,
    safe: u64,
    saved: u64,
) -> anyhow::Result<u64> {
    if safe > saved {
        checkpoint::save(pool, name, safe).await?;
        return Ok(safe);
    }
    Ok(saved)
}

/// Tries the step with backoff; when every attempt fails, records the
/// failure (retrying that until it is recorded).
async fn react_or_give_up<R: Reaction>(
    reaction: &R,
    event: &LoggedEvent,
    pool: &sqlx::PgPool,
    shutdown: &mut watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let name = reaction.name();
    let mut backoff = RETRY_BACKOFF_MS_FIRST;
    let mut last_error = None;
    for attempt in 1..=STEP_ATTEMPTS_MAX {
        match reaction.react(event).await {
            Ok(()) => return Ok(()),
            Err(error) => {
                tracing::warn!(attempt, error = %format!("{error:#}"), "step failed");
                last_error = Some(error);
            }
        }
        if attempt < STEP_ATTEMPTS_MAX {
            tokio::time::sleep(Duration::from_millis(backoff)).await;
            backoff = (backoff * 2).min(RETRY_BACKOFF_MS_MAX);
        }
    }
    let error = last_error.expect("at least one attempt ran");
    tracing::error!(error = %format!("{error:#}"), "step gave up after {STEP_ATTEMPTS_MAX} attempts; recording the failure");
    checkpoint::record_error(pool, name, event.position, &format!("{error:#}")).await?;
    let mut backoff = RETRY_BACKOFF_MS_FIRST;
    loop {
        match reaction.give_up(event, &error).await {
            Ok(()) => return Ok(()),
            Err(failure) => {
                tracing::error!(error = %format!("{failure:#}"), "recording the failure failed; retrying");
            }
        }
        if sleep_or_shutdown(Duration::from_millis(backoff), shutdown).await {
            anyhow::bail!("shut down before the failure was recorded");
        }
        backoff = (backoff * 2).min(RETRY_BACKOFF_MS_MAX);
    }
}

/// Sleeps; true when shutdown was asked meanwhile.
pub async fn sleep_or_shutdown(duration: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = shutdown.changed() => true,
        () = tokio::time::sleep(duration) => *shutdown.borrow(),
    }
}

/// Runs `tick` every `interval` while holding `name`'s lock (a second
/// instance stands by), until shutdown. A failed tick is logged and the
/// next one tries again: pollers are idempotent by construction.
pub async fn run_periodic<F, Fut>(
    store: EventStore,
    name: &'static str,
    interval: Duration,
    tick: F,
    mut shutdown: watch::Receiver<bool>,
) where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = anyhow::Result<()>> + Send,
{
    let key = format!("dropledger-process:{name}");
    'connect: loop {
        let mut lock = match store.pool().acquire().await {
            Ok(connection) => connection.detach(),
            Err(error) => {
                tracing::error!(manager = name, %error, "no database connection");
                if sleep_or_shutdown(interval, &mut shutdown).await {
                    return;
                }
                continue;
            }
        };
        loop {
            let locked: Result<bool, _> =
                sqlx::query_scalar("SELECT pg_try_advisory_lock(hashtext($1))")
                    .bind(&key)
                    .fetch_one(&mut lock)
                    .await;
            match locked {
                Ok(true) => break,
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(manager = name, %error, "taking the lock failed");
                    continue 'connect;
                }
            }
            if sleep_or_shutdown(Duration::from_millis(STANDBY_POLL_MS), &mut shutdown).await {
                return;
            }
        }
        loop {
            if let Err(error) = tick().await {
                tracing::warn!(manager = name, error = %format!("{error:#}"), "poll failed; trying again next time");
            }
            if sleep_or_shutdown(interval, &mut shutdown).await {
                let _ = lock.close().await;
                return;
            }
            if sqlx::query("SELECT 1").execute(&mut lock).await.is_err() {
                continue 'connect;
            }
        }
    }
}
