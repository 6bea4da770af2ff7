//! Notifications by email: one mail per notification (or one digest of them), with a stable
//! `Message-ID`, and the signed link that stops them without signing in.

use chrono::Utc;
use maud::html;

use super::story::describe;
use super::{Outcome, lease_until};
use crate::auth::secrets::constant_time_eq;
use crate::db::notifications::NotificationRow;
use crate::domain::{DeliveryState, EmailChoice, User};
use crate::error::{AppError, AppResult, Missing};
use crate::mail::{Mail, Mailer};
use crate::state::{AppState, SigningKey};

/// Tries before a notification is given up.
const MAX_ATTEMPTS: i64 = 8;

/// Delivers what is due now (a batch); how many it tried.
pub(super) async fn deliver_due(state: &AppState, mailer: &Mailer, holder: &str) -> usize {
    let now = Utc::now();
    let lease = lease_until(state, now);
    match state.db.notifications().claim(holder, now, lease, 10).await {
        Ok(due) => {
            let count = due.len();
            let mut handled = std::collections::HashSet::new();
            for notification in due {
                // A digest takes its recipient's other notifications with it.
                if !handled.contains(&notification.id) {
                    handled.extend(deliver(state, mailer, holder, notification).await);
                }
            }
            count
        }
        Err(err) => {
            tracing::warn!("cannot read the notifications queue: {err}");
            0
        }
    }
}

/// Delivers one notification — or, for someone who chose the digest, every one of theirs that
/// is due, in one mail. Returns the ids it took care of.
async fn deliver(state: &AppState, mailer: &Mailer, holder: &str, notification: NotificationRow) -> Vec<String> {
    let rows = match state.db.users().by_id(&notification.recipient_id).await {
        Ok(Some(user)) if user.email_notifications == EmailChoice::Digest => {
            let now = Utc::now();
            let lease = lease_until(state, now);
            match state
                .db
                .notifications()
                .claim_recipient(holder, &notification.recipient_id, now, lease)
                .await
            {
                Ok(rows) if !rows.is_empty() => rows,
                _ => vec![notification],
            }
        }
        _ => vec![notification],
    };
    let mut notices = Vec::new();
    let mut told = Vec::new();
    for row in &rows {
        match compose(state, row).await {
            Ok(Ok(notice)) => {
                notices.push(notice);
                told.push(row);
            }
            Ok(Err(outcome)) => record(state, holder, row, outcome).await,
            Err(err) => record(state, holder, row, Outcome::Failed(err.to_string())).await,
        }
    }
    if !told.is_empty() {
        // One Message-ID for what this mail tells, however often it is retried.
        let mut ids: Vec<&str> = told.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        let id = match ids.as_slice() {
            [one] => (*one).to_owned(),
            many => crate::hashing::sha256_hex(many.join(",").as_bytes())[..32].to_owned(),
        };
        let sent = match mail_of(state, &notices, id).await {
            Ok(mail) => mailer.send(&mail).await.map_err(|e| e.to_string()),
            Err(err) => Err(err.to_string()),
        };
        for row in told {
            let outcome = match &sent {
                Ok(()) => Outcome::Sent,
                Err(why) => Outcome::Failed(why.clone()),
            };
            record(state, holder, row, outcome).await;
        }
    }
    rows.into_iter().map(|r| r.id).collect()
}

