//! `server backup` while the server runs and uploads go on, and `server restore` into an empty
//! data directory: every clip the backup holds plays byte for byte on the restored server, with
//! its transcript, its thread and its receipts.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use offbeat_tests::http::{get, request};
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::speech::{transcribe_args, wait_for_transcript};
use offbeat_tests::tools::{recorder, run_ok, speech};
use serde_json::{Value, json};

const CLIP: &[u8] = include_bytes!("../../fixtures/chromium-audio.webm");

/// `value` with `from` (a server's base URL) written as `to`, so two servers' answers compare.
fn rebased(value: &Value, from: &str, to: &str) -> Value {
    serde_json::from_str(&value.to_string().replace(from, to)).unwrap()
}

/// `value` without what depends on transcripts still being made (compared apart).
fn settled(mut value: Value) -> Value {
    match &mut value {
        Value::Object(map) => {
            map.remove("transcript");
            map.remove("transcript_snippet");
            for item in map.values_mut() {
                *item = settled(item.take());
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                *item = settled(item.take());
            }
        }
        _ => {}
    }
    value
}

#[test]
fn a_backup_taken_while_uploads_go_on_restores_every_clip_whole() {
    let dir = tempfile::tempdir().unwrap();
    let args = transcribe_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::Local, &args);
    let manu = server.add_user("manu@example.com", "Manu", "Asia/Manila", "Default");

    // A spoken message with its transcript, a voice reply, a text reply, and a receipt.
    let wav = speech(dir.path(), "question", "shall we ship the release on friday");
    let ogg = dir.path().join("question.opus");
    run_ok(recorder().arg("encode").arg(&wav).arg(&ogg));
    let question = server.upload_file(&ogg);
    let question_id = question["id"].as_str().unwrap().to_owned();
    wait_for_transcript(&server, &question_id, Duration::from_secs(60));
    let answer = request(
        "POST",
        &server.api("/api/v1/clips"),
        &[("Authorization", &format!("Bearer {}", manu.token))],
        Some(CLIP),
    )
    .json();
    let as_manu = format!("Bearer {}", manu.token);
    let manu_headers = [
        ("Authorization", as_manu.as_str()),
        ("Content-Type", "application/json"),
    ];
    for body in [
        json!({ "clip_id": answer["id"] }),
        json!({ "text": "and the notes are in the doc" }),
    ] {
        let replied = request(
            "POST",
            &server.api(&format!("/api/v1/threads/{question_id}/replies")),
            &manu_headers,
            Some(body.to_string().as_bytes()),
        );
        assert_eq!(replied.status, 201, "{}", String::from_utf8_lossy(&replied.body));
    }
    let heard = request(
        "POST",
        &server.api(&format!("/api/v1/clips/{question_id}/seen")),
        &manu_headers,
        None,
    );
    assert!(heard.status < 300);
    // Olive reads the thread: her receipt of the text reply is part of what is backed up.
    assert_eq!(get(&server.api(&format!("/api/v1/threads/{question_id}"))).status, 200);

    // Uploads keep going while the backup is taken.
    let going = Arc::new(AtomicBool::new(true));
    let sent = Arc::new(AtomicUsize::new(0));
    let uploader = {
        let (url, going, sent) = (server.api("/api/v1/clips"), going.clone(), sent.clone());
        std::thread::spawn(move || {
            while going.load(Ordering::Relaxed) {
                assert_eq!(request("POST", &url, &[], Some(CLIP)).status, 201);
                sent.fetch_add(1, Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };
    while sent.load(Ordering::Relaxed) < 2 {
        std::thread::sleep(Duration::from_millis(20));
    }
    let backup = dir.path().join("backup");
    let said = server.admin(&["backup".as_ref(), backup.as_os_str()]);
    going.store(false, Ordering::Relaxed);
    uploader.join().unwrap();
    assert!(said.contains("Backed up"), "{said}");
    let manifest: Value = serde_json::from_slice(&std::fs::read(backup.join("backup.json")).unwrap()).unwrap();
    assert_eq!(manifest["missing"], json!([]), "{manifest}");

    // Restored into an empty data directory, and served from there.
    let data = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(offbeat_tests::tools::workspace_bin("server"))
        .arg("--data-dir")
        .arg(data.path())
        .arg("restore")
        .arg(&backup)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let again = std::process::Command::new(offbeat_tests::tools::workspace_bin("server"))
        .arg("--data-dir")
        .arg(data.path())
        .arg("restore")
        .arg(&backup)
        .output()
        .unwrap();
    assert!(!again.status.success(), "a restore over existing data is refused");
    let restored = ServerProc::start_on(data, &args, server.user.clone());

    let listed = get(&restored.api("/api/v1/clips?limit=200")).json();
    let clips = listed["clips"].as_array().unwrap();
    // Everything from before the backup, and some of what arrived while it ran.
    assert!(clips.len() >= 2 + 2, "{} clips restored", clips.len());
    let (old, new) = (server.url.as_str(), restored.url.as_str());
    for clip in clips {
        let id = clip["id"].as_str().unwrap();
        let original = get(&server.api(&format!("/api/v1/clips/{id}/media")));
        let copy = get(&restored.api(&format!("/api/v1/clips/{id}/media")));
        assert_eq!(copy.status, 200, "{id}");
        assert!(copy.body == original.body, "{id} plays byte for byte");
        let view = format!("/api/v1/threads/{id}");
        let before = settled(get(&server.api(&view)).json());
        let after = settled(get(&restored.api(&view)).json());
        assert_eq!(after, rebased(&before, old, new), "{view}");
    }
    // The transcripts made before the backup come back as they were (those of clips that
    // arrived while it ran are made again by the restored server).
    for id in [question_id.as_str(), answer["id"].as_str().unwrap()] {
        let before = wait_for_transcript(&server, id, Duration::from_secs(60));
        let after = wait_for_transcript(&restored, id, Duration::from_secs(60));
        assert_eq!(after["text"], before["text"], "{id}");
        assert_eq!(after["segments"], before["segments"], "{id}");
    }
    let thread = get(&restored.api(&format!("/api/v1/threads/{question_id}"))).json();
    assert_eq!(thread["root"]["seen_by"][0]["display_name"], json!("Manu"), "{thread}");
    assert_eq!(thread["reply_count"], json!(2));
    let transcript = get(&restored.api(&format!("/api/v1/clips/{question_id}/transcript"))).json();
    assert!(
        transcript["text"].as_str().unwrap().to_lowercase().contains("friday"),
        "{transcript}"
    );
}
