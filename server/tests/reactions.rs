//! Reactions on both databases: one of each emoji per person per message, at a moment of a
//! recording or on a text reply, taken back; validated; the team only; listed in the thread
//! (names to the team, emoji only to people with the link).

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Backend, Harness, Person};

async fn react(server: &Harness, who: Option<&Person>, id: &str, body: Value) -> support::Answer {
    server
        .post_json(&format!("/api/v1/clips/{id}/reactions"), who, body)
        .await
}

async fn take_back(server: &Harness, who: &Person, id: &str, emoji: &str) -> StatusCode {
    let uri = format!(
        "/api/v1/clips/{id}/reactions?emoji={}",
        percent_encoding::utf8_percent_encode(emoji, percent_encoding::NON_ALPHANUMERIC)
    );
    server.call(Method::DELETE, &uri, Some(who), Body::empty()).await.status
}

/// `(emoji, at_ms, display_name)` of each reaction on a thread's message.
fn reactions(message: &Value) -> Vec<(String, Option<i64>, Option<String>)> {
    message["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["emoji"].as_str().unwrap().to_owned(),
                r["at_ms"].as_i64(),
                r["display_name"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

async fn members_react_once_per_emoji_at_moments_and_take_it_back(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let otto = server.person("Otto", "Elsewhere").await;
    let clip = server.upload(&olive, "Roadmap").await;
    let id = clip["id"].as_str().unwrap();

    // At a moment, then again (nothing changes), then another emoji with no moment.
    let first = react(&server, Some(&manu), id, json!({ "emoji": "👍", "at_ms": 1200 })).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    assert_eq!(first.json()["at"], "0:01");
    let again = react(&server, Some(&manu), id, json!({ "emoji": "👍", "at_ms": 2000 })).await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "one of each emoji per person: {}",
        again.text()
    );
    assert_eq!(again.json()["at_ms"], 1200, "the first stands");
    assert_eq!(
        react(&server, Some(&olive), id, json!({ "emoji": "🎉" })).await.status,
        StatusCode::CREATED,
        "its author may react too"
    );
    // Unqualified and qualified hearts are one reaction.
    let heart = react(&server, Some(&manu), id, json!({ "emoji": "\u{2764}" })).await;
    assert_eq!(heart.json()["emoji"], "\u{2764}\u{fe0f}");
    assert_eq!(
        react(&server, Some(&manu), id, json!({ "emoji": "\u{2764}\u{fe0f}" }))
            .await
            .status,
        StatusCode::OK
    );

    // Not one emoji, a moment outside the clip, unknown fields: a 400 that says why.
    for bad in [
        json!({ "emoji": "👍👍" }),
        json!({ "emoji": "ok" }),
        json!({ "emoji": "" }),
        json!({ "emoji": "<b>👍</b>" }),
        json!({ "emoji": "👍", "at_ms": 99_000_000 }),
        json!({ "emoji": "👍", "at_ms": -1 }),
        json!({ "emoji": "👍", "extra": 1 }),
    ] {
        let refused = react(&server, Some(&manu), id, bad.clone()).await;
        assert!(
            refused.status == StatusCode::BAD_REQUEST || refused.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {} {}",
            refused.status,
            refused.text()
        );
        assert!(
            refused.json()["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // Another team's member and nobody at all cannot react.
    assert_eq!(
        react(&server, Some(&otto), id, json!({ "emoji": "👍" })).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        react(&server, None, id, json!({ "emoji": "👍" })).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A text reply takes reactions too, but no moment.
    let reply = server
        .post_json(
            &format!("/api/v1/threads/{id}/replies"),
            Some(&olive),
            json!({ "text": "Thursday it is" }),
        )
        .await
        .json();
    let reply_id = reply["reply_id"].as_str().unwrap();
    assert_eq!(
        react(&server, Some(&manu), reply_id, json!({ "emoji": "✅" }))
            .await
            .status,
        StatusCode::CREATED
    );
    assert_eq!(
        react(&server, Some(&manu), reply_id, json!({ "emoji": "✅", "at_ms": 10 }))
            .await
            .status,
        StatusCode::BAD_REQUEST,
        "a text reply has no moments"
    );

    // The thread lists them, oldest first, with who, on each message.
    let thread = server.get(&format!("/api/v1/threads/{id}"), &olive).await.json();
    assert_eq!(
        reactions(&thread["root"]),
        vec![
            ("👍".to_owned(), Some(1200), Some("Manu".to_owned())),
            ("🎉".to_owned(), None, Some("Olive".to_owned())),
            ("\u{2764}\u{fe0f}".to_owned(), None, Some("Manu".to_owned())),
        ]
    );
    assert_eq!(
        reactions(&thread["root"]["replies"][0]),
        vec![("✅".to_owned(), None, Some("Manu".to_owned()))]
    );

    // People with the link see the emoji, not who chose them.
    let shared = server
        .call(
            Method::PATCH,
            &format!("/api/v1/clips/{id}/sharing"),
            Some(&olive),
            Body::from(json!({ "visibility": "link" }).to_string()),
        )
        .await;
    assert_eq!(shared.status, StatusCode::OK, "{}", shared.text());
    let token = shared.json()["sharing"]["token"].as_str().unwrap().to_owned();
    let outside = server
        .call(
            Method::GET,
            &format!("/api/v1/threads/{id}?share={token}"),
            None,
            Body::empty(),
        )
        .await
        .json();
    assert_eq!(
        reactions(&outside["root"]),
        vec![
            ("👍".to_owned(), Some(1200), None),
            ("🎉".to_owned(), None, None),
            ("\u{2764}\u{fe0f}".to_owned(), None, None)
        ]
    );
    assert!(outside["root"]["reactions"][0]["user_id"].is_null());
    assert_eq!(
        server
            .post_json(
                &format!("/api/v1/clips/{id}/reactions?share={token}"),
                None,
                json!({ "emoji": "👍" })
            )
            .await
            .status,
        StatusCode::UNAUTHORIZED,
        "a reaction has a name behind it: the link does not react"
    );

    // Taken back: by query or by body; only one's own; twice is a 404.
    assert_eq!(take_back(&server, &manu, id, "👍").await, StatusCode::NO_CONTENT);
    assert_eq!(take_back(&server, &manu, id, "👍").await, StatusCode::NOT_FOUND);
    assert_eq!(
        take_back(&server, &manu, id, "🎉").await,
        StatusCode::NOT_FOUND,
        "Olive's is hers"
    );
    let by_body = server
        .call(
            Method::DELETE,
            &format!("/api/v1/clips/{id}/reactions"),
            Some(&manu),
            Body::from(json!({ "emoji": "❤️" }).to_string()),
        )
        .await;
    assert_eq!(by_body.status, StatusCode::NO_CONTENT, "{}", by_body.text());
    let thread = server.get(&format!("/api/v1/threads/{id}"), &manu).await.json();
    assert_eq!(
        reactions(&thread["root"]),
        vec![("🎉".to_owned(), None, Some("Olive".to_owned()))]
    );
    // And again: a reaction taken back can be given again.
    assert_eq!(
        react(&server, Some(&manu), id, json!({ "emoji": "👍", "at_ms": 3000 }))
            .await
            .status,
        StatusCode::CREATED
    );
}

on_every_database!(members_react_once_per_emoji_at_moments_and_take_it_back);
