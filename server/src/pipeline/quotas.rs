//! What one member and one workspace may hold, each limit answered clearly: open upload
//! sessions per member (429), bytes staged in them per member and bytes stored per workspace
//! (507), one upload's size (413). Checked before a session opens and bounding every body as it
//! streams in, so a refused upload never costs more than its limit.

use crate::error::{AppError, AppResult};
use crate::state::AppState;
use db::domain::User;

/// How many bytes more a request may bring, and which limit stops it there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Room {
    pub bytes: u64,
    pub full: Full,
}

/// The limit a request reaches first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// One upload's size (`--max-upload-bytes`).
    Upload(u64),
    /// The bytes a member may have staged in open upload sessions.
    Staged(u64),
    /// The bytes a workspace may store.
    Workspace(u64),
}

impl Full {
    /// The answer for a request that went past it.
    pub fn error(self) -> AppError {
        match self {
            Full::Upload(limit) => AppError::TooLarge { limit },
            Full::Staged(limit) => AppError::InsufficientStorage(format!(
                "your unfinished uploads hold as much as they may ({limit} bytes): finish or remove some first"
            )),
            Full::Workspace(limit) => AppError::InsufficientStorage(format!(
                "the workspace's storage is full ({limit} bytes): delete some clips or ask an admin for room"
            )),
        }
    }
}

impl Room {
    fn of(limits: impl IntoIterator<Item = (u64, Full)>) -> Self {
        limits
            .into_iter()
            .map(|(bytes, full)| Room { bytes, full })
            .min_by_key(|room| room.bytes)
            .unwrap_or(Room {
                bytes: u64::MAX,
                full: Full::Upload(u64::MAX),
            })
    }

    /// Refuses at once what is declared larger than the room.
    pub fn check(self, declared: Option<u64>) -> AppResult<()> {
        match declared {
            Some(bytes) if bytes > self.bytes => Err(self.full.error()),
            _ => Ok(()),
        }
    }
}

fn to_u64(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

/// What the workspace may still store, if it has a quota.
async fn workspace_room(state: &AppState, user: &User) -> AppResult<Option<(u64, Full)>> {
    let Some(quota) = state.config.workspace_storage_bytes else {
        return Ok(None);
    };
    let (stored, staged) = state.db.clips().workspace_usage(&user.workspace_id).await?;
    Ok(Some((
        quota.saturating_sub(to_u64(stored) + to_u64(staged)),
        Full::Workspace(quota),
    )))
}

/// The room for a clip sent in one request.
pub async fn for_clip(state: &AppState, user: &User) -> AppResult<Room> {
    let upload = state.config.max_upload_bytes;
    let mut limits = vec![(upload, Full::Upload(upload))];
    limits.extend(workspace_room(state, user).await?);
    Ok(Room::of(limits))
}

/// The room for more of an upload session that holds `offset` bytes (of `length`, if known).
pub async fn for_session(state: &AppState, user: &User, offset: u64, length: Option<u64>) -> AppResult<Room> {
    let (_, staged) = state.db.uploads().open_of(&user.id).await?;
    session_room(state, user, staged, offset, length).await
}

/// The room for a session at `offset` (of `length`) when `user`'s open sessions hold `staged`.
async fn session_room(state: &AppState, user: &User, staged: i64, offset: u64, length: Option<u64>) -> AppResult<Room> {
    let upload = state.config.max_upload_bytes;
    let staged_limit = state.config.max_staged_bytes_per_user;
    // A session of known length takes no byte past it.
    let cap = length.map_or(upload, |l| l.min(upload));
    let mut limits = vec![
        (cap.saturating_sub(offset), Full::Upload(cap)),
        (staged_limit.saturating_sub(to_u64(staged)), Full::Staged(staged_limit)),
    ];
    limits.extend(workspace_room(state, user).await?);
    Ok(Room::of(limits))
}

/// The room for a new upload session, if `user` may open one at all: one look at what they
/// have open answers both.
pub async fn for_new_session(state: &AppState, user: &User) -> AppResult<Room> {
    let (open, staged) = state.db.uploads().open_of(&user.id).await?;
    let limit = state.config.max_open_uploads_per_user;
    if to_u64(open) >= limit {
        return Err(AppError::TooManyOpen(format!(
            "you have {open} unfinished uploads, as many as you may: finish or remove one first"
        )));
    }
    session_room(state, user, staged, 0, None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tightest_limit_is_the_room() {
        let room = Room::of([
            (100, Full::Upload(100)),
            (40, Full::Staged(1000)),
            (70, Full::Workspace(500)),
        ]);
        assert_eq!(
            room,
            Room {
                bytes: 40,
                full: Full::Staged(1000)
            }
        );
        assert!(room.check(Some(40)).is_ok());
        assert!(matches!(room.check(Some(41)), Err(AppError::InsufficientStorage(_))));
        assert!(room.check(None).is_ok());
        let upload = Room::of([(10, Full::Upload(10))]);
        assert!(matches!(upload.check(Some(11)), Err(AppError::TooLarge { limit: 10 })));
    }
}
