//! Benchmark: stop-to-link latency — from the moment a recording stops until its share link is
//! known and the clip is final — for 1-minute and 10-minute takes (median of 5 each), beside a
//! one-shot upload of the same take after stop, in one run. Run with `scripts/bench link`.
//!
//! The takes go through the recorder's own code: the Ogg Opus encoder writing a live file
//! (pages every 500 ms), the live sender streaming its settled bytes into a tus session while
//! it grows, and after stop the outbox's finishing send (tail, length, sha256 confirmation).
//! Only the microphone is replaced: speech from a WAV is fed at 20× real time so ten-minute
//! takes fit in a benchmark, slowing to real time for the last 2 s so the sender is in the
//! state a live recording leaves it in at stop (at most one page and one poll behind). The
//! one-shot reference POSTs the finished file (`recorder upload`'s code) and asks for the link
//! (as `recorder share --file` does).
//!
//! Then browser takes: WebM as MediaRecorder writes it (a voice take, Opus only; a camera
//! take, VP8 640×480 at 1 Mbit/s + Opus), sent as the record button sends them: a deferred-
//! length tus session fed one timeslice (a second of bytes) at a time, here at 100× real time
//! but the last 2 s live; at stop the last timeslice with the length, then the session read
//! back for its sha256 (the button's confirmation). Against the same one-shot reference.

// A benchmark harness: failing loudly is right.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use media::{EncoderSettings, InputFormat, LiveOggFile, OggOpusEncoder};
use offbeat_tests::postgres::PgCluster;
use offbeat_tests::proxy::{FlakyProxy, RoundRobinProxy};
use offbeat_tests::s3::S3Server;
use offbeat_tests::seaweedfs::SeaweedFs;
use offbeat_tests::server::{Backend, ServerProc};
use recorder::live_send::LiveSend;
use recorder::outbox::{self, TakeMeta};
use recorder::tus::{NewUpload, TusClient};
use sha2::{Digest, Sha256};

/// Runs per case, and the take lengths (a smoke run: one short take of each kind).
fn runs() -> usize {
    if offbeat_tests::bench_smoke() { 1 } else { 5 }
}

fn take_secs() -> &'static [u32] {
    if offbeat_tests::bench_smoke() {
        &[10]
    } else {
        &[60, 600]
    }
}

/// "10 min", or "10 s" for a smoke run's short takes.
fn length(secs: u32) -> String {
    if secs >= 60 {
        format!("{:>2} min", secs / 60)
    } else {
        format!("{secs:>2} s")
    }
}
const SPEED: f64 = 20.0;
const REAL_TIME_TAIL_SECS: f64 = 2.0;
const TARGET_MS: f64 = 250.0;
/// Browser takes are only bytes to send: faster, so ten-minute takes stay quick to measure.
const BROWSER_SPEED: f64 = 100.0;

/// Runs this benchmark in a child process against the server at `url`.
fn measure_in_child(wav: &Path, name: &str, url: &str, token: &str) {
    let work = tempfile::tempdir().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .arg(wav)
        .env("OFFBEAT_BENCH_SERVER", url)
        .env("OFFBEAT_BENCH_BACKEND", name)
        .env("OFFBEAT_TOKEN", token)
        .env("OFFBEAT_OUTBOX_DIR", work.path().join("outbox"))
        .env("OFFBEAT_CONFIG_DIR", work.path().join("config"))
        .status()
        .unwrap();
    if !status.success() {
        std::process::exit(status.code().unwrap_or(1));
    }
}

