//! Notifications by mail through a real SMTP server (Debian's aiosmtpd): a voice reply from
//! Berlin reaches the author in Manila with the right link and the transcript's opening; the
//! unsubscribe link works without signing in, only for its own recipient; an SMTP outage delays
//! mail but loses none.

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
    call(
        &server,
        &mia,
        "PATCH",
        "/api/v1/me/notifications",
        Some(json!({ "email": "immediate" })),
    );
    call(
        &server,
        &olive,
        "PATCH",
        "/api/v1/me/notifications",
        Some(json!({ "email": "off" })),
    );
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
