//! Keeping a follower running: it is started again after a failure or a
//! panic, after a pause that doubles up to a limit, until shutdown or
//! until the caller decides a failure is final.

use std::future::Future;
use std::time::Duration;

use dropledger_eventstore::Backoff;
use futures::FutureExt;
use tokio::sync::watch;

use crate::health::panic_message;

/// How a run of a follower ended, other than done.
#[derive(Debug)]
pub enum Failure<E> {
    /// It returned an error.
    Error(E),
    /// It panicked (the text of the panic).
    Panic(String),
}

/// Whether a follower starts again after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AfterFailure {
    /// Start again after the pause.
    Restart,
    /// Stay stopped.
    Stop,
}

/// Runs `run` until it returns `Ok` (done, e.g. at shutdown) or `shutdown`
/// turns true. After a failure, `on_failure` (told the failure and the
/// pause to come) decides whether it starts again. A panic is caught: a
/// follower starts again from its checkpoint, which never moved past the
/// step that panicked.
pub async fn supervise<E, F, Fut>(
    backoff: Backoff,
    mut shutdown: watch::Receiver<bool>,
    mut run: F,
    mut on_failure: impl FnMut(Failure<E>, Duration) -> AfterFailure,
) where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), E>>,
{
    let mut pause = backoff.first;
    loop {
        if *shutdown.borrow() {
            return;
        }
        let failure = match std::panic::AssertUnwindSafe(run()).catch_unwind().await {
            Ok(Ok(())) => return,
            Ok(Err(error)) => Failure::Error(error),
            Err(panic) => Failure::Panic(panic_message(panic.as_ref())),
        };
        if on_failure(failure, pause) == AfterFailure::Stop {
            return;
        }
        if sleep_or_shutdown(pause, &mut shutdown).await {
            return;
        }
        pause = backoff.next(pause);
    }
}

/// Sleeps; true when shutdown was asked meanwhile.
pub async fn sleep_or_shutdown(duration: Duration, shutdown: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = shutdown.changed() => true,
        () = tokio::time::sleep(duration) => *shutdown.borrow(),
    }
}

/// Resolves once shutdown is asked (at once if it already was).
pub async fn shutdown_asked(mut shutdown: watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}
