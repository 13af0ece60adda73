//! Sending a reserved payout and recording the provider's final answer.

use std::time::Duration;

use chrono::Utc;
use dropledger_domain::{
    confirm_payout, ConfirmPayout, EntryId, Money, Payee, PayoutDestination, PayoutFailureReason,
    PayoutId, ProviderPayoutId,
};
use dropledger_eventstore::LoggedEvent;
use dropledger_integrations::{
    Opened, PayPalError, PayoutBatchItem, PayoutBatchRequest, PayoutItem, PayoutItemStatus,
    PayoutProvider, PayoutRequest, PayoutState,
};

use super::{provider_rejected, PayoutStepError, Payouts, ACTOR};
use crate::command::{decide_payout, derived_id, metadata};

/// Reads of an item's status before the step is left to a later retry.
const STATUS_POLLS_MAX: u32 = 10;
/// Pause between reads of an item's status.
const STATUS_POLL_INTERVAL_MS: u64 = 300;

/// Why a payout was not confirmed.
pub enum SendError {
    /// The provider refused or returned it: record FAILED.
    Refused(PayoutFailureReason),
    /// Not final yet, the provider could not be reached, or the store
    /// failed: try again later with the same reference.
    Retry(PayoutStepError),
}

impl<E: Into<PayoutStepError>> From<E> for SendError {
    fn from(error: E) -> Self {
        SendError::Retry(error.into())
    }
}

/// Not final yet, or not reached: asked again later.
fn pending(what: impl std::fmt::Display) -> SendError {
    SendError::Retry(PayoutStepError::Pending(what.to_string()))
}

/// The address or payee id to pay, opened from its sealed form; a payee
/// whose personal data was erased has none (FAILED, missing e-mail).
async fn open_destination(
    payouts: &Payouts,
    destination: &PayoutDestination,
    payee: Payee,
) -> Result<String, SendError> {
    let text = match destination {
        PayoutDestination::Paypal { email } => email,
        PayoutDestination::Payoneer { payee_id } => payee_id,
    };
    let owner = match payee {
        Payee::User { user_id } => Some(user_id.as_uuid()),
        Payee::Admin => None,
    };
    match payouts.personal.open(text, owner).await {
        Ok(Opened::Plain(receiver)) => Ok(receiver),
        Ok(Opened::Erased) => Err(SendError::Refused(PayoutFailureReason::MissingPayoutEmail)),
        Err(error) => Err(SendError::Retry(PayoutStepError::Incomplete(format!(
            "the payout destination could not be opened: {error}"
        )))),
    }
}

/// Sends (idempotently) and waits, bounded, for a final status; SENT is
/// recorded here.
pub async fn send(
    payouts: &Payouts,
    event: &LoggedEvent,
    payout_id: PayoutId,
    destination: &PayoutDestination,
    payee: Payee,
    amount: Money,
) -> Result<(), SendError> {
    let reference = payout_id.as_uuid().simple().to_string();
    let receiver = open_destination(payouts, destination, payee).await?;
    let (provider_payout_id, fee) = match destination {
        PayoutDestination::Paypal { .. } => {
            let item = paypal(payouts, &reference, &receiver, amount).await?;
            let fee = match item.fee {
                Some(fee) if fee.currency() != amount.currency() => {
                    return Err(PayoutStepError::Incomplete(format!(
                        "PayPal's payout fee {fee} is not in the payout's currency"
                    ))
                    .into())
                }
                Some(fee) => fee,
                None => Money::zero(amount.currency()),
            };
            (item.payout_item_id, fee)
        }
        PayoutDestination::Payoneer { .. } => {
            let Some(client) = &payouts.payoneer else {
                tracing::error!(%payout_id, "the payee chose Payoneer but Payoneer is not configured");
                return Err(SendError::Refused(provider_rejected()));
            };
            let request = PayoutRequest {
                reference: reference.clone(),
                recipient: receiver.clone(),
                amount,
                note: Some("dropledger payout".to_owned()),
            };
            let receipt = match client.send_payout(&request).await {
                Ok(receipt) => receipt,
                Err(error) if error.is_retryable() => return Err(pending(error)),
                Err(error) => {
                    tracing::warn!(%error, "Payoneer refused the payout");
                    return Err(SendError::Refused(provider_rejected()));
                }
            };
            let mut state = receipt.state.clone();
            for _ in 0..STATUS_POLLS_MAX {
                if state.is_final() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(STATUS_POLL_INTERVAL_MS)).await;
                state = client
                    .payout_state(&receipt.provider_payout_id)
                    .await
                    .map_err(pending)?;
            }
            match state {
                PayoutState::Paid => (receipt.provider_payout_id, Money::zero(amount.currency())),
                PayoutState::Returned | PayoutState::Cancelled => {
                    return Err(SendError::Refused(PayoutFailureReason::Returned))
                }
                PayoutState::Failed(_) => return Err(SendError::Refused(provider_rejected())),
                other => return Err(pending(format!("Payoneer payout still {other:?}"))),
            }
        }
    };
    let command = ConfirmPayout {
        provider_payout_id: ProviderPayoutId::parse(&provider_payout_id).map_err(|error| {
            PayoutStepError::Incomplete(format!("the provider's payout id: {error}"))
        })?,
        entry_id: EntryId::from_uuid(derived_id(event, &format!("sent:{payout_id}"))),
        fee,
        fee_entry_id: EntryId::from_uuid(derived_id(event, &format!("fee:{payout_id}"))),
        sent_at: Utc::now(),
    };
    decide_payout(
        &payouts.store,
        &dropledger_domain::Payout::stream_id(payout_id),
        &metadata(event, ACTOR, &format!("confirm:{payout_id}")),
        |payout, capital| confirm_payout(payout, capital, command.clone()),
    )
    .await?;
    tracing::info!(%payout_id, %amount, %fee, "payout SENT");
    Ok(())
}

