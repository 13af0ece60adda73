use super::*;
use crate::aggregate::{Aggregate, ErrorCode};
use crate::money::Percentage;
use crate::testkit::*;

fn configure(rate: &str) -> PlatformCommand {
    PlatformCommand::Configure {
        commission_rate: Percentage::parse(rate).unwrap(),
        admin_paypal_email: sealed(1, "admin@example.com"),
        configured_at: at(0),
    }
}

#[test]
fn an_unconfigured_platform_has_no_commission_rate() {
    let config = PlatformConfig::default();
    assert_eq!(config.commission_rate(), Err(PlatformError::NotConfigured));
    assert_eq!(
        config.admin_paypal_email(),
        Err(PlatformError::NotConfigured)
    );
    assert_eq!(PlatformError::NotConfigured.code(), "NOT_CONFIGURED");
    assert_eq!(PlatformConfig::stream_id(), "platform-config");
}

#[test]
fn configuring_sets_the_rate_and_admin_email_and_repeating_it_records_nothing() {
    let config = PlatformConfig::default();
    let events = config.decide(configure("12.5")).unwrap();
    let config = config.replay(&events);
    assert_eq!(
        config.commission_rate(),
        Ok(Percentage::parse("12.5").unwrap())
    );
    assert_eq!(
        config.admin_paypal_email(),
        Ok(&sealed(1, "admin@example.com"))
    );
    assert_eq!(config.decide(configure("12.5")), Ok(vec![]));
    assert_eq!(config.decide(configure("15")).unwrap().len(), 1);
}
