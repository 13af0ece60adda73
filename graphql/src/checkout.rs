//! Checkouts at PayPal, their capture, and orders read from their stream.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use dropledger_domain::{
    capture_payment, decode_event, Aggregate, CaptureId, CapturePayment, CaptureStatus, EntryId,
    Money as DomainMoney, Order as OrderState, OrderCommand, OrderError, OrderEvent, OrderId,
    Product, ProductId, ProviderOrderId, UserId, WorkingCapital, QUANTITY_MAX,
};
use dropledger_eventstore::{CommandError, READ_EVENTS_MAX};
use dropledger_integrations::{CheckoutItem, CheckoutOrder};
use uuid::Uuid;

use crate::auth::Role;
use crate::catalog::check_idempotency_key;
use crate::consistency::position_of;
use crate::context::count_appends;
use crate::context::{parts, Services};
use crate::errors::{command_failure, internal, refused, top_level, UserError};
use crate::events::Event;
use crate::money::{domain_money, wire_money, Money};

/// Namespace of order ids derived from checkout idempotency keys.
const CHECKOUT_KEY_NAMESPACE: Uuid = Uuid::from_u128(0x2d7a_90c4_1b5e_4f36_8a21_c3e9_7b10_4e02);

/// `createCheckout`'s input.
#[derive(Debug, InputObject)]
pub struct CreateCheckoutInput {
    /// A PUBLISHED product.
    pub product_id: ID,
    /// Units, 1 to `QUANTITY_MAX`.
    pub quantity: i32,
    /// Sending the same key again returns the same checkout.
    pub idempotency_key: Option<String>,
}

/// `createCheckout`'s result: where to send the buyer.
#[derive(Debug, Default, SimpleObject)]
pub struct CreateCheckoutPayload {
    /// Our order.
    pub order_id: Option<ID>,
    /// PayPal's order.
    pub provider_order_id: Option<String>,
    /// The buyer approves the payment there.
    pub approve_url: Option<String>,
    /// The log position of the last event this wrote: pass it as
    /// `consistentAfter` to a query to read your own write. Null only when
    /// an older transaction held the log back for over 5 s.
    pub position: Option<i64>,
    /// Why nothing happened.
    pub user_errors: Vec<UserError>,
}

/// `captureCheckout`'s input.
#[derive(Debug, InputObject)]
pub struct CaptureCheckoutInput {
    /// The order whose PayPal payment the buyer approved.
    pub order_id: ID,
}

/// `captureCheckout`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct CaptureCheckoutPayload {
    /// The order as now.
    pub order: Option<OrderView>,
    /// The log position of the last event this wrote: pass it as
    /// `consistentAfter` to a query to read your own write. Null only when
    /// an older transaction held the log back for over 5 s.
    pub position: Option<i64>,
    /// Why nothing happened.
    pub user_errors: Vec<UserError>,
}

/// An order, from its stream (or from the commerce read model in lists).
#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "Order", complex)]
pub struct OrderView {
    /// The order id.
    pub id: ID,
    /// `CREATED PAID PURCHASING PURCHASED FAILED REFUNDED`.
    pub status: String,
    /// Why fulfilment failed, if it did.
    pub failure_reason: Option<String>,
    /// What the buyer pays.
    pub price: Money,
    /// The supplier's order, once placed.
    pub supplier_order_id: Option<String>,
    /// The seller (the product's owner).
    pub owner: ID,
    /// The signed-in user who captured.
    pub buyer: Option<ID>,
    /// Every event of the order, oldest first; empty when not read yet
    /// (the `history` field then reads it, see `orders.rs`).
    #[graphql(skip)]
    pub history: Vec<Event>,
}

pub(crate) struct LoadedOrder {
    pub(crate) state: OrderState,
    provider_order_id: Option<String>,
    pub(crate) history: Vec<Event>,
}

pub(crate) async fn load_order(
    services: &Services,
    order_id: OrderId,
) -> async_graphql::Result<LoadedOrder> {
    load_order_as_of(services, order_id, u64::MAX).await
}

