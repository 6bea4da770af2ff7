//! Trimming a message (issue 27): the owner cuts its start and end; the media is remuxed
//! without re-encoding (Ogg Opus to the sample, WebM from the keyframe before the cut), the
//! transcript and captions follow the cut, the original stays until the trim is kept — checked
//! with ffprobe, ffmpeg and opusinfo, on SQLite (voice, with the real speech model) and on
//! PostgreSQL (a camera take recorded by Chromium).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use offbeat_tests::audio::{best_alignment, decode_opus_mono};
use offbeat_tests::http::{Reply, get, request};
use offbeat_tests::postgres::PgCluster;
use offbeat_tests::server::{Backend, ServerProc, TestUser};
use offbeat_tests::speech::{transcribing_server, wait_for_transcript};
use offbeat_tests::tools::{ffmpeg_audio_samples, ffmpeg_decodes_cleanly, ffprobe_duration, require, run_ok};
use serde_json::{Value, json};

use crate::web_pages::{as_user, two_sentences, upload_as};

fn call(server: &ServerProc, user: &TestUser, method: &str, path: &str, body: Option<&Value>) -> Reply {
    let body = body.map(Value::to_string);
    request(
        method,
        &server.api(path),
        &[("Authorization", &as_user(user)), ("Content-Type", "application/json")],
        body.as_deref().map(str::as_bytes),
    )
}

fn ffprobe_secs(path: &Path) -> f64 {
    ffprobe_duration(path).parse().unwrap()
}

/// Milliseconds of sound ffmpeg decodes from a file: what a player plays.
fn ffmpeg_audio_ms(path: &Path) -> i64 {
    ffmpeg_audio_samples(path) as i64 / 48
}

fn download(clip: &Value, to: PathBuf) -> PathBuf {
    let reply = get(clip["media_url"].as_str().unwrap());
    assert_eq!(reply.status, 200);
    std::fs::write(&to, &reply.body).unwrap();
    to
}

