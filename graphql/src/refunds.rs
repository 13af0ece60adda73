//! `refundOrder`: the buyer's money back at PayPal, and the correcting
//! entry in the ledger.
//!
//! Only the full price of an order that was never fulfilled (PAID or
//! FAILED) is refunded: refunding a sold order would also have to reverse
//! the sale and claw back payouts, which the ledger does not model yet.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use dropledger_domain::{
    refund_payment, EntryId, Money as DomainMoney, Order as OrderState, OrderError, OrderId,
    ProviderRefundId, RefundPayment, UserId, WorkingCapital,
};
use dropledger_eventstore::CommandError;
use uuid::Uuid;

use crate::auth::Role;
use crate::checkout::{load_order, view, OrderView};
use crate::consistency::position_of;
use crate::context::{count_appends, parts, Services};
use crate::errors::{command_failure, internal, refused, UserError};
use crate::money::{domain_money, wire_money, MoneyInput};

/// Longest refund reason, in characters (PayPal's `note_to_payer` limit).
const REASON_CHARS_MAX: usize = 255;

/// `refundOrder`'s input.
#[derive(Debug, InputObject)]
pub struct RefundOrderInput {
    /// A PAID or FAILED order.
    pub order_id: ID,
    /// The order's full price: partial refunds are not supported.
    pub amount: MoneyInput,
    /// Why, shown to the buyer by PayPal.
    pub reason: String,
}

/// `refundOrder`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct RefundOrderPayload {
    /// The order as now (REFUNDED).
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
    /// Refunds an unfulfilled order's payment in full at PayPal and records
    /// the correcting entry. The order's seller or ADMIN. Repeating it for a
    /// refunded order changes nothing.
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
        let loaded = load_order(services, order_id).await?;
        let order = &loaded.state;
        let Some(total) = order.total() else {
            return Ok(refused_with(refused(&OrderError::NotFound)));
        };
        if claims.role != Role::Admin && order.seller() != Some(UserId::from_uuid(claims.sub)) {
            return Ok(refused_with(UserError::forbidden()));
        }
        if amount != total {
            return Ok(refused_with(UserError::invalid(
                "input.amount",
                format!("only full refunds are supported: refund {total}"),
            )));
        }
        // Ask the domain first, with no fee returned (the case that takes
        // most cash out), so that a refusal never follows a refund at PayPal.
        let rehearsal = RefundPayment {
            refund_id: ProviderRefundId::parse("rehearsal").map_err(|error| internal(&error))?,
            amount,
            fee_returned: DomainMoney::zero(amount.currency()),
            entry_id: EntryId::from_uuid(Uuid::nil()),
            refunded_at: Utc::now(),
        };
        let capital = load_capital(services, amount.currency()).await?;
        if let Err(error) = refund_payment(order, &capital, rehearsal) {
            return Ok(refused_with(refused(&error)));
        }
        let capture_id = order
            .capture_id()
            .ok_or_else(|| internal(&"a refundable order has a capture"))?
            .to_string();
        // One refund per order at PayPal, however often this is retried.
        let refund = match services
            .paypal
            .refund_capture(
                &capture_id,
                Some(&wire_money(amount)),
                Some(reason),
                &format!("refund-{order_id}"),
            )
            .await
        {
            Ok(refund) => refund,
            Err(error) => {
                tracing::warn!(%error, %order_id, "PayPal refused the refund");
                return Ok(refused_with(UserError::new(
                    "REFUND_FAILED",
                    "PayPal did not refund the payment; nothing was recorded. Try again later.",
                )));
            }
        };
        let fee_returned = match &refund.paypal_fee {
            Some(fee) => domain_money(fee).map_err(|error| internal(&error))?,
            None => DomainMoney::zero(amount.currency()),
        };
        let command = RefundPayment {
            refund_id: ProviderRefundId::parse(&refund.id).map_err(|error| internal(&error))?,
            amount,
            fee_returned,
            // One refund, one entry: a retried request records it once.
            entry_id: EntryId::from_uuid(Uuid::new_v5(&order_id.as_uuid(), refund.id.as_bytes())),
            refunded_at: Utc::now(),
        };
        let metadata = request.metadata(Uuid::new_v5(&order_id.as_uuid(), b"refund"));
        let order_stream = OrderState::stream_id(order_id);
        let capital_stream = WorkingCapital::stream_id(amount.currency());
        let outcome = services
            .store
            .execute(|| async {
                let order = services
                    .store
                    .load(&order_stream, OrderState::default())
                    .await?;
                if order.state.status() == Some(dropledger_domain::OrderStatus::Refunded) {
                    // Recorded by an earlier attempt.
                    return Ok((Vec::new(), ()));
                }
                let capital = services
                    .store
                    .load(&capital_stream, WorkingCapital::new(amount.currency()))
                    .await?;
                let decision = refund_payment(&order.state, &capital.state, command.clone())
                    .map_err(CommandError::Refused)?;
                Ok((
                    vec![
                        order.append(&decision.order, &metadata),
                        capital.append(&decision.capital, &metadata),
                    ],
                    (),
                ))
            })
            .await
            .map(count_appends);
        let appends = match outcome {
            Ok(((), appends)) => appends,
            Err(error) => {
                // PayPal refunded but the books refused: the same request again
                // finds PayPal's refund (same request id) and records it.
                tracing::error!(%order_id, refund_id = %refund.id, "refunded at PayPal but not recorded");
                return Ok(refused_with(command_failure(error)?));
            }
        };
        metrics::counter!("dropledger_orders_refunded_total").increment(1);
        Ok(RefundOrderPayload {
            order: view(load_order(services, order_id).await?),
            provider_refund_id: Some(refund.id),
            position: position_of(services, &appends).await?,
            user_errors: Vec::new(),
        })
    }
}

async fn load_capital(
    services: &Services,
    currency: dropledger_domain::Currency,
) -> async_graphql::Result<WorkingCapital> {
    Ok(services
        .store
        .load::<_, std::convert::Infallible>(
            &WorkingCapital::stream_id(currency),
            WorkingCapital::new(currency),
        )
        .await
        .map_err(|error| internal(&error))?
        .state)
}