fn main() {
    let wav = PathBuf::from(std::env::args().nth(1).expect("usage: bench-link SPEECH_WAV"));
    if std::env::var_os("OFFBEAT_BENCH_SERVER").is_none() {
        // The recorder's code takes its token and outbox from the environment: measure in a
        // child process that has them. Once on local storage (the default), once on S3, once on
        // a cluster: three processes on PostgreSQL and SeaweedFS behind a round-robin balancer.
        let s3 = S3Server::start();
        for (name, backend) in [("local storage", Backend::Local), ("S3 (s3s-fs)", Backend::S3(&s3))] {
            let server = ServerProc::start(backend, &[]);
            measure_in_child(&wav, name, &server.url, &server.user.token);
        }
        let postgres = PgCluster::start();
        let weed = SeaweedFs::start();
        let balancer = FlakyProxy::bind();
        let (url, public) = (postgres.url(), balancer.url.clone());
        let flags = ["--database-url", url.as_str(), "--public-url", public.as_str()];
        let first = ServerProc::start(Backend::SeaweedFs(&weed), &flags);
        let cluster = [first.another(), first.another()];
        let upstreams = std::iter::once(&first).chain(&cluster).map(|p| p.url.clone()).collect();
        let balancer = RoundRobinProxy::start(balancer, upstreams);
        // SeaweedFS allocates its volumes on the first write: not part of any take's finish.
        first.upload_file(Path::new(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/chromium-audio.webm"
        )));
        let name = "3 processes (PostgreSQL + SeaweedFS, round-robin, every request through the next)";
        measure_in_child(&wav, name, &balancer.url, &first.user.token);
        return;
    }
    let server = std::env::var("OFFBEAT_BENCH_SERVER").unwrap();
    let keep = tempfile::tempdir().unwrap();
    let (rate, speech) = read_wav(&wav);
    println!(
        "stop-to-link, {}: stop → share link printed and clip final; server and recorder on 127.0.0.1",
        std::env::var("OFFBEAT_BENCH_BACKEND").unwrap_or_default()
    );
    println!(
        "  (median of {}; live: streamed while recorded, fed at {SPEED}× real time but the last {REAL_TIME_TAIL_SECS} s live)",
        runs()
    );
    for &secs in take_secs() {
        let secs = secs as usize;
        let pcm = &speech[..(secs * rate as usize).min(speech.len())];
        let mut live = Vec::new();
        let mut oneshot = Vec::new();
        for run in 0..runs() {
            let kept = keep.path().join(format!("take-{secs}-{run}.opus"));
            let (elapsed, clip) = live_take(&server, pcm, rate, &kept);
            let seconds = clip["duration_ms"].as_f64().unwrap() / 1000.0;
            assert!((seconds - secs as f64).abs() < 0.1, "the clip holds {seconds} s");
            live.push(elapsed);
            oneshot.push(oneshot_upload(&server, &kept));
        }
        let take = keep.path().join(format!("take-{secs}-0.opus"));
        report(&format!("{} take", length(secs as u32)), &take, &live, &oneshot);
    }
    println!(
        "  browser takes (WebM sent in 1 s timeslices at {BROWSER_SPEED}× real time, the last {REAL_TIME_TAIL_SECS} s live):"
    );
    let bench_dir = wav.parent().unwrap_or(Path::new("."));
    let cases = ["voice", "camera"]
        .into_iter()
        .flat_map(|kind| take_secs().iter().map(move |&secs| (kind, secs)));
    for (kind, secs) in cases {
        let webm = browser_webm(bench_dir, &wav, kind, secs);
        let mut live = Vec::new();
        let mut oneshot = Vec::new();
        for _ in 0..runs() {
            live.push(browser_take(&server, &webm, secs));
            oneshot.push(oneshot_upload(&server, &webm));
        }
        report(&format!("{} {kind:6}", length(secs)), &webm, &live, &oneshot);
    }
}

