//! `server models fetch`: a whisper model downloaded into the data directory and checked
//! against its sha256, from a local HTTP server standing in for the model repository (a
//! mirror): whole and right, tampered, or cut off midway — nothing is left behind on failure.

use std::path::Path;
use std::process::{Command, Output};

use offbeat_tests::file_server::{FileServer, Serving};
use offbeat_tests::speech::{summary_model, whisper_model};
use offbeat_tests::tools::workspace_bin;
use sha2::{Digest, Sha256};

const FILE: &str = "ggml-tiny.en.bin";

fn fetch(data: &Path, base: &str, sha256: Option<&str>) -> Output {
    fetch_model(data, "tiny.en", base, sha256)
}

fn fetch_model(data: &Path, name: &str, base: &str, sha256: Option<&str>) -> Output {
    let mut command = Command::new(workspace_bin("server"));
    command
        .arg("--data-dir")
        .arg(data)
        .args(["models", "fetch", name, "--base-url", base]);
    if let Some(sha256) = sha256 {
        command.args(["--sha256", sha256]);
    }
    command.output().expect("run server models fetch")
}

/// Everything in the models directory (partial downloads are hidden files there).
fn models_dir_files(data: &Path) -> Vec<String> {
    std::fs::read_dir(data.join("models"))
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn models_fetch_keeps_only_a_whole_file_with_the_right_sha256() {
    let model = std::fs::read(whisper_model()).unwrap();
    let sha256 = hex::encode(Sha256::digest(&model));
    let data = tempfile::tempdir().unwrap();

    // The test model is not the official build: against the published sha256 it is refused.
    let mirror = FileServer::start(FILE, model.clone(), Serving::Whole);
    let refused = fetch(data.path(), &mirror.base, None);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("is not the published tiny.en model") && why.contains("nothing was kept"),
        "{why}"
    );
    assert!(
        models_dir_files(data.path()).is_empty(),
        "{:?}",
        models_dir_files(data.path())
    );

    // Tampered: one byte changed, against the right sha256.
    let mut tampered = model.clone();
    tampered[model.len() / 2] ^= 0x01;
    let evil = FileServer::start(FILE, tampered, Serving::Whole);
    let refused = fetch(data.path(), &evil.base, Some(&sha256));
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains(&format!("expected {sha256}")), "{why}");
    assert!(models_dir_files(data.path()).is_empty());

    // Cut off midway.
    let cut = FileServer::start(FILE, model.clone(), Serving::CutAfter(model.len() / 3));
    let refused = fetch(data.path(), &cut.base, Some(&sha256));
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("cut off"), "{why}");
    assert!(models_dir_files(data.path()).is_empty());

    // Whole and right: kept under its name, and a second fetch finds it already there.
    let fetched = fetch(data.path(), &mirror.base, Some(&sha256));
    assert!(fetched.status.success(), "{}", String::from_utf8_lossy(&fetched.stderr));
    let path = data.path().join("models").join(FILE);
    assert_eq!(
        String::from_utf8_lossy(&fetched.stdout).trim(),
        path.display().to_string()
    );
    assert_eq!(hex::encode(Sha256::digest(std::fs::read(&path).unwrap())), sha256);
    assert_eq!(models_dir_files(data.path()), [FILE]);
    let requests = mirror.requests();
    let again = fetch(data.path(), &mirror.base, Some(&sha256));
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("already there"));
    assert_eq!(mirror.requests(), requests, "nothing downloaded again");

    // An unknown model needs its sha256 said.
    let unknown = Command::new(workspace_bin("server"))
        .arg("--data-dir")
        .arg(data.path())
        .args(["models", "fetch", "huge.en", "--base-url", &mirror.base])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("--sha256"));
}

#[test]
fn models_fetch_keeps_a_summary_model_under_its_publisher_file_name() {
    // The test model stands in for SmolLM2-1.7B on the mirror: the published sha256 refuses it,
    // its own is kept under the file name the publisher uses (what --summary-model then names).
    const SUMMARY_FILE: &str = "SmolLM2-1.7B-Instruct-Q4_K_M.gguf";
    let model = std::fs::read(summary_model()).unwrap();
    let sha256 = hex::encode(Sha256::digest(&model));
    let data = tempfile::tempdir().unwrap();
    let mirror = FileServer::start(SUMMARY_FILE, model, Serving::Whole);

    let refused = fetch_model(data.path(), "smollm2-1.7b-instruct", &mirror.base, None);
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(
        why.contains("is not the published smollm2-1.7b-instruct model"),
        "{why}"
    );
    assert!(models_dir_files(data.path()).is_empty());

    let fetched = fetch_model(data.path(), "smollm2-1.7b-instruct", &mirror.base, Some(&sha256));
    assert!(fetched.status.success(), "{}", String::from_utf8_lossy(&fetched.stderr));
    assert_eq!(models_dir_files(data.path()), [SUMMARY_FILE]);
}
