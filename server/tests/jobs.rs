//! The job queue on both databases: oldest due first, each job to one worker however many ask
//! at once, retries held until they fall due, a dead process's jobs back in line, and a
//! transcript stored once however often its job runs.

#![allow(clippy::expect_used, clippy::unwrap_used)]

#[macro_use]
mod support;

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use db::JobQueue;
use db::domain::{JobKind, JobState};
use db::queue::{Attempt, Ending, Job, Lease};
use db::transcripts::{Finish, Finished};
use support::{Backend, Harness};
use transcribe::{Segment, Transcript};

/// The queue's transcript jobs, by clip.
struct Transcripts<'a>(&'a dyn JobQueue);

impl Transcripts<'_> {
    /// The transcript job due longest, claimed under `lease`.
    async fn claim(&self, lease: Lease<'_>) -> Option<Job> {
        self.0.claim(JobKind::Transcript, lease, 1).await.unwrap().pop()
    }

    async fn job(&self, clip_id: &str) -> Option<Job> {
        self.0
            .of_clips(JobKind::Transcript, &[clip_id])
            .await
            .unwrap()
            .remove(clip_id)
    }

    /// A failed attempt by `holder`: retried at `retry_at`, or given up.
    async fn fail(&self, clip_id: &str, holder: &str, error: &str, retry_at: Option<DateTime<Utc>>) {
        let id = self.job(clip_id).await.unwrap().id;
        let ending = match retry_at {
            Some(at) => Ending::Retry { at, error },
            None => Ending::Failed(error),
        };
        self.0.end(&id, holder, ending, Some(Attempt::default())).await.unwrap();
    }

    async fn renew(&self, clip_id: &str, lease: Lease<'_>) -> bool {
        let id = self.job(clip_id).await.unwrap().id;
        self.0.renew(&id, lease).await.unwrap()
    }

    async fn next_due(&self) -> Option<DateTime<Utc>> {
        self.0.next_due(JobKind::Transcript).await.unwrap()
    }
}

/// A lease for `holder` that runs out `secs` from now.
fn lease(holder: &str, secs: i64) -> Lease<'_> {
    Lease {
        holder,
        until: Utc::now() + Duration::seconds(secs),
    }
}

/// Stores a transcript for `clip_id` as a finished job does.
async fn store(server: &Harness, clip_id: &str, transcript: &Transcript) -> Finish {
    let done = Finished {
        clip_id,
        transcript,
        model: "test",
        vtt_key: "clips/none.vtt",
        decode_ms: 1,
        inference_ms: 2,
        title_if_untitled: &server::workers::title_from(transcript),
        summarize: false,
    };
    server.state.db.transcripts().finish(&done).await.unwrap()
}

async fn jobs_go_to_one_worker_each_and_end_in_one_transcript(backend: Backend) {
    // The harness runs no transcription workers: the queue is this test's alone.
    let server = Harness::on(backend, &[]).await;
    let olive = server.person("Olive", "Team").await;
    let first = server.upload_id(&olive, "First").await;
    let second = server.upload_id(&olive, "Second").await;
    let jobs = Transcripts(server.state.db.jobs());

    // Oldest due first, then nothing left.
    let claimed = jobs.claim(lease("a/0", 60)).await.unwrap();
    assert_eq!((claimed.work.clip_id(), claimed.attempts), (first.as_str(), 1));
    assert_eq!(jobs.claim(lease("a/0", 60)).await.unwrap().work.clip_id(), second);
    assert!(
        jobs.claim(lease("b/0", 60)).await.is_none(),
        "held jobs are not claimable"
    );

    // A failed attempt waits for its retry; the queue says when the next thing falls due (here
    // the other job's lease, which runs out first).
    jobs.fail(
        &first,
        "a/0",
        "storage unavailable",
        Some(Utc::now() + Duration::hours(1)),
    )
    .await;
    let job = jobs.job(&first).await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Pending, 1));
    assert_eq!(job.last_error.as_deref(), Some("storage unavailable"));
    assert!(jobs.claim(lease("b/0", 60)).await.is_none(), "not before its time");
    let due = jobs.next_due().await.unwrap() - Utc::now();
    assert!(due > Duration::seconds(55) && due <= Duration::seconds(60), "{due}");

    // A failure past the last attempt is final; only the job's holder can fail it.
    let third = server.upload_id(&olive, "Third").await;
    assert_eq!(jobs.claim(lease("a/0", 60)).await.unwrap().work.clip_id(), third);
    jobs.fail(&third, "b/0", "not mine to fail", None).await;
    assert_eq!(jobs.job(&third).await.unwrap().state, JobState::Running);
    jobs.fail(&third, "a/0", "not audio after all", None).await;
    assert_eq!(jobs.job(&third).await.unwrap().state, JobState::Failed);

    // Its holder renews its lease while it works. When the renewals stop (the process died),
    // the lease runs out and another worker takes the job over, counted as a new attempt; the
    // old holder's renewals and failures then change nothing.
    assert!(jobs.renew(&second, lease("a/0", 60)).await);
    assert!(jobs.claim(lease("b/0", 60)).await.is_none());
    assert!(jobs.renew(&second, lease("a/0", -1)).await);
    let taken = jobs.claim(lease("b/0", 60)).await.unwrap();
    assert_eq!((taken.work.clip_id(), taken.attempts), (second.as_str(), 2));
    assert!(!jobs.renew(&second, lease("a/0", 60)).await, "no longer a/0's");
    jobs.fail(&second, "a/0", "too late", None).await;
    assert_eq!(jobs.job(&second).await.unwrap().state, JobState::Running);

    // At start-up, SQLite (one process) puts every running job back in line; a shared
    // database only those whose lease ran out — b/0 is alive and well.
    let requeued = jobs.0.requeue_interrupted().await.unwrap();
    assert_eq!(requeued, u64::from(backend == Backend::Sqlite));

    // Stored twice (a run that finished after all, then the rerun): one transcript.
    let transcript = Transcript {
        language: "en".into(),
        segments: vec![Segment {
            start_ms: 0,
            end_ms: 1_000,
            text: "Hello there.".into(),
            words: Vec::new(),
        }],
    };
    for _ in 0..2 {
        assert_eq!(store(&server, &second, &transcript).await, Finish::Stored);
    }
    assert_eq!(jobs.job(&second).await.unwrap().state, JobState::Done);
    let shown = server
        .get(&format!("/api/v1/clips/{second}/transcript"), &olive)
        .await
        .json();
    assert_eq!(shown["segments"].as_array().map(Vec::len), Some(1), "{shown}");

    // The clip deleted while it was transcribed: nothing is stored, and that is a value.
    let gone = server.upload_id(&olive, "Gone").await;
    let deleted = server
        .call(
            axum::http::Method::DELETE,
            &format!("/api/v1/clips/{gone}"),
            Some(&olive),
            axum::body::Body::empty(),
        )
        .await;
    assert_eq!(deleted.status, 204);
    assert_eq!(store(&server, &gone, &transcript).await, Finish::ClipGone);
}

