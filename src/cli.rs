//! The command line: what the `dropledger` binary can be asked to do.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::{KeysInput, ServerSettingsInput};

/// dropledger: an autonomous dropshipping business on an event-sourced,
/// double-entry ledger.
#[derive(Debug, Parser)]
#[command(version, about)]
pub struct Cli {
    /// The PostgreSQL database. Unset: a server on the local socket or
    /// 127.0.0.1:5432 (database `dropledger`), else a private cluster started
    /// under the data folder.
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,

    /// Where the private PostgreSQL cluster lives when one is needed.
    #[arg(
        long,
        env = "DROPLEDGER_DATA_DIR",
        default_value = ".dropledger",
        global = true
    )]
    pub data_dir: PathBuf,

    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply the database migrations and exit.
    Migrate,
    /// Recompute the event log's hash chain; exit non-zero naming the first
    /// event whose stored bytes changed.
    Verify,
    /// Run the whole business on local defaults: a fresh `dropledger_demo`
    /// database (or `DATABASE_URL` as given), fake providers and the server,
    /// driven through its GraphQL API until every order is PURCHASED or
    /// FAILED and every payout settled; print a summary of orders, money,
    /// the trial balance and the hash chain, then keep serving (GraphiQL)
    /// until Ctrl-C.
    Demo {
        /// Address the demo's server listens on (any free port when taken).
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Stop after the summary instead of serving until Ctrl-C.
        #[arg(long)]
        exit: bool,
        /// The server's settings (its providers are always the local fakes).
        #[command(flatten)]
        settings: ServerSettingsInput,
    },
    /// Rebuild read models from the first event into shadow tables and swap
    /// them in atomically; readers keep the old ones until then.
    Replay {
        /// Only this projection (ledger, commerce or audit); all when absent.
        #[arg(long)]
        projection: Option<String>,
    },
    /// Show each projection's position, lag behind the log and state.
    Status,
    /// Serve the GraphQL API (`/graphql`), `/healthz` and `/metrics`.
    Serve {
        /// Address to listen on (port 0: any free port, printed on start).
        #[arg(long, env = "LISTEN_ADDR", default_value = "127.0.0.1:8080")]
        listen: std::net::SocketAddr,
        /// Everything else the server is configured with.
        #[command(flatten)]
        settings: ServerSettingsInput,
    },
    /// Run the local fake PayPal, AliExpress and Payoneer on one address
    /// (state in memory) until SIGTERM or Ctrl-C; prints the settings that
    /// point `serve` at them, a summary URL and a fault-injection URL.
    FakeProviders {
        /// Address to listen on (port 0: any free port, printed on start).
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: std::net::SocketAddr,
        /// The fake PayPal account's opening USD balance.
        #[arg(long, default_value = "0.00")]
        paypal_balance: String,
        /// `PENDING`: the fake PayPal leaves captures pending until
        /// completed through it; `COMPLETED` (default) completes them.
        #[arg(
            long = "paypal-capture-status",
            env = "DROPLEDGER_FAKE_PAYPAL_CAPTURE_STATUS",
            value_name = "COMPLETED|PENDING",
            default_value = "COMPLETED",
            value_parser = crate::config::fake_capture_pending
        )]
        paypal_capture_pending: bool,
        /// Units of every fake AliExpress SKU in stock (default 100 a
        /// colour): a long fault run buys more lamps than that.
        #[arg(long, value_name = "UNITS")]
        supplier_stock: Option<u64>,
    },
    /// Manage the platform's ADMINs from the server's side.
    Admin {
        /// What to do.
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Re-seal every stored credential under the current ENCRYPTION_KEY,
    /// opening each with ENCRYPTION_KEYS_RETIRED where needed; exits
    /// non-zero naming the credentials no given key opens. Afterwards the
    /// retired keys can be dropped.
    RotateCredentials {
        /// The current and retired keys.
        #[command(flatten)]
        keys: KeysInput,
    },
    /// Manage the private PostgreSQL cluster under the data folder.
    Db {
        /// What to do with it.
        #[command(subcommand)]
        action: DbAction,
    },
}

/// What to do with the private cluster.
#[derive(Debug, Subcommand)]
pub enum DbAction {
    /// Print the URL of the database dropledger would use (starting the
    /// private cluster if no other server is reachable).
    Url,
    /// Stop the private cluster if it is running.
    Stop,
}

/// What to do about ADMINs.
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create the platform's first ADMIN (in production, registering never
    /// makes one). Refused when an ADMIN exists: they grant roles with the
    /// `setUserRole` mutation.
    Create {
        /// The ADMIN's sign-in e-mail.
        #[arg(long)]
        email: String,
        /// Where the platform's commission is paid at PayPal (default: --email).
        #[arg(long)]
        paypal_payout_email: Option<String>,
        /// Read the password from the first line of standard input (never
        /// from the command line, where other users of the machine see it).
        #[arg(long, required = true)]
        password_stdin: bool,
        /// The keys that seal the ADMIN's personal data (as `serve` uses).
        #[command(flatten)]
        keys: KeysInput,
    },
}
