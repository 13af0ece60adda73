//! Checkouts at PayPal, their capture, and orders read from their stream.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use dropledger_domain::{ErrorCode, OrderId, ProductId, UserId, QUANTITY_MAX};
use dropledger_workflows::payment::{self, NewCheckout, PaymentError};
use dropledger_workflows::{OrderRecord, StoreFault};
use uuid::Uuid;

use crate::auth::Role;
use crate::auth_limits::client_key;
use crate::catalog::check_idempotency_key;
use crate::consistency::position_of;
use crate::context::count_appends;
use crate::context::{parts, Services};
use crate::errors::{internal, top_level, UserError};
use crate::events::Event;
use crate::money::Money;

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
    /// Proof that a capture comes from this client: keep it (it is given to
    /// nobody else) and pass it to `captureCheckout` after PayPal's approval.
    /// The same idempotency key returns the same secret.
    pub capture_secret: Option<String>,
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
    /// `createCheckout`'s `captureSecret` for this order: only the client
    /// that started the checkout may capture it.
    pub capture_secret: String,
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
    /// `CREATED AWAITING_PAYMENT_CLEARANCE PAID PURCHASING PURCHASED FAILED
    /// REFUND_REQUESTED REFUNDED SUPPLIER_CANCELLED`.
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

/// The order as it is now; a store failure is an internal error.
pub(crate) async fn load_order(
    services: &Services,
    order_id: OrderId,
) -> async_graphql::Result<OrderRecord> {
    dropledger_workflows::load_order(&services.store, order_id)
        .await
        .map_err(|error| internal(&error))
}

/// What a payment workflow's failure means to the caller: a `userErrors`
/// entry, or (a fault of ours) a logged internal error.
pub(crate) fn payment_failure(error: PaymentError) -> async_graphql::Result<UserError> {
    match error {
        PaymentError::Store(StoreFault::Contended { .. }) => Ok(UserError::new(
            "VERSION_CONFLICT",
            "others kept changing the same records; try again",
        )),
        error if error.is_internal() => Err(internal(&error)),
        PaymentError::QuantityTooLarge(message) => {
            Ok(UserError::invalid("input.quantity", message))
        }
        PaymentError::PartialRefund(_) => Ok(UserError::invalid("input.amount", &error)),
        // The amount is what was wrong: more than is left to refund, or not
        // the refund already in progress.
        PaymentError::RefundInProgress(_)
        | PaymentError::Refused {
            code: "REFUND_EXCEEDS_REFUNDABLE",
            ..
        } => Ok(UserError::at(
            error.code(),
            "input.amount",
            error.to_string(),
        )),
        error => Ok(UserError::new(error.code(), error.to_string())),
    }
}

pub(crate) fn view(loaded: OrderRecord) -> Option<OrderView> {
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
        history: loaded
            .history
            .iter()
            .map(|event| Event::recorded(event, None))
            .collect(),
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

/// Whose idempotency keys a request's are: a signed-in caller's own, or
/// an anonymous caller's address (an IPv6 /64): a key guessed elsewhere
/// reaches another order, never someone else's.
fn idempotency_scope(request: &crate::context::RequestContext) -> String {
    match (&request.claims, request.client_ip) {
        (Some(claims), _) => claims.sub.to_string(),
        (None, Some(address)) => format!("anonymous:{}", client_key(address)),
        (None, None) => "anonymous".to_owned(),
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
        if let Some(client) = request.client_ip {
            if !services.checkouts.allows(client) {
                metrics::counter!("dropledger_requests_rate_limited_total", "what" => "createCheckout")
                    .increment(1);
                return Ok(refused_with(UserError::new(
                    "RATE_LIMITED",
                    "too many checkouts started from your address; wait a minute",
                )));
            }
        }
        let key_scope = idempotency_scope(&request);
        let checkout = NewCheckout {
            product_id,
            quantity,
            idempotency_key: input.idempotency_key,
            key_scope,
        };
        let started = payment::create_checkout(
            &services.store,
            &services.paypal,
            &services.checkout_urls,
            checkout,
            |order_id| request.metadata(order_id),
        )
        .await;
        let started = match started {
            Ok(started) => started,
            Err(error) => return Ok(refused_with(payment_failure(error)?)),
        };
        let (_, appends) = count_appends(((), started.appends));
        metrics::counter!("dropledger_checkouts_created_total").increment(1);
        Ok(CreateCheckoutPayload {
            order_id: Some(ID(started.order_id.to_string())),
            provider_order_id: Some(started.provider_order_id),
            approve_url: Some(started.approve_url),
            capture_secret: Some(
                services
                    .tokens
                    .capture_secrets()
                    .for_order(started.order_id),
            ),
            position: position_of(services, &appends).await?,
            user_errors: Vec::new(),
        })
    }

    /// Captures the approved PayPal payment of an order: the order becomes
    /// PAID and the money is recorded in working capital. The signed-in
    /// buyer (USER or ADMIN), with the checkout's capture secret.
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
        if !services
            .tokens
            .capture_secrets()
            .verify(order_id, &input.capture_secret)
        {
            return Ok(refused_with(UserError {
                code: "CAPTURE_SECRET_MISMATCH".to_owned(),
                message: "this is not the capture secret createCheckout gave for this order: \
                          confirm the payment from the browser that started the checkout"
                    .to_owned(),
                field: Some("input.captureSecret".to_owned()),
            }));
        }
        let metadata = request.metadata(Uuid::new_v5(&order_id.as_uuid(), b"capture"));
        let captured = payment::capture_checkout(
            &services.store,
            &services.paypal,
            order_id,
            buyer,
            &metadata,
        )
        .await;
        let appends = match captured {
            Ok(captured) => count_appends(((), captured.appends)).1,
            Err(error) => return Ok(refused_with(payment_failure(error)?)),
        };
        metrics::counter!("dropledger_checkouts_captured_total").increment(1);
        Ok(CaptureCheckoutPayload {
            order: view(load_order(services, order_id).await?),
            position: position_of(services, &appends).await?,
            user_errors: Vec::new(),
        })
    }
}
