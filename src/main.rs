//! The `dropledger` binary: command-line entry point and wiring.

mod admin;
mod autopilot;
mod cli;
mod config;
mod demo;
mod encryption_key;
mod fake_providers;
mod local_database;
mod managers;
mod paypal_webhooks;
mod projection_workers;
mod providers;
mod replay;
mod rotate;
mod serve;
mod server;
mod verify;

use std::process::ExitCode;

use clap::Parser;
use dropledger_eventstore::EventStore;
use tracing_subscriber::EnvFilter;

use cli::{AdminAction, Cli, Command, DbAction};
use local_database::LocalDatabase;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // The demo prints its own progress; every provider call logged at info
    // level would bury it, so it logs warnings only unless RUST_LOG says
    // otherwise — and not the failed orders it staged and reports itself.
    let default_filter = match cli.command {
        Command::Demo { .. } => "warn,dropledger_workflows::fulfilment=error",
        _ => "info,sqlx=warn",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let database_url = cli.database_url.as_deref();
    match cli.command {
        Command::Migrate => {
            let database = LocalDatabase::open(database_url, &cli.data_dir).await?;
            println!("database migrated: {}", database.url_for_display());
            database.close().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify => {
            let database = LocalDatabase::open(database_url, &cli.data_dir).await?;
            let store = EventStore::new(database.pool.clone());
            let report = verify::verify(&store).await?;
            println!("{}", verify::describe(&report));
            database.close().await?;
            Ok(if report.first_tampered.is_none() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Demo {
            listen,
            exit,
            settings,
        } => {
            let options = demo::DemoOptions {
                listen,
                exit,
                settings: settings.parse()?,
            };
            let sound = demo::run(database_url, &cli.data_dir, options).await?;
            // Exit non-zero when the books do not balance or the chain broke.
            Ok(if sound {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Replay { projection } => {
            let database = LocalDatabase::open(database_url, &cli.data_dir).await?;
            let store = EventStore::new(database.pool.clone());
            let report = replay::replay(&store, projection.as_deref()).await;
            database.close().await?;
            println!("{}", replay::describe(&report?));
            Ok(ExitCode::SUCCESS)
        }
        Command::Status => {
            let database = LocalDatabase::open(database_url, &cli.data_dir).await?;
            let store = EventStore::new(database.pool.clone());
            let statuses = dropledger_projections::projection_status(&store).await;
            database.close().await?;
            for status in statuses? {
                println!("{}", replay::describe_status(&status));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { listen, settings } => {
            // Checked before anything else happens: a misconfigured server
            // never opens its database, let alone listens.
            let settings = settings.parse()?;
            serve::run(database_url, &cli.data_dir, listen, settings).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::FakeProviders {
            listen,
            paypal_balance,
            paypal_capture_pending,
            supplier_stock,
        } => {
            fake_providers::run(
                listen,
                &paypal_balance,
                paypal_capture_pending,
                supplier_stock,
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin { action } => match action {
            AdminAction::Create {
                email,
                paypal_payout_email,
                password_stdin: _,
                keys,
            } => {
                admin::create(
                    database_url,
                    &cli.data_dir,
                    keys.parse()?,
                    &email,
                    paypal_payout_email.as_deref(),
                    std::io::stdin().lock(),
                )
                .await?;
                Ok(ExitCode::SUCCESS)
            }
        },
        Command::RotateCredentials { keys } => {
            let keys = keys.parse()?;
            let (report, current, (data_keys, data_keys_unopenable)) =
                rotate::run(database_url, &cli.data_dir, keys).await?;
            println!("{}", rotate::describe(&report, &current));
            println!("re-sealed {data_keys} personal data key(s) under key {current:?}");
            if data_keys_unopenable > 0 {
                println!("{data_keys_unopenable} personal data key(s) were sealed by a key you did not give (add it to ENCRYPTION_KEYS_RETIRED and run again)");
            }
            Ok(
                if report.unopenable.is_empty() && data_keys_unopenable == 0 {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                },
            )
        }
        Command::Db { action } => match action {
            DbAction::Url => {
                let database = LocalDatabase::open(database_url, &cli.data_dir).await?;
                println!("{}", database.url());
                // Keep a cluster we started running: the caller wants to use it.
                database.pool.close().await;
                Ok(ExitCode::SUCCESS)
            }
            DbAction::Stop => {
                if local_database::stop_private_cluster(&cli.data_dir).await? {
                    println!("stopped the private cluster in {}", cli.data_dir.display());
                } else {
                    println!(
                        "no private cluster is running in {}",
                        cli.data_dir.display()
                    );
                }
                Ok(ExitCode::SUCCESS)
            }
        },
    }
}
