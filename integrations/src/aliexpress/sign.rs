//! The Open Platform's request signature.
//!
//! Recipe (AliExpress Open Platform, "sign_method=sha256"): drop `sign`,
//! sort the remaining parameters by name (byte order), concatenate each
//! name and value with no separators, prefix the API path for the system
//! (auth) APIs only — `/auth/token/create`, not business methods called
//! through `/sync` — and take HMAC-SHA256 keyed by the app secret, in
//! upper-case hex.

use std::collections::BTreeMap;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// The text that is signed: `[api path] + name1 value1 name2 value2 ...`.
pub(crate) fn string_to_sign(api_path: Option<&str>, params: &BTreeMap<String, String>) -> String {
    let mut text = String::new();
    if let Some(path) = api_path {
        text.push_str(path);
    }
    // A BTreeMap iterates in byte order of the names: the platform's sort.
    for (name, value) in params.iter().filter(|(name, _)| name.as_str() != "sign") {
        text.push_str(name);
        text.push_str(value);
    }
    text
}

/// Signs the parameters of one call. `api_path` is `Some` for the system
/// APIs (`/auth/token/create`, `/auth/token/refresh`) and `None` for the
/// business methods.
pub fn sign_request(
    app_secret: &SecretString,
    api_path: Option<&str>,
    params: &BTreeMap<String, String>,
) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign(api_path, params).as_bytes());
    hex::encode_upper(mac.finalize().into_bytes())
}

/// Whether `sign` is the right signature of `params`, compared in constant
/// time (the fake server uses it).
pub(crate) fn signature_matches(
    app_secret: &SecretString,
    api_path: Option<&str>,
    params: &BTreeMap<String, String>,
    sign: &str,
) -> bool {
    let Ok(claimed) = hex::decode(sign) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(app_secret.expose_secret().as_bytes())
        .expect("HMAC accepts keys of any length");
    mac.update(string_to_sign(api_path, params).as_bytes());
    mac.verify_slice(&claimed).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    // The expected values were computed independently with Python's
    // `hmac.new(secret, text, hashlib.sha256).hexdigest().upper()`.
    #[test]
    fn a_system_api_is_signed_with_its_path_prefixed() {
        let secret = SecretString::from("helloworld-secret");
        let params = params(&[
            ("timestamp", "1517820392000"),
            ("app_key", "12345678"),
            ("sign_method", "sha256"),
            ("code", "3_500102_JxZ05Ux3cnnSSUm6dCxYg6Q26"),
        ]);
        assert_eq!(
            string_to_sign(Some("/auth/token/create"), &params),
            "/auth/token/createapp_key12345678code3_500102_JxZ05Ux3cnnSSUm6dCxYg6Q26sign_methodsha256timestamp1517820392000"
        );
        assert_eq!(
            sign_request(&secret, Some("/auth/token/create"), &params),
            "4F2E20083F5D7BD02826BEB21164458827D7CDA0AAA4997E6684521F6ECBE9F8"
        );
    }

    #[test]
    fn a_business_method_is_signed_without_a_path_and_without_its_sign() {
        let secret = SecretString::from("helloworld-secret");
        let mut params = params(&[
            ("app_key", "12345678"),
            ("format", "json"),
            ("method", "aliexpress.ds.product.get"),
            ("product_id", "1005001234567890"),
            ("session", "50000600a12bcdefg"),
            ("ship_to_country", "US"),
            ("sign_method", "sha256"),
            ("timestamp", "1517820392000"),
        ]);
        let expected = "816DBFF59E3B98EC0DD9901750D9415879A847B420FC203DA50BF08E2517F863";
        assert_eq!(sign_request(&secret, None, &params), expected);
        params.insert("sign".into(), expected.into());
        assert_eq!(sign_request(&secret, None, &params), expected);
        assert!(signature_matches(&secret, None, &params, expected));
    }

    #[test]
    fn a_changed_parameter_breaks_the_signature() {
        let secret = SecretString::from("helloworld-secret");
        let mut params = params(&[("app_key", "12345678"), ("product_id", "1")]);
        let sign = sign_request(&secret, None, &params);
        params.insert("product_id".into(), "2".into());
        assert!(!signature_matches(&secret, None, &params, &sign));
    }
}
