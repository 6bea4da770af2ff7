//! What people outside the team see of a thread behind a message's link: by default the
//! message, its owner's replies and guests' replies — the team's own answers stay inside,
//! through every way in (the thread, the page, a reply's media, answering it); the whole
//! thread only when the owner says so. And the team's own address for a message, `/m/{id}`,
//! and pages that answer `If-None-Match`.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Answer, Backend, Harness, Person};

async fn anonymous(server: &Harness, method: Method, uri: &str, headers: &[(&str, &str)], body: Body) -> Answer {
    server
        .call_from("127.0.0.1:40000".parse().unwrap(), method, uri, None, headers, body)
        .await
}

async fn share(server: &Harness, owner: &Person, id: &str, change: Value) -> Answer {
    server
        .call(
            Method::PATCH,
            &format!("/api/v1/clips/{id}/sharing"),
            Some(owner),
            Body::from(change.to_string()),
        )
        .await
}

fn texts(thread: &Value) -> Vec<String> {
    fn walk(message: &Value, out: &mut Vec<String>) {
        for reply in message["replies"].as_array().unwrap() {
            out.push(
                reply["text"]
                    .as_str()
                    .map_or_else(|| format!("clip {}", reply["clip"]["id"]), str::to_owned),
            );
            walk(reply, out);
        }
    }
    let mut out = Vec::new();
    walk(&thread["root"], &mut out);
    out
}

async fn outsiders_see_what_the_owner_shows(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let root = server.upload(&olive, "Plan").await;
    let id = root["id"].as_str().unwrap().to_owned();
    let token = root["sharing"]["token"].as_str().unwrap().to_owned();
    let opened = share(
        &server,
        &olive,
        &id,
        json!({ "visibility": "link", "guests_may_reply": true }),
    )
    .await;
    assert_eq!(opened.status, 200, "{}", opened.text());
    assert_eq!(opened.json()["sharing"]["outsiders_see"], "message", "the default");

    // Manu answers inside the team, by voice and in text; Olive answers Manu's text.
    let voice = server.upload_id(&manu, "").await;
    let thread_path = format!("/api/v1/threads/{id}/replies");
    assert_eq!(
        server
            .post_json(&thread_path, Some(&manu), json!({ "clip_id": voice }))
            .await
            .status,
        201
    );
    let internal = server
        .post_json(&thread_path, Some(&manu), json!({ "text": "between us" }))
        .await
        .json();
    let internal_id = internal["reply_id"].as_str().unwrap().to_owned();
    let answer = server
        .post_json(
            &thread_path,
            Some(&olive),
            json!({ "text": "for everyone", "parent_id": internal_id }),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text());

    // A reply's own page shows the conversation it is part of, and no sharing of its own.
    let manus = server.session("manu@example.com").await;
    let reply_page = server.page(&manus, &format!("/m/{voice}")).await;
    assert!(reply_page.contains("A reply in <a href="), "{reply_page}");
    assert!(!reply_page.contains("id=\"sharing\""), "a reply shows no sharing panel");
    let olives = server.session("olive@example.com").await;
    let own_page = server.page(&olives, &format!("/m/{id}")).await;
    assert!(own_page.contains("id=\"sharing\""), "the message's owner sees it");

    // A guest sees nothing of Manu's — nor Olive's answer to it, which without it would read
    // as an answer to nothing (or to the message, which it is not).
    let guest_thread = format!("/api/v1/threads/{id}?share={token}");
    let seen = anonymous(&server, Method::GET, &guest_thread, &[], Body::empty())
        .await
        .json();
    assert_eq!(texts(&seen), Vec::<String>::new());
    assert_eq!(seen["reply_count"], 0);
    let page = anonymous(&server, Method::GET, &format!("/c/{token}"), &[], Body::empty())
        .await
        .text();
    assert!(
        !page.contains("for everyone") && !page.contains("between us") && !page.contains("Manu"),
        "{page}"
    );
    // Olive's own answer to the message itself they do see.
    let public = server
        .post_json(&thread_path, Some(&olive), json!({ "text": "to all of you" }))
        .await;
    assert_eq!(public.status, 201, "{}", public.text());
    let seen = anonymous(&server, Method::GET, &guest_thread, &[], Body::empty())
        .await
        .json();
    assert_eq!(texts(&seen), ["to all of you"]);
    let media = format!("/api/v1/clips/{voice}/media?share={token}");
    assert_eq!(
        anonymous(&server, Method::GET, &media, &[], Body::empty()).await.status,
        404
    );
    // Nor can a guest answer what they cannot see; their own replies they see.
    let hidden_parent = server
        .post_json(
            &format!("/api/v1/threads/{id}/replies?share={token}"),
            None,
            json!({ "text": "hi", "guest_name": "Gus", "parent_id": internal_id }),
        )
        .await;
    assert_eq!(
        hidden_parent.status,
        StatusCode::BAD_REQUEST,
        "{}",
        hidden_parent.text()
    );
    let guest_reply = server
        .post_json(
            &format!("/api/v1/threads/{id}/replies?share={token}"),
            None,
            json!({ "text": "thanks", "guest_name": "Gus" }),
        )
        .await;
    assert_eq!(guest_reply.status, 201, "{}", guest_reply.text());
    let seen = anonymous(&server, Method::GET, &guest_thread, &[], Body::empty())
        .await
        .json();
    assert_eq!(texts(&seen), ["to all of you", "thanks"]);
    // The team sees everything, as it was written.
    let team = server.get(&format!("/api/v1/threads/{id}"), &manu).await.json();
    assert_eq!(team["reply_count"], 5);

    // The owner shows outsiders the whole thread.
    let whole = share(&server, &olive, &id, json!({ "outsiders_see": "thread" })).await;
    assert_eq!(whole.status, 200);
    let seen = anonymous(&server, Method::GET, &guest_thread, &[], Body::empty())
        .await
        .json();
    assert_eq!(seen["reply_count"], 5);
    assert!(texts(&seen).contains(&"between us".to_owned()));
    assert!(
        texts(&seen).contains(&"for everyone".to_owned()),
        "with its context now"
    );
    assert_eq!(
        anonymous(&server, Method::GET, &media, &[], Body::empty()).await.status,
        200
    );
    assert!(
        seen["root"]["seen_by"].as_array().unwrap().is_empty(),
        "never who listened"
    );

    let wrong = share(&server, &olive, &id, json!({ "outsiders_see": "everyone" })).await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.text().contains("outsiders_see"), "{}", wrong.text());
    let not_owner = share(&server, &manu, &id, json!({ "outsiders_see": "message" })).await;
    assert_eq!(not_owner.status, StatusCode::FORBIDDEN);
}

