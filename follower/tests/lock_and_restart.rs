//! One instance per name: a second follower stands by until the first lets
//! go of the lock, or gives up waiting at shutdown. And the supervisor: a
//! failure is restarted after a pause that doubles, a failure the caller
//! calls final stops it, a panic is caught and reported like a failure.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dropledger_devdb::TestDatabase;
use dropledger_follower::{supervise, AfterFailure, Backoff, Failure, FollowerLock, LockKey};
use tokio::sync::watch;

/// How long a test waits for what must happen.
const WAIT: Duration = Duration::from_secs(30);
/// How often a standby asks for the lock in these tests.
const RETRY: Duration = Duration::from_millis(20);

#[tokio::test]
async fn a_second_instance_stands_by_until_the_first_releases_the_lock() {
    let db = TestDatabase::new().await;
    let key = LockKey::Name("dropledger-process:lock-test".to_owned());
    let first = FollowerLock::acquire(
        db.pool(),
        key.clone(),
        RETRY,
        || panic!("the first instance finds the lock free"),
        std::pin::pin!(std::future::pending()),
    )
    .await
    .unwrap()
    .expect("no shutdown");

    let standbys = Arc::new(AtomicUsize::new(0));
    let counted = standbys.clone();
    let pool = db.pool().clone();
    let second = tokio::spawn(async move {
        FollowerLock::acquire(
            &pool,
            key,
            RETRY,
            move || {
                counted.fetch_add(1, Ordering::SeqCst);
            },
            std::pin::pin!(std::future::pending()),
        )
        .await
    });
    let deadline = tokio::time::Instant::now() + WAIT;
    while standbys.load(Ordering::SeqCst) < 3 {
        assert!(tokio::time::Instant::now() < deadline, "never stood by");
        tokio::time::sleep(RETRY).await;
    }
    assert!(!second.is_finished(), "took a lock another instance holds");

    first.release().await;
    let second = tokio::time::timeout(WAIT, second)
        .await
        .expect("the standby takes over once the lock is free")
        .unwrap()
        .unwrap();
    assert!(second.is_some());
}

#[tokio::test]
async fn shutdown_ends_a_standby_without_the_lock() {
    let db = TestDatabase::new().await;
    let key = LockKey::Number(0x5eed);
    let _held = FollowerLock::acquire(
        db.pool(),
        key.clone(),
        RETRY,
        || {},
        std::pin::pin!(std::future::pending()),
    )
    .await
    .unwrap()
    .expect("no shutdown");
    let waited = tokio::time::timeout(
        WAIT,
        FollowerLock::acquire(
            db.pool(),
            key,
            RETRY,
            || {},
            std::pin::pin!(tokio::time::sleep(Duration::from_millis(100))),
        ),
    )
    .await
    .expect("shutdown ends the wait")
    .unwrap();
    assert!(waited.is_none());
}

/// Runs `supervise` over a follower that fails (or panics) `failures`
/// times and then is done; the calls, and the pauses it was told of.
async fn supervised(failures: usize, panics: bool, after: AfterFailure) -> (usize, Vec<Duration>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let pauses = Arc::new(Mutex::new(Vec::new()));
    let (_stop, shutdown) = watch::channel(false);
    let counted = calls.clone();
    let told = pauses.clone();
    tokio::time::timeout(
        WAIT,
        supervise(
            Backoff::from_millis(10, 40),
            shutdown,
            move || {
                let call = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    if call < failures {
                        assert!(!panics, "a bug in a follower");
                        return Err(format!("failure {call}"));
                    }
                    Ok(())
                }
            },
            move |failure: Failure<String>, pause| {
                if panics {
                    assert!(matches!(&failure, Failure::Panic(text) if text.contains("a bug in a follower")));
                } else {
                    assert!(matches!(failure, Failure::Error(_)));
                }
                told.lock().unwrap().push(pause);
                after
            },
        ),
    )
    .await
    .expect("the supervisor returns");
    let pauses = pauses.lock().unwrap().clone();
    (calls.load(Ordering::SeqCst), pauses)
}

#[tokio::test]
async fn a_failed_follower_starts_again_after_pauses_that_double_up_to_the_ceiling() {
    let (calls, pauses) = supervised(4, false, AfterFailure::Restart).await;
    assert_eq!(calls, 5);
    let millis: Vec<u128> = pauses.iter().map(Duration::as_millis).collect();
    assert_eq!(millis, [10, 20, 40, 40]);
}

#[tokio::test]
async fn a_failure_called_final_stops_the_follower() {
    let (calls, pauses) = supervised(3, false, AfterFailure::Stop).await;
    assert_eq!(calls, 1);
    assert_eq!(pauses.len(), 1);
}

#[tokio::test]
async fn a_panicking_follower_is_caught_and_started_again() {
    let (calls, pauses) = supervised(2, true, AfterFailure::Restart).await;
    assert_eq!(calls, 3);
    assert_eq!(pauses.len(), 2);
}

#[tokio::test]
async fn a_follower_is_not_started_once_shutdown_was_asked() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = calls.clone();
    let (stop, shutdown) = watch::channel(false);
    stop.send(true).unwrap();
    supervise(
        Backoff::from_millis(10, 40),
        shutdown,
        move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { Ok::<(), String>(()) }
        },
        |_, _| AfterFailure::Restart,
    )
    .await;
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}
