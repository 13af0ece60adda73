//! `auditTrail` (every event's metadata, searchable) and `projections`
//! (how far each read model is), for ADMIN and ACCOUNTANT; and the state
//! of the read models that `/healthz` reports.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::{DateTime, Utc};
use dropledger_projections::{
    audit_trail, projection_status, projections_with_runner, AuditFilter, AuditRecord, Projection,
    ProjectionState, QueryError,
};
use serde::Serialize;
use uuid::Uuid;

use crate::auth::Role;
use crate::consistency::wait_for_read_models;
use crate::context::{parts, Services};
use crate::errors::{internal, top_level, UserError};
use crate::orders::require;
use crate::paging::{connection, page_request, ReadConnection};

/// Who reads the audit trail and the read models' state.
const AUDITORS: [Role; 2] = [Role::Admin, Role::Accountant];
/// Longest stream id or actor accepted in a filter, in characters.
const FILTER_TEXT_CHARS_MAX: usize = 200;

/// Which audit records to list; every field given narrows the list.
#[derive(Debug, Default, InputObject)]
pub struct AuditTrailFilter {
    /// Only events of this stream, e.g. `order-<uuid>`.
    pub stream_id: Option<String>,
    /// Only events of this flow (the `X-Correlation-Id` of its request).
    pub correlation_id: Option<ID>,
    /// Only events by this actor: a user id or `system:<process>`.
    pub actor_id: Option<String>,
    /// Only events recorded at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Only events recorded before this time.
    pub to: Option<DateTime<Utc>>,
}

impl AuditTrailFilter {
    fn parse(self) -> Result<AuditFilter, UserError> {
        for (field, text) in [
            ("filter.streamId", &self.stream_id),
            ("filter.actorId", &self.actor_id),
        ] {
            if text
                .as_ref()
                .is_some_and(|text| text.chars().count() > FILTER_TEXT_CHARS_MAX)
            {
                return Err(UserError::invalid(
                    field,
                    format!("must have at most {FILTER_TEXT_CHARS_MAX} characters"),
                ));
            }
        }
        let correlation_id = self
            .correlation_id
            .map(|id| {
                Uuid::parse_str(id.trim())
                    .map_err(|_| UserError::invalid("filter.correlationId", "not a UUID"))
            })
            .transpose()?;
        if let (Some(from), Some(to)) = (self.from, self.to) {
            if to < from {
                return Err(UserError::invalid("filter.to", "is before filter.from"));
            }
        }
        Ok(AuditFilter {
            stream_id: self.stream_id,
            correlation_id,
            actor: self.actor_id,
            from: self.from,
            to: self.to,
        })
    }
}

/// One event's record in the audit trail.
#[derive(Debug, Clone, SimpleObject)]
pub struct AuditEntry {
    /// Its global position.
    pub position: i64,
    /// Its id.
    pub event_id: ID,
    /// Its stream.
    pub stream_id: String,
    /// Its version in the stream.
    pub stream_version: i64,
    /// Its type, e.g. `OrderPaid`.
    pub event_type: String,
    /// The flow it belongs to.
    pub correlation_id: ID,
    /// What caused it.
    pub causation_id: Option<ID>,
    /// Who caused it: a user id or `system:<process>`.
    pub actor_id: String,
    /// The command that decided it.
    pub command_id: Option<ID>,
    /// When it was recorded (RFC 3339, UTC).
    pub recorded_at: String,
}

impl From<AuditRecord> for AuditEntry {
    fn from(record: AuditRecord) -> Self {
        Self {
            position: record.position as i64,
            event_id: ID(record.event_id.to_string()),
            stream_id: record.stream_id,
            stream_version: record.stream_version as i64,
            event_type: record.event_type,
            correlation_id: ID(record.correlation_id.to_string()),
            causation_id: record.causation_id.map(|id| ID(id.to_string())),
            actor_id: record.actor,
            command_id: record.command_id.map(|id| ID(id.to_string())),
            recorded_at: record.recorded_at.to_rfc3339(),
        }
    }
}

/// A read model's progress and state.
#[derive(Debug, Clone, SimpleObject, Serialize)]
#[graphql(name = "ProjectionStatus")]
pub struct ReadModelStatus {
    /// `ledger`, `commerce` or `audit`.
    pub name: String,
    /// The last log position it applied.
    pub position: i64,
    /// Events it is behind the head of the log.
    pub lag: i64,
    /// `RUNNING` (a runner follows the log), `STOPPED` (no runner holds
    /// it) or `FAILED` (stopped at an event it cannot apply).
    pub status: String,
    /// Why it failed, when FAILED.
    pub error: Option<String>,
    /// The event it stopped at, when FAILED.
    pub failed_position: Option<i64>,
}

/// Every read model's status: position and lag from its checkpoint, and
/// whether a runner (of any process) follows it.
pub(crate) async fn read_model_statuses(
    services: &Services,
) -> Result<Vec<ReadModelStatus>, QueryError> {
    let statuses = projection_status(&services.store).await?;
    let running = projections_with_runner(services.store.pool()).await?;
    Ok(statuses
        .into_iter()
        .map(|status| {
            let followed = Projection::named(status.name).is_some_and(|p| running.contains(&p));
            let (state, error, failed_position) = match status.state {
                ProjectionState::Failed { position, error } => {
                    ("FAILED", Some(error), Some(position as i64))
                }
                ProjectionState::Running if followed => ("RUNNING", None, None),
                ProjectionState::Running => ("STOPPED", None, None),
            };
            ReadModelStatus {
                name: status.name.to_owned(),
                position: status.position as i64,
                lag: status.lag as i64,
                status: state.to_owned(),
                error,
                failed_position,
            }
        })
        .collect())
}

/// `auditTrail` and `projections`.
#[derive(Default)]
pub struct AuditQuery;

#[Object]
impl AuditQuery {
    /// Every event's metadata matching `filter`, oldest first. ADMIN and
    /// ACCOUNTANT. `consistentAfter`: wait (up to 5 s) until the audit read
    /// model has applied this log position.
    #[graphql(complexity = "crate::paging::connection_complexity(first, child_complexity)")]
    async fn audit_trail(
        &self,
        ctx: &Context<'_>,
        filter: Option<AuditTrailFilter>,
        first: Option<i32>,
        after: Option<String>,
        consistent_after: Option<i64>,
    ) -> async_graphql::Result<ReadConnection<AuditEntry>> {
        let (services, request) = parts(ctx);
        require(&request, &AUDITORS)?;
        let page = page_request(first, after.as_deref())?;
        let filter = filter.unwrap_or_default().parse().map_err(top_level)?;
        wait_for_read_models(services, &request, &[Projection::Audit], consistent_after).await?;
        let rows = audit_trail(services.store.pool(), &filter, page.first, page.after)
            .await
            .map_err(|error| internal(&error))?;
        Ok(connection(page, rows, AuditEntry::from))
    }

    /// Each read model's position, lag behind the log and state. ADMIN and
    /// ACCOUNTANT.
    async fn projections(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<ReadModelStatus>> {
        let (services, request) = parts(ctx);
        require(&request, &AUDITORS)?;
        read_model_statuses(services)
            .await
            .map_err(|error| internal(&error))
    }
}