/// The order as it was once its stream reached `version`: what a
/// subscriber is shown for the event at that version, however far the
/// order has moved on since.
pub(crate) async fn load_order_as_of(
    services: &Services,
    order_id: OrderId,
    version: u64,
) -> async_graphql::Result<LoadedOrder> {
    let mut recorded = services
        .store
        .read_stream(&OrderState::stream_id(order_id), 1, READ_EVENTS_MAX)
        .await
        .map_err(|error| internal(&error))?;
    recorded.retain(|event| event.stream_version <= version);
    let mut state = OrderState::default();
    let mut provider_order_id = None;
    for event in &recorded {
        let decoded: OrderEvent = decode_event(
            &event.event_type,
            event.schema_version,
            event.payload_value(),
        )
        .map_err(|error| internal(&error))?;
        if let OrderEvent::OrderCreated {
            provider_order_id: id,
            ..
        } = &decoded
        {
            provider_order_id = Some(id.as_str().to_owned());
        }
        state = state.evolve(&decoded);
    }
    Ok(LoadedOrder {
        state,
        provider_order_id,
        history: recorded
            .iter()
            .map(|event| Event::recorded(event, None))
            .collect(),
    })
}

pub(crate) fn view(loaded: LoadedOrder) -> Option<OrderView> {
    let state = &loaded.state;
    Some(OrderView {
        id: ID(state.id()?.to_string()),
        status: state.status()?.as_str().to_owned(),
        failure_reason: state
            .failure_reason()
            .map(|reason| reason.status_code().to_owned()),
        price: state.total()?.into(),
        supplier_order_id: state.supplier_order_id().map(|id| id.as_str().to_owned()),
        owner: ID(state.seller()?.to_string()),
        buyer: state.buyer().map(|buyer| ID(buyer.to_string())),
        history: loaded.history,
    })
}

/// `order(id)`.
#[derive(Default)]
pub struct OrderQuery;

#[Object]
impl OrderQuery {
    /// One order: its seller, its buyer, ADMIN and ACCOUNTANT may read it.
    async fn order(&self, ctx: &Context<'_>, id: ID) -> async_graphql::Result<Option<OrderView>> {
        let (services, request) = parts(ctx);
        let claims = request
            .require(&[Role::Admin, Role::User, Role::Accountant])
            .map_err(top_level)?;
        let Ok(order_id) = id.parse::<OrderId>() else {
            return Err(top_level(UserError::invalid("id", "not an order id")));
        };
        let loaded = load_order(services, order_id).await?;
        let caller = UserId::from_uuid(claims.sub);
        let involved =
            loaded.state.seller() == Some(caller) || loaded.state.buyer() == Some(caller);
        if loaded.state.id().is_some() && claims.role == Role::User && !involved {
            return Err(top_level(UserError::forbidden()));
        }
        Ok(view(loaded))
    }
}

/// Checkout mutations.
#[derive(Default)]
pub struct CheckoutMutation;

