//! The signed link in every mail that turns a member's email off without signing in.

use db::domain::{EmailChoice, User};

use crate::auth::secrets::constant_time_eq;
use crate::error::{AppError, AppResult, Missing};
use crate::state::{AppState, SigningKey};

/// The link that turns `user_id`'s email off without signing in: signed with the server's key.
pub async fn unsubscribe_url(state: &AppState, user_id: &str) -> AppResult<String> {
    Ok(format!(
        "{}/unsubscribe/{user_id}/{}",
        state.public_url,
        unsubscribe_signature(state, user_id).await?
    ))
}

async fn unsubscribe_signature(state: &AppState, user_id: &str) -> AppResult<String> {
    let message = format!("unsubscribe:{user_id}");
    Ok(hex::encode(
        super::sign(state, SigningKey::Unsubscribe, message.as_bytes()).await?,
    ))
}

/// Turns email off for `user_id` if `signature` is theirs (404 otherwise, as for no such link).
pub async fn unsubscribe(state: &AppState, user_id: &str, signature: &str) -> AppResult<User> {
    let expected = unsubscribe_signature(state, user_id).await?;
    if !constant_time_eq(&expected, signature) {
        return Err(AppError::NotFound(Missing::Page));
    }
    let user = state
        .db
        .users()
        .by_id(user_id)
        .await?
        .filter(|u| u.removed_at.is_none())
        .ok_or(AppError::NotFound(Missing::Page))?;
    state
        .db
        .notifications()
        .set_email_choice(user_id, EmailChoice::Off)
        .await?;
    Ok(user.user())
}
