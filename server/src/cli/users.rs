//! `server user add …` and `server user reset-password …`: what an administrator does on the
//! server's machine (teams otherwise onboard themselves from the browser: setup link, invites).

use std::io::BufRead;

use anyhow::{Context, bail};

use crate::auth::secrets::hash_password;
use crate::config::{Config, UserCommand};
use crate::services::invites::{Newcomer, account};
use db::users::UserRow;

pub async fn user(config: &Config, command: &UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            email,
            name,
            time_zone,
            workspace,
            admin,
        } => {
            let password = read_password()?;
            tokio::fs::create_dir_all(&config.data_dir).await?;
            let db = db::open(&config.database()?).await?;
            let new_id = db::ids::new_id().map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            let newcomer = Newcomer {
                name: name.clone(),
                email: email.clone(),
                password,
                time_zone: time_zone.clone(),
                working_hours: None,
            };
            // Checked before the workspace is made: a refused account leaves nothing behind.
            let passwords = crate::auth::password_work::PasswordWork::per_core();
            let user = account(&passwords, newcomer, String::new(), *admin).await?;
            if db.users().by_email(&user.email).await?.is_some() {
                bail!("there is already a user with the email {}", user.email);
            }
            let user = UserRow {
                workspace_id: db.users().workspace_id(workspace, &new_id).await?,
                ..user
            };
            if !db.users().insert(&user).await? {
                bail!("there is already a user with the email {}", user.email);
            }
            println!("{}", user.id);
            eprintln!(
                "Added {} <{}> to workspace {workspace:?}",
                user.display_name, user.email
            );
            Ok(())
        }
        UserCommand::ResetPassword { email } => {
            let password = read_password()?;
            let db = db::open(&config.database()?).await?;
            let Some(user) = db.users().by_email(email).await? else {
                bail!("there is no user with the email {}", email.trim().to_lowercase());
            };
            let password_hash = tokio::task::spawn_blocking(move || hash_password(&password)).await??;
            db.team().set_password(&user.id, &password_hash).await?;
            let ended = db.users().revoke_all_tokens(&user.id, None).await?;
            eprintln!(
                "Set a new password for {} <{}>; ended {ended} sessions and tokens",
                user.display_name, user.email
            );
            Ok(())
        }
    }
}

/// The password on the first line of standard input, checked as every password is.
/// The new password: asked twice without echo at a terminal, else the first line of standard
/// input (for scripts).
fn read_password() -> anyhow::Result<String> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        let password = rpassword::prompt_password("Password (at least 8 characters): ")?;
        let again = rpassword::prompt_password("The same password again: ")?;
        if password != again {
            bail!("the two passwords differ; nothing was changed");
        }
        return crate::services::team::checked_password(password).context("the password");
    }
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("cannot read the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']).to_owned();
    crate::services::team::checked_password(password).context("the password (first line of standard input)")
}
