//! `recorder login` and `recorder logout`.

use anyhow::Result;

use super::DEFAULT_SERVER;

#[derive(Debug, clap::Args)]
pub struct LoginArgs {
    #[arg(long, env = "OFFBEAT_SERVER", default_value = DEFAULT_SERVER)]
    server: String,
    #[arg(long)]
    email: String,
}

impl LoginArgs {
    pub fn run(self) -> Result<()> {
        let (name, path) = recorder::account::login(&self.server, &self.email)?;
        eprintln!("Signed in as {name}; token saved in {}", path.display());
        Ok(())
    }
}

#[derive(Debug, clap::Args)]
pub struct LogoutArgs {
    #[arg(long, env = "OFFBEAT_SERVER", default_value = DEFAULT_SERVER)]
    server: String,
}

impl LogoutArgs {
    pub fn run(self) -> Result<()> {
        if recorder::account::logout(&self.server)? {
            eprintln!("Signed out of {}", self.server);
        } else {
            eprintln!("Not signed in to {}", self.server);
        }
        Ok(())
    }
}
