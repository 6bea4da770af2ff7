//! Notifications by mail through a real SMTP server (Debian's aiosmtpd): a voice reply from
//! Berlin reaches the author in Manila with the right link and the transcript's opening; the
//! unsubscribe link works without signing in, only for its own recipient; an SMTP outage delays
//! mail but loses none; a server killed while a mail is on its way sends it again after the
//! restart, under the same `Message-ID`.

use std::path::Path;
use std::time::Duration;

use offbeat_tests::http::request;
use offbeat_tests::server::TestUser;
use offbeat_tests::smtp::SmtpServer;
use offbeat_tests::speech::{transcribe_args, wait_for_transcript};
use offbeat_tests::tools::{recorder, run_ok, speech};
use serde_json::{Value, json};

fn call(
    server: &offbeat_tests::server::ServerProc,
    user: &TestUser,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> Value {
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
    assert!(
        reply.status < 300,
        "{method} {path}: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    if reply.body.is_empty() {
        Value::Null
    } else {
        reply.json()
    }
}

/// Sets how `who` hears by mail.
fn choose(server: &offbeat_tests::server::ServerProc, who: &TestUser, email: &str) {
    call(
        server,
        who,
        "PATCH",
        "/api/v1/me/notifications",
        Some(json!({ "email": email })),
    );
}

fn voice(dir: &Path, name: &str, words: &str) -> Vec<u8> {
    let wav = speech(dir, name, words);
    let out = dir.join(format!("{name}.opus"));
    run_ok(recorder().arg("encode").arg(&wav).arg(&out));
    std::fs::read(out).unwrap()
}

#[test]
fn a_reply_reaches_the_author_by_mail_and_an_outage_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut smtp = SmtpServer::start();
    let mut args = transcribe_args();
    args.extend([
        "--smtp-url".into(),
        smtp.url(),
        "--mail-from".into(),
        "Offbeat <offbeat@example.com>".into(),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = offbeat_tests::server::ServerProc::start(offbeat_tests::server::Backend::Local, &args);
    let olive = server.user.clone(); // Europe/Berlin
    let mia = server.add_user("mia@example.com", "Mia", "Asia/Manila", "Default");
    // Mia hears at once; Olive hears nothing (she only replies here).
    choose(&server, &mia, "immediate");
    choose(&server, &olive, "off");
    assert_eq!(
        call(&server, &mia, "GET", "/api/v1/me/notifications", None),
        json!({ "email": "immediate" })
    );

    // Mia asks; Olive answers by voice from Berlin.
    let question = voice(dir.path(), "question", "can we move the launch to thursday");
    let asked = request(
        "POST",
        &server.api("/api/v1/clips?title=Launch%20date"),
        &[("Authorization", &format!("Bearer {}", mia.token))],
        Some(&question),
    )
    .json();
    let answer = voice(dir.path(), "answer", "thursday works for the whole team");
    let answered = request("POST", &server.api("/api/v1/clips"), &[], Some(&answer)).json();
    let answer_id = answered["id"].as_str().unwrap();
    call(
        &server,
        &olive,
        "POST",
        &format!("/api/v1/threads/{}/replies", asked["id"].as_str().unwrap()),
        Some(json!({ "clip_id": answer_id, "at_ms": 1000 })),
    );
    let transcript = wait_for_transcript(&server, answer_id, Duration::from_secs(60));
    let heard = transcript["segments"][0]["text"].as_str().unwrap().trim().to_owned();

    let mail = smtp.wait_for("Mia's mail about the voice reply", Duration::from_secs(60), |m| {
        m.to.contains("mia@example.com") && m.subject.contains("replied")
    });
    assert!(
        mail.subject.contains("Olive Owner replied to “Launch date”"),
        "{}",
        mail.subject
    );
    assert!(mail.to.contains("Mia"), "{}", mail.to);
    let page = asked["page_url"].as_str().unwrap();
    assert!(
        mail.text.contains(&format!("{page}?t=1.0")),
        "the link opens the page at the moment:\n{}",
        mail.text
    );
    assert!(
        mail.text.contains(&heard),
        "the transcript's opening ({heard:?}):\n{}",
        mail.text
    );
    assert!(mail.html.contains(&format!("{page}?t=1.0")));
    assert!(mail.message_id.ends_with("@127.0.0.1>"), "{}", mail.message_id);
    assert_eq!(
        mail.list_unsubscribe_post.as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let unsubscribe = mail.list_unsubscribe.clone().unwrap();
    let unsubscribe = unsubscribe.trim_matches(['<', '>']).to_owned();
    // Olive chose no mail, and never hears of her own reply.
    assert!(smtp.mail().iter().all(|m| !m.to.contains("owner@example.com")));

    // The SMTP server goes away; a text reply meanwhile arrives once it is back, once.
    smtp.stop();
    call(
        &server,
        &olive,
        "POST",
        &format!("/api/v1/threads/{}/replies", asked["id"].as_str().unwrap()),
        Some(json!({ "text": "and I booked the room" })),
    );
    std::thread::sleep(Duration::from_secs(3));
    assert!(smtp.mail().iter().all(|m| !m.text.contains("booked the room")));
    smtp.resume();
    let late = smtp.wait_for("the mail held by the outage", Duration::from_secs(90), |m| {
        m.text.contains("booked the room")
    });
    assert!(late.to.contains("mia@example.com"));
    std::thread::sleep(Duration::from_secs(2));
    let copies = smtp
        .mail()
        .iter()
        .filter(|m| m.text.contains("booked the room"))
        .count();
    assert_eq!(copies, 1, "delivered once");

    // The unsubscribe link needs no sign-in and works for its own recipient only.
    let (user_part, _) = unsubscribe.rsplit_once('/').unwrap();
    let forged = format!("{user_part}/{}", "0".repeat(64));
    let refused = request(
        "POST",
        &forged,
        &[("Authorization", "")],
        Some(b"List-Unsubscribe=One-Click"),
    );
    assert_eq!(refused.status, 404);
    let someone_else = unsubscribe.replace(&mia.id, &olive.id);
    assert_eq!(
        request("POST", &someone_else, &[("Authorization", "")], Some(b"")).status,
        404
    );
    let done = request(
        "POST",
        &unsubscribe,
        &[
            ("Authorization", ""),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        Some(b"List-Unsubscribe=One-Click"),
    );
    assert_eq!(done.status, 200, "{}", String::from_utf8_lossy(&done.body));
    assert_eq!(
        call(&server, &mia, "GET", "/api/v1/me/notifications", None),
        json!({ "email": "off" })
    );
}

#[test]
fn a_server_killed_mid_delivery_sends_again_under_the_same_message_id() {
    let mut smtp = SmtpServer::start();
    let url = smtp.url();
    let mut server = offbeat_tests::server::ServerProc::start(
        offbeat_tests::server::Backend::Local,
        &["--smtp-url", &url, "--job-lease-secs", "3"],
    );
    let olive = server.user.clone();
    let mia = server.add_user("mia@example.com", "Mia", "Asia/Manila", "Default");
    choose(&server, &olive, "immediate");
    choose(&server, &mia, "off");
    let clip = server.upload_file(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/chromium-audio.webm"
    )));

    // The SMTP server takes the mail but holds back its answer; the server dies waiting.
    smtp.stall(true);
    call(
        &server,
        &mia,
        "POST",
        &format!("/api/v1/threads/{}/replies", clip["id"].as_str().unwrap()),
        Some(json!({ "text": "sent while the server dies" })),
    );
    let first = smtp.wait_for("the mail before the kill", Duration::from_secs(30), |m| {
        m.text.contains("sent while the server dies")
    });
    server.kill();
    smtp.stall(false);
    server.restart();

    // Its lease runs out; the restarted server sends it again, recognisably the same mail.
    let copies = offbeat_tests::wait::wait_until("the mail sent again", Duration::from_secs(60), || {
        let copies: Vec<_> = smtp
            .mail()
            .into_iter()
            .filter(|m| m.text.contains("sent while the server dies"))
            .collect();
        (copies.len() >= 2).then_some(copies)
    });
    assert!(copies.iter().all(|m| m.message_id == first.message_id), "{copies:?}");
    assert!(copies.iter().all(|m| m.to.contains("owner@example.com")));
    std::thread::sleep(Duration::from_secs(3));
    let after = smtp
        .mail()
        .iter()
        .filter(|m| m.text.contains("sent while the server dies"))
        .count();
    assert_eq!(after, 2, "once more, not again and again");
    smtp.stop();
}

/// A zone where it is about 10:00 now (`Etc/GMT±N` keeps no daylight saving), and the UTC
/// instant (Unix seconds) of the next minute but one: when the working hours begin.
fn hours_beginning_soon() -> (String, String, u64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let hour = (now / 3600 % 24) as i64;
    let mut offset = 10 - hour;
    if offset < -12 {
        offset += 24;
    }
    if offset > 14 {
        offset -= 24;
    }
    // Etc/GMT-8 is eight hours ahead of UTC.
    let zone = if offset >= 0 {
        format!("Etc/GMT-{offset}")
    } else {
        format!("Etc/GMT+{}", -offset)
    };
    let start = (now / 60 + 2) * 60;
    let local = (start as i64 + offset * 3600).rem_euclid(86_400);
    let begins = format!("{:02}:{:02}", local / 3600, local / 60 % 60);
    (zone, begins, start)
}

#[test]
fn mail_waits_for_working_hours_and_a_digest_gathers_what_is_unheard() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let args = ["--smtp-url", url.as_str()];
    let server = offbeat_tests::server::ServerProc::start(offbeat_tests::server::Backend::Local, &args);
    let olive = server.user.clone();
    choose(&server, &olive, "off");
    let (zone, begins, start) = hours_beginning_soon();
    let hours: serde_json::Map<String, Value> = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
        .iter()
        .map(|day| (day.to_string(), json!([begins, "23:59"])))
        .collect();
    let mia = server.add_user("mia@example.com", "Mia", "UTC", "Default");
    let sam = server.add_user("sam@example.com", "Sam", "UTC", "Default");
    for (who, choice) in [(&mia, "digest"), (&sam, "working_hours")] {
        call(
            &server,
            who,
            "PATCH",
            "/api/v1/me",
            Some(json!({ "time_zone": zone, "working_hours": hours })),
        );
        choose(&server, who, choice);
    }

    // Two messages before their day begins; Sam hears the first one before then.
    let fixture = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/chromium-audio.webm")).unwrap();
    let post = |title: &str| {
        let url = server.api(&format!("/api/v1/clips?title={title}"));
        request("POST", &url, &[], Some(&fixture)).json()["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let first = post("Standup%20notes");
    let _second = post("Budget%20question");
    call(&server, &sam, "POST", &format!("/api/v1/clips/{first}/seen"), None);

    // Nothing before their hours begin…
    let now = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    };
    std::thread::sleep(Duration::from_secs(start.saturating_sub(now() + 3)));
    assert!(
        smtp.mail().is_empty(),
        "held until {begins} in {zone}: {:?}",
        smtp.mail()
    );

    // …then Sam's one unheard message, and Mia's digest of both.
    let digest = smtp.wait_for("Mia's digest", Duration::from_secs(60), |m| {
        m.to.contains("mia@example.com")
    });
    assert!(now() >= start);
    assert!(digest.subject.starts_with("2 new on Offbeat"), "{}", digest.subject);
    assert!(
        digest.text.contains("Standup notes") && digest.text.contains("Budget question"),
        "{}",
        digest.text
    );
    let to_sam = smtp.wait_for("Sam's mail", Duration::from_secs(30), |m| {
        m.to.contains("sam@example.com")
    });
    assert!(to_sam.subject.contains("Budget question"), "{}", to_sam.subject);
    std::thread::sleep(Duration::from_secs(3));
    let mail = smtp.mail();
    assert_eq!(
        mail.iter().filter(|m| m.to.contains("sam@example.com")).count(),
        1,
        "heard already: not sent"
    );
    assert_eq!(
        mail.iter().filter(|m| m.to.contains("mia@example.com")).count(),
        1,
        "one digest"
    );
}

/// An invitation made for an email is mailed to it when mail is set up (and says so); one
/// without an email is not mailed.
#[test]
fn an_invitation_for_an_email_is_mailed_to_it() {
    let smtp = SmtpServer::start();
    let url = smtp.url();
    let server = offbeat_tests::server::ServerProc::start(
        offbeat_tests::server::Backend::Local,
        &["--smtp-url", &url, "--mail-from", "Offbeat <offbeat@example.com>"],
    );
    let ada = server.add_admin("ada@example.com", "Ada Admin", "Europe/Berlin", "Default");
    let made = call(
        &server,
        &ada,
        "POST",
        "/api/v1/invites",
        Some(json!({ "email": "newcomer@example.com" })),
    );
    assert_eq!(made["mailed"], true, "{made}");
    let link = made["url"].as_str().unwrap().to_owned();
    let mail = smtp.wait_for("the invitation", Duration::from_secs(20), |m| {
        m.to.contains("newcomer@example.com")
    });
    assert_eq!(mail.subject, "Ada Admin invites you to Offbeat");
    assert!(mail.text.contains(&link) && mail.html.contains(&link), "{}", mail.text);
    assert!(mail.list_unsubscribe.is_none(), "nothing to unsubscribe from");
    let open = call(&server, &ada, "POST", "/api/v1/invites", Some(json!({})));
    assert_eq!(open["mailed"], false, "{open}");
}
