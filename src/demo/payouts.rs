//! Payouts: the admin's commission and the seller's net profit, reserved
//! against free cash, sent through PayPal Payouts, and confirmed or failed.

use anyhow::{bail, Context};
use chrono::Utc;
use dropledger_domain::{
    confirm_payout, fail_payout, reserve_payout, ConfirmPayout, EntryId, FailPayout, FeeAllowance,
    HoldId, Money, Payee, Payout, PayoutDecision, PayoutDestination, PayoutEnvironment,
    PayoutError, PayoutFailureReason, PayoutStatus, PlatformConfig, ProviderPayoutId,
    ReservePayout, User, WorkingCapital,
};
use dropledger_integrations::{PayoutBatchItem, PayoutBatchRequest, PayoutItem, PayoutItemStatus};
use uuid::Uuid;

use super::sales::OwedPayout;
use super::{domain_money, money, progress, wire_money, Demo, CURRENCY, SYSTEM_ACTOR};

/// The most PayPal may charge to send one payout (its `payout_item_fee`),
/// held with the payout so that paying the fee can never overdraw cash.
const PAYOUT_FEE_ALLOWANCE: &str = "0.25";

/// Pays every owed payout once: reserve, send, confirm or fail.
pub async fn pay_all(demo: &Demo, owed: &[OwedPayout]) -> anyhow::Result<()> {
    for payout in owed {
        pay(demo, *payout).await?;
    }
    Ok(())
}

async fn pay(demo: &Demo, owed: OwedPayout) -> anyhow::Result<()> {
    let payout_id = owed.payout_id;
    let current = demo
        .store
        .load::<_, std::convert::Infallible>(&Payout::stream_id(payout_id), Payout::default())
        .await?;
    let (payee, amount) = current
        .state
        .payee()
        .zip(current.state.amount())
        .context("the payout was never requested")?;
    let destination = destination(demo, payee).await?;
    let command = ReservePayout {
        hold_id: HoldId::from_uuid(Uuid::new_v4()),
        fee_allowance: Some(FeeAllowance {
            hold_id: HoldId::from_uuid(Uuid::new_v4()),
            amount: money(PAYOUT_FEE_ALLOWANCE)?,
        }),
        destination: Some(destination.clone()),
        environment: PayoutEnvironment::Sandbox,
        reserved_at: Utc::now(),
    };
    let status = decide_payout(demo, owed, |payout, capital| {
        reserve_payout(payout, capital, command.clone())
    })
    .await?;
    let who = payee_name(payee);
    if status == PayoutStatus::SkippedInsufficientFunds {
        progress(
            "payout",
            format!("{who} {amount}: PAYOUT_SKIPPED_INSUFFICIENT_FUNDS"),
        );
        return Ok(());
    }
    let PayoutDestination::Paypal { email } = destination else {
        bail!("the demo pays through PayPal only");
    };
    let item = send(demo, owed, email.as_str(), amount).await;
    settle(demo, owed, item, &who, amount).await
}

/// Sends the payout; the payout id is PayPal's `sender_batch_id`, so a
/// retried request never pays twice. Reads the item back for its status
/// and fee.
async fn send(
    demo: &Demo,
    owed: OwedPayout,
    receiver: &str,
    amount: Money,
) -> anyhow::Result<PayoutItem> {
    let reference = owed.payout_id.to_string();
    let batch = demo
        .paypal
        .create_payout_batch(&PayoutBatchRequest {
            sender_batch_id: reference.clone(),
            email_subject: "You have a payout from dropledger".to_owned(),
            items: vec![PayoutBatchItem {
                receiver: receiver.to_owned(),
                amount: wire_money(amount),
                sender_item_id: reference,
                note: Some("dropledger demo payout".to_owned()),
            }],
        })
        .await?;
    let batch = demo.paypal.payout_batch(&batch.payout_batch_id).await?;
    batch
        .items
        .into_iter()
        .next()
        .context("PayPal's payout batch has no item")
}

