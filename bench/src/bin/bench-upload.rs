//! Benchmark: a 200 MB WebM through the server into an S3 service, against the same bytes put
//! straight into the same service with aws-sdk-s3, in one run — on s3s-fs and on SeaweedFS.
//! Prints both throughputs, their ratio, the CPU time the server and the service spend, and the
//! server's peak RSS growth. On SeaweedFS it then measures again with the service pinned to a
//! core of its own (client and server on the other), and the server's CPU time per media
//! minute for a camera take streamed as recorded (analysed as it arrives) and for serving the
//! composed WebM. Run with `scripts/bench upload`.

// A benchmark harness: failing loudly is right.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use offbeat_tests::s3::{BUCKET, S3Server};
use offbeat_tests::seaweedfs::SeaweedFs;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::tools::{ffmpeg, live_webm};
use offbeat_tests::usage::{cpu_secs, rss_kib};
use sha2::{Digest, Sha256};

/// The body's size and the runs measured (a smoke run: a few megabytes, once).
fn target_bytes() -> u64 {
    if offbeat_tests::bench_smoke() {
        3_000_000
    } else {
        200_000_000
    }
}
fn runs() -> usize {
    if offbeat_tests::bench_smoke() { 1 } else { 5 }
}

fn main() {
    let work = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "target/bench".into()));
    std::fs::create_dir_all(&work).unwrap();
    let webm = big_webm(&work);
    let s3s = S3Server::start();
    // s3s-fs runs in this process, beside the client: their CPU time is counted together.
    measure("s3s-fs", &s3s.endpoint(), Backend::S3(&s3s), std::process::id(), &webm);
    // SeaweedFS completes a multipart upload without copying its parts, unlike s3s-fs.
    let weed = SeaweedFs::start();
    measure(
        "SeaweedFS",
        &weed.endpoint(),
        Backend::SeaweedFs(&weed),
        weed.pid(),
        &webm,
    );
    pinned(&weed.endpoint(), Backend::SeaweedFs(&weed), weed.pid(), &webm);
    per_media_minute(Backend::SeaweedFs(&weed), &webm);
    composed_in_s3(Backend::SeaweedFs(&weed), &webm);
}

/// The WebM straight into the service (one PUT) under `key`: how long it took.
fn put_direct(runtime: &tokio::runtime::Runtime, client: &aws_sdk_s3::Client, webm: &Path, key: &str) -> Duration {
    let started = Instant::now();
    runtime.block_on(async {
        let body = aws_sdk_s3::primitives::ByteStream::from_path(webm).await.unwrap();
        client
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(body)
            .send()
            .await
            .unwrap();
    });
    started.elapsed()
}

/// The WebM POSTed through the server: how long until its 201.
fn post_through(server: &ServerProc, webm: &Path) -> Duration {
    let size = std::fs::metadata(webm).unwrap().len();
    let started = Instant::now();
    let response = ureq::post(&server.api("/api/v1/clips"))
        .set("Authorization", &format!("Bearer {}", server.user.token))
        .set("Content-Length", &size.to_string())
        .send(std::fs::File::open(webm).unwrap())
        .unwrap();
    assert_eq!(response.status(), 201);
    started.elapsed()
}

/// Confines every thread of process `pid` to `cpus` (e.g. "1", or "0,1" to free it again).
fn pin(pid: u32, cpus: &str) {
    let status = std::process::Command::new("taskset")
        .args(["-a", "-p", "-c", cpus, &pid.to_string()])
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "taskset -a -p -c {cpus} {pid}");
}