/// PayPal Payouts: one batch per payout, `sender_batch_id` = our payout id
/// (also the request id), then the item read until final (bounded).
async fn paypal(
    payouts: &Payouts,
    reference: &str,
    receiver: &str,
    amount: Money,
) -> Result<PayoutItem, SendError> {
    let client = &payouts.paypal;
    let batch = match client
        .create_payout_batch(&PayoutBatchRequest {
            sender_batch_id: reference.to_owned(),
            email_subject: "You have a payout from dropledger".to_owned(),
            items: vec![PayoutBatchItem {
                receiver: receiver.to_owned(),
                amount,
                sender_item_id: reference.to_owned(),
                note: Some("dropledger payout".to_owned()),
            }],
        })
        .await
    {
        Ok(batch) => batch,
        Err(error) => {
            let error = dropledger_integrations::PayoutError::PayPal(error);
            if error.is_retryable() || error.is_insufficient_funds() {
                // PayPal's balance lags the ledger (see PROVIDERS.md): try later.
                return Err(pending(error));
            }
            tracing::warn!(%error, "PayPal refused the payout");
            return Err(SendError::Refused(provider_rejected()));
        }
    };
    for poll in 0..STATUS_POLLS_MAX {
        let read =
            client
                .payout_batch(&batch.payout_batch_id)
                .await
                .map_err(|error| match error {
                    // Not a pending answer: an amount the ledger cannot hold is for a person.
                    PayPalError::Amount(refused) => SendError::Retry(PayoutStepError::Incomplete(
                        format!("PayPal's payout item: {refused}"),
                    )),
                    other => pending(other),
                })?;
        let Some(item) = read.items.into_iter().next() else {
            return Err(pending("PayPal's payout batch has no item"));
        };
        match item.transaction_status {
            PayoutItemStatus::Success => return Ok(item),
            PayoutItemStatus::Failed | PayoutItemStatus::Blocked => {
                return Err(SendError::Refused(provider_rejected()))
            }
            PayoutItemStatus::Returned
            | PayoutItemStatus::Refunded
            | PayoutItemStatus::Reversed => {
                return Err(SendError::Refused(PayoutFailureReason::Returned))
            }
            _ if poll + 1 < STATUS_POLLS_MAX => {
                tokio::time::sleep(Duration::from_millis(STATUS_POLL_INTERVAL_MS)).await;
            }
            other => {
                return Err(pending(format!(
                    "PayPal payout item {} still {other:?}",
                    item.payout_item_id
                )))
            }
        }
    }
    unreachable!("the last poll returns")
}