async fn workers_asking_at_once_never_share_a_job(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let olive = server.person("Olive", "Team").await;
    let mut clips = HashSet::new();
    for n in 0..12 {
        clips.insert(server.upload_id(&olive, &format!("Clip {n}")).await);
    }
    let workers: Vec<_> = (0..6)
        .map(|_| {
            let db = server.state.db.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                let holder = db::ids::new_id().unwrap();
                while let Some(job) = Transcripts(db.jobs()).claim(lease(&holder, 60)).await {
                    mine.push(job.work.clip_id().to_owned());
                }
                mine
            })
        })
        .collect();
    let mut claimed = Vec::new();
    for worker in workers {
        claimed.extend(worker.await.unwrap());
    }
    let distinct: HashSet<String> = claimed.iter().cloned().collect();
    assert_eq!(claimed.len(), 12, "each job claimed exactly once: {claimed:?}");
    assert_eq!(distinct, clips);
}

fn said(text: &str) -> Transcript {
    Transcript {
        language: "en".into(),
        segments: vec![Segment {
            start_ms: 0,
            end_ms: 4_000,
            text: text.into(),
            words: Vec::new(),
        }],
    }
}

async fn an_untitled_clip_takes_its_title_from_its_transcript(backend: Backend) {
    let server = Harness::on(backend, &[]).await;
    let olive = server.person("Olive", "Team").await;
    let untitled = server.upload_id(&olive, "").await;
    let titled = server.upload_id(&olive, "Roadmap").await;
    let words = "Quick update on the hiring plan for the second quarter and the budget.";
    for clip in [&untitled, &titled] {
        assert_eq!(store(&server, clip, &said(words)).await, Finish::Stored);
    }
    let title = |id: &str| {
        let server = &server;
        let olive = &olive;
        let id = id.to_owned();
        async move { server.get(&format!("/api/v1/clips/{id}"), olive).await.json()["title"].clone() }
    };
    assert_eq!(title(&untitled).await, "Quick update on the hiring plan for the…");
    assert_eq!(title(&titled).await, "Roadmap", "a given title stays");
    // Found by its new title, as a renamed clip is.
    let found = server.get("/api/v1/search?q=hiring%20plan", &olive).await.json();
    assert!(
        found["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["clip"]["id"] == untitled.as_str()),
        "{found}"
    );
    // A short message is its whole title; silence leaves it untitled.
    let short = server.upload_id(&olive, "").await;
    store(&server, &short, &said("Call me back.")).await;
    assert_eq!(title(&short).await, "Call me back.");
    let silent = server.upload_id(&olive, "").await;
    store(&server, &silent, &said("")).await;
    assert_eq!(title(&silent).await, "");
}

on_every_database!(
    jobs_go_to_one_worker_each_and_end_in_one_transcript,
    workers_asking_at_once_never_share_a_job,
    an_untitled_clip_takes_its_title_from_its_transcript,
);
