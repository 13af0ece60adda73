//! Money on the providers' wires. The crate speaks the domain's [`Money`]
//! and [`Currency`]; only the wire shapes live here, privately: PayPal's
//! `{"currency_code", "value"}` (orders, captures, refunds, balances) and
//! `{"currency", "value"}` (payouts), with the value a decimal string at
//! the currency's decimal places.
//!
//! An amount we send is always representable: domain money is kept at its
//! currency's scale, so its decimal text is the wire value ("12.30" USD,
//! "1200" JPY, "1.505" BHD). An amount a provider sends is parsed into
//! domain money or refused with [`UnrepresentableAmount`]; it is never
//! rounded.

use dropledger_domain::{Money, MoneyError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A provider sent an amount the ledger cannot hold: an unknown currency,
/// more decimal places than the currency has, text that is not a decimal,
/// or an absurd size. Refused, never rounded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} {currency:?} is not an amount the ledger can hold: {reason}")]
pub struct UnrepresentableAmount {
    /// The currency code as the provider wrote it.
    pub currency: String,
    /// The amount as the provider wrote it.
    pub value: String,
    /// Why the domain refused it.
    pub reason: MoneyError,
}

/// Parses a provider's amount text in a provider's currency code.
pub(crate) fn parse_amount(currency: &str, value: &str) -> Result<Money, UnrepresentableAmount> {
    Money::parse(value, currency).map_err(|reason| UnrepresentableAmount {
        currency: currency.to_owned(),
        value: value.to_owned(),
        reason,
    })
}

/// The wire value of an amount we send: its decimal text, which domain
/// money keeps at the currency's decimal places.
pub(crate) fn wire_value(money: Money) -> String {
    money.amount().to_string()
}

/// A provider's `{currency, value}` pair under whatever names its wire
/// uses; the behaviour is the same for every shape.
pub(crate) trait WireAmount: Serialize + DeserializeOwned {
    /// The shape holding `currency` and `value`.
    fn from_parts(currency: String, value: String) -> Self;

    /// The currency code and the value text, as written.
    fn parts(&self) -> (&str, &str);

    /// As domain money, refused when not representable.
    fn to_money(&self) -> Result<Money, UnrepresentableAmount> {
        let (currency, value) = self.parts();
        parse_amount(currency, value)
    }

    /// As JSON, for building a request or an answer.
    fn json(money: Money) -> Value {
        let wire = Self::from_parts(money.currency().code().to_owned(), wire_value(money));
        serde_json::to_value(wire).expect("two strings serialise")
    }
}

/// The amount of shape `A` at `value`: `None` when there is none (absent,
/// or not of this shape), refused when the ledger cannot hold it.
pub(crate) fn read_amount<A: WireAmount>(
    value: Option<&Value>,
) -> Option<Result<Money, UnrepresentableAmount>> {
    let amount = A::deserialize(value?).ok()?;
    Some(amount.to_money())
}

/// PayPal's amount shape for orders, captures, refunds and balances.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PayPalAmount {
    currency_code: String,
    value: String,
}

impl WireAmount for PayPalAmount {
    fn from_parts(currency_code: String, value: String) -> Self {
        Self {
            currency_code,
            value,
        }
    }

    fn parts(&self) -> (&str, &str) {
        (&self.currency_code, &self.value)
    }
}

/// PayPal Payouts' amount shape: `currency` instead of `currency_code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PayoutAmount {
    currency: String,
    value: String,
}

impl WireAmount for PayoutAmount {
    fn from_parts(currency: String, value: String) -> Self {
        Self { currency, value }
    }

    fn parts(&self) -> (&str, &str) {
        (&self.currency, &self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dropledger_domain::Currency;
    use serde_json::json;

    #[test]
    fn wire_values_carry_the_currency_decimal_places() {
        let money = |value: &str, currency: &str| Money::parse(value, currency).unwrap();
        assert_eq!(wire_value(money("12.3", "USD")), "12.30");
        assert_eq!(wire_value(money("1200", "JPY")), "1200");
        assert_eq!(wire_value(money("1.5", "BHD")), "1.500");
        assert_eq!(
            PayPalAmount::json(money("1.505", "BHD")),
            json!({"currency_code": "BHD", "value": "1.505"})
        );
        assert_eq!(
            PayoutAmount::json(money("9.87", "EUR")),
            json!({"currency": "EUR", "value": "9.87"})
        );
    }

    #[test]
    fn an_amount_finer_than_its_currency_is_refused_not_rounded() {
        let refused = parse_amount("USD", "1.005").unwrap_err();
        assert_eq!(refused.value, "1.005");
        assert!(matches!(
            refused.reason,
            MoneyError::TooManyDecimalPlaces {
                currency: Currency::Usd,
                places: 2,
                ..
            }
        ));
        assert!(parse_amount("JPY", "1.5").is_err());
        assert_eq!(
            parse_amount("BHD", "1.505").unwrap().to_string(),
            "1.505 BHD"
        );
    }

    #[test]
    fn an_unknown_currency_or_a_non_number_is_refused() {
        assert!(matches!(
            parse_amount("XYZ", "1.00").unwrap_err().reason,
            MoneyError::UnknownCurrency(_)
        ));
        assert!(matches!(
            parse_amount("USD", "12,34").unwrap_err().reason,
            MoneyError::NotADecimal(_)
        ));
    }

    #[test]
    fn a_wire_amount_reads_back_exactly() {
        let wire = json!({"currency_code": "BHD", "value": "1.505"});
        let money = read_amount::<PayPalAmount>(Some(&wire)).unwrap().unwrap();
        assert_eq!(PayPalAmount::json(money), wire);
        assert!(read_amount::<PayPalAmount>(Some(&json!({"value": "1.00"}))).is_none());
        let order_shape = json!({"currency_code": "USD", "value": "1.00"});
        assert!(read_amount::<PayoutAmount>(Some(&order_shape)).is_none());
        assert!(read_amount::<PayPalAmount>(None).is_none());
    }
}
