//! Settlement by polling: captures PayPal left PENDING are asked about and,
//! once COMPLETED, their cash is recorded as available — the same domain
//! command (`CompleteCapture`) the PayPal webhook uses. Idempotent on the
//! capture id: the entry id derives from it, and a capture no longer pending
//! (completed by the webhook or an earlier poll) is refused by the domain
//! and simply skipped.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dropledger_domain::{
    Aggregate, CapitalCommand, CapitalError, CaptureId, Currency, EntryId, WorkingCapital,
};
use dropledger_eventstore::{AppendError, CommandError, EventStore, Metadata};
use dropledger_integrations::{CaptureStatus, PayPalClient};
use uuid::Uuid;

use crate::current::current_capital;
use crate::error::PollError;

/// How often pending captures are asked about.
pub const SETTLEMENT_POLL_INTERVAL_MS: u64 = 1_000;
/// Namespace of the cash entries that complete captures.
const CAPTURE_ENTRY_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2a0e_93b4_4d71_a5e8_0c7d_31f2_9b64);
/// The currencies whose working capital is settled.
const CURRENCIES: [Currency; 1] = [Currency::Usd];

/// The entry id that completes `capture_id`, whoever records it.
pub fn completion_entry_id(capture_id: &CaptureId) -> EntryId {
    EntryId::from_uuid(Uuid::new_v5(
        &CAPTURE_ENTRY_NAMESPACE,
        capture_id.as_str().as_bytes(),
    ))
}

/// One poll: every pending capture PayPal now reports COMPLETED is recorded.
pub async fn poll(store: &EventStore, paypal: &Arc<PayPalClient>) -> Result<(), PollError> {
    for currency in CURRENCIES {
        let capital = current_capital(store, currency).await?;
        let pending: Vec<(CaptureId, Uuid)> = capital
            .pending_captures()
            .map(|(capture_id, order_id)| (capture_id.clone(), order_id.as_uuid()))
            .collect();
        for (capture_id, order_id) in pending {
            let capture = paypal
                .capture(capture_id.as_str())
                .await
                .map_err(PollError::paypal)?;
            if capture.status != CaptureStatus::Completed {
                continue;
            }
            // The order's flow: its events share the order id as correlation.
            complete_capture(
                store,
                currency,
                &capture_id,
                Utc::now(),
                order_id,
                "system:settlement",
            )
            .await?;
        }
    }
    Ok(())
}

/// Records that PayPal completed `capture_id`, as `actor` in the flow
/// `correlation_id`. A capture that is not pending — completed already (by
/// the webhook or an earlier poll), or not recorded yet — records nothing:
/// the poll finds the second kind once it is recorded.
pub async fn complete_capture(
    store: &EventStore,
    currency: Currency,
    capture_id: &CaptureId,
    effective_at: DateTime<Utc>,
    correlation_id: Uuid,
    actor: &str,
) -> Result<(), CommandError<CapitalError>> {
    let entry_id = completion_entry_id(capture_id);
    let stream = WorkingCapital::stream_id(currency);
    let metadata = Metadata {
        correlation_id,
        causation_id: None,
        actor: actor.to_owned(),
        command_id: Some(entry_id.as_uuid()),
    };
    let outcome = store
        .execute(|| async {
            let capital = store
                .load_cached(&stream, WorkingCapital::new(currency))
                .await?;
            let events = capital
                .state
                .decide(CapitalCommand::CompleteCapture {
                    entry_id,
                    capture_id: capture_id.clone(),
                    effective_at,
                })
                .map_err(CommandError::Refused)?;
            // Cash coming in: no version to expect (see
            // `decide_with_capital`). Its event ids derive from the capture,
            // so the webhook and the poll cannot both record it.
            Ok((vec![capital.append_commuting(&events, &metadata)], ()))
        })
        .await;
    match outcome {
        Ok(_) => {
            tracing::info!(
                capture_id = capture_id.as_str(),
                %actor,
                "capture COMPLETED: cash available"
            );
            Ok(())
        }
        Err(
            CommandError::Refused(CapitalError::UnknownCapture(_))
            | CommandError::Append(AppendError::EventIdConflict { .. }),
        ) => {
            tracing::info!(capture_id = capture_id.as_str(), %actor, "capture not pending here: nothing to settle");
            Ok(())
        }
        Err(error) => Err(error),
    }
}
