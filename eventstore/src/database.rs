//! Finding (or starting) a PostgreSQL server, and migrating its database.
//!
//! `DATABASE_URL` wins when set. Otherwise a server on the local socket or on
//! 127.0.0.1:5432 is used, and if there is none, a private cluster is
//! started from the installed server binaries under the project's data
//! folder (`.dropledger/pg`), so one command works on a fresh machine.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, Executor, PgConnection, PgPool};

use crate::DatabaseError;

/// The schema of the whole system, one migrator for the binary, tests and benches.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

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
    pub async fn ensure_database(&self, database: &str) -> Result<(), DatabaseError> {
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
) -> Result<Server, DatabaseError> {
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
    let cluster = PrivateCluster::start(data_dir.join("pg"))?;
    let admin = cluster.connect_options();
    if !probe(&admin).await {
        return Err(DatabaseError::Cluster(format!(
            "the private PostgreSQL cluster in {} started but does not accept connections; see {}",
            cluster.data_dir.display(),
            cluster.log_file().display()
        )));
    }
    Ok(Server {
        description: format!("private cluster in {}", cluster.data_dir.display()),
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

fn base_options() -> PgConnectOptions {
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

/// A pool on `options` whose database is migrated to the current schema.
pub async fn connect_and_migrate(
    options: PgConnectOptions,
    max_connections: u32,
) -> Result<PgPool, DatabaseError> {
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(30))
        .connect_with(options)
        .await?;
    MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// A PostgreSQL cluster of the project's own, listening only on a socket in
/// its data folder.
#[derive(Debug)]
pub struct PrivateCluster {
    data_dir: PathBuf,
    bin_dir: PathBuf,
    /// True when this process started the server (and so should stop it).
    started_here: bool,
}

/// The port number in the socket's file name; no TCP port is opened.
const PRIVATE_PORT: u16 = 5432;

impl PrivateCluster {
    /// Creates the cluster if needed and starts its server if it is not running.
    pub fn start(data_dir: PathBuf) -> Result<Self, DatabaseError> {
        let bin_dir = find_server_binaries()?;
        std::fs::create_dir_all(&data_dir).map_err(|error| {
            DatabaseError::Cluster(format!("cannot create {}: {error}", data_dir.display()))
        })?;
        let data_dir = data_dir.canonicalize().map_err(|error| {
            DatabaseError::Cluster(format!("cannot resolve {}: {error}", data_dir.display()))
        })?;
        let mut cluster = Self {
            data_dir,
            bin_dir,
            started_here: false,
        };
        if !cluster.data_dir.join("PG_VERSION").exists() {
            cluster.run_as_owner(
                "initdb",
                &[
                    "-D",
                    &cluster.data_dir.display().to_string(),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--no-instructions",
                ],
            )?;
        }
        if !cluster.is_running() {
            let options = format!(
                "-c listen_addresses='' -c unix_socket_directories='{}' -p {PRIVATE_PORT}",
                cluster.data_dir.display()
            );
            cluster.run_as_owner(
                "pg_ctl",
                &[
                    "-D",
                    &cluster.data_dir.display().to_string(),
                    "-l",
                    &cluster.log_file().display().to_string(),
                    "-o",
                    &options,
                    "-w",
                    "start",
                ],
            )?;
            cluster.started_here = true;
            tracing::info!(data_dir = %cluster.data_dir.display(), "started a private PostgreSQL cluster");
        }
        Ok(cluster)
    }

    /// The cluster under `data_dir` if one was ever created there (running or not).
    pub fn existing(data_dir: PathBuf) -> Result<Option<Self>, DatabaseError> {
        if !data_dir.join("PG_VERSION").exists() {
            return Ok(None);
        }
        Ok(Some(Self {
            data_dir,
            bin_dir: find_server_binaries()?,
            started_here: false,
        }))
    }

    /// Options for the cluster's maintenance database.
    pub fn connect_options(&self) -> PgConnectOptions {
        base_options()
            .socket(&self.data_dir)
            .port(PRIVATE_PORT)
            .username("postgres")
            .database("postgres")
    }

    /// The server's log file.
    pub fn log_file(&self) -> PathBuf {
        self.data_dir.join("server.log")
    }

    /// True when this process started the server.
    pub fn started_here(&self) -> bool {
        self.started_here
    }

    /// True when the cluster's server is running.
    pub fn is_running(&self) -> bool {
        // `pg_ctl status` exits 0 only when the server in the folder runs.
        self.run_as_owner(
            "pg_ctl",
            &["-D", &self.data_dir.display().to_string(), "status"],
        )
        .is_ok()
    }

    /// Stops the server with a fast shutdown (running transactions roll back,
    /// committed data is safe).
    pub fn stop(&self) -> Result<(), DatabaseError> {
        self.run_as_owner(
            "pg_ctl",
            &[
                "-D",
                &self.data_dir.display().to_string(),
                "-m",
                "fast",
                "-w",
                "stop",
            ],
        )
    }

    /// Leaves a watchdog behind that stops the server once no process listed
    /// in `users_dir` (one file per pid) has been alive for a few seconds.
    /// Test processes come and go, so none of them can stop the cluster
    /// itself without pulling it from under the others.
    pub fn stop_when_unused(&self, users_dir: &Path) -> Result<(), DatabaseError> {
        const WATCHDOG: &str = r#"
            users="$1"; shift; idle=0
            while [ "$idle" -lt 5 ]; do
                sleep 1; alive=0
                for file in "$users"/*; do
                    [ -e "$file" ] || continue
                    if kill -0 "$(basename "$file")" 2>/dev/null; then alive=1; else rm -f "$file"; fi
                done
                if [ "$alive" = 1 ]; then idle=0; else idle=$((idle + 1)); fi
            done
            exec "$@""#;
        let data_dir = self.data_dir.display().to_string();
        let pg_ctl = self.bin_dir.join("pg_ctl").display().to_string();
        let mut stop: Vec<String> = Vec::new();
        if running_as_root() {
            stop.extend(["runuser", "-u", "postgres", "--"].map(String::from));
        }
        stop.extend([
            pg_ctl,
            "-D".into(),
            data_dir,
            "-m".into(),
            "fast".into(),
            "-w".into(),
            "stop".into(),
        ]);
        // setsid: an interrupted test run must not take the watchdog with it.
        let (program, setsid) = if Path::new("/usr/bin/setsid").exists() {
            ("/usr/bin/setsid", true)
        } else {
            ("sh", false)
        };
        let mut command = Command::new(program);
        if setsid {
            command.arg("sh");
        }
        command
            .args(["-c", WATCHDOG, "watchdog"])
            .arg(users_dir)
            .args(stop)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|error| {
                DatabaseError::Cluster(format!("cannot start the cluster watchdog: {error}"))
            })?;
        Ok(())
    }

    /// PostgreSQL refuses to run as root, so as root the cluster belongs to
    /// the `postgres` system user and its programs run as that user.
    fn run_as_owner(&self, program: &str, args: &[&str]) -> Result<(), DatabaseError> {
        let program_path = self.bin_dir.join(program);
        let mut command = if running_as_root() {
            let _ = Command::new("chown")
                .args(["-R", "postgres:", &self.data_dir.display().to_string()])
                .status();
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program_path);
            command
        } else {
            Command::new(&program_path)
        };
        let output = command.args(args).output().map_err(|error| {
            DatabaseError::Cluster(format!("cannot run {}: {error}", program_path.display()))
        })?;
        if output.status.success() {
            Ok(())
        } else {
            Err(DatabaseError::Cluster(format!(
                "{program} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )))
        }
    }
}

fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: on the PATH, or
/// Debian's /usr/lib/postgresql/<newest>/bin.
fn find_server_binaries() -> Result<PathBuf, DatabaseError> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    find_server_binaries_in(on_path, Path::new("/usr/lib/postgresql"))
}

fn find_server_binaries_in(
    on_path: Vec<PathBuf>,
    debian_root: &Path,
) -> Result<PathBuf, DatabaseError> {
    let mut debian: Vec<PathBuf> = std::fs::read_dir(debian_root)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    // The newest major version first.
    debian.sort_by_key(|dir| {
        std::cmp::Reverse(
            dir.parent()
                .and_then(|version| version.file_name())
                .and_then(|name| name.to_str())
                .and_then(|name| name.parse::<u32>().ok())
                .unwrap_or(0),
        )
    });
    on_path
        .into_iter()
        .chain(debian)
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file())
        .ok_or_else(|| DatabaseError::Unavailable(NOT_INSTALLED.into()))
}

const NOT_INSTALLED: &str = "No PostgreSQL server is reachable (DATABASE_URL is not set, nothing \
     listens on the local socket or 127.0.0.1:5432) and the PostgreSQL server programs (initdb, \
     pg_ctl) are not installed, so none can be started.\n\
     Install them, e.g. `sudo apt-get install postgresql` on Debian or Ubuntu, \
     `sudo dnf install postgresql-server` on Fedora, `brew install postgresql@15` on macOS — \
     or set DATABASE_URL to a server you have, e.g. \
     DATABASE_URL=postgres://postgres@127.0.0.1:5432/dropledger";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_server_programs_the_error_says_how_to_install_them_or_what_to_set() {
        let empty = std::env::temp_dir().join(format!("dropledger-no-pg-{}", std::process::id()));
        let error = find_server_binaries_in(vec![empty.clone()], &empty).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("apt-get install postgresql"), "{message}");
        assert!(message.contains("DATABASE_URL="), "{message}");
    }

    #[test]
    fn the_newest_installed_major_version_is_chosen() {
        let root =
            std::env::temp_dir().join(format!("dropledger-pg-versions-{}", std::process::id()));
        for version in ["9", "15", "13"] {
            let bin = root.join(version).join("bin");
            std::fs::create_dir_all(&bin).unwrap();
            std::fs::write(bin.join("initdb"), b"").unwrap();
            std::fs::write(bin.join("pg_ctl"), b"").unwrap();
        }
        let found = find_server_binaries_in(Vec::new(), &root).unwrap();
        std::fs::remove_dir_all(&root).unwrap();
        assert_eq!(found, root.join("15").join("bin"));
    }
}
