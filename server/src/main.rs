//! `server`: read the configuration, serve. Everything else is in the library.

use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Everything the server writes (the database, staged and stored clips, backups) is its
    // owner's alone: voices are private.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let detailed = std::env::var_os("RUST_LOG").is_some() || std::env::args().any(|a| a == "-v" || a == "--verbose");
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        // Colour for people at a terminal; none in files and pipes.
        .with_ansi(std::io::stderr().is_terminal())
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,whisper_rs=warn".into()),
        )
        .init();
    let outcome = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| runtime.block_on(run()));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line, the causes after colons, whatever RUST_BACKTRACE says; the backtrace
            // only when asked for.
            if detailed {
                eprintln!("error: {err:?}");
            } else {
                eprintln!("error: {err:#}");
            }
            ExitCode::FAILURE
        }
    }
}

async fn run() -> anyhow::Result<()> {
    let config = server::Config::load()?;
    match &config.command {
        Some(server::config::Command::User { action }) => server::cli::users::user(&config, action).await,
        Some(server::config::Command::Models { action }) => server::cli::models::run(&config, action).await,
        Some(server::config::Command::Backup { dir }) => {
            let made = server::cli::backup::backup(&config, dir).await?;
            println!(
                "Backed up {} objects ({} bytes) and the database into {}{}",
                made.objects,
                made.bytes,
                dir.display(),
                match made.missing.len() {
                    0 => String::new(),
                    n => format!("; {n} deleted while the backup ran (listed in backup.json)"),
                }
            );
            Ok(())
        }
        Some(server::config::Command::Restore { dir }) => {
            let restored = server::cli::backup::restore(&config, dir).await?;
            println!(
                "Restored {} objects ({} bytes) and the database from {} (taken {})",
                restored.objects,
                restored.bytes,
                dir.display(),
                restored.created_at
            );
            Ok(())
        }
        None => server::serve(config).await,
    }
}
