//! Benchmark: 1, 2 and 3 server processes on one PostgreSQL and one SeaweedFS, under takes
//! streamed while recorded (tus: a session, pieces every 20 ms, the final one) and reads (the
//! clip list, a thread, a playback page, search) at once. Requests per second, p50/p99 per
//! route, errors. Run with `scripts/bench scale`.

// A benchmark harness: failing loudly is right.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use offbeat_tests::postgres::PgCluster;
use offbeat_tests::seaweedfs::SeaweedFs;
use offbeat_tests::server::{Backend, ServerProc};

/// A take as the browser sends it (WebM, Opus).
const TAKE: &[u8] = include_bytes!("../../../tests/fixtures/chromium-audio.webm");
/// Bytes per PATCH: a second of a voice take.
const PIECE: usize = 2_000;

fn seconds() -> Duration {
    Duration::from_secs(if offbeat_tests::bench_smoke() { 2 } else { 20 })
}

/// What one request took, and whether it worked.
type Sample = (&'static str, Duration, bool);

fn main() {
    let postgres = PgCluster::start();
    let weed = SeaweedFs::start();
    let url = postgres.url();
    let first = ServerProc::start(Backend::SeaweedFs(&weed), &["--database-url", &url]);
    let processes = [first.another(), first.another()];
    let all: Vec<&ServerProc> = std::iter::once(&first).chain(processes.iter()).collect();
    // Something to read: a clip with its thread and page.
    let clip = first.upload_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/chromium-audio.webm"
    )));
    let reads = Arc::new(vec![
        ("GET /api/v1/clips", "/api/v1/clips?limit=20".to_owned()),
        (
            "GET /api/v1/threads/{id}",
            format!("/api/v1/threads/{}", clip["id"].as_str().unwrap()),
        ),
        (
            "GET /c/{token}",
            clip["page_url"]
                .as_str()
                .unwrap()
                .split_once("/c/")
                .map(|(_, t)| format!("/c/{t}"))
                .unwrap(),
        ),
        ("GET /api/v1/search", "/api/v1/search?q=plan".to_owned()),
    ]);
    let (writers, readers) = (8, 8);
    println!(
        "scale: {writers} takes streamed and {readers} readers at once for {} s, on PostgreSQL + SeaweedFS (2 cores in all)",
        seconds().as_secs()
    );
    let mut baseline = None;
    for n in 1..=all.len() {
        let bases: Arc<Vec<String>> = Arc::new(all[..n].iter().map(|p| p.url.clone()).collect());
        let samples = run(&bases, &first.user.token, &reads, writers, readers);
        let ok = samples.iter().filter(|s| s.2).count();
        let rps = ok as f64 / seconds().as_secs_f64();
        let errors = samples.len() - ok;
        let ratio = baseline.map_or(1.0, |b| rps / b);
        baseline.get_or_insert(rps);
        println!(
            "  {n} process{}: {rps:8.1} requests/s ({ratio:.2}× one), errors {errors}  [target 0: {}]",
            if n == 1 { "  " } else { "es" },
            if errors == 0 { "met" } else { "MISSED" }
        );
        let mut by_route: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
        for (route, took, _) in samples.iter().filter(|s| s.2) {
            by_route.entry(route).or_default().push(*took);
        }
        for (route, mut times) in by_route {
            times.sort();
            let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize].as_secs_f64() * 1000.0;
            println!(
                "    {route:<28}{:6} requests  p50 {:7.1} ms  p99 {:7.1} ms",
                times.len(),
                at(0.5),
                at(0.99)
            );
        }
    }
}

/// Runs the workload against `bases` (each request to the next process in turn).
fn run(
    bases: &Arc<Vec<String>>,
    token: &str,
    reads: &Arc<Vec<(&'static str, String)>>,
    writers: usize,
    readers: usize,
) -> Vec<Sample> {
    let stop = Arc::new(AtomicBool::new(false));
    let turn = Arc::new(AtomicUsize::new(0));
    let auth = format!("Bearer {token}");
    let mut threads = Vec::new();
    for _ in 0..writers {
        let (bases, stop, turn, auth) = (bases.clone(), stop.clone(), turn.clone(), auth.clone());
        threads.push(std::thread::spawn(move || {
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                stream_take(&bases, &turn, &auth, &mut samples);
            }
            samples
        }));
    }
    for _ in 0..readers {
        let (bases, stop, turn, auth, reads) = (bases.clone(), stop.clone(), turn.clone(), auth.clone(), reads.clone());
        threads.push(std::thread::spawn(move || {
            let mut samples = Vec::new();
            let mut k = 0;
            while !stop.load(Ordering::Relaxed) {
                let (route, path) = &reads[k % reads.len()];
                k += 1;
                let base = next(&bases, &turn);
                let started = Instant::now();
                let ok = ureq::get(&format!("{base}{path}"))
                    .set("Authorization", &auth)
                    .call()
                    .is_ok();
                samples.push((*route, started.elapsed(), ok));
            }
            samples
        }));
    }
    std::thread::sleep(seconds());
    stop.store(true, Ordering::Relaxed);
    threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
}

fn next<'a>(bases: &'a [String], turn: &AtomicUsize) -> &'a str {
    &bases[turn.fetch_add(1, Ordering::Relaxed) % bases.len()]
}

/// One take: a session, its pieces every 20 ms (each through the next process), the last with
/// the length; the clip is then final.
fn stream_take(bases: &[String], turn: &AtomicUsize, auth: &str, samples: &mut Vec<Sample>) {
    let started = Instant::now();
    let created = ureq::post(&format!("{}/api/v1/uploads", next(bases, turn)))
        .set("Authorization", auth)
        .set("Tus-Resumable", "1.0.0")
        .set("Upload-Defer-Length", "1")
        .call();
    samples.push(("POST /api/v1/uploads", started.elapsed(), created.is_ok()));
    let Ok(created) = created else { return };
    let location = created.header("location").unwrap_or_default().to_owned();
    let path = &location[location.find("/api/").unwrap_or(0)..];
    let mut at = 0;
    while at < TAKE.len() {
        let end = (at + PIECE).min(TAKE.len());
        let mut patch = ureq::patch(&format!("{}{path}", next(bases, turn)))
            .set("Authorization", auth)
            .set("Tus-Resumable", "1.0.0")
            .set("Upload-Offset", &at.to_string())
            .set("Content-Type", "application/offset+octet-stream");
        if end == TAKE.len() {
            patch = patch.set("Upload-Length", &TAKE.len().to_string());
        }
        let started = Instant::now();
        let sent = patch.send_bytes(&TAKE[at..end]);
        let route = if end == TAKE.len() {
            "PATCH (last: the clip)"
        } else {
            "PATCH /api/v1/uploads/{id}"
        };
        samples.push((route, started.elapsed(), sent.is_ok()));
        if sent.is_err() {
            return;
        }
        at = end;
        std::thread::sleep(Duration::from_millis(20));
    }
}