fn words(transcript: &Value) -> Vec<(String, u64, u64)> {
    transcript["segments"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["words"].as_array().unwrap().clone())
        .map(|w| {
            (
                w["text"].as_str().unwrap().trim().to_lowercase(),
                w["start_ms"].as_u64().unwrap(),
                w["end_ms"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_trimmed_voice_message_plays_reads_and_captions_only_the_cut_until_undone_or_kept() {
    let dir = tempfile::tempdir().unwrap();
    let server = transcribing_server();
    let owner = server.user.clone();
    let teammate = server.add_user("tess@example.com", "Tess Teammate", "Asia/Manila", "Default");
    let source = two_sentences(dir.path());
    let clip = upload_as(&server, &owner, &source, "Budget");
    let id = clip["id"].as_str().unwrap().to_owned();
    let duration = clip["duration_ms"].as_i64().unwrap();
    let before = wait_for_transcript(&server, &id, Duration::from_secs(300));
    assert_eq!(before["status"], "ready", "{before}");
    let heard = words(&before);
    let thursday = heard
        .iter()
        .find(|(w, ..)| w.starts_with("thursday"))
        .unwrap_or_else(|| panic!("{heard:?}"))
        .1 as i64;
    let trim_path = format!("/api/v1/clips/{id}/trim");

    // Nobody but the owner trims; bad cuts are refused with a reason.
    let untouched = call(&server, &owner, "GET", &trim_path, None).json();
    assert_eq!(untouched["cut"], Value::Null);
    assert_eq!(untouched["original_kept"], false);
    let asked = json!({ "start_ms": thursday - 300, "end_ms": duration - 100 });
    assert_eq!(call(&server, &teammate, "PUT", &trim_path, Some(&asked)).status, 403);
    for bad in [
        json!({ "start_ms": -1, "end_ms": 1000 }),
        json!({ "start_ms": 0, "end_ms": duration + 1 }),
        json!({ "start_ms": 1000, "end_ms": 1200 }),
        json!({ "start_ms": 0, "end_ms": duration }),
    ] {
        let reply = call(&server, &owner, "PUT", &trim_path, Some(&bad));
        assert_eq!(reply.status, 400, "{bad}");
        assert!(!reply.error_message().is_empty());
    }

    // Moments answered before the cut: one inside what is kept, one cut away.
    let kept_moment = thursday + 200;
    let react = |at: i64, emoji: &str| {
        let reply = call(
            &server,
            &teammate,
            "POST",
            &format!("/api/v1/clips/{id}/reactions"),
            Some(&json!({ "emoji": emoji, "at_ms": at })),
        );
        assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    };
    react(kept_moment, "👍");
    react(500, "👀");
    let answer = call(
        &server,
        &teammate,
        "POST",
        &format!("/api/v1/threads/{id}/replies"),
        Some(&json!({ "text": "Thursday it is.", "at_ms": kept_moment })),
    );
    assert!(answer.status < 300);
    let moments = || -> (Vec<(String, Value)>, Value) {
        let thread = get(&server.api(&format!("/api/v1/threads/{id}"))).json();
        let mut reactions: Vec<(String, Value)> = thread["root"]["reactions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["emoji"].as_str().unwrap().to_owned(), r["at_ms"].clone()))
            .collect();
        reactions.sort_by(|a, b| a.0.cmp(&b.0));
        (reactions, thread["root"]["replies"][0]["anchor_ms"].clone())
    };

    // The owner's chapters, in the original's time.
    let summary_path = format!("/api/v1/clips/{id}/summary");
    let chapters = json!({ "chapters": [
        { "start_ms": 0, "title": "Budget" },
        { "start_ms": thursday, "title": "Thursday" },
    ] });
    assert_eq!(
        call(&server, &owner, "PATCH", &summary_path, Some(&chapters)).status,
        200
    );
    let chapter_times = || -> Vec<(String, i64)> {
        get(&server.api(&summary_path)).json()["chapters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| (c["title"].as_str().unwrap().to_owned(), c["start_ms"].as_i64().unwrap()))
            .collect()
    };

    // The cut: the first sentence and the pause go.
    let reply = call(&server, &owner, "PUT", &trim_path, Some(&asked));
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let trimmed = reply.json();
    let cut = &trimmed["cut"];
    assert_eq!(
        cut["start_ms"].as_i64(),
        Some(thursday - 300),
        "Ogg Opus is cut to the sample"
    );
    assert_eq!(cut["zero_ms"], cut["start_ms"]);
    assert_eq!(cut["end_ms"].as_i64(), Some(duration - 100));
    assert_eq!(trimmed["original_kept"], true);
    assert_eq!(trimmed["original_duration_ms"].as_i64(), Some(duration));
    let kept = duration - 100 - (thursday - 300);
    assert_eq!(trimmed["clip"]["duration_ms"].as_i64(), Some(kept));
    println!("trimmed {duration} ms to {kept} ms");

    // The media: Ogg Opus that opusinfo passes and ffprobe measures at the cut's length,
    // holding the same sound as that part of the original.
    let media = download(&trimmed["clip"], dir.path().join("trimmed.opus"));
    require(&["opusinfo"]);
    let info = String::from_utf8_lossy(&run_ok(Command::new("opusinfo").arg(&media)).stdout).into_owned();
    assert!(!info.contains("WARNING") && !info.contains("ERROR"), "{info}");
    // What ffmpeg plays is the cut to the millisecond; ffprobe's figure is the last granule
    // position, which counts the pre-skip (80 ms of decoder pre-roll and the part of the first
    // packet before the cut) as every Ogg Opus file's does.
    let played = ffmpeg_audio_ms(&media);
    assert_eq!(played, kept, "ffmpeg plays {played} ms of a {kept} ms cut");
    let pre_skip = offbeat_tests::audio::opus_facts(&media).head.pre_skip;
    assert!((3840..3840 + 960 + 312).contains(&pre_skip), "{pre_skip}");
    let probed = ffprobe_secs(&media);
    let granule_secs = (kept * 48 + i64::from(pre_skip)) as f64 / 48_000.0;
    assert!(
        (probed - granule_secs).abs() < 0.001,
        "ffprobe {probed} s vs {granule_secs}"
    );
    ffmpeg_decodes_cleanly(&media, None);
    let whole = decode_opus_mono(&source, 48_000);
    let part = decode_opus_mono(&media, 48_000);
    assert_eq!(part.len() as i64, kept * 48);
    let (lag, corr) = best_alignment(&part, &whole);
    println!("the cut sits at {lag} samples of the original, correlation {corr:.3}");
    assert!((lag - (thursday - 300) as isize * 48).abs() <= 48, "lag {lag}");
    assert!(corr > 0.95, "{corr}");

    // Transcript and captions follow the cut.
    let after = get(&server.api(&format!("/api/v1/clips/{id}/transcript"))).json();
    let text = after["text"].as_str().unwrap().to_lowercase();
    assert!(text.contains("thursday") && !text.contains("budget"), "{text}");
    let first = &words(&after)[0];
    assert!((200..=450).contains(&first.1), "{first:?} starts about 300 ms in");
    assert!(words(&after).iter().all(|(_, _, end)| *end as i64 <= kept));
    let vtt = String::from_utf8(get(&server.api(&format!("/api/v1/clips/{id}/transcript.vtt"))).body).unwrap();
    assert!(
        vtt.contains("00:00:00.") && !vtt.to_lowercase().contains("budget"),
        "{vtt}"
    );

    // Moments follow the cut: the one kept moves with it, the one cut away is no moment now;
    // one made on the cut is kept in the original's time.
    let (reactions, anchor) = moments();
    assert_eq!(
        anchor.as_i64(),
        Some(500),
        "the reply's moment, 300 + 200 ms into the cut"
    );
    assert_eq!(
        reactions,
        vec![("👀".to_owned(), Value::Null), ("👍".to_owned(), json!(500))]
    );
    react(100, "🎉");
    // Chapters too: the one the cut runs into starts it, the next is 300 ms in.
    assert_eq!(
        chapter_times(),
        [("Budget".to_owned(), 0), ("Thursday".to_owned(), 300)]
    );

    // Undo: the original plays again, byte for byte.
    let undone = call(&server, &owner, "DELETE", &trim_path, None);
    assert_eq!(undone.status, 200);
    assert_eq!(undone.json()["cut"], Value::Null);
    let again = get(clip["media_url"].as_str().unwrap());
    assert_eq!(again.body, std::fs::read(&source).unwrap());
    assert_eq!(call(&server, &owner, "DELETE", &trim_path, None).status, 409);
    let (reactions, anchor) = moments();
    assert_eq!(anchor.as_i64(), Some(kept_moment));
    assert_eq!(
        chapter_times(),
        [("Budget".to_owned(), 0), ("Thursday".to_owned(), thursday)],
        "undone, the chapters are where they were"
    );
    let party = reactions.iter().find(|(e, _)| e == "🎉").unwrap();
    assert_eq!(party.1.as_i64(), Some(thursday - 300 + 100), "{reactions:?}");

    // Trim twice (the second cuts the first), then keep: the original is gone for good.
    let first_cut = json!({ "start_ms": 1000, "end_ms": duration });
    assert_eq!(call(&server, &owner, "PUT", &trim_path, Some(&first_cut)).status, 200);
    let second_cut = json!({ "start_ms": 500, "end_ms": duration - 1000 - 500 });
    let twice = call(&server, &owner, "PUT", &trim_path, Some(&second_cut)).json();
    assert_eq!(twice["cut"]["start_ms"].as_i64(), Some(1500), "{twice}");
    assert_eq!(twice["cut"]["end_ms"].as_i64(), Some(duration - 500));
    let store = server.data_dir().join("clips-store/clips");
    let objects = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&store)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(&id) && !n.ends_with(".vtt"))
            .collect();
        names.sort();
        names
    };
    assert_eq!(objects().len(), 2, "the original and the latest cut: {:?}", objects());
    let kept_for_good = call(&server, &owner, "POST", &format!("{trim_path}/keep"), None);
    assert_eq!(kept_for_good.status, 200);
    assert_eq!(kept_for_good.json()["original_kept"], false);
    let left = objects();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(left[0].contains(".cut-"), "{left:?}");
    assert_eq!(call(&server, &owner, "DELETE", &trim_path, None).status, 409);
    let final_clip = get(&server.api(&format!("/api/v1/clips/{id}"))).json();
    assert_eq!(final_clip["duration_ms"].as_i64(), Some(duration - 2000));
    assert_eq!(
        ffmpeg_audio_ms(&download(&final_clip, dir.path().join("kept.opus"))),
        duration - 2000
    );

    // Deleting the message deletes the cut with it.
    assert_eq!(
        call(&server, &owner, "DELETE", &format!("/api/v1/clips/{id}"), None).status,
        204
    );
    assert!(objects().is_empty(), "{:?}", objects());
}

#[test]
fn a_camera_take_is_cut_from_the_keyframe_before_and_plays_cleanly_on_postgresql() {
    let dir = tempfile::tempdir().unwrap();
    let postgres = PgCluster::start();
    let server = ServerProc::start(Backend::Local, &["--database-url", &postgres.url()]);
    let owner = server.user.clone();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/chromium-video.webm");
    let clip = upload_as(&server, &owner, &source, "Camera");
    let id = clip["id"].as_str().unwrap().to_owned();
    let original = get(clip["media_url"].as_str().unwrap()).body;
    let trim_path = format!("/api/v1/clips/{id}/trim");

    let reply = call(
        &server,
        &owner,
        "PUT",
        &trim_path,
        Some(&json!({ "start_ms": 1000, "end_ms": 2500 })),
    );
    assert_eq!(reply.status, 200, "{}", String::from_utf8_lossy(&reply.body));
    let trimmed = reply.json();
    let cut = &trimmed["cut"];
    // Chromium's only keyframe is its first frame: the picture starts there, the sound at the
    // 60 ms packet holding 1.000 s.
    assert_eq!(cut["zero_ms"].as_i64(), Some(4), "{cut}");
    let from = cut["start_ms"].as_i64().unwrap();
    assert!((940..=1000).contains(&from), "{cut}");
    let end = cut["end_ms"].as_i64().unwrap();
    assert!((2500..2560).contains(&end), "{cut}");
    let clip_now = &trimmed["clip"];
    assert_eq!(clip_now["media"]["container"], "webm");
    assert_eq!(clip_now["media"]["has_video"], true);
    let duration = clip_now["duration_ms"].as_i64().unwrap();
    assert!((end - 4 - duration).abs() <= 40, "{duration} vs {cut}");

    let media = download(clip_now, dir.path().join("trimmed.webm"));
    let probed = ffprobe_secs(&media);
    assert!(
        (probed - duration as f64 / 1000.0).abs() < 0.05,
        "ffprobe {probed} vs {duration} ms"
    );
    ffmpeg_decodes_cleanly(&media, None);
    // The sound inside is exactly the kept packets: from the cut's start to its end.
    let sound_ms = ffmpeg_audio_ms(&media);
    println!("cut {cut}: {duration} ms long, {sound_ms} ms of sound");
    assert!(
        (sound_ms - (end - from)).abs() <= 30,
        "{sound_ms} ms of sound for {cut}"
    );
    // Seeking into it works (Cues ahead of the clusters).
    ffmpeg_decodes_cleanly(&media, Some(1.0));

    // Undo gives back the very bytes served before.
    assert_eq!(call(&server, &owner, "DELETE", &trim_path, None).status, 200);
    assert_eq!(get(clip["media_url"].as_str().unwrap()).body, original);
}
