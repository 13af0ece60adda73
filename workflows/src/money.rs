//! Money between the providers' wire amounts and the domain's `Money`.

use dropledger_domain::{Currency, Money};

/// A provider's amount as domain money; refuses unknown currencies and
/// amounts finer than the currency's minor unit (never rounds).
pub(crate) fn domain_money(amount: &dropledger_integrations::Money) -> Result<Money, String> {
    let currency = Currency::parse(&amount.currency).map_err(|error| error.to_string())?;
    Money::new(amount.value, currency).map_err(|error| error.to_string())
}

/// Domain money as a provider's wire amount.
pub(crate) fn wire_money(amount: Money) -> dropledger_integrations::Money {
    dropledger_integrations::Money::new(amount.currency().code(), amount.amount())
}
