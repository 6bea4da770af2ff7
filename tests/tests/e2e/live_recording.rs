//! Instant links: `recorder share` sends the take while it records. The link exists from the
//! start (its page says "recording…"), a server that goes away mid-take costs nothing, and the
//! stored clip is byte for byte the local take.

use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use offbeat_tests::http::{get, request};
use offbeat_tests::process::Watched;
use offbeat_tests::pulse::VirtualMic;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::tools::{outbox_take, require, speech};
use offbeat_tests::wait::wait_until;
use sha2::{Digest, Sha256};

/// The upload session the recorder noted beside its take.
fn session_url(take: &Path) -> Option<String> {
    let meta: serde_json::Value = serde_json::from_slice(&std::fs::read(take.with_extension("json")).ok()?).ok()?;
    meta["upload_url"].as_str().map(str::to_owned)
}

#[test]
fn a_server_restart_mid_recording_costs_nothing_and_the_link_is_live_from_the_start() {
    require(&["opusinfo"]);
    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let mut server = ServerProc::start(Backend::Local, &[]);
    let mic = VirtualMic::start();
    let speech = speech(
        dir.path(),
        "speech",
        "good morning, here is the update on the quarterly budget before friday",
    );
    let mut share = server.share_command(&mic, &outbox, "Budget update", &["--max-duration", "30s"]);
    let mut proc = Watched::spawn(&mut share);
    let mut stdout = proc.child.stdout.take().unwrap();

    // The link comes before the first word.
    let early_link = proc.announced_link(Duration::from_secs(15));
    assert!(early_link.starts_with(&format!("{}/c/", server.url)), "{early_link}");
    proc.wait_for_line("Recording from", Duration::from_secs(15));
    let started = Instant::now();
    mic.play(&speech);
    let take = wait_until("the take in the outbox", Duration::from_secs(5), || {
        outbox_take(&outbox)
    });
    // A second name for the take's file: it outlives the recorder removing the take once sent.
    let kept = dir.path().join("kept.opus");
    std::fs::hard_link(&take, &kept).unwrap();

    // While recording, the page says so — to the workspace only, like the clip it becomes.
    let page = get(&early_link);
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("Olive Owner is recording this message"), "{html}");
    assert!(html.contains("Budget update"));
    let anonymous = request("GET", &early_link, &[("Authorization", "")], None);
    assert_eq!(anonymous.status, 404);

    // The take streams as it is recorded: the server holds a growing prefix of it.
    let session = wait_until("the upload session", Duration::from_secs(5), || session_url(&take));
    let offset_at = |url: &str| get(url).json()["offset"].as_u64().unwrap();
    let first = wait_until("bytes on the server", Duration::from_secs(5), || {
        Some(offset_at(&session)).filter(|&o| o > 0)
    });
    let before_kill = wait_until("the server's offset growing", Duration::from_secs(10), || {
        Some(offset_at(&session)).filter(|&o| o > first)
    });
    let mut prefix = vec![0u8; before_kill as usize];
    std::fs::File::open(&take).unwrap().read_exact(&mut prefix).unwrap();

    // 10 s in: the server dies; 5 s later it is back. Recording never stops.
    while started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(50));
    }
    server.kill();
    // Back once the recorder has noticed it is gone (and kept recording, as the end shows).
    proc.wait_for_line("Cannot reach", Duration::from_secs(15));
    mic.play(&speech);
    server.restart();
    let (status, stderr) = proc.finish(Duration::from_secs(60));
    let mut link = String::new();
    stdout.read_to_string(&mut link).unwrap();
    assert!(status.success(), "{stderr:#?}");
    assert!(stderr.iter().any(|l| l.starts_with("Cannot reach")), "{stderr:#?}");
    assert!(stderr.iter().any(|l| l.starts_with("Reconnected")), "{stderr:#?}");

    // The link printed at the end is the one given at the start, and the clip behind it is the
    // whole take, byte for byte.
    assert_eq!(link.trim(), early_link);
    let token = early_link.rsplit('/').next().unwrap();
    let clip = get(&server.api(&format!("/api/v1/shared/{token}"))).json();
    assert_eq!(clip["title"], "Budget update");
    let seconds = clip["duration_ms"].as_f64().unwrap() / 1000.0;
    assert!((29.0..=31.0).contains(&seconds), "{seconds} s");
    let local = std::fs::read(&kept).unwrap();
    let local_sha = hex::encode(Sha256::digest(&local));
    assert_eq!(clip["media"]["sha256"], local_sha.as_str());
    let media = get(&server.api(&format!("/api/v1/clips/{}/media", clip["id"].as_str().unwrap())));
    assert_eq!(media.status, 200);
    assert_eq!(hex::encode(Sha256::digest(&media.body)), local_sha);
    assert_eq!(&local[..prefix.len()], &prefix[..], "what was sent early never changed");
    let opusinfo = std::process::Command::new("opusinfo").arg(&kept).output().unwrap();
    let report = String::from_utf8_lossy(&opusinfo.stdout);
    assert!(
        opusinfo.status.success() && !report.contains("WARNING") && !report.contains("ERROR"),
        "{report}"
    );
    assert!(
        outbox_take(&outbox).is_none(),
        "the take left the outbox once confirmed"
    );

    // And the page is the player now.
    let page = String::from_utf8_lossy(&get(&early_link).body).into_owned();
    assert!(!page.contains("is recording"), "{page}");
    assert!(page.contains("<audio"), "{page}");
}

#[test]
fn record_with_share_keeps_the_file_and_sends_it_while_recording() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProc::start(Backend::Local, &[]);
    let mic = VirtualMic::start();
    let output = dir.path().join("standup.opus");
    let mut record = server.recorder();
    record
        .envs(mic.env())
        .env("OFFBEAT_OUTBOX_DIR", dir.path().join("outbox"))
        .arg("record")
        .arg("-o")
        .arg(&output)
        .args(["--share", "--public", "--server", &server.url, "--max-duration", "3s"]);
    let out = offbeat_tests::tools::run_ok(&mut record);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert_eq!(Path::new(lines[0]), output);
    assert!(lines[1].starts_with(&format!("{}/c/", server.url)), "{stdout}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("Link: {}", lines[1])),
        "the link came first: {stderr}"
    );
    // Shared by link: a stranger may play it; the stored clip is the kept file.
    let token = lines[1].rsplit('/').next().unwrap();
    let clip = request(
        "GET",
        &server.api(&format!("/api/v1/shared/{token}")),
        &[("Authorization", "")],
        None,
    );
    assert_eq!(clip.status, 200);
    let local = std::fs::read(&output).unwrap();
    assert_eq!(
        clip.json()["media"]["sha256"],
        hex::encode(Sha256::digest(&local)).as_str()
    );
    let seconds = clip.json()["duration_ms"].as_f64().unwrap() / 1000.0;
    assert!((2.9..=3.1).contains(&seconds), "{seconds} s");
    assert!(outbox_take(&dir.path().join("outbox")).is_none());
}
