//! Benchmark: a 200 MB WebM through the server into an S3 service, against the same bytes put
//! straight into the same service with aws-sdk-s3, in one run — on s3s-fs and on SeaweedFS. Prints both throughputs, their
//! ratio, and the server's peak RSS growth. Run with `scripts/bench upload`.

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

/// The body's size and the runs measured (a smoke run: a few megabytes, once).
fn target_bytes() -> u64 {
    if offbeat_tests::bench_smoke() {
        3_000_000
    } else {
        200_000_000
    }
}
fn runs() -> usize {
    if offbeat_tests::bench_smoke() { 1 } else { 3 }
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
        let started = Instant::now();
        runtime.block_on(async {
            let body = aws_sdk_s3::primitives::ByteStream::from_path(webm).await.unwrap();
            client
                .put_object()
                .bucket(BUCKET)
                .key(format!("direct/{run}.webm"))
                .body(body)
                .send()
                .await
                .unwrap();
        });
        direct.push(started.elapsed());
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
        let started = Instant::now();
        let response = ureq::post(&server.api("/api/v1/clips"))
            .set("Authorization", &format!("Bearer {}", server.user.token))
            .set("Content-Length", &size.to_string())
            .send(std::fs::File::open(webm).unwrap())
            .unwrap();
        through.push(started.elapsed());
        cpu.push((cpu_secs(pid) - cpu_before.0, cpu_secs(service_pid) - cpu_before.1));
        done.store(true, Ordering::Relaxed);
        sampler.join().unwrap();
        assert_eq!(response.status(), 201);
        rss_growth.push(peak.load(Ordering::Relaxed).saturating_sub(baseline));
    }

    let median = |v: &mut Vec<Duration>| {
        v.sort();
        v[v.len() / 2]
    };
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
    let (server_cpu, service_cpu) = cpu[cpu.len() / 2];
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
    println!(
        "  server peak RSS growth: {growth_mb:.1} MB  [target <= 64 MB: {}]",
        verdict(growth_mb <= 64.0)
    );
    println!(
        "  all runs: direct {:?}; direct multipart {:?}; server {:?}; RSS growth KiB {:?}",
        secs(&direct),
        secs(&direct_multipart),
        secs(&through),
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
