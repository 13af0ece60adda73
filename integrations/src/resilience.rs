//! Timeouts, bounded retries with jittered backoff, and circuit breakers:
//! one per provider, or one per operation of a provider whose operations
//! fail apart (PayPal answers 429 per API: a flood of webhook checks must
//! not stop captures, refunds and payouts). Every provider call goes
//! through [`Guard::call`].

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;

/// Limits for one provider call: per-attempt timeout, number of attempts and
/// the backoff between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CallPolicy {
    /// How long one attempt may take before it counts as a timeout.
    pub attempt_timeout_ms: u64,
    /// Attempts in total, the first included (1 means no retry).
    pub attempts_max: u32,
    /// Backoff ceiling for the first retry; it doubles per retry.
    pub backoff_base_ms: u64,
    /// Backoff ceiling for any retry.
    pub backoff_max_ms: u64,
}

impl Default for CallPolicy {
    fn default() -> Self {
        Self {
            attempt_timeout_ms: 10_000,
            attempts_max: 3,
            backoff_base_ms: 200,
            backoff_max_ms: 5_000,
        }
    }
}

impl CallPolicy {
    /// A fast policy for tests: short timeouts and millisecond backoff.
    pub fn fast_for_tests() -> Self {
        Self {
            attempt_timeout_ms: 500,
            attempts_max: 3,
            backoff_base_ms: 5,
            backoff_max_ms: 20,
        }
    }

    /// "Full jitter" backoff before retry number `retry` (1-based): a random
    /// duration up to `min(max, base * 2^(retry-1))`, so that many callers
    /// failing together do not retry together.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(16);
        let ceiling = self
            .backoff_base_ms
            .saturating_mul(1u64 << exponent)
            .min(self.backoff_max_ms);
        let jittered = if ceiling == 0 {
            0
        } else {
            rand::thread_rng().gen_range(0..=ceiling)
        };
        Duration::from_millis(jittered)
    }
}

/// When the breaker opens and for how long.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive provider faults (timeouts, 5xx, transport) that open it.
    pub failures_max: u32,
    /// How long it stays open before letting a trial call through.
    pub open_ms: u64,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        Self {
            failures_max: 5,
            open_ms: 30_000,
        }
    }
}

/// A circuit breaker for one provider: after `failures_max` consecutive
/// provider faults it refuses calls for `open_ms`, then lets calls through
/// again (half-open) and closes on the first success.
#[derive(Debug)]
pub struct CircuitBreaker {
    policy: BreakerPolicy,
    state: Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(policy: BreakerPolicy) -> Self {
        Self {
            policy,
            state: Mutex::new(BreakerState::default()),
        }
    }

    /// Whether a call may go out now.
    pub fn allows_call(&self) -> bool {
        let state = self.state.lock().expect("breaker lock poisoned");
        match state.open_until {
            Some(until) => Instant::now() >= until,
            None => true,
        }
    }

    /// Whether the breaker is refusing calls now.
    pub fn is_open(&self) -> bool {
        !self.allows_call()
    }

    fn record_success(&self) {
        let mut state = self.state.lock().expect("breaker lock poisoned");
        state.consecutive_failures = 0;
        state.open_until = None;
    }

    fn record_fault(&self) {
        let mut state = self.state.lock().expect("breaker lock poisoned");
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        if state.consecutive_failures >= self.policy.failures_max {
            state.open_until = Some(Instant::now() + Duration::from_millis(self.policy.open_ms));
        }
    }
}

/// Whether a call may be repeated without doing the work twice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// A read: always safe to repeat.
    Read,
    /// A write carrying an idempotency key the provider honours
    /// (`PayPal-Request-Id`, `sender_batch_id`, `out_order_id`, ...).
    Keyed,
    /// A write without a key: never retried, because a lost answer does not
    /// mean the work was not done.
    Unkeyed,
}

