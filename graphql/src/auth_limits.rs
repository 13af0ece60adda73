//! Limits on signing in and up: per client address (IPv6 by its /64, the
//! block one subscriber usually holds), per account (so that guessing one
//! account's password from many addresses is slow too), for the whole
//! server, and on how many argon2 hashes run at once (each costs tens of
//! milliseconds of a core and 19 MiB of memory).

use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, DefaultKeyedRateLimiter, Quota, RateLimiter};
use tokio::sync::{Semaphore, SemaphorePermit};

/// Sign-in attempts one account may receive per minute, from anywhere.
pub const LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE: u32 = 10;
/// Sign-in and sign-up attempts the whole server takes per minute.
pub const AUTH_REQUESTS_PER_MINUTE_GLOBAL: u32 = 1_200;
/// Keys a limiter keeps before it forgets those it treats as fresh anyway.
const LIMITER_KEYS_PRUNE_AT: usize = 10_000;
/// The longest a sign-in waits for a hashing place before it is refused.
const PASSWORD_HASHING_WAIT_MS: u64 = 2_000;
/// Leading bits of an IPv6 address that name one client.
const IPV6_CLIENT_PREFIX_BITS: u32 = 64;

/// Why a sign-in or sign-up was refused before it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthRefusal {
    /// The client's address (or /64) made too many attempts.
    #[error("too many attempts from your address; wait a minute")]
    Client,
    /// The account received too many attempts.
    #[error("too many sign-in attempts for this account; wait a minute")]
    Account,
    /// The server takes no more attempts this minute.
    #[error("the server is taking too many sign-ins right now; try again in a minute")]
    Server,
    /// Every hashing place stayed taken.
    #[error("the server is busy checking passwords; try again in a few seconds")]
    HashingBusy,
}

/// The limiters of `login` and `register`.
pub struct AuthLimits {
    per_client: DefaultKeyedRateLimiter<IpAddr>,
    per_account: DefaultKeyedRateLimiter<String>,
    global: DefaultDirectRateLimiter,
    hashing: Semaphore,
}

impl std::fmt::Debug for AuthLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLimits")
            .field("clients", &self.per_client.len())
            .field("accounts", &self.per_account.len())
            .finish_non_exhaustive()
    }
}

fn per_minute(count: u32) -> Quota {
    Quota::per_minute(NonZeroU32::new(count).unwrap_or(NonZeroU32::MIN))
}

impl AuthLimits {
    /// `per_client` attempts per address (or IPv6 /64) and minute,
    /// `per_account` per account, `global` in all, and `hashing` argon2
    /// hashes at once.
    pub fn new(per_client: u32, per_account: u32, global: u32, hashing: usize) -> Self {
        Self {
            per_client: RateLimiter::keyed(per_minute(per_client)),
            per_account: RateLimiter::keyed(per_minute(per_account)),
            global: RateLimiter::direct(per_minute(global)),
            hashing: Semaphore::new(hashing.max(1)),
        }
    }

    /// The defaults with `per_client` attempts per address and minute; as
    /// many hashes at once as the machine has cores.
    pub fn with_per_client(per_client: u32) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        Self::new(
            per_client,
            LOGIN_ATTEMPTS_PER_ACCOUNT_PER_MINUTE,
            AUTH_REQUESTS_PER_MINUTE_GLOBAL,
            cores,
        )
    }

    /// Counts one attempt of `client` (if known) at `account` (sign-in:
    /// its e-mail, any case; sign-up: none), or says which limit refused it.
    pub(crate) fn check(
        &self,
        client: Option<IpAddr>,
        account: Option<&str>,
    ) -> Result<(), AuthRefusal> {
        self.prune();
        if let Some(client) = client {
            self.per_client
                .check_key(&client_key(client))
                .map_err(|_| AuthRefusal::Client)?;
        }
        if let Some(account) = account {
            self.per_account
                .check_key(&account.trim().to_lowercase())
                .map_err(|_| AuthRefusal::Account)?;
        }
        self.global.check().map_err(|_| AuthRefusal::Server)
    }

    /// A place to hash or verify one password, waited for a short while.
    pub(crate) async fn hashing_place(&self) -> Result<SemaphorePermit<'_>, AuthRefusal> {
        match tokio::time::timeout(
            Duration::from_millis(PASSWORD_HASHING_WAIT_MS),
            self.hashing.acquire(),
        )
        .await
        {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(AuthRefusal::HashingBusy),
        }
    }

    /// Forgets keys whose state is as good as fresh once there are many:
    /// addresses and e-mails an attacker makes up cannot grow memory.
    fn prune(&self) {
        if self.per_client.len() > LIMITER_KEYS_PRUNE_AT {
            self.per_client.retain_recent();
            self.per_client.shrink_to_fit();
        }
        if self.per_account.len() > LIMITER_KEYS_PRUNE_AT {
            self.per_account.retain_recent();
            self.per_account.shrink_to_fit();
        }
    }
}

