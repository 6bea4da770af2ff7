//! Webhooks on both databases, delivered by the real workers to a receiver on loopback that
//! checks every signature with the Standard Webhooks reference implementation: who may manage
//! them, which targets are refused, retries with backoff in the delivery log, the chat format,
//! a dead endpoint that holds up no other, and a delivery left by a dead process.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, StatusCode};
use serde_json::{Value, json};
use support::{Backend, Harness, Person};

/// What the receiver was sent.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
    at: Instant,
}

/// An HTTP endpoint on loopback that records every request and answers 500 to the first
/// delivery of each `webhook-id` on `/flaky`, 200 to everything else.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start() -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let log = got.clone();
        let app = axum::Router::new().fallback(move |uri: axum::http::Uri, headers: HeaderMap, body: Bytes| {
            let log = log.clone();
            async move {
                let mut log = log.lock().unwrap();
                let id = headers.get("webhook-id").cloned();
                let seen = log.iter().any(|r| r.headers.get("webhook-id") == id.as_ref());
                log.push(Received {
                    path: uri.path().to_owned(),
                    headers,
                    body,
                    at: Instant::now(),
                });
                if uri.path() == "/flaky" && !seen {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, got }
    }

    fn at(&self, path: &str) -> Vec<Received> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits (at most `limit`) until `path` has had `count` requests.
    async fn wait_for(&self, path: &str, count: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.at(path);
            if got.len() >= count {
                return got;
            }
            assert!(
                start.elapsed() < limit,
                "{path}: {} of {count} requests after {limit:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

/// Adds a webhook as `who`: its id and secret.
async fn add(server: &Harness, who: &Person, url: &str, events: &[&str], format: &str) -> (String, String) {
    let answer = server
        .post_json(
            "/api/v1/webhooks",
            Some(who),
            json!({ "url": url, "events": events, "format": format }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let body = answer.json();
    assert!(body["secret"].as_str().unwrap().starts_with("whsec_"));
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

/// The body, once its signature checks out under `secret`.
fn verified(received: &Received, secret: &str) -> Value {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(&received.body, &received.headers)
        .unwrap_or_else(|e| panic!("signature of {:?}: {e}", received.headers));
    serde_json::from_slice(&received.body).unwrap()
}

fn webhook_id(received: &Received) -> &str {
    received.headers["webhook-id"].to_str().unwrap()
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

async fn admins_manage_webhooks_and_inward_targets_are_refused(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let ada = server.admin("Ada", "Team").await;
    let manu = server.person("Manu", "Team").await;
    let otto = server.admin("Otto", "Elsewhere").await;
    let post = |who: &Person, body: Value| {
        let who = who.clone();
        let server = &server;
        async move { server.post_json("/api/v1/webhooks", Some(&who), body).await }
    };
    let standard = json!({ "url": "https://93.184.216.34/hooks", "events": ["reply.created"] });

    let member = post(&manu, standard.clone()).await;
    assert_eq!(member.status, StatusCode::FORBIDDEN, "{}", member.text());
    assert_eq!(
        server.get("/api/v1/webhooks", &manu).await.status,
        StatusCode::FORBIDDEN
    );

    for (url, why) in [
        ("http://127.0.0.1:9/x", "--webhook-allow-private"),
        ("http://10.0.0.7/x", "private"),
        ("http://[::1]:8080/x", "private"),
        ("http://169.254.169.254/latest/meta-data", "private"),
        ("http://localhost:9/x", "private"),
        ("ftp://example.com/x", "http"),
    ] {
        let refused = post(&ada, json!({ "url": url, "events": ["reply.created"] })).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{url}: {}", refused.text());
        assert!(
            refused.json()["error"]["message"].as_str().unwrap().contains(why),
            "{url}: {}",
            refused.text()
        );
    }
    for events in [json!([]), json!(["clip.deleted"])] {
        let refused = post(&ada, json!({ "url": "https://93.184.216.34/", "events": events })).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.text());
    }
    let unknown_format = post(
        &ada,
        json!({ "url": "https://93.184.216.34/", "events": ["reply.created"], "format": "xml" }),
    )
    .await;
    assert!(unknown_format.status.is_client_error());

    let (id, _) = add(
        &server,
        &ada,
        "https://93.184.216.34/hooks",
        &["reply.created", "message.created"],
        "standard",
    )
    .await;
    let listed = server.get("/api/v1/webhooks", &ada).await.json();
    let hooks = listed["webhooks"].as_array().unwrap();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0]["id"], json!(id));
    assert_eq!(hooks[0]["events"], json!(["reply.created", "message.created"]));
    assert_eq!(hooks[0]["format"], json!("standard"));
    assert_eq!(hooks[0]["deliveries"], json!([]));
    assert!(hooks[0].get("secret").is_none(), "the secret is shown only once");
    // Another workspace neither sees nor removes it.
    assert_eq!(
        server.get("/api/v1/webhooks", &otto).await.json(),
        json!({ "webhooks": [] })
    );
    let foreign = server
        .call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&otto),
            Body::empty(),
        )
        .await;
    assert_eq!(foreign.status, StatusCode::NOT_FOUND);

    // At most ten per workspace.
    for _ in 1..10 {
        add(&server, &ada, "https://93.184.216.34/more", &["reply.created"], "chat").await;
    }
    let eleventh = post(&ada, standard.clone()).await;
    assert_eq!(eleventh.status, StatusCode::CONFLICT, "{}", eleventh.text());

    let removed = server
        .call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&ada),
            Body::empty(),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    let again = server
        .call(
            Method::DELETE,
            &format!("/api/v1/webhooks/{id}"),
            Some(&ada),
            Body::empty(),
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(post(&ada, standard).await.status, StatusCode::CREATED, "room again");
}

async fn deliveries_are_signed_retried_with_backoff_and_logged(backend: Backend) {
    let server = Harness::on(backend, &["--webhook-allow-private"]).await;
    let receiver = Receiver::start().await;
    let ada = server.admin("Ada", "Team").await;
    let manu = server.person("Manu", "Team").await;
    let otto = server.admin("Otto", "Elsewhere").await;
    let flaky_url = format!("{}/flaky", receiver.url);
    let (flaky, flaky_secret) = add(
        &server,
        &ada,
        &flaky_url,
        &["message.created", "reply.created"],
        "standard",
    )
    .await;
    let (_, chat_secret) = add(
        &server,
        &ada,
        &format!("{}/chat", receiver.url),
        &["reply.created"],
        "chat",
    )
    .await;
    let dead_url = format!("http://127.0.0.1:{}/dead", closed_port().await);
    let (dead, _) = add(&server, &ada, &dead_url, &["reply.created"], "standard").await;
    add(
        &server,
        &otto,
        &format!("{}/elsewhere", receiver.url),
        &["message.created", "reply.created"],
        "standard",
    )
    .await;
    server::workers::start(&server.state).await.unwrap();

    let clip = server.upload_id(&ada, "Roadmap").await;
    let replied = server
        .post_json(
            &format!("/api/v1/threads/{clip}/replies"),
            Some(&manu),
            json!({ "text": "Looks good <& ship it>" }),
        )
        .await;
    assert_eq!(replied.status, StatusCode::CREATED, "{}", replied.text());
    let reply_id = replied.json()["reply_id"].as_str().unwrap().to_owned();

    // The chat endpoint has it at once, though the dead one is being tried beside it.
    let chat = receiver.wait_for("/chat", 1, Duration::from_secs(10)).await;
    let text = verified(&chat[0], &chat_secret)["text"].as_str().unwrap().to_owned();
    assert!(text.contains("Manu replied to “Roadmap”"), "{text}");
    assert!(
        text.contains("Looks good &lt;&amp; ship it&gt;"),
        "escaped as Slack asks: {text}"
    );
    assert!(text.contains("/c/"), "{text}");

    // The flaky endpoint answers 500, then has the same delivery again after the backoff.
    let flaky_got = receiver.wait_for("/flaky", 2, Duration::from_secs(20)).await;
    let (first, second) = (&flaky_got[0], &flaky_got[1]);
    assert_eq!(webhook_id(first), webhook_id(second), "a retry is the same delivery");
    assert!(
        second.at - first.at >= Duration::from_secs(4),
        "retried after {:?}",
        second.at - first.at
    );
    let event = verified(second, &flaky_secret);
    assert_eq!(verified(first, &flaky_secret), event);
    assert_eq!(event["type"], json!("reply.created"));
    assert_eq!(event["data"]["reply"]["id"], json!(reply_id));
    assert_eq!(event["data"]["reply"]["kind"], json!("text"));
    assert_eq!(event["data"]["reply"]["text"], json!("Looks good <& ship it>"));
    assert_eq!(event["data"]["message"]["id"], json!(clip));
    assert_eq!(event["data"]["message"]["title"], json!("Roadmap"));
    assert_eq!(event["data"]["actor"]["name"], json!("Manu"));
    let link = event["data"]["url"].as_str().unwrap();
    assert!(
        link.starts_with(&server.state.public_url) && link.contains("/c/"),
        "{link}"
    );

    // The log: the flaky one sent on its second attempt; the dead one waiting to retry.
    let hooks = server.get("/api/v1/webhooks", &ada).await.json();
    let log = |id: &str| {
        hooks["webhooks"]
            .as_array()
            .unwrap()
            .iter()
            .find(|h| h["id"] == json!(id))
            .unwrap()["deliveries"]
            .clone()
    };
    let flaky_log = log(&flaky);
    let sent = flaky_log
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["event"] == json!("reply.created"))
        .unwrap();
    assert_eq!(sent["id"], json!(webhook_id(second)));
    assert_eq!(sent["state"], json!("sent"));
    assert_eq!(sent["attempts"], json!(2));
    assert_eq!(sent["status"], json!(200));
    assert!(sent["delivered_at"].is_string());
    let dead_log = log(&dead);
    assert_eq!(dead_log[0]["state"], json!("pending"), "{dead_log}");
    // Tried at once and maybe 5 s later, like the flaky one; next in 5 minutes.
    let attempts = dead_log[0]["attempts"].as_i64().unwrap();
    assert!((1..=2).contains(&attempts), "{dead_log}");
    assert_eq!(dead_log[0]["status"], Value::Null);
    assert!(
        dead_log[0]["error"]
            .as_str()
            .unwrap()
            .to_lowercase()
            .contains("connect"),
        "{dead_log}"
    );
    assert!(dead_log[0]["next_attempt_at"].is_string());

    // The new message is told once its grace is over (it could have become a reply).
    let flaky_got = receiver.wait_for("/flaky", 4, Duration::from_secs(40)).await;
    let created: Vec<Value> = flaky_got
        .iter()
        .map(|r| verified(r, &flaky_secret))
        .filter(|e| e["type"] == json!("message.created"))
        .collect();
    assert_eq!(created.len(), 2, "a 500 and its retry");
    assert_eq!(created[0]["data"]["message"]["title"], json!("Roadmap"));
    assert_eq!(created[0]["data"]["actor"]["name"], json!("Ada"));
    assert!(receiver.at("/elsewhere").is_empty(), "another workspace hears nothing");
    assert_eq!(
        receiver.at("/chat").len(),
        1,
        "sent once: it did not subscribe to messages"
    );
}

async fn a_delivery_held_by_a_dead_process_goes_out_once_its_lease_ends(backend: Backend) {
    let server = Harness::on(backend, &["--webhook-allow-private"]).await;
    let receiver = Receiver::start().await;
    let ada = server.admin("Ada", "Team").await;
    let manu = server.person("Manu", "Team").await;
    let (_, secret) = add(
        &server,
        &ada,
        &format!("{}/hook", receiver.url),
        &["reply.created"],
        "standard",
    )
    .await;
    let clip = server.upload_id(&ada, "Plan").await;
    let replied = server
        .post_json(
            &format!("/api/v1/threads/{clip}/replies"),
            Some(&manu),
            json!({ "text": "yes" }),
        )
        .await;
    assert_eq!(replied.status, StatusCode::CREATED);

    // A process queues the delivery, claims it, and dies before sending it.
    server::services::notifications::fan_out(&server.state).await.unwrap();
    let lease_end = chrono::Utc::now() + chrono::Duration::seconds(3);
    let lease = db::queue::Lease {
        holder: "gone/webhooks",
        until: lease_end,
    };
    let held = server
        .state
        .db
        .jobs()
        .claim(db::domain::JobKind::Webhook, lease, 10)
        .await
        .unwrap();
    assert_eq!(held.len(), 1);
    let claimed_at = Instant::now();

    server::workers::start(&server.state).await.unwrap();
    let got = receiver.wait_for("/hook", 1, Duration::from_secs(15)).await;
    assert!(
        got[0].at - claimed_at >= Duration::from_millis(2500),
        "not before the lease ran out: {:?}",
        got[0].at - claimed_at
    );
    assert_eq!(
        webhook_id(&got[0]),
        held[0].id,
        "the same webhook-id as the dead process had"
    );
    assert_eq!(verified(&got[0], &secret)["data"]["reply"]["text"], json!("yes"));
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(receiver.at("/hook").len(), 1, "sent once");
}

/// A reaction is told to the webhooks that want `reaction.created` (and to no other), signed,
/// with the emoji, the moment and the message.
async fn a_reaction_is_told_to_the_webhooks_that_want_it(backend: Backend) {
    let server = Harness::on(backend, &["--webhook-allow-private"]).await;
    let receiver = Receiver::start().await;
    let ada = server.admin("Ada", "Team").await;
    let manu = server.person("Manu", "Team").await;
    let (_, secret) = add(
        &server,
        &ada,
        &format!("{}/reactions", receiver.url),
        &["reaction.created"],
        "standard",
    )
    .await;
    let (_, chat_secret) = add(
        &server,
        &ada,
        &format!("{}/chat", receiver.url),
        &["reaction.created"],
        "chat",
    )
    .await;
    add(
        &server,
        &ada,
        &format!("{}/replies", receiver.url),
        &["reply.created"],
        "standard",
    )
    .await;
    server::workers::start(&server.state).await.unwrap();
    let clip = server.upload_id(&ada, "Roadmap").await;
    let reacted = server
        .post_json(
            &format!("/api/v1/clips/{clip}/reactions"),
            Some(&manu),
            json!({ "emoji": "👍", "at_ms": 1500 }),
        )
        .await;
    assert_eq!(reacted.status, StatusCode::CREATED, "{}", reacted.text());
    let got = receiver.wait_for("/reactions", 1, Duration::from_secs(10)).await;
    let event = verified(&got[0], &secret);
    assert_eq!(event["type"], "reaction.created", "{event}");
    assert_eq!(event["data"]["reaction"]["emoji"], "👍");
    assert_eq!(event["data"]["reaction"]["at_ms"], 1500);
    assert_eq!(event["data"]["reaction"]["message_id"], clip.as_str());
    assert_eq!(event["data"]["message"]["id"], clip.as_str());
    assert_eq!(event["data"]["actor"]["name"], "Manu");
    assert_eq!(event["data"]["summary"], "Manu reacted 👍 to “Roadmap” at 0:01.");
    assert!(event["data"]["url"].as_str().unwrap().ends_with("?t=1.5"), "{event}");
    let chat = receiver.wait_for("/chat", 1, Duration::from_secs(10)).await;
    let text = verified(&chat[0], &chat_secret)["text"].as_str().unwrap().to_owned();
    assert!(text.starts_with("Manu reacted 👍 to “Roadmap” at 0:01."), "{text}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        receiver.got.lock().unwrap().iter().all(|r| r.path != "/replies"),
        "a reaction is not a reply"
    );
}

on_every_database!(
    a_reaction_is_told_to_the_webhooks_that_want_it,
    admins_manage_webhooks_and_inward_targets_are_refused,
    deliveries_are_signed_retried_with_backoff_and_logged,
    a_delivery_held_by_a_dead_process_goes_out_once_its_lease_ends,
);
