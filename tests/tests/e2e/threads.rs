//! A conversation across three time zones, built with the recorder's commands against the real
//! server: voice and text replies, a reply anchored at a moment, nested answers, seen receipts,
//! the inbox, tombstones.

use std::path::{Path, PathBuf};
use std::process::Command;

use offbeat_tests::http::request;
use offbeat_tests::server::{Backend, ServerProc, TestUser};
use offbeat_tests::tools::{recorder, run_ok, speech};
use serde_json::Value;

fn clip(dir: &Path, name: &str, text: &str) -> PathBuf {
    let wav = speech(dir, name, text);
    let out = dir.join(format!("{name}.opus"));
    run_ok(recorder().arg("encode").arg(&wav).arg(&out));
    out
}

/// The recorder, signed in as `user`.
fn as_user(user: &TestUser) -> Command {
    let mut cmd = recorder();
    cmd.env("OFFBEAT_TOKEN", &user.token);
    cmd
}

fn stdout(cmd: &mut Command) -> String {
    String::from_utf8(run_ok(cmd).stdout).unwrap().trim().to_owned()
}

fn get_as(server: &ServerProc, user: &TestUser, path: &str) -> Value {
    let reply = request(
        "GET",
        &server.api(path),
        &[("Authorization", &format!("Bearer {}", user.token))],
        None,
    );
    assert_eq!(reply.status, 200, "{path}: {}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

fn inbox_count(server: &ServerProc, user: &TestUser) -> Vec<i64> {
    get_as(server, user, "/api/v1/inbox")["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["unheard"].as_i64().unwrap())
        .collect()
}

#[test]
fn a_three_person_thread_across_time_zones() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProc::start(Backend::Local, &[]);
    let olive = server.user.clone(); // Europe/Berlin
    let manu = server.add_user("manu@example.com", "Manu", "Asia/Manila", "Default");
    let sam = server.add_user("sam@example.com", "Sam", "America/Sao_Paulo", "Default");
    let question = clip(
        dir.path(),
        "question",
        "Should we move the launch to Thursday? Please reply before Friday.",
    );
    let answer = clip(dir.path(), "answer", "Thursday works for me.");

    // Olive shares a question; the link is printed.
    let link = stdout(as_user(&olive).args(["share", "--file"]).arg(&question).args([
        "--title",
        "Launch day",
        "--server",
        &server.url,
    ]));
    assert!(link.starts_with(&format!("{}/c/", server.url)), "{link}");

    // Manu answers by voice at 0:02; Sam in text; Olive answers Manu's reply.
    let manu_said = stdout(
        as_user(&manu)
            .args(["reply", &link, "--at", "0:02", "--file"])
            .arg(&answer),
    );
    assert_eq!(manu_said.trim(), link, "reply prints the thread's page");
    run_ok(as_user(&sam).args(["reply", &link, "--text", "Thursday is fine, but not before noon."]));
    let root_id = server.clip_of_page(&link)["id"].as_str().unwrap().to_owned();
    let tree = get_as(&server, &olive, &format!("/api/v1/threads/{root_id}"));
    let manu_clip = tree["root"]["replies"][0]["message_id"].as_str().unwrap().to_owned();
    run_ok(as_user(&olive).args(["reply", &manu_clip, "--text", "Thanks Manu!", "--server", &server.url]));

    // A moment past the end of the clip answered is refused, clearly.
    let late = as_user(&sam)
        .args(["reply", &link, "--at", "9:59", "--text", "late"])
        .output()
        .unwrap();
    assert!(!late.status.success());
    let error = String::from_utf8_lossy(&late.stderr);
    assert!(error.contains("outside the clip answered"), "{error}");

    // Manu plays the question: the player reports the play, and that is the receipt
    // (fetching the media is not: see server/tests/router.rs).
    let played = request(
        "POST",
        &server.api(&format!("/api/v1/clips/{root_id}/seen")),
        &[("Authorization", &format!("Bearer {}", manu.token))],
        None,
    );
    assert_eq!(played.status, 204);

    // The tree: authors, local times in each author's zone, anchors, nesting, order.
    let tree = get_as(&server, &olive, &format!("/api/v1/threads/{root_id}"));
    let root = &tree["root"];
    assert_eq!(tree["reply_count"], 3);
    assert_eq!(root["kind"], "clip");
    assert_eq!(root["author"]["display_name"], "Olive Owner");
    assert_eq!(root["clip"]["title"], "Launch day");
    assert_eq!(root["utc_offset_minutes"], 60, "Berlin in November");
    let seen: Vec<&str> = root["seen_by"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["display_name"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ["Manu"]);
    let replies = root["replies"].as_array().unwrap();
    assert_eq!(replies.len(), 2);
    let (voice, text) = (&replies[0], &replies[1]);
    assert_eq!(voice["kind"], "clip");
    assert_eq!(voice["author"]["display_name"], "Manu");
    assert_eq!(voice["utc_offset_minutes"], 480);
    assert_eq!(voice["anchor_ms"], 2000);
    assert_eq!(voice["anchor"], "0:02");
    assert_eq!(
        voice["clip"]["title"], "",
        "a reply sent as a file is not titled after it"
    );
    assert!(voice["duration_ms"].as_i64().unwrap() > 1000);
    assert!(voice["created_at_local"].as_str().unwrap().ends_with("+08:00"));
    assert_eq!(text["kind"], "text");
    assert_eq!(text["author"]["display_name"], "Sam");
    assert_eq!(text["utc_offset_minutes"], -180);
    assert!(text["created_at_local"].as_str().unwrap().ends_with("-03:00"));
    let nested = voice["replies"].as_array().unwrap();
    assert_eq!(nested.len(), 1);
    assert_eq!(nested[0]["text"], "Thanks Manu!");
    assert_eq!(nested[0]["parent_id"], voice["reply_id"]);
    assert!(root["created_at"].as_str().unwrap() <= voice["created_at"].as_str().unwrap());
    assert!(voice["created_at"].as_str().unwrap() <= text["created_at"].as_str().unwrap());

    // Inboxes: what each has not heard or read (their own messages never count). Olive has
    // read the text replies by fetching the thread above; she has not heard Manu's voice.
    assert_eq!(inbox_count(&server, &olive), [1]);
    assert_eq!(inbox_count(&server, &manu), [2], "Sam's text and Olive's answer");
    assert_eq!(
        inbox_count(&server, &sam),
        [3],
        "the question, Manu's voice, Olive's answer"
    );
    // Sam listens to both clips and reads the thread: nothing new for Sam.
    for id in [root_id.as_str(), manu_clip.as_str()] {
        let played = request(
            "POST",
            &server.api(&format!("/api/v1/clips/{id}/seen")),
            &[("Authorization", &format!("Bearer {}", sam.token))],
            None,
        );
        assert_eq!(played.status, 204);
    }
    let printed = stdout(as_user(&sam).args(["thread", &link]));
    assert!(inbox_count(&server, &sam).is_empty());
    // The printed thread: who, where, when, the moment, transcripts or their status, receipts.
    for expected in [
        "Olive Owner",
        "(Europe/Berlin)",
        "Manu",
        "(Asia/Manila)",
        "at 0:02",
        "Thanks Manu!",
        "seen by Manu, Sam",
    ] {
        assert!(printed.contains(expected), "{expected:?} missing from:\n{printed}");
    }
    let inbox = stdout(as_user(&manu).args(["inbox", "--server", &server.url]));
    assert!(inbox.contains("2 new") && inbox.contains("Launch day"), "{inbox}");

    // Olive deletes her question: the thread stays readable around a tombstone.
    let deleted = request(
        "DELETE",
        &server.api(&format!("/api/v1/clips/{root_id}")),
        &[("Authorization", &format!("Bearer {}", olive.token))],
        None,
    );
    assert_eq!(deleted.status, 204);
    let after = get_as(&server, &manu, &format!("/api/v1/threads/{manu_clip}"));
    assert_eq!(after["root"]["kind"], "deleted");
    assert_eq!(after["root"]["replies"].as_array().unwrap().len(), 2);
    let gone = request(
        "GET",
        &server.api(&format!("/api/v1/clips/{root_id}/media")),
        &[("Authorization", &format!("Bearer {}", manu.token))],
        None,
    );
    assert_eq!(gone.status, 404);
}
