//! The queries over the read models (projections), merged into the root:
//! products, orders, sales, payouts, the books, cash reconciliations, the
//! audit trail and the read models' own state.

use async_graphql::MergedObject;

use crate::audit::AuditQuery;
use crate::books::BooksQuery;
use crate::orders::StorefrontQuery;
use crate::reconciliation::ReconciliationQuery;
use crate::sales::SalesQuery;

/// Every projection-backed query.
#[derive(MergedObject, Default)]
pub struct ReadModelQuery(
    StorefrontQuery,
    SalesQuery,
    BooksQuery,
    AuditQuery,
    ReconciliationQuery,
);
