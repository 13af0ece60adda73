//! The loop of a periodic manager (a poller): one tick every interval
//! while holding the manager's lock, a second instance standing by.

use std::future::Future;
use std::time::Duration;

use dropledger_eventstore::EventStore;
use futures::FutureExt;
use tokio::sync::watch;

use crate::health::{panic_message, ManagerHealth, ManagerState};
use crate::lock::FollowerLock;
use crate::react::{manager_lock_key, STANDBY_POLL_MS};
use crate::supervise::{shutdown_asked, sleep_or_shutdown};

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
    'connect: loop {
        let locked = FollowerLock::acquire(
            store.pool(),
            manager_lock_key(name),
            Duration::from_millis(STANDBY_POLL_MS),
            || health.set_state(name, ManagerState::Standby),
            std::pin::pin!(shutdown_asked(shutdown.clone())),
        )
        .await;
        let mut lock = match locked {
            Ok(Some(lock)) => lock,
            Ok(None) => break 'connect,
            Err(error) => {
                tracing::error!(manager = name, %error, "no database connection or lock");
                health.record_error(name, error.to_string());
                if sleep_or_shutdown(interval, &mut shutdown).await {
                    break 'connect;
                }
                continue;
            }
        };
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
                lock.release().await;
                break 'connect;
            }
            if lock.check().await.is_err() {
                continue 'connect;
            }
        }
    }
    health.set_state(name, ManagerState::Stopped);
}
