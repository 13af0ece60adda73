//! How a sale price splits into supplier cost, fees, commission and net profit.

use serde::{Deserialize, Serialize};

use super::SaleError;
use crate::ids::{OrderId, UserId};
use crate::money::{Money, MoneyError, Percentage};

/// The facts of a purchased order that a sale is recorded from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SaleTerms {
    /// The order.
    pub order_id: OrderId,
    /// The product's owner, who earns the net profit.
    pub seller: UserId,
    /// What the buyer paid.
    pub sale_price: Money,
    /// What the supplier charged.
    pub supplier_cost: Money,
    /// Payment provider fees withheld on the capture.
    pub fees: Money,
}

/// The split of one sale, exact to the minor unit.
///
/// Rounding rule: gross profit = sale price − supplier cost (exact);
/// commission = commission rate × gross profit, rounded half to even to the
/// currency's minor unit; net profit = gross profit − commission − fees
/// (exact: net profit takes the rounding remainder). Hence
/// supplier cost + fees + commission + net profit = sale price, to the cent,
/// and the sale entry balances. Deserialising checks this again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "BreakdownWire")]
pub struct SaleBreakdown {
    sale_price: Money,
    supplier_cost: Money,
    fees: Money,
    gross_profit: Money,
    commission_rate: Percentage,
    commission: Money,
    net_profit: Money,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BreakdownWire {
    sale_price: Money,
    supplier_cost: Money,
    fees: Money,
    gross_profit: Money,
    commission_rate: Percentage,
    commission: Money,
    net_profit: Money,
}

impl TryFrom<BreakdownWire> for SaleBreakdown {
    type Error = SaleError;

    fn try_from(wire: BreakdownWire) -> Result<Self, Self::Error> {
        let computed = SaleBreakdown::compute(
            wire.sale_price,
            wire.supplier_cost,
            wire.fees,
            wire.commission_rate,
        )?;
        let stored = SaleBreakdown {
            sale_price: wire.sale_price,
            supplier_cost: wire.supplier_cost,
            fees: wire.fees,
            gross_profit: wire.gross_profit,
            commission_rate: wire.commission_rate,
            commission: wire.commission,
            net_profit: wire.net_profit,
        };
        if stored == computed {
            Ok(stored)
        } else {
            Err(SaleError::InconsistentBreakdown)
        }
    }
}

impl SaleBreakdown {
    /// Splits a sale price by the stated rounding rule. Does not apply the
    /// profit guard: a non-positive net profit is a valid breakdown, which
    /// the sale aggregate then refuses.
    pub fn compute(
        sale_price: Money,
        supplier_cost: Money,
        fees: Money,
        commission_rate: Percentage,
    ) -> Result<SaleBreakdown, SaleError> {
        for amount in [supplier_cost, fees] {
            if amount.currency() != sale_price.currency() {
                return Err(SaleError::Money(MoneyError::CurrencyMismatch {
                    left: sale_price.currency(),
                    right: amount.currency(),
                }));
            }
        }
        if !sale_price.is_positive() || !supplier_cost.is_positive() || fees.is_negative() {
            return Err(SaleError::InvalidAmounts);
        }
        let gross_profit = sale_price.checked_sub(supplier_cost)?;
        let commission = if gross_profit.is_positive() {
            commission_rate.of(gross_profit)?
        } else {
            // No commission is taken on a sale that makes no gross profit.
            Money::zero(sale_price.currency())
        };
        let net_profit = gross_profit.checked_sub(commission)?.checked_sub(fees)?;
        Ok(SaleBreakdown {
            sale_price,
            supplier_cost,
            fees,
            gross_profit,
            commission_rate,
            commission,
            net_profit,
        })
    }

    /// What the buyer paid.
    pub fn sale_price(&self) -> Money {
        self.sale_price
    }

    /// What the supplier charged.
    pub fn supplier_cost(&self) -> Money {
        self.supplier_cost
    }

