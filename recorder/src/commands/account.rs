//! `recorder login` and `recorder logout`.

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    #[command(flatten)]
    server: super::ServerChoice,
    #[arg(long)]
    email: String,
}

impl LoginArgs {
    pub fn run(self) -> Result<()> {
        let (name, path) = recorder::account::login(&self.server.url(), &self.email)?;
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
