//! Local first: a take recorded by `recorder share` lives in the outbox until the server has
//! it. Killed mid-take, the recorder leaves a playable take that `recorder outbox` sends; takes
//! sent through a network that keeps dropping connections arrive byte-exact.

use std::time::Duration;

use offbeat_tests::http::get;
use offbeat_tests::process::Watched;
use offbeat_tests::proxy::FlakyProxy;
use offbeat_tests::pulse::VirtualMic;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::tools::{outbox_take, recorder, run_ok, speech};
use offbeat_tests::wait::{ogg_seconds, wait_until};
use sha2::{Digest, Sha256};

#[test]
fn a_take_killed_mid_recording_is_sent_by_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let server = ServerProc::start(Backend::Local, &[]);
    let mic = VirtualMic::start();
    let speech = speech(dir.path(), "speech", "please review the quarterly budget before friday");
    let mut proc = Watched::spawn(&mut server.share_command(&mic, &outbox, "Standup", &[]));
    proc.wait_for_line("Recording from", Duration::from_secs(15));
    mic.play(&speech);
    // Killed once the take on disk holds 2.5 s, whatever the machine's pace.
    wait_until("2.5 s in the outbox's take", Duration::from_secs(20), || {
        outbox_take(&outbox).filter(|take| ogg_seconds(take) >= 2.5)
    });
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

#[test]
fn twenty_takes_through_a_connection_dropping_network_all_arrive_byte_exact() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    std::fs::create_dir_all(&outbox).unwrap();
    // The server's public URL is the proxy's, so every request (and every URL the server
    // hands out) goes through it.
    let address = FlakyProxy::bind();
    let server = ServerProc::start(Backend::Local, &["--public-url", &address.url]);
    // Every connection is cut after 10–40 kB from the recorder — mid-request, mid-body or
    // between requests — so every take (40–56 kB) loses at least one on the way.
    let proxy = FlakyProxy::start(address, &server.url, |k| {
        Some(10_000 + (k as u64 * 7_919 * 104_729) % 30_000)
    });
    let mut takes = Vec::new();
    for i in 0..20 {
        let wav = dir.path().join(format!("tone-{i}.wav"));
        run_ok(
            // -R: the same noise every run, so every run cuts at the same places.
            std::process::Command::new("sox")
                .args(["-R", "-n", "-r", "48000", "-c", "1"])
                .arg(&wav)
                .args(["synth", &(5 + i % 3).to_string(), "pinknoise", "vol", "0.3"]),
        );
        let take = outbox.join(format!("take-20261125-0900{i:02}-000.opus"));
        run_ok(recorder().arg("encode").arg(&wav).arg(&take).args(["--bitrate", "64k"]));
        let meta = serde_json::json!({
            "server": proxy.url, "title": format!("Take {i}"), "reply_to": null, "at_ms": null, "upload_url": null,
        });
        std::fs::write(take.with_extension("json"), meta.to_string()).unwrap();
        takes.push(std::fs::read(&take).unwrap());
    }
    let sent = run_ok(server.recorder().env("OFFBEAT_OUTBOX_DIR", &outbox).arg("outbox"));
    let links: Vec<String> = String::from_utf8(sent.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(links.len(), 20, "{links:?}");
    eprintln!("{} connections were cut on the way", proxy.cuts());
    assert!(proxy.cuts() >= 20, "only {} connections were cut", proxy.cuts());
    for (i, (link, take)) in links.iter().zip(&takes).enumerate() {
        assert!(link.starts_with(&format!("{}/c/", proxy.url)), "{link}");
        let token = link.rsplit('/').next().unwrap();
        let clip = get(&server.api(&format!("/api/v1/shared/{token}"))).json();
        assert_eq!(clip["title"], format!("Take {i}"));
        assert_eq!(clip["media"]["sha256"], hex::encode(Sha256::digest(take)), "take {i}");
    }
    assert_eq!(std::fs::read_dir(&outbox).unwrap().count(), 0, "the outbox is empty");
}