/// How a provider error tells the guard what to do with it.
pub trait ProviderFault: Sized {
    /// Worth another attempt (timeouts, 5xx, 429, transport errors).
    fn is_retryable(&self) -> bool;
    /// Counts against the provider's health in the circuit breaker; a 4xx
    /// is our mistake, not the provider's, and does not count.
    fn is_provider_fault(&self) -> bool {
        self.is_retryable()
    }
    /// The error for an attempt that ran out of time.
    fn timeout(after_ms: u64) -> Self;
    /// The error for a call refused because the breaker is open.
    fn circuit_open(provider: &'static str) -> Self;
}

/// Which calls share a circuit breaker.
#[derive(Debug)]
enum Breakers {
    /// Every call of the provider.
    Provider(Arc<CircuitBreaker>),
    /// Calls of the same operation, each operation's made when first called.
    PerOperation {
        policy: BreakerPolicy,
        by_operation: Mutex<HashMap<&'static str, Arc<CircuitBreaker>>>,
    },
}

/// Runs calls to one provider under a [`CallPolicy`] and its breakers.
#[derive(Clone, Debug)]
pub struct Guard {
    provider: &'static str,
    policy: CallPolicy,
    breakers: Arc<Breakers>,
}

impl Guard {
    /// A guard with one breaker for all of the provider's calls.
    pub fn new(provider: &'static str, policy: CallPolicy, breaker: BreakerPolicy) -> Self {
        Self {
            provider,
            policy,
            breakers: Arc::new(Breakers::Provider(Arc::new(CircuitBreaker::new(breaker)))),
        }
    }

