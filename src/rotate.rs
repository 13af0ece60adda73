//! `dropledger rotate-credentials`: re-seals every stored credential under
//! the current `ENCRYPTION_KEY`, opening each with whichever key of the
//! ring sealed it (`ENCRYPTION_KEYS_RETIRED`), so the retired keys can then
//! be dropped. Safe to run again, and beside running servers: a row saved
//! meanwhile is left as saved.

use std::path::Path;

use dropledger_integrations::{PersonalData, Resealed};

use crate::config::Keys;
use crate::local_database::LocalDatabase;

/// Re-seals every credential in the database; what it did, and the id of
/// the key everything is now sealed under.
pub async fn run(
    database_url: Option<&str>,
    data_dir: &Path,
    keys: Keys,
) -> anyhow::Result<(Resealed, String, (u64, u64))> {
    let database = LocalDatabase::open(database_url, data_dir).await?;
    let vault = crate::encryption_key::vault_with_keys(database.pool.clone(), data_dir, keys)?;
    let report = vault.store().reseal_all(vault.keyring()).await;
    let current = vault.keyring().current_key_id().to_owned();
    // The personal data keys are sealed with the same ring.
    let data_keys = PersonalData::new(std::sync::Arc::new(vault))
        .reseal_keys()
        .await;
    database.close().await?;
    Ok((report?, current, data_keys?))
}

/// What an operator reads: counts, and the credentials no key opened (by
/// owner, provider, environment, name and key id; never a value).
pub fn describe(report: &Resealed, current_key_id: &str) -> String {
    let mut text = format!(
        "re-sealed {} credential(s) under key {current_key_id:?}; {} already were",
        report.resealed, report.current
    );
    if !report.unopenable.is_empty() {
        text.push_str(&format!(
            "\n{} credential(s) were sealed by a key you did not give (add it to ENCRYPTION_KEYS_RETIRED and run again):",
            report.unopenable.len()
        ));
        for entry in &report.unopenable {
            text.push_str(&format!("\n  {entry}"));
        }
    }
    text
}
