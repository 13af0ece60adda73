//! The platform-config aggregate (a single stream).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::aggregate::{Aggregate, DomainEvent, ErrorCode};
use crate::money::Percentage;
use crate::personal::PersonalText;

/// What may be asked of the platform configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformCommand {
    /// Set the commission rate and the admin's PayPal payout e-mail.
    Configure {
        /// Commission, a percentage of each sale's gross profit.
        commission_rate: Percentage,
        /// Where the admin's commission is paid.
        admin_paypal_email: PersonalText,
        /// When.
        configured_at: DateTime<Utc>,
    },
}

/// Something that happened to the platform configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type")]
pub enum PlatformEvent {
    /// The commission rate and admin payout e-mail were set.
    #[serde(rename = "PlatformConfigured")]
    PlatformConfigured {
        /// Commission rate.
        commission_rate: Percentage,
        /// The admin's PayPal payout e-mail, sealed for the ADMIN who set it.
        admin_paypal_email: PersonalText,
        /// When.
        configured_at: DateTime<Utc>,
    },
}

impl DomainEvent for PlatformEvent {
    /// 2: the admin's e-mail is sealed (version 1 held plaintext; see
    /// `crate::upcast`).
    const SCHEMA_VERSION: i32 = 2;

    fn event_type(&self) -> &'static str {
        match self {
            PlatformEvent::PlatformConfigured { .. } => "PlatformConfigured",
        }
    }
}

/// Why the configuration could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PlatformError {
    /// Nothing configured yet: no sale can be recorded without a commission rate.
    #[error("the platform is not configured")]
    NotConfigured,
}

impl ErrorCode for PlatformError {
    fn code(&self) -> &'static str {
        match self {
            PlatformError::NotConfigured => "NOT_CONFIGURED",
        }
    }
}

/// The configuration in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlatformConfig {
    current: Option<(Percentage, PersonalText)>,
}

impl PlatformConfig {
    /// The single stream of the platform configuration.
    pub const STREAM_ID: &'static str = "platform-config";

    /// The stream id, `platform-config`.
    pub fn stream_id() -> String {
        PlatformConfig::STREAM_ID.to_owned()
    }

    /// The commission rate in force.
    pub fn commission_rate(&self) -> Result<Percentage, PlatformError> {
        self.current
            .as_ref()
            .map(|(rate, _)| *rate)
            .ok_or(PlatformError::NotConfigured)
    }

    /// The admin's PayPal payout e-mail.
    pub fn admin_paypal_email(&self) -> Result<&PersonalText, PlatformError> {
        self.current
            .as_ref()
            .map(|(_, email)| email)
            .ok_or(PlatformError::NotConfigured)
    }
}

impl Aggregate for PlatformConfig {
    type Command = PlatformCommand;
    type Event = PlatformEvent;
    type Error = PlatformError;

    fn decide(&self, command: PlatformCommand) -> Result<Vec<PlatformEvent>, PlatformError> {
        match command {
            PlatformCommand::Configure {
                commission_rate,
                admin_paypal_email,
                configured_at,
            } => {
                // Setting what is already in force records nothing.
                if self.current.as_ref() == Some(&(commission_rate, admin_paypal_email.clone())) {
                    return Ok(Vec::new());
                }
                Ok(vec![PlatformEvent::PlatformConfigured {
                    commission_rate,
                    admin_paypal_email,
                    configured_at,
                }])
            }
        }
    }

    fn evolve(mut self, event: &PlatformEvent) -> PlatformConfig {
        match event {
            PlatformEvent::PlatformConfigured {
                commission_rate,
                admin_paypal_email,
                ..
            } => self.current = Some((*commission_rate, admin_paypal_email.clone())),
        }
        self
    }
}
