//! A team getting in by itself, against the router in process on both databases: the first
//! run's setup link, invitations and their refusals, members' roles and removal, profiles and
//! passwords, renaming messages and deleting one's own text replies.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use axum::body::Body;
use axum::http::{Method, StatusCode};
use db::invites::InviteRow;
use serde_json::{Value, json};
use support::{Answer, Backend, Harness, PASSWORD, Person};

/// A form POST from this server's own pages.
async fn post_form(server: &Harness, uri: &str, fields: &[(&str, &str)]) -> Answer {
    let body: String = fields
        .iter()
        .map(|(k, v)| {
            format!(
                "{k}={}",
                percent_encoding::utf8_percent_encode(v, percent_encoding::NON_ALPHANUMERIC)
            )
        })
        .collect::<Vec<_>>()
        .join("&");
    post_form_with(server, uri, &[], body).await
}

/// A form POST carrying `headers` besides its content type.
async fn post_form_with(server: &Harness, uri: &str, headers: &[(&str, &str)], body: String) -> Answer {
    let mut all = vec![("content-type", "application/x-www-form-urlencoded")];
    all.extend_from_slice(headers);
    server
        .call_from(
            "127.0.0.1:40000".parse().unwrap(),
            Method::POST,
            uri,
            None,
            &all,
            Body::from(body),
        )
        .await
}

/// A page opened by someone not signed in.
async fn anonymous_get(server: &Harness, uri: &str) -> Answer {
    server.call(Method::GET, uri, None, Body::empty()).await
}

fn token_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap()
}

/// A person signed in with a bearer token taken from a sign-in.
async fn signed_in(server: &Harness, email: &str, password: &str) -> Answer {
    server
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({ "email": email, "password": password, "kind": "api" }),
        )
        .await
}

fn as_person(answer: &Answer) -> Person {
    let json = answer.json();
    Person {
        user: db::domain::User {
            id: json["user"]["id"].as_str().unwrap().to_owned(),
            workspace_id: json["user"]["workspace_id"].as_str().unwrap().to_owned(),
            email: json["user"]["email"].as_str().unwrap().to_owned(),
            display_name: json["user"]["display_name"].as_str().unwrap().to_owned(),
            time_zone: json["user"]["time_zone"].as_str().unwrap().to_owned(),
            is_admin: json["user"]["is_admin"].as_bool().unwrap(),
            working_hours: Default::default(),
            email_notifications: db::domain::EmailChoice::WorkingHours,
            away_until: None,
        },
        token: json["token"].as_str().unwrap().to_owned(),
    }
}

async fn the_setup_link_makes_the_first_admin_once(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let link = server::services::invites::setup_link(&server.state)
        .await
        .unwrap()
        .unwrap();
    assert!(link.contains("/setup/"));
    let token = token_of(&link).to_owned();
    assert!(token.len() >= 32, "at least 128 random bits");
    let page = anonymous_get(&server, &format!("/setup/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Set up Offbeat"));

    // A form from another site is refused, whether the browser says so in Origin or in
    // Sec-Fetch-Site (our own pages send Origin as "null": they set no-referrer).
    let origin: &[(&str, &str)] = &[("origin", "https://evil.example")];
    let fetch_site: &[(&str, &str)] = &[("origin", "null"), ("sec-fetch-site", "cross-site")];
    for headers in [origin, fetch_site] {
        let forged = post_form_with(&server, &format!("/setup/{token}"), headers, "workspace=Evil".into()).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
    }

    // A bad time zone is said plainly, and nothing is made.
    let fields = |zone: &'static str| {
        vec![
            ("workspace", "Acme"),
            ("name", "Ada Admin"),
            ("email", "Ada@Example.com"),
            ("password", PASSWORD),
            ("time_zone", zone),
            ("day_mon", "on"),
            ("start_mon", "08:30"),
            ("end_mon", "16:30"),
        ]
    };
    let refused = post_form(&server, &format!("/setup/{token}"), &fields("Mars/Olympus")).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.text().contains("is not a time zone"), "{}", refused.text());

    let made = post_form(&server, &format!("/setup/{token}"), &fields("Europe/Berlin")).await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.text());
    assert!(made.headers.get("set-cookie").is_some(), "the first admin is signed in");
    let admin = as_person(&signed_in(&server, "ada@example.com", PASSWORD).await);
    assert!(admin.user.is_admin);
    let me = server.get("/api/v1/me", &admin).await.json();
    assert_eq!(me["working_hours"], json!({ "mon": ["08:30", "16:30"] }));

    // Afterwards the link (and any other) leads nowhere, and no new one is made.
    let again = anonymous_get(&server, &format!("/setup/{token}")).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    let twice = post_form(&server, &format!("/setup/{token}"), &fields("Europe/Berlin")).await;
    assert_eq!(twice.status, StatusCode::NOT_FOUND);
    assert!(
        server::services::invites::setup_link(&server.state)
            .await
            .unwrap()
            .is_none()
    );
}

