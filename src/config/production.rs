//! What production mode requires before the server may start.

use dropledger_integrations::PayPalEnvironment;

use super::problems::Problems;
use super::ServerSettingsInput;

impl ServerSettingsInput {
    /// Production refuses to start on anything it would otherwise make up
    /// or simulate.
    pub(super) fn check_production(
        &self,
        problems: &mut Problems,
        paypal_environment: Option<PayPalEnvironment>,
    ) {
        let required = [
            ("JWT_SECRET", self.jwt_secret.is_none()),
            ("ENCRYPTION_KEY", self.encryption_key.is_none()),
            ("PAYPAL_CLIENT_ID", self.paypal_client_id.is_none()),
            ("PAYPAL_CLIENT_SECRET", self.paypal_client_secret.is_none()),
            ("ALIEXPRESS_APP_KEY", self.aliexpress_app_key.is_none()),
            (
                "ALIEXPRESS_APP_SECRET",
                self.aliexpress_app_secret.is_none(),
            ),
            ("INTERNAL_RUN_SECRET", self.internal_run_secret.is_none()),
        ];
        let missing: Vec<&str> = required
            .iter()
            .filter(|(_, missing)| *missing)
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            problems.add(format!(
                "production mode (AUTOPILOT_MODE=production or PAYPAL_ENVIRONMENT=production) needs {}",
                missing.join(", ")
            ));
        }
        // Real supplier purchases paid by sandbox (free, fake) money would
        // be bought with the platform's own capital and never paid for.
        if paypal_environment != Some(PayPalEnvironment::Live) {
            problems.add(
                "production mode takes real payments: set PAYPAL_ENVIRONMENT=production \
                 (PayPal sandbox money cannot pay for real purchases)",
            );
        }
    }
}
