//! Telling people when it is their turn, by email, inside their working hours.
//!
//! A new message or a reply is written with an event, in its own transaction; the workers turn
//! each event into one notification per recipient (never its own author), due
//! when the recipient's choice says: at once, when their working hours next begin (in their own
//! zone), or never. The workers of every process deliver what is due under a lease: each is
//! checked again just before it goes (heard already, the message gone, the recipient removed or
//! no longer interested: dropped), waits a short while for the transcript's opening, and is
//! retried with backoff when the SMTP server fails, then given up with the reason kept.

use std::time::Duration;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use maud::html;

use crate::auth::secrets::constant_time_eq;
use crate::db::clips::ClipRow;
use crate::db::notifications::{NewNotification, NotificationRow};
use crate::db::threads::Reply;
use crate::domain::{ClipStatus, DeliveryState, EmailChoice, NotificationEvent, User, WorkingHours, clock};
use crate::error::{AppError, AppResult, Missing};
use crate::mail::{Mail, Mailer};
use crate::state::AppState;

/// Tries before a notification is given up.
const MAX_ATTEMPTS: i64 = 8;
/// How long a notification waits for its message's transcript, to quote its opening.
const TRANSCRIPT_WAIT: chrono::Duration = chrono::Duration::seconds(90);
/// A new message waits this long before it is announced: time enough for it to be posted as
/// a reply instead (the reply's notification then tells).
const MESSAGE_GRACE: chrono::Duration = chrono::Duration::seconds(15);
/// How often idle workers look for due notifications.
const POLL: Duration = Duration::from_secs(2);

/// When a notification for someone who chose `choice` (with these hours, in `zone`) goes out;
/// `None`: not at all.
pub fn due_at(choice: EmailChoice, hours: &WorkingHours, zone: Tz, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match choice {
        EmailChoice::Off => None,
        EmailChoice::Immediate => Some(now),
        // Without working days there is nothing to wait for.
        EmailChoice::WorkingHours => Some(hours.next_start(now, zone).unwrap_or(now)),
        EmailChoice::Digest => Some(hours.next_day_start(now, zone).unwrap_or(now)),
    }
}

/// Turns the events written with new messages and replies into notifications (at most one per
/// recipient, by their unique key, however many workers do it at once); without mail, events
/// are only cleared.
pub async fn fan_out(state: &AppState) -> AppResult<usize> {
    let events = state.db.notifications().events(50).await?;
    for event in &events {
        if state.mailer.is_some() {
            match event.kind {
                NotificationEvent::MessageCreated => {
                    if let Some(clip) = state.db.clips().get(&event.clip_id).await? {
                        message_created(state, &clip).await?;
                    }
                }
                NotificationEvent::ReplyCreated => {
                    let root = state.db.clips().get(&event.clip_id).await?;
                    let reply = state.db.threads().by_id(&event.reply_id).await?;
                    if let (Some(root), Some(reply)) = (root, reply) {
                        reply_created(state, &root, &reply).await?;
                    }
                }
            }
        }
        state.db.notifications().event_done(event.id).await?;
    }
    Ok(events.len())
}

/// A new message: everyone else in its workspace hears of it. (If it turns out to be a reply,
/// the reply's notification tells instead: this one is dropped when it is due.)
async fn message_created(state: &AppState, clip: &ClipRow) -> AppResult<()> {
    let (Some(workspace), Some(author)) = (&clip.workspace_id, &clip.owner_id) else {
        return Ok(());
    };
    let members = state.db.team().members(workspace).await?;
    let recipients: Vec<&User> = members.iter().filter(|m| m.id != *author).collect();
    queue(
        state,
        &recipients,
        NotificationEvent::MessageCreated,
        &clip.id,
        "",
        author,
    )
    .await
}

/// A reply: whoever is part of its thread (posted the message or a reply in it) hears of it.
/// A guest's reply (through a link) has no member behind it: its actor is `""`.
async fn reply_created(state: &AppState, root: &ClipRow, reply: &Reply) -> AppResult<()> {
    let Some(workspace) = &root.workspace_id else {
        return Ok(());
    };
    let author = reply.author_id().unwrap_or_default();
    let replies = state.db.threads().of_thread(&root.id).await?;
    let clip_ids: Vec<&str> = replies.iter().filter_map(Reply::clip_id).collect();
    let reply_clips = state.db.clips().get_many(&clip_ids).await?;
    let mut part_of: Vec<&str> = root.owner_id.iter().map(String::as_str).collect();
    part_of.extend(replies.iter().filter_map(Reply::author_id));
    part_of.extend(reply_clips.iter().filter_map(|c| c.owner_id.as_deref()));
    let members = state.db.team().members(workspace).await?;
    let recipients: Vec<&User> = members
        .iter()
        .filter(|m| m.id != author && part_of.contains(&m.id.as_str()))
        .collect();
    queue(
        state,
        &recipients,
        NotificationEvent::ReplyCreated,
        &root.id,
        &reply.id,
        author,
    )
    .await
}

