//! What every handler shares. Cloned per request; everything inside is cheap to clone.

use std::path::PathBuf;
use std::sync::Arc;

use crate::auth::rate_limit::LoginLimiter;
use crate::config::{Config, StorageKind};
use crate::storage::{LocalStore, S3Settings, S3Store, Storage};
use crate::transcription::Transcription;

#[derive(Debug, Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: crate::db::Db,
    pub storage: Storage,
    /// Where uploads are staged while they stream in and are checked.
    pub staging_dir: PathBuf,
    /// Base of the links the API returns, without a trailing slash.
    pub public_url: String,
    pub transcription: Transcription,
    pub login_limiter: Arc<LoginLimiter>,
    /// Bytes of resumable uploads in progress (kept across restarts, unlike staging).
    pub uploads_dir: PathBuf,
    pub upload_locks: UploadLocks,
    /// Upload sessions whose bodies are being checked while they arrive.
    pub live_analyses: crate::live_analysis::LiveAnalyses,
}

/// Which upload sessions a request is writing right now: one writer per session.
#[derive(Debug, Clone, Default)]
pub struct UploadLocks(Arc<std::sync::Mutex<std::collections::HashSet<String>>>);

/// Held while a request writes a session; released on drop.
#[derive(Debug)]
pub struct UploadLock {
    locks: UploadLocks,
    id: String,
}

impl UploadLocks {
    pub fn lock(&self, id: &str) -> Option<UploadLock> {
        let mut busy = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        busy.insert(id.to_owned()).then(|| UploadLock {
            locks: self.clone(),
            id: id.to_owned(),
        })
    }
}

impl Drop for UploadLock {
    fn drop(&mut self) {
        self.locks
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.id);
    }
}

impl AppState {
    /// Opens the database (applying migrations) and the storage backend the config names.
    pub async fn open(config: Config, public_url: String) -> anyhow::Result<Self> {
        let data_dir = &config.data_dir;
        let staging_dir = data_dir.join("staging");
        clear_leftovers(&staging_dir).await?;
        tokio::fs::create_dir_all(&staging_dir).await?;
        let db = crate::db::open(&config.database()?).await?;
        let storage = match config.storage {
            StorageKind::Local => Storage::Local(LocalStore::open(data_dir.join("clips-store")).await?),
            StorageKind::S3 => Storage::S3(
                S3Store::connect(S3Settings {
                    endpoint: config.s3_endpoint.clone(),
                    public_endpoint: config.s3_public_endpoint.clone(),
                    region: config.s3_region.clone(),
                    bucket: config.s3_bucket.clone(),
                    path_style: config.s3_path_style,
                    part_size: config.s3_part_size,
                })
                .await,
            ),
        };
        let requeued = db.jobs().requeue_interrupted().await?;
        if requeued > 0 {
            tracing::info!(
                requeued,
                "transcript jobs interrupted by the last shutdown go back in line"
            );
        }
        let transcription = Transcription::load(&config).await;
        let uploads_dir = data_dir.join("uploads");
        tokio::fs::create_dir_all(&uploads_dir).await?;
        let login_limiter = Arc::new(LoginLimiter::new(
            config.login_attempts_per_minute,
            std::time::Duration::from_secs(60),
        ));
        Ok(Self {
            uploads_dir,
            upload_locks: UploadLocks::default(),
            live_analyses: crate::live_analysis::LiveAnalyses::new(staging_dir.clone()),
            login_limiter,
            transcription,
            config: Arc::new(config),
            db,
            storage,
            staging_dir,
            public_url,
        })
    }
}

/// Uploads staged by a process that died mid-way never became clips (no object, no row); their
/// staging files are just litter. This process owns the staging directory, so it starts empty.
async fn clear_leftovers(staging_dir: &std::path::Path) -> std::io::Result<()> {
    let mut entries = match tokio::fs::read_dir(staging_dir).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    while let Some(entry) = entries.next_entry().await? {
        if tokio::fs::remove_file(entry.path()).await.is_ok() {
            removed += 1;
        }
    }
    if removed > 0 {
        tracing::info!(removed, "cleared uploads left staged by an earlier process");
    }
    Ok(())
}
