//! Telling people when it is their turn — by email inside their working hours, and to the
//! workspace's webhooks as it happens.
//!
//! A new message or a reply is written with an event, in its own transaction; [`fan_out`] (run
//! by the events worker) turns each event into one mail job per recipient (never its own
//! author), due when the recipient's choice says: at once, when their working hours next begin
//! (in their own zone), or never — and into one delivery job per webhook that subscribes to
//! it ([`webhooks`]). The mail and webhook lanes (`workers::mail`, `workers::webhooks`) deliver
//! them; what both tell is the same [`story::Story`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use db::clips::ClipRow;
use db::domain::{EmailChoice, JobKind, NotificationEvent, User, WorkingHours};
use db::notifications::EventRow;
use db::queue::{NewJob, Notice, Work};
use db::threads::Reply;

use crate::error::{AppError, AppResult};
use crate::state::{AppState, SigningKey};

pub mod checkin_story;
pub mod reaction_story;
pub mod story;
mod unsubscribe;
pub mod webhooks;

pub use unsubscribe::{unsubscribe, unsubscribe_url};

/// A new message waits this long before it is announced: time enough for it to be posted as
/// a reply instead (the reply's notification then tells).
const MESSAGE_GRACE: chrono::Duration = chrono::Duration::seconds(15);

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

/// Turns the events written with new messages, replies and check-in rounds into mail jobs (at
/// most one per recipient, by their unique key, however many workers do it at once) when mail
/// is on, and into deliveries to the workspace's webhooks.
pub async fn fan_out(state: &AppState) -> AppResult<usize> {
    let events = state.db.notifications().events(50).await?;
    for event in &events {
        if event.kind == NotificationEvent::ReactionCreated {
            reaction_event(state, event).await?;
        } else if event.subject.is_empty() {
            message_event(state, event).await?;
        } else {
            round_event(state, event).await?;
        }
        state.db.notifications().event_done(event.id).await?;
    }
    Ok(events.len())
}

/// A new message, or a reply in a message's thread.
async fn message_event(state: &AppState, event: &EventRow) -> AppResult<()> {
    let root = state.db.clips().get(&event.clip_id).await?;
    let reply = match event.kind {
        NotificationEvent::ReplyCreated => state.db.threads().by_id(&event.reply_id).await?,
        _ => None,
    };
    if let (Some(root), true) = (&root, state.mailer.is_some()) {
        match (event.kind, &reply) {
            (NotificationEvent::MessageCreated, _) => message_created(state, root).await?,
            (NotificationEvent::ReplyCreated, Some(reply)) => reply_created(state, root, reply).await?,
            _ => {}
        }
    }
    if let Some(workspace) = root.as_ref().and_then(|r| r.workspace_id.as_deref()) {
        webhooks::queue(state, workspace, event, not_before(event.kind, Utc::now())).await?;
    }
    Ok(())
}

/// A reaction: its workspace's webhooks hear of it at once; nobody is mailed (the next mail
/// about the thread mentions it).
async fn reaction_event(state: &AppState, event: &EventRow) -> AppResult<()> {
    let workspace = if event.subject.is_empty() {
        state.db.clips().get(&event.clip_id).await?.and_then(|c| c.workspace_id)
    } else {
        match state.db.checkins().round(&event.subject).await? {
            Some(round) => state
                .db
                .checkins()
                .get(&round.checkin_id)
                .await?
                .map(|c| c.workspace_id),
            None => None,
        }
    };
    if let Some(workspace) = workspace {
        webhooks::queue(state, &workspace, event, Utc::now()).await?;
    }
    Ok(())
}

