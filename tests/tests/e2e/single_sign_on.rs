//! Single sign-on through a real OpenID Provider (npm's certified `oidc-provider`, on loopback),
//! driven in Chromium, on both databases: who gets in and who is refused (each refusal's reason
//! in the server's log), `recorder login` through the browser and the loopback, and passwords
//! turned off for members but never for the last admin.

use std::process::Command;
use std::time::Duration;

use offbeat_tests::http::request;
use offbeat_tests::oidc_provider::OidcProvider;
use offbeat_tests::postgres::PgCluster;
use offbeat_tests::process::Watched;
use offbeat_tests::server::{Backend, ServerProc, TEST_PASSWORD};
use offbeat_tests::tools::{recorder, workspace_bin};
use serde_json::json;

use crate::web_pages::{artifacts, node, post_json, web_dir};

const BUTTON: &str = "Sign in with Acme ID";

fn sso_flags(issuer: &str, extra: &[&str]) -> Vec<String> {
    let mut flags = OidcProvider::flags(issuer);
    flags.extend(["--oidc-button-label", BUTTON].map(String::from));
    flags.extend(extra.iter().map(|s| (*s).to_owned()));
    flags
}

#[test]
fn single_sign_on_admits_members_and_refuses_the_rest_on_sqlite() {
    signs_in_through_the_provider(&[]);
}

#[test]
fn single_sign_on_admits_members_and_refuses_the_rest_on_postgres() {
    let postgres = PgCluster::start();
    signs_in_through_the_provider(&["--database-url", &postgres.url()]);
}

