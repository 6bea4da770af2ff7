//! The words every layer shares: states and modes as enums, the signed-in user, the time
//! helpers. This module imports no other module of the crate but `working_hours` (a leaf like
//! it), so `auth/`, `db/` and the services can all depend on it without depending on each
//! other.
//!
//! Enums are stored as their `as_str()` text; rows read them back through `TryFrom<String>`
//! (`#[sqlx(try_from = "String")]`), so an unknown value in the database is a decode error,
//! never a silent default.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub use crate::working_hours::WorkingHours;

/// `M:SS`, as people say moments.
pub fn clock(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    format!("{}:{:02}", s / 60, s % 60)
}

/// A stored value that is none of an enum's names.
#[derive(Debug, thiserror::Error)]
#[error("{value:?} is not a valid {what}")]
pub struct UnknownValue {
    what: &'static str,
    value: String,
}

/// An enum stored as text: `as_str` for writing, `TryFrom<String>` for reading back.
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            $($(#[$vmeta])* $variant),+
        }

        impl $name {
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownValue;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                value.parse()
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownValue;
            fn from_str(value: &str) -> Result<Self, Self::Err> {
                match value {
                    $($text => Ok($name::$variant),)+
                    other => Err(UnknownValue { what: $what, value: other.to_owned() }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// Where a clip stands. Only complete clips have rows, so there is no "uploading".
    ClipStatus, "clip status" {
        Ready => "ready",
        /// Deleted while a thread still points at it: a tombstone.
        Deleted => "deleted",
    }
);

text_enum!(
    /// Who may open a clip besides its workspace.
    Visibility, "visibility" {
        /// The workspace's members only.
        Workspace => "workspace",
        /// Also anyone holding its live share link.
        Link => "link",
    }
);

text_enum!(
    /// What people outside the workspace, come through a clip's link, see of its thread.
    OutsidersSee, "thread visibility" {
        /// The message, its owner's replies and guests' replies: the team's own answers
        /// stay inside the team.
        Message => "message",
        /// Every reply.
        Thread => "thread",
    }
);

text_enum!(
    /// A job's state in the queue.
    JobState, "job state" {
        Pending => "pending",
        /// Claimed by a worker, under its lease.
        Running => "running",
        Done => "done",
        /// No longer worth doing (the message heard already or gone, the webhook removed).
        Dropped => "dropped",
        /// Given up after its last attempt; the reason is kept.
        Failed => "failed",
    }
);

text_enum!(
    /// What kind of work a job is: each kind has its own workers.
    JobKind, "job kind" {
        /// Transcribe a clip.
        Transcript => "transcript",
        /// Mail a member about a message or a reply.
        Mail => "mail",
        /// Tell a webhook about a message or a reply.
        Webhook => "webhook",
        /// A step of a check-in's round: asking someone, reminding them, closing the round.
        Checkin => "checkin",
        /// Summarise a clip's transcript: summary, title, chapters, action items.
        Summary => "summary",
        /// Make a clip stored as a head before its body one object, for presigned URLs.
        Compose => "compose",
    }
);

text_enum!(
    /// Where a clip's summary stands.
    SummaryState, "summary state" {
        /// Its job is queued or running (after the transcript).
        Pending => "pending",
        Ready => "ready",
        /// Given up; the reason is kept.
        Failed => "failed",
        /// None: summaries are not configured, or its owner cleared it.
        Off => "off",
    }
);

text_enum!(
    /// Who wrote what a summary says.
    SummarySource, "summary source" {
        /// The model, on this server.
        Generated => "generated",
        /// Its owner (or cleared by them): a new transcript does not overwrite it.
        Edited => "edited",
    }
);

text_enum!(
    /// Whether a check-in asks.
    CheckinState, "check-in state" {
        Active => "active",
        /// Asks nobody until it is resumed.
        Paused => "paused",
    }
);

text_enum!(
    /// Where a check-in's round stands.
    RoundState, "round state" {
        /// Asking, and taking answers.
        Open => "open",
        /// Everyone asked answered, or the last due time passed.
        Closed => "closed",
    }
);

text_enum!(
    /// Where a person stands in a round.
    AskState, "answer state" {
        /// To be asked, or asked and not answered yet.
        Waiting => "waiting",
        Answered => "answered",
        /// Away that day: not asked.
        Away => "away",
        /// Not answered by their due time.
        Missed => "missed",
    }
);

text_enum!(
    /// How a sign-in token is used.
    TokenKind, "token kind" {
        /// A browser's cookie, with a CSRF token for writes.
        Session => "session",
        /// A bearer token for the recorder and scripts.
        Api => "api",
    }
);

text_enum!(
    /// A transcript as the API reports it: the job's state, or why there is none.
    TranscriptStatus, "transcript status" {
        Pending => "pending",
        Running => "running",
        Ready => "ready",
        Failed => "failed",
        Disabled => "disabled",
    }
);

text_enum!(
    /// How a member wants to hear by email that it is their turn.
    EmailChoice, "email choice" {
        /// As soon as it happens.
        Immediate => "immediate",
        /// Held until their working hours begin, in their own time zone (the default).
        WorkingHours => "working_hours",
        /// One mail at the start of their working day with everything still unheard.
        Digest => "digest",
        Off => "off",
    }
);

text_enum!(
    /// What a notification tells.
    NotificationEvent, "notification event" {
        /// A new message in your workspace.
        MessageCreated => "message.created",
        /// A reply in a thread you are part of.
        ReplyCreated => "reply.created",
        /// A check-in asks someone for their answer.
        CheckinAsked => "checkin.asked",
        /// A check-in reminds someone who has not answered yet.
        CheckinReminded => "checkin.reminded",
        /// Someone answered a check-in.
        CheckinAnswered => "checkin.answered",
        /// A check-in's round closed: everyone's answers together.
        CheckinCompleted => "checkin.completed",
        /// Someone reacted to a message with an emoji (never mailed on its own).
        ReactionCreated => "reaction.created",
    }
);

text_enum!(
    /// How a take ended without becoming a whole clip.
    TakeEnding, "take ending" {
        /// Its recorder cancelled it while recording.
        Cancelled => "cancelled",
        /// Its bytes stopped arriving before anything playable came.
        Stopped => "stopped",
    }
);

text_enum!(
    /// How a webhook's deliveries are shaped.
    WebhookFormat, "webhook format" {
        /// `{type, timestamp, data}`, signed per the Standard Webhooks specification.
        Standard => "standard",
        /// `{"text": …}`, as Slack, Mattermost and Rocket.Chat incoming webhooks take it.
        Chat => "chat",
    }
);

text_enum!(
    /// Where a notification stands.
    DeliveryState, "delivery state" {
        Pending => "pending",
        Sent => "sent",
        /// No longer worth sending (heard already, the message gone, notifications off).
        Dropped => "dropped",
        /// Given up after the last attempt; the reason is kept.
        Failed => "failed",
    }
);

/// A signed-in person, as every layer sees them (the password hash stays in the database
/// layer and the sign-in check).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub workspace_id: String,
    pub email: String,
    pub display_name: String,
    /// An IANA zone name, checked when the account was made.
    pub time_zone: String,
    pub is_admin: bool,
    /// When they work, in their own zone.
    pub working_hours: WorkingHours,
    /// How they want to hear by email that it is their turn.
    pub email_notifications: EmailChoice,
    /// Away until (and including) this date: check-ins do not ask them.
    pub away_until: Option<chrono::NaiveDate>,
}

impl User {
    /// The user's zone (UTC if the stored name no longer parses).
    pub fn zone(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::UTC)
    }

    /// Whether they are away on `day` (a date in their own zone).
    pub fn is_away_on(&self, day: chrono::NaiveDate) -> bool {
        self.away_until.is_some_and(|until| day <= until)
    }
}

/// A member's role in their workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Member,
}

impl User {
    pub fn role(&self) -> Role {
        if self.is_admin { Role::Admin } else { Role::Member }
    }
}

/// Where an invitation stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InviteState {
    Open,
    UsedUp,
    Expired,
    Revoked,
}

