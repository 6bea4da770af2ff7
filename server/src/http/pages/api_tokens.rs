//! The API tokens section of `/settings`: the recorder's and scripts' tokens with when each was
//! made, revoking one, and making one to paste where no browser is at hand (`recorder login
//! --paste-token`); `tokens.js` calls the API with the session's CSRF token.

use chrono_tz::Tz;
use maud::{Markup, html};

use super::when::viewer_time;
use db::users::TokenRow;

pub fn tokens_section(tokens: &[TokenRow], zone: Tz) -> Markup {
    let live: Vec<&TokenRow> = tokens.iter().filter(|t| t.revoked_at.is_none()).collect();
    html! {
        section aria-labelledby="tokens-title" {
            h2 #tokens-title { "API tokens" }
            p { "The recorder signs in with " code { "recorder login" } ", which makes its own token here. For a machine with no browser, make one and paste it into " code { "recorder login --paste-token" } "." }
            @if live.is_empty() { p #no-tokens { "No API tokens." } }
            ul.tokens {
                @for token in live {
                    li data-token=(token.id) {
                        strong { (token.label.as_deref().unwrap_or("token")) }
                        " · made " (viewer_time(token.created_at.instant(), zone))
                        " " button type="button" data-action="revoke" { "Revoke" }
                    }
                }
            }
            form.profile #token-form {
                label { "What it is for" input type="text" name="label" required maxlength="100" placeholder="recorder on the studio Mac"; }
                button type="submit" { "Make a token" }
            }
            p #token-made hidden {
                "The token, shown only now: " input #token-secret type="text" readonly aria-label="API token";
            }
            p.status role="status" #token-status {}
        }
    }
}
