//! What an attacker's probe of the server found, each held by a test that failed before its
//! fix: a deleted clip's upload session coming back, reply links and team details reaching
//! guests, the full page framed by any site, sign-in posted from other sites, search text that
//! broke the database, axum's plain-text rejections, and objects left by a crash mid-store.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use support::{Answer, Backend, CLIP, Harness, PASSWORD};

/// A request with no credentials but these headers.
async fn anonymous(server: &Harness, method: Method, uri: &str, headers: &[(&str, &str)], body: Body) -> Answer {
    server
        .call_from("127.0.0.1:40000".parse().unwrap(), method, uri, None, headers, body)
        .await
}

async fn a_deleted_clip_takes_its_upload_session_and_link_with_it(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, _) = server.olive_and_manu().await;
    let created = server
        .tus(
            Method::POST,
            "/api/v1/uploads",
            &olive,
            &[("upload-length", &CLIP.len().to_string())],
            b"",
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text());
    let location = created.headers["location"].to_str().unwrap();
    let path = format!("/api/{}", location.split_once("/api/").unwrap().1);
    let page = created.headers["offbeat-page-url"].to_str().unwrap().to_owned();
    let page_path = format!("/c/{}", page.rsplit_once("/c/").unwrap().1);
    let sent = server
        .tus(
            Method::PATCH,
            &path,
            &olive,
            &[
                ("content-type", "application/offset+octet-stream"),
                ("upload-offset", "0"),
            ],
            CLIP,
        )
        .await;
    assert_eq!(sent.status, 204, "{}", sent.text());
    let clip = sent.headers["offbeat-clip-id"].to_str().unwrap().to_owned();

    let deleted = server
        .call(
            Method::DELETE,
            &format!("/api/v1/clips/{clip}"),
            Some(&olive),
            Body::empty(),
        )
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    let head = server.tus(Method::HEAD, &path, &olive, &[], b"").await;
    assert_eq!(head.status, StatusCode::NOT_FOUND, "the session is gone with its clip");
    let patch = server
        .tus(
            Method::PATCH,
            &path,
            &olive,
            &[
                ("content-type", "application/offset+octet-stream"),
                ("upload-offset", "0"),
            ],
            CLIP,
        )
        .await;
    assert_eq!(patch.status, StatusCode::NOT_FOUND, "{}", patch.text());
    let link = anonymous(&server, Method::GET, &page_path, &[], Body::empty()).await;
    assert_eq!(
        link.status,
        StatusCode::NOT_FOUND,
        "the revoked link does not say recording…"
    );
    assert!(!link.text().contains("ecording"), "{}", link.text());
}

