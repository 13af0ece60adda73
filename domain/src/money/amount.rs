//! `Money`: an exact decimal amount in one currency.

use std::cmp::Ordering;
use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use super::currency::{Currency, UnknownCurrency};

/// Why a money value or a money calculation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Arithmetic or comparison across currencies; we never convert silently.
    #[error("currency mismatch: {left} and {right}")]
    CurrencyMismatch {
        /// Currency of the left operand.
        left: Currency,
        /// Currency of the right operand.
        right: Currency,
    },
    /// The amount has more decimal places than the currency's minor unit.
    #[error("{amount} has more decimal places than {currency} allows ({places})")]
    TooManyDecimalPlaces {
        /// The amount as given.
        amount: Decimal,
        /// Its currency.
        currency: Currency,
        /// The currency's minor units.
        places: u32,
    },
    /// The amount is outside the range the ledger accepts.
    #[error("amount {0} is outside the accepted range (absolute value below 10^15)")]
    OutOfRange(Decimal),
    /// The amount text is not a decimal number.
    #[error("{0:?} is not a decimal amount")]
    NotADecimal(String),
    /// The currency code is unknown.
    #[error(transparent)]
    UnknownCurrency(#[from] UnknownCurrency),
}

/// An exact amount of one currency, always at the currency's minor-unit scale.
///
/// Construction checks the decimal places against the currency (12.345 USD is
/// refused, 12.3 USD becomes 12.30), so every `Money` in the system is valid.
/// There is deliberately no conversion from floating point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Largest absolute amount accepted: far above any real order, far below
    /// the point where sums of many amounts could overflow a `Decimal`.
    pub const MAX_ABS: Decimal = Decimal::from_parts(0xA4C6_8000, 0x0003_8D7E, 0, false, 0);

    /// Builds money, refusing amounts finer than the currency's minor unit.
    pub fn new(amount: Decimal, currency: Currency) -> Result<Money, MoneyError> {
        let places = currency.minor_units();
        if amount.abs() >= Money::MAX_ABS {
            return Err(MoneyError::OutOfRange(amount));
        }
        if amount.normalize().scale() > places {
            return Err(MoneyError::TooManyDecimalPlaces {
                amount,
                currency,
                places,
            });
        }
        let mut amount = amount.normalize();
        amount.rescale(places);
        Ok(Money { amount, currency })
    }

    /// Parses an amount written as a decimal string, e.g. `"12.34"`.
    pub fn parse(amount: &str, currency: &str) -> Result<Money, MoneyError> {
        let currency = Currency::parse(currency)?;
        let decimal: Decimal = amount
            .trim()
            .parse()
            .map_err(|_| MoneyError::NotADecimal(amount.to_owned()))?;
        Money::new(decimal, currency)
    }

    /// Builds money from a count of minor units (cents for USD).
    pub fn from_minor_units(minor_units: i64, currency: Currency) -> Result<Money, MoneyError> {
        Money::new(Decimal::new(minor_units, currency.minor_units()), currency)
    }

    /// Zero in the given currency.
    pub fn zero(currency: Currency) -> Money {
        let mut amount = Decimal::ZERO;
        amount.rescale(currency.minor_units());
        Money { amount, currency }
    }

    /// The decimal amount, at the currency's minor-unit scale.
    pub fn amount(&self) -> Decimal {
        self.amount
    }

    /// The currency.
    pub fn currency(&self) -> Currency {
        self.currency
    }

    /// True for exactly zero.
    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    /// True for amounts above zero.
    pub fn is_positive(&self) -> bool {
        self.amount > Decimal::ZERO
    }

    /// True for amounts below zero.
    pub fn is_negative(&self) -> bool {
        self.amount < Decimal::ZERO
    }

    fn same_currency(&self, other: &Money) -> Result<(), MoneyError> {
        if self.currency == other.currency {
            Ok(())
        } else {
            Err(MoneyError::CurrencyMismatch {
                left: self.currency,
                right: other.currency,
            })
        }
    }

    /// `self + other`, refusing mixed currencies and out-of-range results.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let sum = self
            .amount
            .checked_add(other.amount)
            .ok_or(MoneyError::OutOfRange(self.amount))?;
        Money::new(sum, self.currency)
    }

    /// `self - other`, refusing mixed currencies and out-of-range results.
    pub fn checked_sub(self, other: Money) -> Result<Money, MoneyError> {
        self.same_currency(&other)?;
        let difference = self
            .amount
            .checked_sub(other.amount)
            .ok_or(MoneyError::OutOfRange(self.amount))?;
        Money::new(difference, self.currency)
    }

    /// `self × quantity`, for unit prices times a quantity.
    pub fn checked_mul(self, quantity: u32) -> Result<Money, MoneyError> {
        let product = self
            .amount
            .checked_mul(Decimal::from(quantity))
            .ok_or(MoneyError::OutOfRange(self.amount))?;
        Money::new(product, self.currency)
    }

    /// The same amount with the opposite sign.
    pub fn negated(self) -> Money {
        Money {
            amount: -self.amount,
            currency: self.currency,
        }
    }

    /// Compares two amounts of the same currency.
    pub fn checked_cmp(&self, other: &Money) -> Result<Ordering, MoneyError> {
        self.same_currency(other)?;
        Ok(self.amount.cmp(&other.amount))
    }

    /// Money from a sum of valid amounts of one currency, which can only have
    /// the currency's scale; used where state keeps running decimal totals.
    pub(crate) fn from_total(amount: Decimal, currency: Currency) -> Money {
        let mut amount = amount;
        amount.rescale(currency.minor_units());
        Money { amount, currency }
    }

    /// Rounds an exact decimal to this currency's minor unit, half to even
    /// (banker's rounding), the rule used for every derived amount.
    pub(crate) fn round_half_even(
        amount: Decimal,
        currency: Currency,
    ) -> Result<Money, MoneyError> {
        let rounded = amount.round_dp_with_strategy(
            currency.minor_units(),
            RoundingStrategy::MidpointNearestEven,
        );
        Money::new(rounded, currency)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

/// The wire shape: `{"amount":"12.34","currency":"USD"}`, amount as a string
/// so that no JSON reader ever turns it into a float.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct MoneyWire {
    amount: String,
    currency: String,
}

