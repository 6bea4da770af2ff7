//! The real router in process: `app(state)` driven with tower's `oneshot` — no port, no
//! process, milliseconds a request. For what needs no real binary, S3, PulseAudio or browser.

#![allow(clippy::expect_used, clippy::unwrap_used, dead_code)]

use std::net::SocketAddr;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode};
use clap::Parser;
use db::domain::{TokenKind, User};
use db::users::UserRow;
use http_body_util::BodyExt;
use serde_json::Value;
use server::auth::secrets::hash_password;
use server::services::accounts::issue_token;
use server::{AppState, Config};
use tower::ServiceExt;

/// A clip as Chromium's MediaRecorder writes it (Opus in WebM, 3.5 s).
pub const CLIP: &[u8] = include_bytes!("../../../tests/fixtures/chromium-audio.webm");
pub const PASSWORD: &str = "correct horse battery staple";

pub mod postgres;

/// Which database a harness runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Each named `async fn(Backend)` becomes two tests, `sqlite::<name>` and `postgres::<name>`:
/// parametrised, not copied. On two worker threads, so requests can truly race.
#[allow(unused_macros)]
macro_rules! on_every_database {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::support::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $test() {
                    super::$test($crate::support::Backend::Postgres).await
                }
            )*
        }
    };
}

pub struct Harness {
    pub state: AppState,
    pub app: Router,
    pub backend: Backend,
    data: tempfile::TempDir,
    // Dropped after the state's pool (fields drop in order): the cluster stops last.
    _cluster: Option<postgres::PgCluster>,
}

/// A signed-in person on the harness's server.
#[derive(Debug, Clone)]
pub struct Person {
    pub user: User,
    pub token: String,
}

#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl Drop for Harness {
    /// Threads following takes left unfinished would hold the test's runtime up as they do a
    /// server's exit: let them go, as the server does when it stops.
    fn drop(&mut self) {
        self.state.live_analyses.forget_all();
    }
}

impl Harness {
    /// A server on the embedded defaults in a temporary data directory; `flags` as on the
    /// command line.
    pub async fn start(flags: &[&str]) -> Self {
        Self::on(Backend::Sqlite, flags).await
    }

    /// The same, on `backend` (PostgreSQL: a private cluster of its own).
    pub async fn on(backend: Backend, flags: &[&str]) -> Self {
        let data = tempfile::tempdir().unwrap();
        let cluster = (backend == Backend::Postgres).then(postgres::PgCluster::start);
        let url = cluster.as_ref().map(postgres::PgCluster::url);
        let mut args = vec!["server", "--data-dir", data.path().to_str().unwrap()];
        if let Some(url) = &url {
            args.extend(["--database-url", url]);
        }
        args.extend_from_slice(flags);
        let config = Config::try_parse_from(args).unwrap();
        let public_url = config.public_url("127.0.0.1:8080".parse().unwrap());
        let state = AppState::open(config, public_url).await.unwrap();
        Self {
            app: server::app(state.clone()),
            state,
            backend,
            data,
            _cluster: cluster,
        }
    }

    /// Sets a clip's stored status behind the server's back, in its database (a row it
    /// cannot read).
    pub async fn set_clip_status(&self, id: &str, status: &str) {
        match &self._cluster {
            None => {
                let url = format!("sqlite://{}", self.data.path().join("offbeat.db").display());
                set_status::<sqlx::Sqlite>(&url, id, status).await;
            }
            Some(cluster) => set_status::<sqlx::Postgres>(&cluster.url(), id, status).await,
        }
    }

    /// A new member of `workspace` with an API token.
    pub async fn person(&self, name: &str, workspace: &str) -> Person {
        self.account(name, workspace, false).await
    }

    /// A new admin of `workspace` with an API token.
    pub async fn admin(&self, name: &str, workspace: &str) -> Person {
        self.account(name, workspace, true).await
    }

    async fn account(&self, name: &str, workspace: &str, is_admin: bool) -> Person {
        let db = &self.state.db;
        let workspace_id = db
            .users()
            .workspace_id(workspace, &db::ids::new_id().unwrap())
            .await
            .unwrap();
        let row = UserRow {
            id: db::ids::new_id().unwrap(),
            workspace_id,
            email: format!("{}@example.com", name.to_lowercase()),
            display_name: name.to_owned(),
            time_zone: "Europe/Berlin".to_owned(),
            password_hash: hash_password(PASSWORD).unwrap(),
            is_admin,
            created_at: db::Timestamp::now(),
            working_hours: None,
            removed_at: None,
            email_notifications: db::domain::EmailChoice::WorkingHours,
            away_until: None,
            sso_subject: None,
        };
        assert!(db.users().insert(&row).await.unwrap());
        let user = row.user();
        let (token, _) = issue_token(&self.state, &user, TokenKind::Api, None, None, None)
            .await
            .unwrap();
        Person { user, token }
    }

