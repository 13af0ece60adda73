//! Where the goods go: the buyer's shipping address as PayPal holds it for
//! the order, read at the moment of buying and handed to the supplier. We
//! keep no copy: an address is personal data, and an immutable log is no
//! place for it.

use dropledger_domain::{FailureReason, Order};
use dropledger_integrations::{
    BuyerShipping, PayPalClient, PayPalError, ProviderFault, ShippingAddress,
};

use super::supplier::SupplierError;

/// Country calling code of the countries that share +1 (the North American
/// Numbering Plan), for phones PayPal gives without one. Elsewhere a phone
/// without a calling code is not enough to ship.
const NANP_COUNTRIES: [&str; 3] = ["US", "CA", "PR"];
const NANP_CALLING_CODE: &str = "1";

/// The buyer's address for the order's supplier purchase.
pub async fn buyer_address(
    paypal: &PayPalClient,
    order: &Order,
) -> Result<ShippingAddress, SupplierError> {
    let provider_order_id = order
        .provider_order_id()
        .ok_or(SupplierError::Refused(FailureReason::NoShippingAddress))?;
    let details = paypal
        .order(provider_order_id.as_str())
        .await
        .map_err(SupplierError::BuyerAddress)?;
    let Some(shipping) = details.shipping else {
        tracing::warn!(
            paypal_order = provider_order_id.as_str(),
            "PayPal holds no shipping address for the buyer"
        );
        return Err(SupplierError::Refused(FailureReason::NoShippingAddress));
    };
    supplier_address(shipping).ok_or_else(|| {
        tracing::warn!(
            paypal_order = provider_order_id.as_str(),
            "the buyer's PayPal address has no phone number the supplier can use"
        );
        SupplierError::Refused(FailureReason::NoShippingAddress)
    })
}

/// PayPal's shipping block in the supplier's terms; `None` without a
/// usable phone number (AliExpress requires one).
fn supplier_address(shipping: BuyerShipping) -> Option<ShippingAddress> {
    let phone = shipping.phone?;
    let phone_country = match phone.country_code {
        Some(code) => code,
        None if NANP_COUNTRIES.contains(&shipping.country_code.as_str()) => {
            NANP_CALLING_CODE.to_owned()
        }
        None => return None,
    };
    Some(ShippingAddress {
        contact_person: shipping.full_name,
        address: shipping.address_line_1,
        address2: shipping.address_line_2,
        city: shipping.city,
        province: shipping.state.unwrap_or_default(),
        country: shipping.country_code,
        zip: shipping.postal_code.unwrap_or_default(),
        phone_country,
        mobile_no: phone.national_number,
    })
}

/// Whether reading the address again later may succeed: what the client
/// itself would retry, or a breaker that is open now and may not be then.
pub fn is_transient(error: &PayPalError) -> bool {
    error.is_retryable() || matches!(error, PayPalError::CircuitOpen)
}

#[cfg(test)]
mod tests {
    use dropledger_integrations::BuyerPhone;

    use super::*;

    fn shipping(country: &str, phone: Option<BuyerPhone>) -> BuyerShipping {
        BuyerShipping {
            full_name: "Grace Hopper".to_owned(),
            address_line_1: "1 Compiler Road".to_owned(),
            address_line_2: None,
            city: "Arlington".to_owned(),
            state: Some("VA".to_owned()),
            postal_code: Some("22201".to_owned()),
            country_code: country.to_owned(),
            phone,
        }
    }

    fn phone(country_code: Option<&str>) -> Option<BuyerPhone> {
        Some(BuyerPhone {
            country_code: country_code.map(str::to_owned),
            national_number: "7035550100".to_owned(),
        })
    }

    #[test]
    fn paypal_fields_map_to_the_suppliers_address() {
        let address = supplier_address(shipping("US", phone(Some("1")))).unwrap();
        assert_eq!(address.contact_person, "Grace Hopper");
        assert_eq!(address.address, "1 Compiler Road");
        assert_eq!(address.city, "Arlington");
        assert_eq!(address.province, "VA");
        assert_eq!(address.zip, "22201");
        assert_eq!(address.country, "US");
        assert_eq!(
            (address.phone_country.as_str(), address.mobile_no.as_str()),
            ("1", "7035550100")
        );
    }

    #[test]
    fn a_phone_without_calling_code_is_usable_only_where_it_is_implied() {
        assert_eq!(
            supplier_address(shipping("CA", phone(None)))
                .unwrap()
                .phone_country,
            "1"
        );
        assert_eq!(supplier_address(shipping("DE", phone(None))), None);
        assert_eq!(
            supplier_address(shipping("DE", phone(Some("49"))))
                .unwrap()
                .phone_country,
            "49"
        );
        assert_eq!(supplier_address(shipping("US", None)), None);
    }
}
