//! The API's contract: the OpenAPI 3.1 description the server generates from its code —
//! valid by `openapi-spec-validator` (PyPI), operation ids unique, who needs no sign-in said —
//! checked by schemathesis (PyPI) against a live server on a workspace of its own, with an
//! admin's token: a bounded number of generated requests per operation and chains of them (its
//! stateful phase), every answer free of 5xx, of the status, content type, headers and schema
//! described, a 401 without credentials and a 405 for a method not described; and the page that
//! shows it to people.

use std::process::Command;

use offbeat_tests::http::get;
use offbeat_tests::server::{Backend, ServerProc};

const CLIP: &[u8] = include_bytes!("../../fixtures/chromium-audio.webm");

/// Where `scripts/install-deps` put schemathesis' tools: `st`, `openapi-spec-validator`.
fn python_tool(name: &str) -> std::path::PathBuf {
    let tool = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/schemathesis/bin")
        .join(name);
    assert!(
        tool.is_file(),
        "no {name} at {}: run scripts/install-deps test",
        tool.display()
    );
    tool
}

/// What schemathesis is told beyond the description: the clip every `{id}` takes; that tus's
/// version rule answers 412 (tus requires it) to a request without `Tus-Resumable`; and where a
/// request the schema allows may still be refused for a reason no JSON Schema can state — so
/// those operations are spared `positive_data_acceptance` (every other check still runs on
/// them). Everything else the schema allows is accepted.
fn schemathesis_config(clip_id: &str) -> String {
    let refused = r#"["400", "401", "403", "404", "405", "406", "409", "412", "413", "415", "422", "428", "429"]"#;
    let mut config = format!(
        "[parameters]\n\"path.id\" = \"{clip_id}\"\n\
         [checks.negative_data_rejection]\nexpected-statuses = {refused}\n\
         [checks.missing_required_header]\nexpected-statuses = {refused}\n"
    );
    for (operations, why) in [
        (
            &["POST /api/v1/auth/login", "POST /api/v1/auth/recorder-token"][..],
            "real credentials: an account's password, a code the recorder was given",
        ),
        (
            &["POST /api/v1/clips", "PUT /api/v1/clips/{id}/poster"][..],
            "bodies that must be Ogg Opus or WebM, or a JPEG",
        ),
        (
            &[
                "POST /api/v1/clips/{id}/reactions",
                "DELETE /api/v1/clips/{id}/reactions",
            ][..],
            "one emoji: Unicode's list of emoji, not a pattern",
        ),
        (
            &["PUT /api/v1/clips/{id}/trim", "PATCH /api/v1/clips/{id}/summary"][..],
            "moments inside this clip's length",
        ),
        (
            &[
                "POST /api/v1/threads/{id}/replies",
                "POST /api/v1/checkins/rounds/{round_id}/answers",
                "POST /api/v1/checkins/rounds/{round_id}/replies",
            ][..],
            "other messages (the answer a reply answers, the replier's own upload) and moments inside the clip",
        ),
        (
            &["POST /api/v1/checkins", "PATCH /api/v1/checkins/{id}"][..],
            "ids of this workspace's members",
        ),
        (
            &["POST /api/v1/webhooks"][..],
            "a URL whose host resolves to a public address",
        ),
    ] {
        let names = operations
            .iter()
            .map(|name| format!("{name:?}"))
            .collect::<Vec<_>>()
            .join(", ");
        config.push_str(&format!(
            "# {why}\n[[operations]]\ninclude-name = [{names}]\nchecks.positive_data_acceptance.enabled = false\n"
        ));
    }
    config
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
    std::fs::write(&config_file, schemathesis_config(&clip_id)).unwrap();

    let described = get(&server.api("/api/v1/openapi.json"));
    let description = described.json();
    assert_eq!(description["openapi"], "3.1.0");
    // Valid OpenAPI 3.1: every reference defined, every response described, each parameter once.
    let file = config.path().join("openapi.json");
    std::fs::write(&file, &described.body).unwrap();
    let validated = Command::new(python_tool("openapi-spec-validator"))
        .arg(&file)
        .output()
        .expect("run openapi-spec-validator");
    assert!(
        validated.status.success(),
        "{}{}",
        String::from_utf8_lossy(&validated.stdout),
        String::from_utf8_lossy(&validated.stderr)
    );
    // Operation ids unique (tools chain operations by them); the public ones need no sign-in.
    let mut ids = std::collections::HashSet::new();
    for (path, item) in description["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let Some(id) = operation["operationId"].as_str() else {
                continue;
            };
            assert!(ids.insert(id.to_owned()), "operationId {id} twice ({method} {path})");
        }
    }
    for (method, path) in [
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/recorder-token"),
        ("get", "/healthz"),
        ("get", "/api/v1/shared/{token}"),
    ] {
        assert_eq!(
            description["paths"][path][method]["security"],
            serde_json::json!([]),
            "{method} {path}"
        );
    }
    let by_link = &description["paths"]["/api/v1/clips/{id}/media"]["get"]["security"];
    assert!(
        by_link.as_array().unwrap().contains(&serde_json::json!({})),
        "{by_link}"
    );
    let paths = description["paths"].as_object().unwrap();
    for documented in [
        "/api/v1/clips",
        "/api/v1/uploads/{id}",
        "/api/v1/webhooks",
        "/api/v1/threads/{id}/replies",
    ] {
        assert!(paths.contains_key(documented), "{documented} is not described");
    }

    let run = Command::new(python_tool("st"))
        // Its caches (earlier failures it would replay) go with the run, not into the tree.
        .current_dir(config.path())
        .arg("--config-file")
        .arg(&config_file)
        .arg("run")
        .arg(server.api("/api/v1/openapi.json"))
        .args(["--header", &format!("Authorization: Bearer {}", admin.token)])
        // Every check (schemathesis' default; `--checks` would override the operations' own).
        .args(["--max-examples", "15", "--seed", "20261130", "--no-color"])
        .args(["--phases", "examples,coverage,fuzzing,stateful"])
        // What would end the run's own session, and bodies it cannot generate (tus bodies have
        // tests of their own).
        .args([
            "--exclude-path",
            "/api/v1/auth/logout",
            "--exclude-path",
            "/api/v1/me/password",
        ])
        .args(["--exclude-name", "PATCH /api/v1/uploads/{id}"])
        .args(["--exclude-name", "POST /api/v1/uploads"])
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