    /// Two members of one workspace: Olive, who asks, and Manu, who answers.
    pub async fn olive_and_manu(&self) -> (Person, Person) {
        (self.person("Olive", "Team").await, self.person("Manu", "Team").await)
    }

    /// One request from `peer`, as `who` (a bearer token) or nobody.
    pub async fn call_from(
        &self,
        peer: SocketAddr,
        method: Method,
        uri: &str,
        who: Option<&Person>,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Answer {
        let mut request = Request::builder().method(method).uri(uri);
        if let Some(person) = who {
            request = request.header("authorization", format!("Bearer {}", person.token));
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut request = request.body(body).unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        let response = self.app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        Answer {
            status: parts.status,
            headers: parts.headers,
            body: body.collect().await.unwrap().to_bytes().to_vec(),
        }
    }

    pub async fn call(&self, method: Method, uri: &str, who: Option<&Person>, body: Body) -> Answer {
        let headers: &[(&str, &str)] = &[("content-type", "application/json")];
        self.call_from("127.0.0.1:40000".parse().unwrap(), method, uri, who, headers, body)
            .await
    }

    /// A tus request (`Tus-Resumable: 1.0.0` and `headers`) as `who`.
    pub async fn tus(
        &self,
        method: Method,
        uri: &str,
        who: &Person,
        headers: &[(&str, &str)],
        body: impl Into<Vec<u8>>,
    ) -> Answer {
        let body: Vec<u8> = body.into();
        let mut all = vec![("tus-resumable", "1.0.0")];
        all.extend_from_slice(headers);
        self.call_from(
            "127.0.0.1:40000".parse().unwrap(),
            method,
            uri,
            Some(who),
            &all,
            Body::from(body),
        )
        .await
    }

    /// A browser session's cookie (`name=value`) for `email`.
    pub async fn session(&self, email: &str) -> String {
        let login = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                Body::from(serde_json::json!({ "email": email, "password": PASSWORD, "kind": "session" }).to_string()),
            )
            .await;
        assert_eq!(login.status, 200, "{}", login.text());
        login.headers["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned()
    }

    /// A page as the browser holding the session `cookie` gets it (failing unless 200).
    pub async fn page(&self, cookie: &str, uri: &str) -> String {
        let answer = self
            .call_from(
                "127.0.0.1:40000".parse().unwrap(),
                Method::GET,
                uri,
                None,
                &[("cookie", cookie)],
                Body::empty(),
            )
            .await;
        assert_eq!(answer.status, 200, "{uri}");
        answer.text()
    }

    pub async fn get(&self, uri: &str, who: &Person) -> Answer {
        self.call(Method::GET, uri, Some(who), Body::empty()).await
    }

    pub async fn post_json(&self, uri: &str, who: Option<&Person>, body: Value) -> Answer {
        self.call(Method::POST, uri, who, Body::from(body.to_string())).await
    }

    /// Uploads the fixture clip as `who`; its id.
    pub async fn upload_id(&self, who: &Person, title: &str) -> String {
        self.upload(who, title).await["id"].as_str().unwrap().to_owned()
    }

    /// Uploads the fixture clip as `who`; its JSON view.
    pub async fn upload(&self, who: &Person, title: &str) -> Value {
        let answer = self
            .call(
                Method::POST,
                &format!(
                    "/api/v1/clips?title={}",
                    percent_encoding::utf8_percent_encode(title, percent_encoding::NON_ALPHANUMERIC)
                ),
                Some(who),
                Body::from(CLIP),
            )
            .await;
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
        answer.json()
    }
}

/// `UPDATE clips SET status` over a connection of its own (both engines read `$N`).
async fn set_status<DB: sqlx::Database>(url: &str, id: &str, status: &str)
where
    for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> &'q str: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
{
    use sqlx::Connection;
    let mut db = DB::Connection::connect(url).await.unwrap();
    sqlx::query::<DB>("UPDATE clips SET status = $1 WHERE id = $2")
        .bind(status)
        .bind(id)
        .execute(&mut db)
        .await
        .unwrap();
}
