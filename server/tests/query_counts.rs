//! Listing clips, searching, the inbox and building a thread once made a query per item (N+1).
//! Each now takes the same number of queries for 30 items as for 3, on SQLite and PostgreSQL.
//! Counted from sqlx's own statement log; alone in its test binary so no other test's queries
//! are counted (one test: the log is the process's, set once). Reading a thread again with
//! nothing new in it writes no receipts.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::sync::{Arc, Mutex};

use serde_json::json;
use support::{Backend, Harness};
use tracing_subscriber::layer::SubscriberExt;

/// sqlx's per-statement events, each as the statement it ran (connection set-up left out).
#[derive(Clone, Default)]
struct Statements(Arc<Mutex<Vec<String>>>);

impl Statements {
    fn len(&self) -> usize {
        self.0.lock().unwrap().len()
    }

    fn since(&self, from: usize) -> Vec<String> {
        self.0.lock().unwrap()[from..].to_vec()
    }
}

/// Reads the event's `db.statement` (the SQL) field.
struct Sql(String);

impl tracing::field::Visit for Sql {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "db.statement" {
            self.0 = format!("{value:?}");
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            let mut sql = Sql(String::new());
            event.record(&mut sql);
            // A connection the pool opens meanwhile sets itself up: not the route's doing.
            if !sql.0.contains("PRAGMA journal_mode") {
                self.0.lock().unwrap().push(sql.0);
            }
        }
    }
}

#[tokio::test]
async fn lists_and_threads_take_the_same_queries_for_30_items_as_for_3() {
    let statements = Statements::default();
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::Targets::new().with_target("sqlx::query", tracing::Level::TRACE))
        .with(statements.clone());
    tracing::subscriber::set_global_default(subscriber).unwrap();
    for backend in [Backend::Sqlite, Backend::Postgres] {
        same_queries_for_30_as_for_3(backend, &statements).await;
    }
}

async fn same_queries_for_30_as_for_3(backend: Backend, statements: &Statements) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let root = server.upload(&olive, "Budget").await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    let mut measured = Vec::new();
    for total in [3, 30] {
        while server.get("/api/v1/clips?limit=100", &olive).await.json()["clips"]
            .as_array()
            .unwrap()
            .len()
            < total + 1
        {
            let answer = server.upload(&manu, "Budget").await;
            let reply = server
                .post_json(
                    &format!("/api/v1/threads/{root_id}/replies"),
                    Some(&manu),
                    json!({ "clip_id": answer["id"] }),
                )
                .await;
            assert_eq!(reply.status, 201, "{}", reply.text());
            server
                .post_json(
                    &format!("/api/v1/threads/{root_id}/replies"),
                    Some(&manu),
                    json!({ "text": "and budget notes" }),
                )
                .await;
        }
        let mut per_route = Vec::new();
        for uri in [
            "/api/v1/clips?limit=100".to_owned(),
            format!("/api/v1/threads/{root_id}"),
            "/api/v1/inbox".to_owned(),
            "/api/v1/search?q=budget&limit=100".to_owned(),
        ] {
            let before = statements.len();
            let answer = server.get(&uri, &olive).await;
            assert!(
                answer.status.is_success() || answer.status.is_redirection(),
                "{uri}: {}",
                answer.text()
            );
            per_route.push((uri, statements.since(before)));
        }
        measured.push(per_route);
    }
    // Read again with nothing new, as an open page does every few seconds: no receipt is
    // written again (before, every read wrote them).
    let before = statements.len();
    assert!(
        server
            .get(&format!("/api/v1/threads/{root_id}"), &olive)
            .await
            .status
            .is_success()
    );
    let again = statements.since(before);
    assert!(
        !again.is_empty() && !again.iter().any(|sql| sql.contains("INSERT INTO seen")),
        "{backend:?}: {again:#?}"
    );
    for (small, large) in measured[0].iter().zip(&measured[1]) {
        assert!(
            !small.1.is_empty(),
            "no statements seen for {}: is sqlx logging them?",
            small.0
        );
        assert_eq!(
            small.1.len(),
            large.1.len(),
            "{backend:?} {}: for 3 items {:#?}\nfor 30 {:#?}",
            small.0,
            small.1,
            large.1
        );
    }
}