    /// Payment provider fees.
    pub fn fees(&self) -> Money {
        self.fees
    }

    /// Sale price − supplier cost.
    pub fn gross_profit(&self) -> Money {
        self.gross_profit
    }

    /// The platform commission rate applied.
    pub fn commission_rate(&self) -> Percentage {
        self.commission_rate
    }

    /// The admin's commission.
    pub fn commission(&self) -> Money {
        self.commission
    }

    /// The seller's net profit.
    pub fn net_profit(&self) -> Money {
        self.net_profit
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkit::usd;

    fn pct(text: &str) -> Percentage {
        Percentage::parse(text).unwrap()
    }

    #[test]
    fn commission_is_a_share_of_gross_profit_and_net_profit_takes_the_rest() {
        let sale = SaleBreakdown::compute(usd("25"), usd("10"), usd("1.20"), pct("20")).unwrap();
        assert_eq!(sale.gross_profit(), usd("15"));
        assert_eq!(sale.commission(), usd("3"));
        assert_eq!(sale.net_profit(), usd("10.80"));
    }

    #[test]
    fn the_rounding_remainder_goes_to_net_profit_so_the_parts_add_up_to_the_cent() {
        // 15 % of 10.03 is 1.5045 → 1.50 (half to even); net takes the 0.0045.
        let sale =
            SaleBreakdown::compute(usd("20.04"), usd("10.01"), usd("0.99"), pct("15")).unwrap();
        assert_eq!(sale.commission(), usd("1.50"));
        assert_eq!(sale.net_profit(), usd("7.54"));
        let sum = sale
            .supplier_cost()
            .checked_add(sale.fees())
            .and_then(|s| s.checked_add(sale.commission()))
            .and_then(|s| s.checked_add(sale.net_profit()))
            .unwrap();
        assert_eq!(sum, sale.sale_price());
    }

    #[test]
    fn a_half_cent_commission_rounds_to_the_even_cent() {
        // 10 % of 0.25 = 0.025 → 0.02; of 0.35 = 0.035 → 0.04.
        let low = SaleBreakdown::compute(usd("1.25"), usd("1.00"), usd("0"), pct("10")).unwrap();
        assert_eq!(low.commission(), usd("0.02"));
        let high = SaleBreakdown::compute(usd("1.35"), usd("1.00"), usd("0"), pct("10")).unwrap();
        assert_eq!(high.commission(), usd("0.04"));
    }

    #[test]
    fn a_loss_making_sale_has_no_commission_and_a_negative_net_profit() {
        let sale = SaleBreakdown::compute(usd("10"), usd("12"), usd("0.50"), pct("20")).unwrap();
        assert_eq!(sale.commission(), usd("0"));
        assert_eq!(sale.net_profit(), usd("-2.50"));
    }

    #[test]
    fn amounts_in_another_currency_are_refused() {
        let eur = Money::parse("1", "EUR").unwrap();
        assert!(matches!(
            SaleBreakdown::compute(usd("25"), eur, usd("1"), pct("20")),
            Err(SaleError::Money(MoneyError::CurrencyMismatch { .. }))
        ));
        assert_eq!(
            SaleBreakdown::compute(usd("25"), usd("10"), usd("-1"), pct("20")),
            Err(SaleError::InvalidAmounts)
        );
    }

    #[test]
    fn a_breakdown_that_does_not_add_up_is_refused_when_read_back() {
        let sale = SaleBreakdown::compute(usd("25"), usd("10"), usd("1.20"), pct("20")).unwrap();
        let json = serde_json::to_string(&sale).unwrap();
        assert_eq!(serde_json::from_str::<SaleBreakdown>(&json).unwrap(), sale);
        let tampered = json.replace(
            r#""net_profit":{"amount":"10.80""#,
            r#""net_profit":{"amount":"10.81""#,
        );
        assert_ne!(tampered, json);
        assert!(serde_json::from_str::<SaleBreakdown>(&tampered).is_err());
    }
}
