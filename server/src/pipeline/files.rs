//! File work off the async runtime: creating, linking and opening files are blocking system
//! calls (slow on a busy or network disk), so they run on tokio's blocking threads.

use std::io;
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Runs `work` on a blocking thread.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> io::Result<T> + Send + 'static) -> io::Result<T> {
    tokio::task::spawn_blocking(work).await.map_err(io::Error::other)?
}

/// A new temporary file in `dir` (removed when dropped) and an async handle that writes it.
pub async fn temp_file(dir: &Path, prefix: &str) -> io::Result<(NamedTempFile, tokio::fs::File)> {
    let (file, writer) = temp_file_for_blocking_writes(dir, prefix).await?;
    Ok((file, tokio::fs::File::from_std(writer)))
}

/// A new temporary file in `dir` (removed when dropped) and a handle that writes it from
/// blocking threads.
pub async fn temp_file_for_blocking_writes(dir: &Path, prefix: &str) -> io::Result<(NamedTempFile, std::fs::File)> {
    let (dir, prefix): (PathBuf, String) = (dir.to_owned(), prefix.to_owned());
    blocking(move || {
        let file = tempfile::Builder::new().prefix(&prefix).tempfile_in(&dir)?;
        let writer = file.reopen()?;
        Ok((file, writer))
    })
    .await
}
