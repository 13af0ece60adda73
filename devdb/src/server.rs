//! Finding (or starting) a PostgreSQL server, and creating its databases.
//!
//! `DATABASE_URL` wins when set. Otherwise a server on the local socket or on
//! 127.0.0.1:5432 is used, and if there is none, a private cluster is
//! started from the installed server binaries under the project's data
//! folder (`.dropledger/pg`), so one command works on a fresh machine.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, Executor, PgConnection};

use crate::cluster::PrivateCluster;
use crate::DevDatabaseError;

/// How long connecting to a candidate server may take before the next is tried.
const PROBE_TIMEOUT_MS: u64 = 2_000;

/// A PostgreSQL server to use, and the private cluster behind it if we started one.
#[derive(Debug)]
pub struct Server {
    /// Options for the server's maintenance database (`postgres`).
    pub admin: PgConnectOptions,
    /// Where it was found, for messages.
    pub description: String,
    /// The private cluster, when the server is ours.
    pub cluster: Option<PrivateCluster>,
}

impl Server {
    /// Options for `database` on this server.
    pub fn database(&self, database: &str) -> PgConnectOptions {
        self.admin.clone().database(database)
    }

    /// Creates `database` if it does not exist.
    pub async fn ensure_database(&self, database: &str) -> Result<(), DevDatabaseError> {
        let mut admin = self.admin.connect().await?;
        let exists: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(database)
                .fetch_one(&mut admin)
                .await?;
        if !exists {
            let created = admin
                .execute(format!("CREATE DATABASE {}", quote_identifier(database)).as_str())
                .await;
            // Another process may have created it in the meantime.
            if let Err(error) = created {
                let duplicate = matches!(&error, sqlx::Error::Database(e) if e.code().as_deref() == Some("42P04"));
                if !duplicate {
                    return Err(error.into());
                }
            }
        }
        admin.close().await?;
        Ok(())
    }
}

/// Double-quotes an SQL identifier.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Finds the server to use: `database_url` (from `DATABASE_URL`) if given,
/// else a local one, else a private cluster under `data_dir` that this call
/// starts.
pub async fn locate_server(
    database_url: Option<&str>,
    data_dir: &Path,
) -> Result<Server, DevDatabaseError> {
    if let Some(url) = database_url {
        let options = PgConnectOptions::from_str(url)?;
        return Ok(Server {
            admin: options.database("postgres"),
            description: "DATABASE_URL".into(),
            cluster: None,
        });
    }
    for (description, options) in local_candidates() {
        if probe(&options).await {
            return Ok(Server {
                admin: options,
                description,
                cluster: None,
            });
        }
    }
    let cluster = PrivateCluster::start(data_dir.join("pg")).await?;
    let admin = cluster.connect_options();
    if !probe(&admin).await {
        return Err(DevDatabaseError::Cluster(format!(
            "the private PostgreSQL cluster in {} started but does not accept connections; see {}",
            cluster.data_dir().display(),
            cluster.log_file().display()
        )));
    }
    Ok(Server {
        description: format!("private cluster in {}", cluster.data_dir().display()),
        admin,
        cluster: Some(cluster),
    })
}

fn local_candidates() -> Vec<(String, PgConnectOptions)> {
    let mut candidates = Vec::new();
    let mut users = vec!["postgres".to_owned()];
    if let Ok(user) = std::env::var("USER") {
        if user != "postgres" && !user.is_empty() {
            users.push(user);
        }
    }
    for socket_dir in ["/var/run/postgresql", "/tmp"] {
        if Path::new(socket_dir).join(".s.PGSQL.5432").exists() {
            for user in &users {
                candidates.push((
                    format!("local socket in {socket_dir} as {user}"),
                    base_options()
                        .socket(socket_dir)
                        .username(user)
                        .database("postgres"),
                ));
            }
        }
    }
    for user in &users {
        candidates.push((
            format!("127.0.0.1:5432 as {user}"),
            base_options()
                .host("127.0.0.1")
                .port(5432)
                .username(user)
                .database("postgres"),
        ));
    }
    candidates
}

pub(crate) fn base_options() -> PgConnectOptions {
    PgConnectOptions::new_without_pgpass()
        .application_name("dropledger")
        .log_statements(tracing::log::LevelFilter::Trace)
}

async fn probe(options: &PgConnectOptions) -> bool {
    let attempt = tokio::time::timeout(
        Duration::from_millis(PROBE_TIMEOUT_MS),
        PgConnection::connect_with(options),
    );
    match attempt.await {
        Ok(Ok(connection)) => {
            let _ = connection.close().await;
            true
        }
        _ => false,
    }
}
