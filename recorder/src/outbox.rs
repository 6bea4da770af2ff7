//! The local outbox: every take `share` and `reply` record is written here first and leaves
//! only once the server has it — confirmed by the stored clip's sha256 matching the file's. If
//! the server or the network goes away, or the recorder is killed, the take stays (always a
//! playable Ogg stream, see `media::LiveOggFile`) and `recorder outbox` sends it, resuming a
//! tus upload from the server's offset, with retries and backoff.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::error::RecorderError;
use crate::tus::{NewUpload, Position, TusClient, server_error};

/// What the outbox remembers of a take, beside it as `<take>.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TakeMeta {
    pub server: String,
    pub title: Option<String>,
    /// Post it as a reply to this clip's thread, at this moment.
    pub reply_to: Option<String>,
    pub at_ms: Option<i64>,
    /// Post it as the answer to this check-in round.
    #[serde(default)]
    pub answer_round: Option<String>,
    /// The tus upload, once created: resumed from the server's offset.
    pub upload_url: Option<String>,
    /// Anyone with the link may watch (not only the workspace).
    #[serde(default)]
    pub public: bool,
}

/// Where takes wait: `$OFFBEAT_OUTBOX_DIR`, else `~/.local/share/offbeat/outbox`.
pub fn dir() -> PathBuf {
    std::env::var_os("OFFBEAT_OUTBOX_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::data_local_dir().map(|d| d.join("offbeat").join("outbox")))
        .unwrap_or_else(|| PathBuf::from("offbeat-outbox"))
}

fn meta_path(take: &Path) -> PathBuf {
    take.with_extension("json")
}

/// A new take's path in the outbox, with its metadata written before recording starts.
pub fn new_take(meta: &TakeMeta) -> Result<PathBuf, RecorderError> {
    let dir = dir();
    std::fs::create_dir_all(&dir).map_err(|e| RecorderError::Credentials(format!("outbox {}: {e}", dir.display())))?;
    let name = chrono::Local::now().format("take-%Y%m%d-%H%M%S-%3f.opus").to_string();
    let take = dir.join(name);
    save_meta(&take, meta)?;
    Ok(take)
}

pub(crate) fn save_meta(take: &Path, meta: &TakeMeta) -> Result<(), RecorderError> {
    let bytes = serde_json::to_vec_pretty(meta).map_err(|e| RecorderError::Credentials(e.to_string()))?;
    let staged = take.with_extension("json.new");
    std::fs::write(&staged, bytes)
        .and_then(|()| std::fs::rename(&staged, meta_path(take)))
        .map_err(|e| RecorderError::Credentials(format!("outbox: {e}")))
}

/// Takes in the outbox that cannot be sent: their note of where they go is missing or
/// unreadable (left by an older recorder, or edited by hand). Notes whose take is gone are
/// cleared on the way.
pub fn strays() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir()) else {
        return Vec::new();
    };
    let mut strays = Vec::new();
    for path in entries.flatten().map(|e| e.path()) {
        match path.extension().and_then(|e| e.to_str()) {
            Some("opus") => {
                let readable = std::fs::read(meta_path(&path))
                    .ok()
                    .and_then(|bytes| serde_json::from_slice::<TakeMeta>(&bytes).ok())
                    .is_some();
                if !readable {
                    strays.push(path);
                }
            }
            Some("json") if !path.with_extension("opus").exists() => {
                let _ = std::fs::remove_file(&path);
            }
            _ => {}
        }
    }
    strays.sort();
    strays
}

/// Takes waiting to be sent, oldest first.
pub fn pending() -> Vec<(PathBuf, TakeMeta)> {
    let mut takes: Vec<(PathBuf, TakeMeta)> = std::fs::read_dir(dir())
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "opus"))
                .filter_map(|p| {
                    let meta = std::fs::read(meta_path(&p)).ok()?;
                    Some((p.clone(), serde_json::from_slice(&meta).ok()?))
                })
                .collect()
        })
        .unwrap_or_default();
    takes.sort_by(|a, b| a.0.cmp(&b.0));
    takes
}

/// Sends a take (resuming where the server is), confirms it by sha256, posts it as a reply if
/// it is one, and removes it from the outbox. Retries transport failures with backoff.
pub fn send(take: &Path, mut meta: TakeMeta, attempts: u32) -> Result<Value, RecorderError> {
    let mut wait = Duration::from_millis(500);
    for attempt in 1..=attempts.max(1) {
        match send_once(take, &mut meta) {
            Ok(clip) => return Ok(clip),
            Err(RecorderError::Unreachable { server, reason }) if attempt < attempts => {
                eprintln!(
                    "cannot reach {server} ({reason}); retrying in {:.1} s",
                    wait.as_secs_f64()
                );
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(30));
            }
            Err(err) => return Err(err),
        }
    }
    Err(RecorderError::Unreachable {
        server: meta.server,
        reason: "gave up".into(),
    })
}

