//! Who may do what with a clip: one pure function, so the whole matrix is testable in one place.
//!
//! - The **owner** (and workspace admins) may do everything.
//! - **Members** of the clip's workspace may view, play, read and reply.
//! - Anyone else — a user of another workspace, a guest, nobody signed in — only through the
//!   clip's **link**: visibility `link`, the right share token, not revoked, not expired. The
//!   link lets them view, play and read; reply only if the owner allows guests to. Of the
//!   thread behind a link they see what its owner shows outsiders (see [`outsiders_may_see`]).
//!
//! Whoever may not view a clip must not learn that it exists: the routes answer 404 for it,
//! exactly as for an id that was never used.
//!
//! Within a workspace, every member sees who is in it and when they work; only **admins**
//! invite people, remove members and grant or take admin.

use chrono::{DateTime, Utc};

use super::secrets::constant_time_eq;
pub use db::domain::ClipAccess;
use db::domain::{Author, OutsidersSee, User, Visibility};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    View,
    PlayMedia,
    ReadTranscript,
    Reply,
    Delete,
    ChangeSharing,
    /// Change its title.
    Rename,
    /// Cut its start and end, undo the cut or keep it for good (its owner only).
    Trim,
    /// Read its summary, chapters and action items (whoever may read its transcript).
    ReadSummary,
    /// Write, clear or ask again for its summary (its owner, as for its title).
    EditSummary,
    /// Add or take back one's own emoji on it: the team only (a reaction has a name behind it).
    React,
}

/// What a member may do to their workspace (rather than to one clip).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamAction {
    /// See who is in it, and their hours.
    SeeMembers,
    /// Invite people, remove members, grant or take admin.
    Manage,
    /// Add, see and remove the workspace's webhooks (they reach outside it, signed as it).
    ManageWebhooks,
}

pub fn allows_team(user: &User, action: TeamAction) -> bool {
    match action {
        TeamAction::SeeMembers => true,
        TeamAction::Manage | TeamAction::ManageWebhooks => user.is_admin,
    }
}

/// What the policy needs to know about a check-in.
#[derive(Debug, Clone, Copy)]
pub struct CheckinAccess<'a> {
    pub workspace_id: &'a str,
    pub created_by: &'a str,
    /// The members it names; `None`: everyone.
    pub named: Option<&'a [String]>,
}

/// What someone does with a check-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckinAction {
    /// See it, its rounds and their answers: every member of its workspace.
    View,
    /// Make it: admins any; a member one for themselves and the people they name.
    Create,
    /// Change, pause, resume or remove it: admins, and whoever made it.
    Manage,
}

pub fn allows_checkin(user: &User, checkin: &CheckinAccess<'_>, action: CheckinAction) -> bool {
    if user.workspace_id != checkin.workspace_id {
        return false;
    }
    match action {
        CheckinAction::View => true,
        CheckinAction::Create => user.is_admin || checkin.named.is_some_and(|ids| ids.contains(&user.id)),
        CheckinAction::Manage => user.is_admin || checkin.created_by == user.id,
    }
}

/// How the asker relates to the clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Owner,
    Member,
    /// Not a member, but holding a live link.
    LinkHolder,
    Stranger,
}

pub fn relation(user: Option<&User>, share_token: Option<&str>, clip: &ClipAccess<'_>, now: DateTime<Utc>) -> Relation {
    if let Some(user) = user {
        if clip.owner_id == Some(user.id.as_str()) {
            return Relation::Owner;
        }
        if clip.workspace_id == Some(user.workspace_id.as_str()) || (user.is_admin && clip.workspace_id.is_none()) {
            return if user.is_admin {
                Relation::Owner
            } else {
                Relation::Member
            };
        }
    }
    let link_live = clip.visibility == Visibility::Link
        && clip.share_expires_at.is_none_or(|expiry| now < expiry)
        && matches!((clip.share_token, share_token), (Some(a), Some(b)) if constant_time_eq(a, b));
    if link_live {
        Relation::LinkHolder
    } else {
        Relation::Stranger
    }
}

/// The relation to a reply, given the viewer's own relation to its clip and their relation to
/// the thread's root: whoever may see a thread may see its replies, but owning the root does not
/// make one the owner of someone else's reply.
pub fn through_thread(own: Relation, to_root: Relation) -> Relation {
    let via_thread = match to_root {
        Relation::Owner => Relation::Member,
        other => other,
    };
    match own {
        Relation::Stranger => via_thread,
        Relation::LinkHolder if via_thread == Relation::Member => via_thread,
        own => own,
    }
}

/// Whether people outside the workspace, come through a thread's link (`root`), may see a
/// reply by `author`: every reply when the owner shows them the thread; otherwise only the
/// owner's own answers and guests' — what teammates say among themselves stays in the team.
pub fn outsiders_may_see(root: &ClipAccess<'_>, author: &Author) -> bool {
    match (root.outsiders_see, author) {
        (OutsidersSee::Thread, _) | (OutsidersSee::Message, Author::Guest(_)) => true,
        (OutsidersSee::Message, Author::Member(id)) => root.owner_id == Some(id.as_str()),
    }
}

