//! Several server processes on one PostgreSQL (a private cluster per test) and, where they
//! share clips, one SeaweedFS: they start together on an empty database, a job whose process
//! died is finished by another once its lease runs out, what one process writes the others
//! read, the sign-in limit holds across them, and a check-in round run by three processes,
//! one of which dies mid-round, asks each person once.

use std::time::Duration;

use offbeat_tests::http::{get, request, tus_patch};
use offbeat_tests::postgres::PgCluster;
use offbeat_tests::seaweedfs::SeaweedFs;
use offbeat_tests::server::{Backend, ServerProc};
use offbeat_tests::smtp::SmtpServer;
use offbeat_tests::speech::{transcribe_args, wait_for_transcript};
use offbeat_tests::wait::wait_until;
use offbeat_tests::webhook_receiver::WebhookReceiver;
use serde_json::json;

use crate::checkins::{hours_a_minute_ahead, ok};
use crate::transcripts::{encode, speech_of};

#[test]
fn processes_started_together_on_an_empty_database_all_come_up_and_migrate_once() {
    let postgres = PgCluster::start();
    let url = postgres.url();
    let processes: Vec<ServerProc> = std::thread::scope(|scope| {
        let starting: Vec<_> = (0..3)
            .map(|_| scope.spawn(|| ServerProc::launch(Backend::Local, &["--database-url", &url])))
            .collect();
        starting.into_iter().map(|p| p.join().unwrap()).collect()
    });
    for process in &processes {
        let ready = request("GET", &process.api("/readyz"), &[("Authorization", "")], None);
        assert_eq!(ready.status, 200, "{}", String::from_utf8_lossy(&ready.body));
    }
    let migrations = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../db/src/postgres/migrations"))
        .unwrap()
        .count();
    let applied = postgres.psql("SELECT count(*) FROM _sqlx_migrations WHERE success");
    assert_eq!(applied, migrations.to_string(), "each migration applied once");
}

#[test]
fn a_job_whose_process_died_is_finished_by_another_once_its_lease_runs_out() {
    let dir = tempfile::tempdir().unwrap();
    let minute = encode(&speech_of(dir.path(), 60));
    let postgres = PgCluster::start();
    let weed = SeaweedFs::start();
    let url = postgres.url();
    let mut flags: Vec<String> = transcribe_args();
    flags.extend(["--database-url", &url, "--job-lease-secs", "3"].map(String::from));
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let mut first = ServerProc::start(Backend::SeaweedFs(&weed), &flags);
    let clip = first.upload_file(&minute);
    let id = clip["id"].as_str().unwrap().to_owned();
    let status = |server: &ServerProc| get(&server.api(&format!("/api/v1/clips/{id}/transcript"))).json();
    wait_until("the first process transcribing", Duration::from_secs(30), || {
        (status(&first)["status"] == "running").then_some(())
    });
    let second = first.another();
    first.kill();

    // Nobody renews the lease now: once it runs out the second process takes the job over.
    let transcript = wait_for_transcript(&second, &id, Duration::from_secs(240));
    assert_eq!(transcript["status"], "ready", "{transcript}");
    assert_eq!(
        transcript["attempts"], 2,
        "one interrupted run, one complete: {transcript}"
    );
    let jobs = postgres.psql(&format!("SELECT count(*) FROM transcripts WHERE clip_id = '{id}'"));
    assert_eq!(jobs, "1", "one transcript");
}

#[test]
fn what_one_process_writes_the_others_read() {
    let postgres = PgCluster::start();
    let url = postgres.url();
    let dir = tempfile::tempdir().unwrap();
    let question = encode(&speech_of(dir.path(), 3));
    let asking = ServerProc::start(Backend::Local, &["--database-url", &url]);
    let answering = asking.another();
    let manu = asking.add_user("manu@example.com", "Manu", "Asia/Manila", "Default");
    let clip = asking.upload_file(&question);
    let id = clip["id"].as_str().unwrap();

    // Manu answers through the other process; the thread and the inbox agree everywhere.
    let body = json!({ "text": "Sounds good, Thursday works." }).to_string();
    let reply = request(
        "POST",
        &answering.api(&format!("/api/v1/threads/{id}/replies")),
        &[
            ("Authorization", &format!("Bearer {}", manu.token)),
            ("Content-Type", "application/json"),
        ],
        Some(body.as_bytes()),
    );
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    // (The inboxes first: reading a thread marks its text read.)
    for server in [&asking, &answering] {
        let inbox = get(&server.api("/api/v1/inbox")).json();
        assert_eq!(inbox["threads"][0]["root"]["id"], id, "{inbox}");
    }
    for server in [&asking, &answering] {
        let thread = get(&server.api(&format!("/api/v1/threads/{id}"))).json();
        assert_eq!(
            thread["root"]["replies"][0]["text"], "Sounds good, Thursday works.",
            "{thread}"
        );
    }
}

