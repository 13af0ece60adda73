//! A PostgreSQL cluster of the project's own, for machines without a server.
//!
//! `initdb` and `pg_ctl` take seconds; they run as child processes awaited
//! on tokio (and the file system is touched through `tokio::fs`), so that
//! starting a cluster never blocks the runtime's threads.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use sqlx::postgres::PgConnectOptions;
use tokio::process::Command;

use crate::server::base_options;
use crate::DevDatabaseError;

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
    pub async fn start(data_dir: PathBuf) -> Result<Self, DevDatabaseError> {
        let bin_dir = find_server_binaries().await?;
        tokio::fs::create_dir_all(&data_dir)
            .await
            .map_err(|error| {
                DevDatabaseError::Cluster(format!("cannot create {}: {error}", data_dir.display()))
            })?;
        let data_dir = tokio::fs::canonicalize(&data_dir).await.map_err(|error| {
            DevDatabaseError::Cluster(format!("cannot resolve {}: {error}", data_dir.display()))
        })?;
        let mut cluster = Self {
            data_dir,
            bin_dir,
            started_here: false,
        };
        if !exists(&cluster.data_dir.join("PG_VERSION")).await {
            cluster
                .run_as_owner(
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
                )
                .await?;
        }
        if !cluster.is_running().await {
            let options = format!(
                "-c listen_addresses='' -c unix_socket_directories='{}' -p {PRIVATE_PORT}",
                cluster.data_dir.display()
            );
            cluster
                .run_as_owner(
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
                )
                .await?;
            cluster.started_here = true;
            tracing::info!(data_dir = %cluster.data_dir.display(), "started a private PostgreSQL cluster");
        }
        Ok(cluster)
    }

    /// The cluster under `data_dir` if one was ever created there (running or not).
    pub async fn existing(data_dir: PathBuf) -> Result<Option<Self>, DevDatabaseError> {
        if !exists(&data_dir.join("PG_VERSION")).await {
            return Ok(None);
        }
        Ok(Some(Self {
            data_dir,
            bin_dir: find_server_binaries().await?,
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

    /// The cluster's data folder.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
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
    pub async fn is_running(&self) -> bool {
        // `pg_ctl status` exits 0 only when the server in the folder runs.
        self.run_as_owner(
            "pg_ctl",
            &["-D", &self.data_dir.display().to_string(), "status"],
        )
        .await
        .is_ok()
    }

    /// Stops the server with a fast shutdown (running transactions roll back,
    /// committed data is safe).
    pub async fn stop(&self) -> Result<(), DevDatabaseError> {
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
        .await
    }

    /// Leaves a watchdog behind that stops the server once no process listed
    /// in `users_dir` (one file per pid) has been alive for a few seconds.
    /// Test processes come and go, so none of them can stop the cluster
    /// itself without pulling it from under the others.
    pub async fn stop_when_unused(&self, users_dir: &Path) -> Result<(), DevDatabaseError> {
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
        if running_as_root().await {
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
        let (program, setsid) = if exists(Path::new("/usr/bin/setsid")).await {
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
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            // Left running when this process ends: that is its job.
            .kill_on_drop(false)
            .spawn()
            .map_err(|error| {
                DevDatabaseError::Cluster(format!("cannot start the cluster watchdog: {error}"))
            })?;
        Ok(())
    }

    /// PostgreSQL refuses to run as root, so as root the cluster belongs to
    /// the `postgres` system user and its programs run as that user.
    async fn run_as_owner(&self, program: &str, args: &[&str]) -> Result<(), DevDatabaseError> {
        let program_path = self.bin_dir.join(program);
        let mut command = if running_as_root().await {
            let _ = Command::new("chown")
                .args(["-R", "postgres:", &self.data_dir.display().to_string()])
                .status()
                .await;
            let mut command = Command::new("runuser");
            command.args(["-u", "postgres", "--"]).arg(&program_path);
            command
        } else {
            Command::new(&program_path)
        };
        let output = command.args(args).output().await.map_err(|error| {
            DevDatabaseError::Cluster(format!("cannot run {}: {error}", program_path.display()))
        })?;
        if output.status.success() {
            Ok(())
        } else {
            Err(DevDatabaseError::Cluster(format!(
                "{program} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            )))
        }
    }
}

async fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .await
        .map(|output| String::from_utf8_lossy(&output.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether `path` exists, asked off the async threads.
async fn exists(path: &Path) -> bool {
    tokio::fs::try_exists(path).await.unwrap_or(false)
}

/// The directory holding `initdb`, `pg_ctl` and `postgres`: on the PATH, or
/// Debian's /usr/lib/postgresql/<newest>/bin. Looking lists folders, so it
/// runs on a blocking thread.
async fn find_server_binaries() -> Result<PathBuf, DevDatabaseError> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    tokio::task::spawn_blocking(move || {
        find_server_binaries_in(on_path, Path::new("/usr/lib/postgresql"))
    })
    .await
    .map_err(|error| DevDatabaseError::Cluster(format!("looking for PostgreSQL failed: {error}")))?
}

fn find_server_binaries_in(
    on_path: Vec<PathBuf>,
    debian_root: &Path,
) -> Result<PathBuf, DevDatabaseError> {
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
        .ok_or_else(|| DevDatabaseError::Unavailable(NOT_INSTALLED.into()))
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
