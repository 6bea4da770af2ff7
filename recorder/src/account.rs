//! `recorder login` and `recorder logout`.

use std::io::{BufRead, IsTerminal};
use std::time::Duration;

use serde::Deserialize;

use crate::credentials::{self, SavedToken};
use crate::error::RecorderError;

#[derive(Debug, Deserialize)]
struct LoginAnswer {
    token: String,
    user: LoginUser,
}

#[derive(Debug, Deserialize)]
struct LoginUser {
    display_name: String,
}

/// Signs in with email and password (read from the terminal without echo, or from the first
/// line of standard input) and saves the API token for `server`. Returns the display name and
/// where the token was saved.
pub fn login(server: &str, email: &str) -> Result<(String, std::path::PathBuf), RecorderError> {
    let server = credentials::normalise(server);
    let password = if std::io::stdin().is_terminal() {
        rpassword::prompt_password(format!("Password for {email} at {server}: "))
            .map_err(|e| RecorderError::Credentials(format!("cannot read the password: {e}")))?
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| RecorderError::Credentials(format!("cannot read the password: {e}")))?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    let host = std::process::Command::new("hostname")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
    let answer = agent
        .post(&format!("{server}/api/v1/auth/login"))
        .send_json(serde_json::json!({
            "email": email,
            "password": password,
            "kind": "api",
            "label": format!("recorder on {}", if host.is_empty() { "this machine" } else { &host }),
        }));
    let answer: LoginAnswer = match answer {
        Ok(response) => response.into_json().map_err(|e| RecorderError::Unreachable {
            server: server.clone(),
            reason: format!("unexpected answer: {e}"),
        })?,
        Err(ureq::Error::Status(status, response)) => {
            return Err(RecorderError::Server {
                status,
                message: crate::upload::error_message(response, status),
            });
        }
        Err(ureq::Error::Transport(t)) => {
            return Err(RecorderError::Unreachable {
                server,
                reason: t.to_string(),
            });
        }
    };
    let mut saved = credentials::load();
    saved.default_server = Some(server.clone());
    saved.servers.insert(
        server,
        SavedToken {
            token: answer.token,
            email: email.to_owned(),
        },
    );
    let path = credentials::save(&saved)?;
    Ok((answer.user.display_name, path))
}

/// Revokes the saved token on the server (best effort) and forgets it.
pub fn logout(server: &str) -> Result<bool, RecorderError> {
    let server = credentials::normalise(server);
    let mut saved = credentials::load();
    let Some(token) = saved.servers.remove(&server) else {
        return Ok(false);
    };
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(10)).build();
    let _ = agent
        .post(&format!("{server}/api/v1/auth/logout"))
        .set("Authorization", &format!("Bearer {}", token.token))
        .call();
    credentials::save(&saved)?;
    Ok(true)
}
