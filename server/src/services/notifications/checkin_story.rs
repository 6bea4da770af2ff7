//! What a check-in's events tell, by mail and to webhooks: someone asked ("Stand-up — due by
//! 13:00"), reminded, an answer given, a reply in the round, and the round-up when it closes
//! (every answer with its words, who was away, who missed it).

use std::collections::HashMap;

use chrono::Utc;
use db::Timestamp;
use db::checkins::{Checkin, Round};
use db::domain::{AskState, ClipStatus, NotificationEvent, ReplyBody, User, clock};
use db::queue::Notice;
use db::threads::{Reply, ThreadRoot};
use maud::html;
use serde_json::{Value, json};

use super::story::Untold;
use crate::error::AppResult;
use crate::state::AppState;

/// How long a round's news waits for its voice answers' transcripts, to quote them.
const TRANSCRIPT_WAIT: chrono::Duration = chrono::Duration::seconds(90);
/// How much of an answer a round-up quotes.
const QUOTE_CHARS: usize = 240;

/// One answer, as it is told.
#[derive(Debug, Clone)]
pub struct AnswerLine {
    pub member_id: String,
    pub name: String,
    /// `text`, `voice` or `video`.
    pub kind: &'static str,
    pub text: Option<String>,
    pub clip_id: Option<String>,
    /// The answer's words: the text, or its transcript's opening.
    pub said: Option<String>,
    /// Its length, `m:ss`, for a voice or video answer.
    pub length: Option<String>,
}

/// Something that happened in a check-in's round, as it is told.
#[derive(Debug)]
pub struct CheckinStory {
    pub event: NotificationEvent,
    pub checkin: Checkin,
    pub round: Round,
    /// The person asked or reminded, who answered, or who replied.
    pub actor: Option<User>,
    /// When the person asked must answer (in their own time).
    pub due_local: Option<String>,
    pub due_at: Option<Timestamp>,
    /// The answer given (`checkin.answered`), or every answer (`checkin.completed`).
    pub answers: Vec<AnswerLine>,
    /// The reply told of (a reply in the round's thread).
    pub reply: Option<Reply>,
    /// Who was away, and who missed it (`checkin.completed`).
    pub away: Vec<String>,
    pub missed: Vec<String>,
    /// The round's page.
    pub link: String,
    pub subject: String,
}

/// What `notice` (about a round: its `subject`) tells, or why it is not told (now).
pub async fn describe(
    state: &AppState,
    notice: &Notice,
    queued_at: Timestamp,
) -> AppResult<Result<CheckinStory, Untold>> {
    let Some(round) = state.db.checkins().round(&notice.subject).await? else {
        return Ok(Err(Untold::Dropped("the round is gone")));
    };
    let Some(checkin) = state.db.checkins().get(&round.checkin_id).await? else {
        return Ok(Err(Untold::Dropped("the check-in is gone")));
    };
    let people = state.db.checkins().people(&[round.id.as_str()]).await?;
    let ids: Vec<&str> = people.iter().map(|p| p.user_id.as_str()).collect();
    let mut users: HashMap<String, User> = state
        .db
        .users()
        .by_ids(&ids)
        .await?
        .into_iter()
        .map(|u| (u.id.clone(), u))
        .collect();
    if !notice.actor_id.is_empty()
        && !users.contains_key(&notice.actor_id)
        && let Some(row) = state.db.users().by_id(&notice.actor_id).await?
    {
        users.insert(row.id.clone(), row.user());
    }
    let name = |id: &str| {
        users
            .get(id)
            .map_or_else(|| "Someone".to_owned(), |u| u.display_name.clone())
    };
    let actor = users.get(&notice.actor_id).cloned();
    let me = people.iter().find(|p| p.user_id == notice.actor_id);
    let link = format!("{}/checkins/rounds/{}", state.public_url, round.id);
    let title = checkin.title.clone();
    let date = round.day.format("%a %-d %b").to_string();
    let mut story = CheckinStory {
        event: notice.event,
        actor,
        due_local: None,
        due_at: None,
        answers: Vec::new(),
        reply: None,
        away: Vec::new(),
        missed: Vec::new(),
        link,
        subject: String::new(),
        round,
        checkin,
    };
    match notice.event {
        NotificationEvent::CheckinAsked | NotificationEvent::CheckinReminded => {
            let Some(me) = me else {
                return Ok(Err(Untold::Dropped("not asked in this round")));
            };
            if me.state != AskState::Waiting {
                return Ok(Err(Untold::Dropped("answered already, or away")));
            }
            let zone = story.actor.as_ref().map_or(chrono_tz::UTC, User::zone);
            let due = me.due_at.instant().with_timezone(&zone).format("%H:%M").to_string();
            story.subject = match notice.event {
                NotificationEvent::CheckinReminded => format!("Reminder: {title} is due by {due}"),
                _ => format!("{title} — due by {due}"),
            };
            story.due_local = Some(due);
            story.due_at = Some(me.due_at);
        }
        NotificationEvent::CheckinAnswered => {
            let replies = state
                .db
                .threads()
                .of_thread(&ThreadRoot::Round(story.round.id.clone()))
                .await?;
            let Some(answer) = replies.iter().find(|r| r.id == notice.reply_id) else {
                return Ok(Err(Untold::Dropped("the answer is gone")));
            };
            let lines = match answer_lines(state, &[answer], &name, queued_at).await? {
                Ok(lines) => lines,
                Err(untold) => return Ok(Err(untold)),
            };
            story.subject = format!("{} answered {title}", name(&notice.actor_id));
            story.answers = lines;
        }
        NotificationEvent::CheckinCompleted => {
            let replies = state
                .db
                .threads()
                .of_thread(&ThreadRoot::Round(story.round.id.clone()))
                .await?;
            // In the order people answered, as the round's page shows them.
            let mut answered: Vec<_> = people.iter().filter(|p| p.answer_id.is_some()).collect();
            answered.sort_by_key(|p| p.answered_at);
            let answers: Vec<&Reply> = answered
                .iter()
                .filter_map(|p| p.answer_id.as_ref())
                .filter_map(|id| replies.iter().find(|r| &r.id == id))
                .collect();
            story.answers = match answer_lines(state, &answers, &name, queued_at).await? {
                Ok(lines) => lines,
                Err(untold) => return Ok(Err(untold)),
            };
            story.away = people
                .iter()
                .filter(|p| p.state == AskState::Away)
                .map(|p| name(&p.user_id))
                .collect();
            story.missed = people
                .iter()
                .filter(|p| p.state == AskState::Missed)
                .map(|p| name(&p.user_id))
                .collect();
            story.subject = format!(
                "{title} · {date}: {} answered{}{}",
                story.answers.len(),
                counted(story.away.len(), "away"),
                counted(story.missed.len(), "missed")
            );
        }
        NotificationEvent::ReplyCreated => {
            let Some(reply) = state.db.threads().by_id(&notice.reply_id).await? else {
                return Ok(Err(Untold::Dropped("the reply is gone")));
            };
            story.subject = format!("{} replied in {title}", name(&notice.actor_id));
            let lines = match answer_lines(state, &[&reply], &name, queued_at).await? {
                Ok(lines) => lines,
                Err(untold) => return Ok(Err(untold)),
            };
            story.answers = lines;
            story.reply = Some(reply);
        }
        NotificationEvent::MessageCreated | NotificationEvent::ReactionCreated => {
            return Ok(Err(Untold::Dropped("not a check-in's news")));
        }
    }
    Ok(Ok(story))
}