fn send_once(take: &Path, meta: &mut TakeMeta) -> Result<Value, RecorderError> {
    let tus = TusClient::new(&meta.server, Duration::from_secs(120))?;
    let size = std::fs::metadata(take).map_err(|e| tus.unreachable(&e))?.len();
    // Where the server is: resume the session we have (streamed while recording, or left by
    // an earlier run), or start one.
    let existing = match &meta.upload_url {
        Some(url) => tus.position(url)?,
        None => None,
    };
    let (url, mut at) = match (existing, &meta.upload_url) {
        (Some(at), Some(url)) => (url.clone(), at),
        _ => {
            let created = tus.create(&NewUpload {
                title: meta.title.as_deref(),
                public: meta.public,
                length: Some(size),
            })?;
            meta.upload_url = Some(created.url.clone());
            save_meta(take, meta)?;
            let start = Position {
                offset: 0,
                clip_id: None,
            };
            (created.url, start)
        }
    };
    let mut file = std::fs::File::open(take).map_err(|e| tus.unreachable(&e))?;
    const CHUNK: u64 = 1 << 20;
    // Until the server says the clip exists. The last PATCH may carry no bytes at all: a take
    // streamed while it was recorded only needs its length told (and a finish that failed on
    // the server's side, say storage down, is tried again the same way).
    while at.clip_id.is_none() {
        if at.offset > size {
            return Err(RecorderError::Server {
                status: 409,
                message: format!("the server holds {} bytes of a {size}-byte take", at.offset),
            });
        }
        let len = CHUNK.min(size - at.offset);
        let mut chunk = vec![0u8; len as usize];
        file.seek(SeekFrom::Start(at.offset))
            .and_then(|_| file.read_exact(&mut chunk))
            .map_err(|e| tus.unreachable(&e))?;
        at = match tus.append(&url, at.offset, &chunk, Some(size))? {
            Some(next) => next,
            // Someone (an earlier run) moved it on: ask again.
            None => tus
                .position(&url)?
                .ok_or_else(|| tus.unreachable(&"the upload session is gone"))?,
        };
    }
    // Confirmed only when the server's sha256 of the stored clip is the file's.
    let session: Value = tus
        .agent()
        .get(&url)
        .set("Authorization", tus.auth())
        .call()
        .map_err(|e| tus.unreachable(&e))?
        .into_json()
        .map_err(|e| tus.unreachable(&e))?;
    let clip = session["clip"].clone();
    let mut hasher = Sha256::new();
    std::io::copy(
        &mut std::fs::File::open(take).map_err(|e| tus.unreachable(&e))?,
        &mut hasher,
    )
    .map_err(|e| tus.unreachable(&e))?;
    let local = hex::encode(hasher.finalize());
    if session["sha256"].as_str() != Some(local.as_str()) {
        return Err(RecorderError::Server {
            status: 500,
            message: "the server's copy differs from the take; it stays in the outbox".into(),
        });
    }
    if let (Some(reply_to), Some(clip_id)) = (&meta.reply_to, clip["id"].as_str()) {
        let body = serde_json::json!({ "clip_id": clip_id, "at_ms": meta.at_ms });
        match tus
            .agent()
            .post(&format!("{}/api/v1/threads/{reply_to}/replies", tus.server()))
            .set("Authorization", tus.auth())
            .send_json(body)
        {
            Ok(_) | Err(ureq::Error::Status(409, _)) => {} // 409: already posted by an earlier run
            Err(ureq::Error::Status(status, r)) => return Err(server_error(status, r)),
            Err(ureq::Error::Transport(t)) => return Err(tus.unreachable(&t)),
        }
    }
    if let (Some(round), Some(clip_id)) = (&meta.answer_round, clip["id"].as_str()) {
        // Again after an earlier run posted it: the answer is changed to the same clip.
        let body = serde_json::json!({ "clip_id": clip_id });
        match tus
            .agent()
            .post(&format!("{}/api/v1/checkins/rounds/{round}/answers", tus.server()))
            .set("Authorization", tus.auth())
            .send_json(body)
        {
            Ok(_) => {}
            Err(ureq::Error::Status(status, r)) => return Err(server_error(status, r)),
            Err(ureq::Error::Transport(t)) => return Err(tus.unreachable(&t)),
        }
    }
    // The take before its note: a crash between leaves a note without a take (cleared by the
    // next listing), never a take nobody knows where to send.
    let _ = std::fs::remove_file(take);
    let _ = std::fs::remove_file(meta_path(take));
    Ok(clip)
}