#[Object]
impl CheckoutMutation {
    /// Starts a checkout of a PUBLISHED product: a PayPal order to approve
    /// and our CREATED order. Anyone, signed in or not.
    async fn create_checkout(
        &self,
        ctx: &Context<'_>,
        input: CreateCheckoutInput,
    ) -> async_graphql::Result<CreateCheckoutPayload> {
        let (services, request) = parts(ctx);
        let refused_with = |error| CreateCheckoutPayload {
            user_errors: vec![error],
            ..Default::default()
        };
        let Ok(product_id) = input.product_id.parse::<ProductId>() else {
            return Ok(refused_with(UserError::invalid(
                "input.productId",
                "not a product id",
            )));
        };
        let quantity = match u32::try_from(input.quantity) {
            Ok(quantity) if (1..=QUANTITY_MAX).contains(&quantity) => quantity,
            _ => {
                return Ok(refused_with(UserError::invalid(
                    "input.quantity",
                    format!("must be between 1 and {QUANTITY_MAX}"),
                )))
            }
        };
        if let Some(key) = &input.idempotency_key {
            if let Err(error) = check_idempotency_key(key, "input.idempotencyKey") {
                return Ok(refused_with(error));
            }
        }
        let product = services
            .store
            .load::<_, std::convert::Infallible>(
                &Product::stream_id(product_id),
                Product::default(),
            )
            .await
            .map_err(|error| internal(&error))?;
        let terms = match product.state.checkout_terms() {
            Ok(terms) => terms,
            Err(error) => return Ok(refused_with(refused(&error))),
        };
        if let Err(error) = terms.unit_price.checked_mul(quantity) {
            return Ok(refused_with(UserError::invalid("input.quantity", error)));
        }
        // A key names the order, so a retry reaches the same PayPal order
        // (its request id derives from our order id) and the same stream.
        let scope = request
            .claims
            .as_ref()
            .map(|claims| claims.sub.to_string())
            .unwrap_or_else(|| "anonymous".to_owned());
        let order_id = OrderId::from_uuid(match &input.idempotency_key {
            Some(key) => Uuid::new_v5(&CHECKOUT_KEY_NAMESPACE, format!("{scope}:{key}").as_bytes()),
            None => Uuid::new_v4(),
        });
        let title = product
            .state
            .title()
            .map(|title| title.as_str().to_owned())
            .unwrap_or_default();
        let checkout = CheckoutOrder {
            reference_id: order_id.to_string(),
            custom_id: Some(OrderState::stream_id(order_id)),
            invoice_id: None,
            currency: terms.unit_price.currency().code().to_owned(),
            items: vec![CheckoutItem {
                name: title,
                sku: product
                    .state
                    .supplier_product_id()
                    .map(|id| id.as_str().to_owned()),
                unit_amount: wire_money(terms.unit_price),
                quantity,
            }],
            shipping: None,
            return_url: services.checkout_urls.return_url.clone(),
            cancel_url: services.checkout_urls.cancel_url.clone(),
            brand_name: Some("dropledger".to_owned()),
        };
        let created = match services
            .paypal
            .create_order(&checkout, &format!("create-{order_id}"))
            .await
        {
            Ok(created) => created,
            Err(error) => {
                tracing::warn!(%error, %order_id, "PayPal refused to create the order");
                return Ok(refused_with(UserError::new(
                    "PROVIDER_UNAVAILABLE",
                    "PayPal could not start the checkout; try again",
                )));
            }
        };
        let Ok(provider_order_id) = ProviderOrderId::parse(&created.id) else {
            return Err(internal(&format!(
                "PayPal answered an unusable order id {:?}",
                created.id
            )));
        };
        let stream = OrderState::stream_id(order_id);
        let metadata = request.metadata(order_id.as_uuid());
        let outcome = services
            .store
            .execute(|| async {
                let order = services.store.load(&stream, OrderState::default()).await?;
                if order.state.id().is_some() && input.idempotency_key.is_some() {
                    // Created by the first attempt with this key.
                    return Ok((Vec::new(), ()));
                }
                let events = order
                    .state
                    .decide(OrderCommand::CreateOrder {
                        order_id,
                        terms: terms.clone(),
                        quantity,
                        provider_order_id: provider_order_id.clone(),
                        created_at: Utc::now(),
                    })
                    .map_err(CommandError::Refused)?;
                Ok((vec![order.append(&events, &metadata)], ()))
            })
            .await
            .map(count_appends);
        let appends = match outcome {
            Ok((_, appends)) => appends,
            Err(error) => return Ok(refused_with(command_failure::<OrderError>(error)?)),
        };
        metrics::counter!("dropledger_checkouts_created_total").increment(1);
        Ok(CreateCheckoutPayload {
            order_id: Some(ID(order_id.to_string())),
            provider_order_id: Some(created.id),
            approve_url: Some(created.approve_url),
            position: position_of(services, &appends).await?,
            user_errors: Vec::new(),
        })
    }

