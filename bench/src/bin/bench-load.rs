//! Benchmark: one server on the embedded defaults (SQLite, local disk) under N recorders
//! streaming takes — a tus session, a piece every second as the record button sends them, the
//! last one making the clip — and N viewers reading a playback page, its media and its thread
//! (half a second apart), for a fixed time per step. N doubles until the p99 of any route
//! passes 250 ms or a request fails: that N is the knee. Per step: p50/p99 per route against
//! the first step's (the reference, measured in the same run), errors, the server's RSS and CPU.
//! Run with `scripts/bench load`.

// A benchmark harness: failing loudly is right.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::usage::{cpu_secs, rss_kib};

/// A take as the browser sends it (WebM, Opus): about 2 s of voice.
const TAKE: &[u8] = include_bytes!("../../../tests/fixtures/chromium-audio.webm");
/// A second of it: what the record button sends each second.
const PIECE: usize = 6_000;
/// Where the knee is: the p99 every route must stay under.
const TARGET: Duration = Duration::from_millis(250);

/// What one request took, and whether it worked.
type Sample = (&'static str, Duration, bool);

fn step_time() -> Duration {
    Duration::from_secs(if offbeat_tests::bench_smoke() { 2 } else { 15 })
}

fn steps() -> Vec<usize> {
    if offbeat_tests::bench_smoke() {
        vec![2]
    } else {
        vec![1, 2, 4, 8, 16, 32, 64, 128, 256]
    }
}

fn main() {
    // One account stands for every recorder: its quota of open uploads is lifted to match.
    let server = ServerProc::start(Backend::Local, &["--max-open-uploads-per-user", "100000"]);
    let pid = server.pid();
    let clip = server.upload_file(std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/chromium-audio.webm"
    )));
    let id = clip["id"].as_str().unwrap();
    let token = clip["page_url"].as_str().unwrap().rsplit_once("/c/").unwrap().1;
    let reads: Arc<Vec<(&'static str, String)>> = Arc::new(vec![
        ("GET /c/{token}", format!("/c/{token}")),
        ("GET …/media", format!("/api/v1/clips/{id}/media")),
        ("GET /api/v1/threads/{id}", format!("/api/v1/threads/{id}")),
    ]);
    println!(
        "load: one server (SQLite, local disk); N recorders streaming takes (a piece a second) and N viewers \
         (page, media, thread, 0.5 s apart), {} s per step, 2 cores in all",
        step_time().as_secs()
    );
    let mut reference: Option<BTreeMap<&'static str, Duration>> = None;
    let mut knee = None;
    for n in steps() {
        let cpu_before = cpu_secs(pid);
        let samples = run(&server.url, &server.user.token, &reads, n);
        let cpu = (cpu_secs(pid) - cpu_before) / step_time().as_secs_f64();
        let errors = samples.iter().filter(|s| !s.2).count();
        let mut by_route: BTreeMap<&'static str, Vec<Duration>> = BTreeMap::new();
        for (route, took, _) in samples.iter().filter(|s| s.2) {
            by_route.entry(route).or_default().push(*took);
        }
        let p99s: BTreeMap<&'static str, Duration> = by_route
            .iter()
            .map(|(route, times)| (*route, quantile(times, 0.99)))
            .collect();
        let worst = p99s.values().max().copied().unwrap_or_default();
        println!(
            "  N = {n:3}: {:6} requests, errors {errors}, worst p99 {:7.1} ms, server RSS {:5.0} MB, CPU {:4.0}%",
            samples.len(),
            ms(worst),
            rss_kib(pid) as f64 / 1024.0,
            cpu * 100.0
        );
        let base = reference.get_or_insert_with(|| p99s.clone());
        for (route, times) in &by_route {
            let p99 = p99s[route];
            let ratio = base
                .get(route)
                .map_or(1.0, |b| p99.as_secs_f64() / b.as_secs_f64().max(1e-6));
            println!(
                "    {route:<28}{:6} requests  p50 {:7.1} ms  p99 {:7.1} ms  ({ratio:5.1}× the first step's p99)",
                times.len(),
                ms(quantile(times, 0.5)),
                ms(p99)
            );
        }
        if worst > TARGET || errors > 0 {
            knee = Some(n);
            break;
        }
    }
    match knee {
        Some(n) => println!(
            "  knee: at N = {n} a route's p99 passed {} ms (or a request failed)",
            TARGET.as_millis()
        ),
        None => println!(
            "  knee: not reached; every route's p99 stayed under {} ms up to N = {}",
            TARGET.as_millis(),
            steps().last().unwrap()
        ),
    }
}

