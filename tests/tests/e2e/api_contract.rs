//! The API's contract: the OpenAPI 3.1 description the server generates from its code, checked
//! by schemathesis (PyPI) against a live server with an admin's token — a bounded number of
//! generated requests per operation, every answer free of 5xx and matching its schema — and
//! the page that shows it to people.

use std::process::Command;

use offbeat_tests::http::get;
use offbeat_tests::server::{Backend, ServerProc};

const CLIP: &[u8] = include_bytes!("../../fixtures/chromium-audio.webm");

/// Where `scripts/install-deps` put schemathesis.
fn schemathesis() -> std::path::PathBuf {
    let st = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/schemathesis/bin/st");
    assert!(
        st.is_file(),
        "no schemathesis at {}: run scripts/install-deps test",
        st.display()
    );
    st
}

#[test]
fn every_answer_matches_the_description_and_none_is_a_5xx() {
    let server = ServerProc::start(Backend::Local, &["--login-attempts-per-minute", "1000"]);
    let admin = server.add_admin("ada@example.com", "Ada", "Europe/Berlin", "Default");
    // Something to read — a clip with a reply — whose id every `{id}` in the run takes, so
    // that answers are read, not only 404s.
    let auth = format!("Bearer {}", admin.token);
    let clip = offbeat_tests::http::request(
        "POST",
        &server.api("/api/v1/clips?title=Plan"),
        &[("Authorization", &auth)],
        Some(CLIP),
    )
    .json();
    let clip_id = clip["id"].as_str().unwrap().to_owned();
    let replied = offbeat_tests::http::request(
        "POST",
        &server.api(&format!("/api/v1/threads/{clip_id}/replies")),
        &[("Authorization", &auth), ("Content-Type", "application/json")],
        Some(br#"{"text": "a reply to read"}"#),
    );
    assert_eq!(replied.status, 201);
    let config = tempfile::tempdir().unwrap();
    let config_file = config.path().join("schemathesis.toml");
    std::fs::write(&config_file, format!("[parameters]\n\"path.id\" = \"{clip_id}\"\n")).unwrap();

    let description = get(&server.api("/api/v1/openapi.json")).json();
    assert_eq!(description["openapi"], "3.1.0");
    let paths = description["paths"].as_object().unwrap();
    for documented in [
        "/api/v1/clips",
        "/api/v1/uploads/{id}",
        "/api/v1/webhooks",
        "/api/v1/threads/{id}/replies",
    ] {
        assert!(paths.contains_key(documented), "{documented} is not described");
    }

    let run = Command::new(schemathesis())
        // Its caches (earlier failures it would replay) go with the run, not into the tree.
        .current_dir(config.path())
        .arg("--config-file")
        .arg(&config_file)
        .arg("run")
        .arg(server.api("/api/v1/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {}", admin.token)])
        .args(["--checks", "not_a_server_error,response_schema_conformance"])
        .args(["--max-examples", "15", "--seed", "20261130", "--no-color"])
        // Its stateful phase infers links between operations that do not exist (GET /clips
        // → PATCH /me with an id) and reports them as errors of ours.
        .args(["--phases", "examples,coverage,fuzzing"])
        // What would end the run's own session, and a body type it cannot generate (tus
        // PATCHes have tests of their own).
        .args([
            "--exclude-path",
            "/api/v1/auth/logout",
            "--exclude-path",
            "/api/v1/me/password",
        ])
        .args(["--exclude-name", "PATCH /api/v1/uploads/{id}"])
        .output()
        .expect("run schemathesis");
    let report = String::from_utf8_lossy(&run.stdout);
    eprintln!("{}", report.lines().rev().take(12).collect::<Vec<_>>().join("\n"));
    assert!(
        run.status.success(),
        "schemathesis found failures:\n{report}\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(report.contains("passed"), "{report}");

    // The same description, for people.
    let page = get(&server.api("/api/docs"));
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    for expected in [
        "POST /api/v1/webhooks",
        "Add a webhook (admins)",
        "schema-ClipView",
        "Upload-Offset",
    ] {
        assert!(html.contains(expected), "the docs page lacks {expected:?}");
    }
}
