//! A customer's dispute (or chargeback) at PayPal: recorded when PayPal
//! reports it (`CUSTOMER.DISPUTE.*` webhooks, or a read of the Disputes
//! API — both record a dispute id once), and answered at PayPal by the
//! order's seller or an ADMIN (accept the claim, or the tracking number we
//! uploaded as evidence). What the books do is the domain's
//! `open_dispute` / `resolve_dispute` (LEDGER.md, "Disputes").

use chrono::{DateTime, Utc};
use dropledger_domain::{
    open_dispute, resolve_dispute, Aggregate, DisputeAnswer, DisputeDecision, DisputeOutcome,
    Money, OpenDispute, Order, OrderCommand, OrderError, OrderId, ProviderDisputeId,
    ResolveDispute, SaleError, WorkingCapital,
};
use dropledger_eventstore::{CommandError, EventStore, Loaded, Metadata, StreamAppend};
use dropledger_integrations::{Dispute, PayPalClient, PersonalData};
use uuid::Uuid;

use super::refund::Refunder;
use super::sale_parties::SaleParties;
use super::PaymentError;
use crate::order::load_order;

/// A dispute as PayPal reports it, in our terms.
#[derive(Debug, Clone)]
pub struct ReportedDispute {
    /// Our order (from the capture's `custom_id`, echoed as `custom`).
    pub order_id: OrderId,
    /// What opens it on the order.
    pub opened: OpenDispute,
    /// The outcome, once PayPal resolved it.
    pub resolved: Option<ResolveDispute>,
}

impl ReportedDispute {
    /// Reads PayPal's dispute; an error names what is unusable. A dispute
    /// resolved neither way (cancelled by the customer, or another
    /// outcome) returns its money as a win does.
    pub fn from_paypal(dispute: &Dispute) -> Result<ReportedDispute, String> {
        let order_id = dispute
            .custom
            .as_deref()
            .and_then(|custom| custom.strip_prefix("order-"))
            .and_then(|id| id.parse::<OrderId>().ok())
            .ok_or("a dispute without our order in custom")?;
        let dispute_id =
            ProviderDisputeId::parse(&dispute.id).map_err(|_| "a dispute with an unusable id")?;
        let time = |text: Option<&str>| {
            text.and_then(|time| DateTime::parse_from_rfc3339(time).ok())
                .map_or_else(Utc::now, |time| time.with_timezone(&Utc))
        };
        let currency = dispute.amount.currency();
        let resolved = (dispute.status == "RESOLVED").then(|| ResolveDispute {
            dispute_id: dispute_id.clone(),
            outcome: if dispute.lost() {
                DisputeOutcome::Lost
            } else {
                DisputeOutcome::Won
            },
            chargeback_fee: dispute
                .fee
                .filter(|_| dispute.lost())
                .unwrap_or(Money::zero(currency)),
            resolved_at: time(dispute.updated_at.as_deref()),
        });
        Ok(ReportedDispute {
            order_id,
            opened: OpenDispute {
                dispute_id,
                amount: dispute.amount,
                reason: dispute.reason.clone(),
                opened_at: time(dispute.created_at.as_deref()),
            },
            resolved,
        })
    }
}

/// Records what PayPal reports of a dispute, once: opened (if not yet),
/// then resolved (if it is). Repeated reports record nothing new.
pub async fn record_dispute(
    store: &EventStore,
    reported: &ReportedDispute,
    metadata: &Metadata,
) -> Result<(), PaymentError> {
    record_opened(store, reported, metadata).await?;
    if let Some(resolved) = &reported.resolved {
        record_resolved(store, reported.order_id, resolved, metadata).await?;
    }
    Ok(())
}

async fn record_opened(
    store: &EventStore,
    reported: &ReportedDispute,
    metadata: &Metadata,
) -> Result<(), PaymentError> {
    let order_stream = Order::stream_id(reported.order_id);
    store
        .execute(|| async {
            let order: Loaded<Order> = store.load(&order_stream, Order::default()).await?;
            if order.state.dispute(&reported.opened.dispute_id).is_some() {
                return Ok((Vec::new(), ()));
            }
            let (capital, parties) = load_parties(store, &order.state).await?;
            let payouts = parties
                .as_ref()
                .map(SaleParties::payout_states)
                .unwrap_or_default();
            let decision = open_dispute(
                &order.state,
                &capital.state,
                &payouts,
                reported.opened.clone(),
            )
            .map_err(CommandError::Refused)?;
            Ok((
                appends(&order, &capital, parties.as_ref(), &decision, metadata),
                (),
            ))
        })
        .await?;
    Ok(())
}

async fn record_resolved(
    store: &EventStore,
    order_id: OrderId,
    resolved: &ResolveDispute,
    metadata: &Metadata,
) -> Result<(), PaymentError> {
    let order_stream = Order::stream_id(order_id);
    store
        .execute(|| async {
            let order: Loaded<Order> = store.load(&order_stream, Order::default()).await?;
            let recorded = order.state.dispute(&resolved.dispute_id);
            if recorded.is_some_and(|dispute| dispute.outcome.is_some()) {
                return Ok((Vec::new(), ()));
            }
            let (capital, parties) = load_parties(store, &order.state).await?;
            let (sale, payouts, receivables) = match &parties {
                Some(parties) => (
                    parties.sale.state.clone(),
                    parties.payout_states(),
                    parties.receivable_states(),
                ),
                None => Default::default(),
            };
            let decision = resolve_dispute(
                &order.state,
                &capital.state,
                &sale,
                &payouts,
                &receivables,
                resolved.clone(),
            )
            .map_err(CommandError::Refused)?;
            Ok((
                appends(&order, &capital, parties.as_ref(), &decision, metadata),
                (),
            ))
        })
        .await?;
    Ok(())
}

