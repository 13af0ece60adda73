//! Platform configuration and the owner's capital: ADMIN only.

use async_graphql::{Context, InputObject, Object, SimpleObject, ID};
use chrono::Utc;
use dropledger_domain::{
    Aggregate, CapitalCommand, EmailAddress, EntryId, Percentage, PlatformCommand, PlatformConfig,
    Reference,
};
use dropledger_eventstore::CommandError;
use uuid::Uuid;

use crate::auth::Role;
use crate::catalog::check_idempotency_key;
use crate::consistency::position_of;
use crate::context::count_appends;
use crate::context::parts;
use crate::errors::{command_failure, internal, UserError};
use crate::money::{Decimal, Money, MoneyInput};
use crate::orders::require;

/// Namespace of entry ids derived from `recordCapitalContribution` keys.
const CONTRIBUTION_KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_2e4b_93a7_4d58_b0e6_5a7c_d2f1_8e39);

/// `setPlatformConfig`'s input.
#[derive(Debug, InputObject)]
pub struct SetPlatformConfigInput {
    /// Commission on each sale's gross profit, in percent (0 to 100).
    pub commission_pct: Decimal,
    /// Where the admin's commission is paid at PayPal.
    pub admin_paypal_email: String,
}

/// The configuration in force.
#[derive(Debug, Clone, SimpleObject)]
pub struct PlatformSettings {
    /// Commission in percent.
    pub commission_pct: Decimal,
    /// The admin's PayPal payout e-mail; null once the ADMIN who set it
    /// erased their personal data (set it again).
    pub admin_paypal_email: Option<String>,
}

/// `setPlatformConfig`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct SetPlatformConfigPayload {
    /// The configuration as now.
    pub platform_config: Option<PlatformSettings>,
    /// The log position of the last event this wrote: pass it as
    /// `consistentAfter` to a query to read your own write. Null only when
    /// an older transaction held the log back for over 5 s.
    pub position: Option<i64>,
    /// Why nothing happened.
    pub user_errors: Vec<UserError>,
}

/// `recordCapitalContribution`'s input.
#[derive(Debug, InputObject)]
pub struct RecordCapitalContributionInput {
    /// What the owner put in; above zero.
    pub amount: MoneyInput,
    /// The bank or PayPal transfer reference.
    pub reference: String,
    /// Sending the same key again records the contribution once and returns
    /// the same entry; the same key with another amount is refused.
    pub idempotency_key: Option<String>,
}

/// `recordCapitalContribution`'s result.
#[derive(Debug, Default, SimpleObject)]
pub struct RecordCapitalContributionPayload {
    /// The journal entry recorded.
    pub entry_id: Option<ID>,
    /// The amount recorded.
    pub amount: Option<Money>,
    /// The log position of the last event this wrote: pass it as
    /// `consistentAfter` to a query to read your own write. Null only when
    /// an older transaction held the log back for over 5 s.
    pub position: Option<i64>,
    /// Why nothing happened.
    pub user_errors: Vec<UserError>,
}

/// The configuration in force.
#[derive(Default)]
pub struct PlatformQuery;

