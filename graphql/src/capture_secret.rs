//! The capture secret of a checkout: what binds `captureCheckout` to the
//! client that called `createCheckout`. Order ids reach others (the seller,
//! ADMIN, logs, PayPal's return URL carries PayPal's id); the secret goes
//! only to the creator, who keeps it across PayPal's redirect.
//!
//! The secret is HMAC-SHA256 of the order id under a key derived from
//! `JWT_SECRET`, so nothing is stored, every server of a deployment
//! accepts it, and a retried `createCheckout` (same idempotency key, same
//! scope) gets the same secret back.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use dropledger_domain::OrderId;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What the key is derived for: another use of `JWT_SECRET` gets another key.
const KEY_LABEL: &[u8] = b"dropledger capture secret v1";

/// Makes and checks capture secrets.
#[derive(Clone)]
pub struct CaptureSecrets {
    key: [u8; 32],
}

impl std::fmt::Debug for CaptureSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CaptureSecrets(..)")
    }
}

impl CaptureSecrets {
    /// The secrets of a server whose tokens are signed with `secret`.
    pub fn derive(secret: &[u8]) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
        mac.update(KEY_LABEL);
        Self {
            key: mac.finalize().into_bytes().into(),
        }
    }

    fn mac(&self, order_id: OrderId) -> HmacSha256 {
        let mut mac =
            HmacSha256::new_from_slice(&self.key).expect("HMAC takes a key of any length");
        mac.update(order_id.as_uuid().as_bytes());
        mac
    }

    /// The secret of `order_id` (43 URL-safe characters).
    pub fn for_order(&self, order_id: OrderId) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(order_id).finalize().into_bytes())
    }

    /// Whether `presented` is the secret of `order_id` (compared in
    /// constant time).
    pub fn verify(&self, order_id: OrderId, presented: &str) -> bool {
        URL_SAFE_NO_PAD
            .decode(presented.trim())
            .is_ok_and(|bytes| self.mac(order_id).verify_slice(&bytes).is_ok())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn a_secret_fits_its_order_and_its_server_only() {
        let secrets = CaptureSecrets::derive(&[7; 32]);
        let order = OrderId::from_uuid(Uuid::new_v4());
        let other = OrderId::from_uuid(Uuid::new_v4());
        let secret = secrets.for_order(order);
        assert_eq!(secret.len(), 43);
        assert!(secrets.verify(order, &secret));
        assert!(!secrets.verify(other, &secret));
        assert!(!CaptureSecrets::derive(&[8; 32]).verify(order, &secret));
        assert!(!secrets.verify(order, ""));
        assert!(!secrets.verify(order, "not base64 !"));
        assert!(!secrets.verify(order, &secret[..42]));
    }
}
