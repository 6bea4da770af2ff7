//! The webhooks section of `/settings`, for admins: each endpoint with its recent deliveries,
//! a form to add one (its secret shown once), and removal (`webhooks.js` calls the API with the
//! session's CSRF token).

use chrono_tz::Tz;
use maud::{Markup, html};

use super::when::viewer_time;

use crate::services::notifications::webhooks::WebhookView;
use db::domain::{DeliveryState, WebhookFormat};

pub fn webhooks_section(hooks: &[WebhookView], zone: Tz) -> Markup {
    html! {
        section aria-labelledby="webhooks-title" {
            h2 #webhooks-title { "Webhooks" }
            p { "Tell your team's tools when a message is sent or a reply is posted: a chat channel's incoming webhook (Slack, Mattermost, Rocket.Chat), or your own endpoint, signed per the Standard Webhooks specification." }
            @if hooks.is_empty() { p #no-webhooks { "No webhooks yet." } }
            ul.webhooks {
                @for hook in hooks {
                    li data-webhook=(hook.id) {
                        strong { (hook.url) }
                        " · " (hook.events.join(", "))
                        " · " @match hook.format { WebhookFormat::Standard => "signed JSON", WebhookFormat::Chat => "chat text" }
                        " " button type="button" data-action="remove" { "Remove" }
                        @if hook.deliveries.is_empty() {
                            p.deliveries { "Nothing sent yet." }
                        } @else {
                            table.deliveries {
                                caption.visually-hidden { "Recent deliveries to " (hook.url) }
                                thead { tr {
                                    th scope="col" { "When" } th scope="col" { "Event" } th scope="col" { "State" }
                                    th scope="col" { "Answer" } th scope="col" { "Attempts" }
                                } }
                                tbody {
                                    @for d in &hook.deliveries {
                                        tr {
                                            td { (viewer_time(d.time.instant(), zone)) }
                                            td { (d.event) }
                                            td { (state_label(d.state)) }
                                            td { @match (d.status, &d.error) {
                                                (Some(status), _) => (status),
                                                (None, Some(error)) => (error),
                                                (None, None) => "—",
                                            } }
                                            td { (d.attempts) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            form.profile #webhook-form {
                label { "Endpoint URL" input type="url" name="url" required maxlength="2048" placeholder="https://hooks.slack.com/services/…"; }
                fieldset {
                    legend { "Events" }
                    label { input type="checkbox" name="events" value="message.created" checked; " A new message" }
                    label { input type="checkbox" name="events" value="reply.created" checked; " A reply" }
                    label { input type="checkbox" name="events" value="checkin.asked"; " Someone asked for a check-in" }
                    label { input type="checkbox" name="events" value="checkin.answered"; " A check-in answered" }
                    label { input type="checkbox" name="events" value="checkin.completed" checked; " A check-in's round-up" }
                    label { input type="checkbox" name="events" value="reaction.created"; " A reaction (👍 and the like)" }
                }
                fieldset {
                    legend { "Format" }
                    label { input type="radio" name="format" value="chat" checked; " Chat text (Slack, Mattermost, Rocket.Chat)" }
                    label { input type="radio" name="format" value="standard"; " Signed JSON (Standard Webhooks)" }
                }
                button type="submit" { "Add webhook" }
            }
            p #webhook-made hidden {
                "Its signing secret, shown only now: " input #webhook-secret type="text" readonly aria-label="Signing secret";
            }
            p.status role="status" #webhook-status {}
        }
    }
}

fn state_label(state: DeliveryState) -> &'static str {
    match state {
        DeliveryState::Pending => "retrying",
        DeliveryState::Sent => "delivered",
        DeliveryState::Dropped => "not needed",
        DeliveryState::Failed => "given up",
    }
}
