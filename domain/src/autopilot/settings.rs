//! The autopilot's configuration values, each valid once it exists.

use std::fmt;
use std::str::FromStr;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::AutopilotError;
use crate::ids::UserId;
use crate::money::{Money, MoneyError, Percentage};

/// Shortest interval between scheduled cycles: every cycle asks the supplier
/// for each candidate's price, so a tighter loop only burns their rate limit.
pub const INTERVAL_SECONDS_MIN: u32 = 5;
/// Longest interval between scheduled cycles: one week.
pub const INTERVAL_SECONDS_MAX: u32 = 7 * 24 * 60 * 60;
/// Most listings one cycle may create.
pub const LISTINGS_PER_CYCLE_MAX: u32 = 50;
/// Largest markup accepted, in percent of the landed cost (ten times the cost).
pub const MARKUP_PERCENT_MAX: Decimal = Decimal::from_parts(1000, 0, 0, false, 0);

/// A markup on the landed cost, in percent: above 0, at most
/// [`MARKUP_PERCENT_MAX`], at most two decimal places. Unlike a
/// [`Percentage`] it may exceed 100 (a price three times the cost is a 200 % markup).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Markup(Decimal);

impl Markup {
    /// Decimal places a markup may carry.
    pub const PLACES_MAX: u32 = 2;

    /// Builds a markup of `percent` %.
    pub fn new(percent: Decimal) -> Result<Markup, AutopilotError> {
        let percent = percent.normalize();
        if percent <= Decimal::ZERO
            || percent > MARKUP_PERCENT_MAX
            || percent.scale() > Markup::PLACES_MAX
        {
            return Err(AutopilotError::InvalidMarkup(percent));
        }
        Ok(Markup(percent))
    }

    /// The markup in percent.
    pub fn percent(&self) -> Decimal {
        self.0
    }
}

impl TryFrom<String> for Markup {
    type Error = AutopilotError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let percent = text
            .trim()
            .parse()
            .map_err(|_| AutopilotError::InvalidMarkup(Decimal::ZERO))?;
        Markup::new(percent)
    }
}

impl From<Markup> for String {
    fn from(markup: Markup) -> String {
        markup.0.to_string()
    }
}

/// How a marked-up price is rounded; always up, so that rounding never eats
/// into the margin the markup promised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PriceRounding {
    /// Up to the currency's minor unit (12.3401 → 12.35).
    UpToMinorUnit,
    /// Up to the next price ending in .99 (12.34 → 12.99, 12.99 → 12.99);
    /// for currencies without minor units, up to the whole unit.
    EndingIn99,
}

/// The price of a listing: landed cost × (1 + markup), rounded up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MarkupRule {
    /// The markup on the landed cost (supplier price plus shipping).
    pub markup: Markup,
    /// How the result is rounded.
    pub rounding: PriceRounding,
}

impl MarkupRule {
    /// The price for `landed_cost`, never below landed cost × (1 + markup).
    pub fn price(&self, landed_cost: Money) -> Result<Money, MoneyError> {
        let currency = landed_cost.currency();
        let factor = Decimal::ONE_HUNDRED + self.markup.percent();
        let exact = landed_cost
            .amount()
            .checked_mul(factor)
            .and_then(|scaled| scaled.checked_div(Decimal::ONE_HUNDRED))
            .ok_or(MoneyError::OutOfRange(landed_cost.amount()))?;
        let places = currency.minor_units();
        let up = exact.round_dp_with_strategy(places, RoundingStrategy::ToPositiveInfinity);
        let rounded = match self.rounding {
            PriceRounding::EndingIn99 if places > 0 => {
                // The smallest x.99 at or above the exact price.
                let cent = Decimal::new(1, 2);
                let candidate = (exact + cent).ceil() - cent;
                if candidate >= exact {
                    candidate
                } else {
                    candidate + Decimal::ONE
                }
            }
            _ => up,
        };
        Money::new(rounded, currency)
    }
}