    /// Captures the approved PayPal payment of an order: the order becomes
    /// PAID and the money is recorded in working capital. The signed-in
    /// buyer (USER or ADMIN).
    async fn capture_checkout(
        &self,
        ctx: &Context<'_>,
        input: CaptureCheckoutInput,
    ) -> async_graphql::Result<CaptureCheckoutPayload> {
        let (services, request) = parts(ctx);
        let refused_with = |error| CaptureCheckoutPayload {
            user_errors: vec![error],
            ..CaptureCheckoutPayload::default()
        };
        let buyer = match request.require(&[Role::User, Role::Admin]) {
            Ok(claims) => UserId::from_uuid(claims.sub),
            Err(error) => return Ok(refused_with(error)),
        };
        let Ok(order_id) = input.order_id.parse::<OrderId>() else {
            return Ok(refused_with(UserError::invalid(
                "input.orderId",
                "not an order id",
            )));
        };
        let loaded = load_order(services, order_id).await?;
        let (Some(provider_order_id), Some(total)) =
            (loaded.provider_order_id.clone(), loaded.state.total())
        else {
            return Ok(refused_with(refused(&OrderError::NotFound)));
        };
        let capture = match services
            .paypal
            .capture_order(&provider_order_id, &format!("capture-{order_id}"))
            .await
        {
            Ok(capture) => capture,
            Err(error) => {
                tracing::warn!(%error, %order_id, "PayPal refused the capture");
                return Ok(refused_with(UserError::new(
                    "PAYMENT_NOT_CAPTURED",
                    "PayPal did not capture the payment: has the buyer approved it?",
                )));
            }
        };
        let status = match capture.status {
            dropledger_integrations::CaptureStatus::Completed => CaptureStatus::Completed,
            dropledger_integrations::CaptureStatus::Pending => CaptureStatus::Pending,
            _ => {
                return Ok(refused_with(UserError::new(
                    "PAYMENT_NOT_CAPTURED",
                    "PayPal declined the payment",
                )))
            }
        };
        let amount = domain_money(&capture.gross).map_err(|error| internal(&error))?;
        let fee = match &capture.paypal_fee {
            Some(fee) => domain_money(fee).map_err(|error| internal(&error))?,
            None => DomainMoney::zero(amount.currency()),
        };
        let capture_id = CaptureId::parse(&capture.id).map_err(|error| internal(&error))?;
        let command = CapturePayment {
            buyer,
            capture_id,
            amount,
            fee,
            status,
            // One capture, one entry: a retried request records it once.
            entry_id: EntryId::from_uuid(Uuid::new_v5(&order_id.as_uuid(), capture.id.as_bytes())),
            captured_at: Utc::now(),
        };
        let currency = total.currency();
        let order_stream = OrderState::stream_id(order_id);
        let capital_stream = WorkingCapital::stream_id(currency);
        let metadata = request.metadata(Uuid::new_v5(&order_id.as_uuid(), b"capture"));
        let outcome = services
            .store
            .execute(|| async {
                let order = services
                    .store
                    .load(&order_stream, OrderState::default())
                    .await?;
                if order.state.buyer() == Some(buyer) {
                    // Already recorded by an earlier attempt.
                    return Ok((Vec::new(), ()));
                }
                let capital = services
                    .store
                    .load(&capital_stream, WorkingCapital::new(currency))
                    .await?;
                let decision = capture_payment(&order.state, &capital.state, command.clone())
                    .map_err(CommandError::Refused)?;
                // Every capture of the currency lands on its capital stream;
                // cash coming in commutes with holds and other captures, and
                // the order's own stream keeps it from being recorded twice.
                Ok((
                    vec![
                        order.append(&decision.order, &metadata),
                        capital.append_commuting(&decision.capital, &metadata),
                    ],
                    (),
                ))
            })
            .await
            .map(count_appends);
        let appends = match outcome {
            Ok((_, appends)) => appends,
            Err(error) => return Ok(refused_with(command_failure(error)?)),
        };
        metrics::counter!("dropledger_checkouts_captured_total").increment(1);
        Ok(CaptureCheckoutPayload {
            order: view(load_order(services, order_id).await?),
            position: position_of(services, &appends).await?,
            user_errors: Vec::new(),
        })
    }
}
