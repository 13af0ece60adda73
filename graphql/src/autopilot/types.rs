//! The autopilot's GraphQL types and their conversions from the domain and
//! the read model.

use async_graphql::{Enum, SimpleObject, ID};
use dropledger_domain::{
    AutopilotSettings, CycleId, CycleTrigger, Decision, Opportunity as DomainOpportunity,
    PriceRounding as DomainRounding, ProductId, UserId,
};
use dropledger_projections::{AutopilotConfigView, CycleView, OpportunityView};

use crate::money::{Decimal, Money};
use dropledger_workflows::autopilot::CycleReport;

/// How a cycle ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum CycleStatus {
    /// Still running (only in the read model).
    Running,
    /// Ended normally.
    Finished,
    /// Ended with an error, or abandoned by a process that died.
    Failed,
}

impl From<dropledger_workflows::autopilot::CycleStatus> for CycleStatus {
    fn from(status: dropledger_workflows::autopilot::CycleStatus) -> Self {
        use dropledger_workflows::autopilot::CycleStatus as Ended;
        match status {
            Ended::Running => CycleStatus::Running,
            Ended::Finished => CycleStatus::Finished,
            Ended::Failed => CycleStatus::Failed,
        }
    }
}

/// How a marked-up price is rounded (always up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum PriceRounding {
    /// Up to the cent (the currency's minor unit).
    UpToMinorUnit,
    /// Up to the next price ending in .99.
    EndingIn99,
}

impl From<DomainRounding> for PriceRounding {
    fn from(rounding: DomainRounding) -> Self {
        match rounding {
            DomainRounding::UpToMinorUnit => Self::UpToMinorUnit,
            DomainRounding::EndingIn99 => Self::EndingIn99,
        }
    }
}

impl From<PriceRounding> for DomainRounding {
    fn from(rounding: PriceRounding) -> Self {
        match rounding {
            PriceRounding::UpToMinorUnit => Self::UpToMinorUnit,
            PriceRounding::EndingIn99 => Self::EndingIn99,
        }
    }
}

/// The autopilot's configuration.
#[derive(Debug, Clone, SimpleObject)]
pub struct AutopilotConfig {
    /// Whether the schedule runs cycles.
    pub enabled: bool,
    /// Seconds between the starts of scheduled cycles.
    pub interval_seconds: i64,
    /// Least expected margin of a listing, in percent of its price.
    pub margin_threshold: Decimal,
    /// Markup on the landed cost (supplier price plus shipping), in percent.
    pub markup_pct: Decimal,
    /// How prices are rounded.
    pub price_rounding: PriceRounding,
    /// Most listings one cycle creates.
    pub max_listings_per_cycle: i32,
    /// The seller listings are for; null: the first user with a PayPal payout e-mail.
    pub seller_id: Option<ID>,
    /// When it was set (RFC 3339), when known.
    pub configured_at: Option<String>,
}

impl AutopilotConfig {
    pub(crate) fn new(settings: &AutopilotSettings, configured_at: Option<String>) -> Self {
        Self {
            enabled: settings.enabled(),
            interval_seconds: i64::from(settings.interval_seconds()),
            margin_threshold: Decimal::new(settings.margin_threshold().value()),
            markup_pct: Decimal::new(settings.markup().markup.percent()),
            price_rounding: settings.markup().rounding.into(),
            max_listings_per_cycle: settings.listings_per_cycle_max() as i32,
            seller_id: settings.seller().map(id),
            configured_at,
        }
    }
}

impl From<AutopilotConfigView> for AutopilotConfig {
    fn from(view: AutopilotConfigView) -> Self {
        Self::new(&view.settings, Some(view.configured_at.to_rfc3339()))
    }
}

/// Who or what started a cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum CycleTriggerKind {
    /// The schedule.
    Schedule,
    /// A person, with `runAutopilotCycle`.
    Manual,
    /// A scheduler outside, through `POST /internal/autopilot/run`.
    External,
}

/// One autopilot cycle and what it did.
#[derive(Debug, Clone, SimpleObject)]
pub struct AutopilotCycle {
    /// The cycle id.
    pub id: ID,
    /// Who or what started it.
    pub trigger: CycleTriggerKind,
    /// The user who started it, for a manual run.
    pub triggered_by: Option<ID>,
    /// The seller its listings are for.
    pub seller_id: ID,
    /// Running, finished or failed.
    pub status: CycleStatus,
    /// When it started (RFC 3339), when known.
    pub started_at: Option<String>,
    /// When it ended (RFC 3339).
    pub ended_at: Option<String>,
    /// The trend source asked.
    pub source: Option<String>,
    /// Candidates scored.
    pub found: i32,
    /// Candidates listed.
    pub listed: i32,
    /// Products created and published.
    pub product_ids: Vec<ID>,
    /// Why it failed.
    pub failure_reason: Option<String>,
}

fn id(user: UserId) -> ID {
    ID(user.to_string())
}

