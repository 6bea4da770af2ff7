//! The mail lane: one mail per notification, or for someone who chose the digest, one mail of
//! everything of theirs that is due. Each is checked again just before it goes (heard already,
//! the message gone, the recipient removed or no longer interested: dropped), waits a short
//! while for the transcript's opening, and carries a stable `Message-ID`, so a retry is
//! recognisably the same mail.

use std::time::Duration;

use db::domain::{EmailChoice, JobKind, User};
use db::queue::{Attempt, Job, Work};
use maud::html;

use super::lane::{Outcome, Turn, Worker};
use crate::error::{AppError, AppResult};
use crate::mail::{Mail as Letter, Mailer};
use crate::services::notifications::story::{Told, Untold, tell};
use crate::services::notifications::unsubscribe_url;
use crate::state::AppState;

/// Tries before a notification is given up.
const MAX_ATTEMPTS: i64 = 8;
/// How long a notification waits before it looks again for its message's transcript.
const TRANSCRIPT_POLL: Duration = Duration::from_secs(5);

/// Mails notifications, one after the other.
pub(super) struct Mail {
    mailer: Mailer,
}

impl Mail {
    pub fn new(mailer: Mailer) -> Self {
        Self { mailer }
    }
}

#[async_trait::async_trait]
impl Worker for Mail {
    fn kind(&self) -> JobKind {
        JobKind::Mail
    }

    fn batch(&self) -> i64 {
        10
    }

    /// 15 s, 30 s, 1 min … at most an hour; given up after the eighth attempt.
    fn retry_after(&self, attempts: i64) -> Option<Duration> {
        let doublings = u32::try_from(attempts - 1).unwrap_or(0).min(8);
        (attempts < MAX_ATTEMPTS).then(|| Duration::from_secs((15u64 << doublings).min(3600)))
    }

    async fn work(&self, turn: &Turn<'_>, job: &Job) -> Outcome {
        let Work::Mail(notice) = &job.work else {
            return Outcome::Dropped("not a mail job".into());
        };
        // A digest takes the recipient's other due notifications with it.
        let digest = matches!(
            turn.state.db.users().by_id(&notice.to).await,
            Ok(Some(user)) if user.email_notifications == EmailChoice::Digest
        );
        let mut jobs = if digest {
            turn.claim_for(&notice.to).await
        } else {
            Vec::new()
        };
        if !jobs.iter().any(|j| j.id == job.id) {
            jobs.push(job.clone());
        }
        let mut notices = Vec::new();
        let mut told = Vec::new();
        let mut own = None;
        for each in &jobs {
            let outcome = match compose(turn.state, each).await {
                Ok(Ok(composed)) => {
                    notices.push(composed);
                    told.push(each);
                    continue;
                }
                Ok(Err(Untold::Dropped(why))) => Outcome::Dropped(why.to_owned()),
                Ok(Err(Untold::NotYet)) => Outcome::NotYet(TRANSCRIPT_POLL),
                Err(err) => Outcome::Failed {
                    why: err.to_string(),
                    tried: Attempt::default(),
                },
            };
            if each.id == job.id {
                own = Some(outcome);
            } else {
                turn.end(each, outcome).await;
            }
        }
        if !told.is_empty() {
            let sent = self.send(turn.state, &told, &notices).await;
            for each in told {
                let outcome = match &sent {
                    Ok(()) => Outcome::Done(Attempt::default()),
                    Err(why) => Outcome::Failed {
                        why: why.clone(),
                        tried: Attempt::default(),
                    },
                };
                if each.id == job.id {
                    own = Some(outcome);
                } else {
                    turn.end(each, outcome).await;
                }
            }
        }
        own.unwrap_or(Outcome::Ended)
    }
}

impl Mail {
    /// Sends one mail telling `notices` (those of `jobs`, all to one recipient).
    async fn send(&self, state: &AppState, jobs: &[&Job], notices: &[Composed]) -> Result<(), String> {
        // One Message-ID for what this mail tells, however often it is retried.
        let mut ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
        ids.sort_unstable();
        let id = match ids.as_slice() {
            [one] => (*one).to_owned(),
            many => crate::hashing::sha256_hex(many.join(",").as_bytes())[..32].to_owned(),
        };
        match letter(state, notices, id).await {
            Ok(letter) => self.mailer.send(&letter).await.map_err(|e| e.to_string()),
            Err(err) => Err(err.to_string()),
        }
    }
}

/// What one notification tells, before it is a mail (one, or one of a digest's).
struct Composed {
    recipient: User,
    subject: String,
    text: String,
    html: String,
}

/// What a notification tells its recipient, or why it is not going out (now).
async fn compose(state: &AppState, job: &Job) -> AppResult<Result<Composed, Untold>> {
    let Some(notice) = job.notice() else {
        return Ok(Err(Untold::Dropped("not a notification")));
    };
    let Some(recipient) = state.db.users().by_id(&notice.to).await? else {
        return Ok(Err(Untold::Dropped("the recipient is gone")));
    };
    if recipient.removed_at.is_some() {
        return Ok(Err(Untold::Dropped("the recipient was removed")));
    }
    let recipient = recipient.user();
    if recipient.email_notifications == EmailChoice::Off {
        return Ok(Err(Untold::Dropped("the recipient turned notifications off")));
    }
    let told = match tell(state, notice, job.created_at).await? {
        Ok(told) => told,
        Err(untold) => return Ok(Err(untold)),
    };
    if let Told::Message(story) = &told {
        let heard = state.db.threads().seen_by(&[story.heard_id.as_str()]).await?;
        if heard.iter().any(|seen| seen.user_id == recipient.id) {
            return Ok(Err(Untold::Dropped("the recipient has heard it already")));
        }
    }
    Ok(Ok(Composed {
        recipient,
        subject: told.subject().to_owned(),
        text: told.text(),
        html: told.html(),
    }))
}

/// The mail that tells `notices` (all to one recipient): one notice as it is, several as a
/// digest. `id` makes its Message-ID.
async fn letter(state: &AppState, notices: &[Composed], id: String) -> AppResult<Letter> {
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
    Ok(Letter {
        id,
        to_name: recipient.display_name.clone(),
        to_address: recipient.email.clone(),
        subject,
        text,
        html,
        unsubscribe_url: Some(unsubscribe),
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