/// A WebM as a browser records it (clusters of unknown size, no Duration, no Cues), made once
/// and kept beside the speech: the speech alone ("voice"), or with a moving test picture
/// ("camera").
fn browser_webm(dir: &Path, speech: &Path, kind: &str, secs: u32) -> PathBuf {
    let out = dir.join(format!("browser-{kind}-{secs}s.webm"));
    if out.exists() {
        return out;
    }
    let partial = dir.join(format!("browser-{kind}-{secs}s.partial.webm"));
    let secs_arg = secs.to_string();
    let speech = speech.to_str().unwrap();
    let mut args = vec!["-i", speech];
    if kind == "camera" {
        args.extend(["-f", "lavfi", "-i", "testsrc2=size=640x480:rate=30"]);
        args.extend([
            "-c:v",
            "libvpx",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
            "-b:v",
            "1M",
        ]);
        args.extend(["-map", "1:v", "-map", "0:a"]);
    }
    args.extend([
        "-t", &secs_arg, "-c:a", "libopus", "-b:a", "64k", "-live", "1", "-f", "webm",
    ]);
    offbeat_tests::tools::ffmpeg(&args, &partial);
    std::fs::rename(&partial, &out).unwrap();
    out
}

/// Sends `webm` as the record button does while recording; returns the time from stop to a
/// final clip whose sha256 is confirmed.
fn browser_take(server: &str, webm: &Path, secs: u32) -> Duration {
    let body = std::fs::read(webm).unwrap();
    let tus = TusClient::new(server, Duration::from_secs(60)).unwrap();
    let created = tus
        .create(&NewUpload {
            title: Some("Browser benchmark take"),
            public: false,
            length: None,
        })
        .unwrap();
    assert!(created.page_url.is_some(), "no link at the start");
    let slice = body.len().div_ceil(secs as usize);
    let slices: Vec<&[u8]> = body.chunks(slice).collect();
    let live_from = slices.len().saturating_sub(REAL_TIME_TAIL_SECS as usize);
    let started = Instant::now();
    let mut offset = 0u64;
    for (i, piece) in slices[..slices.len() - 1].iter().enumerate() {
        let due = if i < live_from {
            i as f64 / BROWSER_SPEED
        } else {
            live_from as f64 / BROWSER_SPEED + (i - live_from) as f64
        };
        let ahead = due - started.elapsed().as_secs_f64();
        if ahead > 0.0 {
            std::thread::sleep(Duration::from_secs_f64(ahead));
        }
        tus.append(&created.url, offset, piece, None).unwrap().unwrap();
        offset += piece.len() as u64;
    }
    // The last timeslice arrives a second after the one before it: stop.
    let due = live_from as f64 / BROWSER_SPEED + (slices.len() - 1 - live_from) as f64;
    let ahead = due - started.elapsed().as_secs_f64();
    if ahead > 0.0 {
        std::thread::sleep(Duration::from_secs_f64(ahead));
    }
    let stopped = Instant::now();
    let last = slices[slices.len() - 1];
    let done = tus
        .append(&created.url, offset, last, Some(body.len() as u64))
        .unwrap()
        .unwrap();
    assert!(done.clip_id.is_some(), "the clip is final");
    let session: serde_json::Value = tus
        .agent()
        .get(&created.url)
        .set("Authorization", tus.auth())
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let elapsed = stopped.elapsed();
    assert_eq!(session["sha256"].as_str().unwrap(), hex::encode(Sha256::digest(&body)));
    elapsed
}