    /// A guard with a breaker of its own for each operation: faults of one
    /// operation never refuse calls of another.
    pub fn per_operation(
        provider: &'static str,
        policy: CallPolicy,
        breaker: BreakerPolicy,
    ) -> Self {
        Self {
            provider,
            policy,
            breakers: Arc::new(Breakers::PerOperation {
                policy: breaker,
                by_operation: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The breaker `operation`'s calls go through.
    pub fn breaker(&self, operation: &'static str) -> Arc<CircuitBreaker> {
        match self.breakers.as_ref() {
            Breakers::Provider(breaker) => breaker.clone(),
            Breakers::PerOperation {
                policy,
                by_operation,
            } => by_operation
                .lock()
                .expect("breaker map lock poisoned")
                .entry(operation)
                .or_insert_with(|| Arc::new(CircuitBreaker::new(*policy)))
                .clone(),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> CallPolicy {
        self.policy
    }

    /// Runs `attempt` until it succeeds, fails for good, or the attempts are
    /// spent. Only retryable errors of idempotent calls are retried.
    pub async fn call<T, E, F, Fut>(
        &self,
        operation: &'static str,
        idempotency: Idempotency,
        mut attempt: F,
    ) -> Result<T, E>
    where
        E: ProviderFault + std::fmt::Display,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let attempts_max = match idempotency {
            Idempotency::Unkeyed => 1,
            Idempotency::Read | Idempotency::Keyed => self.policy.attempts_max.max(1),
        };
        let breaker = self.breaker(operation);
        let mut number = 0;
        loop {
            number += 1;
            if !breaker.allows_call() {
                tracing::warn!(
                    provider = self.provider,
                    operation,
                    "circuit open, call refused"
                );
                return Err(E::circuit_open(self.provider));
            }
            let started = Instant::now();
            let timeout = Duration::from_millis(self.policy.attempt_timeout_ms);
            let outcome = match tokio::time::timeout(timeout, attempt()).await {
                Ok(result) => result,
                Err(_) => Err(E::timeout(self.policy.attempt_timeout_ms)),
            };
            let latency_ms = started.elapsed().as_millis() as u64;
            match outcome {
                Ok(value) => {
                    breaker.record_success();
                    tracing::info!(
                        provider = self.provider,
                        operation,
                        attempt = number,
                        latency_ms,
                        outcome = "ok",
                        "provider call"
                    );
                    return Ok(value);
                }
                Err(error) => {
                    if error.is_provider_fault() {
                        breaker.record_fault();
                    }
                    let retry = error.is_retryable() && number < attempts_max;
                    tracing::warn!(provider = self.provider, operation, attempt = number, latency_ms, retry, error = %error, "provider call failed");
                    if !retry {
                        return Err(error);
                    }
                    tokio::time::sleep(self.policy.backoff(number)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[derive(Debug, PartialEq)]
    enum TestError {
        Flaky,
        Refused,
        Timeout,
        Open,
    }
    impl std::fmt::Display for TestError {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "{self:?}")
        }
    }
    impl ProviderFault for TestError {
        fn is_retryable(&self) -> bool {
            matches!(self, TestError::Flaky | TestError::Timeout)
        }
        fn timeout(_: u64) -> Self {
            TestError::Timeout
        }
        fn circuit_open(_: &'static str) -> Self {
            TestError::Open
        }
    }

    fn guard(failures_max: u32) -> Guard {
        Guard::new(
            "test",
            CallPolicy::fast_for_tests(),
            BreakerPolicy {
                failures_max,
                open_ms: 60_000,
            },
        )
    }

    #[tokio::test]
    async fn a_retryable_error_of_a_keyed_write_is_retried_until_success() {
        let calls = AtomicU32::new(0);
        let result = guard(10)
            .call("op", Idempotency::Keyed, || async {
                if calls.fetch_add(1, Ordering::SeqCst) < 2 {
                    Err(TestError::Flaky)
                } else {
                    Ok(7)
                }
            })
            .await;
        assert_eq!(result, Ok(7));
        assert_eq!(calls.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn an_unkeyed_write_is_never_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = guard(10)
            .call("op", Idempotency::Unkeyed, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(TestError::Flaky)
            })
            .await;
        assert_eq!(result, Err(TestError::Flaky));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_refusal_is_not_retried() {
        let calls = AtomicU32::new(0);
        let result: Result<(), _> = guard(10)
            .call("op", Idempotency::Read, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(TestError::Refused)
            })
            .await;
        assert_eq!(result, Err(TestError::Refused));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_slow_attempt_times_out() {
        let result: Result<(), _> = guard(10)
            .call("op", Idempotency::Unkeyed, || async {
                tokio::time::sleep(Duration::from_secs(5)).await;
                Ok(())
            })
            .await;
        assert_eq!(result, Err(TestError::Timeout));
    }

    #[tokio::test]
    async fn the_breaker_opens_after_consecutive_faults_and_refuses_calls() {
        let guard = guard(2);
        let calls = AtomicU32::new(0);
        let failing = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), _>(TestError::Flaky)
        };
        let _ = guard.call("op", Idempotency::Unkeyed, failing).await;
        let _ = guard.call("op", Idempotency::Unkeyed, failing).await;
        assert!(guard.breaker("op").is_open());
        let refused = guard.call("op", Idempotency::Unkeyed, failing).await;
        assert_eq!(refused, Err(TestError::Open));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn an_open_breaker_lets_a_trial_through_after_its_pause_and_closes_on_success() {
        let guard = Guard::new(
            "test",
            CallPolicy::fast_for_tests(),
            BreakerPolicy {
                failures_max: 1,
                open_ms: 50,
            },
        );
        let _ = guard
            .call("op", Idempotency::Unkeyed, || async {
                Err::<(), _>(TestError::Flaky)
            })
            .await;
        assert!(guard.breaker("op").is_open());

        tokio::time::sleep(Duration::from_millis(60)).await;
        let result = guard
            .call("op", Idempotency::Unkeyed, || async {
                Ok::<_, TestError>(1)
            })
            .await;

        assert_eq!(result, Ok(1));
        assert!(!guard.breaker("op").is_open());
    }

    #[tokio::test]
    async fn per_operation_breakers_open_apart_and_a_provider_breaker_opens_for_all() {
        let failing = || async { Err::<(), _>(TestError::Flaky) };
        let working = || async { Ok::<_, TestError>(1) };
        let policy = BreakerPolicy {
            failures_max: 2,
            open_ms: 60_000,
        };
        let apart = Guard::per_operation("test", CallPolicy::fast_for_tests(), policy);
        let shared = Guard::new("test", CallPolicy::fast_for_tests(), policy);
        for guard in [&apart, &shared] {
            for _ in 0..2 {
                let _ = guard.call("flooded", Idempotency::Unkeyed, failing).await;
            }
            assert_eq!(
                guard.call("flooded", Idempotency::Unkeyed, working).await,
                Err(TestError::Open)
            );
        }
        assert_eq!(
            apart.call("capture", Idempotency::Unkeyed, working).await,
            Ok(1)
        );
        assert_eq!(
            shared.call("capture", Idempotency::Unkeyed, working).await,
            Err(TestError::Open)
        );
    }

    #[test]
    fn backoff_never_exceeds_its_ceiling() {
        let policy = CallPolicy {
            attempt_timeout_ms: 1,
            attempts_max: 10,
            backoff_base_ms: 100,
            backoff_max_ms: 1_000,
        };
        for retry in 1..10 {
            assert!(policy.backoff(retry) <= Duration::from_millis(1_000));
        }
        assert!(policy.backoff(1) <= Duration::from_millis(100));
    }
}
