//! The server's configuration: read once, from flags and `OFFBEAT_*` environment variables.
//!
//! S3 credentials are deliberately not here: they come from the standard AWS chain
//! (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance roles…), so no secret ever
//! sits in this struct or its `Debug` output.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, ValueEnum};

/// Where whisper.cpp publishes its models (`server models fetch`).
pub const WHISPER_MODELS_URL: &str = "https://huggingface.co/ggerganov/whisper.cpp/resolve/main";

#[derive(Debug, Clone, Parser, serde::Serialize, serde::Deserialize)]
#[command(name = "server", version, about = "Offbeat server: async voice and video messages")]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// A TOML file with any of these settings (keys as below, with underscores: `data_dir`,
    /// `s3_bucket`…). Flags and environment variables override it.
    #[arg(long, env = "OFFBEAT_CONFIG")]
    #[serde(skip)]
    pub config: Option<PathBuf>,

    /// Errors with their causes' backtraces (as does setting RUST_LOG), for reports.
    #[arg(short, long, global = true)]
    #[serde(skip)]
    pub verbose: bool,

    /// Without a command, the server serves.
    #[command(subcommand)]
    #[serde(skip)]
    pub command: Option<Command>,

    /// Address to listen on (port 0 picks a free port; the chosen address is logged).
    #[arg(long, env = "OFFBEAT_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,

    /// Base URL that links are built from [default: http://<listen address>]
    #[arg(long, env = "OFFBEAT_PUBLIC_URL")]
    pub public_url: Option<String>,

    /// Where the database, local clips and upload staging live.
    #[arg(long, env = "OFFBEAT_DATA_DIR", default_value = "offbeat-data")]
    pub data_dir: PathBuf,

    /// Where the other server processes reach this one, for requests of an upload session it
    /// holds (e.g. http://10.0.0.5:8080) [default: http://<listen address>]
    #[arg(long, env = "OFFBEAT_INTERNAL_URL")]
    pub internal_url: Option<String>,

    /// Where to serve Prometheus metrics (`GET /metrics`), apart from the app [default: not served]
    #[arg(long, env = "OFFBEAT_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,

    /// The metadata database: `postgres://user:password@host:5432/offbeat` for several
    /// processes, or `sqlite://<path>` [default: sqlite://<data-dir>/offbeat.db]
    #[arg(long, env = "OFFBEAT_DATABASE_URL")]
    pub database_url: Option<SecretUrl>,

    /// Where clip media is stored.
    #[arg(long, env = "OFFBEAT_STORAGE", value_enum, default_value_t = StorageKind::Local)]
    pub storage: StorageKind,

    /// S3 endpoint URL, for S3-compatible services (MinIO, Garage, R2…) [default: AWS]
    #[arg(long, env = "OFFBEAT_S3_ENDPOINT")]
    pub s3_endpoint: Option<String>,

    /// S3 region ("auto" for R2).
    #[arg(long, env = "OFFBEAT_S3_REGION", default_value = "us-east-1")]
    pub s3_region: String,

    /// S3 bucket holding the clips.
    #[arg(long, env = "OFFBEAT_S3_BUCKET", default_value = "offbeat")]
    pub s3_bucket: String,

    /// Address buckets by path (endpoint/bucket/key), as MinIO and Garage usually need,
    /// instead of virtual-hosted style (bucket.endpoint/key).
    #[arg(long, env = "OFFBEAT_S3_PATH_STYLE")]
    pub s3_path_style: bool,

    /// Endpoint that browsers reach, for presigned URLs, when it differs from the one the
    /// server uses (e.g. an internal address) [default: --s3-endpoint]
    #[arg(long, env = "OFFBEAT_S3_PUBLIC_ENDPOINT")]
    pub s3_public_endpoint: Option<String>,

    /// Serve media by redirecting to a short-lived presigned S3 URL instead of streaming it
    /// through the server (a camera take recorded in a browser, stored as its body and a head
    /// composed in front of it, is still streamed).
    #[arg(long, env = "OFFBEAT_S3_PRESIGN_MEDIA")]
    pub s3_presign_media: bool,

    /// Uploads at or above this size go to S3 as multipart uploads of this part size.
    #[arg(long, env = "OFFBEAT_S3_PART_SIZE", default_value_t = 16 << 20)]
    pub s3_part_size: u64,

    /// Largest accepted upload, in bytes (checked while the body streams in).
    #[arg(long, env = "OFFBEAT_MAX_UPLOAD_BYTES", default_value_t = 2 << 30)]
    pub max_upload_bytes: u64,

    /// Other sites that may embed the record button (`<offbeat-record server=… token=…>`):
    /// origins like https://intranet.example, comma-separated. Their pages may call the upload
    /// and reply API with a bearer token (never with the session cookie).
    #[arg(long, env = "OFFBEAT_EMBED_ORIGINS", value_delimiter = ',')]
    #[serde(default)]
    pub embed_origins: Vec<String>,

    /// A take still being recorded whose bytes stopped arriving this long ago (a tab closed for
    /// good, a recorder gone) becomes a clip of what arrived; its link then says where the
    /// recording stopped, instead of "recording…".
    #[arg(long, env = "OFFBEAT_ABANDONED_AFTER_SECS", default_value_t = 120)]
    pub abandoned_after_secs: u64,

    /// Resumable uploads untouched this long are abandoned: their bytes are removed.
    #[arg(long, env = "OFFBEAT_UPLOAD_SESSION_TTL_SECS", default_value_t = 24 * 3600)]
    pub upload_session_ttl_secs: u64,

    /// Reverse proxies (their IP addresses, comma-separated) whose `X-Forwarded-Proto` header
    /// is believed: a request they forward as `https` gets a `Secure` session cookie even when
    /// the public URL is plain HTTP.
    #[arg(long, env = "OFFBEAT_TRUSTED_PROXIES", value_delimiter = ',')]
    #[serde(default)]
    pub trusted_proxies: Vec<std::net::IpAddr>,

    /// Single sign-on: the team's OpenID Connect identity provider, by its issuer URL (its
    /// discovery document is at `<issuer>/.well-known/openid-configuration`). Register
    /// `<public url>/auth/oidc/callback` there as the redirect URI.
    #[arg(long, env = "OFFBEAT_OIDC_ISSUER", requires = "oidc_client_id")]
    pub oidc_issuer: Option<String>,

    /// The client id the identity provider gave Offbeat.
    #[arg(long, env = "OFFBEAT_OIDC_CLIENT_ID", requires = "oidc_issuer")]
    pub oidc_client_id: Option<String>,

    /// The client secret that goes with it (none for a public client).
    #[arg(long, env = "OFFBEAT_OIDC_CLIENT_SECRET")]
    pub oidc_client_secret: Option<SecretKey>,

    /// Email domains whose people may join by single sign-on without an invitation
    /// (comma-separated, e.g. `acme.com,acme.org`). Anyone else needs an invitation.
    #[arg(long, env = "OFFBEAT_OIDC_ALLOWED_DOMAINS", value_delimiter = ',')]
    pub oidc_allowed_domains: Vec<String>,

    /// What the single sign-on button says.
    #[arg(
        long,
        env = "OFFBEAT_OIDC_BUTTON_LABEL",
        default_value = "Sign in with single sign-on"
    )]
    pub oidc_button_label: String,

    /// Who may still sign in with a password once single sign-on is set up: everyone,
    /// admins only, or no one but a workspace's last admin.
    #[arg(long, env = "OFFBEAT_PASSWORD_SIGN_IN", value_enum, default_value_t = PasswordSignIn::Everyone)]
    pub password_sign_in: PasswordSignIn,

    /// Sign-in attempts allowed per minute, per email and per client address.
    #[arg(long, env = "OFFBEAT_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 10)]
    pub login_attempts_per_minute: usize,

    /// A whisper.cpp ggml model (e.g. ggml-base.en.bin) for transcripts. Without one the server
    /// runs and takes clips, and transcripts say "disabled".
    #[arg(long, env = "OFFBEAT_WHISPER_MODEL")]
    pub whisper_model: Option<PathBuf>,

    /// Spoken language as an ISO 639-1 code ("en", "de"…), or "auto" to detect it per clip
    /// (multilingual models only; English-only models always transcribe English).
    #[arg(long, env = "OFFBEAT_TRANSCRIBE_LANGUAGE", default_value = "auto")]
    pub transcribe_language: String,

    /// Where transcripts' word times come from: `aligned` (DTW alignment, the closest) or
    /// `fast` (whisper's own token times with flash attention: about a fifth less time per
    /// transcript on a CPU).
    #[arg(long, env = "OFFBEAT_WORD_TIMING", value_enum, default_value_t = WordTiming::Aligned)]
    pub word_timing: WordTiming,

    /// Transcriptions run at the same time. One uses every core well on small machines.
    #[arg(long, env = "OFFBEAT_TRANSCRIBE_WORKERS", default_value_t = 1)]
    pub transcribe_workers: usize,

    /// CPU threads per transcription [default: the machine's cores / workers]
    #[arg(long, env = "OFFBEAT_TRANSCRIBE_THREADS")]
    pub transcribe_threads: Option<usize>,

    /// Attempts per clip before its transcript is marked failed.
    #[arg(long, env = "OFFBEAT_TRANSCRIBE_MAX_ATTEMPTS", default_value_t = 3)]
    pub transcribe_max_attempts: u32,

    /// Seconds before the first retry of a failed transcription; each further retry waits twice
    /// as long (at most an hour).
    #[arg(long, env = "OFFBEAT_TRANSCRIBE_RETRY_BASE_SECS", default_value_t = 30)]
    pub transcribe_retry_base_secs: u64,

    /// A GGUF instruction model (e.g. Qwen2.5-1.5B-Instruct; `server models fetch` lists some)
    /// that writes each message's summary, chapters and action items on this server's CPU.
    /// Without it or --summary-url, the first `*.gguf` in `<data-dir>/models/` is used; without
    /// any, messages get no summaries.
    #[arg(long, env = "OFFBEAT_SUMMARY_MODEL", conflicts_with = "summary_url")]
    pub summary_model: Option<PathBuf>,

    /// CPU threads for one summary [default: the machine's cores]
    #[arg(long, env = "OFFBEAT_SUMMARY_THREADS")]
    pub summary_threads: Option<usize>,

    /// How the local model's threads share the CPU: `background` (the lowest priority, so
    /// requests and transcripts never wait for a summary) or `normal` (a machine kept for
    /// summaries, or a test that shares its cores with many others).
    #[arg(long, env = "OFFBEAT_SUMMARY_PRIORITY", value_enum, default_value_t = SummaryPriority::Background)]
    pub summary_priority: SummaryPriority,

    /// Tokens one summary prompt and its answer may take: long transcripts are summarised in
    /// pieces that fit, then together.
    #[arg(long, env = "OFFBEAT_SUMMARY_CONTEXT", default_value_t = 4096)]
    pub summary_context: usize,

    /// Summaries by a model the team already runs instead: the base URL of an OpenAI-compatible
    /// chat-completions API (Ollama: http://127.0.0.1:11434/v1; llama.cpp's server: …/v1).
    /// Transcripts are sent there, so it should be a server the team trusts with them.
    #[arg(long, env = "OFFBEAT_SUMMARY_URL")]
    pub summary_url: Option<String>,

    /// The bearer token that API wants, if any.
    #[arg(long, env = "OFFBEAT_SUMMARY_API_KEY")]
    pub summary_api_key: Option<SecretKey>,

    /// The model that API should use, as it names it.
    #[arg(long, env = "OFFBEAT_SUMMARY_MODEL_NAME", default_value = "default")]
    pub summary_model_name: String,

    /// Where notification mail goes out: `smtp://host:port` (plain), `smtp://host:port?tls=required`
    /// (STARTTLS) or `smtps://host:port`, with `user:password@` if the server wants them.
    /// Without it, no mail is sent.
    #[arg(long, env = "OFFBEAT_SMTP_URL")]
    pub smtp_url: Option<SecretUrl>,

    /// The sender of notification mail.
    #[arg(long, env = "OFFBEAT_MAIL_FROM", default_value = "Offbeat <offbeat@localhost>")]
    pub mail_from: String,

    /// Lets webhooks point at private, loopback and link-local addresses (refused otherwise, so
    /// that an admin's webhook cannot reach what only the server can).
    #[arg(long, env = "OFFBEAT_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,

    /// Unfinished upload sessions one member may have open at once (429 beyond).
    #[arg(long, default_value_t = 20)]
    pub max_open_uploads_per_user: u64,

    /// Bytes one member's unfinished upload sessions may hold together (507 beyond).
    #[arg(long, default_value_t = 8 * 1024 * 1024 * 1024)]
    pub max_staged_bytes_per_user: u64,

    /// Bytes a workspace may store, its clips and unfinished uploads together (507 beyond);
    /// without it, as much as the storage holds.
    #[arg(long, env = "OFFBEAT_WORKSPACE_STORAGE_BYTES")]
    pub workspace_storage_bytes: Option<u64>,

    /// Open connections at most; one more is answered 503 and closed.
    #[arg(long, env = "OFFBEAT_MAX_CONNECTIONS", default_value_t = 1000)]
    pub max_connections: usize,

    /// Open connections one client address (an IPv6 /64) may hold; one more is answered 503
    /// and closed. Default: a quarter of `--max-connections`, so no one client can fill the
    /// server.
    #[arg(long, env = "OFFBEAT_MAX_CONNECTIONS_PER_ADDRESS")]
    pub max_connections_per_address: Option<usize>,

    /// Seconds a JSON or form body may take to arrive in all (they are small: at most 64 KB),
    /// however steadily its bytes trickle in.
    #[arg(long, default_value_t = 10)]
    pub small_body_deadline_secs: u64,

    /// Seconds a client has to send a request's headers; a kept-alive connection idle this
    /// long is closed too.
    #[arg(long, default_value_t = 10)]
    pub header_timeout_secs: u64,

    /// Seconds a request's body may pause before the request ends (an upload keeps what
    /// arrived, and its session is free for the client's resume).
    #[arg(long, default_value_t = 30)]
    pub body_idle_timeout_secs: u64,

    /// Seconds a shutdown (SIGTERM, Ctrl-C) waits for requests in flight before cutting them.
    #[arg(long, default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// A process's hold on its jobs and its upload sessions, renewed every third of it: when
    /// it dies, other processes take them over this long after its last renewal.
    #[arg(long, env = "OFFBEAT_JOB_LEASE_SECS", default_value_t = 30)]
    pub job_lease_secs: u64,
}