async fn invitations_admit_whom_they_name_while_they_are_open(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let admin = server.admin("Ada", "Team").await;
    let member = server.person("Manu", "Team").await;

    // Only admins invite.
    let refused = server.post_json("/api/v1/invites", Some(&member), json!({})).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert!(refused.json()["error"]["message"].as_str().unwrap().contains("admins"));

    let made = server
        .post_json("/api/v1/invites", Some(&admin), json!({ "email": "Nia@Example.com" }))
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let invite = made.json();
    assert_eq!(invite["max_uses"], 1, "an invitation for one address admits one person");
    assert_eq!(invite["state"], "open");
    let token = token_of(invite["url"].as_str().unwrap()).to_owned();

    let page = anonymous_get(&server, &format!("/join/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("Join Team"));

    let accept = |email: &str, name: &str| {
        json!({
            "token": token, "name": name, "email": email, "password": PASSWORD,
            "time_zone": "Asia/Manila", "working_hours": { "mon": ["14:00", "22:00"] }
        })
    };
    // Another address is refused.
    let other = server
        .post_json("/api/v1/invites/accept", None, accept("someone@example.com", "Sam"))
        .await;
    assert_eq!(other.status, StatusCode::BAD_REQUEST);
    assert!(other.text().contains("another email address"));

    let joined = server
        .post_json("/api/v1/invites/accept", None, accept("nia@example.com", "Nia"))
        .await;
    assert_eq!(joined.status, StatusCode::CREATED, "{}", joined.text());
    assert!(joined.headers.get("set-cookie").is_some(), "the newcomer is signed in");
    assert_eq!(joined.json()["user"]["time_zone"], "Asia/Manila");
    assert_eq!(joined.json()["user"]["workspace_id"], json!(admin.user.workspace_id));

    // Used up: the page and the API say so.
    let used = server
        .post_json("/api/v1/invites/accept", None, accept("nia@example.com", "Nia"))
        .await;
    assert_eq!(used.status, StatusCode::GONE);
    assert!(used.text().contains("used up"));
    let page = anonymous_get(&server, &format!("/join/{token}")).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.text().contains("Invitation used up"));

    // Withdrawn.
    let open = server
        .post_json("/api/v1/invites", Some(&admin), json!({}))
        .await
        .json();
    let open_token = token_of(open["url"].as_str().unwrap()).to_owned();
    let id = open["id"].as_str().unwrap();
    assert_eq!(
        server
            .call(
                Method::DELETE,
                &format!("/api/v1/invites/{id}"),
                Some(&member),
                Body::empty()
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        server
            .call(
                Method::DELETE,
                &format!("/api/v1/invites/{id}"),
                Some(&admin),
                Body::empty()
            )
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    let withdrawn = server
        .post_json(
            "/api/v1/invites/accept",
            None,
            json!({ "token": open_token, "name": "Late", "email": "late@example.com",
                    "password": PASSWORD, "time_zone": "UTC" }),
        )
        .await;
    assert_eq!(withdrawn.status, StatusCode::GONE);
    assert!(withdrawn.text().contains("withdrawn"));

    // Expired.
    let expired_token = "0f".repeat(32);
    let now = chrono::Utc::now();
    let row = InviteRow {
        id: db::ids::new_id().unwrap(),
        workspace_id: admin.user.workspace_id.clone(),
        email: None,
        created_by: admin.user.id.clone(),
        created_at: (now - chrono::Duration::days(10)).into(),
        expires_at: Some((now - chrono::Duration::days(3)).into()),
        max_uses: None,
        uses: 0,
        revoked_at: None,
    };
    server
        .state
        .db
        .invites()
        .insert(&row, &server::auth::secrets::token_hash(&expired_token))
        .await
        .unwrap();
    let page = anonymous_get(&server, &format!("/join/{expired_token}")).await;
    assert_eq!(page.status, StatusCode::GONE);
    assert!(page.text().contains("expired"));
    let unknown = server
        .call(Method::GET, &format!("/join/{}", "ab".repeat(32)), None, Body::empty())
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);

    // The admin sees them all, with their states; a member does not.
    let listed = server.get("/api/v1/invites", &admin).await.json();
    let states: Vec<&str> = listed["invites"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["state"].as_str().unwrap())
        .collect();
    assert!(states.contains(&"used_up") && states.contains(&"revoked") && states.contains(&"expired"));
    assert_eq!(
        server.get("/api/v1/invites", &member).await.status,
        StatusCode::FORBIDDEN
    );
}

/// JSON Schema counts `2.0` as the integer 2, and generated clients send it so (#28): it is
/// taken as 2, while `2.5` is refused as no whole number.
async fn whole_numbers_may_be_written_with_a_point_zero(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let admin = server.admin("Ada", "Team").await;
    let invite = server
        .post_json(
            "/api/v1/invites",
            Some(&admin),
            json!({ "max_uses": 2.0, "expires_in_days": 3.0 }),
        )
        .await;
    assert_eq!(invite.status, StatusCode::CREATED, "{:?}", invite.text());
    assert_eq!(invite.json()["max_uses"], 2);
    let refused = server
        .post_json("/api/v1/invites", Some(&admin), json!({ "max_uses": 2.5 }))
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{:?}", refused.text());
    assert!(refused.text().contains("not a whole number"), "{:?}", refused.text());
}

async fn an_invitation_with_one_use_left_admits_one_of_two_racing(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let admin = server.admin("Ada", "Team").await;
    let invite = server
        .post_json("/api/v1/invites", Some(&admin), json!({ "max_uses": 1 }))
        .await
        .json();
    let token = token_of(invite["url"].as_str().unwrap()).to_owned();
    let join = |n: u32| {
        let token = token.clone();
        let server = &server;
        async move {
            server
                .post_json(
                    "/api/v1/invites/accept",
                    None,
                    json!({ "token": token, "name": format!("Racer {n}"), "email": format!("racer{n}@example.com"),
                            "password": PASSWORD, "time_zone": "UTC" }),
                )
                .await
                .status
        }
    };
    let (a, b) = tokio::join!(join(1), join(2));
    let mut statuses = [a, b];
    statuses.sort();
    assert_eq!(statuses, [StatusCode::CREATED, StatusCode::GONE]);
}

async fn admins_manage_members_and_the_last_admin_stays(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let ada = server.admin("Ada", "Team").await;
    let manu = server.person("Manu", "Team").await;
    let clip = server.upload_id(&manu, "Manu's question").await;

    let team = server.get("/api/v1/members", &manu).await.json();
    let members = team["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    let manu_row = members.iter().find(|m| m["name"] == "Manu").unwrap();
    assert_eq!(manu_row["role"], "member");
    assert_eq!(manu_row["is_you"], true);
    assert!(manu_row["local_time"].as_str().unwrap().len() == 5);
    assert_eq!(manu_row["working_hours"]["mon"], json!(["09:00", "17:00"]));

    // Members may not change roles or remove anyone.
    let uri = |p: &Person| format!("/api/v1/members/{}", p.user.id);
    let by_member = server
        .call(Method::DELETE, &uri(&ada), Some(&manu), Body::empty())
        .await;
    assert_eq!(by_member.status, StatusCode::FORBIDDEN);
    let promote_self = server
        .call(Method::PATCH, &uri(&manu), Some(&manu), Body::from(r#"{"admin":true}"#))
        .await;
    assert_eq!(promote_self.status, StatusCode::FORBIDDEN);

    // The last admin can neither be removed nor step down.
    let last = server.call(Method::DELETE, &uri(&ada), Some(&ada), Body::empty()).await;
    assert_eq!(last.status, StatusCode::CONFLICT);
    assert!(last.text().contains("without an admin"));
    let step_down = server
        .call(Method::PATCH, &uri(&ada), Some(&ada), Body::from(r#"{"admin":false}"#))
        .await;
    assert_eq!(step_down.status, StatusCode::CONFLICT);

    // Made admin, Manu may take Ada's role; then Ada is a member.
    let promote = server
        .call(Method::PATCH, &uri(&manu), Some(&ada), Body::from(r#"{"admin":true}"#))
        .await;
    assert_eq!(promote.status, StatusCode::NO_CONTENT);
    let demote = server
        .call(Method::PATCH, &uri(&ada), Some(&manu), Body::from(r#"{"admin":false}"#))
        .await;
    assert_eq!(demote.status, StatusCode::NO_CONTENT);
    // Ada's token still carries her, now without admin rights.
    assert_eq!(
        server.post_json("/api/v1/invites", Some(&ada), json!({})).await.status,
        StatusCode::FORBIDDEN
    );

    // Removed, Ada's token stops working at once; Manu's clip (and Ada's name on her reply) stay.
    let reply = server
        .post_json(
            &format!("/api/v1/threads/{clip}/replies"),
            Some(&ada),
            json!({ "text": "on it" }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED);
    let removed = server
        .call(Method::DELETE, &uri(&ada), Some(&manu), Body::empty())
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(server.get("/api/v1/me", &ada).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        signed_in(&server, &ada.user.email, PASSWORD).await.status,
        StatusCode::BAD_REQUEST
    );
    let thread = server.get(&format!("/api/v1/threads/{clip}"), &manu).await.json();
    assert_eq!(thread["root"]["replies"][0]["author"]["display_name"], "Ada");
    let members = server.get("/api/v1/members", &manu).await.json();
    assert_eq!(members["members"].as_array().unwrap().len(), 1);
    let again = server
        .call(Method::DELETE, &uri(&ada), Some(&manu), Body::empty())
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // Her address is free for a new invitation.
    let invite = server
        .post_json("/api/v1/invites", Some(&manu), json!({ "email": ada.user.email }))
        .await
        .json();
    let back = server
        .post_json(
            "/api/v1/invites/accept",
            None,
            json!({ "token": token_of(invite["url"].as_str().unwrap()), "name": "Ada", "email": ada.user.email,
                    "password": PASSWORD, "time_zone": "Europe/Berlin" }),
        )
        .await;
    assert_eq!(back.status, StatusCode::CREATED, "{}", back.text());
}

async fn profiles_and_passwords_change_and_other_sessions_end(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let olive = server.person("Olive", "Team").await;
    let changed = server
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&olive),
            Body::from(
                json!({ "display_name": "Olive O.", "time_zone": "America/Sao_Paulo",
                        "working_hours": { "tue": ["07:00", "15:00"], "thu": ["07:00", "15:00"] } })
                .to_string(),
            ),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    let me = server.get("/api/v1/me", &olive).await.json();
    assert_eq!(me["display_name"], "Olive O.");
    assert_eq!(me["time_zone"], "America/Sao_Paulo");
    assert_eq!(
        me["working_hours"],
        json!({ "tue": ["07:00", "15:00"], "thu": ["07:00", "15:00"] })
    );
    for bad in [
        json!({ "time_zone": "Nowhere/Special" }),
        json!({ "display_name": "  " }),
        json!({ "display_name": "two\nlines" }),
        json!({ "working_hours": { "mon": ["17:00", "9am"] } }),
        json!({ "working_hours": { "mon": ["24:30", "09:00"] } }),
    ] {
        let refused = server
            .call(Method::PATCH, "/api/v1/me", Some(&olive), Body::from(bad.to_string()))
            .await;
        assert!(refused.status.is_client_error(), "{bad}: {}", refused.status);
    }
    // A night shift ends the next morning.
    let nights = json!({ "working_hours": { "mon": ["22:00", "06:00"] } });
    let changed = server
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&olive),
            Body::from(nights.to_string()),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    let me = server.get("/api/v1/me", &olive).await.json();
    assert_eq!(me["working_hours"], json!({ "mon": ["22:00", "06:00"] }));

    // A second token (another device); the password changes through the first.
    let other = as_person(&signed_in(&server, &olive.user.email, PASSWORD).await);
    let wrong = server
        .post_json(
            "/api/v1/me/password",
            Some(&olive),
            json!({ "current": "not it", "new": "a new passphrase" }),
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    assert!(wrong.text().contains("current password is wrong"));
    let short = server
        .post_json(
            "/api/v1/me/password",
            Some(&olive),
            json!({ "current": PASSWORD, "new": "short" }),
        )
        .await;
    assert_eq!(short.status, StatusCode::BAD_REQUEST);
    let done = server
        .post_json(
            "/api/v1/me/password",
            Some(&olive),
            json!({ "current": PASSWORD, "new": "a new passphrase" }),
        )
        .await;
    assert_eq!(done.status, StatusCode::NO_CONTENT);
    assert_eq!(server.get("/api/v1/me", &olive).await.status, StatusCode::OK);
    assert_eq!(server.get("/api/v1/me", &other).await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        signed_in(&server, &olive.user.email, PASSWORD).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        signed_in(&server, &olive.user.email, "a new passphrase").await.status,
        StatusCode::CREATED
    );
}

async fn names_carrying_html_are_shown_as_text(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let admin = server.admin("<script>alert(1)</script>", "Team").await;
    let (cookie, _) = session(&server, &admin).await;
    let page = server
        .call_from(
            "127.0.0.1:40000".parse().unwrap(),
            Method::GET,
            "/members",
            None,
            &[("cookie", &cookie)],
            Body::empty(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(!html.contains("<script>alert(1)"));
    assert!(html.contains("Invite people"), "admins see the invitation form");
}

/// A browser session for `who`: the cookie and its CSRF token.
async fn session(server: &Harness, who: &Person) -> (String, String) {
    let answer = server
        .post_json(
            "/api/v1/auth/login",
            None,
            json!({ "email": who.user.email, "password": PASSWORD }),
        )
        .await;
    let cookie = answer.headers["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    (cookie, answer.json()["csrf_token"].as_str().unwrap().to_owned())
}

async fn owners_rename_messages_and_authors_delete_their_text_replies(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let (olive, manu) = server.olive_and_manu().await;
    let clip = server.upload_id(&olive, "Untitled").await;
    assert_eq!(
        rename(&server, &clip, &manu, "Mine now").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        rename(&server, &clip, &olive, "  ").await.status,
        StatusCode::BAD_REQUEST
    );
    let renamed = rename(&server, &clip, &olive, "Quarterly planning").await;
    assert_eq!(renamed.status, StatusCode::OK);
    assert_eq!(renamed.json()["title"], "Quarterly planning");
    let found = server.get("/api/v1/search?q=quarterly", &manu).await.json();
    assert_eq!(found["results"][0]["clip"]["id"], json!(clip), "{found}");
    let old = server.get("/api/v1/search?q=untitled", &manu).await.json();
    assert!(old["results"].as_array().unwrap().is_empty(), "{old}");

    let lone = reply(&server, &clip, &manu, json!({ "text": "a typo" })).await.json();
    let answered = reply(&server, &clip, &manu, json!({ "text": "see the doc" })).await;
    assert_eq!(answered.status, StatusCode::CREATED, "{}", answered.text());
    let answered = answered.json();
    let answered_id = answered["reply_id"].as_str().unwrap().to_owned();
    reply(
        &server,
        &clip,
        &olive,
        json!({ "text": "which doc?", "parent_id": answered_id }),
    )
    .await;
    let lone_id = lone["reply_id"].as_str().unwrap().to_owned();
    assert_eq!(delete(&server, &olive, &lone_id).await.status, StatusCode::FORBIDDEN);
    assert_eq!(delete(&server, &manu, &lone_id).await.status, StatusCode::NO_CONTENT);
    assert_eq!(
        delete(&server, &manu, &answered_id).await.status,
        StatusCode::NO_CONTENT
    );
    let thread = server.get(&format!("/api/v1/threads/{clip}"), &olive).await.json();
    let replies = thread["root"]["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 1, "the lone reply is gone: {thread}");
    assert_eq!(
        replies[0]["kind"], "deleted",
        "the answered one stays, without its words"
    );
    assert!(replies[0].get("text").is_none());
    assert_eq!(replies[0]["replies"][0]["text"], "which doc?");
    let stranger = server.person("Otto", "Elsewhere").await;
    assert_eq!(
        delete(&server, &stranger, &answered_id).await.status,
        StatusCode::NOT_FOUND
    );
}

async fn rename(server: &Harness, clip: &str, who: &Person, title: &str) -> Answer {
    let body = Body::from(json!({ "title": title }).to_string());
    server
        .call(Method::PATCH, &format!("/api/v1/clips/{clip}"), Some(who), body)
        .await
}

async fn reply(server: &Harness, clip: &str, who: &Person, body: Value) -> Answer {
    server
        .post_json(&format!("/api/v1/threads/{clip}/replies"), Some(who), body)
        .await
}

async fn delete(server: &Harness, who: &Person, reply_id: &str) -> Answer {
    server
        .call(
            Method::DELETE,
            &format!("/api/v1/replies/{reply_id}"),
            Some(who),
            Body::empty(),
        )
        .await
}

async fn set_hours(server: &Harness, who: &Person, zone: &str, days: &[&str]) {
    let hours: serde_json::Map<String, Value> = days
        .iter()
        .map(|d| (d.to_string(), json!(["09:00", "17:00"])))
        .collect();
    let changed = server
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(who),
            Body::from(json!({ "time_zone": zone, "working_hours": hours }).to_string()),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
}

/// Berlin, Manila and São Paulo never share an hour: the members page says who overlaps with
/// whom instead. Two who share none today are told the next day they do.
async fn shared_hours_say_the_next_day_or_who_overlaps(backend: Backend) {
    const EVERY_DAY: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let server = Harness::on(backend, &[]).await;
    let ada = server.person("Ada", "Team").await;
    let tess = server.person("Tess", "Team").await;
    let sam = server.person("Sam", "Team").await;
    set_hours(&server, &ada, "Europe/Berlin", &EVERY_DAY).await;
    set_hours(&server, &tess, "Asia/Manila", &EVERY_DAY).await;
    set_hours(&server, &sam, "America/Sao_Paulo", &EVERY_DAY).await;
    let shared = server.get("/api/v1/members", &ada).await.json()["shared_hours"].clone();
    assert_eq!(shared["spans"], json!([]), "{shared}");
    assert!(shared["next"].is_null(), "{shared}");
    let mut pairs: Vec<(String, Value)> = shared["pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                format!(
                    "{} {}",
                    p["members"][0].as_str().unwrap(),
                    p["members"][1].as_str().unwrap()
                ),
                p["spans"].clone(),
            )
        })
        .collect();
    pairs.sort_by(|a, b| a.0.cmp(&b.0));
    // In Ada's (Berlin) time; Manila and São Paulo never overlap.
    let names: Vec<&str> = pairs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), 2, "{shared}");
    assert!(pairs.iter().all(|(n, _)| n.contains("Ada")), "{shared}");
    let with = |who: &str| pairs.iter().find(|(n, _)| n.contains(who)).unwrap().1.clone();
    // (Manila's day ends at 10:00 or 11:00 Berlin time, São Paulo's starts at 13:00 or 14:00,
    // as Berlin keeps summer time or not.)
    let (tess_spans, sam_spans) = (with("Tess"), with("Sam"));
    assert!(
        tess_spans[0][0] == "09:00" && ["10:00", "11:00"].contains(&tess_spans[0][1].as_str().unwrap()),
        "{shared}"
    );
    assert!(
        ["13:00", "14:00"].contains(&sam_spans[0][0].as_str().unwrap()) && sam_spans[0][1] == "17:00",
        "{shared}"
    );
    let summary = shared["summary"].as_str().unwrap();
    assert!(
        summary.contains("Who overlaps") && summary.contains("–17:00"),
        "{summary}"
    );
    let page = server.page(&server.session("ada@example.com").await, "/members").await;
    assert!(page.contains("Who overlaps"), "the page says it too");

    // Two in Berlin, one working only the day after tomorrow: that day is named.
    let server = Harness::on(backend, &[]).await;
    let ada = server.person("Ada", "Team").await;
    let bo = server.person("Bo", "Team").await;
    set_hours(&server, &ada, "Europe/Berlin", &EVERY_DAY).await;
    let later = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive()
        + chrono::Duration::days(2);
    let key = later.format("%a").to_string().to_lowercase();
    set_hours(&server, &bo, "Europe/Berlin", &[key.as_str()]).await;
    let shared = server.get("/api/v1/members", &ada).await.json()["shared_hours"].clone();
    assert_eq!(shared["spans"], json!([]), "{shared}");
    assert_eq!(shared["next"]["date"], later.format("%Y-%m-%d").to_string(), "{shared}");
    assert_eq!(shared["next"]["spans"], json!([["09:00", "17:00"]]));
    assert!(
        shared["summary"]
            .as_str()
            .unwrap()
            .starts_with("No hour today when everyone is working. Next: "),
        "{shared}"
    );
}

on_every_database!(
    shared_hours_say_the_next_day_or_who_overlaps,
    the_setup_link_makes_the_first_admin_once,
    invitations_admit_whom_they_name_while_they_are_open,
    an_invitation_with_one_use_left_admits_one_of_two_racing,
    whole_numbers_may_be_written_with_a_point_zero,
    admins_manage_members_and_the_last_admin_stays,
    profiles_and_passwords_change_and_other_sessions_end,
    names_carrying_html_are_shown_as_text,
    owners_rename_messages_and_authors_delete_their_text_replies,
);