/// Something in a check-in's round: someone asked or reminded (told by mail at once, as it is
/// already the start of their hours), an answer, a reply, the round closed (its round-up to
/// everyone it asked, as each chose to hear).
async fn round_event(state: &AppState, event: &EventRow) -> AppResult<()> {
    let Some(round) = state.db.checkins().round(&event.subject).await? else {
        return Ok(());
    };
    let Some(checkin) = state.db.checkins().get(&round.checkin_id).await? else {
        return Ok(());
    };
    let notice = Notice {
        to: String::new(),
        event: event.kind,
        clip_id: String::new(),
        reply_id: event.reply_id.clone(),
        actor_id: event.actor_id.clone(),
        subject: round.id.clone(),
    };
    if state.mailer.is_some() {
        let members = state.db.team().members(&checkin.workspace_id).await?;
        match event.kind {
            NotificationEvent::CheckinAsked | NotificationEvent::CheckinReminded => {
                let asked: Vec<&User> = members.iter().filter(|m| m.id == event.actor_id).collect();
                mail(state, &asked, &notice, Timing::AtOnce).await?;
            }
            NotificationEvent::CheckinCompleted => {
                let people = state.db.checkins().people(&[round.id.as_str()]).await?;
                let asked: Vec<&User> = members
                    .iter()
                    .filter(|m| people.iter().any(|p| p.user_id == m.id))
                    .collect();
                mail(state, &asked, &notice, Timing::TheirChoice).await?;
            }
            NotificationEvent::ReplyCreated => {
                let told = round_repliers(state, &round.id, &event.reply_id).await?;
                let recipients: Vec<&User> = members
                    .iter()
                    .filter(|m| m.id != event.actor_id && told.contains(&m.id))
                    .collect();
                mail(state, &recipients, &notice, Timing::TheirChoice).await?;
            }
            NotificationEvent::CheckinAnswered
            | NotificationEvent::MessageCreated
            | NotificationEvent::ReactionCreated => {}
        }
    }
    if matches!(
        event.kind,
        NotificationEvent::CheckinAsked | NotificationEvent::CheckinAnswered | NotificationEvent::CheckinCompleted
    ) {
        webhooks::queue(state, &checkin.workspace_id, event, Utc::now()).await?;
    }
    Ok(())
}

/// Who a reply in a round concerns: the authors of what it answers, up to the answer, and of
/// the other replies under that answer.
async fn round_repliers(state: &AppState, round_id: &str, reply_id: &str) -> AppResult<Vec<String>> {
    let replies = state
        .db
        .threads()
        .of_thread(&db::threads::ThreadRoot::Round(round_id.to_owned()))
        .await?;
    let parent_of: HashMap<&str, Option<&str>> = replies
        .iter()
        .map(|r| (r.id.as_str(), r.parent_id.as_deref()))
        .collect();
    let answer = answer_of(&parent_of, reply_id);
    Ok(replies
        .iter()
        .filter(|r| answer_of(&parent_of, &r.id) == answer)
        .filter_map(|r| r.author_id().map(str::to_owned))
        .collect())
}

/// The answer a reply in a round is under (an answer is its own).
fn answer_of<'a>(parent_of: &HashMap<&'a str, Option<&'a str>>, mut id: &'a str) -> &'a str {
    while let Some(Some(parent)) = parent_of.get(id) {
        id = parent;
    }
    id
}

/// The earliest an event is told: a new message waits out its grace.
fn not_before(event: NotificationEvent, now: DateTime<Utc>) -> DateTime<Utc> {
    match event {
        NotificationEvent::MessageCreated => now + MESSAGE_GRACE,
        _ => now,
    }
}

/// A new message: everyone else in its workspace hears of it. (If it turns out to be a reply,
/// the reply's notification tells instead: this one is dropped when it is due.)
async fn message_created(state: &AppState, clip: &ClipRow) -> AppResult<()> {
    let (Some(workspace), Some(author)) = (&clip.workspace_id, &clip.owner_id) else {
        return Ok(());
    };
    let members = state.db.team().members(workspace).await?;
    let recipients: Vec<&User> = members.iter().filter(|m| m.id != *author).collect();
    let notice = Notice {
        to: String::new(),
        event: NotificationEvent::MessageCreated,
        clip_id: clip.id.clone(),
        reply_id: String::new(),
        actor_id: author.clone(),
        subject: String::new(),
    };
    mail(state, &recipients, &notice, Timing::TheirChoice).await
}