/// Administration, run against the same data directory (the server may be running).
#[derive(Debug, Clone, clap::Subcommand)]
pub enum Command {
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: UserCommand,
    },
    /// Speech models for transcripts.
    Models {
        #[command(subcommand)]
        action: ModelsCommand,
    },
    /// Copy the database and every clip into DIR, consistently, while the server runs.
    Backup {
        /// A new (or empty) directory.
        dir: std::path::PathBuf,
    },
    /// Fill an empty data directory (and its storage) from a backup made by `backup`.
    Restore {
        /// The backup's directory.
        dir: std::path::PathBuf,
    },
}

impl Config {
    /// The first `*.<extension>` in `<data-dir>/models` by name, if any: a model fetched or
    /// dropped there is used without further configuration. (Read once, at start-up.)
    pub fn first_model(&self, extension: &str) -> Option<PathBuf> {
        let mut models: Vec<_> = std::fs::read_dir(self.data_dir.join("models"))
            .ok()?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|e| e == extension) && path.is_file())
            .collect();
        models.sort();
        models.into_iter().next()
    }
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum ModelsCommand {
    /// Download a model into `<data-dir>/models/`, checking its published sha256: an official
    /// whisper.cpp model for transcripts (tiny.en, base.en, small.en, tiny, base, small,
    /// medium.en, medium, large-v3, large-v3-turbo) or an instruction model for summaries
    /// (qwen2.5-1.5b-instruct, smollm2-1.7b-instruct).
    Fetch {
        /// Which model.
        name: String,
        /// Where the model's file is served instead of its publisher (a mirror holding the same
        /// file name).
        #[arg(long, env = "OFFBEAT_MODELS_URL")]
        base_url: Option<String>,
        /// The sha256 to check instead of the published one (a model this server does not
        /// know, or a mirror's own build).
        #[arg(long)]
        sha256: Option<String>,
    },
}

