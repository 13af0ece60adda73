//! The provider accounts: each given whole or not at all.

use std::time::Duration;

use dropledger_integrations::PayPalEnvironment;

use super::problems::{http_url, whole_number_within, Problems};
use super::{
    AliExpressAccount, PayPalAccount, PayoneerAccount, ProviderSettings, ServerSettingsInput,
    PROVIDER_ATTEMPT_TIMEOUT_MS_MAX,
};

impl ServerSettingsInput {
    /// The provider accounts; an account half given is a problem.
    pub(super) fn providers(
        &self,
        problems: &mut Problems,
        paypal_environment: Option<PayPalEnvironment>,
        production: bool,
    ) -> ProviderSettings {
        if production {
            let overrides = [
                ("PAYPAL_BASE_URL", self.paypal_base_url.is_some()),
                ("ALIEXPRESS_BASE_URL", self.aliexpress_base_url.is_some()),
                ("PAYONEER_BASE_URL", self.payoneer_base_url.is_some()),
                (
                    "PROVIDER_ATTEMPT_TIMEOUT_MS",
                    self.provider_attempt_timeout_ms.is_some(),
                ),
            ];
            for (name, _) in overrides.iter().filter(|(_, given)| *given) {
                problems.add(format!(
                    "{name} is for sandbox mode only; unset it in production"
                ));
            }
        }
        let paypal_base_url =
            problems.parse("PAYPAL_BASE_URL", self.paypal_base_url.as_deref(), http_url);
        let paypal = match (&self.paypal_client_id, &self.paypal_client_secret) {
            (Some(client_id), Some(client_secret)) => Some(PayPalAccount {
                client_id: client_id.clone(),
                client_secret: client_secret.clone(),
                environment: paypal_environment.unwrap_or(PayPalEnvironment::Sandbox),
                webhook_id: self.paypal_webhook_id.clone(),
                base_url: paypal_base_url,
            }),
            (None, None) => None,
            _ => {
                problems.add("PAYPAL_CLIENT_ID and PAYPAL_CLIENT_SECRET go together: set both");
                None
            }
        };
        let aliexpress_base_url = problems.parse(
            "ALIEXPRESS_BASE_URL",
            self.aliexpress_base_url.as_deref(),
            http_url,
        );
        let aliexpress = match (&self.aliexpress_app_key, &self.aliexpress_app_secret) {
            (Some(app_key), Some(app_secret)) => Some(AliExpressAccount {
                app_key: app_key.clone(),
                app_secret: app_secret.clone(),
                base_url: aliexpress_base_url,
            }),
            (None, None) => None,
            _ => {
                problems.add("ALIEXPRESS_APP_KEY and ALIEXPRESS_APP_SECRET go together: set both");
                None
            }
        };
        let payoneer = self.payoneer(problems);
        let attempt_timeout = problems
            .parse(
                "PROVIDER_ATTEMPT_TIMEOUT_MS",
                self.provider_attempt_timeout_ms.as_deref(),
                |value| whole_number_within(value, 1..=PROVIDER_ATTEMPT_TIMEOUT_MS_MAX),
            )
            .map(Duration::from_millis);
        let fake_capture_pending = problems
            .parse(
                "DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS",
                self.fake_paypal_capture_status.as_deref(),
                fake_capture_pending,
            )
            .unwrap_or(false);
        ProviderSettings {
            paypal,
            aliexpress,
            payoneer,
            attempt_timeout,
            fake_capture_pending,
        }
    }

    /// Payoneer: all four settings, or none.
    fn payoneer(&self, problems: &mut Problems) -> Option<PayoneerAccount> {
        let base_url = problems.parse(
            "PAYONEER_BASE_URL",
            self.payoneer_base_url.as_deref(),
            http_url,
        );
        let given = [
            self.payoneer_base_url.is_some(),
            self.payoneer_program_id.is_some(),
            self.payoneer_client_id.is_some(),
            self.payoneer_client_secret.is_some(),
        ];
        match (
            base_url,
            &self.payoneer_program_id,
            &self.payoneer_client_id,
            &self.payoneer_client_secret,
        ) {
            (Some(base_url), Some(program_id), Some(client_id), Some(client_secret)) => {
                Some(PayoneerAccount {
                    base_url,
                    program_id: program_id.clone(),
                    client_id: client_id.clone(),
                    client_secret: client_secret.clone(),
                })
            }
            _ if given.iter().any(|given| *given) && !given.iter().all(|given| *given) => {
                problems.add(
                    "Payoneer needs PAYONEER_BASE_URL, PAYONEER_PROGRAM_ID, PAYONEER_CLIENT_ID \
                     and PAYONEER_CLIENT_SECRET together",
                );
                None
            }
            _ => None,
        }
    }
}

/// Whether a fake PayPal capture status leaves captures pending:
/// `PENDING` or `COMPLETED`, in any case.
pub fn fake_capture_pending(value: &str) -> Result<bool, String> {
    if value.eq_ignore_ascii_case("PENDING") {
        Ok(true)
    } else if value.eq_ignore_ascii_case("COMPLETED") {
        Ok(false)
    } else {
        Err("must be COMPLETED or PENDING".to_owned())
    }
}