impl Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyWire {
            amount: self.amount.to_string(),
            currency: self.currency.code().to_owned(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let wire = MoneyWire::deserialize(deserializer)?;
        Money::parse(&wire.amount, &wire.currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn usd(amount: &str) -> Money {
        Money::parse(amount, "USD").unwrap()
    }

    #[test]
    fn money_is_kept_at_the_currency_minor_unit_scale() {
        assert_eq!(usd("12.3").to_string(), "12.30 USD");
        assert_eq!(usd("12").amount().to_string(), "12.00");
        assert_eq!(
            Money::parse("1200", "JPY").unwrap().amount().to_string(),
            "1200"
        );
        assert_eq!(usd("12.300").amount(), dec!(12.30));
    }

    #[test]
    fn amounts_finer_than_the_minor_unit_are_refused() {
        assert_eq!(
            Money::new(dec!(12.345), Currency::Usd),
            Err(MoneyError::TooManyDecimalPlaces {
                amount: dec!(12.345),
                currency: Currency::Usd,
                places: 2
            })
        );
        assert!(Money::parse("1.5", "JPY").is_err());
        assert!(Money::parse("1.505", "BHD").is_ok());
    }

    #[test]
    fn text_that_is_not_a_number_is_refused() {
        assert_eq!(
            Money::parse("12,34", "USD"),
            Err(MoneyError::NotADecimal("12,34".into()))
        );
        assert!(matches!(
            Money::parse("1", "usd"),
            Err(MoneyError::UnknownCurrency(_))
        ));
    }

    #[test]
    fn absurdly_large_amounts_are_refused() {
        assert!(matches!(
            Money::new(Money::MAX_ABS, Currency::Usd),
            Err(MoneyError::OutOfRange(_))
        ));
        assert!(Money::new(Money::MAX_ABS - dec!(1), Currency::Usd).is_ok());
        assert_eq!(Money::MAX_ABS, dec!(1_000_000_000_000_000));
    }

    #[test]
    fn arithmetic_across_currencies_is_a_typed_error() {
        let euros = Money::parse("1", "EUR").unwrap();
        let mismatch = MoneyError::CurrencyMismatch {
            left: Currency::Usd,
            right: Currency::Eur,
        };
        assert_eq!(usd("1").checked_add(euros), Err(mismatch.clone()));
        assert_eq!(usd("1").checked_sub(euros), Err(mismatch.clone()));
        assert_eq!(usd("1").checked_cmp(&euros), Err(mismatch));
    }

    #[test]
    fn arithmetic_in_one_currency_is_exact() {
        assert_eq!(usd("0.10").checked_add(usd("0.20")), Ok(usd("0.30")));
        assert_eq!(usd("1.00").checked_sub(usd("1.01")), Ok(usd("-0.01")));
        assert_eq!(usd("19.99").checked_mul(3), Ok(usd("59.97")));
        assert_eq!(usd("5").negated(), usd("-5"));
        assert_eq!(usd("2").checked_cmp(&usd("10")), Ok(Ordering::Less));
    }

    #[test]
    fn rounding_is_half_to_even() {
        let round = |d| Money::round_half_even(d, Currency::Usd).unwrap();
        assert_eq!(round(dec!(0.125)), usd("0.12"));
        assert_eq!(round(dec!(0.135)), usd("0.14"));
        assert_eq!(round(dec!(0.1251)), usd("0.13"));
    }

    #[test]
    fn money_serialises_with_the_amount_as_a_decimal_string() {
        let json = serde_json::to_string(&usd("12.3")).unwrap();
        assert_eq!(json, r#"{"amount":"12.30","currency":"USD"}"#);
        let back: Money = serde_json::from_str(&json).unwrap();
        assert_eq!(back, usd("12.30"));
    }

    #[test]
    fn invalid_money_json_is_refused() {
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1.001","currency":"USD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":1.5,"currency":"USD"}"#).is_err());
        assert!(serde_json::from_str::<Money>(r#"{"amount":"1","currency":"XYZ"}"#).is_err());
    }
}