async fn queue(
    state: &AppState,
    recipients: &[&User],
    event: NotificationEvent,
    clip_id: &str,
    reply_id: &str,
    actor_id: &str,
) -> AppResult<()> {
    let now = Utc::now();
    let not_before = match event {
        NotificationEvent::MessageCreated => now + MESSAGE_GRACE,
        NotificationEvent::ReplyCreated => now,
    };
    let mut queued = Vec::new();
    for recipient in recipients {
        if let Some(due) = due_at(
            recipient.email_notifications,
            &recipient.working_hours,
            recipient.zone(),
            not_before,
        ) {
            queued.push(NewNotification {
                id: crate::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
                recipient_id: &recipient.id,
                event,
                clip_id,
                reply_id,
                actor_id,
                due_at: due,
            });
        }
    }
    if !queued.is_empty() {
        state.db.notifications().enqueue(&queued).await?;
    }
    Ok(())
}

/// Turns events into notifications and delivers those due, until the process ends.
pub fn start_worker(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let holder = format!("{}/mail", state.process.id);
        loop {
            let fanned = match fan_out(&state).await {
                Ok(n) => n,
                Err(err) => {
                    tracing::warn!("cannot turn events into notifications: {err}");
                    0
                }
            };
            let delivered = match &state.mailer {
                Some(mailer) => deliver_due(&state, mailer, &holder).await,
                None => 0,
            };
            if fanned == 0 && delivered == 0 {
                let _ = tokio::time::timeout(POLL, state.notifications_due.notified()).await;
            }
        }
    });
}

