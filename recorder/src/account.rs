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
    email: String,
}

/// How `recorder login` proves who you are.
#[derive(Debug, Clone)]
pub enum LoginMethod {
    /// Approve it in the browser (however you sign in there: password or single sign-on).
    Browser(crate::browser_login::Browser),
    /// Email and password, read from the terminal without echo (or standard input's first line).
    Password { email: String },
    /// An API token made in the server's settings, pasted (or standard input's first line).
    PastedToken,
}

/// Signs in to `server` and saves the API token. Returns the display name and where the token
/// was saved.
pub fn login(server: &str, method: LoginMethod) -> Result<(String, std::path::PathBuf), RecorderError> {
    let server = credentials::normalise(server);
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
    let label = format!("recorder on {}", host_name().as_deref().unwrap_or("this machine"));
    let (token, user) = match method {
        LoginMethod::Password { email } => {
            let password = read_secret(&format!("Password for {email} at {server}: "))?;
            let answer = agent
                .post(&format!("{server}/api/v1/auth/login"))
                .send_json(serde_json::json!({
                    "email": email,
                    "password": password,
                    "kind": "api",
                    "label": label,
                }));
            let answer: LoginAnswer = read_answer(&server, answer)?;
            (answer.token, answer.user)
        }
        LoginMethod::Browser(browser) => {
            let approved = crate::browser_login::approve_in_browser(&server, &label, browser)?;
            let answer = agent
                .post(&format!("{server}/api/v1/auth/recorder-token"))
                .send_json(serde_json::json!({ "code": approved.code, "verifier": approved.verifier }));
            let answer: LoginAnswer = read_answer(&server, answer)?;
            (answer.token, answer.user)
        }
        LoginMethod::PastedToken => {
            eprintln!("Make an API token at {server}/settings, then paste it here.");
            let token = read_secret("Token: ")?.trim().to_owned();
            let answer = agent
                .get(&format!("{server}/api/v1/me"))
                .set("Authorization", &format!("Bearer {token}"))
                .call();
            let user: LoginUser = read_answer(&server, answer)?;
            (token, user)
        }
    };
    let mut saved = credentials::load();
    saved.default_server = Some(server.clone());
    saved.servers.insert(
        server,
        SavedToken {
            token,
            email: user.email,
        },
    );
    let path = credentials::save(&saved)?;
    Ok((user.display_name, path))
}

/// A secret from the terminal without echo, or standard input's first line.
fn read_secret(prompt: &str) -> Result<String, RecorderError> {
    if std::io::stdin().is_terminal() {
        rpassword::prompt_password(prompt).map_err(|e| RecorderError::Credentials(format!("cannot read it: {e}")))
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| RecorderError::Credentials(format!("cannot read it: {e}")))?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

fn host_name() -> Option<String> {
    std::process::Command::new("hostname")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|h| !h.is_empty())
}

/// The server's JSON answer, or what went wrong.
fn read_answer<T: serde::de::DeserializeOwned>(
    server: &str,
    answer: Result<ureq::Response, ureq::Error>,
) -> Result<T, RecorderError> {
    match answer {
        Ok(response) => response.into_json().map_err(|e| RecorderError::Unreachable {
            server: server.to_owned(),
            reason: format!("unexpected answer: {e}"),
        }),
        Err(err) => Err(RecorderError::of_request(server, err)),
    }
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