/// Records what PayPal said: SENT with its fee, FAILED with holds voided,
/// or still in flight.
async fn settle(
    demo: &Demo,
    owed: OwedPayout,
    item: anyhow::Result<PayoutItem>,
    who: &str,
    amount: Money,
) -> anyhow::Result<()> {
    let reason = match item {
        Ok(item) if item.transaction_status == PayoutItemStatus::Success => {
            let fee = match &item.fee {
                Some(fee) => domain_money(fee)?,
                None => Money::zero(CURRENCY),
            };
            let command = ConfirmPayout {
                provider_payout_id: ProviderPayoutId::parse(&item.payout_item_id)?,
                entry_id: EntryId::from_uuid(Uuid::new_v4()),
                fee,
                fee_entry_id: EntryId::from_uuid(Uuid::new_v4()),
                sent_at: Utc::now(),
            };
            decide_payout(demo, owed, |payout, capital| {
                confirm_payout(payout, capital, command.clone())
            })
            .await?;
            let id = item.payout_item_id;
            progress(
                "payout",
                format!("{who} {amount}: SENT (PayPal item {id}, fee {fee})"),
            );
            return Ok(());
        }
        Ok(item) => match item.transaction_status {
            PayoutItemStatus::Failed => PayoutFailureReason::ProviderRejected,
            PayoutItemStatus::Returned
            | PayoutItemStatus::Refunded
            | PayoutItemStatus::Reversed => PayoutFailureReason::Returned,
            other => {
                progress(
                    "payout",
                    format!("{who} {amount}: {other:?} at PayPal, in flight"),
                );
                return Ok(());
            }
        },
        Err(error) => {
            progress(
                "payout",
                format!("{who} {amount}: PayPal refused: {error:#}"),
            );
            PayoutFailureReason::ProviderRejected
        }
    };
    let command = FailPayout {
        reason,
        failed_at: Utc::now(),
    };
    decide_payout(demo, owed, |payout, capital| {
        fail_payout(payout, capital, command.clone())
    })
    .await?;
    progress(
        "payout",
        format!("{who} {amount}: FAILED ({reason:?}); holds voided"),
    );
    Ok(())
}

/// Where a payee is paid: the platform's admin e-mail, or the user's own
/// payout destination.
async fn destination(demo: &Demo, payee: Payee) -> anyhow::Result<PayoutDestination> {
    match payee {
        Payee::Admin => {
            let config = demo
                .store
                .load::<_, std::convert::Infallible>(
                    &PlatformConfig::stream_id(),
                    PlatformConfig::default(),
                )
                .await?;
            Ok(PayoutDestination::Paypal {
                email: config.state.admin_paypal_email()?.clone(),
            })
        }
        Payee::User { user_id } => {
            let user = demo
                .store
                .load::<_, std::convert::Infallible>(&User::stream_id(user_id), User::default())
                .await?;
            user.state
                .payout_destination()
                .cloned()
                .with_context(|| format!("user {user_id} has no payout destination"))
        }
    }
}

fn payee_name(payee: Payee) -> String {
    match payee {
        Payee::Admin => "commission to the admin".to_owned(),
        Payee::User { user_id } => format!("net profit to seller {user_id}"),
    }
}

/// Decides a fact about the payout and working capital together, appends
/// both streams atomically, and returns the payout's status after it.
async fn decide_payout<F>(demo: &Demo, owed: OwedPayout, decide: F) -> anyhow::Result<PayoutStatus>
where
    F: Fn(&Payout, &WorkingCapital) -> Result<PayoutDecision, PayoutError>,
{
    let stream = Payout::stream_id(owed.payout_id);
    let metadata = demo.metadata(owed.correlation_id, SYSTEM_ACTOR);
    // The same atomic payout-and-capital append the payout manager uses.
    Ok(crate::automation::commands::decide_payout(&demo.store, &stream, &metadata, decide).await?)
}