/// A reply: whoever is part of its thread (posted the message or a reply in it) hears of it.
/// A guest's reply (through a link) has no member behind it: its actor is `""`.
async fn reply_created(state: &AppState, root: &ClipRow, reply: &Reply) -> AppResult<()> {
    let Some(workspace) = &root.workspace_id else {
        return Ok(());
    };
    let author = reply.author_id().unwrap_or_default();
    let replies = state.db.threads().of_thread(&reply.root).await?;
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
    let notice = Notice {
        to: String::new(),
        event: NotificationEvent::ReplyCreated,
        clip_id: root.id.clone(),
        reply_id: reply.id.clone(),
        actor_id: author.to_owned(),
        subject: String::new(),
    };
    mail(state, &recipients, &notice, Timing::TheirChoice).await
}

/// When a mail goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timing {
    /// As each recipient chose (at once, in their hours, in their digest), unless they chose
    /// no mail.
    TheirChoice,
    /// At once, whatever they chose but `off`: a check-in's ask comes at the start of their
    /// hours already.
    AtOnce,
}

/// Queues `notice` for each of `recipients`, when `timing` says.
async fn mail(state: &AppState, recipients: &[&User], notice: &Notice, timing: Timing) -> AppResult<()> {
    let not_before = not_before(notice.event, Utc::now());
    let mut queued = Vec::new();
    for recipient in recipients {
        let due = match (timing, recipient.email_notifications) {
            (_, EmailChoice::Off) => None,
            (Timing::AtOnce, _) => Some(not_before),
            (Timing::TheirChoice, choice) => due_at(choice, &recipient.working_hours, recipient.zone(), not_before),
        };
        if let Some(due) = due {
            queued.push(NewJob {
                // Also the mail's Message-ID, the same however often it is retried.
                id: db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
                work: Work::Mail(Notice {
                    to: recipient.id.clone(),
                    ..notice.clone()
                }),
                run_after: due,
            });
        }
    }
    if !queued.is_empty() {
        state.db.jobs().enqueue(&queued).await?;
        state.wakes.job(JobKind::Mail).notify_one();
    }
    Ok(())
}

/// HMAC-SHA256 of `message` under the server's key for `purpose` — made the first time it is
/// needed, kept in the database so that every process signs alike, read once per process.
pub async fn sign(state: &AppState, purpose: SigningKey, message: &[u8]) -> AppResult<[u8; 32]> {
    use hmac::{Hmac, Mac};
    let key = state
        .signing_keys
        .get(purpose)
        .get_or_try_init(|| async {
            let fresh = crate::auth::secrets::new_secret()
                .map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?;
            Ok::<_, AppError>(state.db.notifications().server_key(purpose.name(), &fresh).await?)
        })
        .await?;
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("bad key: {e}")))?;
    mac.update(message);
    Ok(mac.finalize().into_bytes().into())
}

/// Changes the viewer's choice, and re-plans the mail they have coming by it.
pub async fn set_choice(state: &AppState, user: &User, choice: EmailChoice) -> AppResult<()> {
    state.db.notifications().set_email_choice(&user.id, choice).await?;
    replan(
        state,
        &User {
            email_notifications: choice,
            ..user.clone()
        },
    )
    .await
}

/// Re-plans the mail `user` has waiting after they changed their choice, hours or zone: each
/// goes when the new ones say, as if it had just been queued (so mail keeps its order, and
/// nothing waits for hours they no longer keep). Mail they now chose not to get is due at once,
/// and dropped when its turn comes. A check-in's ask keeps its time: it is the start of hours.
pub async fn replan(state: &AppState, user: &User) -> AppResult<()> {
    let now = Utc::now();
    let mut moved = false;
    for held in state.db.notifications().of_recipient(&user.id).await? {
        if held.state != db::domain::JobState::Pending
            || matches!(
                held.event,
                NotificationEvent::CheckinAsked | NotificationEvent::CheckinReminded
            )
        {
            continue;
        }
        let not_before = not_before(held.event, held.created_at.instant()).max(now);
        let due = due_at(user.email_notifications, &user.working_hours, user.zone(), not_before).unwrap_or(now);
        moved |= state.db.jobs().retime(&held.id, due).await?;
    }
    if moved {
        state.wakes.job(JobKind::Mail).notify_one();
    }
    Ok(())
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
