//! What every handler shares. Cloned per request; everything inside is cheap to clone.

use std::path::PathBuf;
use std::sync::Arc;

use db::domain::JobKind;
use tokio::sync::Notify;

use crate::auth::rate_limit::LoginLimiter;
use crate::config::{Config, StorageKind};
use crate::storage::{LocalStore, S3Settings, S3Store, Storage};
use crate::summarization::Summarization;
use crate::transcription::Transcription;

#[derive(Debug, Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub db: db::Db,
    pub storage: Storage,
    /// Where uploads are staged while they stream in and are checked.
    pub staging_dir: PathBuf,
    /// Base of the links the API returns, without a trailing slash.
    pub public_url: String,
    pub transcription: Transcription,
    pub summarization: Summarization,
    pub login_limiter: Arc<LoginLimiter>,
    /// Bytes of resumable uploads in progress (kept across restarts, unlike staging).
    pub uploads_dir: PathBuf,
    pub upload_locks: UploadLocks,
    /// Password hashing, one per core at most.
    pub passwords: crate::auth::password_work::PasswordWork,
    /// Upload sessions whose bodies are being checked while they arrive.
    pub live_analyses: crate::analysis::live::LiveAnalyses,
    /// This process among those sharing the database.
    pub process: Arc<ThisProcess>,
    /// Mail over SMTP, when `--smtp-url` is given (notifications are sent only then).
    pub mailer: Option<crate::mail::Mailer>,
    /// Rung when work is queued, so an idle worker looks at once.
    pub wakes: Arc<Wakes>,
    /// The keys the server signs with, once read from the database.
    pub signing_keys: Arc<SigningKeys>,
    /// The team's identity provider, when single sign-on is set up.
    pub sso: crate::auth::oidc::SingleSignOn,
}

/// What wakes idle workers of this process when work is queued (here, or — told through the
/// database — by another process): one bell per kind of job, and one for new events.
#[derive(Debug, Default)]
pub struct Wakes {
    transcript: Notify,
    summary: Notify,
    mail: Notify,
    webhook: Notify,
    checkin: Notify,
    compose: Notify,
    events: Notify,
    plan: Notify,
}

impl Wakes {
    /// The bell of `kind`'s workers.
    pub fn job(&self, kind: JobKind) -> &Notify {
        match kind {
            JobKind::Transcript => &self.transcript,
            JobKind::Summary => &self.summary,
            JobKind::Mail => &self.mail,
            JobKind::Webhook => &self.webhook,
            JobKind::Checkin => &self.checkin,
            JobKind::Compose => &self.compose,
        }
    }

    /// The bell of the worker that turns events (a new message, a reply) into notifications.
    pub fn events(&self) -> &Notify {
        &self.events
    }

    /// The bell of the check-in planner: a check-in was made, changed or resumed, so a round
    /// may be due to open now rather than at the planner's next look.
    pub fn plan(&self) -> &Notify {
        &self.plan
    }
}

/// What the server signs, each with a key of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigningKey {
    /// Links that turn a member's email off without signing in.
    Unsubscribe,
    /// The secrets webhooks are signed with (each derived from this key and its id).
    Webhooks,
}

impl SigningKey {
    /// Its name among the database's server keys.
    pub fn name(self) -> &'static str {
        match self {
            Self::Unsubscribe => "unsubscribe",
            Self::Webhooks => "webhooks",
        }
    }
}

/// The server's signing keys, each read (or made) once per process.
#[derive(Debug, Default)]
pub struct SigningKeys {
    unsubscribe: tokio::sync::OnceCell<String>,
    webhooks: tokio::sync::OnceCell<String>,
}

impl SigningKeys {
    pub fn get(&self, key: SigningKey) -> &tokio::sync::OnceCell<String> {
        match key {
            SigningKey::Unsubscribe => &self.unsubscribe,
            SigningKey::Webhooks => &self.webhooks,
        }
    }
}

/// Who this process is to the others: its id in the registry, and where they reach it.
#[derive(Debug)]
pub struct ThisProcess {
    pub id: String,
    pub url: String,
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
        tokio::fs::create_dir_all(data_dir).await?;
        // Nobody else may even look inside (whatever mode files in it were once made with).
        tokio::fs::set_permissions(data_dir, std::os::unix::fs::PermissionsExt::from_mode(0o700)).await?;
        let staging_dir = data_dir.join("staging");
        clear_leftovers(&staging_dir).await?;
        tokio::fs::create_dir_all(&staging_dir).await?;
        let db = db::open(&config.database()?).await?;
        let storage = open_storage(&config).await?;
        let requeued = db.jobs().requeue_interrupted().await?;
        if requeued > 0 {
            tracing::info!(requeued, "jobs interrupted by the last shutdown go back in line");
        }
        let transcription = Transcription::load(&config).await;
        let summarization = Summarization::load(&config).await;
        let uploads_dir = data_dir.join("uploads");
        tokio::fs::create_dir_all(&uploads_dir).await?;
        let login_limiter = Arc::new(LoginLimiter::new(
            config.login_attempts_per_minute,
            std::time::Duration::from_secs(60),
        ));
        let process = Arc::new(ThisProcess {
            id: process_id(data_dir).await?,
            url: config
                .internal_url
                .clone()
                .unwrap_or_else(|| public_url.clone())
                .trim_end_matches('/')
                .to_owned(),
        });
        let mailer = match &config.smtp_url {
            Some(url) => Some(crate::mail::Mailer::new(&url.0, &config.mail_from, &public_url)?),
            None => None,
        };
        let sso = crate::auth::oidc::SingleSignOn::from_config(&config, &public_url)?;
        if matches!(sso, crate::auth::oidc::SingleSignOn::Off)
            && config.password_sign_in != crate::config::PasswordSignIn::Everyone
        {
            anyhow::bail!(
                "--password-sign-in needs single sign-on (--oidc-issuer and --oidc-client-id) to turn passwords off"
            );
        }
        Ok(Self {
            sso,
            mailer,
            wakes: Arc::default(),
            signing_keys: Arc::default(),
            process,
            uploads_dir,
            upload_locks: UploadLocks::default(),
            passwords: crate::auth::password_work::PasswordWork::per_core(),
            live_analyses: crate::analysis::live::LiveAnalyses::new(staging_dir.clone()),
            login_limiter,
            transcription,
            summarization,
            config: Arc::new(config),
            db,
            storage,
            staging_dir,
            public_url,
        })
    }
}

/// This process's id among those sharing a database, kept in the data directory: a restart on
/// the same directory is the same process to the others, and still holds its upload sessions.
async fn process_id(data_dir: &std::path::Path) -> anyhow::Result<String> {
    let path = data_dir.join("process-id");
    match tokio::fs::read_to_string(&path).await {
        Ok(id) if db::ids::is_well_formed(id.trim()) => return Ok(id.trim().to_owned()),
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e.into()),
    }
    let id = db::ids::new_id().map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    tokio::fs::write(&path, &id).await?;
    Ok(id)
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

/// The storage `config` names: local disk in the data directory, or an S3 bucket.
pub async fn open_storage(config: &Config) -> anyhow::Result<Storage> {
    Ok(match config.storage {
        StorageKind::Local => Storage::Local(LocalStore::open(config.data_dir.join("clips-store")).await?),
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
    })
}
