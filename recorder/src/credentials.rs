//! API tokens the recorder signs in with: `OFFBEAT_TOKEN`, or the one `recorder login` saved
//! for that server in the user's config directory (`credentials.json`, mode 0600).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::error::RecorderError;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Credentials {
    /// Server base URL → its token.
    pub servers: BTreeMap<String, SavedToken>,
    /// The server `recorder login` signed in to last: where commands go without `--server`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_server: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SavedToken {
    pub token: String,
    pub email: String,
}

/// Where the credentials live: `$OFFBEAT_CONFIG_DIR`, else the platform's config directory
/// (`~/.config/offbeat` on Linux).
pub fn path() -> Option<PathBuf> {
    std::env::var_os("OFFBEAT_CONFIG_DIR")
        .map(PathBuf::from)
        .or_else(|| dirs::config_dir().map(|d| d.join("offbeat")))
        .map(|d| d.join("credentials.json"))
}

pub fn load() -> Credentials {
    path()
        .and_then(|p| std::fs::read(p).ok())
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default()
}

/// Writes the file readable by its owner only, replacing it atomically.
pub fn save(credentials: &Credentials) -> Result<PathBuf, RecorderError> {
    let path =
        path().ok_or_else(|| RecorderError::Credentials("no config directory (set OFFBEAT_CONFIG_DIR)".into()))?;
    let dir = path.parent().map(PathBuf::from).unwrap_or_default();
    std::fs::create_dir_all(&dir).map_err(|e| RecorderError::Credentials(format!("{}: {e}", dir.display())))?;
    let staged = dir.join(".credentials.json.new");
    let bytes = serde_json::to_vec_pretty(credentials).map_err(|e| RecorderError::Credentials(e.to_string()))?;
    {
        use std::io::Write;
        #[cfg(unix)]
        use std::os::unix::fs::OpenOptionsExt;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        options.mode(0o600);
        let mut file = options
            .open(&staged)
            .map_err(|e| RecorderError::Credentials(format!("{}: {e}", staged.display())))?;
        file.write_all(&bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| RecorderError::Credentials(e.to_string()))?;
    }
    std::fs::rename(&staged, &path).map_err(|e| RecorderError::Credentials(e.to_string()))?;
    Ok(path)
}

/// The token for `server`: `OFFBEAT_TOKEN` wins, else the saved one.
pub fn token_for(server: &str) -> Option<String> {
    if let Some(token) = std::env::var("OFFBEAT_TOKEN").ok().filter(|t| !t.is_empty()) {
        return Some(token);
    }
    load().servers.get(&normalise(server)).map(|t| t.token.clone())
}

/// Server URLs as keys: no trailing slash.
pub fn normalise(server: &str) -> String {
    server.trim_end_matches('/').to_owned()
}
