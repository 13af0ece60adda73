//! `disputes` and `respondToDispute`: customers' disputes of orders, as
//! PayPal lists them and our books record them, and the seller's (or an
//! ADMIN's) answer at PayPal (`dropledger_workflows::payment`).

use async_graphql::{Context, Enum, InputObject, Object, SimpleObject, ID};
use dropledger_domain::{DisputeAnswer, DisputeOutcome, ProviderDisputeId, UserId};
use dropledger_workflows::payment::{self, DisputeRecord, DisputeResponse, Refunder};
use uuid::Uuid;

use crate::auth::Role;
use crate::checkout::payment_failure;
use crate::context::parts;
use crate::errors::{top_level, UserError};
use crate::money::Money;

/// Longest note to PayPal with an answer, in characters.
const NOTE_CHARS_MAX: usize = 2_000;
/// Most disputes one query returns (PayPal's page).
const DISPUTES_FIRST_MAX: usize = payment::DISPUTES_PAGE_SIZE_MAX;

/// How to answer a dispute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "DisputeAction")]
pub enum DisputeActionInput {
    /// Accept the customer's claim: they are refunded, the sale reversed.
    Accept,
    /// Give PayPal the tracking number uploaded for the order.
    ProvideEvidence,
}

/// How a dispute ended, for the platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum DisputeResult {
    /// PayPal decided for the platform: the money held returned.
    Won,
    /// PayPal decided for the customer: refunded, with its fee.
    Lost,
}

/// A customer's dispute of an order.
#[derive(Debug, SimpleObject)]
pub struct DisputeView {
    /// PayPal's dispute id.
    pub id: ID,
    /// The order disputed.
    pub order_id: ID,
    /// The disputed amount (PayPal holds it until the outcome).
    pub amount: Money,
    /// PayPal's reason, e.g. `MERCHANDISE_OR_SERVICE_NOT_RECEIVED`.
    pub reason: String,
    /// PayPal's stage: `INQUIRY`, `CHARGEBACK`, …
    pub stage: String,
    /// PayPal's status: `WAITING_FOR_SELLER_RESPONSE`, `UNDER_REVIEW`, `RESOLVED`, …
    pub status: String,
    /// Our answer, once given.
    pub answer: Option<DisputeActionInput>,
    /// The outcome, once resolved.
    pub outcome: Option<DisputeResult>,
}

impl From<DisputeRecord> for DisputeView {
    fn from(record: DisputeRecord) -> Self {
        DisputeView {
            id: ID(record.dispute_id.to_string()),
            order_id: ID(record.order_id.to_string()),
            amount: record.amount.into(),
            reason: record.reason,
            stage: record.stage,
            status: record.status,
            answer: record.answer.map(|answer| match answer {
                DisputeAnswer::Accept => DisputeActionInput::Accept,
                DisputeAnswer::ProvideEvidence => DisputeActionInput::ProvideEvidence,
            }),
            outcome: record.outcome.map(|outcome| match outcome {
                DisputeOutcome::Won => DisputeResult::Won,
                DisputeOutcome::Lost => DisputeResult::Lost,
            }),
        }
    }
}

/// Dispute queries.
#[derive(Default)]
pub struct DisputeQuery;

#[Object]
impl DisputeQuery {
    /// Customers' disputes, newest first (PayPal's latest page, at most
    /// 50): a seller sees those of the orders they sell, ADMIN and
    /// ACCOUNTANT all.
    async fn disputes(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
    ) -> async_graphql::Result<Vec<DisputeView>> {
        let (services, request) = parts(ctx);
        let claims = request
            .require(&[Role::User, Role::Admin, Role::Accountant])
            .map_err(top_level)?;
        let viewer = match claims.role {
            Role::User => Some(Refunder::Seller(UserId::from_uuid(claims.sub))),
            _ => None,
        };
        let first = first
            .map_or(DISPUTES_FIRST_MAX, |first| first.max(0) as usize)
            .min(DISPUTES_FIRST_MAX);
        let records = payment::list_disputes(&services.store, &services.paypal, viewer)
            .await
            .map_err(|error| match payment_failure(error) {
                Ok(refusal) => top_level(refusal),
                Err(internal) => internal,
            })?;
        Ok(records
            .into_iter()
            .take(first)
            .map(DisputeView::from)
            .collect())
    }
}

/// `respondToDispute`'s input.
#[derive(Debug, InputObject)]
pub struct RespondToDisputeInput {
    /// PayPal's dispute id.
    pub dispute_id: ID,
    /// Accept the claim, or provide the tracking number as evidence.
    pub action: DisputeActionInput,
    /// A note for PayPal and the customer.
    pub note: Option<String>,
}

/// `respondToDispute`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct RespondToDisputePayload {
    /// The dispute answered.
    pub dispute_id: Option<ID>,
    /// The order disputed.
    pub order_id: Option<ID>,
    /// Why nothing was answered.
    pub user_errors: Vec<UserError>,
}

/// Dispute mutations.
#[derive(Default)]
pub struct DisputeMutation;

#[Object]
impl DisputeMutation {
    /// Answers a dispute at PayPal, once: accept the claim, or provide the
    /// tracking number uploaded for the order. The order's seller or ADMIN.
    async fn respond_to_dispute(
        &self,
        ctx: &Context<'_>,
        input: RespondToDisputeInput,
    ) -> async_graphql::Result<RespondToDisputePayload> {
        let (services, request) = parts(ctx);
        let refused_with = |error| RespondToDisputePayload {
            user_errors: vec![error],
            ..Default::default()
        };
        let claims = match request.require(&[Role::User, Role::Admin]) {
            Ok(claims) => claims.clone(),
            Err(error) => return Ok(refused_with(error)),
        };
        let Ok(dispute_id) = ProviderDisputeId::parse(&input.dispute_id) else {
            return Ok(refused_with(UserError::invalid(
                "input.disputeId",
                "not a dispute id",
            )));
        };
        let note = input.note.unwrap_or_default().trim().to_owned();
        if note.chars().count() > NOTE_CHARS_MAX {
            return Ok(refused_with(UserError::invalid(
                "input.note",
                format!("must have at most {NOTE_CHARS_MAX} characters"),
            )));
        }
        let by = if claims.role == Role::Admin {
            Refunder::Admin
        } else {
            Refunder::Seller(UserId::from_uuid(claims.sub))
        };
        let order_id = match payment::order_of_dispute(&services.paypal, &dispute_id).await {
            Ok(order_id) => order_id,
            Err(error) => return Ok(refused_with(payment_failure(error)?)),
        };
        let answer = match input.action {
            DisputeActionInput::Accept => DisputeAnswer::Accept,
            DisputeActionInput::ProvideEvidence => DisputeAnswer::ProvideEvidence,
        };
        let metadata = request.metadata(Uuid::new_v4());
        let response = DisputeResponse {
            order_id,
            dispute_id: dispute_id.clone(),
            answer,
            note,
            by,
        };
        if let Err(error) = payment::respond_to_dispute(
            &services.store,
            &services.paypal,
            &services.personal,
            response,
            &metadata,
        )
        .await
        {
            return Ok(refused_with(payment_failure(error)?));
        }
        Ok(RespondToDisputePayload {
            dispute_id: Some(ID(dispute_id.to_string())),
            order_id: Some(ID(order_id.to_string())),
            user_errors: Vec::new(),
        })
    }
}