/// Records what became of a notification's turn.
async fn record(state: &AppState, holder: &str, notification: &NotificationRow, outcome: Outcome) {
    let store = state.db.notifications();
    let id = notification.id.as_str();
    let recorded = match outcome {
        Outcome::Sent => store.sent(id, holder).await,
        Outcome::Dropped(why) => store.finish(id, holder, DeliveryState::Dropped, why).await,
        Outcome::NotYet => {
            store
                .later(id, holder, Utc::now() + chrono::Duration::seconds(5), None)
                .await
        }
        Outcome::Failed(why) if notification.attempts + 1 >= MAX_ATTEMPTS => {
            tracing::warn!(notification = id, "giving up a notification: {why}");
            store.finish(id, holder, DeliveryState::Failed, &why).await
        }
        Outcome::Failed(why) => {
            // 15 s, 30 s, 1 min … at most an hour.
            let wait = 15i64 << notification.attempts.clamp(0, 8);
            tracing::info!(notification = id, "a notification could not go yet: {why}");
            store
                .later(
                    id,
                    holder,
                    Utc::now() + chrono::Duration::seconds(wait.min(3600)),
                    Some(&why),
                )
                .await
        }
    };
    if let Err(err) = recorded {
        tracing::warn!(notification = id, "cannot record a notification's delivery: {err}");
    }
}

/// What a notification tells its recipient, or why it is not going out (now).
async fn compose(state: &AppState, notification: &NotificationRow) -> AppResult<Result<Notice, Outcome>> {
    let Some(recipient) = state.db.users().by_id(&notification.recipient_id).await? else {
        return Ok(Err(Outcome::Dropped("the recipient is gone")));
    };
    if recipient.removed_at.is_some() {
        return Ok(Err(Outcome::Dropped("the recipient was removed")));
    }
    let recipient = recipient.user();
    if recipient.email_notifications == EmailChoice::Off {
        return Ok(Err(Outcome::Dropped("the recipient turned notifications off")));
    }
    let story = match describe(
        state,
        notification.event,
        &notification.clip_id,
        &notification.reply_id,
        &notification.actor_id,
        &notification.created_at,
    )
    .await?
    {
        Ok(story) => story,
        Err(outcome) => return Ok(Err(outcome)),
    };
    let heard = state.db.threads().seen_by(&[story.heard_id.as_str()]).await?;
    if heard.iter().any(|(_, user_id, _, _)| *user_id == recipient.id) {
        return Ok(Err(Outcome::Dropped("the recipient has heard it already")));
    }
    Ok(Ok(Notice {
        recipient,
        subject: story.subject.clone(),
        text: story.text(),
        html: story.html(),
    }))
}

/// What one notification tells, before it is a mail (one, or one of a digest's).
struct Notice {
    recipient: User,
    subject: String,
    text: String,
    html: String,
}

/// The mail that tells `notices` (all to one recipient): one notice as it is, several as a
/// digest. `id` makes its Message-ID.
async fn mail_of(state: &AppState, notices: &[Notice], id: String) -> AppResult<Mail> {
    let Some(first) = notices.first() else {
        return Err(AppError::Internal(anyhow::anyhow!("a mail of nothing")));
    };
    let recipient = &first.recipient;
    let unsubscribe = unsubscribe_url(state, &recipient.id).await?;
    let how = choice_words(recipient.email_notifications);
    let subject = match notices {
        [one] => one.subject.clone(),
        many => format!("{} new on Offbeat: {} and more", many.len(), first.subject),
    };
    let mut text = notices
        .iter()
        .map(|n| n.text.as_str())
        .collect::<Vec<_>>()
        .join("\n---\n\n");
    text.push_str(&format!(
        "\n—\nYou get these by email ({how}). Stop them: {unsubscribe}\n"
    ));
    let html = html! {
        @for (i, notice) in notices.iter().enumerate() {
            @if i > 0 { hr; }
            (maud::PreEscaped(&notice.html))
        }
        hr;
        p { small { "You get these by email (" (how) "). " a href=(unsubscribe) { "Stop them" } } }
    }
    .into_string();
    Ok(Mail {
        id,
        to_name: recipient.display_name.clone(),
        to_address: recipient.email.clone(),
        subject,
        text,
        html,
        unsubscribe_url: unsubscribe,
    })
}

fn choice_words(choice: EmailChoice) -> &'static str {
    match choice {
        EmailChoice::Immediate => "at once",
        EmailChoice::WorkingHours => "in your working hours",
        EmailChoice::Digest => "once a day",
        EmailChoice::Off => "off",
    }
}

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