fn trigger(trigger: &CycleTrigger) -> (CycleTriggerKind, Option<ID>) {
    match trigger {
        CycleTrigger::Schedule => (CycleTriggerKind::Schedule, None),
        CycleTrigger::Manual { user } => (CycleTriggerKind::Manual, Some(id(*user))),
        CycleTrigger::External => (CycleTriggerKind::External, None),
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

fn product_ids(ids: impl Iterator<Item = ProductId>) -> Vec<ID> {
    ids.map(|p| ID(p.to_string())).collect()
}

impl From<CycleView> for AutopilotCycle {
    fn from(view: CycleView) -> Self {
        let (kind, triggered_by) = trigger(&view.trigger);
        Self {
            id: cycle_id(view.cycle_id),
            trigger: kind,
            triggered_by,
            seller_id: id(view.seller),
            status: view.status.into(),
            started_at: Some(view.started_at.to_rfc3339()),
            ended_at: view.ended_at.map(|t| t.to_rfc3339()),
            source: view.source,
            found: i32::try_from(view.found).unwrap_or(i32::MAX),
            listed: i32::try_from(view.listed).unwrap_or(i32::MAX),
            product_ids: product_ids(view.published.into_iter()),
            failure_reason: view.failure_reason,
        }
    }
}

impl From<&CycleReport> for AutopilotCycle {
    fn from(report: &CycleReport) -> Self {
        let (kind, triggered_by) = trigger(&report.trigger);
        Self {
            id: cycle_id(report.cycle_id),
            trigger: kind,
            triggered_by,
            seller_id: id(report.seller),
            status: report.status.into(),
            started_at: None,
            ended_at: None,
            source: report.source.clone(),
            found: count(report.opportunities.len()),
            listed: count(
                report
                    .opportunities
                    .iter()
                    .filter(|o| o.decision == Decision::Listed)
                    .count(),
            ),
            product_ids: product_ids(report.published.iter().map(|p| p.product_id)),
            failure_reason: report.failure_reason.clone(),
        }
    }
}

fn cycle_id(cycle: CycleId) -> ID {
    ID(cycle.to_string())
}

/// Whether an opportunity was listed, and if not, why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum OpportunityDecision {
    /// Listed: a product was created and published for the seller.
    Listed,
    /// Its expected margin is below the threshold.
    BelowMarginThreshold,
    /// The supplier had none in stock.
    OutOfStock,
    /// The autopilot had listed this supplier product before.
    AlreadyListed,
    /// Good enough, but the cycle had listed as many as it may.
    OverCycleLimit,
}

impl From<Decision> for OpportunityDecision {
    fn from(decision: Decision) -> Self {
        match decision {
            Decision::Listed => Self::Listed,
            Decision::BelowMarginThreshold => Self::BelowMarginThreshold,
            Decision::OutOfStock => Self::OutOfStock,
            Decision::AlreadyListed => Self::AlreadyListed,
            Decision::OverCycleLimit => Self::OverCycleLimit,
        }
    }
}

/// What discovery found, scored, and what the autopilot decided.
#[derive(Debug, Clone, SimpleObject)]
pub struct Opportunity {
    /// The cycle that found it.
    pub cycle_id: ID,
    /// The supplier's product id.
    pub supplier_product_id: String,
    /// Title.
    pub title: String,
    /// The supplier's price of one unit.
    pub supplier_cost: Money,
    /// Shipping of one unit.
    pub shipping: Money,
    /// Units in stock at the supplier.
    pub stock: i64,
    /// The payment fee expected on the proposed price.
    pub estimated_fee: Money,
    /// The price the markup rule gives.
    pub proposed_price: Money,
    /// Proposed price − supplier cost − shipping − fee.
    pub expected_margin: Money,
    /// The expected margin in percent of the price: the score.
    pub expected_margin_pct: Decimal,
    /// Listed, or why not.
    pub decision: OpportunityDecision,
    /// The decision in a sentence, with the numbers it compared.
    pub reason: String,
    /// The product published for it, when listed.
    pub product_id: Option<ID>,
}

impl Opportunity {
    pub(crate) fn new(
        cycle: CycleId,
        opportunity: &DomainOpportunity,
        product_id: Option<ProductId>,
    ) -> Self {
        Self {
            cycle_id: cycle_id(cycle),
            supplier_product_id: opportunity.supplier_product_id.to_string(),
            title: opportunity.title.to_string(),
            supplier_cost: opportunity.supplier_cost.into(),
            shipping: opportunity.shipping.into(),
            stock: i64::from(opportunity.stock),
            estimated_fee: opportunity.estimated_fee.into(),
            proposed_price: opportunity.proposed_price.into(),
            expected_margin: opportunity.expected_margin.into(),
            expected_margin_pct: Decimal::new(opportunity.expected_margin_pct),
            decision: opportunity.decision.into(),
            reason: opportunity.reason.clone(),
            product_id: product_id.map(|p| ID(p.to_string())),
        }
    }
}

impl From<OpportunityView> for Opportunity {
    fn from(view: OpportunityView) -> Self {
        Opportunity::new(view.cycle_id, &view.opportunity, view.product_id)
    }
}