fn signs_in_through_the_provider(database: &[&str]) {
    let issuer = OidcProvider::reserve_issuer();
    // Every trip to the provider counts as a sign-in attempt of its address: this test makes
    // a few dozen within the minute, all from loopback.
    let mut extra = vec![
        "--oidc-allowed-domains",
        "acme.test",
        "--login-attempts-per-minute",
        "100",
    ];
    extra.extend(database);
    let flags = sso_flags(&issuer, &extra);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server = ServerProc::start(Backend::Local, &flags);
    let ann = server.add_user("ann@acme.test", "Ann Member", "Europe/Berlin", "Default");
    let boss = server.add_admin("boss@acme.test", "Bo Boss", "Europe/Berlin", "Default");
    let invite = post_json(
        &server,
        &boss,
        "/api/v1/invites",
        &json!({ "email": "dee@partner.test" }),
    );
    let _provider = OidcProvider::start(&issuer, &[&server.url]);

    let config_dir = tempfile::tempdir().unwrap();
    let mut login = recorder();
    login
        .args(["login", "--server", &server.url, "--no-browser"])
        .env("OFFBEAT_CONFIG_DIR", config_dir.path())
        .env_remove("OFFBEAT_TOKEN");
    let mut login = Watched::spawn(&mut login);
    login.wait_for_line(&format!("{}/auth/recorder?", server.url), Duration::from_secs(30));
    let recorder_url = login.seen().last().unwrap().trim().to_owned();

    let token_file = tempfile::NamedTempFile::new().unwrap();
    node(
        "sso.mjs",
        &json!({
            "base": server.url,
            "provider": issuer,
            "label": BUTTON,
            "invite": invite["url"],
            "recorderUrl": recorder_url,
            "tokenFile": token_file.path(),
            "adminToken": boss.token,
            "axe": web_dir().join("node_modules/axe-core/axe.min.js"),
            "artifacts": artifacts(),
        }),
    );

    // Each refusal says why in the log.
    for reason in [
        "join only with an invitation",
        "has not verified uv@acme.test",
        "an admin removed you from this workspace",
        "did not come back the way it left",
        "expired or was already used",
        "did not accept the sign-in code",
        "Invalid nonce",
        "Invalid audiences",
        "Signature verification failed",
    ] {
        let lines = server.logged("single sign-on refused");
        assert!(
            lines.iter().any(|line| line.contains(reason)),
            "no refusal logged with {reason:?}: {lines:#?}"
        );
    }
    // Who is in now: Ann, and Dee who joined by invitation; not Cy (joined, then removed), nor
    // the two refused.
    let members = request(
        "GET",
        &server.api("/api/v1/members"),
        &[("Authorization", &format!("Bearer {}", boss.token))],
        None,
    )
    .json();
    let names: Vec<&str> = members["members"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["name"].as_str())
        .collect();
    for joined in ["Ann Member", "Dee Partner"] {
        assert!(names.contains(&joined), "{joined} is a member: {names:?}");
    }
    assert_eq!(
        names.len(),
        4,
        "the owner, Ann, Bo and Dee; not Cy, Eve or the unverified: {names:?}"
    );
    // The invitation was used.
    let invites = request(
        "GET",
        &server.api("/api/v1/invites"),
        &[("Authorization", &format!("Bearer {}", boss.token))],
        None,
    )
    .json();
    assert_eq!(invites["invites"][0]["uses"], 1, "{invites}");

    // `recorder login` got a token that works, as Ann.
    let (status, said) = login.finish(Duration::from_secs(30));
    assert!(status.success(), "recorder login: {said:#?}");
    assert!(
        said.iter().any(|l| l.starts_with("Signed in as Ann Member")),
        "{said:#?}"
    );
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(config_dir.path().join("credentials.json")).unwrap()).unwrap();
    let token = saved["servers"][&server.url]["token"].as_str().unwrap();
    let me = request(
        "GET",
        &server.api("/api/v1/me"),
        &[("Authorization", &format!("Bearer {token}"))],
        None,
    );
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["id"], ann.id.as_str());
    // Where no browser is at hand: the token made in settings, pasted.
    let pasted_dir = tempfile::tempdir().unwrap();
    let mut paste = recorder();
    paste
        .args(["login", "--server", &server.url, "--paste-token"])
        .env("OFFBEAT_CONFIG_DIR", pasted_dir.path())
        .env_remove("OFFBEAT_TOKEN")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut paste = paste.spawn().unwrap();
    {
        use std::io::Write;
        let token = std::fs::read_to_string(token_file.path()).unwrap();
        writeln!(paste.stdin.take().unwrap(), "{token}").unwrap();
    }
    let pasted = paste.wait_with_output().unwrap();
    let said = String::from_utf8_lossy(&pasted.stderr);
    assert!(
        pasted.status.success() && said.contains("Signed in as Ann Member"),
        "{said}"
    );
    // The code it used works once.
    let again = request(
        "POST",
        &server.api("/api/v1/auth/recorder-token"),
        &[("Authorization", ""), ("Content-Type", "application/json")],
        Some(
            json!({ "code": "0".repeat(64), "verifier": "x".repeat(43) })
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(again.status, 400, "{}", String::from_utf8_lossy(&again.body));
}

fn password_login(server: &ServerProc, email: &str) -> (u16, String) {
    let reply = request(
        "POST",
        &server.api("/api/v1/auth/login"),
        &[("Authorization", ""), ("Content-Type", "application/json")],
        Some(
            json!({ "email": email, "password": TEST_PASSWORD, "kind": "api" })
                .to_string()
                .as_bytes(),
        ),
    );
    (reply.status, String::from_utf8_lossy(&reply.body).into_owned())
}

#[test]
fn passwords_turned_off_leave_only_the_last_admin_on_sqlite() {
    passwords_turned_off(&[]);
}

#[test]
fn passwords_turned_off_leave_only_the_last_admin_on_postgres() {
    let postgres = PgCluster::start();
    passwords_turned_off(&["--database-url", &postgres.url()]);
}

fn passwords_turned_off(database: &[&str]) {
    // The provider is asked only when someone signs in through it: none is needed here.
    let issuer = OidcProvider::reserve_issuer();
    let mut extra = vec!["--password-sign-in", "off"];
    extra.extend(database);
    let flags = sso_flags(&issuer, &extra);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let server = ServerProc::launch(Backend::Local, &flags);
    server.make_account("admin@acme.test", "Ada Admin", "Europe/Berlin", "Default", &["--admin"]);
    server.make_account("member@acme.test", "Mo Member", "Asia/Manila", "Default", &[]);

    let (status, said) = password_login(&server, "member@acme.test");
    assert_eq!(status, 403, "{said}");
    assert!(
        said.contains("passwords are turned off here") && said.contains(BUTTON),
        "{said}"
    );
    let (status, said) = password_login(&server, "admin@acme.test");
    assert_eq!(status, 201, "the last admin can always use a password: {said}");
    // A wrong password still reads as one, whoever it is for.
    let wrong = request(
        "POST",
        &server.api("/api/v1/auth/login"),
        &[("Authorization", ""), ("Content-Type", "application/json")],
        Some(
            json!({ "email": "member@acme.test", "password": "not it at all" })
                .to_string()
                .as_bytes(),
        ),
    );
    assert_eq!(wrong.status, 400);

    // With a second admin, neither is the last: both sign in through the provider.
    server.make_account(
        "second@acme.test",
        "Sam Second",
        "America/Sao_Paulo",
        "Default",
        &["--admin"],
    );
    let (status, said) = password_login(&server, "admin@acme.test");
    assert_eq!(status, 403, "{said}");

    // The sign-in page leads with the provider; the password form is folded away for admins.
    let page = request("GET", &format!("{}/login", server.url), &[("Authorization", "")], None);
    let html = String::from_utf8_lossy(&page.body);
    let button = html.find(BUTTON).expect("the single sign-on button");
    let folded = html
        .find("<details class=\"password\"")
        .expect("the folded password form");
    assert!(button < folded, "{html}");

    // Admins only: members through the provider, admins either way.
    let mut extra = vec!["--password-sign-in", "admins-only"];
    extra.extend(database);
    let flags = sso_flags(&issuer, &extra);
    let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
    let admins_only = ServerProc::launch(Backend::Local, &flags);
    if database.is_empty() {
        // Its own SQLite file: the same people again.
        admins_only.make_account("admin@acme.test", "Ada Admin", "Europe/Berlin", "Default", &["--admin"]);
        admins_only.make_account("member@acme.test", "Mo Member", "Asia/Manila", "Default", &[]);
        admins_only.make_account(
            "second@acme.test",
            "Sam Second",
            "America/Sao_Paulo",
            "Default",
            &["--admin"],
        );
    }
    assert_eq!(password_login(&admins_only, "member@acme.test").0, 403);
    assert_eq!(password_login(&admins_only, "admin@acme.test").0, 201);
    assert_eq!(password_login(&admins_only, "second@acme.test").0, 201);

    // Turning passwords off needs a provider to sign in through instead.
    let refused = Command::new(workspace_bin("server"))
        .args(["--listen", "127.0.0.1:0", "--password-sign-in", "off", "--data-dir"])
        .arg(tempfile::tempdir().unwrap().path())
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("needs single sign-on"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
}
