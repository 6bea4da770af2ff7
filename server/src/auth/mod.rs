//! Who is asking (a [`Viewer`]: signed in by a session cookie or a bearer token, or nobody,
//! perhaps holding a clip's share token) and what they may do: the one access [`policy`], the
//! secrets they prove themselves with, and the sign-in limits. How a request becomes a viewer
//! is HTTP's business (`http::viewer`).

pub mod oidc;
pub mod password_work;
pub mod policy;
pub mod rate_limit;
pub mod secrets;

use db::domain::User;

use crate::error::AppError;

pub const SESSION_COOKIE: &str = "offbeat_session";
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the user proved who they are.
#[derive(Debug, Clone)]
pub enum Credential {
    /// A browser session, with the CSRF token its pages must send back on writes.
    Session {
        token_id: String,
        csrf: String,
    },
    Bearer {
        token_id: String,
    },
}

#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: Option<User>,
    pub credential: Option<Credential>,
    /// A share token from the query string (`?share=`), not yet checked against any clip.
    pub share_token: Option<String>,
}

impl Viewer {
    /// The signed-in user, or 401.
    pub fn require_user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthorized)
    }
}
