//! How people get in without a shell on the server: the first run's setup link, which makes the
//! workspace and its first admin, and invitations, which admins hand out and newcomers accept.
//! Every link's token is 256 random bits, kept only as a hash.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::auth::Viewer;
use crate::auth::policy::TeamAction;
use crate::auth::secrets::{hash_password, new_secret, token_hash};
use crate::error::{AppError, AppResult, Missing};
use crate::services::team::{checked_email, checked_name, checked_password, checked_zone, require};
use crate::state::AppState;
use db::Timestamp;
use db::domain::{InviteState, User, WorkingHours};
use db::invites::{Acceptance, InviteRow};
use db::users::UserRow;

/// Invitations last this long unless the admin says otherwise, and at most a year.
const DEFAULT_EXPIRY_DAYS: i64 = 7;
const MAX_EXPIRY_DAYS: i64 = 365;
const MAX_USES: i64 = 1000;

/// `POST /api/v1/invites`: all optional.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInvite {
    /// The one address it admits.
    #[schema(value_type = Option<crate::services::formats::EmailAddress>)]
    pub email: Option<String>,
    /// Days it stays open (default 7).
    #[schema(minimum = 1, maximum = 365)]
    #[schema(value_type = Option<i64>)]
    pub expires_in_days: Option<crate::services::whole_numbers::WholeNumber>,
    /// How many people may join with it (default: one when it names an address, else any).
    #[schema(minimum = 1, maximum = 1000)]
    #[schema(value_type = Option<i64>)]
    pub max_uses: Option<crate::services::whole_numbers::WholeNumber>,
}

/// An invitation as admins see it listed.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InviteView {
    pub id: String,
    pub email: Option<String>,
    pub created_at: Timestamp,
    pub expires_at: Option<Timestamp>,
    pub max_uses: Option<i64>,
    pub uses: i64,
    pub state: InviteState,
}

impl InviteView {
    fn of(row: InviteRow, now: DateTime<Utc>) -> Self {
        Self {
            state: row.state(now),
            id: row.id,
            email: row.email,
            created_at: row.created_at,
            expires_at: row.expires_at,
            max_uses: row.max_uses,
            uses: row.uses,
        }
    }
}

/// A new invitation: its link, shown this once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedInvite {
    pub url: String,
    /// An invitation for an email, with mail set up: whether the link was mailed to it.
    pub mailed: bool,
    /// Why it was not, if it was tried.
    pub mail_error: Option<String>,
    #[serde(flatten)]
    pub invite: InviteView,
}

/// Makes an invitation to the admin's workspace.
pub async fn create(state: &AppState, viewer: &Viewer, new: NewInvite) -> AppResult<CreatedInvite> {
    let admin = require(viewer, TeamAction::Manage)?;
    // Left out for a link anyone may use; given, it is an address.
    let email = new.email.as_deref().map(checked_email).transpose()?;
    let days = crate::services::whole_numbers::value(new.expires_in_days).unwrap_or(DEFAULT_EXPIRY_DAYS);
    if !(1..=MAX_EXPIRY_DAYS).contains(&days) {
        return Err(AppError::BadRequest(format!(
            "expires_in_days must be 1 to {MAX_EXPIRY_DAYS}"
        )));
    }
    let max_uses = crate::services::whole_numbers::value(new.max_uses).or(email.as_ref().map(|_| 1));
    if max_uses.is_some_and(|n| !(1..=MAX_USES).contains(&n)) {
        return Err(AppError::BadRequest(format!("max_uses must be 1 to {MAX_USES}")));
    }
    let now = Utc::now();
    let token = new_secret().map_err(no_randomness)?;
    let row = InviteRow {
        id: db::ids::new_id().map_err(no_randomness)?,
        workspace_id: admin.workspace_id.clone(),
        email,
        created_by: admin.id.clone(),
        created_at: now.into(),
        expires_at: Some((now + chrono::Duration::days(days)).into()),
        max_uses,
        uses: 0,
        revoked_at: None,
    };
    state.db.invites().insert(&row, &token_hash(&token)).await?;
    let url = format!("{}/join/{token}", state.public_url);
    let (mailed, mail_error) = match (&state.mailer, &row.email) {
        (Some(mailer), Some(email)) => match mailer.send(&invitation(state, admin, email, &url, &row)).await {
            Ok(()) => (true, None),
            Err(err) => {
                tracing::warn!(invite = %row.id, "could not mail the invitation: {err}");
                (false, Some(err.to_string()))
            }
        },
        _ => (false, None),
    };
    Ok(CreatedInvite {
        url,
        mailed,
        mail_error,
        invite: InviteView::of(row, now),
    })
}

