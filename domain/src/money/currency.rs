//! ISO 4217 currencies the platform can hold, with their minor units.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A currency the ledger knows, by its ISO 4217 code.
///
/// Only currencies whose minor units we know are representable: an amount is
/// meaningless without knowing how many decimal places the currency has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Currency {
    /// United States dollar.
    Usd,
    /// Euro.
    Eur,
    /// Pound sterling.
    Gbp,
    /// Japanese yen (no minor unit).
    Jpy,
    /// Canadian dollar.
    Cad,
    /// Australian dollar.
    Aud,
    /// Swiss franc.
    Chf,
    /// Chinese yuan renminbi.
    Cny,
    /// Swedish krona.
    Sek,
    /// Mexican peso.
    Mxn,
    /// Brazilian real.
    Brl,
    /// South Korean won (no minor unit).
    Krw,
    /// Bahraini dinar (three minor digits).
    Bhd,
}

/// The code given to [`Currency::parse`] is not a currency we know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown currency code {0:?}: expected an ISO 4217 code such as USD")]
pub struct UnknownCurrency(pub String);

impl Currency {
    /// Every currency the ledger knows, in code order.
    pub const ALL: [Currency; 13] = [
        Currency::Aud,
        Currency::Bhd,
        Currency::Brl,
        Currency::Cad,
        Currency::Chf,
        Currency::Cny,
        Currency::Eur,
        Currency::Gbp,
        Currency::Jpy,
        Currency::Krw,
        Currency::Mxn,
        Currency::Sek,
        Currency::Usd,
    ];

    /// Parses an ISO 4217 code; exact upper-case, as PayPal and ISO write it.
    pub fn parse(code: &str) -> Result<Currency, UnknownCurrency> {
        Currency::ALL
            .into_iter()
            .find(|currency| currency.code() == code)
            .ok_or_else(|| UnknownCurrency(code.to_owned()))
    }

    /// The three-letter ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::Usd => "USD",
            Currency::Eur => "EUR",
            Currency::Gbp => "GBP",
            Currency::Jpy => "JPY",
            Currency::Cad => "CAD",
            Currency::Aud => "AUD",
            Currency::Chf => "CHF",
            Currency::Cny => "CNY",
            Currency::Sek => "SEK",
            Currency::Mxn => "MXN",
            Currency::Brl => "BRL",
            Currency::Krw => "KRW",
            Currency::Bhd => "BHD",
        }
    }

    /// Number of decimal places of the currency's minor unit (ISO 4217 "E").
    pub fn minor_units(self) -> u32 {
        match self {
            Currency::Jpy | Currency::Krw => 0,
            Currency::Bhd => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = UnknownCurrency;

    fn from_str(code: &str) -> Result<Self, Self::Err> {
        Currency::parse(code)
    }
}

impl TryFrom<String> for Currency {
    type Error = UnknownCurrency;

    fn try_from(code: String) -> Result<Self, Self::Error> {
        Currency::parse(&code)
    }
}

impl From<Currency> for String {
    fn from(currency: Currency) -> String {
        currency.code().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_code_parses_back_to_its_currency() {
        for currency in Currency::ALL {
            assert_eq!(Currency::parse(currency.code()), Ok(currency));
        }
    }

    #[test]
    fn unknown_or_lower_case_codes_are_rejected() {
        assert_eq!(Currency::parse("usd"), Err(UnknownCurrency("usd".into())));
        assert_eq!(Currency::parse("XXX"), Err(UnknownCurrency("XXX".into())));
        assert!(Currency::parse("").is_err());
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(Currency::Usd.minor_units(), 2);
        assert_eq!(Currency::Jpy.minor_units(), 0);
        assert_eq!(Currency::Bhd.minor_units(), 3);
    }

    #[test]
    fn currency_serialises_as_its_code() {
        assert_eq!(serde_json::to_string(&Currency::Eur).unwrap(), "\"EUR\"");
        let parsed: Currency = serde_json::from_str("\"GBP\"").unwrap();
        assert_eq!(parsed, Currency::Gbp);
        assert!(serde_json::from_str::<Currency>("\"ABC\"").is_err());
    }
}
