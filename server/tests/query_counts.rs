//! Listing clips, searching, the inbox and building a thread once made a query per item (N+1).
//! Each now takes as many queries for 30 items as for 3. Counted from sqlx's own
//! statement log; alone in its test binary so no other test's queries are counted.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::json;
use support::Harness;
use tracing_subscriber::layer::SubscriberExt;

/// Counts sqlx's per-statement events.
struct Statements(Arc<AtomicUsize>);

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[tokio::test]
async fn lists_and_threads_take_as_many_queries_for_30_items_as_for_3() {
    let count = Arc::new(AtomicUsize::new(0));
    let subscriber = tracing_subscriber::registry()
        .with(tracing_subscriber::filter::Targets::new().with_target("sqlx::query", tracing::Level::TRACE))
        .with(Statements(count.clone()));
    tracing::subscriber::set_global_default(subscriber).unwrap();
    let queries = |before: usize| count.load(Ordering::Relaxed) - before;

    let server = Harness::start(&[]).await;
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
            // Once to warm the pool up (opening a connection runs statements of its own).
            server.get(&uri, &olive).await;
            let before = count.load(Ordering::Relaxed);
            let answer = server.get(&uri, &olive).await;
            assert!(
                answer.status.is_success() || answer.status.is_redirection(),
                "{uri}: {}",
                answer.text()
            );
            per_route.push((uri, queries(before)));
        }
        measured.push(per_route);
    }
    for (small, large) in measured[0].iter().zip(&measured[1]) {
        assert!(
            small.1 > 0,
            "no statements counted for {}: is sqlx logging them?",
            small.0
        );
        // A query per item would add 27; a connection the pool opens meanwhile adds one or two.
        assert!(
            large.1 <= small.1 + 2,
            "{}: {} queries for 3 items, {} for 30",
            small.0,
            small.1,
            large.1
        );
    }
}
