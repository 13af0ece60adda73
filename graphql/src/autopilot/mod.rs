//! The autopilot in the API: `setAutopilot` and `runAutopilotCycle`
//! (ADMIN), and the `autopilot` and `opportunities` queries (ADMIN and
//! ACCOUNTANT), read from the `autopilot` projection.

mod types;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use dropledger_domain::{
    Aggregate, Autopilot, AutopilotCommand, AutopilotSettings, CycleId, CycleTrigger, Markup,
    MarkupRule, Percentage, User, UserId,
};
use dropledger_eventstore::CommandError;
use dropledger_projections::{autopilot_overview, opportunities_page, Cursor};
use uuid::Uuid;

use crate::auth::Role;
use crate::catalog::check_idempotency_key;
use crate::context::{count_appends, parts};
use crate::errors::{command_failure, internal, refused, top_level, UserError};
use crate::money::Decimal;
use dropledger_workflows::autopilot::AutopilotRunError;
use types::{AutopilotConfig, AutopilotCycle, Opportunity, PriceRounding};

/// Namespace of cycle ids derived from idempotency keys of `runAutopilotCycle`.
const CYCLE_KEY_NAMESPACE: Uuid = Uuid::from_u128(0x2f0c_71a4_5b9e_4d3a_8e61_c4b2_9a7d_3e02);
/// Who may read the autopilot: it shows supplier costs and margins.
const READERS: [Role; 2] = [Role::Admin, Role::Accountant];
/// Cycles `autopilot` lists at most.
const CYCLES_MAX: i32 = 100;
/// Opportunities one page returns when `first` is not given.
const OPPORTUNITIES_PAGE_DEFAULT: usize = 50;
/// Opportunities one page returns at most.
pub const OPPORTUNITIES_PAGE_MAX: usize = 200;

/// `setAutopilot`'s input.
#[derive(Debug, InputObject)]
pub struct SetAutopilotInput {
    /// Whether the schedule runs cycles.
    pub enabled: bool,
    /// Seconds between scheduled cycles (5 to 604800).
    pub interval_seconds: i64,
    /// Least expected margin of a listing, in percent of its price (0 to 100).
    pub margin_threshold: Decimal,
    /// Markup on the landed cost in percent (above 0, at most 1000).
    pub markup_pct: Decimal,
    /// How prices are rounded; up to the cent when not given.
    #[graphql(default_with = "PriceRounding::UpToMinorUnit")]
    pub price_rounding: PriceRounding,
    /// Most listings one cycle creates (1 to 50).
    pub max_listings_per_cycle: i64,
    /// The seller listings are for; when not given, the first user with a
    /// PayPal payout e-mail at each cycle.
    pub seller_id: Option<ID>,
}

/// `setAutopilot`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct SetAutopilotPayload {
    /// The configuration as now.
    pub autopilot: Option<AutopilotConfig>,
    /// Why nothing happened.
    pub user_errors: Vec<UserError>,
}

/// `runAutopilotCycle`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct RunAutopilotCyclePayload {
    /// The cycle and what it did.
    pub cycle: Option<AutopilotCycle>,
    /// Every candidate it scored, best first, with the decision.
    pub opportunities: Vec<Opportunity>,
    /// Why no cycle ran.
    pub user_errors: Vec<UserError>,
}

/// The autopilot's configuration and latest cycles.
#[derive(Debug, SimpleObject)]
pub struct AutopilotOverview {
    /// The configuration; null until `setAutopilot`.
    pub config: Option<AutopilotConfig>,
    /// The latest cycles, newest first.
    pub cycles: Vec<AutopilotCycle>,
}

/// ADMIN's autopilot mutations.
#[derive(Default)]
pub struct AutopilotMutation;