fn counted(n: usize, what: &str) -> String {
    if n == 0 { String::new() } else { format!(", {n} {what}") }
}

/// The answers as they are told, their clips' transcripts quoted — waiting a little for
/// transcripts still being made.
async fn answer_lines(
    state: &AppState,
    answers: &[&Reply],
    name: &impl Fn(&str) -> String,
    queued_at: Timestamp,
) -> AppResult<Result<Vec<AnswerLine>, Untold>> {
    let clip_ids: Vec<&str> = answers.iter().filter_map(|a| a.clip_id()).collect();
    let clips = state.db.clips().get_many(&clip_ids).await?;
    let openings = state.db.transcripts().openings(&clip_ids, QUOTE_CHARS).await?;
    // A voice answer long enough to have a summary is told by it.
    let summaries = crate::services::summaries::ready_lines(state, &clip_ids).await?;
    let waited = Utc::now() - queued_at.instant();
    if waited < TRANSCRIPT_WAIT {
        for clip in clips
            .iter()
            .filter(|c| c.status == ClipStatus::Ready && !openings.contains_key(&c.id))
        {
            let status = crate::services::transcripts::status_of(state, &clip.id).await?.status;
            if matches!(
                status,
                db::domain::TranscriptStatus::Pending | db::domain::TranscriptStatus::Running
            ) {
                return Ok(Err(Untold::NotYet));
            }
        }
    }
    Ok(Ok(answers
        .iter()
        .map(|answer| {
            let clip = answer.clip_id().and_then(|id| clips.iter().find(|c| c.id == id));
            let (kind, text) = match (&answer.body, clip) {
                (ReplyBody::Text(text), _) => ("text", Some(text.chars().take(QUOTE_CHARS).collect::<String>())),
                (_, Some(clip)) if clip.media.has_video => ("video", None),
                _ => ("voice", None),
            };
            AnswerLine {
                member_id: answer.author_id().unwrap_or_default().to_owned(),
                name: name(answer.author_id().unwrap_or_default()),
                kind,
                said: text
                    .clone()
                    .or_else(|| answer.clip_id().and_then(|id| summaries.get(id).cloned()))
                    .or_else(|| answer.clip_id().and_then(|id| openings.get(id).cloned())),
                text,
                clip_id: answer.clip_id().map(str::to_owned),
                length: clip.map(|c| clock(c.duration_ms)),
            }
        })
        .collect()))
}