/// The fair ratio on two cores: the S3 service alone on core 1, this client and the server on
/// core 0, so that what the server costs is not hidden by what the service costs (or the other
/// way round). Direct PUT and POST through the server interleaved, median of [`runs`].
fn pinned(endpoint: &str, backend: Backend<'_>, service_pid: u32, webm: &Path) {
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        println!("  pinned: needs two cores, skipped");
        return;
    }
    let server = ServerProc::start(backend, &[]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = offbeat_tests::s3::client(endpoint);
    let me = std::process::id();
    pin(service_pid, "1");
    pin(server.pid(), "0");
    pin(me, "0");
    let (mut direct, mut through) = (Vec::new(), Vec::new());
    for run in 0..runs() {
        direct.push(put_direct(&runtime, &client, webm, &format!("pinned/{run}.webm")));
        through.push(post_through(&server, webm));
    }
    pin(me, "0,1");
    pin(service_pid, "0,1");
    let size = std::fs::metadata(webm).unwrap().len() as f64 / 1e6;
    let (d, t) = (median(&mut direct), median(&mut through));
    let ratio = d.as_secs_f64() / t.as_secs_f64();
    println!(
        "  pinned (S3 service on its own core): direct put {:.1} MB/s, through the server {:.1} MB/s, ratio {ratio:.2}  \
         [target >= 0.85: {}]",
        size / d.as_secs_f64(),
        size / t.as_secs_f64(),
        verdict(ratio >= 0.85)
    );
    println!("    all runs: direct {:?}; server {:?}", secs(&direct), secs(&through));
}

/// The server's CPU time per minute of media on the other paths it runs for every camera take:
/// the take streamed while recorded (1 s pieces through tus: staged, analysed as it arrives,
/// whole parts sent on to S3), and its composed WebM (a new head before the body as it
/// arrived, two objects) served through the server. Median of [`runs`].
fn per_media_minute(backend: Backend<'_>, webm: &Path) {
    let server = ServerProc::start(backend, &[]);
    let body = std::fs::read(webm).unwrap();
    let (mut taking, mut serving) = (Vec::new(), Vec::new());
    let mut media_minutes = 0.0;
    for _ in 0..runs() {
        let before = cpu_secs(server.pid());
        let clip = tus_take(&server, &body, &mut media_minutes);
        let between = cpu_secs(server.pid());
        let served = read_media(&server, clip["id"].as_str().unwrap());
        // Byte-exact: what is served is what the clip says it stores.
        assert_eq!(served, clip["media"]["sha256"].as_str().unwrap());
        taking.push(between - before);
        serving.push(cpu_secs(server.pid()) - between);
    }
    let median_of = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (take, serve) = (median_of(&mut taking), median_of(&mut serving));
    println!(
        "  server CPU per media minute ({:.1} min of {:.1} Mbit/s camera WebM, median of {}):",
        media_minutes,
        body.len() as f64 * 8.0 / 1e6 / (media_minutes * 60.0),
        runs()
    );
    println!(
        "    streamed while recorded (tus, 1 s pieces, analysed live): {:.3} CPU-s/min  ({:.2} s in all)",
        take / media_minutes,
        take
    );
    println!(
        "    serving the composed WebM (head + body, through the server): {:.3} CPU-s/min  ({:.2} s in all)",
        serve / media_minutes,
        serve
    );
}