fn settings_from(input: &SetAutopilotInput) -> Result<AutopilotSettings, UserError> {
    let interval_seconds = u32::try_from(input.interval_seconds)
        .map_err(|_| UserError::invalid("input.intervalSeconds", "must be 5 or more"))?;
    let margin_threshold = Percentage::new(input.margin_threshold.value("input.marginThreshold")?)
        .map_err(|error| UserError::invalid("input.marginThreshold", error))?;
    let markup = Markup::new(input.markup_pct.value("input.markupPct")?)
        .map_err(|error| UserError::invalid("input.markupPct", error))?;
    let limit = u32::try_from(input.max_listings_per_cycle)
        .map_err(|_| UserError::invalid("input.maxListingsPerCycle", "must be 1 or more"))?;
    let seller = match &input.seller_id {
        None => None,
        Some(id) => Some(
            id.parse::<Uuid>()
                .map(UserId::from_uuid)
                .map_err(|_| UserError::invalid("input.sellerId", "not a user id"))?,
        ),
    };
    let rule = MarkupRule {
        markup,
        rounding: input.price_rounding.into(),
    };
    AutopilotSettings::new(
        input.enabled,
        interval_seconds,
        margin_threshold,
        rule,
        limit,
        seller,
    )
    .map_err(|error| {
        let field = match error {
            dropledger_domain::AutopilotError::InvalidInterval(_) => "input.intervalSeconds",
            dropledger_domain::AutopilotError::InvalidListingLimit(_) => {
                "input.maxListingsPerCycle"
            }
            _ => "input",
        };
        UserError::invalid(field, error)
    })
}

#[Object]
impl AutopilotMutation {
    /// Configures the autopilot: schedule, margin threshold, markup rule,
    /// listings per cycle and seller. ADMIN only.
    async fn set_autopilot(
        &self,
        ctx: &Context<'_>,
        input: SetAutopilotInput,
    ) -> async_graphql::Result<SetAutopilotPayload> {
        let (services, request) = parts(ctx);
        let refused_with = |error| SetAutopilotPayload {
            autopilot: None,
            user_errors: vec![error],
        };
        if let Err(error) = request.require(&[Role::Admin]) {
            return Ok(refused_with(error));
        }
        let settings = match settings_from(&input) {
            Ok(settings) => settings,
            Err(error) => return Ok(refused_with(error)),
        };
        if let Some(seller) = settings.seller() {
            let user = services
                .store
                .load::<_, std::convert::Infallible>(&User::stream_id(seller), User::default())
                .await
                .map_err(|error| internal(&error))?;
            if user.state.id().is_none() {
                return Ok(refused_with(UserError {
                    code: "NOT_FOUND".to_owned(),
                    message: "input.sellerId: no such user".to_owned(),
                    field: Some("input.sellerId".to_owned()),
                }));
            }
        }
        let stream = Autopilot::stream_id();
        let metadata = request.metadata(Uuid::new_v4());
        let command = AutopilotCommand::Configure {
            settings: settings.clone(),
            configured_at: Utc::now(),
        };
        let outcome = services
            .store
            .execute(|| async {
                let autopilot = services.store.load(&stream, Autopilot::default()).await?;
                let events = autopilot
                    .state
                    .decide(command.clone())
                    .map_err(CommandError::Refused)?;
                Ok((vec![autopilot.append(&events, &metadata)], ()))
            })
            .await
            .map(count_appends);
        match outcome {
            Ok(_) => Ok(SetAutopilotPayload {
                autopilot: Some(AutopilotConfig::new(&settings, None)),
                user_errors: Vec::new(),
            }),
            Err(error) => Ok(refused_with(command_failure(error)?)),
        }
    }

