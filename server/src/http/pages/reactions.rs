//! A message's reactions as pages show them: each emoji with how many chose it (who, on hover
//! and to screen readers), pressed where the viewer is one of them; for the team, a row of
//! toggles to add or take back their own, and for a recording, the moments reacted at (which
//! seek it, and mark the waveform of the message itself).

use maud::{Markup, html};

use crate::services::reactions::ReactionView;
use db::domain::clock;

/// What a tap on the bar offers besides the emoji already there.
pub const QUICK: [&str; 6] = ["👍", "❤️", "😂", "🎉", "🙏", "👀"];

/// One message's reactions, for one viewer.
pub struct ReactionBar<'a> {
    /// The message (a clip's id or a text reply's): where `POST …/reactions` goes.
    pub message_id: &'a str,
    pub reactions: &'a [ReactionView],
    /// Who looks, if on the team (their own are pressed).
    pub viewer_id: Option<&'a str>,
    /// On the team, signed in: may react.
    pub may_react: bool,
    /// The player the message plays in (reacting while it plays is reacting at that moment).
    pub media: Option<&'a str>,
}

impl ReactionBar<'_> {
    pub fn markup(&self) -> Markup {
        // Emoji in the order first chosen, then the quick ones nobody chose yet.
        let mut shown: Vec<&str> = Vec::new();
        for reaction in self.reactions {
            if !shown.contains(&reaction.emoji.as_str()) {
                shown.push(&reaction.emoji);
            }
        }
        if self.may_react {
            for emoji in QUICK {
                if !shown.contains(&emoji) {
                    shown.push(emoji);
                }
            }
        }
        let moments: Vec<&ReactionView> = self.reactions.iter().filter(|r| r.at_ms.is_some()).collect();
        if shown.is_empty() {
            return html! {};
        }
        html! {
            div.reactions role="group" aria-label="Reactions" data-message=(self.message_id) data-media=[self.media] {
                @for emoji in &shown {
                    @let who: Vec<&str> = self.reactions.iter().filter(|r| r.emoji == *emoji)
                        .map(|r| r.display_name.as_deref().unwrap_or("someone")).collect();
                    @let mine = self.viewer_id.is_some_and(|me| self.reactions.iter()
                        .any(|r| r.emoji == *emoji && r.user_id.as_deref() == Some(me)));
                    @let label = if who.is_empty() { format!("React {emoji}") } else { format!("{emoji} {}: {}", who.len(), who.join(", ")) };
                    @if self.may_react {
                        button.reaction type="button" data-emoji=(emoji) aria-pressed=(mine) aria-label=(label) title=(label) {
                            (emoji) @if !who.is_empty() { " " span.count { (who.len()) } }
                        }
                    } @else {
                        span.reaction role="img" aria-label=(label) title=(label) { (emoji) " " span.count { (who.len()) } }
                    }
                }
            }
            @if !moments.is_empty() {
                ul.reaction-moments aria-label="Reactions at moments" {
                    @for r in &moments {
                        @let ms = r.at_ms.unwrap_or_default();
                        li { button.chip type="button" data-seek-ms=(ms) data-at-ms=(ms) data-emoji=(r.emoji) data-target=[self.media] {
                            (r.emoji) " " (clock(ms)) @if let Some(name) = &r.display_name { " · " (name) }
                        } }
                    }
                }
            }
        }
    }
}
