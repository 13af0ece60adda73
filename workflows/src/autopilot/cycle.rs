//! One autopilot cycle: read the configuration → discover → quote → score →
//! create and publish products for the seller → record, every step a
//! command through `EventStore::execute`.
//!
//! Command ids and product ids derive from the cycle id, so a step retried
//! within a cycle appends nothing twice and lists no supplier product twice;
//! the aggregate itself remembers which supplier products it listed, so a
//! later cycle does not list them again.

use std::collections::BTreeSet;

use crate::autopilot::{AutopilotRunError, AutopilotRunner, CycleReport, CycleStatus};
use chrono::Utc;
use dropledger_domain::{
    decode_event, Aggregate, Autopilot, AutopilotCommand, AutopilotError, AutopilotEvent, CycleId,
    CycleTrigger, FeeRule, Opportunity, Product, ProductCommand, ProductId, ProductOrigin,
    ProductStatus, PublishedListing, UserId,
};
use dropledger_eventstore::{CommandError, EventStore, Loaded, Metadata};
use futures::future::BoxFuture;
use tracing::Instrument;
use uuid::Uuid;

use super::supplier::Supplier;

/// The actor recorded on events of cycles the schedule starts.
pub const SCHEDULE_ACTOR: &str = "system:autopilot";
/// The actor recorded on events of cycles the internal HTTP trigger starts.
pub const EXTERNAL_ACTOR: &str = "system:autopilot-trigger";

/// Runs cycles against the store and the supplier.
pub struct CycleRunner {
    store: EventStore,
    supplier: Supplier,
    fee: FeeRule,
}

fn internal(error: impl std::fmt::Display) -> AutopilotRunError {
    AutopilotRunError::Internal(error.to_string())
}

fn refused(error: CommandError<AutopilotError>) -> AutopilotRunError {
    match error {
        CommandError::Refused(refusal) => AutopilotRunError::Refused(refusal),
        other => internal(other),
    }
}

impl CycleRunner {
    /// A runner asking `supplier`, estimating payment fees with `fee`.
    pub fn new(store: EventStore, supplier: Supplier, fee: FeeRule) -> Self {
        Self {
            store,
            supplier,
            fee,
        }
    }

    /// The autopilot as now.
    pub async fn load(&self) -> Result<Loaded<Autopilot>, AutopilotRunError> {
        self.store
            .load_cached::<_, AutopilotError>(Autopilot::STREAM_ID, Autopilot::default())
            .await
            .map_err(internal)
    }

    async fn command(
        &self,
        metadata: &Metadata,
        command: AutopilotCommand,
    ) -> Result<(), CommandError<AutopilotError>> {
        self.store
            .execute(|| async {
                let autopilot = self
                    .store
                    .load_cached(Autopilot::STREAM_ID, Autopilot::default())
                    .await?;
                let events = autopilot
                    .state
                    .decide(command.clone())
                    .map_err(CommandError::Refused)?;
                Ok((vec![autopilot.append(&events, metadata)], ()))
            })
            .await
            .map(|_| ())
    }

    /// Runs a cycle now: a new one, or the one `cycle_id` names (from an
    /// idempotency key), whose report is returned if it already ran.
    pub async fn run(
        &self,
        trigger: CycleTrigger,
        correlation_id: Uuid,
        cycle_id: Option<CycleId>,
    ) -> Result<CycleReport, AutopilotRunError> {
        let cycle_id = cycle_id.unwrap_or_else(|| CycleId::from_uuid(Uuid::new_v4()));
        let span = tracing::info_span!("autopilot_cycle", %cycle_id, %correlation_id);
        self.run_cycle_as(cycle_id, trigger, correlation_id)
            .instrument(span)
            .await
    }