/// A camera take made one object inside S3 once final (the `compose` job), so that its link
/// redirects to a presigned URL: how long after the take was final that happens, the server's
/// CPU time meanwhile, and the bytes the server sent against those S3 copied on its own. The
/// presigned object is read back byte-exact. Median of [`runs`].
fn composed_in_s3(backend: Backend<'_>, webm: &Path) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let metrics_listen = format!("127.0.0.1:{port}");
    let server = ServerProc::start(backend, &["--s3-presign-media", "--metrics-listen", &metrics_listen]);
    let body = std::fs::read(webm).unwrap();
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let auth = format!("Bearer {}", server.user.token);
    let (mut waits, mut cpu) = (Vec::new(), Vec::new());
    let mut media_minutes = 0.0;
    for _ in 0..runs() {
        let clip = tus_take(&server, &body, &mut media_minutes);
        let (started, before) = (Instant::now(), cpu_secs(server.pid()));
        let media = server.api(&format!("/api/v1/clips/{}/media", clip["id"].as_str().unwrap()));
        let location = loop {
            let response = agent.get(&media).set("Authorization", &auth).call().unwrap();
            if response.status() == 302 {
                break response.header("location").unwrap().to_owned();
            }
            assert!(started.elapsed() < Duration::from_secs(600), "never composed");
            std::thread::sleep(Duration::from_millis(10));
        };
        waits.push(started.elapsed());
        cpu.push(cpu_secs(server.pid()) - before);
        let mut hasher = Sha256::default();
        std::io::copy(&mut ureq::get(&location).call().unwrap().into_reader(), &mut hasher).unwrap();
        assert_eq!(
            hex::encode(hasher.finalize()),
            clip["media"]["sha256"].as_str().unwrap()
        );
    }
    // What the server counted: bytes it sent, bytes S3 copied (over every run).
    let metrics = ureq::get(&format!("http://{metrics_listen}/metrics"))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    let counted = |name: &str| -> f64 {
        metrics
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in the metrics"))
    };
    let per_run = runs() as f64;
    cpu.sort_by(f64::total_cmp);
    println!(
        "  composed inside S3 once final, then presigned ({:.1} min camera take, {:.1} MB, median of {}): {:.2} s after final, \
         server {:.3} CPU-s; server sent {:.2} MB, S3 copied {:.1} MB",
        media_minutes,
        body.len() as f64 / 1e6,
        runs(),
        median(&mut waits).as_secs_f64(),
        cpu[cpu.len() / 2],
        counted("offbeat_compose_sent_bytes_total") / per_run / 1e6,
        counted("offbeat_compose_copied_bytes_total") / per_run / 1e6,
    );
}

/// Sends `body` as a browser sends a camera take: a tus upload of unknown length, one piece a
/// second of media, the last one with the length. Returns the clip; `minutes` its length.
fn tus_take(server: &ServerProc, body: &[u8], minutes: &mut f64) -> serde_json::Value {
    let auth = format!("Bearer {}", server.user.token);
    let created = ureq::post(&server.api("/api/v1/uploads"))
        .set("Authorization", &auth)
        .set("Tus-Resumable", "1.0.0")
        .set("Upload-Defer-Length", "1")
        .set("Upload-Metadata", "visibility d29ya3NwYWNl")
        .call()
        .unwrap();
    let location = created.header("location").unwrap().to_owned();
    let url = if location.starts_with("http") {
        location
    } else {
        server.api(&location)
    };
    // About a second of a 20 Mbit/s camera take.
    let piece = 2_500_000;
    let mut offset = 0;
    let mut clip_id = None;
    for chunk in body.chunks(piece) {
        let last = offset + chunk.len() == body.len();
        let mut request = ureq::request("PATCH", &url)
            .set("Authorization", &auth)
            .set("Tus-Resumable", "1.0.0")
            .set("Upload-Offset", &offset.to_string())
            .set("Content-Type", "application/offset+octet-stream");
        if last {
            request = request.set("Upload-Length", &body.len().to_string());
        }
        let response = request.send_bytes(chunk).unwrap();
        assert_eq!(response.status(), 204);
        offset += chunk.len();
        clip_id = response.header("offbeat-clip-id").map(str::to_owned);
    }
    let clip_id = clip_id.expect("the last piece made the clip");
    let clip: serde_json::Value = ureq::get(&server.api(&format!("/api/v1/clips/{clip_id}")))
        .set("Authorization", &auth)
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(clip["status"], "ready");
    *minutes = clip["duration_ms"].as_f64().unwrap() / 60_000.0;
    clip
}

/// Reads the clip's whole media through the server (a composed clip is never a redirect);
/// its sha256.
fn read_media(server: &ServerProc, clip_id: &str) -> String {
    let agent = ureq::AgentBuilder::new().redirects(0).build();
    let response = agent
        .get(&server.api(&format!("/api/v1/clips/{clip_id}/media")))
        .set("Authorization", &format!("Bearer {}", server.user.token))
        .call()
        .unwrap();
    assert_eq!(response.status(), 200, "served through the server");
    let mut hasher = Sha256::default();
    std::io::copy(&mut response.into_reader(), &mut hasher).unwrap();
    hex::encode(hasher.finalize())
}

