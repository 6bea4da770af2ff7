//! Check-ins in process, on both databases: who may make and change them, a round that asks a
//! team in three zones each at the start of their own hours (and not the one away), answers by
//! text and by clip, replies under an answer, the round closed with whoever did not answer
//! missed — and asks made once however many workers try at once.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Method, StatusCode};
use chrono::{Duration as Span, Timelike, Utc};
use db::domain::{JobKind, NotificationEvent};
use db::queue::{CheckinStep, Lease, Work};
use serde_json::{Value, json};
use support::{Backend, Harness, Person};

/// Mail is configured (nothing listens there), so events become mail jobs to count.
const FLAGS: &[&str] = &["--smtp-url", "smtp://127.0.0.1:9"];

/// Working hours that begin this minute in `zone`, every day of the week.
fn hours_starting_now(zone: chrono_tz::Tz) -> Value {
    let local = Utc::now().with_timezone(&zone);
    let start = format!("{:02}:{:02}", local.hour(), local.minute());
    let end_minutes = (local.hour() * 60 + local.minute() + 240).min(23 * 60 + 59);
    let end = format!("{:02}:{:02}", end_minutes / 60, end_minutes % 60);
    let day = json!([start, end]);
    json!({ "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day })
}

async fn lives_in(server: &Harness, who: &Person, zone: chrono_tz::Tz) {
    let answer = server
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(who),
            Body::from(json!({ "time_zone": zone.name(), "working_hours": hours_starting_now(zone) }).to_string()),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text());
}

fn every_day() -> Value {
    json!(["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
}

async fn checkins_are_made_and_changed_by_whom_the_policy_allows(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let ada = server.admin("Ada", "Team").await;
    let (olive, manu) = server.olive_and_manu().await;
    let otto = server.admin("Otto", "Elsewhere").await;
    let standup = json!({
        "title": "Stand-up",
        "questions": ["What did you do?", "What next?"],
        "days": ["mon", "tue", "wed", "thu", "fri"],
        "ask_at": "start",
    });
    let made = server.post_json("/api/v1/checkins", Some(&ada), standup.clone()).await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let everyone = made.json();
    assert_eq!(everyone["everyone"], true);
    assert_eq!(everyone["answer_within_minutes"], 240, "the default");
    assert_eq!(everyone["members"].as_array().unwrap().len(), 3, "{everyone}");
    assert_eq!(everyone["time_zone"], "Europe/Berlin", "its maker's zone");

    // A member: for everyone, no; for others alone, no; for themselves and whom they name, yes.
    let mut for_everyone = standup.clone();
    for_everyone["title"] = json!("Olive's");
    assert_eq!(
        server
            .post_json("/api/v1/checkins", Some(&olive), for_everyone.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for_everyone["members"] = json!([manu.user.id]);
    assert_eq!(
        server
            .post_json("/api/v1/checkins", Some(&olive), for_everyone.clone())
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    for_everyone["members"] = json!([olive.user.id, manu.user.id]);
    let pair = server.post_json("/api/v1/checkins", Some(&olive), for_everyone).await;
    assert_eq!(pair.status, StatusCode::CREATED, "{}", pair.text());
    let pair_id = pair.json()["id"].as_str().unwrap().to_owned();

    // Clear refusals.
    for (field, value) in [
        ("questions", json!([])),
        ("questions", json!(["1", "2", "3", "4", "5", "6"])),
        ("days", json!(["someday"])),
        ("ask_at", json!("9am")),
        ("answer_within_minutes", json!(0)),
        ("title", json!("Stand\r\nBcc: x")),
        ("members", json!([otto.user.id])),
    ] {
        let mut bad = standup.clone();
        bad[field] = value;
        let refused = server.post_json("/api/v1/checkins", Some(&ada), bad).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{field}: {}", refused.text());
        assert!(refused.json()["error"]["message"].is_string());
    }

    // Everyone sees their team's; nobody sees another team's.
    let listed = server.get("/api/v1/checkins", &manu).await.json();
    assert_eq!(listed["checkins"].as_array().unwrap().len(), 2, "{listed}");
    let everyone_id = everyone["id"].as_str().unwrap();
    assert_eq!(
        server
            .get(&format!("/api/v1/checkins/{everyone_id}"), &otto)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server.get("/api/v1/checkins", &otto).await.json()["checkins"],
        json!([])
    );

    // Changing: the maker and admins; a member may not widen theirs to everyone.
    let patch = |who: &Person, id: &str, body: Value| {
        let (server, who, id) = (&server, who.clone(), id.to_owned());
        async move {
            server
                .call(
                    Method::PATCH,
                    &format!("/api/v1/checkins/{id}"),
                    Some(&who),
                    Body::from(body.to_string()),
                )
                .await
        }
    };
    assert_eq!(
        patch(&manu, &pair_id, json!({ "title": "Manu's now" })).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patch(&olive, everyone_id, json!({ "title": "Mine" })).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        patch(&olive, &pair_id, json!({ "members": null })).await.status,
        StatusCode::FORBIDDEN
    );
    let renamed = patch(
        &olive,
        &pair_id,
        json!({ "title": "Pair", "ask_at": "09:30", "answer_within_minutes": 60 }),
    )
    .await;
    assert_eq!(renamed.status, StatusCode::OK, "{}", renamed.text());
    assert_eq!(
        (renamed.json()["title"].clone(), renamed.json()["ask_at"].clone()),
        (json!("Pair"), json!("09:30"))
    );
    assert_eq!(
        patch(&ada, &pair_id, json!({ "members": null })).await.json()["everyone"],
        true,
        "an admin may"
    );

    // Pause, resume, remove.
    let post = |who: &Person, uri: String| {
        let (server, who) = (&server, who.clone());
        async move { server.call(Method::POST, &uri, Some(&who), Body::empty()).await }
    };
    assert_eq!(
        post(&manu, format!("/api/v1/checkins/{everyone_id}/pause"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        post(&ada, format!("/api/v1/checkins/{everyone_id}/pause")).await.json()["state"],
        "paused"
    );
    assert_eq!(
        post(&ada, format!("/api/v1/checkins/{everyone_id}/resume"))
            .await
            .json()["state"],
        "active"
    );
    let removed = server
        .call(
            Method::DELETE,
            &format!("/api/v1/checkins/{pair_id}"),
            Some(&olive),
            Body::empty(),
        )
        .await;
    assert_eq!(removed.status, StatusCode::NO_CONTENT);
    assert_eq!(
        server.get(&format!("/api/v1/checkins/{pair_id}"), &olive).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The round of `checkin` once it exists and `asked` of its people have been asked.
async fn round_once_asked(server: &Harness, who: &Person, checkin: &str, asked: usize) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let page = server
            .get(&format!("/api/v1/checkins/{checkin}/rounds"), who)
            .await
            .json();
        if let Some(round) = page["rounds"].as_array().and_then(|r| r.first()) {
            let n = round["people"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|p| p["asked_at"].is_string())
                .count();
            if n >= asked {
                return round.clone();
            }
        }
        assert!(Instant::now() < deadline, "not asked in time: {page}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn person<'a>(round: &'a Value, who: &Person) -> &'a Value {
    round["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["member_id"] == who.user.id.as_str())
        .unwrap_or_else(|| panic!("{} is not in {round}", who.user.display_name))
}

async fn a_round_asks_three_zones_at_their_own_start_and_gathers_their_answers(backend: Backend) {
    let server = Harness::on(backend, FLAGS).await;
    let olive = server.admin("Olive", "Team").await;
    let manu = server.person("Manu", "Team").await;
    let sam = server.person("Sam", "Team").await;
    let ana = server.person("Ana", "Team").await;
    let otto = server.person("Otto", "Elsewhere").await;
    lives_in(&server, &olive, chrono_tz::Europe::Berlin).await;
    lives_in(&server, &manu, chrono_tz::Asia::Manila).await;
    lives_in(&server, &sam, chrono_tz::America::Sao_Paulo).await;
    lives_in(&server, &ana, chrono_tz::Asia::Tokyo).await;
    let today_in_tokyo = Utc::now()
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d")
        .to_string();
    let away = server
        .call(
            Method::PATCH,
            "/api/v1/me",
            Some(&ana),
            Body::from(json!({ "away_until": today_in_tokyo }).to_string()),
        )
        .await;
    assert_eq!(away.json()["away_until"], json!(today_in_tokyo));

    let made = server
        .post_json(
            "/api/v1/checkins",
            Some(&olive),
            json!({ "title": "Stand-up", "questions": ["What did you do?"], "days": every_day(), "ask_at": "start", "answer_within_minutes": 60 }),
        )
        .await;
    assert_eq!(made.status, StatusCode::CREATED, "{}", made.text());
    let checkin = made.json()["id"].as_str().unwrap().to_owned();
    server::workers::start(&server.state).await.unwrap();

    // Each asked at the start of their own hours — this minute, in three zones — one round.
    let round = round_once_asked(&server, &olive, &checkin, 3).await;
    let round_id = round["id"].as_str().unwrap().to_owned();
    for who in [&olive, &manu, &sam] {
        let me = person(&round, who);
        assert_eq!(me["state"], "waiting", "{me}");
        let asked_at = chrono::DateTime::parse_from_rfc3339(me["asked_at"].as_str().unwrap()).unwrap();
        assert!((Utc::now() - asked_at.with_timezone(&Utc)) < Span::minutes(2), "{me}");
    }
    assert_eq!(person(&round, &ana)["state"], "away");
    assert!(
        person(&round, &ana)["asked_at"].is_null(),
        "the away member is not asked"
    );
    let due = server.get("/api/v1/checkins/due", &manu).await.json();
    assert_eq!(due["due"][0]["round_id"], round_id.as_str(), "{due}");
    assert_eq!(server.get("/api/v1/checkins/due", &ana).await.json()["due"], json!([]));

    // Answers: text, then changed; a clip; the away member and a stranger cannot.
    let answers = format!("/api/v1/checkins/rounds/{round_id}/answers");
    let first = server
        .post_json(&answers, Some(&olive), json!({ "text": "Shipped the importer." }))
        .await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let changed = server
        .post_json(
            &answers,
            Some(&olive),
            json!({ "text": "Shipped the importer; on to search." }),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{}", changed.text());
    assert_eq!(
        changed.json()["message_id"],
        first.json()["message_id"],
        "the same answer, changed"
    );
    let voice = server.upload_id(&manu, "My stand-up").await;
    let spoken = server
        .post_json(&answers, Some(&manu), json!({ "clip_id": voice }))
        .await;
    assert_eq!(spoken.status, StatusCode::CREATED, "{}", spoken.text());
    assert_eq!(
        server
            .post_json(&answers, Some(&ana), json!({ "text": "back" }))
            .await
            .status,
        StatusCode::CONFLICT
    );
    assert_eq!(
        server
            .post_json(&answers, Some(&otto), json!({ "text": "hi" }))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        server
            .post_json(&answers, Some(&sam), json!({ "text": "a", "clip_id": voice }))
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    // A reply under Olive's answer, read in the round.
    let olive_answer = first.json()["message_id"].as_str().unwrap().to_owned();
    let reply = server
        .post_json(
            &format!("/api/v1/checkins/rounds/{round_id}/replies"),
            Some(&sam),
            json!({ "text": "Nice — which tables?", "parent_id": olive_answer }),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text());
    // Answers take reactions like any message: on the words, and at a moment of the voice.
    for (on, body) in [
        (olive_answer.as_str(), json!({ "emoji": "👏" })),
        (voice.as_str(), json!({ "emoji": "🔥", "at_ms": 1000 })),
    ] {
        let reacted = server
            .post_json(&format!("/api/v1/clips/{on}/reactions"), Some(&sam), body)
            .await;
        assert_eq!(reacted.status, StatusCode::CREATED, "{}", reacted.text());
    }
    assert_eq!(
        server
            .post_json(
                &format!("/api/v1/clips/{olive_answer}/reactions"),
                Some(&otto),
                json!({ "emoji": "👏" })
            )
            .await
            .status,
        StatusCode::NOT_FOUND,
        "another team's member cannot"
    );
    let detail = server
        .get(&format!("/api/v1/checkins/rounds/{round_id}"), &manu)
        .await
        .json();
    let shown = detail["answers"].as_array().unwrap();
    assert_eq!(shown.len(), 2, "two answers, the reply under one: {detail}");
    assert_eq!(shown[0]["text"], "Shipped the importer; on to search.");
    assert_eq!(shown[0]["replies"][0]["text"], "Nice — which tables?");
    assert_eq!(shown[1]["clip"]["id"], voice.as_str());
    assert_eq!(shown[0]["reactions"][0]["emoji"], "👏");
    assert_eq!(shown[0]["reactions"][0]["display_name"], "Sam");
    assert_eq!(shown[1]["reactions"][0]["emoji"], "🔥");
    assert_eq!(shown[1]["reactions"][0]["at_ms"], 1000);
    assert_eq!(detail["checkin"]["questions"], json!(["What did you do?"]));
    assert_eq!(person(&detail, &olive)["state"], "answered");
    assert_eq!(person(&detail, &manu)["state"], "answered");
    assert_eq!(person(&detail, &sam)["state"], "waiting");
    // Search finds answers, and opens the round at them.
    let found = server.get("/api/v1/search?q=importer", &manu).await.json();
    assert_eq!(found["answers"][0]["round_id"], round_id.as_str(), "{found}");
    assert_eq!(found["answers"][0]["reply_id"], olive_answer.as_str());
    assert!(
        found["answers"][0]["snippet_html"]
            .as_str()
            .unwrap()
            .contains("<mark>importer</mark>")
    );
    assert_eq!(
        server.get("/api/v1/search?q=importer", &otto).await.json()["answers"],
        json!([]),
        "not another team's"
    );
    // Answers are not dashboard clutter: the voice answer is no message of its own.
    let listed = server.get("/api/v1/clips?limit=50", &olive).await.json();
    assert!(
        listed["clips"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == voice.as_str()),
        "the API lists every clip"
    );
    let dashboard = server.page(&server.session(&olive.user.email).await, "/").await;
    assert!(!dashboard.contains("My stand-up"), "no card of its own");
    assert!(dashboard.contains("Stand-up"), "the open round's card");
    // The round page renders for the team, not for another team.
    let page = server
        .page(
            &server.session(&manu.user.email).await,
            &format!("/checkins/rounds/{round_id}"),
        )
        .await;
    assert!(
        page.contains("Shipped the importer; on to search.") && page.contains("Ana") && page.contains("away"),
        "{page}"
    );
    assert!(page.contains("Change your answer"), "Manu answered: he may change it");
    let sams = server
        .page(
            &server.session(&sam.user.email).await,
            &format!("/checkins/rounds/{round_id}"),
        )
        .await;
    assert!(
        sams.contains("Send my answer") && sams.contains("answer-round="),
        "Sam may still answer"
    );

    // The round closes: Sam, who did not answer, missed it; answers are final.
    assert_eq!(
        server.state.db.checkins().close(&round_id).await.unwrap(),
        db::checkins::Closing::Closed
    );
    let closed = server
        .get(&format!("/api/v1/checkins/rounds/{round_id}"), &olive)
        .await
        .json();
    assert_eq!(closed["state"], "closed");
    assert_eq!(person(&closed, &sam)["state"], "missed");
    assert_eq!(person(&closed, &ana)["state"], "away");
    let sams = server
        .page(
            &server.session(&sam.user.email).await,
            &format!("/checkins/rounds/{round_id}"),
        )
        .await;
    assert!(
        sams.contains("The round is closed: it takes no more answers.") && !sams.contains("answer-round="),
        "a closed round offers no answer"
    );
    assert_eq!(
        server
            .post_json(&answers, Some(&sam), json!({ "text": "late" }))
            .await
            .status,
        StatusCode::CONFLICT
    );

    // What it told, by mail: each asked person once, the round-up to everyone in it.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let asked: Vec<usize> = {
            let mut counts = Vec::new();
            for who in [&olive, &manu, &sam, &ana] {
                let mine = server
                    .state
                    .db
                    .notifications()
                    .of_recipient(&who.user.id)
                    .await
                    .unwrap();
                counts.push(
                    mine.iter()
                        .filter(|n| n.event == NotificationEvent::CheckinAsked)
                        .count(),
                );
                counts.push(
                    mine.iter()
                        .filter(|n| n.event == NotificationEvent::CheckinCompleted)
                        .count(),
                );
            }
            counts
        };
        if asked == [1, 1, 1, 1, 1, 1, 0, 1] {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "asked and round-up mail per person: {asked:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn an_ask_is_made_once_however_many_workers_try(backend: Backend) {
    let server = Harness::on(backend, FLAGS).await;
    let olive = server.admin("Olive", "Team").await;
    lives_in(&server, &olive, chrono_tz::Asia::Kolkata).await;
    let made = server
        .post_json(
            "/api/v1/checkins",
            Some(&olive),
            json!({ "title": "Stand-up", "questions": ["How is it going?"], "days": every_day(), "ask_at": "start" }),
        )
        .await;
    let checkin = made.json()["id"].as_str().unwrap().to_owned();
    // Four planners at once open one round.
    let now = Utc::now();
    let planners: Vec<_> = (0..4)
        .map(|_| {
            let state = server.state.clone();
            tokio::spawn(async move { server::services::checkins::schedule::plan(&state, now).await.unwrap() })
        })
        .collect();
    let mut opened = 0;
    for planner in planners {
        opened += planner.await.unwrap();
    }
    assert_eq!(opened, 1, "one round, however many planned");
    let rounds = server
        .get(&format!("/api/v1/checkins/{checkin}/rounds"), &olive)
        .await
        .json();
    let round_id = rounds["rounds"][0]["id"].as_str().unwrap().to_owned();
    // Its ask job, claimed by one worker; six more try the same step at once.
    let lease = Lease {
        holder: "p/checkin-0",
        until: Utc::now() + Span::seconds(60),
    };
    let jobs = server.state.db.jobs().claim(JobKind::Checkin, lease, 10).await.unwrap();
    let ask = jobs
        .iter()
        .find(|j| {
            matches!(
                &j.work,
                Work::Checkin {
                    step: CheckinStep::Ask { .. },
                    ..
                }
            )
        })
        .expect("the ask is due now");
    let Work::Checkin { step, .. } = &ask.work else {
        unreachable!()
    };
    let steps: Vec<_> = (0..6)
        .map(|_| {
            let (state, round_id, step) = (server.state.clone(), round_id.clone(), step.clone());
            tokio::spawn(async move {
                server::services::checkins::schedule::step(&state, &round_id, &step)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for step in steps {
        step.await.unwrap();
    }
    server::services::notifications::fan_out(&server.state).await.unwrap();
    let mail = server
        .state
        .db
        .notifications()
        .of_recipient(&olive.user.id)
        .await
        .unwrap();
    assert_eq!(
        mail.iter()
            .filter(|n| n.event == NotificationEvent::CheckinAsked)
            .count(),
        1,
        "asked once: {mail:?}"
    );
}

on_every_database!(
    checkins_are_made_and_changed_by_whom_the_policy_allows,
    a_round_asks_three_zones_at_their_own_start_and_gathers_their_answers,
    an_ask_is_made_once_however_many_workers_try,
);