fn quantile(times: &[Duration], q: f64) -> Duration {
    let mut sorted = times.to_vec();
    sorted.sort();
    sorted[((sorted.len() - 1) as f64 * q) as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// `n` recorders and `n` viewers against `base` for one step.
fn run(base: &str, token: &str, reads: &Arc<Vec<(&'static str, String)>>, n: usize) -> Vec<Sample> {
    let stop = Arc::new(AtomicBool::new(false));
    let auth = format!("Bearer {token}");
    let mut threads = Vec::new();
    for _ in 0..n {
        let (recorder_base, recorder_stop, recorder_auth) = (base.to_owned(), stop.clone(), auth.clone());
        threads.push(std::thread::spawn(move || {
            let (base, stop, auth) = (recorder_base, recorder_stop, recorder_auth);
            let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                record(&agent, &base, &auth, &stop, &mut samples);
            }
            samples
        }));
        let (base, stop, auth, reads) = (base.to_owned(), stop.clone(), auth.clone(), reads.clone());
        threads.push(std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
            let mut samples = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                for (route, path) in reads.iter() {
                    let started = Instant::now();
                    // The whole answer read, as a browser reads it.
                    let ok = agent
                        .get(&format!("{base}{path}"))
                        .set("Authorization", &auth)
                        .call()
                        .is_ok_and(|r| std::io::copy(&mut r.into_reader(), &mut std::io::sink()).is_ok());
                    samples.push((*route, started.elapsed(), ok));
                    std::thread::sleep(Duration::from_millis(500));
                }
            }
            samples
        }));
    }
    std::thread::sleep(step_time());
    stop.store(true, Ordering::Relaxed);
    threads.into_iter().flat_map(|t| t.join().unwrap()).collect()
}

/// One take: a session, a piece a second, the last with the length (the clip is then final).
fn record(agent: &ureq::Agent, base: &str, auth: &str, stop: &AtomicBool, samples: &mut Vec<Sample>) {
    let started = Instant::now();
    let created = agent
        .post(&format!("{base}/api/v1/uploads"))
        .set("Authorization", auth)
        .set("Tus-Resumable", "1.0.0")
        .set("Upload-Defer-Length", "1")
        .call();
    samples.push(("POST /api/v1/uploads", started.elapsed(), created.is_ok()));
    let Ok(created) = created else {
        // As a recorder would: wait before trying again.
        std::thread::sleep(Duration::from_secs(1));
        return;
    };
    let location = created.header("location").unwrap_or_default().to_owned();
    let mut at = 0;
    while at < TAKE.len() {
        let end = (at + PIECE).min(TAKE.len());
        let last = end == TAKE.len();
        let mut patch = agent
            .request("PATCH", &location)
            .set("Authorization", auth)
            .set("Tus-Resumable", "1.0.0")
            .set("Upload-Offset", &at.to_string())
            .set("Content-Type", "application/offset+octet-stream");
        if last {
            patch = patch.set("Upload-Length", &TAKE.len().to_string());
        }
        let started = Instant::now();
        let sent = patch.send_bytes(&TAKE[at..end]);
        let route = if last {
            "PATCH (last: stop to link)"
        } else {
            "PATCH /api/v1/uploads/{id}"
        };
        samples.push((route, started.elapsed(), sent.is_ok()));
        if sent.is_err() {
            std::thread::sleep(Duration::from_secs(1));
            return;
        }
        if stop.load(Ordering::Relaxed) && !last {
            // The step is over: the take is abandoned, as a recorder that gives up removes it.
            let _ = agent
                .delete(&location)
                .set("Authorization", auth)
                .set("Tus-Resumable", "1.0.0")
                .call();
            return;
        }
        at = end;
        if !last {
            std::thread::sleep(Duration::from_secs(1));
        }
    }
}
