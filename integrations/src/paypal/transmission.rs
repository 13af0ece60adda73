//! What a webhook delivery must look like before PayPal is asked about it.
//! Verifying a signature costs a call to PayPal, and anyone can post to
//! `/webhooks/paypal`: a delivery that is old (a replay), dated in the
//! future, or whose certificate is not PayPal's is refused here, for free.

use chrono::{DateTime, Utc};
use reqwest::Url;

use super::webhook::WebhookHeaders;

/// The oldest a delivery may be when it arrives: PayPal signs each
/// delivery (retries too) when it sends it.
pub const WEBHOOK_TRANSMISSION_AGE_MAX_SECS: i64 = 5 * 60;
/// How far ahead of our clock a delivery may be dated (clock skew).
pub const WEBHOOK_CLOCK_SKEW_MAX_SECS: i64 = 60;

/// Why a delivery was refused before PayPal was asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransmissionRefusal {
    /// `PAYPAL-TRANSMISSION-TIME` is not an RFC 3339 time.
    #[error("transmission time {0:?} is not an RFC 3339 time")]
    UnreadableTime(String),
    /// Sent longer ago than [`WEBHOOK_TRANSMISSION_AGE_MAX_SECS`].
    #[error("sent {0} s ago, more than {WEBHOOK_TRANSMISSION_AGE_MAX_SECS} s")]
    Stale(i64),
    /// Dated further ahead than [`WEBHOOK_CLOCK_SKEW_MAX_SECS`].
    #[error("dated {0} s in the future, more than {WEBHOOK_CLOCK_SKEW_MAX_SECS} s")]
    Future(i64),
    /// `PAYPAL-CERT-URL` is not an HTTPS URL on PayPal's domains.
    #[error("the certificate URL's host is not PayPal's")]
    ForeignCertificate,
}

impl WebhookHeaders {
    /// Whether this delivery, received at `now`, is fresh and names a
    /// certificate of PayPal's (`paypal.com` and its subdomains over
    /// HTTPS), or of the API host the client talks to (`api_base_url`: the
    /// local fake's in tests; production refuses such overrides).
    pub fn check(&self, now: DateTime<Utc>, api_base_url: &str) -> Result<(), TransmissionRefusal> {
        let sent = DateTime::parse_from_rfc3339(self.transmission_time.trim())
            .map_err(|_| TransmissionRefusal::UnreadableTime(self.transmission_time.clone()))?;
        let age = (now - sent.with_timezone(&Utc)).num_seconds();
        if age > WEBHOOK_TRANSMISSION_AGE_MAX_SECS {
            return Err(TransmissionRefusal::Stale(age));
        }
        if -age > WEBHOOK_CLOCK_SKEW_MAX_SECS {
            return Err(TransmissionRefusal::Future(-age));
        }
        if certificate_is_paypals(&self.cert_url, api_base_url) {
            Ok(())
        } else {
            Err(TransmissionRefusal::ForeignCertificate)
        }
    }
}

fn certificate_is_paypals(cert_url: &str, api_base_url: &str) -> bool {
    let Ok(url) = Url::parse(cert_url.trim()) else {
        return false;
    };
    if Url::parse(api_base_url).is_ok_and(|api| api.origin() == url.origin()) {
        return true;
    }
    let on_paypal = url
        .host_str()
        .is_some_and(|host| host == "paypal.com" || host.ends_with(".paypal.com"));
    url.scheme() == "https" && on_paypal && url.port().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    const API: &str = "https://api-m.sandbox.paypal.com";

    fn delivery(sent: DateTime<Utc>, cert_url: &str) -> WebhookHeaders {
        WebhookHeaders {
            transmission_id: "t".to_owned(),
            transmission_time: sent.to_rfc3339(),
            transmission_sig: "s".to_owned(),
            cert_url: cert_url.to_owned(),
            auth_algo: "SHA256withRSA".to_owned(),
        }
    }

    #[test]
    fn a_fresh_delivery_with_paypals_certificate_passes() {
        let now = Utc::now();
        for cert in [
            "https://api-m.paypal.com/v1/notifications/certs/CERT-1",
            "https://api.sandbox.paypal.com/v1/notifications/certs/CERT-1",
        ] {
            assert_eq!(
                delivery(now - Duration::seconds(299), cert).check(now, API),
                Ok(())
            );
            assert_eq!(
                delivery(now + Duration::seconds(59), cert).check(now, API),
                Ok(())
            );
        }
        let fake = "http://127.0.0.1:4010/v1/notifications/certs/CERT-FAKE";
        assert_eq!(
            delivery(now, fake).check(now, "http://127.0.0.1:4010"),
            Ok(())
        );
    }

    #[test]
    fn old_future_and_undated_deliveries_are_refused() {
        let now = Utc::now();
        let cert = "https://api-m.paypal.com/v1/notifications/certs/CERT-1";
        assert_eq!(
            delivery(now - Duration::seconds(301), cert).check(now, API),
            Err(TransmissionRefusal::Stale(301))
        );
        assert_eq!(
            delivery(now + Duration::seconds(61), cert).check(now, API),
            Err(TransmissionRefusal::Future(61))
        );
        let mut undated = delivery(now, cert);
        undated.transmission_time = "yesterday".to_owned();
        assert!(matches!(
            undated.check(now, API),
            Err(TransmissionRefusal::UnreadableTime(_))
        ));
    }

    #[test]
    fn a_certificate_off_paypals_domains_is_refused() {
        let now = Utc::now();
        for cert in [
            "https://attacker.example/cert",
            "https://paypal.com.attacker.example/cert",
            "https://evilpaypal.com/cert",
            "http://api-m.paypal.com/cert",
            "https://api-m.paypal.com:8443/cert",
            "https://user@attacker.example/api-m.paypal.com",
            "http://127.0.0.1:4010/cert",
            "not a url",
        ] {
            assert_eq!(
                delivery(now, cert).check(now, API),
                Err(TransmissionRefusal::ForeignCertificate),
                "{cert}"
            );
        }
    }
}
