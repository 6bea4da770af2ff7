//! `server models fetch NAME`: a known model into `<data-dir>/models/`, so a first run can
//! transcribe (an official whisper.cpp model) and summarise (an instruction model in GGUF). The
//! download is checked against the sha256 published for that file (kept here, not taken from
//! whoever serves it, so a mirror cannot vouch for what it serves); a truncated or tampered file
//! is refused and nothing is left behind.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::config::{Config, ModelsCommand, WHISPER_MODELS_URL};
use crate::hashing::HashingWriter;

/// A model this server knows: where it is published and the sha256 of its file there.
#[derive(Debug)]
struct Published {
    name: &'static str,
    /// The file's name in `home` and in `<data-dir>/models/`.
    file: &'static str,
    home: &'static str,
    sha256: &'static str,
}

const fn whisper(name: &'static str, file: &'static str, sha256: &'static str) -> Published {
    Published {
        name,
        file,
        home: WHISPER_MODELS_URL,
        sha256,
    }
}

/// The official whisper.cpp models (sha256 = the Git LFS object ids of
/// huggingface.co/ggerganov/whisper.cpp) and instruction models for summaries (their
/// publishers' Q4_K_M GGUF files, the same Git LFS ids).
const PUBLISHED: [Published; 12] = [
    whisper(
        "tiny",
        "ggml-tiny.bin",
        "be07e048e1e599ad46341c8d2a135645097a538221678b7acdd1b1919c6e1b21",
    ),
    whisper(
        "tiny.en",
        "ggml-tiny.en.bin",
        "921e4cf8686fdd993dcd081a5da5b6c365bfde1162e72b08d75ac75289920b1f",
    ),
    whisper(
        "base",
        "ggml-base.bin",
        "60ed5bc3dd14eea856493d334349b405782ddcaf0028d4b5df4088345fba2efe",
    ),
    whisper(
        "base.en",
        "ggml-base.en.bin",
        "a03779c86df3323075f5e796cb2ce5029f00ec8869eee3fdfb897afe36c6d002",
    ),
    whisper(
        "small",
        "ggml-small.bin",
        "1be3a9b2063867b937e64e2ec7483364a79917e157fa98c5d94b5c1fffea987b",
    ),
    whisper(
        "small.en",
        "ggml-small.en.bin",
        "c6138d6d58ecc8322097e0f987c32f1be8bb0a18532a3f88f734d1bbf9c41e5d",
    ),
    whisper(
        "medium",
        "ggml-medium.bin",
        "6c14d5adee5f86394037b4e4e8b59f1673b6cee10e3cf0b11bbdbee79c156208",
    ),
    whisper(
        "medium.en",
        "ggml-medium.en.bin",
        "cc37e93478338ec7700281a7ac30a10128929eb8f427dda2e865faa8f6da4356",
    ),
    whisper(
        "large-v3",
        "ggml-large-v3.bin",
        "64d182b440b98d5203c4f9bd541544d84c605196c4f7b845dfa11fb23594d1e2",
    ),
    whisper(
        "large-v3-turbo",
        "ggml-large-v3-turbo.bin",
        "1fc70f774d38eb169993ac391eea357ef47c88757ef72ee5943879b7e8e2bc69",
    ),
    Published {
        name: "qwen2.5-1.5b-instruct",
        file: "qwen2.5-1.5b-instruct-q4_k_m.gguf",
        home: "https://huggingface.co/Qwen/Qwen2.5-1.5B-Instruct-GGUF/resolve/main",
        sha256: "6a1a2eb6d15622bf3c96857206351ba97e1af16c30d7a74ee38970e434e9407e",
    },
    Published {
        name: "smollm2-1.7b-instruct",
        file: "SmolLM2-1.7B-Instruct-Q4_K_M.gguf",
        home: "https://huggingface.co/bartowski/SmolLM2-1.7B-Instruct-GGUF/resolve/main",
        sha256: "77665ea4815999596525c636fbeb56ba8b080b46ae85efef4f0d986a139834d7",
    },
];

pub async fn run(config: &Config, command: &ModelsCommand) -> anyhow::Result<()> {
    match command {
        ModelsCommand::Fetch { name, base_url, sha256 } => {
            let (file, home, expected) = match sha256 {
                Some(hex) if hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    let (file, home) = match find(name) {
                        Ok(known) => (known.file.to_owned(), known.home),
                        Err(_) => (format!("ggml-{name}.bin"), WHISPER_MODELS_URL),
                    };
                    (file, home, hex.to_ascii_lowercase())
                }
                Some(other) => bail!("--sha256 {other:?} is not 64 hexadecimal digits"),
                None => {
                    let known = find(name)?;
                    (known.file.to_owned(), known.home, known.sha256.to_owned())
                }
            };
            check_name(name)?;
            let dir = config.data_dir.join("models");
            let base_url = base_url.as_deref().unwrap_or(home).trim_end_matches('/').to_owned();
            let name = name.clone();
            let path = tokio::task::spawn_blocking(move || fetch(&dir, &name, &file, &base_url, &expected)).await??;
            println!("{}", path.display());
            Ok(())
        }
    }
}

/// The model called `name`.
fn find(name: &str) -> anyhow::Result<&'static Published> {
    PUBLISHED.iter().find(|known| known.name == name).with_context(|| {
        let known: Vec<&str> = PUBLISHED.iter().map(|p| p.name).collect();
        format!(
            "{name:?} is not a model this server knows ({}); for another, give its --sha256",
            known.join(", ")
        )
    })
}

/// Refuses names that could leave the models directory once made a file name.
fn check_name(name: &str) -> anyhow::Result<()> {
    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)) || name.contains("..")
    {
        bail!("{name:?} is not a model name");
    }
    Ok(())
}

/// Downloads model `name`'s `file` from `base_url` into `dir`, keeping it only if its sha256 is
/// `expected`. Blocking.
fn fetch(dir: &Path, name: &str, file: &str, base_url: &str, expected: &str) -> anyhow::Result<PathBuf> {
    check_name(file)?;
    let dest = dir.join(file);
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
        assert_eq!(find("tiny.en").unwrap().sha256.len(), 64);
        assert_eq!(find("tiny.en").unwrap().file, "ggml-tiny.en.bin");
        let summary = find("qwen2.5-1.5b-instruct").unwrap();
        assert!(summary.file.ends_with(".gguf") && summary.home.starts_with("https://huggingface.co/Qwen/"));
        let err = find("huge").unwrap_err().to_string();
        assert!(
            err.contains("--sha256") && err.contains("base.en") && err.contains("smollm2-1.7b-instruct"),
            "{err}"
        );
    }

    #[test]
    fn names_cannot_leave_the_models_directory() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["../../etc/passwd", "a/b", ""] {
            assert!(
                fetch(dir.path(), "x", name, "http://127.0.0.1:9", "00").is_err(),
                "{name}"
            );
        }
    }
}