#[Object]
impl PlatformQuery {
    /// The platform commission and the admin's payout e-mail in force;
    /// null until `setPlatformConfig` first ran. ADMIN and ACCOUNTANT.
    async fn platform_config(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Option<PlatformSettings>> {
        let (services, request) = parts(ctx);
        require(&request, &[Role::Admin, Role::Accountant])?;
        let config = services
            .store
            .load::<_, std::convert::Infallible>(
                &PlatformConfig::stream_id(),
                PlatformConfig::default(),
            )
            .await
            .map_err(|error| internal(&error))?
            .state;
        let (Ok(rate), Ok(email)) = (config.commission_rate(), config.admin_paypal_email()) else {
            return Ok(None);
        };
        let email = services
            .personal
            .open(email, None)
            .await
            .map_err(|error| internal(&error))?
            .into_plain();
        Ok(Some(PlatformSettings {
            commission_pct: Decimal::new(rate.value()),
            admin_paypal_email: email,
        }))
    }
}

/// ADMIN's configuration mutations.
#[derive(Default)]
pub struct PlatformMutation;

#[Object]
impl PlatformMutation {
    /// Sets the platform commission and the admin's payout e-mail. ADMIN only.
    async fn set_platform_config(
        &self,
        ctx: &Context<'_>,
        input: SetPlatformConfigInput,
    ) -> async_graphql::Result<SetPlatformConfigPayload> {
        let (services, request) = parts(ctx);
        let refused = |error| SetPlatformConfigPayload {
            user_errors: vec![error],
            ..SetPlatformConfigPayload::default()
        };
        if let Err(error) = request.require(&[Role::Admin]) {
            return Ok(refused(error));
        }
        let commission_rate =
            match input
                .commission_pct
                .value("input.commissionPct")
                .and_then(|pct| {
                    Percentage::new(pct)
                        .map_err(|error| UserError::invalid("input.commissionPct", error))
                }) {
                Ok(rate) => rate,
                Err(error) => return Ok(refused(error)),
            };
        let email = match EmailAddress::parse(&input.admin_paypal_email) {
            Ok(email) => email,
            Err(error) => return Ok(refused(UserError::invalid("input.adminPaypalEmail", error))),
        };
        // The address is the configuring ADMIN's personal data: sealed for
        // them, erased with them.
        let admin = request.claims.as_ref().map(|claims| claims.sub);
        let sealed = match admin {
            Some(admin) => services.personal.seal(admin, email.as_str()).await,
            None => return Ok(refused(UserError::new("UNAUTHENTICATED", "sign in"))),
        };
        let sealed = match sealed {
            Ok(sealed) => sealed,
            Err(error) => return Err(internal(&error)),
        };
        let stream = PlatformConfig::stream_id();
        let metadata = request.metadata(Uuid::new_v4());
        let command = PlatformCommand::Configure {
            commission_rate,
            admin_paypal_email: sealed,
            configured_at: Utc::now(),
        };
        let outcome = services
            .store
            .execute(|| async {
                let config = services
                    .store
                    .load(&stream, PlatformConfig::default())
                    .await?;
                let events = config
                    .state
                    .decide(command.clone())
                    .map_err(CommandError::Refused)?;
                Ok((vec![config.append(&events, &metadata)], ()))
            })
            .await
            .map(count_appends);
        match outcome {
            Ok((_, appends)) => Ok(SetPlatformConfigPayload {
                platform_config: Some(PlatformSettings {
                    commission_pct: Decimal::new(commission_rate.value()),
                    admin_paypal_email: Some(email.as_str().to_owned()),
                }),
                position: position_of(services, &appends).await?,
                user_errors: Vec::new(),
            }),
            Err(error) => Ok(refused(command_failure(error)?)),
        }
    }

    /// Records the owner's contribution to working capital (a journal
    /// entry). ADMIN only.
    async fn record_capital_contribution(
        &self,
        ctx: &Context<'_>,
        input: RecordCapitalContributionInput,
    ) -> async_graphql::Result<RecordCapitalContributionPayload> {
        let (services, request) = parts(ctx);
        let refused = |error| RecordCapitalContributionPayload {
            user_errors: vec![error],
            ..Default::default()
        };
        if let Err(error) = request.require(&[Role::Admin]) {
            return Ok(refused(error));
        }
        let amount = match input.amount.parse_positive("input.amount") {
            Ok(amount) => amount,
            Err(error) => return Ok(refused(error)),
        };
        let reference = match Reference::parse(&input.reference) {
            Ok(reference) => reference,
            Err(error) => return Ok(refused(UserError::invalid("input.reference", error))),
        };
        if let Some(key) = &input.idempotency_key {
            if let Err(error) = check_idempotency_key(key, "input.idempotencyKey") {
                return Ok(refused(error));
            }
        }
        // A key names one contribution of this admin: the entry id and the
        // command id (hence the event ids) derive from it.
        let command_id = match &input.idempotency_key {
            Some(key) => Uuid::new_v5(
                &CONTRIBUTION_KEY_NAMESPACE,
                format!(
                    "{}/{key}",
                    request.claims.as_ref().map(|c| c.sub).unwrap_or_default()
                )
                .as_bytes(),
            ),
            None => Uuid::new_v4(),
        };
        let entry_id = EntryId::from_uuid(command_id);
        let metadata = request.metadata(command_id);
        let command = CapitalCommand::ContributeCapital {
            entry_id,
            amount,
            reference,
            effective_at: Utc::now(),
        };
        let outcome =
            dropledger_workflows::capital::contribute(&services.store, command, &metadata)
                .await
                .map(|appends| count_appends(((), appends)));
        match outcome {
            Ok((_, appends)) => Ok(RecordCapitalContributionPayload {
                entry_id: Some(ID(entry_id.to_string())),
                amount: Some(amount.into()),
                position: position_of(services, &appends).await?,
                user_errors: Vec::new(),
            }),
            Err(error) => Ok(refused(command_failure(error)?)),
        }
    }
}