impl CheckinStory {
    /// One line: "Olive is asked for Stand-up, due by 13:00 her time." and the like.
    pub fn summary(&self) -> String {
        let title = &self.checkin.title;
        let who = self.actor.as_ref().map_or("Someone", |u| u.display_name.as_str());
        match self.event {
            NotificationEvent::CheckinAsked => format!(
                "{who} is asked for {title}, due by {} their time.",
                self.due_local.as_deref().unwrap_or("today")
            ),
            NotificationEvent::CheckinReminded => format!(
                "A reminder: {title} is due by {} your time.",
                self.due_local.as_deref().unwrap_or("today")
            ),
            NotificationEvent::CheckinAnswered => match self.answers.first() {
                Some(answer) if answer.kind == "text" => format!("{who} answered {title}."),
                Some(answer) => format!(
                    "{who} answered {title} by {} ({}).",
                    answer.kind,
                    answer.length.as_deref().unwrap_or("0:00")
                ),
                None => format!("{who} answered {title}."),
            },
            NotificationEvent::ReplyCreated => format!("{who} replied in {title}."),
            NotificationEvent::CheckinCompleted
            | NotificationEvent::MessageCreated
            | NotificationEvent::ReactionCreated => format!("{}.", self.subject),
        }
    }

    /// The story as a mail's plain text.
    pub fn text(&self) -> String {
        let mut text = format!("{}\n\n", self.summary());
        if matches!(
            self.event,
            NotificationEvent::CheckinAsked | NotificationEvent::CheckinReminded
        ) {
            for (n, question) in self.checkin.questions.iter().enumerate() {
                text.push_str(&format!("{}. {question}\n", n + 1));
            }
            text.push_str(&format!("\nAnswer by voice, video or text: {}\n", self.link));
            return text;
        }
        for answer in &self.answers {
            text.push_str(&format!("{} ({}{}):", answer.name, answer.kind, length(answer)));
            match &answer.said {
                Some(said) => text.push_str(&format!(" “{said}”\n")),
                None => text.push('\n'),
            }
        }
        if !self.away.is_empty() {
            text.push_str(&format!("Away: {}\n", self.away.join(", ")));
        }
        if !self.missed.is_empty() {
            text.push_str(&format!("Missed it: {}\n", self.missed.join(", ")));
        }
        text.push_str(&format!("\nThe round: {}\n", self.link));
        text
    }

    /// The story as a mail's HTML (every piece of user text escaped by maud).
    pub fn html(&self) -> String {
        let asking = matches!(
            self.event,
            NotificationEvent::CheckinAsked | NotificationEvent::CheckinReminded
        );
        html! {
            p { (self.summary()) }
            @if asking {
                ol { @for question in &self.checkin.questions { li { (question) } } }
                p { a href=(self.link) { "Answer by voice, video or text" } }
            } @else {
                @for answer in &self.answers {
                    p { strong { (answer.name) } " (" (answer.kind) (length(answer)) ")"
                        @if let Some(said) = &answer.said { br; "“" (said) "”" } }
                }
                @if !self.away.is_empty() { p { "Away: " (self.away.join(", ")) } }
                @if !self.missed.is_empty() { p { "Missed it: " (self.missed.join(", ")) } }
                p { a href=(self.link) { "Open the round" } }
            }
        }
        .into_string()
    }

    /// `data` of a Standard Webhooks payload.
    pub fn data(&self) -> Value {
        json!({
            "summary": self.summary(),
            "url": self.link,
            "checkin": {
                "id": self.checkin.id,
                "title": self.checkin.title,
                "questions": self.checkin.questions,
            },
            "round": {
                "id": self.round.id,
                "date": self.round.day.format("%Y-%m-%d").to_string(),
                "state": self.round.state,
            },
            "member": self.actor.as_ref().map(|u| json!({ "id": u.id, "name": u.display_name })),
            "due_at": self.due_at,
            "answers": self.answers.iter().map(|a| json!({
                "member": { "id": a.member_id, "name": a.name },
                "kind": a.kind,
                "text": a.text,
                "clip_id": a.clip_id,
                "said": a.said,
            })).collect::<Vec<_>>(),
            "away": self.away,
            "missed": self.missed,
        })
    }

    /// A chat tool's text.
    pub fn chat(&self) -> String {
        let mut text = self.summary();
        if matches!(
            self.event,
            NotificationEvent::CheckinAnswered | NotificationEvent::CheckinCompleted | NotificationEvent::ReplyCreated
        ) {
            for answer in &self.answers {
                text.push_str(&format!("\n• {}: ", answer.name));
                match &answer.said {
                    Some(said) => text.push_str(&format!("“{said}”")),
                    None => text.push_str(answer.kind),
                }
            }
        }
        text
    }
}

fn length(answer: &AnswerLine) -> String {
    answer.length.as_ref().map(|l| format!(", {l}")).unwrap_or_default()
}