fn median(v: &mut [Duration]) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The WebM straight into the S3 service at `endpoint` (one PUT; multipart as the server
/// does it) and through a server storing there, interleaved, median of [`runs`]; with the CPU
/// time the server and the S3 service (process `service_pid`) spend on each upload through it.
fn measure(service: &str, endpoint: &str, backend: Backend<'_>, service_pid: u32, webm: &Path) {
    let size = std::fs::metadata(webm).unwrap().len();
    let server = ServerProc::start(backend, &[]);
    let pid = server.pid();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let client = offbeat_tests::s3::client(endpoint);

    // Warmed up first: SeaweedFS allocates its volumes on the first write.
    runtime.block_on(async {
        let body = aws_sdk_s3::primitives::ByteStream::from_static(b"warm-up");
        client
            .put_object()
            .bucket(BUCKET)
            .key("warm-up")
            .body(body)
            .send()
            .await
            .unwrap();
    });
    let mut direct = Vec::new();
    let mut direct_multipart = Vec::new();
    let mut through = Vec::new();
    let mut rss_growth = Vec::new();
    let mut cpu = Vec::new();
    let mut service_cpu_direct = Vec::new();
    for run in 0..runs() {
        let service_before = cpu_secs(service_pid);
        direct.push(put_direct(&runtime, &client, webm, &format!("direct/{run}.webm")));
        let service_between = cpu_secs(service_pid);

        let started = Instant::now();
        runtime.block_on(multipart_put(
            &client,
            webm,
            size,
            &format!("direct-multipart/{run}.webm"),
        ));
        direct_multipart.push(started.elapsed());
        service_cpu_direct.push((
            service_between - service_before,
            cpu_secs(service_pid) - service_between,
        ));

        let baseline = rss_kib(pid);
        let peak = Arc::new(AtomicU64::new(baseline));
        let done = Arc::new(AtomicBool::new(false));
        let sampler = {
            let (peak, done) = (Arc::clone(&peak), Arc::clone(&done));
            std::thread::spawn(move || {
                while !done.load(Ordering::Relaxed) {
                    peak.fetch_max(rss_kib(pid), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        let cpu_before = (cpu_secs(pid), cpu_secs(service_pid));
        through.push(post_through(&server, webm));
        cpu.push((cpu_secs(pid) - cpu_before.0, cpu_secs(service_pid) - cpu_before.1));
        done.store(true, Ordering::Relaxed);
        sampler.join().unwrap();
        rss_growth.push(peak.load(Ordering::Relaxed).saturating_sub(baseline));
    }

    let (d, m, t) = (median(&mut direct), median(&mut direct_multipart), median(&mut through));
    let mbps = |dur: Duration| size as f64 / 1e6 / dur.as_secs_f64();
    let ratio = mbps(t) / mbps(d);
    let growth_mb = *rss_growth.iter().max().unwrap() as f64 / 1024.0;
    let line = |label: &str, dur: Duration| format!("  {label:<34}{:6.2} s  {:7.1} MB/s", dur.as_secs_f64(), mbps(dur));
    println!(
        "upload: {:.1} MB WebM (VP8 + Opus) into {service} on 127.0.0.1, median of {}",
        size as f64 / 1e6,
        runs()
    );
    println!("{}", line("aws-sdk-s3 put_object, direct", d));
    println!(
        "{}  (16 MiB parts, 4 in flight, as the server does)",
        line("aws-sdk-s3 multipart, direct", m)
    );
    println!("{}", line("through the server (POST → S3)", t));
    println!(
        "  throughput ratio (server / direct put): {ratio:.2}  [target >= 0.80: {}]",
        verdict(ratio >= 0.8)
    );
    println!(
        "  server / direct multipart: {:.2}  (the cost of the server's own passes)",
        mbps(t) / mbps(m)
    );
    let (server_cpu, service_cpu) = {
        let mut sorted = cpu.clone();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        sorted[sorted.len() / 2]
    };
    let (put_cpu, multipart_cpu) = service_cpu_direct[service_cpu_direct.len() / 2];
    let with_client = if service_pid == std::process::id() {
        " and the client"
    } else {
        ""
    };
    println!(
        "  CPU time (2 cores in all), {service}{with_client}: {put_cpu:.2} s for the direct put, {multipart_cpu:.2} s for \
         the direct multipart, {service_cpu:.2} s through the server; the server {server_cpu:.2} s"
    );
    let per_gb = server_cpu / (size as f64 / 1e9);
    let target = if service == "SeaweedFS" {
        format!("  [target <= 0.45 s (2.25 s/GB): {}]", verdict(server_cpu <= 0.45))
    } else {
        String::new()
    };
    println!("  server CPU: {server_cpu:.2} s for the upload, {per_gb:.2} s per GB{target}");
    println!(
        "  server peak RSS growth: {growth_mb:.1} MB  [target <= 64 MB: {}]",
        verdict(growth_mb <= 64.0)
    );
    println!(
        "  all runs: direct {:?}; direct multipart {:?}; server {:?}; server CPU-s {:?}; RSS growth KiB {:?}",
        secs(&direct),
        secs(&direct_multipart),
        secs(&through),
        cpu.iter().map(|c| format!("{:.2}", c.0)).collect::<Vec<_>>(),
        rss_growth
    );
}

/// A multipart upload like the server's: 16 MiB parts, four at a time.
async fn multipart_put(client: &aws_sdk_s3::Client, path: &Path, size: u64, key: &str) {
    use aws_sdk_s3::primitives::{ByteStream, Length};
    use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
    use futures_util::{StreamExt, TryStreamExt};
    const PART: u64 = 16 << 20;
    let created = client
        .create_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .send()
        .await
        .unwrap();
    let id = created.upload_id().unwrap().to_owned();
    let parts: Vec<CompletedPart> = futures_util::stream::iter(0..size.div_ceil(PART))
        .map(|i| {
            let id = id.clone();
            async move {
                let (offset, len) = (i * PART, PART.min(size - i * PART));
                let body = ByteStream::read_from()
                    .path(path)
                    .offset(offset)
                    .length(Length::Exact(len))
                    .build()
                    .await?;
                let number = i as i32 + 1;
                let part = client
                    .upload_part()
                    .bucket(BUCKET)
                    .key(key)
                    .upload_id(&id)
                    .part_number(number)
                    .body(body)
                    .send()
                    .await?;
                Ok::<_, Box<dyn std::error::Error + Send + Sync>>(
                    CompletedPart::builder()
                        .part_number(number)
                        .set_e_tag(part.e_tag().map(str::to_owned))
                        .build(),
                )
            }
        })
        .buffered(4)
        .try_collect()
        .await
        .unwrap();
    client
        .complete_multipart_upload()
        .bucket(BUCKET)
        .key(key)
        .upload_id(&id)
        .multipart_upload(CompletedMultipartUpload::builder().set_parts(Some(parts)).build())
        .send()
        .await
        .unwrap();
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "MISSED" }
}

fn secs(v: &[Duration]) -> Vec<String> {
    v.iter().map(|d| format!("{:.2}", d.as_secs_f64())).collect()
}

/// A ~200 MB WebM with VP8 video and Opus audio as browsers write it (clusters of unknown size,
/// no Duration, no Cues): 10 s encoded once, then looped (stream copy).
fn big_webm(work: &Path) -> PathBuf {
    let big = work.join(format!("upload-{}mb.webm", target_bytes() / 1_000_000));
    if big.exists() {
        return big;
    }
    let secs = if offbeat_tests::bench_smoke() { 2 } else { 10 };
    let small = work.join(format!("upload-{secs}s.webm"));
    live_webm(&small, "testsrc2=size=1280x720:rate=30", secs, "20M");
    ffmpeg(
        &[
            "-stream_loop",
            "-1",
            "-i",
            small.to_str().unwrap(),
            "-c",
            "copy",
            "-fs",
            &target_bytes().to_string(),
            "-live",
            "1",
            "-f",
            "webm",
        ],
        &big,
    );
    big
}