pub fn allows(relation: Relation, action: Action, clip: &ClipAccess<'_>) -> bool {
    match relation {
        Relation::Owner => true,
        Relation::Member => !matches!(
            action,
            Action::Delete | Action::ChangeSharing | Action::Rename | Action::Trim | Action::EditSummary
        ),
        Relation::LinkHolder => match action {
            Action::View | Action::PlayMedia | Action::ReadTranscript | Action::ReadSummary => true,
            Action::Reply => clip.guests_may_reply,
            Action::Delete
            | Action::ChangeSharing
            | Action::Rename
            | Action::Trim
            | Action::EditSummary
            | Action::React => false,
        },
        Relation::Stranger => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, workspace: &str) -> User {
        User {
            id: id.into(),
            workspace_id: workspace.into(),
            email: format!("{id}@example.com"),
            display_name: id.into(),
            time_zone: "UTC".into(),
            is_admin: false,
            working_hours: Default::default(),
            email_notifications: db::domain::EmailChoice::WorkingHours,
            away_until: None,
        }
    }

    #[test]
    fn links_need_the_right_live_token() {
        let now = Utc::now();
        let mut clip = ClipAccess {
            owner_id: Some("o"),
            workspace_id: Some("w"),
            visibility: Visibility::Link,
            share_token: Some("secret"),
            share_expires_at: None,
            guests_may_reply: false,
            outsiders_see: OutsidersSee::Message,
        };
        assert_eq!(relation(None, Some("secret"), &clip, now), Relation::LinkHolder);
        assert_eq!(relation(None, Some("secreT"), &clip, now), Relation::Stranger);
        assert_eq!(relation(None, None, &clip, now), Relation::Stranger);
        assert_eq!(relation(Some(&user("m", "w")), None, &clip, now), Relation::Member);
        assert_eq!(
            relation(Some(&user("x", "v")), Some("secret"), &clip, now),
            Relation::LinkHolder
        );
        clip.share_expires_at = Some(now - chrono::Duration::seconds(1));
        assert_eq!(relation(None, Some("secret"), &clip, now), Relation::Stranger);
        clip.share_expires_at = None;
        clip.visibility = Visibility::Workspace;
        assert_eq!(relation(None, Some("secret"), &clip, now), Relation::Stranger);
        assert!(!allows(Relation::LinkHolder, Action::Reply, &clip));
        clip.guests_may_reply = true;
        assert!(allows(Relation::LinkHolder, Action::Reply, &clip));
        assert!(!allows(Relation::Member, Action::Delete, &clip));
    }

    #[test]
    fn members_make_check_ins_for_the_people_they_name_and_admins_for_anyone() {
        let mut admin = user("a", "w");
        admin.is_admin = true;
        let (member, other) = (user("m", "w"), user("x", "v"));
        let named = ["m".to_owned(), "t".to_owned()];
        let everyone = CheckinAccess {
            workspace_id: "w",
            created_by: "a",
            named: None,
        };
        let theirs = CheckinAccess {
            workspace_id: "w",
            created_by: "m",
            named: Some(&named),
        };
        let others = CheckinAccess {
            named: Some(&named[1..]),
            ..theirs
        };
        assert!(allows_checkin(&admin, &everyone, CheckinAction::Create));
        assert!(
            !allows_checkin(&member, &everyone, CheckinAction::Create),
            "everyone is an admin's call"
        );
        assert!(allows_checkin(&member, &theirs, CheckinAction::Create));
        assert!(
            !allows_checkin(&member, &others, CheckinAction::Create),
            "not for others alone"
        );
        assert!(allows_checkin(&member, &theirs, CheckinAction::Manage));
        assert!(!allows_checkin(&member, &everyone, CheckinAction::Manage));
        assert!(allows_checkin(&admin, &theirs, CheckinAction::Manage));
        assert!(allows_checkin(&member, &everyone, CheckinAction::View));
        assert!(
            !allows_checkin(&other, &everyone, CheckinAction::View),
            "another workspace"
        );
    }

    #[test]
    fn outsiders_see_the_owners_and_guests_replies_unless_shown_the_thread() {
        let mut root = ClipAccess {
            owner_id: Some("o"),
            workspace_id: Some("w"),
            visibility: Visibility::Link,
            share_token: Some("secret"),
            share_expires_at: None,
            guests_may_reply: true,
            outsiders_see: OutsidersSee::Message,
        };
        let owner = Author::Member("o".into());
        let teammate = Author::Member("m".into());
        let guest = Author::Guest("Gus".into());
        assert!(outsiders_may_see(&root, &owner));
        assert!(outsiders_may_see(&root, &guest));
        assert!(!outsiders_may_see(&root, &teammate));
        root.outsiders_see = OutsidersSee::Thread;
        assert!(outsiders_may_see(&root, &teammate));
    }
}
