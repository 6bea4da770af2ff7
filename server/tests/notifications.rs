//! Notifications queued in process on both databases: who hears of a new message and of a
//! reply (never its own author, only those part of the thread), when (each one's choice and
//! working hours), and the choice itself over the API. Delivery through a real SMTP server is
//! `tests/tests/e2e/notifications.rs`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use db::domain::NotificationEvent;
use db::notifications::Notification;
use serde_json::json;
use support::{Backend, Harness, Person};

/// A mailer is configured (nothing listens there: this harness runs no delivery worker).
const FLAGS: &[&str] = &["--smtp-url", "smtp://127.0.0.1:9"];

async fn choose(server: &Harness, who: &Person, email: &str) -> support::Answer {
    server
        .call(
            Method::PATCH,
            "/api/v1/me/notifications",
            Some(who),
            Body::from(json!({ "email": email }).to_string()),
        )
        .await
}

/// What the mail `notification` would tell its recipient now.
async fn told(server: &Harness, notification: &Notification) -> server::services::notifications::story::Told {
    let notice = db::queue::Notice {
        to: notification.recipient_id.clone(),
        event: notification.event,
        clip_id: notification.clip_id.clone(),
        reply_id: notification.reply_id.clone(),
        actor_id: notification.actor_id.clone(),
        subject: String::new(),
    };
    server::services::notifications::story::tell(&server.state, &notice, notification.created_at)
        .await
        .unwrap()
        .expect("it is told")
}

/// `who`'s notifications, once the events so far are turned into notifications (what the
/// workers do; this harness runs none), which must make `count` of them.
async fn queued(server: &Harness, who: &Person, count: usize) -> Vec<Notification> {
    server::services::notifications::fan_out(&server.state).await.unwrap();
    let rows = server
        .state
        .db
        .notifications()
        .of_recipient(&who.user.id)
        .await
        .unwrap();
    assert_eq!(rows.len(), count, "{}'s notifications: {rows:?}", who.user.display_name);
    rows
}

async fn each_member_chooses_how_email_tells_them(backend: Backend) {
    let server = Harness::on(backend, FLAGS).await;
    let olive = server.person("Olive", "Team").await;
    let default = server.get("/api/v1/me/notifications", &olive).await;
    assert_eq!(default.json(), json!({ "email": "working_hours" }));
    assert_eq!(choose(&server, &olive, "immediate").await.status, StatusCode::OK);
    assert_eq!(
        server.get("/api/v1/me/notifications", &olive).await.json(),
        json!({ "email": "immediate" })
    );
    assert_eq!(choose(&server, &olive, "digest").await.status, StatusCode::OK);
    assert!(choose(&server, &olive, "sometimes").await.status.is_client_error());
    assert_eq!(choose(&server, &olive, "off").await.status, StatusCode::OK);
}