/// The mail that carries an invitation for an email to it.
fn invitation(state: &AppState, admin: &User, email: &str, url: &str, row: &InviteRow) -> crate::mail::Mail {
    let expires = row
        .expires_at
        .map(|at| at.instant().format("%-d %b %Y").to_string())
        .unwrap_or_default();
    let subject = format!("{} invites you to Offbeat", admin.display_name);
    let text = format!(
        "{} invites you to their team on Offbeat ({}): voice and video messages you hear when your day starts.\n\nJoin: {url}\n\nThe link works until {expires}, for this address only.\n",
        admin.display_name, state.public_url
    );
    let html = maud::html! {
        p { (admin.display_name) " invites you to their team on Offbeat: voice and video messages you hear when your day starts." }
        p { a href=(url) { "Join the team" } }
        p { small { "The link works until " (expires) ", for this address only." } }
    }
    .into_string();
    crate::mail::Mail {
        id: format!("invite-{}", row.id),
        to_name: String::new(),
        to_address: email.to_owned(),
        subject,
        text,
        html,
        unsubscribe_url: None,
    }
}

/// The admin's workspace's invitations, newest first.
pub async fn list(state: &AppState, viewer: &Viewer) -> AppResult<Vec<InviteView>> {
    let admin = require(viewer, TeamAction::Manage)?;
    let now = Utc::now();
    Ok(state
        .db
        .invites()
        .list(&admin.workspace_id)
        .await?
        .into_iter()
        .map(|row| InviteView::of(row, now))
        .collect())
}

pub async fn revoke(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<()> {
    let admin = require(viewer, TeamAction::Manage)?;
    if state.db.invites().revoke(&admin.workspace_id, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(Missing::Invite))
    }
}

/// What an invitation link leads to.
#[derive(Debug)]
pub enum Invitation {
    /// It may be accepted: into this workspace, for this address (if it names one).
    Open {
        workspace: String,
        email: Option<String>,
    },
    Closed(InviteState),
}

/// The invitation a link's token opens (404 for a token never made).
pub async fn open(state: &AppState, token: &str) -> AppResult<Invitation> {
    let invite = by_link(state, token).await?;
    Ok(match invite.state(Utc::now()) {
        InviteState::Open => Invitation::Open {
            workspace: state
                .db
                .users()
                .workspace_name(&invite.workspace_id)
                .await?
                .unwrap_or_default(),
            email: invite.email,
        },
        closed => Invitation::Closed(closed),
    })
}

/// Who someone joining (or setting up) says they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct Newcomer {
    #[schema(schema_with = crate::services::text::line_schema::<{crate::services::team::MAX_NAME_CHARS}>)]
    pub name: String,
    #[schema(value_type = crate::services::formats::EmailAddress)]
    pub email: String,
    pub password: String,
    #[schema(value_type = crate::services::formats::TimeZoneName)]
    pub time_zone: String,
    #[serde(default)]
    pub working_hours: Option<WorkingHours>,
}

/// What an invitation that is not open says.
pub fn closed_message(state: InviteState) -> &'static str {
    match state {
        InviteState::Open => "this invitation is open",
        InviteState::UsedUp => "this invitation has been used up: ask for a new one",
        InviteState::Expired => "this invitation has expired: ask for a new one",
        InviteState::Revoked => "this invitation was withdrawn: ask for a new one",
    }
}

/// Joins the workspace an invitation opens; returns the new member (sign them in next).
pub async fn accept(state: &AppState, token: &str, newcomer: Newcomer) -> AppResult<User> {
    if state.config.password_sign_in != crate::config::PasswordSignIn::Everyone {
        return Err(AppError::Forbidden(
            "passwords are not for members here: join through the identity provider".into(),
        ));
    }
    // Told before the (slow) password hashing; decided again as the account is made.
    let invite = by_link(state, token).await?;
    match invite.state(Utc::now()) {
        InviteState::Open => {}
        closed => return Err(AppError::Gone(closed_message(closed).into())),
    }
    let row = account(&state.passwords, newcomer, invite.workspace_id, false).await?;
    accept_as(state, token, row).await
}

/// The invitation a link's token opens, whatever its state (404 for a token never made).
pub async fn by_link(state: &AppState, token: &str) -> AppResult<InviteRow> {
    state
        .db
        .invites()
        .by_token(&token_hash(token))
        .await?
        .ok_or(AppError::NotFound(Missing::Invite))
}

