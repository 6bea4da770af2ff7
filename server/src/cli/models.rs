//! `server models fetch NAME`: an official whisper.cpp model into `<data-dir>/models/`, so a
//! first run can transcribe. The download is checked against the sha256 published for that
//! model (kept here, not taken from whoever serves the file, so a mirror cannot vouch for what
//! it serves); a truncated or tampered file is refused and nothing is left behind.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::{Config, ModelsCommand};
use crate::hashing::HashingWriter;

/// Each official model and the sha256 of its `ggml-<name>.bin`, as published (the Git LFS
/// object ids of huggingface.co/ggerganov/whisper.cpp).
const PUBLISHED: [(&str, &str); 10] = [
    (
        "tiny",
        "be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21",
    ),
    (
        "tiny.en",
        "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f",
    ),
    (
        "base",
        "60ed5bc3dd14eea856493d334349b405782ddcaf0028d4b5df4088345fba2efe",
    ),
    (
        "base.en",
        "a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002",
    ),
    (
        "small",
        "1be3a9b2063867b937e64e2ec7483364a79917e157fa98c5d94b5c1fffea987b",
    ),
    (
        "small.en",
        "c6138d6d58ecc8322097e0f987c32f1be8bb0a18532a3f88f734d1bbf9c41e5d",
    ),
    (
        "medium",
        "6c14d5adee5f86394037b4e4e8b59f1673b6cee10e3cf0b11bbdbee79c156208",
    ),
    (
        "medium.en",
        "cc37e93478338ec7700281a7ac30a10128929eb8f427dda2e865faa8f6da4356",
    ),
    (
        "large-v3",
        "64d182b440b98d5203c4f9bd541544d84c605196c4f7b845dfa11fb23594d1e2",
    ),
    (
        "large-v3-turbo",
        "1fc70f774d38eb169993ac391eea357ef47c88757ef72ee5943879b7e8e2bc69",
    ),
];

pub async fn run(config: &Config, command: &ModelsCommand) -> anyhow::Result<()> {
    match command {
        ModelsCommand::Fetch { name, base_url, sha256 } => {
            let expected = match sha256 {
                Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => hex.to_ascii_lowercase(),
                Some(other) => bail!("--sha256 {other:?} is not 64 hexadecimal digits"),
                None => published(name)?.to_owned(),
            };
            let dir = config.data_dir.join("models");
            let (name, base_url) = (name.clone(), base_url.trim_end_matches('/').to_owned());
            let path = tokio::task::spawn_blocking(move || fetch(&dir, &name, &base_url, &expected)).await??;
            println!("{}", path.display());
            Ok(())
        }
    }
}

/// The published sha256 of model `name`.
fn published(name: &str) -> anyhow::Result<&'static str> {
    PUBLISHED
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, sha256)| *sha256)
        .with_context(|| {
            let known: Vec<&str> = PUBLISHED.iter().map(|(n, _)| *n).collect();
            format!(
                "{name:?} is not a model this server knows ({}); for another, give its --sha256",
                known.join(", ")
            )
        })
}

/// Downloads `ggml-<name>.bin` from `base_url` into `dir`, keeping it only if its sha256 is
/// `expected`. Blocking.
fn fetch(dir: &Path, name: &str, base_url: &str, expected: &str) -> anyhow::Result<PathBuf> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) || name.contains("..")
    {
        bail!("{name:?} is not a model name");
    }
    let file = format!("ggml-{name}.bin");
    let dest = dir.join(&file);
    if dest.exists() && crate::hashing::hash_file(&dest)?.sha256 == expected {
        eprintln!("{} is already there and checks out", dest.display());
        return Ok(dest);
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let url = format!("{base_url}/{file}");
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(15))
        .timeout_read(Duration::from_secs(60))
        .build();
    let response = agent
        .get(&url)
        .call()
        .with_context(|| format!("cannot download {url}"))?;
    let declared: Option<u64> = response.header("content-length").and_then(|v| v.parse().ok());
    // Beside its destination, so the final rename is atomic; removed on any failure.
    let partial = tempfile::Builder::new()
        .prefix(&format!(".{file}."))
        .suffix(".partial")
        .tempfile_in(dir)?;
    let progress = match declared {
        Some(len) => indicatif::ProgressBar::new(len),
        None => indicatif::ProgressBar::no_length(),
    }
    .with_style(
        indicatif::ProgressStyle::with_template("{msg} {bar:40} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    )
    .with_message(format!("Downloading {file}"));
    let mut out = HashingWriter::new(std::io::BufWriter::new(partial.reopen()?));
    let mut body = progress.wrap_read(response.into_reader());
    let copied = std::io::copy(&mut body, &mut out);
    progress.finish_and_clear();
    let copied = copied.with_context(|| format!("the download of {url} was cut off"))?;
    let (writer, digest) = out.finish();
    writer.into_inner().map_err(|e| e.into_error())?.sync_all()?;
    if let Some(len) = declared
        && copied != len
    {
        bail!("the download of {url} was cut off after {copied} of {len} bytes; nothing was kept");
    }
    if digest.sha256 != expected {
        bail!(
            "{url} is not the published {name} model (sha256 {}, expected {expected}); nothing was kept",
            digest.sha256
        );
    }
    partial.persist(&dest).map_err(|e| e.error)?;
    eprintln!("Saved {} ({} bytes, sha256 checked)", dest.display(), digest.size);
    Ok(dest)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn official_models_are_known_and_others_need_a_hash() {
        assert_eq!(published("tiny.en").unwrap().len(), 64);
        let err = published("huge").unwrap_err().to_string();
        assert!(err.contains("--sha256") && err.contains("base.en"), "{err}");
    }

    #[test]
    fn names_cannot_leave_the_models_directory() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["../../etc/passwd", "a/b", ""] {
            assert!(fetch(dir.path(), name, "http://127.0.0.1:9", "00").is_err(), "{name}");
        }
    }
}
