//! A checkout: a PayPal order for the buyer to approve, and our CREATED
//! order that remembers it.

use chrono::Utc;
use dropledger_domain::{
    Aggregate, Order, OrderCommand, OrderId, Product, ProductId, ProviderOrderId,
};
use dropledger_eventstore::{AppendResult, CommandError, EventStore, Metadata};
use dropledger_integrations::{CheckoutItem, CheckoutOrder, PayPalClient};
use uuid::Uuid;

use super::PaymentError;
use crate::current::current;

/// Namespace of order ids derived from checkout idempotency keys.
const CHECKOUT_KEY_NAMESPACE: Uuid = Uuid::from_u128(0x2d7a_90c4_1b5e_4f36_8a21_c3e9_7b10_4e02);

/// Where PayPal sends the buyer after approving or cancelling a checkout.
#[derive(Debug, Clone)]
pub struct CheckoutUrls {
    /// After approval.
    pub return_url: String,
    /// After cancelling.
    pub cancel_url: String,
}

/// What a buyer wants to check out.
#[derive(Debug, Clone)]
pub struct NewCheckout {
    /// A PUBLISHED product.
    pub product_id: ProductId,
    /// Units, already checked against `QUANTITY_MAX`.
    pub quantity: u32,
    /// Names the order: the same key (in the same scope) reaches the same
    /// order and the same PayPal order.
    pub idempotency_key: Option<String>,
    /// Whose keys these are (the caller's user id, or `anonymous`).
    pub key_scope: String,
}

/// A started checkout.
#[derive(Debug, Clone)]
pub struct StartedCheckout {
    /// Our order.
    pub order_id: OrderId,
    /// PayPal's order.
    pub provider_order_id: String,
    /// Where the buyer approves the payment.
    pub approve_url: String,
    /// What was appended (nothing when the key's order existed).
    pub appends: Vec<AppendResult>,
}

/// Starts a checkout of a PUBLISHED product: a PayPal order to approve and
/// our CREATED order.
pub async fn create_checkout(
    store: &EventStore,
    paypal: &PayPalClient,
    urls: &CheckoutUrls,
    checkout: NewCheckout,
    metadata_for: impl Fn(Uuid) -> Metadata,
) -> Result<StartedCheckout, PaymentError> {
    let product = current(
        store,
        &Product::stream_id(checkout.product_id),
        Product::default(),
    )
    .await?;
    let terms = product
        .checkout_terms()
        .map_err(|error| PaymentError::refused(&error))?;
    terms
        .unit_price
        .checked_mul(checkout.quantity)
        .map_err(|error| PaymentError::QuantityTooLarge(error.to_string()))?;
    // A key names the order, so a retry reaches the same PayPal order (its
    // request id derives from our order id) and the same stream.
    let order_id = OrderId::from_uuid(match &checkout.idempotency_key {
        Some(key) => Uuid::new_v5(
            &CHECKOUT_KEY_NAMESPACE,
            format!("{}:{key}", checkout.key_scope).as_bytes(),
        ),
        None => Uuid::new_v4(),
    });
    let paypal_order = CheckoutOrder {
        reference_id: order_id.to_string(),
        custom_id: Some(Order::stream_id(order_id)),
        invoice_id: None,
        currency: terms.unit_price.currency(),
        items: vec![CheckoutItem {
            name: product
                .title()
                .map(|title| title.as_str().to_owned())
                .unwrap_or_default(),
            sku: product
                .supplier_product_id()
                .map(|id| id.as_str().to_owned()),
            unit_amount: terms.unit_price,
            quantity: checkout.quantity,
        }],
        shipping: None,
        return_url: urls.return_url.clone(),
        cancel_url: urls.cancel_url.clone(),
        brand_name: Some("dropledger".to_owned()),
    };
    let created = paypal
        .create_order(&paypal_order, &format!("create-{order_id}"))
        .await
        .map_err(|error| {
            tracing::warn!(%error, %order_id, "PayPal refused to create the order");
            PaymentError::CheckoutUnavailable
        })?;
    let provider_order_id = ProviderOrderId::parse(&created.id)
        .map_err(|_| PaymentError::Unusable(format!("an unusable order id {:?}", created.id)))?;
    let stream = Order::stream_id(order_id);
    let metadata = metadata_for(order_id.as_uuid());
    let keyed = checkout.idempotency_key.is_some();
    let ((), appends) = store
        .execute(|| async {
            let order = store.load(&stream, Order::default()).await?;
            if order.state.id().is_some() && keyed {
                // Created by the first attempt with this key.
                return Ok((Vec::new(), ()));
            }
            let events = order
                .state
                .decide(OrderCommand::CreateOrder {
                    order_id,
                    terms: terms.clone(),
                    quantity: checkout.quantity,
                    provider_order_id: provider_order_id.clone(),
                    created_at: Utc::now(),
                })
                .map_err(CommandError::Refused)?;
            Ok((vec![order.append(&events, &metadata)], ()))
        })
        .await?;
    Ok(StartedCheckout {
        order_id,
        provider_order_id: created.id,
        approve_url: created.approve_url,
        appends,
    })
}
