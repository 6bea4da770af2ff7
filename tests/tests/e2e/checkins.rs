//! A stand-up without the meeting, across Berlin, Manila and São Paulo, through the real server
//! with a real SMTP server and a webhook endpoint that checks every signature: each person is
//! asked at the start of their own working hours (set a minute ahead), the one away is not; a
//! text answer and a voice answer (transcribed); the one who does not answer misses it when
//! their time is up, the round closes, and `checkin.completed` carries both answers. And the
//! recorder's `checkin`: what is due, answered by recording, from a file, or in writing.

use std::path::Path;
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use offbeat_tests::http::request;
use offbeat_tests::pulse::VirtualMic;
use offbeat_tests::server::{ServerProc, TestUser};
use offbeat_tests::smtp::SmtpServer;
use offbeat_tests::speech::transcribe_args;
use offbeat_tests::tools::{recorder, run_ok, speech};
use offbeat_tests::wait::wait_until;
use offbeat_tests::webhook_receiver::WebhookReceiver;
use serde_json::{Value, json};

pub(crate) fn call(
    server: &ServerProc,
    user: &TestUser,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let text = body.map(|b| b.to_string());
    let reply = request(
        method,
        &server.api(path),
        &[
            ("Authorization", &format!("Bearer {}", user.token)),
            ("Content-Type", "application/json"),
        ],
        text.as_deref().map(str::as_bytes),
    );
    let json = if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    };
    (reply.status, json)
}

pub(crate) fn ok(server: &ServerProc, user: &TestUser, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, json) = call(server, user, method, path, body);
    assert!(status < 300, "{method} {path}: {status} {json}");
    json
}

