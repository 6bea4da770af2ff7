//! The web pages in real headless Chromium (Playwright), plus what a chat app sees of a link:
//! Open Graph, oEmbed, security headers, page weight.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use offbeat_tests::http::{get, request, urlencode};
use offbeat_tests::server::{Backend, ServerProc, TEST_PASSWORD, TestUser};
use offbeat_tests::speech::{summarize_args, transcribe_args, transcribing_server, wait_for_transcript};
use offbeat_tests::tools::{recorder, require, run_ok, speech};
use serde_json::{Value, json};

pub(crate) fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("web")
}

/// Where screenshots go: kept after the run, as test artifacts.
pub(crate) fn artifacts() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/web-artifacts");
    std::fs::create_dir_all(&dir).unwrap();
    dir.canonicalize().unwrap()
}

/// How long a browser script may take: a step that hangs fails the test with what the script
/// had said by then, rather than holding the suite until its own timeout.
const NODE_DEADLINE: Duration = Duration::from_secs(200);

pub(crate) fn node(script: &str, config: &Value) {
    require(&["node"]);
    assert!(
        web_dir().join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: run scripts/install-deps test"
    );
    let said = tempfile::NamedTempFile::new().unwrap();
    let mut child = Command::new("node")
        .arg(web_dir().join(script))
        .env("OFFBEAT_WEB_TEST", config.to_string())
        .stdout(said.reopen().unwrap())
        .stderr(said.reopen().unwrap())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if started.elapsed() > NODE_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let output = std::fs::read_to_string(said.path()).unwrap_or_default();
    println!("{output}");
    match status {
        Some(status) => assert!(status.success(), "{script} failed:\n{output}"),
        None => panic!("{script} took longer than {NODE_DEADLINE:?}; it had said:\n{output}"),
    }
}

pub(crate) fn as_user(user: &TestUser) -> String {
    format!("Bearer {}", user.token)
}

pub(crate) fn two_sentences(dir: &Path) -> PathBuf {
    let first = speech(
        dir,
        "first",
        "Good morning everyone. The budget review moved to Friday.",
    );
    let second = speech(dir, "second", "Thursday works for me.");
    let padded = dir.join("padded.wav");
    run_ok(Command::new("sox").arg(&first).arg(&padded).args(["pad", "0", "2"]));
    let wav = dir.join("clip.wav");
    run_ok(Command::new("sox").arg(&padded).arg(&second).arg(&wav));
    let out = dir.join("clip.opus");
    run_ok(recorder().arg("encode").arg(&wav).arg(&out));
    out
}

