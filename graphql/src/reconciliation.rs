//! `reconciliations(first, after)`: the cash reconciliations — PayPal's
//! reported balance against the ledger's cash as of the same moment —
//! newest first, for ADMIN and ACCOUNTANT. Read from the ledger read model.

use async_graphql::{Context, Enum, Object, SimpleObject, ID};
use dropledger_domain::{CashProvider, ReconciliationEvent};
use dropledger_projections::{reconciliations_page, Projection, ReconciliationView};

use crate::auth::Role;
use crate::consistency::wait_for_read_models;
use crate::context::parts;
use crate::errors::internal;
use crate::money::Money;
use crate::orders::require;
use crate::paging::{connection, page_request, ReadConnection};

/// Who reads the reconciliations.
const BOOKKEEPERS: [Role; 2] = [Role::Admin, Role::Accountant];

/// What a reconciliation found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum ReconciliationOutcome {
    /// Every figure agreed (`CashReconciled`).
    Matched,
    /// The provider and the ledger disagree (`CashDifferenceFound`): for review.
    Difference,
}

/// The provider's balance as it reported it.
#[derive(Debug, Clone, SimpleObject)]
pub struct ReportedBalance {
    /// Available plus withheld.
    pub total: Money,
    /// What can be spent or paid out.
    pub available: Money,
    /// What the provider holds back (pending captures, reviews).
    pub withheld: Money,
}

/// The ledger's cash at the provider as of the provider's `asOfTime`.
#[derive(Debug, Clone, SimpleObject)]
pub struct LedgerCashBalance {
    /// Posted `cash:<provider>:available`.
    pub available: Money,
    /// Posted `cash:<provider>:pending`.
    pub pending: Money,
    /// The log position the ledger read model had applied.
    pub position: i64,
}

/// Provider minus ledger, per figure (zero when matched).
#[derive(Debug, Clone, SimpleObject)]
pub struct CashDifferenceAmounts {
    /// Provider total − ledger available − ledger pending.
    pub total: Money,
    /// Provider available − ledger available.
    pub available: Money,
    /// Provider withheld − ledger pending.
    pub pending: Money,
}

/// One cash reconciliation.
#[derive(Debug, Clone, SimpleObject)]
pub struct CashReconciliation {
    /// The event's global position.
    pub position: i64,
    /// `PAYPAL`.
    pub provider: String,
    /// The balance's currency.
    pub currency: String,
    /// Matched, or a difference for review.
    pub outcome: ReconciliationOutcome,
    /// The provider's `as_of_time` (RFC 3339, UTC): both sides are as of it.
    pub as_of_time: String,
    /// When the job compared them (RFC 3339, UTC).
    pub checked_at: String,
    /// What the provider reported.
    pub reported: ReportedBalance,
    /// What the ledger said.
    pub ledger: LedgerCashBalance,
    /// Provider minus ledger.
    pub difference: CashDifferenceAmounts,
    /// The job run that recorded it (its log span and audit records).
    pub correlation_id: ID,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
}

impl From<ReconciliationView> for CashReconciliation {
    fn from(view: ReconciliationView) -> Self {
        let difference = view.event.difference();
        let (outcome, reported, ledger, checked_at) = match view.event {
            ReconciliationEvent::CashReconciled {
                reported,
                ledger,
                checked_at,
                ..
            } => (ReconciliationOutcome::Matched, reported, ledger, checked_at),
            ReconciliationEvent::CashDifferenceFound {
                reported,
                ledger,
                checked_at,
                ..
            } => (
                ReconciliationOutcome::Difference,
                reported,
                ledger,
                checked_at,
            ),
        };
        Self {
            position: view.position as i64,
            provider: match view.stream.provider {
                CashProvider::PayPal => "PAYPAL".to_owned(),
            },
            currency: view.stream.currency.code().to_owned(),
            outcome,
            as_of_time: reported.as_of_time.to_rfc3339(),
            checked_at: checked_at.to_rfc3339(),
            reported: ReportedBalance {
                total: reported.total.into(),
                available: reported.available.into(),
                withheld: reported.withheld.into(),
            },
            ledger: LedgerCashBalance {
                available: ledger.available.into(),
                pending: ledger.pending.into(),
                position: ledger.position as i64,
            },
            difference: CashDifferenceAmounts {
                total: difference.total.into(),
                available: difference.available.into(),
                pending: difference.pending.into(),
            },
            correlation_id: ID(view.correlation_id.to_string()),
            recorded_at: view.recorded_at.to_rfc3339(),
        }
    }
}

/// `reconciliations`.
#[derive(Default)]
pub struct ReconciliationQuery;

#[Object]
impl ReconciliationQuery {
    /// The cash reconciliations, newest first. ADMIN and ACCOUNTANT.
    /// `consistentAfter`: wait (up to 5 s) until the ledger read model has
    /// applied this log position.
    #[graphql(complexity = "crate::paging::connection_complexity(first, child_complexity)")]
    async fn reconciliations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<ReadConnection<CashReconciliation>> {
        let (services, request) = parts(ctx);
        require(&request, &BOOKKEEPERS)?;
        let page = page_request(first, after.as_deref())?;
        wait_for_read_models(services, &request, &[Projection::Ledger], consistent_after).await?;
        let rows = reconciliations_page(services.store.pool(), page.first, page.after)
            .await
            .map_err(|error| internal(&error))?;
        Ok(connection(page, rows, CashReconciliation::from))
    }
}