async fn guests_get_no_reply_links_and_no_team_details(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let root = server.upload(&olive, "Plan").await;
    let root_id = root["id"].as_str().unwrap().to_owned();
    let token = root["sharing"]["token"].as_str().unwrap().to_owned();
    let shared = server
        .call(
            Method::PATCH,
            &format!("/api/v1/clips/{root_id}/sharing"),
            Some(&olive),
            // The whole thread, so that the team's replies reach guests at all.
            Body::from(
                json!({ "visibility": "link", "guests_may_reply": true, "outsiders_see": "thread" }).to_string(),
            ),
        )
        .await;
    assert_eq!(shared.status, 200, "{}", shared.text());
    let answer = server.upload(&manu, "").await;
    let answer_id = answer["id"].as_str().unwrap().to_owned();
    let answer_token = answer["sharing"]["token"].as_str().unwrap().to_owned();
    let replied = server
        .post_json(
            &format!("/api/v1/threads/{root_id}/replies"),
            Some(&manu),
            json!({ "clip_id": answer_id }),
        )
        .await;
    assert_eq!(replied.status, 201, "{}", replied.text());
    // Manu hears Olive's message: a receipt the team sees.
    let heard = server
        .call(
            Method::POST,
            &format!("/api/v1/clips/{root_id}/seen"),
            Some(&manu),
            Body::empty(),
        )
        .await;
    assert!(heard.status.is_success(), "{}", heard.text());

    // The team sees ids, zones and receipts.
    let team_view = server.get(&format!("/api/v1/threads/{root_id}"), &olive).await.text();
    assert!(
        team_view.contains(&manu.user.id) && team_view.contains("Europe/Berlin"),
        "{team_view}"
    );

    // A guest with the link sees names, the reply and its media — through the root's link only.
    let guest_view = anonymous(
        &server,
        Method::GET,
        &format!("/api/v1/threads/{root_id}?share={token}"),
        &[],
        Body::empty(),
    )
    .await;
    assert_eq!(guest_view.status, 200, "{}", guest_view.text());
    let text = guest_view.text();
    assert!(text.contains("Manu"), "names are shown: {text}");
    for secret in [
        answer_token.as_str(),
        manu.user.id.as_str(),
        olive.user.id.as_str(),
        "Europe/Berlin",
    ] {
        assert!(!text.contains(secret), "the guest's thread shows {secret}: {text}");
    }
    let thread: Value = guest_view.json();
    assert_eq!(thread["root"]["seen_by"], json!([]), "no receipts for guests");
    let page = anonymous(&server, Method::GET, &format!("/c/{token}"), &[], Body::empty()).await;
    assert_eq!(page.status, 200);
    // The voice reply's length is on the page before anyone plays it.
    let length = db::domain::clock(answer["duration_ms"].as_i64().unwrap());
    assert!(
        page.text()
            .contains(&format!("class=\"duration\" aria-label=\"Length\">{length}<")),
        "{length}"
    );
    for secret in [answer_token.as_str(), "Europe/Berlin"] {
        assert!(!page.text().contains(secret), "the guest's page shows {secret}");
    }
    let media = format!("/api/v1/clips/{answer_id}/media?share={token}");
    assert_eq!(
        anonymous(&server, Method::GET, &media, &[], Body::empty()).await.status,
        200
    );

    // The root's link revoked: the reply is out of the guest's reach too.
    let revoked = server
        .call(
            Method::DELETE,
            &format!("/api/v1/clips/{root_id}/sharing/link"),
            Some(&olive),
            Body::empty(),
        )
        .await;
    assert_eq!(revoked.status, 200);
    assert_eq!(
        anonymous(&server, Method::GET, &media, &[], Body::empty()).await.status,
        404
    );
}

async fn only_the_bare_player_may_be_framed(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, _) = server.olive_and_manu().await;
    let clip = server.upload(&olive, "Embeddable").await;
    let id = clip["id"].as_str().unwrap();
    let token = clip["sharing"]["token"].as_str().unwrap();
    let shared = server
        .call(
            Method::PATCH,
            &format!("/api/v1/clips/{id}/sharing"),
            Some(&olive),
            Body::from(json!({ "visibility": "link" }).to_string()),
        )
        .await;
    assert_eq!(shared.status, 200);
    let csp = |answer: &Answer| answer.headers["content-security-policy"].to_str().unwrap().to_owned();
    let player = anonymous(&server, Method::GET, &format!("/c/{token}?embed=1"), &[], Body::empty()).await;
    assert_eq!(player.status, 200);
    assert!(csp(&player).contains("frame-ancestors *"), "{}", csp(&player));
    for query in ["?embed=10", "?noembed=1", "?x=embed=1", "?embed=1x", "?embed=yes", ""] {
        let page = anonymous(&server, Method::GET, &format!("/c/{token}{query}"), &[], Body::empty()).await;
        assert_eq!(page.status, 200, "{query}: {}", page.text());
        assert!(csp(&page).contains("frame-ancestors 'none'"), "{query}: {}", csp(&page));
    }
    let elsewhere = anonymous(&server, Method::GET, "/login?embed=1", &[], Body::empty()).await;
    assert!(csp(&elsewhere).contains("frame-ancestors 'none'"));
}