/// The key of a client address: an IPv4 address itself (also when mapped
/// into IPv6), an IPv6 address by its /64.
pub(crate) fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mask = u128::MAX << (128 - IPV6_CLIENT_PREFIX_BITS);
                IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn an_ipv6_client_is_its_64_and_a_mapped_ipv4_is_the_ipv4() {
        for (address, key) in [
            ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::"),
            ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::"),
            ("2001:db8:1:3::1", "2001:db8:1:3::"),
            ("::ffff:192.0.2.7", "192.0.2.7"),
            ("192.0.2.7", "192.0.2.7"),
        ] {
            assert_eq!(
                client_key(address.parse().unwrap()),
                key.parse::<IpAddr>().unwrap(),
                "{address}"
            );
        }
    }

    #[test]
    fn each_limit_refuses_on_its_own_key() {
        // (per client, per account, global), then attempts and the outcome of the last.
        type Attempt = (Option<IpAddr>, Option<&'static str>);
        type Quotas = (u32, u32, u32);
        type Case = (Quotas, Vec<Attempt>, Result<(), AuthRefusal>);
        let cases: [Case; 5] = [
            // Two addresses of one /64 share its allowance.
            (
                (2, 100, 100),
                vec![
                    (ip("2001:db8::1"), None),
                    (ip("2001:db8::2"), None),
                    (ip("2001:db8::3"), None),
                ],
                Err(AuthRefusal::Client),
            ),
            // Another /64 has its own.
            (
                (2, 100, 100),
                vec![
                    (ip("2001:db8::1"), None),
                    (ip("2001:db8::2"), None),
                    (ip("2001:db8:0:1::1"), None),
                ],
                Ok(()),
            ),
            // One account from many addresses, in any case.
            (
                (100, 2, 100),
                vec![
                    (ip("192.0.2.1"), Some("ana@example.com")),
                    (ip("192.0.2.2"), Some("ANA@example.com")),
                    (ip("192.0.2.3"), Some("ana@example.com ")),
                ],
                Err(AuthRefusal::Account),
            ),
            // Another account is not held back by it.
            (
                (100, 2, 100),
                vec![
                    (ip("192.0.2.1"), Some("ana@example.com")),
                    (ip("192.0.2.2"), Some("ana@example.com")),
                    (ip("192.0.2.3"), Some("bob@example.com")),
                ],
                Ok(()),
            ),
            // The server's allowance covers everyone.
            (
                (100, 100, 2),
                vec![
                    (ip("192.0.2.1"), None),
                    (ip("198.51.100.1"), None),
                    (ip("203.0.113.1"), None),
                ],
                Err(AuthRefusal::Server),
            ),
        ];
        for ((client, account, global), attempts, expected) in cases {
            let limits = AuthLimits::new(client, account, global, 1);
            let outcomes: Vec<_> = attempts
                .iter()
                .map(|(address, account)| limits.check(*address, *account))
                .collect();
            assert_eq!(
                outcomes.last(),
                Some(&expected),
                "{attempts:?}: {outcomes:?}"
            );
        }
    }

    #[tokio::test]
    async fn a_hashing_place_is_refused_while_all_stay_taken() {
        let limits = AuthLimits::new(10, 10, 10, 1);
        let held = limits.hashing_place().await.unwrap();
        assert_eq!(
            limits.hashing_place().await.err(),
            Some(AuthRefusal::HashingBusy)
        );
        drop(held);
        assert!(limits.hashing_place().await.is_ok());
    }
}