/// Delivers what is due now (a batch); how many it tried.
async fn deliver_due(state: &AppState, mailer: &Mailer, holder: &str) -> usize {
    let now = Utc::now();
    let lease = now + chrono::Duration::from_std(lease_length(state)).unwrap_or(chrono::Duration::seconds(30));
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

fn lease_length(state: &AppState) -> Duration {
    Duration::from_secs(state.config.job_lease_secs.max(1))
}

/// What became of one notification's turn.
enum Outcome {
    Sent,
    /// Not worth sending any more, and why.
    Dropped(&'static str),
    /// Waiting for the transcript a little longer.
    NotYet,
    Failed(String),
}

/// Delivers one notification — or, for someone who chose the digest, every one of theirs that
/// is due, in one mail. Returns the ids it took care of.
async fn deliver(state: &AppState, mailer: &Mailer, holder: &str, notification: NotificationRow) -> Vec<String> {
    let rows = match state.db.users().by_id(&notification.recipient_id).await {
        Ok(Some(user)) if user.email_notifications == EmailChoice::Digest => {
            let now = Utc::now();
            let lease = now + chrono::Duration::from_std(lease_length(state)).unwrap_or(chrono::Duration::seconds(30));
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

/// What a notification tells, or why it is not going out (now).
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
    let Some(root) = state.db.clips().get(&notification.clip_id).await? else {
        return Ok(Err(Outcome::Dropped("the message is gone")));
    };
    if root.status == ClipStatus::Deleted {
        return Ok(Err(Outcome::Dropped("the message was deleted")));
    }
    let (message_id, message_clip, reply) = match notification.event {
        NotificationEvent::MessageCreated => {
            if state.db.threads().by_clip(&root.id).await?.is_some() {
                return Ok(Err(Outcome::Dropped("the message became a reply")));
            }
            (root.id.clone(), Some(root.clone()), None)
        }
        NotificationEvent::ReplyCreated => {
            let Some(reply) = state.db.threads().by_id(&notification.reply_id).await? else {
                return Ok(Err(Outcome::Dropped("the reply is gone")));
            };
            let clip = match reply.clip_id() {
                Some(id) => state.db.clips().get(id).await?,
                None => None,
            };
            let id = reply.clip_id().map_or_else(|| reply.id.clone(), str::to_owned);
            (id, clip, Some(reply))
        }
    };
    let heard = state.db.threads().seen_by(&[message_id.as_str()]).await?;
    if heard.iter().any(|(_, user_id, _, _)| *user_id == recipient.id) {
        return Ok(Err(Outcome::Dropped("the recipient has heard it already")));
    }
    let opening = match &message_clip {
        Some(clip) => {
            let opening = crate::services::transcripts::opening(state, clip, 240).await?;
            let waited = Utc::now() - crate::domain::parse_timestamp(&notification.created_at).unwrap_or_else(Utc::now);
            if opening.is_none() && waited < TRANSCRIPT_WAIT && transcript_coming(state, clip).await? {
                return Ok(Err(Outcome::NotYet));
            }
            opening
        }
        None => None,
    };
    let actor = match (state.db.users().by_id(&notification.actor_id).await?, &reply) {
        (Some(member), _) => member.display_name,
        (
            None,
            Some(Reply {
                author: crate::domain::Author::Guest(name),
                ..
            }),
        ) => format!("{name} (guest)"),
        (None, _) => "Someone".to_owned(),
    };
    let title = if root.title.is_empty() {
        "Untitled clip"
    } else {
        &root.title
    };
    let mut link = format!(
        "{}/c/{}",
        state.public_url,
        root.share_token.as_deref().ok_or(AppError::NotFound(Missing::Clip))?
    );
    // A moment in the message itself (not in a reply answered) opens the page there.
    if let Some(ms) = reply
        .as_ref()
        .filter(|r| r.parent_id.is_none())
        .and_then(|r| r.anchor_ms)
    {
        link.push_str(&format!("?t={:.1}", ms as f64 / 1000.0));
    }
    let (subject, what) = match (&reply, &message_clip) {
        (None, _) => (
            format!("{actor} sent a message: “{title}”"),
            format!("{actor} recorded “{title}”"),
        ),
        (Some(_), Some(clip)) => (
            format!("{actor} replied to “{title}”"),
            format!(
                "{actor} replied by {} to “{title}”",
                if clip.media.has_video { "video" } else { "voice" }
            ),
        ),
        (Some(_), None) => (
            format!("{actor} replied to “{title}”"),
            format!("{actor} replied to “{title}”"),
        ),
    };
    let length = message_clip.as_ref().map(|c| clock(c.duration_ms));
    let said = match (&reply, &opening) {
        (Some(reply), _) if reply.clip_id().is_none() => match &reply.body {
            crate::domain::ReplyBody::Text(text) => Some(text.chars().take(240).collect::<String>()),
            _ => None,
        },
        (_, opening) => opening.clone(),
    };
    let at = reply
        .as_ref()
        .and_then(|r| r.anchor_ms)
        .map(|ms| format!(" at {}", clock(ms)));
    let mut text = format!("{what}{}", at.clone().unwrap_or_default());
    if let Some(length) = &length {
        text.push_str(&format!(" ({length})"));
    }
    text.push_str(".\n\n");
    if let Some(said) = &said {
        text.push_str(&format!("“{said}”\n\n"));
    }
    text.push_str(&format!("Listen and answer: {link}\n"));
    let html = html! {
        p { (what) @if let Some(at) = &at { (at) } @if let Some(length) = &length { " (" (length) ")" } "." }
        @if let Some(said) = &said { blockquote { "“" (said) "”" } }
        p { a href=(link) { "Listen and answer" } }
    }
    .into_string();
    Ok(Ok(Notice {
        recipient,
        subject,
        text,
        html,
    }))
}

/// Whether the clip's transcript is still being made.
async fn transcript_coming(state: &AppState, clip: &ClipRow) -> AppResult<bool> {
    let jobs = state.db.jobs().jobs(&[clip.id.as_str()]).await?;
    Ok(matches!(
        state.transcription.status(jobs.get(&clip.id)).status,
        crate::domain::TranscriptStatus::Pending | crate::domain::TranscriptStatus::Running
    ))
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
    use hmac::{Hmac, Mac};
    // Read (or made) once per process: every process shares the one in the database.
    let key = state
        .unsubscribe_key
        .get_or_try_init(|| async {
            let fresh = crate::auth::secrets::new_secret()
                .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
            Ok::<_, AppError>(state.db.notifications().server_key("unsubscribe", &fresh).await?)
        })
        .await?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("bad key: {e}")))?;
    mac.update(b"unsubscribe:");
    mac.update(user_id.as_bytes());
    Ok(hex::encode(mac.finalize().into_bytes()))
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

/// Changes the viewer's choice.
pub async fn set_choice(state: &AppState, user: &User, choice: EmailChoice) -> AppResult<()> {
    Ok(state.db.notifications().set_email_choice(&user.id, choice).await?)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn each_choice_says_when_a_notification_goes() {
        let manila = chrono_tz::Asia::Manila;
        let hours = WorkingHours::default();
        // Monday 9 February 2026, 07:00 in Manila: before the day begins.
        let now = utc("2026-02-08T23:00:00Z");
        assert_eq!(due_at(EmailChoice::Immediate, &hours, manila, now), Some(now));
        assert_eq!(
            due_at(EmailChoice::WorkingHours, &hours, manila, now),
            Some(utc("2026-02-09T01:00:00Z"))
        );
        assert_eq!(
            due_at(EmailChoice::Digest, &hours, manila, now),
            Some(utc("2026-02-09T01:00:00Z"))
        );
        assert_eq!(due_at(EmailChoice::Off, &hours, manila, now), None);
        // No working days at all: held for nothing.
        let never: WorkingHours = serde_json::from_str("{}").unwrap();
        assert_eq!(due_at(EmailChoice::WorkingHours, &never, manila, now), Some(now));
    }
}