/// `uri` asked for again by `who`, with the ETag of an earlier answer.
async fn revalidate(server: &Harness, uri: &str, who: &Person, etag: &str) -> Answer {
    server
        .call_from(
            "127.0.0.1:40000".parse().unwrap(),
            Method::GET,
            uri,
            Some(who),
            &[("if-none-match", etag)],
            Body::empty(),
        )
        .await
}

async fn the_team_opens_a_message_by_id_and_pages_answer_if_none_match(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let stranger = server.person("Sam", "Elsewhere").await;
    let id = server.upload_id(&olive, "Plan").await;
    let revoked = server
        .call(
            Method::DELETE,
            &format!("/api/v1/clips/{id}/sharing/link"),
            Some(&olive),
            Body::empty(),
        )
        .await
        .json();
    let team_page = revoked["page_url"].as_str().unwrap().to_owned();
    assert!(
        team_page.ends_with(&format!("/m/{id}")),
        "without a link, the team's page: {team_page}"
    );
    let path = format!("/m/{id}");
    assert_eq!(server.get(&path, &olive).await.status, 200);
    assert_eq!(server.get(&path, &manu).await.status, 200);
    assert_eq!(server.get(&path, &stranger).await.status, 404);
    let signed_out = anonymous(&server, Method::GET, &path, &[], Body::empty()).await;
    assert_eq!(signed_out.status, 404);
    assert!(
        signed_out.text().contains(&format!("/login?next=%2Fm%2F{id}")),
        "signed out, it offers sign-in and the way back"
    );

    // The same page asked again with its ETag: 304, until something on it changes.
    let first = server.get(&path, &manu).await;
    let etag = first.headers["etag"].to_str().unwrap().to_owned();
    assert_eq!(first.headers["cache-control"], "private, no-cache");
    let again = revalidate(&server, &path, &manu, &etag).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    let replied = server
        .post_json(
            &format!("/api/v1/threads/{id}/replies"),
            Some(&olive),
            json!({ "text": "news" }),
        )
        .await;
    assert_eq!(replied.status, 201);
    let changed = revalidate(&server, &path, &manu, &etag).await;
    assert_eq!(changed.status, StatusCode::OK);
    assert_ne!(changed.headers["etag"].to_str().unwrap(), etag);
    assert!(changed.text().contains("news"));
}

on_every_database!(
    outsiders_see_what_the_owner_shows,
    the_team_opens_a_message_by_id_and_pages_answer_if_none_match,
);