    async fn run_cycle_as(
        &self,
        cycle_id: CycleId,
        trigger: CycleTrigger,
        correlation_id: Uuid,
    ) -> Result<CycleReport, AutopilotRunError> {
        let actor = match &trigger {
            CycleTrigger::Manual { user } => user.to_string(),
            CycleTrigger::Schedule => SCHEDULE_ACTOR.to_owned(),
            CycleTrigger::External => EXTERNAL_ACTOR.to_owned(),
        };
        let metadata = |step: &str| Metadata {
            correlation_id,
            causation_id: None,
            actor: actor.clone(),
            command_id: Some(Uuid::new_v5(&cycle_id.as_uuid(), step.as_bytes())),
        };
        let seller = self.seller().await?;
        let started_at = Utc::now();
        match self
            .command(
                &metadata("start"),
                AutopilotCommand::StartCycle {
                    cycle_id,
                    trigger: trigger.clone(),
                    seller,
                    started_at,
                },
            )
            .await
        {
            Err(CommandError::Refused(AutopilotError::CycleAlreadyRan(ran))) if ran == cycle_id => {
                return self.recorded(cycle_id).await;
            }
            other => other.map_err(refused)?,
        }
        tracing::info!(%seller, "autopilot cycle started");
        let mut report = CycleReport {
            cycle_id,
            trigger,
            seller,
            status: CycleStatus::Finished,
            source: Some(self.supplier.source().to_owned()),
            opportunities: Vec::new(),
            published: Vec::new(),
            failure_reason: None,
        };
        match self
            .discover_and_publish(cycle_id, seller, &metadata, &mut report)
            .await
        {
            Ok(()) => {
                self.command(
                    &metadata("finish"),
                    AutopilotCommand::FinishCycle {
                        cycle_id,
                        finished_at: Utc::now(),
                    },
                )
                .await
                .map_err(refused)?;
                tracing::info!(
                    found = report.opportunities.len(),
                    published = report.published.len(),
                    "autopilot cycle finished"
                );
            }
            Err(reason) => {
                tracing::warn!(%reason, "autopilot cycle failed");
                self.command(
                    &metadata("fail"),
                    AutopilotCommand::FailCycle {
                        cycle_id,
                        reason: reason.clone(),
                        failed_at: Utc::now(),
                    },
                )
                .await
                .map_err(refused)?;
                report.status = CycleStatus::Failed;
                report.failure_reason = Some(reason);
            }
        }
        Ok(report)
    }

    /// The report of a cycle that ran, from the autopilot's events.
    async fn recorded(&self, cycle_id: CycleId) -> Result<CycleReport, AutopilotRunError> {
        let mut report: Option<CycleReport> = None;
        let mut version = 1;
        loop {
            let batch = self
                .store
                .read_stream(Autopilot::STREAM_ID, version, STREAM_READ_BATCH_EVENTS)
                .await
                .map_err(internal)?;
            for recorded in &batch {
                let event: AutopilotEvent = decode_event(
                    &recorded.event_type,
                    recorded.schema_version,
                    recorded.payload_value(),
                )
                .map_err(internal)?;
                apply(&mut report, cycle_id, event);
            }
            match batch.last() {
                Some(last) if batch.len() == STREAM_READ_BATCH_EVENTS => {
                    version = last.stream_version + 1;
                }
                _ => break,
            }
        }
        report.ok_or_else(|| internal(format!("cycle {cycle_id} ran but left no start")))
    }

    /// The configured seller, or the first user with a PayPal payout e-mail.
    async fn seller(&self) -> Result<UserId, AutopilotRunError> {
        let autopilot = self.load().await?;
        let settings = autopilot
            .state
            .settings()
            .ok_or(AutopilotRunError::Refused(AutopilotError::NotConfigured))?;
        if let Some(seller) = settings.seller() {
            return Ok(seller);
        }
        dropledger_projections::default_seller(self.store.pool())
            .await
            .map_err(internal)?
            .ok_or(AutopilotRunError::NoSeller)
    }

    /// Discovery, scoring and publishing; an `Err` is the reason the cycle
    /// failed (recorded), not a fault of the caller.
    async fn discover_and_publish(
        &self,
        cycle_id: CycleId,
        seller: UserId,
        metadata: &impl Fn(&str) -> Metadata,
        report: &mut CycleReport,
    ) -> Result<(), String> {
        let candidates = self
            .supplier
            .candidates()
            .await
            .map_err(|error| error.to_string())?;
        self.command(
            &metadata("opportunities"),
            AutopilotCommand::RecordOpportunities {
                cycle_id,
                source: self.supplier.source().to_owned(),
                fee: self.fee,
                candidates,
                already_listed: BTreeSet::new(),
                found_at: Utc::now(),
            },
        )
        .await
        .map_err(|error| error.to_string())?;
        let autopilot = self.load().await.map_err(|error| error.to_string())?;
        let running = autopilot
            .state
            .running()
            .filter(|running| running.cycle_id == cycle_id)
            .ok_or_else(|| "the cycle was ended by another process".to_owned())?;
        report.opportunities = running.opportunities.clone().unwrap_or_default();
        let listed: Vec<Opportunity> = running.listed().cloned().collect();
        let mut failures = Vec::new();
        for opportunity in &listed {
            match self.publish(cycle_id, seller, opportunity, metadata).await {
                Ok(product_id) => report.published.push(PublishedListing {
                    supplier_product_id: opportunity.supplier_product_id.clone(),
                    product_id,
                }),
                Err(reason) => failures.push(format!(
                    "{} was not published: {reason}",
                    opportunity.supplier_product_id
                )),
            }
        }
        self.command(
            &metadata("published"),
            AutopilotCommand::RecordPublished {
                cycle_id,
                products: report.published.clone(),
                published_at: Utc::now(),
            },
        )
        .await
        .map_err(|error| error.to_string())?;
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }

    /// Creates and publishes one listing for `seller`, in one append; its id
    /// derives from the cycle and the supplier product, so doing it again
    /// finds it created and published and appends nothing.
    async fn publish(
        &self,
        cycle_id: CycleId,
        seller: UserId,
        opportunity: &Opportunity,
        metadata: &impl Fn(&str) -> Metadata,
    ) -> Result<ProductId, String> {
        let key = opportunity.supplier_product_id.as_str();
        let product_id = ProductId::from_uuid(Uuid::new_v5(&cycle_id.as_uuid(), key.as_bytes()));
        let stream = Product::stream_id(product_id);
        let metadata = metadata(&format!("product:{key}"));
        let landed_cost = opportunity
            .landed_cost()
            .map_err(|error| error.to_string())?;
        let now = Utc::now();
        let create = ProductCommand::CreateProduct {
            product_id,
            owner: seller,
            title: opportunity.title.clone(),
            supplier_product_id: opportunity.supplier_product_id.clone(),
            // What fulfilment reserves per unit: the supplier's price and shipping.
            supplier_cost: landed_cost,
            price: opportunity.proposed_price,
            origin: ProductOrigin::Opportunity {
                score: opportunity.expected_margin_pct,
            },
            created_at: now,
        };
        self.store
            .execute(|| async {
                let product = self.store.load(&stream, Product::default()).await?;
                let mut events = Vec::new();
                if product.state.status().is_none() {
                    events = product
                        .state
                        .decide(create.clone())
                        .map_err(CommandError::Refused)?;
                }
                let draft = product.state.clone().replay(&events);
                if draft.status() != Some(ProductStatus::Published) {
                    events.extend(
                        draft
                            .decide(ProductCommand::Publish { published_at: now })
                            .map_err(CommandError::Refused)?,
                    );
                }
                Ok((vec![product.append(&events, &metadata)], ()))
            })
            .await
            .map_err(|error| error.to_string())?;
        tracing::info!(%product_id, supplier_product_id = key, price = %opportunity.proposed_price, "listing published");
        Ok(product_id)
    }
}

/// Events read per request when a cycle's report is rebuilt.
const STREAM_READ_BATCH_EVENTS: usize = 1_000;

/// What one event of the autopilot stream says of cycle `cycle_id`'s report.
fn apply(report: &mut Option<CycleReport>, cycle_id: CycleId, event: AutopilotEvent) {
    match event {
        AutopilotEvent::AutopilotCycleStarted {
            cycle_id: id,
            trigger,
            seller,
            ..
        } if id == cycle_id => {
            *report = Some(CycleReport {
                cycle_id,
                trigger,
                seller,
                status: CycleStatus::Running,
                source: None,
                opportunities: Vec::new(),
                published: Vec::new(),
                failure_reason: None,
            });
        }
        AutopilotEvent::AutopilotOpportunitiesFound {
            cycle_id: id,
            source,
            opportunities,
            ..
        } if id == cycle_id => {
            if let Some(report) = report.as_mut() {
                report.source = Some(source);
                report.opportunities = opportunities;
            }
        }
        AutopilotEvent::AutopilotProductsPublished {
            cycle_id: id,
            products,
            ..
        } if id == cycle_id => {
            if let Some(report) = report.as_mut() {
                report.published = products;
            }
        }
        AutopilotEvent::AutopilotCycleFinished { cycle_id: id, .. } if id == cycle_id => {
            if let Some(report) = report.as_mut() {
                report.status = CycleStatus::Finished;
            }
        }
        AutopilotEvent::AutopilotCycleFailed {
            cycle_id: id,
            reason,
            ..
        } if id == cycle_id => {
            if let Some(report) = report.as_mut() {
                report.status = CycleStatus::Failed;
                report.failure_reason = Some(reason);
            }
        }
        _ => {}
    }
}

impl AutopilotRunner for CycleRunner {
    fn run_cycle(
        &self,
        trigger: CycleTrigger,
        correlation_id: Uuid,
        cycle_id: Option<CycleId>,
    ) -> BoxFuture<'_, Result<CycleReport, AutopilotRunError>> {
        Box::pin(self.run(trigger, correlation_id, cycle_id))
    }
}