async fn sign_in_forms_from_other_sites_are_refused(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    server.person("Ana", "Team").await;
    let form = format!("email=ana%40example.com&password={}", PASSWORD.replace(' ', "+"));
    let post = |headers: Vec<(&'static str, &'static str)>| {
        let form = form.clone();
        let server = &server;
        async move {
            let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
            all.extend(headers);
            anonymous(server, Method::POST, "/login", &all, Body::from(form)).await
        }
    };
    for refused in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example")],
    ] {
        let answer = post(refused.clone()).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{refused:?}: {}", answer.text());
        assert!(answer.headers.get("set-cookie").is_none(), "{refused:?} signed in");
    }
    let ours = post(vec![("sec-fetch-site", "same-origin")]).await;
    assert_eq!(ours.status, StatusCode::SEE_OTHER, "{}", ours.text());
    assert!(ours.headers.get("set-cookie").is_some());
}

/// From the second probe: a sign-in's `next` with a tab (which browsers drop, leaving
/// `//evil.example`) goes home; an upload names its signed-in uploader, whatever `author=` says;
/// a dashboard cursor edited by hand is a 400, not a 500.
async fn sign_in_stays_here_uploads_name_their_uploader_and_cursors_are_checked(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let form = format!(
        "email=olive%40example.com&password={}&next=%2F%09%2Fevil.example",
        PASSWORD.replace(' ', "+")
    );
    let signed_in = anonymous(
        &server,
        Method::POST,
        "/login",
        &[
            ("content-type", "application/x-www-form-urlencoded"),
            ("sec-fetch-site", "same-origin"),
        ],
        Body::from(form),
    )
    .await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER, "{}", signed_in.text());
    assert_eq!(signed_in.headers["location"], "/", "not to evil.example");
    let page = anonymous(
        &server,
        Method::GET,
        "/login?next=%2F%09%2Fevil.example",
        &[],
        Body::empty(),
    )
    .await;
    assert!(
        !page.text().contains("evil.example"),
        "the form does not carry it either"
    );

    let posted = server
        .call(
            Method::POST,
            "/api/v1/clips?title=Plan&author=Olive",
            Some(&manu),
            Body::from(CLIP),
        )
        .await;
    assert_eq!(posted.status, StatusCode::CREATED, "{}", posted.text());
    assert_eq!(posted.json()["author"], "Manu", "nobody posts under another's name");
    let _ = olive;

    let cookie = server.session("manu@example.com").await;
    let edited = server
        .call_from(
            "127.0.0.1:40000".parse().unwrap(),
            Method::GET,
            "/?after=garbage",
            None,
            &[("cookie", &cookie)],
            Body::empty(),
        )
        .await;
    assert_eq!(edited.status, StatusCode::BAD_REQUEST, "{}", edited.text());
}

async fn search_text_never_breaks_the_database(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, _) = server.olive_and_manu().await;
    server.upload(&olive, "abc budget").await;
    let found = server.get("/api/v1/search?q=abc%00", &olive).await;
    assert_eq!(found.status, 200, "{}", found.text());
    assert_eq!(found.json()["results"].as_array().unwrap().len(), 1, "{}", found.text());
    for hostile in ["%00", "%00%00abc%01", "%E2%80%8B%00"] {
        let answer = server.get(&format!("/api/v1/search?q={hostile}"), &olive).await;
        assert_eq!(answer.status, 200, "{hostile}: {}", answer.text());
    }
    let long = "a".repeat(1001);
    let api = server.get(&format!("/api/v1/search?q={long}"), &olive).await;
    assert_eq!(api.status, 400);

    // The dashboard says so on the page (with a browser's session).
    let cookie = server.session("olive@example.com").await;
    for q in [long.as_str(), "abc%00"] {
        let page = anonymous(
            &server,
            Method::GET,
            &format!("/?q={q}"),
            &[("cookie", &cookie)],
            Body::empty(),
        )
        .await;
        assert_eq!(page.status, 200, "{}", &page.text()[..page.text().len().min(300)]);
    }
    let page = anonymous(
        &server,
        Method::GET,
        &format!("/?q={long}"),
        &[("cookie", &cookie)],
        Body::empty(),
    )
    .await;
    assert!(page.text().contains("longer than 1000 bytes"));
}

