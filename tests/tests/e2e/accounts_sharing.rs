//! Accounts and sharing against the real server: probing, token entropy, sessions with CSRF,
//! rate-limited sign-in, token revocation, the recorder's saved token. (The whole access
//! matrix runs in process: `server/tests/permissions.rs`.)

use std::collections::HashSet;
use std::path::Path;

use offbeat_tests::http::{Reply, request};
use offbeat_tests::server::{Backend, ServerProc, TEST_PASSWORD, TestUser};
use offbeat_tests::tools::{recorder, run_ok, speech};
use serde_json::{Value, json};

fn speech_clip(dir: &Path) -> Vec<u8> {
    let wav = speech(dir, "speech", "please review the budget");
    let out = dir.join("speech.opus");
    run_ok(recorder().arg("encode").arg(&wav).arg(&out));
    std::fs::read(out).unwrap()
}

fn bearer(user: &TestUser) -> String {
    format!("Bearer {}", user.token)
}

fn call(method: &str, url: &str, auth: &str, body: Option<&Value>) -> Reply {
    let text = body.map(Value::to_string);
    request(
        method,
        url,
        &[("Authorization", auth), ("Content-Type", "application/json")],
        text.as_deref().map(str::as_bytes),
    )
}

#[test]
fn probing_learns_nothing_and_share_tokens_are_unguessable() {
    let dir = tempfile::tempdir().unwrap();
    let clip_bytes = speech_clip(dir.path());
    let server = ServerProc::start(Backend::Local, &[]);
    let stranger = server.add_user("stranger@example.org", "Stan", "UTC", "Elsewhere");
    let mut tokens = HashSet::new();
    let mut ids = Vec::new();
    for _ in 0..20 {
        let clip = request("POST", &server.api("/api/v1/clips"), &[], Some(&clip_bytes)).json();
        let token = clip["sharing"]["token"].as_str().unwrap().to_owned();
        // 256 bits as hex from the OS CSPRNG: 64 hex digits, never repeated.
        assert_eq!(token.len(), 64);
        assert!(token.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(tokens.insert(token));
        ids.push(clip["id"].as_str().unwrap().to_owned());
    }
    // The bits look random: about half are set (20 × 256 bits; 5 sigma ≈ 200).
    let ones: u32 = tokens
        .iter()
        .flat_map(|t| hex::decode(t).unwrap())
        .map(u8::count_ones)
        .sum();
    assert!(
        (2560u32.saturating_sub(200)..2560 + 200).contains(&ones),
        "{ones} of 5120 bits set"
    );

    // A clip that exists but is not yours answers exactly like one that does not exist.
    let exists = ids[0].clone();
    let absent = "0123456789abcdef0123456789abcdef";
    let token = tokens.iter().next().unwrap().clone();
    for path in ["", "/media", "/transcript", "/peaks", "/transcript.vtt"] {
        let a = call(
            "GET",
            &server.api(&format!("/api/v1/clips/{exists}{path}")),
            &bearer(&stranger),
            None,
        );
        let b = call(
            "GET",
            &server.api(&format!("/api/v1/clips/{absent}{path}")),
            &bearer(&stranger),
            None,
        );
        assert_eq!((a.status, &a.body), (b.status, &b.body), "{path}");
        assert_eq!(a.status, 404);
    }
    // A real share token of a clip that is not shared by link answers like a made-up one.
    let real = call("GET", &server.api(&format!("/api/v1/shared/{token}")), "", None);
    let fake = call(
        "GET",
        &server.api(&format!("/api/v1/shared/{}", "ab".repeat(32))),
        "",
        None,
    );
    assert_eq!((real.status, &real.body), (fake.status, &fake.body));
    assert_eq!(real.status, 404);
    // Rotating a link: the old token stops working (like one never issued), the new one works.
    let sharing = server.api(&format!("/api/v1/clips/{exists}/sharing"));
    let linked = call(
        "PATCH",
        &sharing,
        &bearer(&server.user),
        Some(&json!({ "visibility": "link" })),
    )
    .json();
    let old = linked["sharing"]["token"].as_str().unwrap().to_owned();
    assert_eq!(
        call("GET", &server.api(&format!("/api/v1/shared/{old}")), "", None).status,
        200
    );
    let rotated = call("POST", &format!("{sharing}/rotate"), &bearer(&server.user), None).json();
    let new = rotated["sharing"]["token"].as_str().unwrap().to_owned();
    assert_ne!(old, new);
    let stale = call("GET", &server.api(&format!("/api/v1/shared/{old}")), "", None);
    assert_eq!((stale.status, &stale.body), (fake.status, &fake.body));
    let fresh = call("GET", &server.api(&format!("/api/v1/shared/{new}")), "", None).json();
    assert_eq!(fresh["id"], exists.as_str());
    assert!(
        fresh["media_url"].as_str().unwrap().ends_with(&format!("?share={new}")),
        "guests' links carry the token"
    );
    assert!(
        fresh.get("sharing").is_none(),
        "only the owner sees the sharing settings"
    );
    // Strangers' listings and searches show none of it.
    let listed = call("GET", &server.api("/api/v1/clips"), &bearer(&stranger), None).json();
    assert_eq!(listed["clips"].as_array().unwrap().len(), 0);
    assert_eq!(call("GET", &server.api("/api/v1/clips"), "", None).status, 401);
}

#[test]
fn sessions_need_csrf_for_writes_sign_in_is_rate_limited_and_tokens_can_be_revoked() {
    let server = ServerProc::start(Backend::Local, &["--login-attempts-per-minute", "5"]);
    let login = |password: &str, kind: &str| {
        call(
            "POST",
            &server.api("/api/v1/auth/login"),
            "",
            Some(&json!({ "email": "OWNER@example.com", "password": password, "kind": kind })),
        )
    };
    // A browser session: the cookie is HttpOnly and SameSite; not Secure, since this server's
    // public URL is plain HTTP (a browser would drop it; `server/tests/router.rs` checks that
    // it is Secure over HTTPS).
    let session = login(TEST_PASSWORD, "session");
    assert_eq!(session.status, 200, "{}", String::from_utf8_lossy(&session.body));
    let cookie = session.header("set-cookie").unwrap().to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(cookie.contains(attribute), "{cookie}");
    }
    assert!(!cookie.contains("Secure"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    let csrf = session.json()["csrf_token"].as_str().unwrap().to_owned();
    let with_cookie = |method: &str, path: &str, csrf: &str| {
        request(
            method,
            &server.api(path),
            &[("Authorization", ""), ("Cookie", &pair), ("X-CSRF-Token", csrf)],
            Some(b"{}"),
        )
    };
    assert_eq!(
        with_cookie("GET", "/api/v1/me", "").json()["email"],
        "owner@example.com"
    );
    // A write with the cookie alone (what a forged cross-site form sends) is refused.
    assert_eq!(with_cookie("POST", "/api/v1/auth/logout", "").status, 403);
    assert_eq!(with_cookie("POST", "/api/v1/auth/logout", "not-the-token").status, 403);
    assert_eq!(with_cookie("POST", "/api/v1/auth/logout", &csrf).status, 204);
    assert_eq!(with_cookie("GET", "/api/v1/me", "").status, 401, "logged out");

    // API tokens: listed, revocable; a revoked token is refused.
    let api = login(TEST_PASSWORD, "api").json();
    let token = api["token"].as_str().unwrap().to_owned();
    let listed = call("GET", &server.api("/api/v1/tokens"), &format!("Bearer {token}"), None).json();
    assert!(
        listed["tokens"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == api["token_id"])
    );
    let revoke = server.api(&format!("/api/v1/tokens/{}", api["token_id"].as_str().unwrap()));
    assert_eq!(call("DELETE", &revoke, &format!("Bearer {token}"), None).status, 204);
    assert_eq!(
        call("GET", &server.api("/api/v1/me"), &format!("Bearer {token}"), None).status,
        401
    );

    // Wrong passwords and unknown emails read the same; then the limit (5 a minute) bites.
    let wrong = login("wrong password", "api");
    let unknown = call(
        "POST",
        &server.api("/api/v1/auth/login"),
        "",
        Some(&json!({ "email": "nobody@example.com", "password": "x" })),
    );
    assert_eq!(
        (wrong.status, wrong.error_message()),
        (unknown.status, unknown.error_message())
    );
    let mut limited = None;
    for _ in 0..5 {
        let attempt = login("wrong again", "api");
        if attempt.status == 429 {
            limited = Some(attempt);
            break;
        }
    }
    let limited = limited.expect("sign-in attempts are limited");
    assert!(limited.header("retry-after").is_some());
    assert_eq!(login(TEST_PASSWORD, "api").status, 429, "even the right password waits");
}

#[test]
fn recorder_login_keeps_its_token_private() {
    let server = ServerProc::start(Backend::Local, &[]);
    let config = tempfile::tempdir().unwrap();
    let mut login = recorder();
    login
        .env("OFFBEAT_CONFIG_DIR", config.path())
        .args(["login", "--server", &server.url, "--email", "owner@example.com"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = login.spawn().unwrap();
    use std::io::Write;
    writeln!(child.stdin.take().unwrap(), "{TEST_PASSWORD}").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let file = config.path().join("credentials.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);
    // The saved token works for the recorder's calls; logout revokes it.
    let inbox = run_ok(
        recorder()
            .env("OFFBEAT_CONFIG_DIR", config.path())
            .args(["inbox", "--server", &server.url]),
    );
    assert!(String::from_utf8_lossy(&inbox.stdout).contains("Nothing new"));
    let saved: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let token = saved["servers"][&server.url]["token"].as_str().unwrap().to_owned();
    run_ok(
        recorder()
            .env("OFFBEAT_CONFIG_DIR", config.path())
            .args(["logout", "--server", &server.url]),
    );
    assert_eq!(
        call("GET", &server.api("/api/v1/me"), &format!("Bearer {token}"), None).status,
        401
    );
    let after = recorder()
        .env("OFFBEAT_CONFIG_DIR", config.path())
        .args(["inbox", "--server", &server.url])
        .output()
        .unwrap();
    assert!(!after.status.success());
    assert!(String::from_utf8_lossy(&after.stderr).contains("recorder login"));
}

/// On the server's machine, `server user reset-password` sets a new password and ends every
/// session and token of that user; `recorder members` then shows who is around.
#[test]
fn an_admin_resets_a_password_on_the_server_and_members_show_on_the_command_line() {
    let server = ServerProc::start(Backend::Local, &[]);
    let manu = server.add_user("manu@example.com", "Manu", "Asia/Manila", "Default");
    let me = |user: &TestUser| call("GET", &server.api("/api/v1/me"), &bearer(user), None).status;
    assert_eq!(me(&manu), 200);

    let mut reset = std::process::Command::new(offbeat_tests::tools::workspace_bin("server"))
        .arg("--data-dir")
        .arg(server.data_dir())
        .args(["user", "reset-password", "--email", "Manu@Example.com"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        writeln!(reset.stdin.take().unwrap(), "a fresh passphrase").unwrap();
    }
    let out = reset.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ended 1 sessions and tokens"));
    assert_eq!(me(&manu), 401, "the old token ends at once");
    let login = |password: &str| {
        let body = json!({ "email": "manu@example.com", "password": password, "kind": "api" });
        call("POST", &server.api("/api/v1/auth/login"), "", Some(&body)).status
    };
    assert_eq!(login(TEST_PASSWORD), 400);
    assert_eq!(login("a fresh passphrase"), 201);

    let members = run_ok(server.recorder().args(["members", "--server", &server.url]));
    let text = String::from_utf8_lossy(&members.stdout);
    assert!(
        text.contains("Olive Owner (you)") && text.contains("Europe/Berlin"),
        "{text}"
    );
    assert!(text.contains("Manu") && text.contains("Asia/Manila"), "{text}");
    assert!(text.contains("mon 09:00–17:00"), "{text}");
}