    /// Runs one autopilot cycle now (discover → score → create and publish
    /// → record) and returns what it did. ADMIN only; runs even while the
    /// schedule is disabled, never beside another running cycle. The same
    /// `idempotencyKey` again runs nothing and returns the same cycle.
    async fn run_autopilot_cycle(
        &self,
        ctx: &Context<'_>,
        idempotency_key: Option<String>,
    ) -> async_graphql::Result<RunAutopilotCyclePayload> {
        let (services, request) = parts(ctx);
        let refused_with = |error| RunAutopilotCyclePayload {
            user_errors: vec![error],
            ..Default::default()
        };
        let claims = match request.require(&[Role::Admin]) {
            Ok(claims) => claims,
            Err(error) => return Ok(refused_with(error)),
        };
        let Some(runner) = services.autopilot.clone() else {
            return Ok(refused_with(UserError::new(
                "NOT_AVAILABLE",
                "this server runs no autopilot",
            )));
        };
        let cycle_id = match &idempotency_key {
            None => None,
            Some(key) => {
                if let Err(error) = check_idempotency_key(key, "idempotencyKey") {
                    return Ok(refused_with(error));
                }
                let name = format!("{}:{key}", claims.sub);
                Some(CycleId::from_uuid(Uuid::new_v5(
                    &CYCLE_KEY_NAMESPACE,
                    name.as_bytes(),
                )))
            }
        };
        let trigger = CycleTrigger::Manual {
            user: UserId::from_uuid(claims.sub),
        };
        match runner
            .run_cycle(trigger, request.correlation_id, cycle_id)
            .await
        {
            Ok(report) => {
                let products = |supplier: &dropledger_domain::SupplierProductId| {
                    report
                        .published
                        .iter()
                        .find(|p| &p.supplier_product_id == supplier)
                        .map(|p| p.product_id)
                };
                Ok(RunAutopilotCyclePayload {
                    cycle: Some(AutopilotCycle::from(&report)),
                    opportunities: report
                        .opportunities
                        .iter()
                        .map(|o| {
                            let product = (o.decision == dropledger_domain::Decision::Listed)
                                .then(|| products(&o.supplier_product_id))
                                .flatten();
                            Opportunity::new(report.cycle_id, o, product)
                        })
                        .collect(),
                    user_errors: Vec::new(),
                })
            }
            Err(AutopilotRunError::Refused(error)) => Ok(refused_with(refused(&error))),
            Err(AutopilotRunError::NoSeller) => Ok(refused_with(UserError::new(
                "NO_SELLER",
                AutopilotRunError::NoSeller.to_string(),
            ))),
            Err(AutopilotRunError::Internal(error)) => Err(internal(&error)),
        }
    }
}

/// Queries of the autopilot's read model.
#[derive(Default)]
pub struct AutopilotQuery;

#[Object]
impl AutopilotQuery {
    /// The autopilot's configuration and its latest cycles (newest first,
    /// `cycles` of them, at most 100). ADMIN and ACCOUNTANT.
    async fn autopilot(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10)] cycles: i32,
    ) -> async_graphql::Result<AutopilotOverview> {
        let (services, request) = parts(ctx);
        request.require(&READERS).map_err(top_level)?;
        if !(0..=CYCLES_MAX).contains(&cycles) {
            return Err(top_level(UserError::invalid(
                "cycles",
                format!("must be between 0 and {CYCLES_MAX}"),
            )));
        }
        let overview = autopilot_overview(services.store.pool(), cycles as usize)
            .await
            .map_err(|error| internal(&error))?;
        Ok(AutopilotOverview {
            config: overview.config.map(Into::into),
            cycles: overview
                .cycles
                .into_iter()
                .take(cycles as usize)
                .map(Into::into)
                .collect(),
        })
    }

    /// What discovery found, newest first (within a cycle, best score
    /// first), with scores and why each was or was not listed. ADMIN and
    /// ACCOUNTANT.
    #[graphql(
        complexity = "first.map_or(OPPORTUNITIES_PAGE_DEFAULT, |n| n.max(0) as usize) * child_complexity"
    )]
    async fn opportunities(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, Opportunity, EmptyFields, EmptyFields>> {
        let (services, request) = parts(ctx);
        request.require(&READERS).map_err(top_level)?;
        let first = match first {
            None => OPPORTUNITIES_PAGE_DEFAULT,
            Some(n) if n >= 1 && n as usize <= OPPORTUNITIES_PAGE_MAX => n as usize,
            Some(_) => {
                return Err(top_level(UserError::invalid(
                    "first",
                    format!("must be between 1 and {OPPORTUNITIES_PAGE_MAX}"),
                )))
            }
        };
        let after = after
            .map(|cursor| {
                Cursor::decode(&cursor).map_err(|_| {
                    top_level(UserError::invalid(
                        "after",
                        "not a cursor of this connection",
                    ))
                })
            })
            .transpose()?;
        let page = opportunities_page(services.store.pool(), first, after)
            .await
            .map_err(|error| internal(&error))?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        connection.edges.extend(
            page.edges
                .into_iter()
                .map(|(cursor, view)| Edge::new(cursor.encode(), Opportunity::from(view))),
        );
        Ok(connection)
    }
}
