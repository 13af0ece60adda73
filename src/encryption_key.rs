//! The key that seals stored credentials (users' supplier tokens, API keys).
//!
//! Production reads `ENCRYPTION_KEY` (`kid:base64`) and refuses to start
//! without it (see `serve`). On local defaults a key is generated once and
//! kept beside the private database under the data directory, readable by
//! its owner only, so that tokens saved before a restart still open after it.

use std::path::Path;

use anyhow::Context;
use dropledger_integrations::{
    CredentialVault, EncryptionKey, ExposeSecret, Keyring, PgCredentialStore, ENCRYPTION_KEY_ENV,
};
use sqlx::PgPool;

/// The file under the data directory that holds the generated local key.
const LOCAL_KEY_FILE: &str = "local-encryption.key";
/// The key id of a generated local key.
const LOCAL_KEY_ID: &str = "local";

/// The credential vault over the `credential` table, sealing with `key`
/// (`ENCRYPTION_KEY`) or, when there is none, with this machine's local key;
/// `retired` keys (`ENCRYPTION_KEYS_RETIRED`) still open what they sealed.
pub fn credential_vault(
    pool: PgPool,
    data_dir: &Path,
    key: Option<EncryptionKey>,
    retired: Vec<EncryptionKey>,
) -> anyhow::Result<CredentialVault<PgCredentialStore>> {
    let key = match key {
        Some(key) => key,
        None => local_key(data_dir)?,
    };
    let keyring = retired
        .into_iter()
        .fold(Keyring::new(key), Keyring::with_retired);
    Ok(CredentialVault::new(keyring, PgCredentialStore::new(pool)))
}

/// [`credential_vault`] with the keys a command was given (`admin create`,
/// `rotate-credentials`).
pub fn vault_with_keys(
    pool: PgPool,
    data_dir: &Path,
    keys: crate::config::Keys,
) -> anyhow::Result<CredentialVault<PgCredentialStore>> {
    credential_vault(pool, data_dir, keys.current, keys.retired)
}

/// The local key, generated on first use. Two processes racing to create it
/// both end up with the one that reached the disk first.
fn local_key(data_dir: &Path) -> anyhow::Result<EncryptionKey> {
    let path = data_dir.join(LOCAL_KEY_FILE);
    if !path.exists() {
        let generated = EncryptionKey::generate(LOCAL_KEY_ID);
        create_private(&path, generated.to_config_value().expose_secret())
            .with_context(|| format!("keeping the local encryption key in {}", path.display()))?;
        tracing::warn!(
            path = %path.display(),
            "{ENCRYPTION_KEY_ENV} is not set: stored credentials are sealed with a generated local key"
        );
    }
    let stored = std::fs::read_to_string(&path)
        .with_context(|| format!("reading the local encryption key {}", path.display()))?;
    EncryptionKey::parse(stored.trim())
        .map_err(|error| anyhow::anyhow!("{}: {error}", path.display()))
}

/// Creates `path` with `contents`, readable by its owner only; an existing
/// file is left as it is. The key is written to a private temporary file and
/// linked into place, so no reader ever sees half a key.
fn create_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let temporary = path.with_extension(format!("tmp-{}", std::process::id()));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(&temporary)?.write_all(contents.as_bytes())?;
    let linked = match std::fs::hard_link(&temporary, path) {
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other,
    };
    std::fs::remove_file(&temporary)?;
    linked
}
