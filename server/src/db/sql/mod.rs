//! The SQL both backends run, written once. SQLite and PostgreSQL share nearly all of it:
//! `$1`-style parameters (SQLite reads `$N` as the N-th), `ON CONFLICT`, `RETURNING`, row
//! values. Each store is a macro that a backend instantiates for its own type (`clip_store!
//! (SqliteDatabase)`), so one text serves both without sqlx's generic bounds; what differs
//! between the engines is the backend's [`Dialect`], and search is each backend's own.

pub(crate) mod attempts;
pub(crate) mod clips;
pub(crate) mod invites;
pub(crate) mod jobs;
pub(crate) mod notifications;
pub(crate) mod processes;
pub(crate) mod queue;
pub(crate) mod team;
pub(crate) mod threads;
pub(crate) mod transcripts;
pub(crate) mod uploads;
pub(crate) mod users;
pub(crate) mod webhooks;

/// What differs between the engines in the SQL they share.
pub(crate) trait Dialect {
    /// `IN …` over a list of ids bound at `$1`, as [`Dialect::id_list`] makes it.
    const IN_ID_LIST: &'static str;
    /// A table `m` of the ids bound at `$3`, one per row in its column `value`.
    const EACH_ID_AT_3: &'static str;
    /// What lets concurrent claims pass over rows another transaction holds (nothing where
    /// writes are serialised anyway).
    const SKIP_LOCKED: &'static str;
    /// Which running jobs a process starting up may put back in line (`AND …`, with the
    /// time at `$1`): those of processes that are surely gone.
    const ABANDONED: &'static str;
    /// What tells every process that a job was queued (run in the queuing transaction), if
    /// anything needs to.
    const ANNOUNCE_JOB: Option<&'static str>;
    /// How a transaction that writes begins: SQLite's must take the write lock at once
    /// (`IMMEDIATE`), or one that read first fails with "database is locked" when another
    /// writer got there in between, whatever the busy timeout.
    const BEGIN_WRITE: &'static str;
    /// A list of ids as one bound value.
    type IdList: Send;
    /// The sqlx engine, for helpers that take a transaction.
    type Engine: sqlx::Database;
    fn id_list(ids: &[&str]) -> sqlx::Result<Self::IdList>;
}

/// `fn clips(&self) -> &dyn ClipStore { self }` and the like: a backend implements every
/// interface on its one pool, so it is each of them itself.
macro_rules! interfaces_are_self {
    ($($accessor:ident: $interface:ident),* $(,)?) => {
        $(fn $accessor(&self) -> &dyn $crate::db::$interface { self })*
    };
}
pub(crate) use interfaces_are_self;

/// Every store the shared SQL implements for `$db`, and the [`Database`](super::Database) made
/// of them (with the backend's own search index, `impl SearchIndex for $db`).
macro_rules! shared_stores {
    ($db:ty) => {
        #[async_trait::async_trait]
        impl $crate::db::Database for $db {
            $crate::db::sql::interfaces_are_self!(
                clips: ClipStore,
                threads: ThreadStore,
                users: UserStore,
                team: TeamStore,
                invites: InviteStore,
                notifications: NotificationStore,
                webhooks: WebhookStore,
                uploads: UploadStore,
                jobs: JobQueue,
                job_signals: JobSignals,
                attempts: AttemptLog,
                processes: ProcessRegistry,
                transcripts: TranscriptStore,
                search: SearchIndex,
            );

            async fn ping(&self) -> sqlx::Result<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await.map(|_| ())
            }

            async fn snapshot(&self, into: &std::path::Path) -> sqlx::Result<$crate::db::Snapshot> {
                <$db>::snapshot_into(&self.pool, into).await
            }
        }
        $crate::db::sql::attempts::attempt_log!($db);
        $crate::db::sql::clips::clip_store!($db);
        $crate::db::sql::threads::thread_store!($db);
        $crate::db::sql::users::insert_user_row!($db);
        $crate::db::sql::users::user_store!($db);
        $crate::db::sql::team::team_store!($db);
        $crate::db::sql::invites::invite_store!($db);
        $crate::db::sql::queue::enqueue_rows!($db);
        $crate::db::sql::notifications::notification_store!($db);
        $crate::db::sql::webhooks::webhook_store!($db);
        $crate::db::sql::uploads::upload_store!($db);
        $crate::db::sql::jobs::job_queue!($db);
        $crate::db::sql::processes::process_registry!($db);
        $crate::db::sql::transcripts::transcript_store!($db);
    };
}
pub(crate) use shared_stores;
