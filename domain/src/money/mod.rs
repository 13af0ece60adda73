//! Money values: currencies, amounts, percentages.

mod amount;
mod currency;
mod percentage;

pub use amount::{Money, MoneyError};
pub use currency::{Currency, UnknownCurrency};
pub use percentage::{Percentage, PercentageError};
