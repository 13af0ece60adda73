//! How often the reconciliation runs: `RECONCILIATION_INTERVAL_SECS`.

use std::time::Duration;

use anyhow::bail;

/// The variable that sets the interval, in seconds.
pub const RECONCILIATION_INTERVAL_SECS_ENV: &str = "RECONCILIATION_INTERVAL_SECS";
/// Every 15 minutes: PayPal's reporting balance lags by more than that, so
/// asking more often mostly finds the same snapshot.
pub const RECONCILIATION_INTERVAL_SECS_DEFAULT: u64 = 900;
/// At most once a second (tests run it that often).
pub const RECONCILIATION_INTERVAL_SECS_MIN: u64 = 1;
/// At least once a day.
pub const RECONCILIATION_INTERVAL_SECS_MAX: u64 = 86_400;

/// The interval from the environment, or the default; a value that is not
/// a whole number within the limits is a start-up error.
pub fn interval_from_environment() -> anyhow::Result<Duration> {
    let value = std::env::var(RECONCILIATION_INTERVAL_SECS_ENV).ok();
    parse_interval(value.as_deref())
}

pub(super) fn parse_interval(value: Option<&str>) -> anyhow::Result<Duration> {
    let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
        return Ok(Duration::from_secs(RECONCILIATION_INTERVAL_SECS_DEFAULT));
    };
    match value.parse::<u64>() {
        Ok(seconds)
            if (RECONCILIATION_INTERVAL_SECS_MIN..=RECONCILIATION_INTERVAL_SECS_MAX)
                .contains(&seconds) =>
        {
            Ok(Duration::from_secs(seconds))
        }
        _ => bail!(
            "{RECONCILIATION_INTERVAL_SECS_ENV} is a whole number of seconds from \
             {RECONCILIATION_INTERVAL_SECS_MIN} to {RECONCILIATION_INTERVAL_SECS_MAX}, got {value:?}"
        ),
    }
}
