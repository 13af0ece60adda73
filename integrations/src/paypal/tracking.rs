//! Tracking upload (P7): our defence against "item not received" disputes.

use reqwest::Method;
use serde_json::json;

use super::client::PayPalClient;
use super::error::PayPalError;
use super::orders::path_segment;

/// A shipment to tell PayPal about (P7): our defence against
/// "item not received" disputes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrackingInfo {
    /// The capture paid for the goods.
    pub capture_id: String,
    /// Tracking number.
    pub tracking_number: String,
    /// PayPal carrier code, or `OTHER`.
    pub carrier: String,
    /// The carrier's name when `carrier` is `OTHER`.
    pub carrier_name_other: Option<String>,
    /// Whether PayPal e-mails the buyer.
    pub notify_payer: bool,
}

impl PayPalClient {
    /// Tells PayPal how the goods were shipped (P7).
    pub async fn add_tracking(
        &self,
        order_id: &str,
        tracking: &TrackingInfo,
        request_id: &str,
    ) -> Result<(), PayPalError> {
        let path = format!("/v2/checkout/orders/{}/track", path_segment(order_id));
        let mut request = json!({
            "capture_id": tracking.capture_id,
            "tracking_number": tracking.tracking_number,
            "carrier": tracking.carrier,
            "notify_payer": tracking.notify_payer,
        });
        if let Some(name) = &tracking.carrier_name_other {
            request["carrier_name_other"] = json!(name);
        }
        self.call(
            "orders.track",
            Method::POST,
            &path,
            Some(&request),
            Some(request_id),
        )
        .await?;
        Ok(())
    }
}
