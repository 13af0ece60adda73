//! `dropledger admin create`: the platform's first ADMIN, made by an
//! operator with access to the database rather than by whoever registers
//! first (see `dropledger_graphql::create_admin`).

use std::io::BufRead;
use std::path::Path;

use anyhow::Context;
use dropledger_eventstore::EventStore;
use dropledger_integrations::PersonalData;

use crate::local_database::LocalDatabase;

/// Creates the first ADMIN with `email`, the password read from the first
/// line of `password_input`; prints who was created.
pub async fn create(
    database_url: Option<&str>,
    data_dir: &Path,
    keys: crate::config::Keys,
    email: &str,
    paypal_payout_email: Option<&str>,
    password_input: impl BufRead,
) -> anyhow::Result<()> {
    let password = read_password(password_input)?;
    let database = LocalDatabase::open(database_url, data_dir).await?;
    let store = EventStore::new(database.pool.clone());
    let vault = crate::encryption_key::vault_with_keys(database.pool.clone(), data_dir, keys)?;
    let personal = PersonalData::new(std::sync::Arc::new(vault));
    let created =
        dropledger_graphql::create_admin(&store, &personal, email, &password, paypal_payout_email)
            .await;
    database.close().await?;
    let user_id = created?;
    println!("created ADMIN {email} (user {user_id}); sign in with `login`");
    Ok(())
}

/// The first line of `input`, without its line ending.
fn read_password(mut input: impl BufRead) -> anyhow::Result<String> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    anyhow::ensure!(
        !password.is_empty(),
        "no password on standard input: pipe it in, e.g. `printf '%s\\n' \"$PASSWORD\" | dropledger admin create --email … --password-stdin`"
    );
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::read_password;

    #[test]
    fn the_password_is_the_first_line_without_its_ending_and_none_is_refused() {
        let cases: [(&[u8], Option<&str>); 4] = [
            (b"correct horse\n", Some("correct horse")),
            (b"correct horse\r\nsecond line\n", Some("correct horse")),
            (b" spaces kept \n", Some(" spaces kept ")),
            (b"", None),
        ];
        for (input, expected) in cases {
            assert_eq!(read_password(input).ok().as_deref(), expected, "{input:?}");
        }
    }
}
