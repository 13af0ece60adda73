//! What each decoded event does to the books: the entry it posts and the
//! hold it places or closes, read from the event alone.

use chrono::{DateTime, Utc};
use dropledger_domain::{CapitalEvent, Hold, HoldPurpose, JournalEntry, Payee};
use uuid::Uuid;

use crate::decode::{Decoded, Known};

/// What one event does to the books, before it is checked against the holds.
pub(super) enum HoldChange<'a> {
    None,
    Place(&'a HoldPurpose, &'a Hold),
    Close(&'a Hold, &'static str),
}

pub(super) struct Effect<'a> {
    pub(super) entry: Option<&'a JournalEntry>,
    pub(super) hold: HoldChange<'a>,
    pub(super) effective_at: DateTime<Utc>,
}

fn effect_of(known: &Known) -> Option<Effect<'_>> {
    match known {
        Known::Capital(event) => Some(match event {
            CapitalEvent::CapitalContributed { entry, .. }
            | CapitalEvent::PaymentReceived { entry, .. }
            | CapitalEvent::CaptureCompleted { entry, .. }
            | CapitalEvent::PaymentRefunded { entry, .. }
            | CapitalEvent::SaleRefunded { entry, .. }
            | CapitalEvent::CaptureDenied { entry, .. }
            | CapitalEvent::DisputedFundsHeld { entry, .. }
            | CapitalEvent::DisputedFundsReleased { entry, .. }
            | CapitalEvent::DisputeLost { entry, .. }
            | CapitalEvent::SupplierPurchaseCancelled { entry, .. }
            | CapitalEvent::SupplierRefundReceived { entry, .. } => Effect {
                entry: Some(entry),
                hold: HoldChange::None,
                effective_at: entry.effective_at(),
            },
            CapitalEvent::HoldPlaced { purpose, hold } => Effect {
                entry: None,
                hold: HoldChange::Place(purpose, hold),
                effective_at: hold.placed_at(),
            },
            CapitalEvent::HoldPosted { hold, entry, .. } => Effect {
                entry: Some(entry),
                hold: HoldChange::Close(hold, "POSTED"),
                effective_at: entry.effective_at(),
            },
            CapitalEvent::HoldVoided {
                hold, voided_at, ..
            } => Effect {
                entry: None,
                hold: HoldChange::Close(hold, "VOIDED"),
                effective_at: *voided_at,
            },
        }),
        // A sale, its reversal by a refund, a debt netted against its payout.
        Known::Sale(_, event) => event.entry().map(|entry| Effect {
            entry: Some(entry),
            hold: HoldChange::None,
            effective_at: entry.effective_at(),
        }),
        _ => None,
    }
}

pub(super) fn purpose_columns(purpose: &HoldPurpose) -> (&'static str, Option<Uuid>, Option<Uuid>) {
    match purpose {
        HoldPurpose::Purchase { order_id } => ("PURCHASE", Some(order_id.as_uuid()), None),
        HoldPurpose::Payout { payout_id, payee } => {
            let _: &Payee = payee;
            ("PAYOUT", None, Some(payout_id.as_uuid()))
        }
        HoldPurpose::PayoutFee { payout_id } => ("PAYOUT_FEE", None, Some(payout_id.as_uuid())),
    }
}

/// The effects of a batch's events, up to and including its first
/// undecodable event (an error at its index), with the accounts and holds
/// they touch.
pub(super) type Effects<'a> = Vec<(usize, Result<Effect<'a>, String>)>;

pub(super) fn effects(events: &[Decoded]) -> (Effects<'_>, Vec<String>, Vec<Uuid>) {
    let mut effects = Vec::new();
    let mut accounts: Vec<String> = Vec::new();
    let mut hold_ids: Vec<Uuid> = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let known = match &event.known {
            Ok(known) => known,
            Err(reason) => {
                effects.push((index, Err(reason.clone())));
                break;
            }
        };
        let Some(effect) = effect_of(known) else {
            continue;
        };
        if let Some(entry) = effect.entry {
            accounts.extend(entry.postings().iter().map(|p| p.account().code()));
        }
        match &effect.hold {
            HoldChange::Place(_, hold) | HoldChange::Close(hold, _) => {
                accounts.push(hold.debit().code());
                accounts.push(hold.credit().code());
                hold_ids.push(hold.id().as_uuid());
            }
            HoldChange::None => {}
        }
        effects.push((index, Ok(effect)));
    }
    accounts.sort();
    accounts.dedup();
    hold_ids.sort();
    hold_ids.dedup();
    (effects, accounts, hold_ids)
}