#[derive(Debug, Clone, clap::Subcommand)]
pub enum UserCommand {
    /// Add a user (the password is read from the first line of standard input).
    Add {
        #[arg(long)]
        email: String,
        /// The name teammates see.
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. Europe/Berlin.
        #[arg(long, default_value = "UTC")]
        time_zone: String,
        /// The workspace to join (created if new).
        #[arg(long, default_value = "Default")]
        workspace: String,
        /// May see and manage every clip of the workspace.
        #[arg(long)]
        admin: bool,
    },
    /// Set a user's password (read from the first line of standard input); every session and
    /// API token of theirs ends.
    ResetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SummaryPriority {
    /// The lowest: summaries use the cores nothing else wants.
    Background,
    /// Like the server's other threads.
    Normal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WordTiming {
    /// DTW alignment on the model's attention: the closest word times.
    Aligned,
    /// Whisper's own token times, flash attention on: faster.
    Fast,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PasswordSignIn {
    /// Passwords work for everyone (beside single sign-on, if set up).
    Everyone,
    /// Admins may use a password; members sign in through the identity provider.
    AdminsOnly,
    /// Only through the identity provider, except a workspace's last admin, who can always
    /// use a password (so the team is never locked out when the provider is down).
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageKind {
    /// Files under `<data-dir>/clips`: the embedded default, nothing else to run.
    Local,
    /// An S3 or S3-compatible bucket.
    S3,
}

impl Config {
    /// Which database, and where (see `--database-url`).
    pub fn database(&self) -> Result<db::Location, db::OpenError> {
        db::Location::new(self.database_url.as_ref().map(|u| u.0.as_str()), &self.data_dir)
    }

    /// Reads flags and environment, then fills whatever they left at its default from the
    /// TOML file named by `--config`, if any. Unknown keys in the file are an error.
    pub fn load() -> anyhow::Result<Self> {
        use anyhow::Context;
        use clap::{CommandFactory, FromArgMatches};
        let command = Self::command();
        let matches = command.clone().get_matches();
        let config = Self::from_arg_matches(&matches)?;
        let Some(path) = config.config.clone() else {
            return Ok(config);
        };
        let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let file: toml::Table =
            toml::from_str(&text).with_context(|| format!("{} is not valid TOML", path.display()))?;
        let set_explicitly = |key: &str| {
            command.get_arguments().any(|a| a.get_id() == key)
                && matches
                    .value_source(key)
                    .is_some_and(|source| source != clap::parser::ValueSource::DefaultValue)
        };
        let mut merged = toml::Table::try_from(&config).context("the configuration as TOML")?;
        for (key, value) in file {
            if !set_explicitly(&key) {
                merged.insert(key, value);
            }
        }
        let mut loaded: Self = merged.try_into().with_context(|| format!("in {}", path.display()))?;
        loaded.config = Some(path);
        loaded.command = config.command;
        Ok(loaded)
    }

    pub fn public_url(&self, local: SocketAddr) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{local}"))
            .trim_end_matches('/')
            .to_owned()
    }
}

/// A URL as given (a database's, an SMTP server's); its `Debug` leaves out the password it
/// may hold.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretUrl(pub String);

impl std::str::FromStr for SecretUrl {
    type Err = std::convert::Infallible;

    fn from_str(url: &str) -> Result<Self, Self::Err> {
        Ok(Self(url.to_owned()))
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&db::redacted(&self.0))
    }
}

/// A key as given; its `Debug` shows none of it.
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct SecretKey(pub String);

impl std::str::FromStr for SecretKey {
    type Err = std::convert::Infallible;

    fn from_str(key: &str) -> Result<Self, Self::Err> {
        Ok(Self(key.to_owned()))
    }
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(…)")
    }
}
