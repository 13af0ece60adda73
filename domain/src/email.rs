//! E-mail addresses, parsed once at the edge.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A syntactically plausible e-mail address (`local@domain.tld`).
///
/// The domain part is lower-cased; the local part is kept as given, since
/// mail servers may treat it case-sensitively. Deliverability is the
/// provider's business, not ours.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct EmailAddress(String);

/// Why an e-mail address was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not an e-mail address: {reason}")]
pub struct InvalidEmail {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl EmailAddress {
    /// Longest address accepted (RFC 5321's path limit).
    pub const CHARS_MAX: usize = 254;
    /// Longest local part accepted (RFC 5321).
    pub const LOCAL_CHARS_MAX: usize = 64;

    /// Parses an address, trimming surrounding whitespace.
    pub fn parse(text: &str) -> Result<EmailAddress, InvalidEmail> {
        let invalid = |reason| InvalidEmail {
            text: text.to_owned(),
            reason,
        };
        let trimmed = text.trim();
        if trimmed.chars().count() > EmailAddress::CHARS_MAX {
            return Err(invalid("too long"));
        }
        if trimmed.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(invalid("contains whitespace or control characters"));
        }
        let (local, domain) = trimmed.rsplit_once('@').ok_or_else(|| invalid("no @"))?;
        if local.is_empty() || local.chars().count() > EmailAddress::LOCAL_CHARS_MAX {
            return Err(invalid("local part empty or too long"));
        }
        if local.contains('@') || local.starts_with('.') || local.ends_with('.') {
            return Err(invalid("malformed local part"));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |label: &&str| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if labels.len() < 2 || !labels.iter().all(label_ok) {
            return Err(invalid("domain must be like example.com"));
        }
        Ok(EmailAddress(format!("{local}@{}", domain.to_lowercase())))
    }

    /// The address as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = InvalidEmail;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        EmailAddress::parse(&text)
    }
}

impl From<EmailAddress> for String {
    fn from(email: EmailAddress) -> String {
        email.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_parse_and_the_domain_is_lower_cased() {
        let email = EmailAddress::parse(" Ana.Lopez+shop@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "Ana.Lopez+shop@example.com");
    }

    #[test]
    fn malformed_addresses_are_refused() {
        for text in [
            "",
            "no-at-sign",
            "@example.com",
            "ana@",
            "ana@localhost",
            "ana@exa mple.com",
            "ana@example..com",
            "ana@-example.com",
            ".ana@example.com",
            "a@b@example.com",
        ] {
            assert!(EmailAddress::parse(text).is_err(), "{text:?} was accepted");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(EmailAddress::parse(&long_local).is_err());
    }

    #[test]
    fn email_deserialisation_goes_through_the_parser() {
        assert!(serde_json::from_str::<EmailAddress>("\"nobody\"").is_err());
        let email: EmailAddress = serde_json::from_str("\"a@b.io\"").unwrap();
        assert_eq!(email.to_string(), "a@b.io");
    }
}