pub(crate) fn upload_as(server: &ServerProc, user: &TestUser, file: &Path, title: &str) -> Value {
    let url = format!("{}?title={}", server.api("/api/v1/clips"), urlencode(title));
    let reply = request(
        "POST",
        &url,
        &[("Authorization", &as_user(user))],
        Some(&std::fs::read(file).unwrap()),
    );
    assert_eq!(reply.status, 201, "{}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

pub(crate) fn share_by_link(server: &ServerProc, user: &TestUser, id: &str, guests_may_reply: bool) {
    let body = json!({ "visibility": "link", "guests_may_reply": guests_may_reply }).to_string();
    let reply = request(
        "PATCH",
        &server.api(&format!("/api/v1/clips/{id}/sharing")),
        &[("Authorization", &as_user(user)), ("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(reply.status, 200);
}

#[test]
fn the_playback_page_seeks_changes_speed_and_keeps_hostile_text_inert() {
    let dir = tempfile::tempdir().unwrap();
    let server = transcribing_server();
    let owner = server.user.clone();
    let clip = upload_as(&server, &owner, &two_sentences(dir.path()), "Launch plan");
    let id = clip["id"].as_str().unwrap().to_owned();
    share_by_link(&server, &owner, &id, false);
    let transcript = wait_for_transcript(&server, &id, Duration::from_secs(120));
    assert_eq!(transcript["status"], "ready");
    let token = clip["sharing"]["token"].as_str().unwrap();

    // Hostile text everywhere a person can type: a title, a display name, a reply.
    let mallory = server.add_user("mallory@example.com", "<img src=x onerror=alert(2)>", "UTC", "Default");
    let short = dir.path().join("short.opus");
    run_ok(
        recorder()
            .arg("encode")
            .arg(speech(dir.path(), "hi", "hello"))
            .arg(&short),
    );
    let hostile = upload_as(&server, &mallory, &short, "<script>alert(1)</script>");
    let hostile_id = hostile["id"].as_str().unwrap();
    share_by_link(&server, &mallory, hostile_id, true);
    // Transcript text cannot be dictated with markup, so it is planted in the database, as a
    // compromised model or a tampered row might leave it.
    assert_eq!(
        wait_for_transcript(&server, hostile_id, Duration::from_secs(120))["status"],
        "ready"
    );
    let transcript_text = "<iframe src=javascript:alert(4)></iframe>";
    run_ok(Command::new("python3").arg("-c").arg(
        "import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); \
         db.execute('UPDATE transcript_segments SET text = ? WHERE clip_id = ?', (sys.argv[2], sys.argv[3])); db.commit()",
    ).arg(server.data_dir().join("offbeat.db")).arg(transcript_text).arg(hostile_id));
    let reply_text = "<b>bold</b><script>alert(3)</script>";
    // By the message's owner: what people with the link see of its thread.
    let reply = request(
        "POST",
        &server.api(&format!("/api/v1/threads/{hostile_id}/replies")),
        &[
            ("Authorization", &as_user(&mallory)),
            ("Content-Type", "application/json"),
        ],
        Some(json!({ "text": reply_text }).to_string().as_bytes()),
    );
    assert_eq!(reply.status, 201);

    node(
        "playback.mjs",
        &json!({
            "url": format!("{}/c/{token}", server.url),
            "durationMs": clip["duration_ms"],
            "segments": transcript["segments"].as_array().unwrap().len(),
            "hostileUrl": format!("{}/c/{}", server.url, hostile["sharing"]["token"].as_str().unwrap()),
            "payloads": ["<script>alert(1)</script>", "<img src=x onerror=alert(2)>", reply_text, transcript_text],
            "artifacts": artifacts(),
            "clipId": id,
            "memberEmail": mallory.email,
            "memberId": mallory.id,
            "password": TEST_PASSWORD,
        }),
    );
    assert!(artifacts().join("playback-page.png").is_file());
}

#[test]
fn the_record_button_records_replies_and_camera_messages() {
    let dir = tempfile::tempdir().unwrap();
    let server = transcribing_server();
    let owner = server.user.clone();
    let clip = upload_as(&server, &owner, &two_sentences(dir.path()), "Launch plan");
    let speech = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speech48k.wav");
    node(
        "record.mjs",
        &json!({
            "base": server.url,
            "email": owner.email,
            "password": TEST_PASSWORD,
            "pageUrl": clip["page_url"],
            "speechWav": speech,
            "artifacts": artifacts(),
        }),
    );
    // The reply is a real clip in the thread, with the words said.
    let thread = get(&server.api(&format!("/api/v1/threads/{}", clip["id"].as_str().unwrap()))).json();
    let reply = &thread["root"]["replies"][0];
    assert_eq!(reply["kind"], "clip");
    assert_eq!(
        reply["clip"]["media"]["container"], "ogg",
        "browser WebM audio is stored as Ogg Opus"
    );
    assert!(artifacts().join("dashboard.png").is_file());
}

#[test]
fn the_record_button_streams_keeps_takes_through_outages_and_closed_tabs() {
    let server = ServerProc::start(Backend::Local, &[]);
    let owner = server.user.clone();
    let speech = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speech48k.wav");
    node(
        "outbox.mjs",
        &json!({
            "base": server.url,
            "email": owner.email,
            "password": TEST_PASSWORD,
            "speechWav": speech,
            "artifacts": artifacts(),
        }),
    );
    // The three takes are clips (the last one as far as the browser kept it), and nothing is
    // left half-sent.
    let clips = get(&server.api("/api/v1/clips")).json();
    assert_eq!(clips["clips"].as_array().map(Vec::len), Some(3), "{clips}");
    assert_eq!(
        std::fs::read_dir(server.data_dir().join("uploads")).unwrap().count(),
        0,
        "no session bytes left behind"
    );
}

/// A team onboards itself in Chromium: the setup link the server printed, invites opened in
/// other time zones, the members page's local times and shared hours, removal, a password
/// change (see tests/web/team.mjs).
#[test]
fn a_team_gets_in_by_itself_from_the_setup_link() {
    let server = ServerProc::launch(Backend::Local, &[]);
    let line = server.printed_line("/setup/");
    let setup_url = line
        .split_whitespace()
        .find(|w| w.contains("/setup/"))
        .unwrap()
        .to_owned();
    let clip = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/chromium-audio.webm")).unwrap();
    use base64::Engine;
    node(
        "team.mjs",
        &json!({
            "base": server.url,
            "setupUrl": setup_url,
            "password": TEST_PASSWORD,
            "clipBase64": base64::engine::general_purpose::STANDARD.encode(clip),
            "artifacts": artifacts(),
        }),
    );
    assert!(artifacts().join("members.png").is_file());
}

#[test]
fn the_record_button_embeds_in_allowed_sites_only() {
    let free_port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (allowed, other) = (free_port(), free_port());
    let origin = format!("http://127.0.0.1:{allowed}");
    let server = ServerProc::start(Backend::Local, &["--embed-origins", &origin]);
    let speech = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speech48k.wav");
    node(
        "embed.mjs",
        &json!({
            "base": server.url,
            "token": server.user.token,
            "allowedPort": allowed,
            "otherPort": other,
            "speechWav": speech,
        }),
    );
    let clips = get(&server.api("/api/v1/clips")).json();
    let titles: Vec<&str> = clips["clips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["title"].as_str().unwrap())
        .collect();
    assert_eq!(
        titles,
        ["From the intranet"],
        "exactly one upload, from the allowed site"
    );
}

#[test]
fn links_unfurl_only_when_shared_by_link_and_pages_are_small_and_locked_down() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProc::start(Backend::Local, &[]);
    let owner = server.user.clone();
    let file = two_sentences(dir.path());
    let shared = upload_as(&server, &owner, &file, "Launch plan");
    let private = upload_as(&server, &owner, &file, "Salaries");
    share_by_link(&server, &owner, shared["id"].as_str().unwrap(), false);
    let page_of = |clip: &Value| format!("{}/c/{}", server.url, clip["sharing"]["token"].as_str().unwrap());

    // Link-shared: Open Graph and the oEmbed discovery link, to a working oEmbed answer.
    let page = request("GET", &page_of(&shared), &[("Authorization", "")], None);
    assert_eq!(page.status, 200);
    let html = String::from_utf8(page.body.clone()).unwrap();
    for tag in [
        r#"<meta property="og:title" content="Launch plan">"#,
        r#"<meta property="og:audio" content=""#,
        r#"<meta property="og:audio:type" content="audio/ogg; codecs=opus">"#,
        r#"type="application/json+oembed""#,
    ] {
        assert!(html.contains(tag), "{tag} missing");
    }
    let oembed_url = format!("{}/oembed?format=json&url={}", server.url, urlencode(&page_of(&shared)));
    let oembed = request("GET", &oembed_url, &[("Authorization", "")], None);
    assert_eq!(oembed.status, 200);
    let oembed = oembed.json();
    assert_eq!(oembed["version"], "1.0");
    assert_eq!(oembed["title"], "Launch plan");
    assert!(oembed["html"].as_str().unwrap().contains("?embed=1"));
    // Every link shows a picture (a voice message's is its waveform's card), and the type says
    // what it is not: a song.
    assert!(html.contains(r#"<meta property="og:type" content="website">"#));
    let card_url = format!("{}/card.png", page_of(&shared));
    assert!(
        html.contains(&format!(r#"<meta property="og:image" content="{card_url}">"#)),
        "{html}"
    );
    assert_eq!(oembed["thumbnail_url"].as_str(), Some(card_url.as_str()));
    let card = request("GET", &card_url, &[("Authorization", "")], None);
    assert_eq!(card.status, 200);
    assert_eq!(card.header("content-type"), Some("image/png"));
    assert!(card.body.starts_with(b"\x89PNG\r\n\x1a\n"));
    assert_eq!(
        request(
            "GET",
            &format!("{}/card.png", page_of(&private)),
            &[("Authorization", "")],
            None
        )
        .status,
        404,
        "no card for a clip kept in the team"
    );
    // maxwidth and maxheight are kept to; any format but json is 501.
    let fitted = request(
        "GET",
        &format!("{oembed_url}&maxwidth=300&maxheight=150"),
        &[("Authorization", "")],
        None,
    )
    .json();
    assert!(
        fitted["width"].as_u64().unwrap() <= 300 && fitted["height"].as_u64().unwrap() <= 150,
        "{fitted}"
    );
    assert!(
        fitted["html"].as_str().unwrap().contains(r#"width="300" height="150""#),
        "{fitted}"
    );
    let xml = request(
        "GET",
        &format!("{}/oembed?format=xml&url={}", server.url, urlencode(&page_of(&shared))),
        &[("Authorization", "")],
        None,
    );
    assert_eq!(xml.status, 501);

    // Workspace-only: nothing for strangers — no page, no tags, no oEmbed.
    let hidden = request("GET", &page_of(&private), &[("Authorization", "")], None);
    assert_eq!(hidden.status, 404);
    let hidden_html = String::from_utf8(hidden.body).unwrap();
    assert!(!hidden_html.contains("og:") && !hidden_html.contains("Salaries"));
    let no_oembed = request(
        "GET",
        &format!(
            "{}/oembed?format=json&url={}",
            server.url,
            urlencode(&page_of(&private))
        ),
        &[("Authorization", "")],
        None,
    );
    assert_eq!(no_oembed.status, 404);
    // A signed-in member sees the page, still without anything to unfurl.
    let login = request(
        "POST",
        &server.api("/api/v1/auth/login"),
        &[("Authorization", ""), ("Content-Type", "application/json")],
        Some(
            json!({ "email": owner.email, "password": TEST_PASSWORD })
                .to_string()
                .as_bytes(),
        ),
    );
    let cookie = login
        .header("set-cookie")
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let member_page = request(
        "GET",
        &page_of(&private),
        &[("Authorization", ""), ("Cookie", &cookie)],
        None,
    );
    assert_eq!(member_page.status, 200);
    let member_html = String::from_utf8(member_page.body).unwrap();
    assert!(member_html.contains("Salaries") && !member_html.contains("og:"));
    assert!(member_html.contains(r#"<meta name="csrf-token""#));

    // Security headers: no inline script anywhere, no framing but the embed, no sniffing, no
    // Referer (share tokens live in URLs).
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && csp.contains("frame-ancestors 'none'")
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
    let embed = request(
        "GET",
        &format!("{}?embed=1", page_of(&shared)),
        &[("Authorization", "")],
        None,
    );
    assert!(
        embed
            .header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors *")
    );
    assert!(
        !html.contains("<script>") && !html.contains(" onclick="),
        "no inline script or handlers"
    );

    // The page's own weight (media excluded): HTML, CSS and JS together ≤ 60 KB.
    let assets: usize = html
        .split('"')
        .filter(|s| s.starts_with("/assets/"))
        .map(|path| get(&format!("{}{path}", server.url)).body.len())
        .sum();
    let total = html.len() + assets;
    println!(
        "page weight: {} bytes HTML + {assets} bytes CSS/JS = {total}",
        html.len()
    );
    assert!(total <= 60 * 1024, "{total} bytes");
}

fn subdir(dir: &Path, name: &str) -> PathBuf {
    let sub = dir.join(name);
    std::fs::create_dir_all(&sub).unwrap();
    sub
}

/// About 40 s of speech: a transcription that keeps the queue busy for a while.
fn long_clip(dir: &Path) -> PathBuf {
    let once = two_sentences(dir);
    let wav = dir.join("long.wav");
    run_ok(
        Command::new("sox")
            .arg(dir.join("clip.wav"))
            .arg(&wav)
            .args(["repeat", "5"]),
    );
    let out = dir.join("long.opus");
    run_ok(recorder().arg("encode").arg(&wav).arg(&out));
    assert!(once.is_file());
    out
}

pub(crate) fn post_json(server: &ServerProc, user: &TestUser, path: &str, body: &Value) -> Value {
    let reply = request(
        "POST",
        &server.api(path),
        &[("Authorization", &as_user(user)), ("Content-Type", "application/json")],
        Some(body.to_string().as_bytes()),
    );
    assert!(reply.status < 300, "{path}: {}", String::from_utf8_lossy(&reply.body));
    reply.json()
}

/// The daily loop in the browser (tests/web/everyday.mjs): titles, sharing from the page,
/// what outsiders see, pages that keep up, times in the viewer's zone, search, accessibility.
#[test]
fn the_everyday_loop_shares_keeps_up_and_stays_accessible() {
    let dir = tempfile::tempdir().unwrap();
    let server = transcribing_server();
    let owner = server.user.clone();
    let tess = server.add_user("tess@example.com", "Tess Teammate", "Asia/Tokyo", "Default");
    let plan = upload_as(&server, &owner, &two_sentences(dir.path()), "Launch plan");
    let plan_id = plan["id"].as_str().unwrap().to_owned();
    assert_eq!(plan["visibility"], "workspace", "a new message is for the team only");
    assert_eq!(
        wait_for_transcript(&server, &plan_id, Duration::from_secs(120))["status"],
        "ready"
    );
    // Tess hears it and answers inside the team; its owner answers too.
    let seen = request(
        "POST",
        &server.api(&format!("/api/v1/clips/{plan_id}/seen")),
        &[("Authorization", &as_user(&tess))],
        None,
    );
    assert!(seen.status < 300);
    let team_only = post_json(
        &server,
        &tess,
        &format!("/api/v1/threads/{plan_id}/replies"),
        &json!({ "text": "Internal: the budget is tight" }),
    );
    let public = post_json(
        &server,
        &owner,
        &format!("/api/v1/threads/{plan_id}/replies"),
        // To the message itself: an answer to Tess's team-only reply stays in the team with it.
        &json!({ "text": "Public answer from Olive" }),
    );

    // A message sent without a title is named by its first words once transcribed.
    let numbers = dir.path().join("numbers.opus");
    run_ok(
        recorder()
            .arg("encode")
            .arg(speech(dir.path(), "numbers", "Quarterly numbers are ready for review."))
            .arg(&numbers)
            // Like the record button's takes: no title in the file either.
            .args(["--title", ""]),
    );
    let untitled = upload_as(&server, &tess, &numbers, "");
    let untitled_id = untitled["id"].as_str().unwrap();
    assert_eq!(untitled["title"], "", "no title until the transcript names it");
    let said = wait_for_transcript(&server, untitled_id, Duration::from_secs(120))["text"]
        .as_str()
        .unwrap()
        .trim()
        .to_owned();
    let named = request(
        "GET",
        &server.api(&format!("/api/v1/clips/{untitled_id}")),
        &[("Authorization", &as_user(&tess))],
        None,
    )
    .json();
    let title = named["title"].as_str().unwrap().to_owned();
    assert!(
        title.to_lowercase().contains("ready for review") && said.starts_with(title.trim_end_matches(['.', '…'])),
        "the title {title:?} is the opening of what was said: {said:?}"
    );

    // Media the page receives while open: a voice reply, a message still being transcribed.
    let reply_clip = dir.path().join("reply.opus");
    run_ok(
        recorder()
            .arg("encode")
            .arg(speech(dir.path(), "reply", "Sounds good to me."))
            .arg(&reply_clip),
    );
    node(
        "everyday.mjs",
        &json!({
            "base": server.url,
            "password": TEST_PASSWORD,
            "owner": { "email": owner.email, "token": owner.token },
            "tess": { "email": tess.email, "token": tess.token, "zone": "Asia/Tokyo" },
            "plan": { "id": plan_id, "page": plan["page_url"], "createdAt": plan["created_at"] },
            "teamOnly": team_only["reply_id"],
            "public": public["reply_id"],
            "untitled": { "page": named["page_url"], "title": title },
            "replyClip": reply_clip,
            "freshClip": two_sentences(&subdir(dir.path(), "fresh")),
            "longClip": long_clip(&subdir(dir.path(), "long")),
            "axe": web_dir().join("node_modules/axe-core/axe.min.js"),
            "artifacts": artifacts(),
        }),
    );
    // What the owner chose on the page is what the API says.
    let after = request(
        "GET",
        &server.api(&format!("/api/v1/clips/{plan_id}")),
        &[("Authorization", &as_user(&owner))],
        None,
    )
    .json();
    assert_eq!(after["visibility"], "link");
    assert_eq!(after["sharing"]["outsiders_see"], "message");
}

/// A check-in in the browser (tests/web/checkin.mjs): a member answers from the dashboard's
/// card by voice and the round fills in without a reload; the round page passes axe-core at
/// 1280 and 390 px, light and dark.
#[test]
fn a_member_answers_the_stand_up_from_the_dashboard_by_voice() {
    let server = transcribing_server();
    let lead = server.add_admin("lead@example.com", "Bea Berlin", "Europe/Berlin", "Default");
    let manu = server.add_user("manu@example.com", "Manu Manila", "Asia/Manila", "Default");
    let dani = server.add_user("dani@example.com", "Dani Davao", "Asia/Manila", "Default");
    // Both work every day from midnight, and have the whole day to answer: asked at once.
    let day = json!(["00:00", "23:59"]);
    let hours = json!({ "mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day });
    for who in [&manu, &dani] {
        let set = request(
            "PATCH",
            &server.api("/api/v1/me"),
            &[("Authorization", &as_user(who)), ("Content-Type", "application/json")],
            Some(json!({ "working_hours": hours }).to_string().as_bytes()),
        );
        assert_eq!(set.status, 200, "{}", String::from_utf8_lossy(&set.body));
    }
    post_json(
        &server,
        &lead,
        "/api/v1/checkins",
        &json!({
            "title": "Stand-up",
            "questions": ["What did you do yesterday?", "What is in your way?"],
            "members": [manu.id, dani.id],
            "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            "answer_within_minutes": 1440,
            "time_zone": "Asia/Manila",
        }),
    );
    let due = offbeat_tests::wait::wait_until("Manu asked", Duration::from_secs(60), || {
        let due = request(
            "GET",
            &server.api("/api/v1/checkins/due"),
            &[("Authorization", &as_user(&manu))],
            None,
        )
        .json();
        due["due"].as_array().and_then(|d| d.first().cloned())
    });
    let speech = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/speech48k.wav");
    node(
        "checkin.mjs",
        &json!({
            "base": server.url,
            "password": TEST_PASSWORD,
            "lead": { "email": lead.email },
            "manu": { "email": manu.email },
            "dani": { "token": dani.token },
            "roundId": due["round_id"],
            "speechWav": speech,
            "axe": web_dir().join("node_modules/axe-core/axe.min.js"),
            "artifacts": artifacts(),
        }),
    );
    // What the page showed is what the API says: both answered, in the order they came.
    let round = request(
        "GET",
        &server.api(&format!(
            "/api/v1/checkins/rounds/{}",
            due["round_id"].as_str().unwrap()
        )),
        &[("Authorization", &as_user(&lead))],
        None,
    )
    .json();
    assert_eq!(round["state"], "closed", "{round}");
    let states: Vec<&str> = round["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["answered", "answered"], "{round}");
    assert!(artifacts().join("checkin-round-open-390-dark.png").is_file());
}

/// Trimming in the browser on a phone (tests/web/trim.mjs): start at the playhead, end typed,
/// a preview that stops at the end, the cut played, Undo, Keep; axe-core at 1280 and 390 px.
#[test]
fn the_owner_trims_a_message_on_a_phone_and_undoes_and_keeps_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = ServerProc::start(Backend::Local, &[]);
    let clip = server.upload_file(&two_sentences(dir.path()));
    let id = clip["id"].as_str().unwrap();
    node(
        "trim.mjs",
        &json!({
            "base": server.url,
            "password": TEST_PASSWORD,
            "email": server.user.email,
            "pageUrl": clip["page_url"],
            "axe": web_dir().join("node_modules/axe-core/axe.min.js"),
            "artifacts": artifacts(),
        }),
    );
    let trim = get(&server.api(&format!("/api/v1/clips/{id}/trim"))).json();
    assert_eq!(trim["original_kept"], false, "{trim}");
    assert_eq!(trim["cut"]["start_ms"].as_i64(), Some(500), "{trim}");
    assert!(artifacts().join("trim-390-dark.png").is_file());
}

/// A summary in the browser (tests/web/summary.mjs): it appears on the open page without a
/// reload, marked as generated here; chapters seek the player; axe-core at 1280 and 390 px,
/// light and dark; the owner's rewrite is theirs.
#[test]
fn a_summary_appears_on_the_open_page_and_its_chapters_seek() {
    let dir = tempfile::tempdir().unwrap();
    let speech = crate::summaries::three_topics(dir.path());
    let mut flags = transcribe_args();
    flags.extend(summarize_args());
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::Local, &flags);
    let clip = server.upload_file(&speech);
    let id = clip["id"].as_str().unwrap();
    let own = "Migration done, three designers in the final round, Lisbon in March.";
    node(
        "summary.mjs",
        &json!({
            "base": server.url,
            "password": TEST_PASSWORD,
            "email": server.user.email,
            "pageUrl": clip["page_url"],
            "ownSummary": own,
            "axe": web_dir().join("node_modules/axe-core/axe.min.js"),
            "artifacts": artifacts(),
        }),
    );
    let summary = get(&server.api(&format!("/api/v1/clips/{id}/summary"))).json();
    assert_eq!(
        (summary["source"].as_str(), summary["summary"].as_str()),
        (Some("edited"), Some(own)),
        "{summary}"
    );
    assert!(artifacts().join("summary-390-dark.png").is_file());
}
