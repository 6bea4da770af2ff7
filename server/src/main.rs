//! `server`: read the configuration, serve. Everything else is in the library.

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Everything the server writes (the database, staged and stored clips, backups) is its
    // owner's alone: voices are private.
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn,whisper_rs=warn".into()),
        )
        .init();
    let config = server::Config::load()?;
    match &config.command {
        Some(server::config::Command::User { action }) => server::admin::user(&config, action).await,
        Some(server::config::Command::Models { action }) => server::models::run(&config, action).await,
        Some(server::config::Command::Backup { dir }) => {
            let made = server::backup::backup(&config, dir).await?;
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
            let restored = server::backup::restore(&config, dir).await?;
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
