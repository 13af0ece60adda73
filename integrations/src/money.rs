//! Money as the providers put it on the wire: a decimal amount and an ISO
//! currency code, never a float.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// An amount of money in one currency, as exchanged with a provider.
///
/// This is the edge type of the integrations crate; the domain has its own
/// `Money` and converts at the boundary. The value is a `Decimal` and is
/// written on the wire as a string with the currency's decimal places
/// ("12.34"), as PayPal sends it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// ISO 4217 currency code, upper case ("USD").
    pub currency: String,
    /// The amount, exact.
    pub value: Decimal,
}

impl Money {
    /// An amount in `currency` (upper-cased).
    pub fn new(currency: impl Into<String>, value: Decimal) -> Self {
        Self {
            currency: currency.into().to_ascii_uppercase(),
            value,
        }
    }

    /// The amount as a wire string with the currency's decimal places,
    /// e.g. "12.30" for USD and "1200" for JPY (PayPal rejects other scales).
    pub fn wire_value(&self) -> String {
        let places = currency_decimal_places(&self.currency);
        let rounded = self
            .value
            .round_dp_with_strategy(places, rust_decimal::RoundingStrategy::MidpointNearestEven);
        format!("{:.*}", places as usize, rounded)
    }

    /// Parses a wire amount ("12.34") in `currency`.
    pub fn parse(currency: &str, value: &str) -> Result<Self, MoneyParseError> {
        let parsed = value
            .trim()
            .parse::<Decimal>()
            .map_err(|_| MoneyParseError(value.to_owned()))?;
        Ok(Self::new(currency, parsed))
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.wire_value(), self.currency)
    }
}

/// A provider sent an amount that is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a decimal amount: {0:?}")]
pub struct MoneyParseError(pub String);

/// Decimal places PayPal accepts for a currency: zero for the currencies it
/// documents as having no minor unit, two otherwise.
pub(crate) fn currency_decimal_places(currency: &str) -> u32 {
    match currency {
        "JPY" | "HUF" | "TWD" => 0,
        _ => 2,
    }
}

/// The PayPal wire shape `{currency_code, value}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct WireAmount {
    pub currency_code: String,
    pub value: String,
}

impl From<&Money> for WireAmount {
    fn from(money: &Money) -> Self {
        Self {
            currency_code: money.currency.clone(),
            value: money.wire_value(),
        }
    }
}

impl TryFrom<&WireAmount> for Money {
    type Error = MoneyParseError;
    fn try_from(wire: &WireAmount) -> Result<Self, Self::Error> {
        Money::parse(&wire.currency_code, &wire.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn wire_values_carry_the_currency_decimal_places() {
        assert_eq!(Money::new("usd", dec!(12.3)).wire_value(), "12.30");
        assert_eq!(Money::new("JPY", dec!(1200)).wire_value(), "1200");
        assert_eq!(Money::new("EUR", dec!(0.125)).wire_value(), "0.12");
    }

    #[test]
    fn a_wire_amount_that_is_not_a_number_is_refused() {
        assert!(Money::parse("USD", "12,34").is_err());
        assert_eq!(Money::parse("USD", "12.34").unwrap().value, dec!(12.34));
    }
}
