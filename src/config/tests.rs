//! The settings parsed as a command line (or environment) gives them.

use std::time::Duration;

use clap::Parser;

use super::*;

/// The settings from `args` as a command line would give them.
#[derive(Debug, Parser)]
struct Command {
    #[command(flatten)]
    settings: ServerSettingsInput,
}

fn parse(args: &[&str]) -> Result<ServerSettings, ConfigError> {
    let mut line = vec!["dropledger"];
    line.extend_from_slice(args);
    Command::try_parse_from(line)
        .expect("a well-formed command line")
        .settings
        .parse()
}

#[test]
fn nothing_given_is_sandbox_on_the_defaults() {
    let settings = parse(&[]).unwrap();
    assert!(!settings.production);
    assert!(settings.providers.paypal.is_none());
    assert_eq!(settings.auth_requests_per_minute.get(), 20);
    assert_eq!(settings.reconciliation_interval.as_secs(), 900);
}

#[test]
fn every_problem_is_named_at_once() {
    let error = parse(&[
        "--autopilot-mode",
        "production\n",
        "--public-url",
        "not a url",
        "--reconciliation-interval-secs",
        "0",
        "--auth-requests-per-minute",
        "many",
        "--paypal-client-id",
        "id",
        "--internal-run-secret",
        "short",
    ])
    .unwrap_err();
    let text = error.to_string();
    for named in [
        "AUTOPILOT_MODE",
        "PUBLIC_URL",
        "RECONCILIATION_INTERVAL_SECS",
        "AUTH_REQUESTS_PER_MINUTE",
        "PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET",
        "INTERNAL_RUN_SECRET must be at least 32 bytes",
    ] {
        assert!(text.contains(named), "{named} missing from: {text}");
    }
    assert_eq!(error.0.len(), 6, "{text}");
}

#[test]
fn an_empty_value_counts_as_not_given() {
    let settings = parse(&["--autopilot-mode", "", "--jwt-secret", ""]).unwrap();
    assert!(!settings.production);
    assert!(settings.tokens.is_none());
}

#[test]
fn the_reconciliation_interval_defaults_to_fifteen_minutes_within_its_limits() {
    let every = |value: &str| {
        parse(&[&format!("--reconciliation-interval-secs={value}")])
            .map(|settings| settings.reconciliation_interval.as_secs())
    };
    assert_eq!(every("").unwrap(), 900);
    assert_eq!(every("60").unwrap(), 60);
    assert_eq!(every("86400").unwrap(), 86_400);
    for bad in ["0", "86401", "-5", "1.5", "often", " 60"] {
        let error = every(bad).unwrap_err().to_string();
        assert!(error.contains("RECONCILIATION_INTERVAL_SECS"), "{error}");
    }
}

#[test]
fn trusted_proxies_and_graphiql_are_parsed_strictly() {
    let settings = parse(&["--trusted-proxies", "10.0.0.1, ::1", "--graphiql", "on"]).unwrap();
    assert_eq!(settings.trusted_proxies.len(), 2);
    assert!(settings.schema_explorer);
    let error = parse(&["--trusted-proxies", "proxy.example", "--graphiql", "yes"]).unwrap_err();
    let text = error.to_string();
    assert!(text.contains("TRUSTED_PROXIES"), "{text}");
    assert!(text.contains("DROPLEDGER_GRAPHIQL"), "{text}");
}

#[test]
fn a_mode_with_a_stray_newline_is_refused_not_taken_for_sandbox() {
    let error = parse(&["--autopilot-mode", "production\n"]).unwrap_err();
    assert!(error.to_string().contains("AUTOPILOT_MODE"), "{error}");
}

#[test]
fn production_needs_every_secret_and_live_paypal() {
    let error = parse(&["--autopilot-mode", "production"]).unwrap_err();
    let text = error.to_string();
    for name in [
        "JWT_SECRET",
        "ENCRYPTION_KEY",
        "PAYPAL_CLIENT_ID",
        "PAYPAL_CLIENT_SECRET",
        "ALIEXPRESS_APP_KEY",
        "INTERNAL_RUN_SECRET",
        "PAYPAL_ENVIRONMENT=production",
    ] {
        assert!(text.contains(name), "{name} missing from: {text}");
    }
}

#[test]
fn production_refuses_the_sandbox_only_overrides() {
    let error = parse(&[
        "--paypal-environment",
        "live",
        "--paypal-base-url",
        "http://127.0.0.1:9",
        "--provider-attempt-timeout-ms",
        "500",
    ])
    .unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains("PAYPAL_BASE_URL is for sandbox mode only"),
        "{text}"
    );
    assert!(
        text.contains("PROVIDER_ATTEMPT_TIMEOUT_MS is for sandbox mode only"),
        "{text}"
    );
}

#[test]
fn secrets_never_show_in_debug_output() {
    let input = Command::try_parse_from([
        "dropledger",
        "--jwt-secret",
        "a-very-secret-jwt-secret-of-enough-bytes",
        "--paypal-client-id",
        "id",
        "--paypal-client-secret",
        "the-paypal-secret",
    ])
    .unwrap()
    .settings;
    let printed = format!("{input:?} {:?}", input.parse().unwrap());
    assert!(!printed.contains("a-very-secret"), "{printed}");
    assert!(!printed.contains("the-paypal-secret"), "{printed}");
}

#[test]
fn a_sandbox_account_with_a_fake_host_is_taken_as_given() {
    let settings = parse(&[
        "--paypal-client-id",
        "id",
        "--paypal-client-secret",
        "secret",
        "--paypal-base-url",
        "http://127.0.0.1:4010",
        "--provider-attempt-timeout-ms",
        "1000",
    ])
    .unwrap();
    let paypal = settings.providers.paypal.unwrap();
    assert_eq!(paypal.environment, PayPalEnvironment::Sandbox);
    assert_eq!(paypal.base_url.unwrap().as_str(), "http://127.0.0.1:4010/");
    assert_eq!(
        settings.providers.attempt_timeout,
        Some(Duration::from_millis(1000))
    );
}

#[test]
fn the_fake_paypal_capture_status_is_completed_unless_pending_is_asked() {
    assert!(!parse(&[]).unwrap().providers.fake_capture_pending);
    for pending in ["PENDING", "pending"] {
        let settings = parse(&["--fake-paypal-capture-status", pending]).unwrap();
        assert!(settings.providers.fake_capture_pending, "{pending}");
    }
    let settings = parse(&["--fake-paypal-capture-status", "COMPLETED"]).unwrap();
    assert!(!settings.providers.fake_capture_pending);
}

#[test]
fn an_unknown_fake_paypal_capture_status_is_refused_not_taken_for_completed() {
    let error = parse(&["--fake-paypal-capture-status", "PENDNG"]).unwrap_err();
    let text = error.to_string();
    assert!(
        text.contains(
            "DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS=\"PENDNG\": must be COMPLETED or PENDING"
        ),
        "{text}"
    );
    assert_eq!(error.0.len(), 1, "{text}");
}
