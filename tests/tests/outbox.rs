//! Local first: a take recorded by `recorder share` lives in the outbox until the server has
//! it. Killed mid-take, the recorder leaves a playable take that `recorder outbox` sends.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::Duration;

use offbeat_tests::http::get;
use offbeat_tests::process::Watched;
use offbeat_tests::pulse::VirtualMic;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::tools::{run_ok, speech_wav};
use sha2::{Digest, Sha256};

#[test]
fn a_take_killed_mid_recording_is_sent_by_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let server = ServerProc::start(Backend::Local, &[]);
    let mic = VirtualMic::start();
    let speech = speech_wav(
        dir.path(),
        "speech",
        "please review the quarterly budget before friday",
        48_000,
        1,
        &["-b", "16"],
    );
    let mut share = server.recorder();
    share.envs(mic.env()).env("OFFBEAT_OUTBOX_DIR", &outbox).args([
        "share",
        "--server",
        &server.url,
        "--title",
        "Standup",
    ]);
    let mut proc = Watched::spawn(&mut share);
    proc.wait_for_line("Recording from", Duration::from_secs(15));
    mic.play(&speech);
    std::thread::sleep(Duration::from_secs(3));
    proc.child.kill().unwrap(); // SIGKILL mid-take
    let (status, _) = proc.finish(Duration::from_secs(5));
    assert!(!status.success());

    // The take waits in the outbox, with what it is for.
    let takes: Vec<_> = std::fs::read_dir(&outbox)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "opus"))
        .collect();
    assert_eq!(takes.len(), 1, "{takes:?}");
    let take = std::fs::read(&takes[0]).unwrap();
    let listed = run_ok(
        server
            .recorder()
            .env("OFFBEAT_OUTBOX_DIR", &outbox)
            .args(["outbox", "--list"]),
    );
    assert!(String::from_utf8_lossy(&listed.stderr).contains(&server.url));

    // Next start: the outbox sends its playable part, confirmed by sha256, and empties.
    let sent = run_ok(server.recorder().env("OFFBEAT_OUTBOX_DIR", &outbox).arg("outbox"));
    let link = String::from_utf8(sent.stdout).unwrap().trim().to_owned();
    assert!(link.starts_with(&format!("{}/c/", server.url)), "{link}");
    let token = link.rsplit('/').next().unwrap();
    let clip = get(&server.api(&format!("/api/v1/shared/{token}"))).json();
    assert_eq!(clip["title"], "Standup");
    assert_eq!(clip["media"]["sha256"], hex::encode(Sha256::digest(&take)));
    let seconds = clip["duration_ms"].as_f64().unwrap() / 1000.0;
    assert!(seconds >= 2.0, "{seconds} s survived");
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 0, "the outbox is empty");
    let again = run_ok(server.recorder().env("OFFBEAT_OUTBOX_DIR", &outbox).arg("outbox"));
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty"));
}