#[test]
fn the_sign_in_limit_holds_across_processes() {
    let postgres = PgCluster::start();
    let url = postgres.url();
    let first = ServerProc::start(
        Backend::Local,
        &["--database-url", &url, "--login-attempts-per-minute", "4"],
    );
    let second = first.another();
    let sign_in = |server: &ServerProc, password: &str| {
        let body = json!({ "email": "owner@example.com", "password": password, "kind": "api" }).to_string();
        request(
            "POST",
            &server.api("/api/v1/auth/login"),
            &[("Authorization", ""), ("Content-Type", "application/json")],
            Some(body.as_bytes()),
        )
        .status
    };
    // ServerProc signed in once already; three wrong guesses spread over both processes use up
    // the rest, and then neither lets even the right password in.
    assert_eq!(sign_in(&first, "guess 1"), 400);
    assert_eq!(sign_in(&second, "guess 2"), 400);
    assert_eq!(sign_in(&first, "guess 3"), 400);
    assert_eq!(sign_in(&second, offbeat_tests::server::TEST_PASSWORD), 429);
    assert_eq!(sign_in(&first, offbeat_tests::server::TEST_PASSWORD), 429);
}

/// A tus request with the test user's token.
fn tus(method: &str, url: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> offbeat_tests::http::Reply {
    let mut all = vec![("Tus-Resumable", "1.0.0")];
    all.extend_from_slice(headers);
    request(method, url, &all, body)
}

/// A new session through `server`; its path.
fn open_session(server: &ServerProc) -> String {
    let created = tus(
        "POST",
        &server.api("/api/v1/uploads"),
        &[("Upload-Defer-Length", "1")],
        None,
    );
    assert_eq!(created.status, 201, "{}", String::from_utf8_lossy(&created.body));
    let location = created.header("location").unwrap();
    location[location.find("/api/").unwrap()..].to_owned()
}

#[test]
fn a_take_sent_through_every_process_arrives_whole_and_outlives_its_holder() {
    let dir = tempfile::tempdir().unwrap();
    let take = std::fs::read(encode(&speech_of(dir.path(), 20))).unwrap();
    let postgres = PgCluster::start();
    let weed = SeaweedFs::start();
    let url = postgres.url();
    let flags = ["--database-url", url.as_str(), "--job-lease-secs", "3"];
    let first = ServerProc::start(Backend::SeaweedFs(&weed), &flags);
    let mut second = first.another();
    let third = first.another();

    // Every request through another process than the last: the session's holder gets them all.
    let path = open_session(&first);
    let processes = [&first, &second, &third];
    let cuts: Vec<usize> = (0..=6).map(|i| take.len() * i / 6).collect();
    for (n, piece) in cuts.windows(2).enumerate() {
        let last = piece[1] == take.len();
        let via = processes[(n + 1) % 3];
        let sent = tus_patch(
            &via.api(&path),
            piece[0] as u64,
            &take[piece[0]..piece[1]],
            last.then_some(take.len()),
        );
        assert_eq!(
            sent.status,
            204,
            "piece {n} via {}: {}",
            via.url,
            String::from_utf8_lossy(&sent.body)
        );
        assert_eq!(sent.header("upload-offset"), Some(piece[1].to_string().as_str()));
    }
    let finished = get(&third.api(&path)).json();
    let sha256 = hex_sha256(&take);
    assert_eq!(finished["sha256"], sha256.as_str(), "{finished}");
    let media = get(finished["clip"]["media_url"].as_str().unwrap());
    assert_eq!(media.body, take, "the clip is the take, byte for byte");

    // The holder dies mid-take. Until its registration lapses the others say "ask again";
    // then one takes the session over from nothing, and the client resends it all.
    let path = open_session(&second);
    let half = take.len() / 2;
    assert_eq!(tus_patch(&third.api(&path), 0, &take[..half], None).status, 204);
    second.kill();
    let offset = wait_until("the session taken over", Duration::from_secs(30), || {
        let head = tus("HEAD", &third.api(&path), &[], None);
        (head.status == 200).then(|| head.header("upload-offset").unwrap().to_owned())
    });
    assert_eq!(offset, "0", "its bytes went with its holder");
    let resent = tus_patch(&first.api(&path), 0, &take, Some(take.len()));
    assert_eq!(resent.status, 204, "{}", String::from_utf8_lossy(&resent.body));
    assert_eq!(get(&first.api(&path)).json()["sha256"], sha256.as_str());
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn a_recorded_take_through_a_round_robin_balancer_keeps_its_first_link_when_its_holder_dies() {
    use offbeat_tests::process::Watched;
    use offbeat_tests::proxy::{FlakyProxy, RoundRobinProxy};
    use offbeat_tests::pulse::VirtualMic;
    use offbeat_tests::tools::{outbox_take, speech};
    use std::io::Read;

    let dir = tempfile::tempdir().unwrap();
    let outbox = dir.path().join("outbox");
    let postgres = PgCluster::start();
    let weed = SeaweedFs::start();
    let balancer = FlakyProxy::bind();
    let (url, public) = (postgres.url(), balancer.url.clone());
    let flags = [
        "--database-url",
        url.as_str(),
        "--job-lease-secs",
        "3",
        "--public-url",
        public.as_str(),
    ];
    let first = ServerProc::start(Backend::SeaweedFs(&weed), &flags);
    let mut processes = vec![first.another(), first.another(), first];
    let upstreams = processes.iter().map(|p| p.url.clone()).collect();
    let balancer = RoundRobinProxy::start(balancer, upstreams);
    let mic = VirtualMic::start();
    let said = speech(
        dir.path(),
        "speech",
        "here is the plan for the launch, please read it before friday",
    );

    let mut share = processes[0].recorder();
    share.envs(mic.env()).env("OFFBEAT_OUTBOX_DIR", &outbox).args([
        "share",
        "--server",
        &balancer.url,
        "--title",
        "Launch",
        "--max-duration",
        "12s",
    ]);
    let mut recording = Watched::spawn(&mut share);
    let mut stdout = recording.child.stdout.take().unwrap();
    let early = recording.announced_link(Duration::from_secs(15));
    assert!(early.starts_with(&format!("{}/c/", balancer.url)), "{early}");
    recording.wait_for_line("Recording from", Duration::from_secs(15));
    mic.play(&said);
    let take = wait_until("the take in the outbox", Duration::from_secs(5), || {
        outbox_take(&outbox)
    });
    let kept = dir.path().join("kept.opus");
    std::fs::hard_link(&take, &kept).unwrap();

    // Mid-take, the process holding the session dies.
    let holder = wait_until("bytes on the server", Duration::from_secs(10), || {
        let held = postgres.psql("SELECT holder FROM upload_sessions WHERE \"offset\" > 0");
        (!held.is_empty()).then_some(held)
    });
    let process_id = |p: &ServerProc| std::fs::read_to_string(p.data_dir().join("process-id")).unwrap();
    let dying = processes.iter().position(|p| process_id(p).trim() == holder).unwrap();
    let mut dead = processes.remove(dying);
    dead.kill();

    let (status, stderr) = recording.finish(Duration::from_secs(90));
    let mut link = String::new();
    stdout.read_to_string(&mut link).unwrap();
    assert!(status.success(), "{stderr:#?}");
    assert_eq!(link.trim(), early, "the link printed first");
    let token = early.rsplit('/').next().unwrap();
    let clip = get(&processes[0].api(&format!("/api/v1/shared/{token}"))).json();
    let seconds = clip["duration_ms"].as_f64().unwrap() / 1000.0;
    assert!((11.0..=13.0).contains(&seconds), "{seconds} s");
    let local = std::fs::read(&kept).unwrap();
    assert_eq!(
        clip["media"]["sha256"],
        hex_sha256(&local).as_str(),
        "byte for byte the take"
    );
}

#[test]
fn a_round_run_by_three_processes_asks_each_person_once_though_one_dies_mid_round() {
    let postgres = PgCluster::start();
    let smtp = SmtpServer::start();
    let hooks = WebhookReceiver::start();
    let url = postgres.url();
    let mail = smtp.url();
    let flags = [
        "--database-url",
        url.as_str(),
        "--job-lease-secs",
        "3",
        "--smtp-url",
        mail.as_str(),
        "--webhook-allow-private",
    ];
    let mut first = ServerProc::start(Backend::Local, &flags);
    let second = first.another();
    let third = first.another();
    let lead = first.add_admin("lead@example.com", "Bea Berlin", "Europe/Berlin", "Default");
    let manu = first.add_user("manu@example.com", "Manu Manila", "Asia/Manila", "Default");
    let sam = first.add_user("sam@example.com", "Sam Sao Paulo", "America/Sao_Paulo", "Default");
    let people = [&lead, &manu, &sam];
    for (who, zone) in people.iter().zip([
        chrono_tz::Europe::Berlin,
        chrono_tz::Asia::Manila,
        chrono_tz::America::Sao_Paulo,
    ]) {
        let (hours, _) = hours_a_minute_ahead(zone);
        ok(
            &second,
            who,
            "PATCH",
            "/api/v1/me",
            Some(json!({ "working_hours": hours })),
        );
        ok(
            &third,
            who,
            "PATCH",
            "/api/v1/me/notifications",
            Some(json!({ "email": "immediate" })),
        );
    }
    let hook = ok(
        &first,
        &lead,
        "POST",
        "/api/v1/webhooks",
        Some(json!({
            "url": format!("{}/hook", hooks.url),
            "events": ["checkin.asked", "checkin.completed"],
            "format": "standard",
        })),
    );
    let secret = hook["secret"].as_str().unwrap().to_owned();
    ok(
        &first,
        &lead,
        "POST",
        "/api/v1/checkins",
        Some(json!({
            "title": "Stand-up",
            "questions": ["What is in your way?"],
            "members": [lead.id, manu.id, sam.id],
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "answer_within_minutes": 1,
        })),
    );
    let asks = |who: &offbeat_tests::server::TestUser| {
        smtp.mail()
            .into_iter()
            .filter(|m| m.to.contains(&who.email) && m.subject.starts_with("Stand-up — due by"))
            .count()
    };

    // The moment the first person is asked, one process dies (with whatever it had claimed).
    wait_until("the first ask", Duration::from_secs(150), || {
        people.iter().any(|who| asks(who) > 0).then_some(())
    });
    first.kill();
    for who in people {
        wait_until("every ask", Duration::from_secs(60), || (asks(who) > 0).then_some(()));
    }
    let completed = hooks.wait_for("/hook", "checkin.completed", 1, Duration::from_secs(180));
    assert_eq!(
        completed[0].verified(&secret)["data"]["missed"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    // Long enough for any lease the dead process held to run out and its job to run again.
    std::thread::sleep(Duration::from_secs(8));

    for who in people {
        assert_eq!(asks(who), 1, "{} asked by mail once", who.email);
    }
    let mut asked: Vec<String> = hooks
        .of("/hook", "checkin.asked")
        .iter()
        .map(|d| {
            d.verified(&secret)["data"]["member"]["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    asked.sort();
    assert_eq!(
        asked,
        ["Bea Berlin", "Manu Manila", "Sam Sao Paulo"],
        "one delivery per person asked"
    );
    assert_eq!(hooks.of("/hook", "checkin.completed").len(), 1, "the round closed once");
    assert_eq!(postgres.psql("SELECT count(*) FROM checkin_rounds"), "1", "one round");
    assert_eq!(
        postgres.psql("SELECT count(*) FROM jobs WHERE kind = 'checkin' AND state <> 'done'"),
        "0",
        "every step of the round ran to its end"
    );
}
