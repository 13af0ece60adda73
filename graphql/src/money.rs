//! `Decimal` (a string scalar), `Money` and `MoneyInput` at the edge.

use async_graphql::{
    InputObject, InputValueError, InputValueResult, Scalar, ScalarType, SimpleObject, Value,
};
use dropledger_domain::{Currency, Money as DomainMoney};
use rust_decimal::Decimal as RustDecimal;

use crate::errors::UserError;

/// Longest decimal text accepted, in characters.
const DECIMAL_CHARS_MAX: usize = 40;

/// An exact decimal number, serialised as a string such as `"12.34"`.
///
/// A string that is not a number still parses as a `Decimal` input, so that
/// the mutation can answer with an `INVALID_INPUT` naming the field (and
/// change nothing) instead of refusing the whole request; floats and
/// overlong strings are refused as malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal(Result<RustDecimal, String>);

impl Decimal {
    /// A valid number.
    pub fn new(value: RustDecimal) -> Self {
        Self(Ok(value))
    }

    /// The number, or an `INVALID_INPUT` naming `field`.
    pub(crate) fn value(&self, field: &str) -> Result<RustDecimal, UserError> {
        self.0
            .clone()
            .map_err(|text| UserError::invalid(field, format!("{text:?} is not a decimal number")))
    }
}

#[Scalar(name = "Decimal")]
impl ScalarType for Decimal {
    fn parse(value: Value) -> InputValueResult<Self> {
        match &value {
            Value::String(text) if text.chars().count() <= DECIMAL_CHARS_MAX => Ok(Decimal(
                text.trim().parse::<RustDecimal>().map_err(|_| text.clone()),
            )),
            Value::String(_) => Err(InputValueError::custom("the decimal is too long")),
            _ => Err(InputValueError::custom(
                "a Decimal is a string such as \"12.34\", never a float",
            )),
        }
    }

    fn to_value(&self) -> Value {
        match &self.0 {
            Ok(value) => Value::String(value.to_string()),
            Err(text) => Value::String(text.clone()),
        }
    }
}

/// An amount in a currency.
#[derive(Debug, Clone, SimpleObject)]
pub struct Money {
    /// The amount, exact.
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
}

impl From<DomainMoney> for Money {
    fn from(money: DomainMoney) -> Self {
        Self {
            amount: Decimal::new(money.amount()),
            currency: money.currency().code().to_owned(),
        }
    }
}

/// An amount in a currency, as given by a client.
#[derive(Debug, Clone, InputObject)]
pub struct MoneyInput {
    /// The amount, e.g. `"12.34"`.
    pub amount: Decimal,
    /// ISO 4217 code, e.g. `USD`.
    pub currency: String,
}

impl MoneyInput {
    /// Domain money, or an `INVALID_INPUT` naming `field.currency` or
    /// `field.amount`.
    pub(crate) fn parse(&self, field: &str) -> Result<DomainMoney, UserError> {
        let currency = Currency::parse(&self.currency)
            .map_err(|error| UserError::invalid(&format!("{field}.currency"), error))?;
        let amount = self.amount.value(&format!("{field}.amount"))?;
        DomainMoney::new(amount, currency)
            .map_err(|error| UserError::invalid(&format!("{field}.amount"), error))
    }

    /// Like [`MoneyInput::parse`], and the amount must be above zero.
    pub(crate) fn parse_positive(&self, field: &str) -> Result<DomainMoney, UserError> {
        let money = self.parse(field)?;
        if !money.is_positive() {
            return Err(UserError::invalid(
                &format!("{field}.amount"),
                "must be above zero",
            ));
        }
        Ok(money)
    }
}
