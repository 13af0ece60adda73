//! Percentages, such as the platform commission.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::amount::{Money, MoneyError};

/// A percentage between 0 and 100 inclusive, with at most four decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Percentage(Decimal);

/// Why a percentage was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PercentageError {
    /// Outside 0–100.
    #[error("percentage {0} is outside 0–100")]
    OutOfRange(Decimal),
    /// More than four decimal places.
    #[error("percentage {0} has more than four decimal places")]
    TooPrecise(Decimal),
    /// Not a number.
    #[error("{0:?} is not a decimal percentage")]
    NotADecimal(String),
}

impl Percentage {
    /// Decimal places a percentage may carry (12.3456 %).
    pub const PLACES_MAX: u32 = 4;

    /// Builds a percentage, refusing values outside 0–100.
    pub fn new(value: Decimal) -> Result<Percentage, PercentageError> {
        if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
            return Err(PercentageError::OutOfRange(value));
        }
        let value = value.normalize();
        if value.scale() > Percentage::PLACES_MAX {
            return Err(PercentageError::TooPrecise(value));
        }
        Ok(Percentage(value))
    }

    /// Parses a percentage written as a decimal, e.g. `"12.5"`.
    pub fn parse(text: &str) -> Result<Percentage, PercentageError> {
        let value: Decimal = text
            .trim()
            .parse()
            .map_err(|_| PercentageError::NotADecimal(text.to_owned()))?;
        Percentage::new(value)
    }

    /// The value, e.g. `12.5` for 12.5 %.
    pub fn value(&self) -> Decimal {
        self.0
    }

    /// This percentage of `money`, rounded half to even to the minor unit.
    pub fn of(&self, money: Money) -> Result<Money, MoneyError> {
        let exact = money
            .amount()
            .checked_mul(self.0)
            .and_then(|scaled| scaled.checked_div(Decimal::ONE_HUNDRED))
            .ok_or(MoneyError::OutOfRange(money.amount()))?;
        Money::round_half_even(exact, money.currency())
    }
}

impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}%", self.0)
    }
}

impl TryFrom<String> for Percentage {
    type Error = PercentageError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        Percentage::parse(&text)
    }
}

impl From<Percentage> for String {
    fn from(percentage: Percentage) -> String {
        percentage.0.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn percentages_outside_zero_to_one_hundred_are_refused() {
        assert_eq!(
            Percentage::new(dec!(-1)),
            Err(PercentageError::OutOfRange(dec!(-1)))
        );
        assert_eq!(
            Percentage::new(dec!(100.01)),
            Err(PercentageError::OutOfRange(dec!(100.01)))
        );
        assert!(Percentage::new(dec!(0)).is_ok());
        assert!(Percentage::new(dec!(100)).is_ok());
    }

    #[test]
    fn overly_precise_or_non_numeric_percentages_are_refused() {
        assert!(matches!(
            Percentage::parse("1.23456"),
            Err(PercentageError::TooPrecise(_))
        ));
        assert!(matches!(
            Percentage::parse("ten"),
            Err(PercentageError::NotADecimal(_))
        ));
    }

    #[test]
    fn a_percentage_of_money_is_rounded_half_to_even_to_the_cent() {
        let pct = Percentage::parse("10").unwrap();
        let money = |s| Money::parse(s, "USD").unwrap();
        assert_eq!(pct.of(money("1.25")), Ok(money("0.12")));
        assert_eq!(pct.of(money("1.35")), Ok(money("0.14")));
        assert_eq!(pct.of(money("100")), Ok(money("10")));
    }

    #[test]
    fn percentage_serialises_as_a_decimal_string() {
        let pct = Percentage::parse("12.50").unwrap();
        assert_eq!(serde_json::to_string(&pct).unwrap(), "\"12.5\"");
        assert!(serde_json::from_str::<Percentage>("\"101\"").is_err());
    }
}
