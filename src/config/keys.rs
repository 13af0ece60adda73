//! The keys that seal stored credentials: `ENCRYPTION_KEY` seals (and
//! opens), `ENCRYPTION_KEYS_RETIRED` (comma-separated `kid:base64`) only
//! open what older keys sealed, until `dropledger rotate-credentials` has
//! re-sealed it all under the current key and they can be dropped.

use clap::Args;
use dropledger_integrations::{EncryptionKey, ExposeSecret, SecretString};

use super::ConfigError;

/// The keys as given to `rotate-credentials`.
#[derive(Debug, Clone, Default, Args)]
pub struct KeysInput {
    /// Seals stored credentials (`kid:base64` of 32 bytes); the local key
    /// under the data folder when unset.
    #[arg(long, env = "ENCRYPTION_KEY", hide_env_values = true, value_parser = secret)]
    pub encryption_key: Option<SecretString>,
    /// Keys that sealed credentials before `ENCRYPTION_KEY` (comma-separated
    /// `kid:base64`): they only open.
    #[arg(long, env = "ENCRYPTION_KEYS_RETIRED", hide_env_values = true, value_parser = secret)]
    pub encryption_keys_retired: Option<SecretString>,
}

fn secret(value: &str) -> Result<SecretString, std::convert::Infallible> {
    Ok(SecretString::from(value.to_owned()))
}

/// The parsed keys.
#[derive(Debug, Default)]
pub struct Keys {
    /// The sealing key; `None`: the local key.
    pub current: Option<EncryptionKey>,
    /// Keys that only open.
    pub retired: Vec<EncryptionKey>,
}

impl KeysInput {
    /// The keys, or every problem with them.
    pub fn parse(&self) -> Result<Keys, ConfigError> {
        let mut problems = Vec::new();
        let current = self
            .encryption_key
            .as_ref()
            .filter(|key| !key.expose_secret().is_empty())
            .and_then(|key| {
                EncryptionKey::parse(key.expose_secret())
                    .map_err(|reason| problems.push(format!("ENCRYPTION_KEY: {reason}")))
                    .ok()
            });
        let retired = parse_retired(
            self.encryption_keys_retired.as_ref(),
            current.as_ref(),
            &mut problems,
        );
        if problems.is_empty() {
            Ok(Keys { current, retired })
        } else {
            Err(ConfigError(problems))
        }
    }
}

/// `ENCRYPTION_KEYS_RETIRED`, each key checked; a retired key may not
/// share the current key's id (which of the two would open a value?).
pub(super) fn parse_retired(
    given: Option<&SecretString>,
    current: Option<&EncryptionKey>,
    problems: &mut Vec<String>,
) -> Vec<EncryptionKey> {
    let Some(given) = given else {
        return Vec::new();
    };
    let mut retired: Vec<EncryptionKey> = Vec::new();
    for entry in given
        .expose_secret()
        .split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
    {
        match EncryptionKey::parse(entry) {
            Ok(key) if current.is_some_and(|current| current.id() == key.id()) => problems.push(
                format!("ENCRYPTION_KEYS_RETIRED: key id {:?} is the current ENCRYPTION_KEY's; give retired keys ids of their own", key.id()),
            ),
            Ok(key) if retired.iter().any(|other| other.id() == key.id()) => problems.push(
                format!("ENCRYPTION_KEYS_RETIRED: key id {:?} is given twice", key.id()),
            ),
            Ok(key) => retired.push(key),
            Err(reason) => problems.push(format!("ENCRYPTION_KEYS_RETIRED: {reason}")),
        }
    }
    retired
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(id: &str) -> String {
        EncryptionKey::generate(id)
            .to_config_value()
            .expose_secret()
            .to_owned()
    }

    fn input(current: Option<String>, retired: Option<String>) -> KeysInput {
        KeysInput {
            encryption_key: current.map(SecretString::from),
            encryption_keys_retired: retired.map(SecretString::from),
        }
    }

    #[test]
    fn retired_keys_are_read_beside_the_current_one() {
        let keys = input(
            Some(key("k3")),
            Some(format!("{}, {}", key("k1"), key("k2"))),
        )
        .parse()
        .unwrap();
        assert_eq!(keys.current.unwrap().id(), "k3");
        let ids: Vec<&str> = keys.retired.iter().map(EncryptionKey::id).collect();
        assert_eq!(ids, ["k1", "k2"]);
    }

    #[test]
    fn a_malformed_twice_given_or_current_retired_key_is_named() {
        for (retired, named) in [
            ("k1:not-base64".to_owned(), "not base64"),
            (format!("{},{}", key("k1"), key("k1")), "given twice"),
            (key("k3"), "the current ENCRYPTION_KEY's"),
        ] {
            let error = input(Some(key("k3")), Some(retired)).parse().unwrap_err();
            let text = error.to_string();
            assert!(text.contains(named), "{text}");
            assert!(text.contains("ENCRYPTION_KEYS_RETIRED"), "{text}");
        }
    }
}
