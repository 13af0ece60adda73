//! One cache for OAuth2 client-credentials access tokens, shared by the
//! providers that issue them (PayPal P1, Payoneer Y1): a token is reused
//! until shortly before it expires, and only one refresh runs at a time —
//! callers that find it stale while another is fetching wait for that
//! fetch and share its token, so a burst of calls asks for one token.

use std::future::Future;
use std::time::Duration;

use secrecy::SecretString;
use tokio::sync::Mutex;
use tokio::time::Instant;

/// A token is refreshed this long before it expires (or a quarter of its
/// life, when that is shorter), so that no call goes out with a token about
/// to die.
pub(crate) const TOKEN_REFRESH_MARGIN_MAX: Duration = Duration::from_secs(300);

/// An access token as the provider issued it.
pub(crate) struct IssuedToken {
    /// The bearer token.
    pub value: SecretString,
    /// Its lifetime from the moment it was asked for (`expires_in`).
    pub lifetime: Duration,
}

struct CachedToken {
    value: SecretString,
    refresh_at: Instant,
}

/// The cached access token of one client.
#[derive(Default)]
pub(crate) struct TokenCache {
    // The lock is held across a refresh: that is what makes concurrent
    // callers wait for one fetch instead of each starting their own.
    slot: Mutex<Option<CachedToken>>,
}

impl TokenCache {
    /// The cached token while it is fresh; otherwise the token `fetch`
    /// obtains, cached for later calls. A failed fetch caches nothing: the
    /// next call fetches again.
    pub(crate) async fn token<E, F, Fut>(&self, fetch: F) -> Result<SecretString, E>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<IssuedToken, E>>,
    {
        let mut slot = self.slot.lock().await;
        if let Some(cached) = slot.as_ref() {
            if Instant::now() < cached.refresh_at {
                return Ok(cached.value.clone());
            }
        }
        let requested_at = Instant::now();
        let issued = fetch().await?;
        let margin = TOKEN_REFRESH_MARGIN_MAX.min(issued.lifetime / 4);
        *slot = Some(CachedToken {
            value: issued.value.clone(),
            refresh_at: requested_at + issued.lifetime - margin,
        });
        Ok(issued.value)
    }

    /// Forgets the token (the provider refused it); the next call fetches.
    pub(crate) async fn forget(&self) {
        *self.slot.lock().await = None;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use secrecy::ExposeSecret;

    use super::*;

    /// A fetch that counts its calls and issues "token-N" living `lifetime`.
    async fn issuer(
        fetches: &AtomicUsize,
        lifetime: Duration,
    ) -> Result<IssuedToken, &'static str> {
        tokio::time::sleep(Duration::from_millis(10)).await;
        let n = fetches.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(IssuedToken {
            value: SecretString::from(format!("token-{n}")),
            lifetime,
        })
    }

    #[tokio::test(start_paused = true)]
    async fn a_token_is_reused_until_shortly_before_it_expires() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        let hour = Duration::from_secs(3600);
        let first = cache.token(|| issuer(&fetches, hour)).await.unwrap();
        tokio::time::advance(hour - TOKEN_REFRESH_MARGIN_MAX - Duration::from_secs(1)).await;
        let again = cache.token(|| issuer(&fetches, hour)).await.unwrap();
        assert_eq!(first.expose_secret(), again.expose_secret());
        assert_eq!(fetches.load(Ordering::SeqCst), 1);

        tokio::time::advance(Duration::from_secs(2)).await;
        let refreshed = cache.token(|| issuer(&fetches, hour)).await.unwrap();
        assert_eq!(refreshed.expose_secret(), "token-2");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_short_lived_token_is_refreshed_after_three_quarters_of_its_life() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        let minute = Duration::from_secs(60);
        cache.token(|| issuer(&fetches, minute)).await.unwrap();
        tokio::time::advance(Duration::from_secs(44)).await;
        cache.token(|| issuer(&fetches, minute)).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
        tokio::time::advance(Duration::from_secs(2)).await;
        cache.token(|| issuer(&fetches, minute)).await.unwrap();
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_share_one_refresh() {
        let cache = Arc::new(TokenCache::default());
        let fetches = Arc::new(AtomicUsize::new(0));
        let callers: Vec<_> = (0..50)
            .map(|_| {
                let cache = cache.clone();
                let fetches = fetches.clone();
                tokio::spawn(async move {
                    let token = cache
                        .token(|| issuer(&fetches, Duration::from_secs(3600)))
                        .await
                        .unwrap();
                    token.expose_secret().to_owned()
                })
            })
            .collect();
        for caller in callers {
            assert_eq!(caller.await.unwrap(), "token-1");
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_fetch_is_not_cached_and_a_forgotten_token_is_fetched_again() {
        let cache = TokenCache::default();
        let fetches = AtomicUsize::new(0);
        let failed = cache
            .token(|| async { Err::<IssuedToken, _>("refused") })
            .await;
        assert_eq!(failed.err(), Some("refused"));
        let hour = Duration::from_secs(3600);
        cache.token(|| issuer(&fetches, hour)).await.unwrap();
        cache.forget().await;
        let after = cache.token(|| issuer(&fetches, hour)).await.unwrap();
        assert_eq!(after.expose_secret(), "token-2");
    }
}
