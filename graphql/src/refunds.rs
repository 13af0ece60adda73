//! `refundOrder`: the workflow `dropledger_workflows::payment::refund_order`
//! for the order's seller or an ADMIN.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use dropledger_domain::{OrderId, UserId};
use dropledger_workflows::payment::{self, RefundRequest, Refunder};
use uuid::Uuid;

use crate::auth::Role;
use crate::checkout::{load_order, payment_failure, view, OrderView};
use crate::consistency::position_of;
use crate::context::{count_appends, parts};
use crate::errors::UserError;
use crate::money::MoneyInput;

/// Longest refund reason, in characters (PayPal's `note_to_payer` limit).
const REASON_CHARS_MAX: usize = 255;

/// `refundOrder`'s input.
#[derive(Debug, InputObject)]
pub struct RefundOrderInput {
    /// A PAID or FAILED order, or a sold one (PURCHASED, its sale recorded).
    pub order_id: ID,
    /// How much: the full price of an order never sold; of a sold order,
    /// any amount up to what is left to refund (several partial refunds
    /// add up).
    pub amount: MoneyInput,
    /// Why, shown to the buyer by PayPal.
    pub reason: String,
}

/// `refundOrder`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct RefundOrderPayload {
    /// The order as now: REFUNDED, or still PURCHASED after a partial
    /// refund of a sold order.
    pub order: Option<OrderView>,
    /// PayPal's refund id.
    pub provider_refund_id: Option<String>,
    /// The log position of the last event this wrote: pass it as
    /// `consistentAfter` to read your own write.
    pub position: Option<i64>,
    /// Why nothing was refunded.
    pub user_errors: Vec<UserError>,
}

/// Refund mutations.
#[derive(Default)]
pub struct RefundMutation;

#[Object]
impl RefundMutation {
    /// Refunds an order's payment at PayPal and records it: an order never
    /// sold in full (a correcting entry); a sold order in full or in part,
    /// its sale reversed in proportion and what its payees were paid
    /// recovered (LEDGER.md). The order's seller or ADMIN. Repeating a
    /// refund of a refunded order changes nothing.
    async fn refund_order(
        &self,
        ctx: &Context<'_>,
        input: RefundOrderInput,
    ) -> async_graphql::Result<RefundOrderPayload> {
        let (services, request) = parts(ctx);
        let refused_with = |error| RefundOrderPayload {
            user_errors: vec![error],
            ..Default::default()
        };
        let claims = match request.require(&[Role::User, Role::Admin]) {
            Ok(claims) => claims.clone(),
            Err(error) => return Ok(refused_with(error)),
        };
        let Ok(order_id) = input.order_id.parse::<OrderId>() else {
            return Ok(refused_with(UserError::invalid(
                "input.orderId",
                "not an order id",
            )));
        };
        let amount = match input.amount.parse_positive("input.amount") {
            Ok(amount) => amount,
            Err(error) => return Ok(refused_with(error)),
        };
        let reason = input.reason.trim();
        if reason.is_empty() || reason.chars().count() > REASON_CHARS_MAX {
            return Ok(refused_with(UserError::invalid(
                "input.reason",
                format!("must have 1 to {REASON_CHARS_MAX} characters"),
            )));
        }
        let by = if claims.role == Role::Admin {
            Refunder::Admin
        } else {
            Refunder::Seller(UserId::from_uuid(claims.sub))
        };
        let metadata = request.metadata(Uuid::new_v5(&order_id.as_uuid(), b"refund"));
        let refunded = payment::refund_order(
            &services.store,
            &services.paypal,
            RefundRequest {
                order_id,
                amount,
                reason: reason.to_owned(),
                by,
            },
            &metadata,
        )
        .await;
        let refund = match refunded {
            Ok(refund) => refund,
            Err(error) => return Ok(refused_with(payment_failure(error)?)),
        };
        let appends = count_appends(((), refund.appends)).1;
        metrics::counter!("dropledger_orders_refunded_total").increment(1);
        Ok(RefundOrderPayload {
            order: view(load_order(services, order_id).await?),
            provider_refund_id: Some(refund.provider_refund_id),
            position: position_of(services, &appends).await?,
            user_errors: Vec::new(),
        })
    }
}
