//! `server backup DIR` and `server restore DIR`.
//!
//! A backup is taken while the server runs and uploads go on: first a consistent snapshot of
//! the database (SQLite's `VACUUM INTO`), then every object that snapshot names — media,
//! heads, posters, captions — read from the storage (local disk or S3) into `DIR/objects/`.
//! Objects stored after the snapshot belong to clips it does not have; an object deleted in
//! between (its clip deleted meanwhile) is listed as missing in `DIR/backup.json`. A restore
//! puts the database and the objects into an empty data directory and its storage.
//!
//! With PostgreSQL, the database is backed up with PostgreSQL's own tools (see the README).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;

use crate::config::Config;
use crate::storage::{Storage, StorageError};
use db::{Location, Snapshot};

/// The database's name inside a backup.
const DATABASE: &str = "offbeat.db";
/// The objects' folder inside a backup.
const OBJECTS: &str = "objects";
const MANIFEST: &str = "backup.json";

/// What `backup.json` says about a backup.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    pub format: u32,
    pub created_at: db::Timestamp,
    pub server_version: String,
    pub objects: usize,
    pub bytes: u64,
    /// Objects the snapshot names that were gone by the time they were copied.
    pub missing: Vec<String>,
}

/// Backs the data up into `dir`, which must not exist or be empty.
pub async fn backup(config: &Config, dir: &Path) -> anyhow::Result<Manifest> {
    let location = config.database()?;
    if let Location::Postgres(_) = location {
        bail!(
            "with PostgreSQL, back the database up with its own tools (pg_dump --format=custom, or \
             base backups with WAL archiving) and the clips with your S3 provider's (versioning, \
             replication); `server backup` copies an SQLite data directory"
        );
    }
    empty_dir(dir).await?;
    let db = db::open(&location).await?;
    let snapshot = dir.join(DATABASE);
    match db.snapshot(&snapshot).await? {
        Snapshot::Written => {}
        Snapshot::UseTheEnginesTools => bail!("this database is backed up with its engine's own tools"),
    }
    // The objects the snapshot names, read from the snapshot itself.
    let taken = db::open(&Location::Sqlite(snapshot.clone())).await?;
    let keys = taken.clips().object_keys().await?;
    let storage = crate::state::open_storage(config).await?;
    let (mut bytes, mut missing) = (0, Vec::new());
    for key in &keys {
        match copy_out(&storage, key, &dir.join(OBJECTS).join(key)).await {
            Ok(size) => bytes += size,
            Err(StorageError::NotFound) => missing.push(key.clone()),
            Err(err) => return Err(err).with_context(|| format!("cannot copy {key}")),
        }
    }
    let manifest = Manifest {
        format: 1,
        created_at: db::Timestamp::now(),
        server_version: env!("CARGO_PKG_VERSION").to_owned(),
        objects: keys.len() - missing.len(),
        bytes,
        missing,
    };
    tokio::fs::write(dir.join(MANIFEST), serde_json::to_vec_pretty(&manifest)?).await?;
    Ok(manifest)
}

/// Restores the backup in `dir` into the configured data directory (whose database must not
/// exist yet) and storage.
pub async fn restore(config: &Config, dir: &Path) -> anyhow::Result<Manifest> {
    let manifest: Manifest = serde_json::from_slice(
        &tokio::fs::read(dir.join(MANIFEST))
            .await
            .with_context(|| format!("{} is not a backup (no {MANIFEST})", dir.display()))?,
    )?;
    if manifest.format != 1 {
        bail!(
            "this backup's format ({}) is not one this server reads",
            manifest.format
        );
    }
    let Location::Sqlite(database) = config.database()? else {
        bail!("restore into PostgreSQL with pg_restore; `server restore` fills an SQLite data directory");
    };
    if tokio::fs::try_exists(&database).await? {
        bail!("{} exists: restore into an empty data directory", database.display());
    }
    tokio::fs::create_dir_all(&config.data_dir).await?;
    let storage = crate::state::open_storage(config).await?;
    let objects = dir.join(OBJECTS);
    for (key, path) in files_under(&objects).await? {
        let size = tokio::fs::metadata(&path).await?.len();
        storage
            .put_file(&key, &path, size, content_type(&key))
            .await
            .with_context(|| format!("cannot store {key}"))?;
    }
    // Copied under another name first: a restore cut short leaves no database to start on.
    let partial = database.with_extension("db.restoring");
    tokio::fs::copy(dir.join(DATABASE), &partial).await?;
    tokio::fs::rename(&partial, &database).await?;
    // Brought up to this server's schema now, not at its first start.
    db::open(&Location::Sqlite(database)).await?;
    Ok(manifest)
}

async fn empty_dir(dir: &Path) -> anyhow::Result<()> {
    if tokio::fs::try_exists(dir).await? {
        let mut entries = tokio::fs::read_dir(dir).await?;
        if entries.next_entry().await?.is_some() {
            bail!("{} is not empty: back up into a new directory", dir.display());
        }
    }
    tokio::fs::create_dir_all(dir).await?;
    Ok(())
}

/// Streams the object under `key` into the file `to`; its size.
async fn copy_out(storage: &Storage, key: &str, to: &Path) -> Result<u64, StorageError> {
    let mut reader = storage.get(key, None).await?;
    if let Some(parent) = to.parent() {
        tokio::fs::create_dir_all(parent).await?;
    }
    let mut file = tokio::fs::File::create(to).await?;
    let size = tokio::io::copy(&mut reader, &mut file).await?;
    file.flush().await?;
    file.sync_all().await?;
    Ok(size)
}

/// Every file under `root`, with its key (its path below `root`, `/`-separated).
async fn files_under(root: &Path) -> anyhow::Result<Vec<(String, PathBuf)>> {
    let mut found = Vec::new();
    let mut folders = vec![root.to_owned()];
    while let Some(folder) = folders.pop() {
        let Ok(mut entries) = tokio::fs::read_dir(&folder).await else {
            continue;
        };
        while let Some(entry) = entries.next_entry().await? {
            let path = entry.path();
            if entry.file_type().await?.is_dir() {
                folders.push(path);
            } else {
                let key = path
                    .strip_prefix(root)?
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                found.push((key, path));
            }
        }
    }
    Ok(found)
}

/// An object's content type, by its name (what S3 serves it as).
fn content_type(key: &str) -> &'static str {
    match key.rsplit_once('.').map(|(_, ext)| ext) {
        Some("webm") => "video/webm",
        Some("opus" | "ogg") => "audio/ogg",
        Some("vtt") => "text/vtt; charset=utf-8",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("png") => "image/png",
        Some("webp") => "image/webp",
        _ => "application/octet-stream",
    }
}