/// Working hours in `zone` that begin at the start of the next minute there, every day; that
/// instant (when they will be asked). Hours end at 23:59, so a start in the last minutes of a
/// day waits for the next one.
pub(crate) fn hours_a_minute_ahead(zone: chrono_tz::Tz) -> (Value, DateTime<Utc>) {
    loop {
        let next = (Utc::now() + chrono::Duration::minutes(1))
            .with_second(0)
            .and_then(|t| t.with_nanosecond(0))
            .unwrap();
        let local = next.with_timezone(&zone);
        if local.hour() == 23 && local.minute() >= 55 {
            std::thread::sleep(std::time::Duration::from_secs(20));
            continue;
        }
        let start = format!("{:02}:{:02}", local.hour(), local.minute());
        let day = json!([start, "23:59"]);
        return (
            json!({ "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day }),
            next,
        );
    }
}

fn voice(dir: &Path, name: &str, words: &str) -> Vec<u8> {
    let wav = speech(dir, name, words);
    let out = dir.join(format!("{name}.opus"));
    run_ok(recorder().arg("encode").arg(&wav).arg(&out));
    std::fs::read(out).unwrap()
}

#[test]
fn a_stand_up_across_berlin_manila_and_sao_paulo() {
    let dir = tempfile::tempdir().unwrap();
    let smtp = SmtpServer::start();
    let hooks = WebhookReceiver::start();
    let mut args = transcribe_args();
    args.extend(["--smtp-url".into(), smtp.url(), "--webhook-allow-private".into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServerProc::start(offbeat_tests::server::Backend::Local, &args);
    let lead = server.add_admin("lead@example.com", "Bea Berlin", "Europe/Berlin", "Default");
    let manu = server.add_user("manu@example.com", "Manu Manila", "Asia/Manila", "Default");
    let sam = server.add_user("sam@example.com", "Sam Sao Paulo", "America/Sao_Paulo", "Default");
    let ana = server.add_user("ana@example.com", "Ana Away", "Asia/Tokyo", "Default");
    let mut asked_at = Vec::new();
    for (who, zone) in [
        (&lead, chrono_tz::Europe::Berlin),
        (&manu, chrono_tz::Asia::Manila),
        (&sam, chrono_tz::America::Sao_Paulo),
        (&ana, chrono_tz::Asia::Tokyo),
    ] {
        let (hours, at) = hours_a_minute_ahead(zone);
        ok(
            &server,
            who,
            "PATCH",
            "/api/v1/me",
            Some(json!({ "working_hours": hours })),
        );
        ok(
            &server,
            who,
            "PATCH",
            "/api/v1/me/notifications",
            Some(json!({ "email": "immediate" })),
        );
        asked_at.push(at);
    }
    let today_in_tokyo = Utc::now()
        .with_timezone(&chrono_tz::Asia::Tokyo)
        .format("%Y-%m-%d")
        .to_string();
    ok(
        &server,
        &ana,
        "PATCH",
        "/api/v1/me",
        Some(json!({ "away_until": today_in_tokyo })),
    );
    let hook = ok(
        &server,
        &lead,
        "POST",
        "/api/v1/webhooks",
        Some(json!({
            "url": format!("{}/hook", hooks.url),
            "events": ["checkin.asked", "checkin.answered", "checkin.completed"],
            "format": "standard",
        })),
    );
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let checkin = ok(
        &server,
        &lead,
        "POST",
        "/api/v1/checkins",
        Some(json!({
            "title": "Stand-up",
            "questions": ["What did you do yesterday?", "What is in your way?"],
            "members": [lead.id, manu.id, sam.id, ana.id],
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "ask_at": "start",
            "answer_within_minutes": 1,
        })),
    );
    let checkin_id = checkin["id"].as_str().unwrap().to_owned();

    // Asked at the start of their own hours: not before, and each by mail once.
    for (who, at) in [(&lead, asked_at[0]), (&manu, asked_at[1]), (&sam, asked_at[2])] {
        let mail = smtp.wait_for("the ask", Duration::from_secs(150), |m| {
            m.to.contains(&who.email) && m.subject.starts_with("Stand-up — due by")
        });
        assert!(mail.text.contains("What is in your way?"), "{}", mail.text);
        assert!(Utc::now() >= at, "asked before their hours began");
    }
    let asks = hooks.wait_for("/hook", "checkin.asked", 3, Duration::from_secs(60));
    let asked: Vec<String> = asks
        .iter()
        .map(|d| {
            d.verified(&secret)["data"]["member"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        asked.contains(&"Manu Manila".to_owned()) && asked.contains(&"Sam Sao Paulo".to_owned()),
        "{asked:?}"
    );
    assert!(!asked.contains(&"Ana Away".to_owned()), "the away member is not asked");
    let rounds = ok(
        &server,
        &lead,
        "GET",
        &format!("/api/v1/checkins/{checkin_id}/rounds"),
        None,
    );
    let round = &rounds["rounds"][0];
    let round_id = round["id"].as_str().unwrap().to_owned();
    let state_of = |round: &Value, who: &TestUser| -> String {
        round["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["member_id"] == who.id.as_str())
            .map(|p| p["state"].as_str().unwrap().to_owned())
            .unwrap_or_default()
    };
    assert_eq!(state_of(round, &ana), "away");
    for (who, at) in [(&lead, asked_at[0]), (&manu, asked_at[1]), (&sam, asked_at[2])] {
        let person = round["people"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["member_id"] == who.id.as_str())
            .unwrap();
        let when: DateTime<Utc> = person["asked_at"].as_str().unwrap().parse().unwrap();
        assert!(
            when >= at && when - at < chrono::Duration::seconds(30),
            "asked at {when}, their start {at}"
        );
    }

    // A text answer, and a voice answer recorded in Manila.
    let answers = format!("/api/v1/checkins/rounds/{round_id}/answers");
    ok(
        &server,
        &lead,
        "POST",
        &answers,
        Some(json!({ "text": "Finished the importer; next, search." })),
    );
    let spoken = voice(
        dir.path(),
        "manu",
        "Yesterday I fixed the billing export. Nothing is in my way.",
    );
    let clip = request(
        "POST",
        &server.api("/api/v1/clips?title=Stand-up"),
        &[("Authorization", &format!("Bearer {}", manu.token))],
        Some(&spoken),
    )
    .json();
    ok(&server, &manu, "POST", &answers, Some(json!({ "clip_id": clip["id"] })));
    hooks.wait_for("/hook", "checkin.answered", 2, Duration::from_secs(60));

    // Sam does not answer: when his minute is up the round closes, and he missed it.
    let completed = hooks.wait_for("/hook", "checkin.completed", 1, Duration::from_secs(180));
    let data = completed[0].verified(&secret)["data"].clone();
    let answered: Vec<&Value> = data["answers"].as_array().unwrap().iter().collect();
    assert_eq!(answered.len(), 2, "{data}");
    assert_eq!(answered[0]["kind"], "text");
    assert_eq!(answered[0]["text"], "Finished the importer; next, search.");
    assert_eq!(answered[1]["kind"], "voice");
    assert_eq!(answered[1]["clip_id"], clip["id"]);
    // What it quotes is what the voice answer's transcript says (tiny's words vary a little).
    let said = answered[1]["said"]
        .as_str()
        .unwrap_or_default()
        .trim_end_matches('…')
        .trim()
        .to_owned();
    let clip_id = clip["id"].as_str().unwrap();
    let transcript = ok(
        &server,
        &manu,
        "GET",
        &format!("/api/v1/clips/{clip_id}/transcript"),
        None,
    );
    let text = transcript["text"].as_str().unwrap_or_default().trim().to_owned();
    let head = said.split_whitespace().take(4).collect::<Vec<_>>().join(" ");
    assert!(
        head.split(' ').count() == 4 && text.contains(&head),
        "the voice answer's transcript is quoted: {data}, transcript {text:?}"
    );
    assert_eq!(data["away"], json!(["Ana Away"]));
    assert_eq!(data["missed"], json!(["Sam Sao Paulo"]));
    let closed = ok(
        &server,
        &lead,
        "GET",
        &format!("/api/v1/checkins/rounds/{round_id}"),
        None,
    );
    assert_eq!(closed["state"], "closed");
    assert_eq!(
        [&lead, &manu, &sam, &ana].map(|who| state_of(&closed, who)),
        ["answered", "answered", "missed", "away"]
    );
    let (late, _) = call(&server, &sam, "POST", &answers, Some(json!({ "text": "sorry, late" })));
    assert_eq!(late, 409, "a closed round takes no answers");
    // Everyone in it gets the round-up by mail (all chose to hear at once).
    for who in [&lead, &manu, &sam, &ana] {
        let mail = smtp.wait_for("the round-up", Duration::from_secs(60), |m| {
            m.to.contains(&who.email) && m.subject.contains("2 answered")
        });
        assert!(
            mail.text.contains("Finished the importer") && mail.text.contains("Missed it: Sam"),
            "{}",
            mail.text
        );
    }
}

/// `recorder checkin` as `user`.
fn checkin_command(server: &ServerProc, user: &TestUser) -> std::process::Command {
    let mut cmd = recorder();
    cmd.env("OFFBEAT_TOKEN", &user.token)
        .args(["checkin", "--server", &server.url]);
    cmd
}

fn printed(cmd: &mut std::process::Command) -> String {
    String::from_utf8(run_ok(cmd).stdout).unwrap()
}

#[test]
fn the_recorder_lists_what_is_due_and_answers_it_by_voice_file_or_text() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProc::start(offbeat_tests::server::Backend::Local, &[]);
    let lead = server.add_admin("lead@example.com", "Bea Berlin", "Europe/Berlin", "Default");
    let team: Vec<TestUser> = ["Manu", "Tala", "Joy"]
        .iter()
        .map(|name| {
            server.add_user(
                &format!("{}@example.com", name.to_lowercase()),
                name,
                "Asia/Manila",
                "Default",
            )
        })
        .collect();
    // They work every day from midnight and have the day to answer: asked as soon as it opens.
    let day = json!(["00:00", "23:59"]);
    let hours = json!({ "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day });
    for who in &team {
        ok(
            &server,
            who,
            "PATCH",
            "/api/v1/me",
            Some(json!({ "working_hours": hours })),
        );
    }
    let nothing = printed(&mut checkin_command(&server, &team[0]));
    assert!(nothing.starts_with("Nothing is due"), "{nothing}");
    ok(
        &server,
        &lead,
        "POST",
        "/api/v1/checkins",
        Some(json!({
            "title": "Stand-up",
            "questions": ["What did you do yesterday?", "What is in your way?"],
            "members": team.iter().map(|u| u.id.clone()).collect::<Vec<_>>(),
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "answer_within_minutes": 1440,
            "time_zone": "Asia/Manila",
        })),
    );
    let listed = wait_until("the ask", Duration::from_secs(60), || {
        let text = printed(&mut checkin_command(&server, &team[0]));
        text.starts_with("Stand-up").then_some(text)
    });
    assert!(
        listed.contains("— due by ") && listed.contains("  2. What is in your way?"),
        "{listed}"
    );
    assert!(listed.contains("/checkins/rounds/"), "{listed}");

    // Manu records his answer from the microphone; Tala answers with a file; Joy in writing.
    let mic = VirtualMic::start();
    let outbox = dir.path().join("outbox");
    let mut recording = checkin_command(&server, &team[0]);
    recording
        .envs(mic.env())
        .env("OFFBEAT_OUTBOX_DIR", &outbox)
        .args(["--record", "--max-duration", "4s"]);
    let said = speech(dir.path(), "manu", "Yesterday I shipped the importer.");
    let child = recording
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    mic.play(&said);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let page = String::from_utf8(out.stdout).unwrap();
    assert!(
        page.trim().contains("/checkins/rounds/"),
        "prints the round's page: {page}"
    );
    let file = voice(dir.path(), "tala", "Nothing is in my way today.");
    let file_path = dir.path().join("tala-answer.opus");
    std::fs::write(&file_path, file).unwrap();
    run_ok(checkin_command(&server, &team[1]).arg("--file").arg(&file_path));
    run_ok(checkin_command(&server, &team[2]).args(["--text", "Reviewing the migration."]));

    // Everyone answered: the round closed, with a voice, a voice and a text answer in order.
    let round_id = page.trim().rsplit('/').next().unwrap().to_owned();
    let round = ok(
        &server,
        &lead,
        "GET",
        &format!("/api/v1/checkins/rounds/{round_id}"),
        None,
    );
    assert_eq!(round["state"], "closed", "{round}");
    let kinds: Vec<&str> = round["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["clip", "clip", "text"], "{round}");
    let recorded = round["answers"][0]["duration_ms"].as_u64().unwrap();
    assert!(recorded >= 3000, "the recorded answer is whole: {recorded} ms");
    let after = printed(&mut checkin_command(&server, &team[0]));
    assert!(after.starts_with("Nothing is due"), "{after}");
    let (late, _) = call(
        &server,
        &team[2],
        "POST",
        &format!("/api/v1/checkins/rounds/{round_id}/answers"),
        Some(json!({ "text": "changed my mind" })),
    );
    assert_eq!(late, 409, "a closed round keeps its answers");
}