/// Records `pcm` as the recorder does while sending it live; returns the time from stop to
/// the link, and the clip. A copy of the take is kept at `kept` for the one-shot reference.
fn live_take(server: &str, pcm: &[f32], rate: u32, kept: &Path) -> (Duration, serde_json::Value) {
    let meta = TakeMeta {
        server: server.to_owned(),
        title: Some("Benchmark take".into()),
        reply_to: None,
        at_ms: None,
        answer_round: None,
        upload_url: None,
        public: false,
    };
    let take = outbox::new_take(&meta).unwrap();
    let settled = Arc::new(AtomicU64::new(0));
    let sender = LiveSend::start(&take, meta, Arc::clone(&settled), Duration::from_secs(2)).unwrap();
    assert!(sender.page_url().is_some(), "no link at the start");
    let file = std::fs::File::create(&take).unwrap();
    let mut encoder = OggOpusEncoder::new(
        LiveOggFile::with_settled(file, settled),
        InputFormat {
            sample_rate: rate,
            channels: 1,
        },
        EncoderSettings {
            page_millis: recorder::record::LIVE_PAGE_MILLIS,
            ..EncoderSettings::default()
        },
        recorder::tags::for_recording(Some("Benchmark take")),
    )
    .unwrap();
    // 10 ms blocks, as the capture loop delivers them.
    let block = rate as usize / 100;
    let started = Instant::now();
    let tail_from = pcm
        .len()
        .saturating_sub((REAL_TIME_TAIL_SECS * f64::from(rate)) as usize);
    let mut fed = 0usize;
    for chunk in pcm.chunks(block) {
        encoder.push(chunk).unwrap();
        fed += chunk.len();
        let audio_secs = fed as f64 / f64::from(rate);
        let tail_secs = fed.saturating_sub(tail_from) as f64 / f64::from(rate);
        let due = (audio_secs - tail_secs) / SPEED + tail_secs;
        let ahead = due - started.elapsed().as_secs_f64();
        if ahead > 0.0 {
            std::thread::sleep(Duration::from_secs_f64(ahead));
        }
    }
    // Stop.
    let stopped = Instant::now();
    let (writer, _) = encoder.finish().unwrap();
    writer.into_file().unwrap().sync_all().unwrap();
    std::fs::hard_link(&take, kept).unwrap();
    let meta = sender.stop();
    let clip = outbox::send(&take, meta, 1).unwrap();
    let link = clip["page_url"].as_str().unwrap().to_owned();
    let elapsed = stopped.elapsed();
    assert!(link.contains("/c/"), "{link}");
    assert_eq!(clip["status"], "ready");
    (elapsed, clip)
}

/// The reference: the finished take POSTed in one go after stop, then its link asked for.
fn oneshot_upload(server: &str, take: &Path) -> Duration {
    let stopped = Instant::now();
    let clip = recorder::upload::upload(take, server, None, None).unwrap();
    let shown = recorder::threads::Api::new(server)
        .get(&format!("/api/v1/clips/{}", clip.id))
        .unwrap();
    assert!(shown["sharing"]["url"].as_str().is_some());
    stopped.elapsed()
}

fn read_wav(path: &Path) -> (u32, Vec<f32>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    assert_eq!(spec.channels, 1, "a mono WAV");
    let samples = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = (1i64 << (spec.bits_per_sample - 1)) as f32;
            reader.samples::<i32>().map(|s| s.unwrap() as f32 / scale).collect()
        }
    };
    (spec.sample_rate, samples)
}

/// One line of figures for a kind of take (its first run's file is `take`), and every run.
fn report(label: &str, take: &Path, live: &[Duration], oneshot: &[Duration]) {
    let (l, o) = (median_ms(live), median_ms(oneshot));
    println!(
        "  {label} ({} bytes): live {l:7.1} ms   one-shot upload after stop {o:7.1} ms   ratio {:5.1}×  [target live <= {TARGET_MS} ms: {}]",
        std::fs::metadata(take).unwrap().len(),
        o / l,
        if l <= TARGET_MS { "met" } else { "MISSED" }
    );
    println!(
        "      all runs: live {} ms; one-shot {} ms",
        list_ms(live),
        list_ms(oneshot)
    );
}

fn median_ms(runs: &[Duration]) -> f64 {
    let mut ms: Vec<f64> = runs.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    ms[ms.len() / 2]
}

fn list_ms(runs: &[Duration]) -> String {
    runs.iter()
        .map(|d| format!("{:.1}", d.as_secs_f64() * 1000.0))
        .collect::<Vec<_>>()
        .join(", ")
}