async fn bodies_and_queries_the_api_cannot_read_answer_in_its_json_shape(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let ada = server.admin("Ada", "Team").await;
    let call = |method: Method, uri: &'static str, content_type: &'static str, body: &'static str| {
        let server = &server;
        let ada = ada.clone();
        async move {
            server
                .call_from(
                    "127.0.0.1:40000".parse().unwrap(),
                    method,
                    uri,
                    Some(&ada),
                    &[("content-type", content_type)],
                    Body::from(body),
                )
                .await
        }
    };
    for (answer, status, code) in [
        (
            call(Method::POST, "/api/v1/webhooks", "application/json", "{").await,
            400,
            "bad_request",
        ),
        (
            call(Method::POST, "/api/v1/webhooks", "application/json", "{}").await,
            422,
            "unprocessable",
        ),
        (
            call(Method::POST, "/api/v1/webhooks", "text/plain", "{}").await,
            415,
            "unsupported_media",
        ),
        (
            call(Method::PATCH, "/api/v1/me", "application/json", "[1, 2]").await,
            422,
            "unprocessable",
        ),
        (
            call(Method::GET, "/api/v1/clips?limit=many", "application/json", "").await,
            400,
            "bad_request",
        ),
        (
            call(Method::GET, "/api/v1/search?q=a&limit=lots", "application/json", "").await,
            400,
            "bad_request",
        ),
    ] {
        assert_eq!(answer.status.as_u16(), status, "{}", answer.text());
        assert_eq!(answer.headers["content-type"], "application/json");
        let error = answer.json();
        assert_eq!(error["error"]["code"], json!(code), "{error}");
        assert!(!error["error"]["message"].as_str().unwrap().is_empty());
    }
}

async fn objects_a_dead_process_stored_without_a_row_are_swept(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, _) = server.olive_and_manu().await;
    let kept = server.upload_id(&olive, "kept").await;
    let storage = &server.state.storage;
    let clips = server.state.db.clips();
    // A process that died after storing one clip's media and before its row; another that
    // died after the row (only its note is left); and this process, storing right now.
    let stray = "clips/0123456789abcdef0123456789abcdef.webm";
    storage
        .put_bytes(stray, b"half a clip".to_vec(), "audio/webm")
        .await
        .unwrap();
    clips
        .storing("0123456789abcdef0123456789abcdef", &[stray], "dead-process")
        .await
        .unwrap();
    let kept_key = clips.get(&kept).await.unwrap().unwrap().storage_key;
    clips.storing(&kept, &[&kept_key], "dead-process").await.unwrap();
    let busy = "clips/fedcba9876543210fedcba9876543210.webm";
    storage
        .put_bytes(busy, b"arriving".to_vec(), "audio/webm")
        .await
        .unwrap();
    clips
        .storing("fedcba9876543210fedcba9876543210", &[busy], &server.state.process.id)
        .await
        .unwrap();

    assert_eq!(
        server::pipeline::ingest::sweep_stray_objects(&server.state)
            .await
            .unwrap(),
        1
    );
    assert!(storage.get(stray, None).await.is_err(), "the stray object is gone");
    assert!(storage.get(&kept_key, None).await.is_ok(), "a clip's own media stays");
    assert!(
        storage.get(busy, None).await.is_ok(),
        "what a live process stores is its own"
    );
    let left: Vec<String> = clips
        .being_stored()
        .await
        .unwrap()
        .into_iter()
        .map(|note| note.clip_id)
        .collect();
    assert_eq!(left, ["fedcba9876543210fedcba9876543210"]);
    let media = server.get(&format!("/api/v1/clips/{kept}/media"), &olive).await;
    assert_eq!(media.status, 200);
}

on_every_database!(
    sign_in_stays_here_uploads_name_their_uploader_and_cursors_are_checked,
    a_deleted_clip_takes_its_upload_session_and_link_with_it,
    guests_get_no_reply_links_and_no_team_details,
    only_the_bare_player_may_be_framed,
    sign_in_forms_from_other_sites_are_refused,
    search_text_never_breaks_the_database,
    bodies_and_queries_the_api_cannot_read_answer_in_its_json_shape,
    objects_a_dead_process_stored_without_a_row_are_swept,
);
