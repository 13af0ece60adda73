//! `retryFulfilment`: a FAILED purchase is tried again. The mutation only
//! records the request (`OrderRetryRequested`, the order PAID again); the
//! fulfilment process manager reacts to it as it does to a capture.

use async_graphql::{Context, Object, SimpleObject, ID};
use chrono::Utc;
use dropledger_domain::{
    Aggregate, Order as OrderState, OrderCommand, OrderError, OrderId, UserId,
};
use dropledger_eventstore::CommandError;
use uuid::Uuid;

use crate::auth::Role;
use crate::checkout::{load_order, view, OrderView};
use crate::context::{count_appends, parts};
use crate::errors::{command_failure, refused, UserError};

/// `retryFulfilment`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct RetryFulfilmentPayload {
    /// The order as now (PAID again: fulfilment starts on its own).
    pub order: Option<OrderView>,
    /// Why nothing happened.
    pub user_errors: Vec<UserError>,
}

/// Fulfilment mutations.
#[derive(Default)]
pub struct FulfilmentMutation;

#[Object]
impl FulfilmentMutation {
    /// Tries a FAILED purchase again: the order's seller or an ADMIN.
    async fn retry_fulfilment(
        &self,
        ctx: &Context<'_>,
        order_id: ID,
    ) -> async_graphql::Result<RetryFulfilmentPayload> {
        let (services, request) = parts(ctx);
        let refused_with = |error| RetryFulfilmentPayload {
            order: None,
            user_errors: vec![error],
        };
        let claims = match request.require(&[Role::User, Role::Admin]) {
            Ok(claims) => claims.clone(),
            Err(error) => return Ok(refused_with(error)),
        };
        let Ok(order_id) = order_id.parse::<OrderId>() else {
            return Ok(refused_with(UserError::invalid(
                "orderId",
                "not an order id",
            )));
        };
        let loaded = load_order(services, order_id).await?;
        let Some(seller) = loaded.state.seller() else {
            return Ok(refused_with(refused(&OrderError::NotFound)));
        };
        if claims.role != Role::Admin && seller != UserId::from_uuid(claims.sub) {
            return Ok(refused_with(UserError::forbidden()));
        }
        let stream = OrderState::stream_id(order_id);
        let metadata = request.metadata(Uuid::new_v4());
        let outcome = services
            .store
            .execute(|| async {
                let order = services.store.load(&stream, OrderState::default()).await?;
                let events = order
                    .state
                    .decide(OrderCommand::RequestRetry {
                        requested_at: Utc::now(),
                    })
                    .map_err(CommandError::Refused)?;
                Ok((vec![order.append(&events, &metadata)], ()))
            })
            .await
            .map(count_appends);
        if let Err(error) = outcome {
            return Ok(refused_with(command_failure::<OrderError>(error)?));
        }
        Ok(RetryFulfilmentPayload {
            order: view(load_order(services, order_id).await?),
            user_errors: Vec::new(),
        })
    }
}
