//! The loop of a periodic manager (a poller): one tick every interval
//! while holding the manager's lock, a second instance standing by.

use std::future::Future;
use std::time::Duration;

use dropledger_eventstore::EventStore;
use futures::FutureExt;
use sqlx::Connection;
use tokio::sync::watch;

use super::health::panic_message;
use super::{sleep_or_shutdown, ManagerHealth, ManagerState, STANDBY_POLL_MS};

/// Runs `tick` every `interval` while holding `name`'s lock (a second
/// instance stands by), until shutdown. A failed tick is logged and the
/// next one tries again: pollers are idempotent by construction. A tick
/// that panics is counted as a restart in `health` and tried again after
/// the pause.
pub async fn run_periodic<F, Fut, E>(
    store: EventStore,
    name: &'static str,
    interval: Duration,
    tick: F,
    health: ManagerHealth,
    mut shutdown: watch::Receiver<bool>,
) where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: std::fmt::Display,
{
    health.set_state(name, ManagerState::Starting);
    let key = format!("dropledger-process:{name}");
    'connect: loop {
        let mut lock = match store.pool().acquire().await {
            Ok(connection) => connection.detach(),
            Err(error) => {
                tracing::error!(manager = name, %error, "no database connection");
                health.record_error(name, error.to_string());
                if sleep_or_shutdown(interval, &mut shutdown).await {
                    break 'connect;
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
                Ok(false) => health.set_state(name, ManagerState::Standby),
                Err(error) => {
                    tracing::error!(manager = name, %error, "taking the lock failed");
                    health.record_error(name, error.to_string());
                    continue 'connect;
                }
            }
            if sleep_or_shutdown(Duration::from_millis(STANDBY_POLL_MS), &mut shutdown).await {
                break 'connect;
            }
        }
        health.set_state(name, ManagerState::Running);
        loop {
            match std::panic::AssertUnwindSafe(tick()).catch_unwind().await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => {
                    tracing::warn!(manager = name, %error, "poll failed; trying again next time");
                    health.record_error(name, error.to_string());
                }
                Err(panic) => {
                    let error = panic_message(panic.as_ref());
                    tracing::error!(manager = name, %error, "poll panicked; trying again next time");
                    health.record_restart(name, error);
                    health.set_state(name, ManagerState::Running);
                }
            }
            if sleep_or_shutdown(interval, &mut shutdown).await {
                let _ = lock.close().await;
                break 'connect;
            }
            if sqlx::query("SELECT 1").execute(&mut lock).await.is_err() {
                continue 'connect;
            }
        }
    }
    health.set_state(name, ManagerState::Stopped);
}