/// Who wrote a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Author {
    /// A member, by user id.
    Member(String),
    /// Someone replying through a link, under the name they gave.
    Guest(String),
}

/// What a reply says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReplyBody {
    Text(String),
    /// A clip the author uploaded (voice or video), by id.
    Clip(String),
    /// A text reply its author deleted after others had answered it.
    Deleted,
}

/// What the access policy needs to know about a clip.
#[derive(Debug, Clone)]
pub struct ClipAccess<'a> {
    pub owner_id: Option<&'a str>,
    pub workspace_id: Option<&'a str>,
    pub visibility: Visibility,
    pub share_token: Option<&'a str>,
    pub share_expires_at: Option<DateTime<Utc>>,
    pub guests_may_reply: bool,
    pub outsiders_see: OutsidersSee,
}

/// Whose clips a listing or a search covers: one workspace's, plus (for admins) the clips
/// stored before accounts existed, which belong to no workspace.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub workspace_id: &'a str,
    pub with_ownerless: bool,
}

impl<'a> Scope<'a> {
    /// What `user` may list and search.
    pub fn of(user: &'a User) -> Self {
        Self {
            workspace_id: &user.workspace_id,
            with_ownerless: user.is_admin,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_round_trip_through_their_text_and_refuse_others() {
        for v in [Visibility::Workspace, Visibility::Link] {
            assert_eq!(Visibility::try_from(v.as_str().to_owned()).unwrap(), v);
        }
        assert_eq!(
            serde_json::to_value(JobState::Running).unwrap(),
            serde_json::json!("running")
        );
        let err = ClipStatus::try_from("uploading".to_owned()).unwrap_err();
        assert_eq!(err.to_string(), "\"uploading\" is not a valid clip status");
        assert_eq!(clock(83_999), "1:23");
    }
}
