//! `recorder login` and `recorder logout`.

use anyhow::Result;

/// Signs in and saves an API token for the server. By default through the browser: it opens
/// the server's approval page (sign in there however you do: password or single sign-on) and
/// receives the token on this machine's loopback.
#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    #[command(flatten)]
    server: super::ServerChoice,
    /// Sign in with this email and a password instead (read without echo, or from standard input).
    #[arg(long, conflicts_with_all = ["paste_token", "no_browser"])]
    email: Option<String>,
    /// Paste an API token made in the server's settings instead (for a machine with no browser).
    #[arg(long, conflicts_with = "no_browser")]
    paste_token: bool,
    /// Print the approval page's address instead of opening a browser.
    #[arg(long)]
    no_browser: bool,
}

impl LoginArgs {
    pub fn run(self) -> Result<()> {
        use recorder::account::LoginMethod;
        use recorder::browser_login::Browser;
        let method = match (self.email, self.paste_token, self.no_browser) {
            (Some(email), _, _) => LoginMethod::Password { email },
            (None, true, _) => LoginMethod::PastedToken,
            (None, false, true) => LoginMethod::Browser(Browser::PrintOnly),
            (None, false, false) => LoginMethod::Browser(Browser::Open),
        };
        let (name, path) = recorder::account::login(&self.server.url(), method)?;
        eprintln!("Signed in as {name}; token saved in {}", path.display());
        Ok(())
    }
}

#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    #[command(flatten)]
    server: super::ServerChoice,
}

impl LogoutArgs {
    pub fn run(self) -> Result<()> {
        if recorder::account::logout(&self.server.url())? {
            eprintln!("Signed out of {}", self.server.url());
        } else {
            eprintln!("Not signed in to {}", self.server.url());
        }
        Ok(())
    }
}