/// What the autopilot is set to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawSettings", into = "RawSettings")]
pub struct AutopilotSettings {
    enabled: bool,
    interval_seconds: u32,
    margin_threshold: Percentage,
    markup: MarkupRule,
    listings_per_cycle_max: u32,
    seller: Option<UserId>,
}

/// The stored shape of [`AutopilotSettings`], checked again when read back.
#[derive(Serialize, Deserialize)]
struct RawSettings {
    enabled: bool,
    interval_seconds: u32,
    margin_threshold: Percentage,
    markup: MarkupRule,
    listings_per_cycle_max: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    seller: Option<UserId>,
}

impl TryFrom<RawSettings> for AutopilotSettings {
    type Error = AutopilotError;

    fn try_from(raw: RawSettings) -> Result<Self, Self::Error> {
        AutopilotSettings::new(
            raw.enabled,
            raw.interval_seconds,
            raw.margin_threshold,
            raw.markup,
            raw.listings_per_cycle_max,
            raw.seller,
        )
    }
}

impl From<AutopilotSettings> for RawSettings {
    fn from(settings: AutopilotSettings) -> Self {
        RawSettings {
            enabled: settings.enabled,
            interval_seconds: settings.interval_seconds,
            margin_threshold: settings.margin_threshold,
            markup: settings.markup,
            listings_per_cycle_max: settings.listings_per_cycle_max,
            seller: settings.seller,
        }
    }
}

impl AutopilotSettings {
    /// Checks every bound: the interval within
    /// [`INTERVAL_SECONDS_MIN`]..=[`INTERVAL_SECONDS_MAX`], 1 to
    /// [`LISTINGS_PER_CYCLE_MAX`] listings per cycle. `seller` `None` means
    /// the default seller (the first user with a payout e-mail), resolved
    /// when each cycle starts.
    pub fn new(
        enabled: bool,
        interval_seconds: u32,
        margin_threshold: Percentage,
        markup: MarkupRule,
        listings_per_cycle_max: u32,
        seller: Option<UserId>,
    ) -> Result<AutopilotSettings, AutopilotError> {
        if !(INTERVAL_SECONDS_MIN..=INTERVAL_SECONDS_MAX).contains(&interval_seconds) {
            return Err(AutopilotError::InvalidInterval(interval_seconds));
        }
        if !(1..=LISTINGS_PER_CYCLE_MAX).contains(&listings_per_cycle_max) {
            return Err(AutopilotError::InvalidListingLimit(listings_per_cycle_max));
        }
        Ok(AutopilotSettings {
            enabled,
            interval_seconds,
            margin_threshold,
            markup,
            listings_per_cycle_max,
            seller,
        })
    }

    /// Whether the schedule runs cycles.
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Seconds between the starts of scheduled cycles.
    pub fn interval_seconds(&self) -> u32 {
        self.interval_seconds
    }

    /// The least expected margin, as a share of the price, of a listing.
    pub fn margin_threshold(&self) -> Percentage {
        self.margin_threshold
    }

    /// How listings are priced.
    pub fn markup(&self) -> MarkupRule {
        self.markup
    }

    /// Most listings one cycle creates.
    pub fn listings_per_cycle_max(&self) -> u32 {
        self.listings_per_cycle_max
    }

    /// The seller listings are created for; `None`: the default seller.
    pub fn seller(&self) -> Option<UserId> {
        self.seller
    }
}

/// Identifies one autopilot cycle; the ids of everything a cycle creates
/// derive from it, so a retried cycle creates nothing twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CycleId(Uuid);

impl CycleId {
    /// Wraps a UUID chosen by the caller.
    pub const fn from_uuid(uuid: Uuid) -> Self {
        Self(uuid)
    }

    /// The underlying UUID.
    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl fmt::Display for CycleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for CycleId {
    type Err = uuid::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(text).map(Self)
    }
}

/// Who or what started a cycle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CycleTrigger {
    /// The schedule, because the interval had passed.
    Schedule,
    /// A person (`runAutopilotCycle`).
    Manual {
        /// The user who asked.
        user: UserId,
    },
    /// A scheduler outside, through the internal HTTP trigger.
    External,
}