async fn messages_and_replies_reach_the_right_people_at_their_time(backend: Backend) {
    let server = Harness::on(backend, FLAGS).await;
    let (olive, manu) = server.olive_and_manu().await;
    let sam = server.person("Sam", "Team").await;
    let outsider = server.person("Otto", "Elsewhere").await;
    choose(&server, &olive, "immediate").await;
    choose(&server, &sam, "off").await;
    // Manu keeps the default: his working hours, Europe/Berlin, Monday to Friday 09–17.

    let clip = server.upload_id(&olive, "Roadmap").await;
    let before = chrono::Utc::now();
    let to_manu = queued(&server, &manu, 1).await;
    assert_eq!(to_manu[0].event, NotificationEvent::MessageCreated);
    assert_eq!(to_manu[0].clip_id, clip);
    assert_eq!(to_manu[0].actor_id, olive.user.id);
    let due = to_manu[0].due_at.instant();
    let expected = manu
        .user
        .working_hours
        .next_start(before + chrono::Duration::seconds(15), manu.user.zone())
        .unwrap();
    assert!(
        (due - expected).num_seconds().abs() <= 3,
        "held for Manu's hours: due {due}, expected about {expected}"
    );
    // Sam chose no mail; Otto is in another workspace; Olive never hears of her own message.
    for nobody in [&sam, &outsider, &olive] {
        assert!(
            server
                .state
                .db
                .notifications()
                .of_recipient(&nobody.user.id)
                .await
                .unwrap()
                .is_empty()
        );
    }

    // Manu replies: Olive (the thread's author) hears of it at once; Sam, not part of the
    // thread, does not; Manu never of his own reply.
    let now = chrono::Utc::now();
    let reply = server
        .post_json(
            &format!("/api/v1/threads/{clip}/replies"),
            Some(&manu),
            json!({ "text": "looks good" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let to_olive = queued(&server, &olive, 1).await;
    assert_eq!(to_olive[0].event, NotificationEvent::ReplyCreated);
    assert_eq!(to_olive[0].reply_id, reply.json()["reply_id"].as_str().unwrap());
    let due = to_olive[0].due_at.instant();
    assert!((due - now).num_seconds().abs() <= 2, "immediate: due {due}");
    assert_eq!(
        queued(&server, &manu, 1).await.len(),
        1,
        "only the new message, not his own reply"
    );

    // Olive reacts to Manu's reply: no mail of its own (Manu still has one coming, Olive none
    // more), but the mail Manu has coming about the thread says so.
    let reply_id = reply.json()["reply_id"].as_str().unwrap().to_owned();
    let reacted = server
        .post_json(
            &format!("/api/v1/clips/{reply_id}/reactions"),
            Some(&olive),
            json!({ "emoji": "🙏" }),
        )
        .await;
    assert_eq!(reacted.status, StatusCode::CREATED, "{}", reacted.text());
    let pending = queued(&server, &manu, 1).await;
    queued(&server, &olive, 1).await;
    let told = told(&server, &pending[0]).await;
    assert!(
        told.text().contains("Reactions to yours in this thread: 🙏 Olive"),
        "{}",
        told.text()
    );
    assert!(
        server
            .state
            .db
            .notifications()
            .of_recipient(&sam.user.id)
            .await
            .unwrap()
            .is_empty()
    );

    // A guest answers through the link: Olive hears of it too, and Manu (part of the thread).
    let shared = server
        .call(
            Method::PATCH,
            &format!("/api/v1/clips/{clip}/sharing"),
            Some(&olive),
            Body::from(json!({ "visibility": "link", "guests_may_reply": true }).to_string()),
        )
        .await
        .json();
    let token = shared["sharing"]["token"].as_str().unwrap();
    let guest = server
        .post_json(
            &format!("/api/v1/threads/{clip}/replies?share={token}"),
            None,
            json!({ "text": "from outside", "guest_name": "Gus" }),
        )
        .await;
    assert_eq!(guest.status, StatusCode::CREATED, "{}", guest.text());
    let to_olive = queued(&server, &olive, 2).await;
    assert!(to_olive.iter().all(|n| n.event == NotificationEvent::ReplyCreated));
    assert!(
        to_olive.iter().any(|n| n.actor_id.is_empty()),
        "a guest is nobody's account"
    );
    assert_eq!(queued(&server, &manu, 2).await.len(), 2);
}

/// The link in a mail about an answer to a reply opens at that answer, and at the moment of
/// the reply it points into.
async fn a_reply_to_a_reply_is_told_at_that_reply_and_moment(backend: Backend) {
    let server = Harness::on(backend, FLAGS).await;
    let (olive, manu) = server.olive_and_manu().await;
    choose(&server, &manu, "immediate").await;
    let clip = server.upload_id(&olive, "Roadmap").await;
    let voice = server.upload_id(&manu, "").await;
    let manu_reply = server
        .post_json(
            &format!("/api/v1/threads/{clip}/replies"),
            Some(&manu),
            json!({ "clip_id": voice }),
        )
        .await
        .json();
    let manu_reply = manu_reply["reply_id"].as_str().unwrap().to_owned();
    let answer = server
        .post_json(
            &format!("/api/v1/threads/{clip}/replies"),
            Some(&olive),
            json!({ "text": "Agreed on that point", "parent_id": manu_reply, "at_ms": 1000 }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text());
    let answer_id = answer.json()["reply_id"].as_str().unwrap().to_owned();
    let to_manu = queued(&server, &manu, 2).await;
    let about = to_manu
        .iter()
        .find(|n| n.reply_id == answer_id)
        .expect("Manu hears of the answer");
    let text = told(&server, about).await.text();
    assert!(
        text.contains(&format!("?r={manu_reply}&t=1.0#r-{answer_id}")),
        "opens at the answer, at 0:01 of Manu's reply: {text}"
    );
}

/// Mail held for someone's hours follows them when they change their choice or their hours:
/// it goes when the new ones say (in order), not at the time planned before.
async fn held_mail_is_replanned_when_the_choice_or_hours_change(backend: Backend) {
    let server = Harness::on(backend, FLAGS).await;
    let (olive, manu) = server.olive_and_manu().await;
    server.upload_id(&olive, "Roadmap").await;
    let planned = queued(&server, &manu, 1).await[0].due_at.instant();
    // Manu keeps every hour of every day, in Manila, from now on: the mail goes at once.
    let all_day: serde_json::Map<String, serde_json::Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|d| (d.to_string(), json!(["00:00", "23:59"])))
        .collect();
    let changed = server
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&manu),
            Body::from(json!({ "time_zone": "Asia/Manila", "working_hours": all_day }).to_string()),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    let now = chrono::Utc::now();
    let due = queued(&server, &manu, 1).await[0].due_at.instant();
    assert!(
        (due - now).num_seconds().abs() <= 20,
        "re-planned into his new hours: due {due}, was {planned}, now {now}"
    );
    // A digest instead: held for the start of his next working day.
    assert_eq!(choose(&server, &manu, "digest").await.status, StatusCode::OK);
    let digest = queued(&server, &manu, 1).await[0].due_at.instant();
    assert!(
        digest > now + chrono::Duration::minutes(1),
        "held for his next day: {digest}"
    );
    // No mail at all: it is due at once, and dropped when its turn comes.
    assert_eq!(choose(&server, &manu, "off").await.status, StatusCode::OK);
    let off = queued(&server, &manu, 1).await[0].due_at.instant();
    assert!(off <= chrono::Utc::now(), "due at once, to be dropped: {off}");
}

on_every_database!(
    held_mail_is_replanned_when_the_choice_or_hours_change,
    a_reply_to_a_reply_is_told_at_that_reply_and_moment,
    each_member_chooses_how_email_tells_them,
    messages_and_replies_reach_the_right_people_at_their_time,
);
