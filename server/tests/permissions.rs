//! The whole access matrix against the router in process: five kinds of people × four states
//! of a clip's link × seven things to do, each cell's status and, where the clip must stay
//! invisible, the same 404 as for a clip that never existed.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::Method;
use serde_json::{Value, json};
use support::{Backend, Harness, Person};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Actor {
    Owner,
    Member,
    OtherWorkspace,
    GuestWithLink,
    AnonymousWithoutLink,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkState {
    Workspace,
    Link,
    Expired,
    Revoked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Act {
    View,
    PlayMedia,
    ReadTranscript,
    Reply,
    ChangeVisibility,
    Rename,
    ReadSummary,
    EditSummary,
    Delete,
}

const ACTORS: [Actor; 5] = [
    Actor::Owner,
    Actor::Member,
    Actor::OtherWorkspace,
    Actor::GuestWithLink,
    Actor::AnonymousWithoutLink,
];
const ACTS: [Act; 9] = [
    Act::View,
    Act::PlayMedia,
    Act::ReadTranscript,
    Act::Reply,
    Act::ChangeVisibility,
    Act::Rename,
    Act::ReadSummary,
    Act::EditSummary,
    Act::Delete,
];

/// What each cell must answer: 2xx allowed, 403 visible but not yours to do, 404 invisible,
/// and 401 (sign in) to whoever comes with neither a sign-in nor a link.
fn expected(actor: Actor, state: LinkState, act: Act) -> u16 {
    if actor == Actor::AnonymousWithoutLink {
        return 401;
    }
    let allowed = match actor {
        Actor::Owner => true,
        Actor::Member => !matches!(
            act,
            Act::Delete | Act::ChangeVisibility | Act::Rename | Act::EditSummary
        ),
        Actor::GuestWithLink => {
            state == LinkState::Link
                && !matches!(
                    act,
                    Act::Delete | Act::ChangeVisibility | Act::Rename | Act::EditSummary
                )
        }
        Actor::OtherWorkspace | Actor::AnonymousWithoutLink => false,
    };
    let visible = match actor {
        Actor::Owner | Actor::Member => true,
        Actor::GuestWithLink => state == LinkState::Link,
        Actor::OtherWorkspace | Actor::AnonymousWithoutLink => false,
    };
    match (allowed, visible, act) {
        (true, _, Act::Delete) => 204,
        (true, _, Act::Reply) => 201,
        (true, ..) => 200,
        (false, true, _) => 403,
        (false, false, _) => 404,
    }
}

struct People {
    owner: Person,
    member: Person,
    other: Person,
}

/// A fresh clip in `state` (the owner's delete ends each), with guests allowed to reply so
/// that only the link's state decides; its id and link token.
async fn clip_in(server: &Harness, owner: &Person, state: LinkState) -> (String, String) {
    let clip = server.upload(owner, "matrix").await;
    let id = clip["id"].as_str().unwrap().to_owned();
    let token = clip["sharing"]["token"].as_str().unwrap().to_owned();
    let sharing = format!("/api/v1/clips/{id}/sharing");
    let setup = match state {
        LinkState::Workspace => json!({ "visibility": "workspace", "guests_may_reply": true }),
        LinkState::Link | LinkState::Revoked => json!({ "visibility": "link", "guests_may_reply": true }),
        LinkState::Expired => {
            json!({ "visibility": "link", "guests_may_reply": true, "expires_at": "2020-01-01T00:00:00Z" })
        }
    };
    let changed = server.call(Method::PATCH, &sharing, Some(owner), body(&setup)).await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    if state == LinkState::Revoked {
        let revoked = server
            .call(Method::DELETE, &format!("{sharing}/link"), Some(owner), Body::empty())
            .await;
        assert_eq!(revoked.status, 200);
    }
    (id, token)
}

fn body(value: &Value) -> Body {
    Body::from(value.to_string())
}

async fn the_permission_matrix_holds_in_every_cell(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let people = People {
        owner: server.person("Olive", "Team").await,
        member: server.person("Manu", "Team").await,
        other: server.person("Otto", "Elsewhere").await,
    };
    let mut cells = 0;
    for state in [
        LinkState::Workspace,
        LinkState::Link,
        LinkState::Expired,
        LinkState::Revoked,
    ] {
        let (id, token) = clip_in(&server, &people.owner, state).await;
        for act in ACTS {
            // Delete goes last, the owner's very last.
            let mut order = ACTORS.to_vec();
            if act == Act::Delete {
                order.rotate_left(1);
            }
            for actor in order {
                let (who, query) = match actor {
                    Actor::Owner => (Some(&people.owner), String::new()),
                    Actor::Member => (Some(&people.member), String::new()),
                    Actor::OtherWorkspace => (Some(&people.other), String::new()),
                    Actor::GuestWithLink => (None, format!("?share={token}")),
                    Actor::AnonymousWithoutLink => (None, String::new()),
                };
                let clip = format!("/api/v1/clips/{id}");
                let (method, uri, payload) = match act {
                    Act::View => (Method::GET, format!("{clip}{query}"), Body::empty()),
                    Act::PlayMedia => (Method::GET, format!("{clip}/media{query}"), Body::empty()),
                    Act::ReadTranscript => (Method::GET, format!("{clip}/transcript{query}"), Body::empty()),
                    Act::Reply => (
                        Method::POST,
                        format!("/api/v1/threads/{id}/replies{query}"),
                        body(&json!({ "text": "sounds good", "guest_name": "Gus" })),
                    ),
                    Act::ChangeVisibility => (
                        Method::PATCH,
                        format!("{clip}/sharing{query}"),
                        body(&json!({ "guests_may_reply": true })),
                    ),
                    Act::Rename => (
                        Method::PATCH,
                        format!("{clip}{query}"),
                        body(&json!({ "title": "Renamed in the matrix" })),
                    ),
                    Act::ReadSummary => (Method::GET, format!("{clip}/summary{query}"), Body::empty()),
                    Act::EditSummary => (
                        Method::PATCH,
                        format!("{clip}/summary{query}"),
                        body(&json!({ "summary": "Written in the matrix." })),
                    ),
                    Act::Delete => (Method::DELETE, format!("{clip}{query}"), Body::empty()),
                };
                let answer = server.call(method, &uri, who, payload).await;
                let want = expected(actor, state, act);
                let cell = format!("{actor:?} × {state:?} × {act:?}");
                assert_eq!(answer.status.as_u16(), want, "{cell}: {}", answer.text());
                if want == 404 {
                    assert_eq!(answer.json()["error"]["message"], "no such clip", "{cell}");
                }
                cells += 1;
            }
        }
    }
    assert_eq!(cells, 5 * 4 * 9);
}

/// Who may do what with a check-in (`policy::allows_checkin`): made by Olive, a member, for
/// herself and Manu.
async fn the_checkin_matrix_holds_in_every_cell(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let ada = server.admin("Ada", "Team").await;
    let (olive, manu) = server.olive_and_manu().await;
    let tess = server.person("Tess", "Team").await;
    let otto = server.admin("Otto", "Elsewhere").await;
    let standup = |members: Option<Vec<&str>>| {
        let mut body =
            json!({ "title": "Stand-up", "questions": ["How is it going?"], "days": ["mon"], "ask_at": "start" });
        if let Some(members) = members {
            body["members"] = json!(members);
        }
        body
    };
    // Making one: an admin for anyone; a member for themselves and whom they name; nobody
    // signed out.
    let made = |who: Option<&Person>, body: Value| {
        let (server, who) = (&server, who.cloned());
        async move {
            server
                .post_json("/api/v1/checkins", who.as_ref(), body)
                .await
                .status
                .as_u16()
        }
    };
    assert_eq!(made(Some(&ada), standup(None)).await, 201);
    assert_eq!(made(Some(&olive), standup(None)).await, 403);
    assert_eq!(made(Some(&olive), standup(Some(vec![&manu.user.id]))).await, 403);
    assert_eq!(made(None, standup(None)).await, 401);
    let theirs = server
        .post_json(
            "/api/v1/checkins",
            Some(&olive),
            standup(Some(vec![&olive.user.id, &manu.user.id])),
        )
        .await;
    assert_eq!(theirs.status.as_u16(), 201, "{}", theirs.text());
    let id = theirs.json()["id"].as_str().unwrap().to_owned();

    let actors: [(&str, Option<&Person>); 6] = [
        ("admin", Some(&ada)),
        ("maker", Some(&olive)),
        ("named", Some(&manu)),
        ("member", Some(&tess)),
        ("other workspace", Some(&otto)),
        ("signed out", None),
    ];
    let checkin = format!("/api/v1/checkins/{id}");
    let acts = [
        ("view", Method::GET, checkin.clone(), Body::empty()),
        ("rounds", Method::GET, format!("{checkin}/rounds"), Body::empty()),
        (
            "change",
            Method::PATCH,
            checkin.clone(),
            body(&json!({ "title": "Renamed" })),
        ),
        ("pause", Method::POST, format!("{checkin}/pause"), Body::empty()),
    ];
    let mut cells = 0;
    for (act, method, uri, payload) in acts {
        let payload = axum::body::to_bytes(payload, 1 << 16).await.unwrap();
        for (actor, who) in actors {
            let want = match (actor, act) {
                ("signed out", _) => 401,
                ("other workspace", _) => 404,
                (_, "view" | "rounds") => 200,
                ("admin" | "maker", _) => 200,
                _ => 403,
            };
            let answer = server
                .call(method.clone(), &uri, who, Body::from(payload.clone()))
                .await;
            assert_eq!(answer.status.as_u16(), want, "{actor} × {act}: {}", answer.text());
            cells += 1;
        }
    }
    for (actor, who) in [("named", &manu), ("member", &tess), ("other workspace", &otto)] {
        let answer = server.call(Method::DELETE, &checkin, Some(who), Body::empty()).await;
        let want = if actor == "other workspace" { 404 } else { 403 };
        assert_eq!(answer.status.as_u16(), want, "{actor} × delete");
    }
    assert_eq!(
        server
            .call(Method::DELETE, &checkin, Some(&olive), Body::empty())
            .await
            .status
            .as_u16(),
        204
    );
    assert_eq!(cells, 24);
}

on_every_database!(
    the_permission_matrix_holds_in_every_cell,
    the_checkin_matrix_holds_in_every_cell,
);