/// Joins the workspace an invitation opens as `row` (an account already checked and made, by
/// the invitation form or single sign-on); returns the new member.
pub async fn accept_as(state: &AppState, token: &str, row: UserRow) -> AppResult<User> {
    let hash = token_hash(token);
    let invite = by_link(state, token).await?;
    if invite.workspace_id != row.workspace_id {
        return Err(AppError::NotFound(Missing::Invite));
    }
    if invite.email.as_ref().is_some_and(|only| *only != row.email) {
        return Err(AppError::BadRequest(
            "this invitation is for another email address".into(),
        ));
    }
    // Whether a use is still left is decided again, atomically, as the account is made.
    match state.db.invites().accept(&hash, &row, Utc::now()).await? {
        Acceptance::Joined => Ok(row.user()),
        Acceptance::Unknown => Err(AppError::NotFound(Missing::Invite)),
        Acceptance::Closed(closed) => Err(AppError::Gone(closed_message(closed).into())),
        Acceptance::EmailTaken => Err(AppError::Conflict(
            "someone already has an account with that email: sign in instead".into(),
        )),
    }
}

/// A checked account for `newcomer` (password hashed) in `workspace_id`: how every account is
/// made (the first run, an invitation, `server user add`).
pub async fn account(
    passwords: &crate::auth::password_work::PasswordWork,
    newcomer: Newcomer,
    workspace_id: String,
    is_admin: bool,
) -> AppResult<UserRow> {
    let profile = Profile {
        name: newcomer.name,
        time_zone: newcomer.time_zone,
        working_hours: newcomer.working_hours,
    };
    // Checked before the (slow) hashing, so a mistake is told at once.
    account_row(&profile, &newcomer.email, String::new(), workspace_id.clone(), is_admin)?;
    let password = checked_password(newcomer.password)?;
    let password_hash = passwords
        .run(move || hash_password(&password))
        .await?
        .map_err(|e| AppError::Internal(anyhow::anyhow!("cannot hash the password: {e}")))?;
    account_row(&profile, &newcomer.email, password_hash, workspace_id, is_admin)
}

/// What a newcomer says about themselves beside their email and password.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub time_zone: String,
    pub working_hours: Option<WorkingHours>,
}

/// A checked account row: the profile and email checked, the password hash as given.
pub fn account_row(
    profile: &Profile,
    email: &str,
    password_hash: String,
    workspace_id: String,
    is_admin: bool,
) -> AppResult<UserRow> {
    let display_name = checked_name(&profile.name)?;
    let email = checked_email(email)?;
    let time_zone = checked_zone(&profile.time_zone)?;
    let working_hours = profile.working_hours.clone().unwrap_or_default();
    Ok(UserRow {
        id: db::ids::new_id().map_err(no_randomness)?,
        workspace_id,
        email,
        display_name,
        time_zone,
        password_hash,
        is_admin,
        created_at: Timestamp::now(),
        working_hours: Some(serde_json::to_string(&working_hours).map_err(|e| AppError::Internal(e.into()))?),
        removed_at: None,
        email_notifications: db::domain::EmailChoice::WorkingHours,
        away_until: None,
        sso_subject: None,
    })
}

/// On a server with no accounts: a new setup link (its token kept hashed), to print. `None`
/// once anyone has an account.
pub async fn setup_link(state: &AppState) -> AppResult<Option<String>> {
    if state.db.users().count().await? > 0 {
        return Ok(None);
    }
    let token = new_secret().map_err(no_randomness)?;
    state.db.invites().replace_setup_token(&token_hash(&token)).await?;
    Ok(Some(format!("{}/setup/{token}", state.public_url)))
}

/// Whether a setup link still works (404 otherwise: after setup it leads nowhere).
pub async fn check_setup(state: &AppState, token: &str) -> AppResult<()> {
    if state.db.invites().setup_open(&token_hash(token)).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(Missing::Page))
    }
}

/// Makes the workspace `workspace` and its first admin from a setup link; every setup link
/// ends with it.
pub async fn set_up(state: &AppState, token: &str, workspace: &str, admin: Newcomer) -> AppResult<User> {
    check_setup(state, token).await?;
    let workspace = checked_name(workspace)?;
    let workspace_id = db::ids::new_id().map_err(no_randomness)?;
    let row = account(&state.passwords, admin, workspace_id.clone(), true).await?;
    if state
        .db
        .invites()
        .complete_setup(&token_hash(token), &workspace_id, &workspace, &row)
        .await?
    {
        // The workspace may have existed already by that name (made by `server user add`).
        Ok(state
            .db
            .users()
            .by_id(&row.id)
            .await?
            .map_or_else(|| row.user(), |r| r.user()))
    } else {
        Err(AppError::NotFound(Missing::Page))
    }
}

fn no_randomness(err: impl std::fmt::Display) -> AppError {
    AppError::Internal(anyhow::anyhow!("no randomness: {err}"))
}