/// Working capital in the order's currency, and the order's sale parties
/// once it is sold.
async fn load_parties(
    store: &EventStore,
    order: &Order,
) -> Result<(Loaded<WorkingCapital>, Option<SaleParties>), CommandError<SaleError>> {
    let currency = order
        .total()
        .map(|total| total.currency())
        .ok_or(CommandError::Refused(SaleError::Order(
            OrderError::NotFound,
        )))?;
    let capital = store
        .load_cached(
            &WorkingCapital::stream_id(currency),
            WorkingCapital::new(currency),
        )
        .await?;
    let parties = match order.sale_id() {
        Some(sale_id) => Some(SaleParties::load(store, sale_id).await?),
        None => None,
    };
    Ok((capital, parties))
}

/// The appends of a dispute's decision: the order, the sale parties, and
/// capital last, as every command appends it.
fn appends(
    order: &Loaded<Order>,
    capital: &Loaded<WorkingCapital>,
    parties: Option<&SaleParties>,
    decision: &DisputeDecision,
    metadata: &Metadata,
) -> Vec<StreamAppend> {
    let mut appends = vec![order.append(&decision.order, metadata)];
    if let Some(parties) = parties {
        appends.extend(parties.appends(decision, metadata));
    }
    appends.push(capital.append_commuting(&decision.capital, metadata));
    appends
}

/// An answer to a dispute asked for.
#[derive(Debug, Clone)]
pub struct DisputeResponse {
    /// The order disputed.
    pub order_id: OrderId,
    /// PayPal's dispute id.
    pub dispute_id: ProviderDisputeId,
    /// Accept the claim, or give the tracking number as evidence.
    pub answer: DisputeAnswer,
    /// A note for PayPal and the customer.
    pub note: String,
    /// Who answers: the order's seller or an ADMIN.
    pub by: Refunder,
}

/// Answers a dispute at PayPal and records the answer on the order. The
/// domain is asked first (an unknown, answered or resolved dispute, or
/// evidence without a tracking number, is refused before PayPal is), and
/// PayPal's request id derives from the dispute and the answer, so a retry
/// (or two callers at once) answer PayPal once; the order's expected
/// version lets one record it, the others are told it was answered.
pub async fn respond_to_dispute(
    store: &EventStore,
    paypal: &PayPalClient,
    personal: &PersonalData,
    response: DisputeResponse,
    metadata: &Metadata,
) -> Result<(), PaymentError> {
    let order = load_order(store, response.order_id).await?.state;
    if let Refunder::Seller(user) = response.by {
        if order.seller() != Some(user) {
            return Err(PaymentError::NotTheSeller);
        }
    }
    let command = OrderCommand::AnswerDispute {
        dispute_id: response.dispute_id.clone(),
        answer: response.answer,
        answered_at: Utc::now(),
    };
    order
        .decide(command.clone())
        .map_err(|error| PaymentError::refused(&error))?;
    let dispute_id = response.dispute_id.as_str();
    let request_id = format!("dispute-{:?}-{dispute_id}", response.answer);
    let answered = match response.answer {
        DisputeAnswer::Accept => {
            paypal
                .accept_claim(dispute_id, &response.note, &request_id)
                .await
        }
        DisputeAnswer::ProvideEvidence => {
            // Opened for PayPal only: the buyer's sealed tracking number
            // (erased: no evidence to give).
            let tracking = match order.tracking_number() {
                Some(sealed) => personal
                    .open(sealed, order.buyer().map(|buyer| buyer.as_uuid()))
                    .await
                    .ok()
                    .and_then(|opened| opened.into_plain())
                    .unwrap_or_default(),
                None => String::new(),
            };
            let tracking = tracking.as_str();
            // The carrier as the supplier named it is not kept on the
            // order; PayPal takes OTHER with the tracking number.
            paypal
                .provide_evidence(dispute_id, "OTHER", tracking, &response.note, &request_id)
                .await
        }
    };
    if let Err(error) = answered {
        tracing::warn!(%error, dispute_id, "PayPal refused the answer to a dispute");
        return Err(PaymentError::DisputeAnswerFailed);
    }
    let metadata = Metadata {
        command_id: Some(Uuid::new_v5(
            &response.order_id.as_uuid(),
            request_id.as_bytes(),
        )),
        ..metadata.clone()
    };
    store
        .execute(|| async {
            let order: Loaded<Order> = store
                .load(&Order::stream_id(response.order_id), Order::default())
                .await?;
            let events = order
                .state
                .decide(command.clone())
                .map_err(CommandError::Refused)?;
            Ok((vec![order.append(&events, &metadata)], ()))
        })
        .await?;
    Ok(())
}
