//! The webhook lane: each delivery signed per the Standard Webhooks specification (or shaped
//! for chat tools) and posted, side by side, so a dead endpoint holds up no other; retried on
//! the specification's schedule, then given up with the reason kept. Every connection is checked
//! against the webhook's allowed addresses again, and redirects are not followed.

use std::net::ToSocketAddrs;
use std::time::Duration;

use base64::Engine;
use chrono::Utc;
use db::domain::{JobKind, ReplyBody, WebhookFormat};
use db::queue::{Attempt, Job, Notice, Work};
use serde_json::{Value, json};

use super::lane::{Outcome, Turn, Worker};
use crate::error::{AppError, AppResult};
use crate::services::notifications::checkin_story::CheckinStory;
use crate::services::notifications::story::{Story, Told, Untold, tell};
use crate::services::notifications::webhooks::{Targets, secret_key};
use crate::state::AppState;

/// How long an endpoint has to answer (well inside a claim's lease).
const TIMEOUT: Duration = Duration::from_secs(10);
/// Seconds to wait before each retry, per the Standard Webhooks specification: 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h; then the delivery is given up.
const RETRY_AFTER: [u64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// How long a delivery waits before it looks again for its message's transcript.
const TRANSCRIPT_POLL: Duration = Duration::from_secs(5);

/// Posts deliveries, sixteen at a time side by side.
pub(super) struct Webhooks;

#[async_trait::async_trait]
impl Worker for Webhooks {
    fn kind(&self) -> JobKind {
        JobKind::Webhook
    }

    fn batch(&self) -> i64 {
        16
    }

    fn side_by_side(&self) -> bool {
        true
    }

    fn retry_after(&self, attempts: i64) -> Option<Duration> {
        usize::try_from(attempts - 1)
            .ok()
            .and_then(|n| RETRY_AFTER.get(n))
            .map(|secs| Duration::from_secs(*secs))
    }

    async fn work(&self, turn: &Turn<'_>, job: &Job) -> Outcome {
        match attempt(turn.state, job).await {
            Ok(outcome) => outcome,
            Err(err) => Outcome::Failed {
                why: err.to_string(),
                tried: Attempt::default(),
            },
        }
    }
}

/// What one try at the endpoint came to.
struct Posted {
    status: Option<u16>,
    error: Option<String>,
}

/// One try.
async fn attempt(state: &AppState, job: &Job) -> AppResult<Outcome> {
    let Work::Webhook(notice) = &job.work else {
        return Ok(Outcome::Dropped("not a webhook delivery".into()));
    };
    let Some(hook) = state.db.webhooks().get(&notice.to).await? else {
        return Ok(Outcome::Dropped("the webhook was removed".into()));
    };
    let told = match tell(state, notice, job.created_at).await? {
        Ok(told) => told,
        Err(Untold::Dropped(why)) => return Ok(Outcome::Dropped(why.to_owned())),
        Err(Untold::NotYet) => return Ok(Outcome::NotYet(TRANSCRIPT_POLL)),
    };
    let body = serde_json::to_string(&match (&told, hook.format) {
        (Told::Message(story), WebhookFormat::Standard) => standard_body(story, job, notice),
        (Told::Message(story), WebhookFormat::Chat) => chat_body(story),
        (Told::Checkin(story), WebhookFormat::Standard) => checkin_body(story, job, notice),
        (Told::Checkin(story), WebhookFormat::Chat) => chat_text(story.chat(), &story.link),
        (Told::Reaction(story), WebhookFormat::Standard) => json!({
            "type": notice.event.as_str(),
            "timestamp": job.created_at,
            "data": story.data(),
        }),
        (Told::Reaction(story), WebhookFormat::Chat) => chat_text(story.summary(), &story.link),
    })
    .map_err(|e| AppError::Internal(e.into()))?;
    let key = secret_key(state, &hook.id).await?;
    let url = hook.url.clone();
    let id = job.id.clone();
    let targets = Targets::of(state);
    let posted = tokio::task::spawn_blocking(move || post(&url, &id, &key, &body, targets))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    let tried = Attempt { status: posted.status };
    Ok(match (posted.status, posted.error) {
        (Some(200..=299), _) => Outcome::Done(tried),
        (_, Some(why)) => Outcome::Failed { why, tried },
        (Some(status), None) => Outcome::Failed {
            why: format!("the endpoint answered {status}"),
            tried,
        },
        (None, None) => Outcome::Failed {
            why: "no answer".into(),
            tried,
        },
    })
}

/// Signs and posts `body` (on a blocking thread).
fn post(url: &str, id: &str, key: &[u8; 32], body: &str, targets: Targets) -> Posted {
    let now = Utc::now().timestamp();
    let agent = ureq::AgentBuilder::new()
        .timeout(TIMEOUT)
        // A redirect could lead anywhere, inward included.
        .redirects(0)
        .resolver(move |netloc: &str| {
            let found = netloc.to_socket_addrs()?.collect();
            targets.check(found).map_err(std::io::Error::other)
        })
        .user_agent(concat!("Offbeat-Webhooks/", env!("CARGO_PKG_VERSION")))
        .build();
    let answer = agent
        .post(url)
        .set("content-type", "application/json")
        .set("webhook-id", id)
        .set("webhook-timestamp", &now.to_string())
        .set("webhook-signature", &signature(key, id, now, body))
        .send_string(body);
    match answer {
        Ok(response) => Posted {
            status: Some(response.status()),
            error: None,
        },
        Err(ureq::Error::Status(status, _)) => Posted {
            status: Some(status),
            error: Some(format!("the endpoint answered {status}")),
        },
        Err(ureq::Error::Transport(transport)) => Posted {
            status: None,
            error: Some(transport.to_string()),
        },
    }
}

/// `v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`, per the Standard Webhooks
/// specification.
pub fn signature(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(key) else {
        // HMAC takes a key of any length.
        return String::new();
    };
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    format!(
        "v1,{}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// `{type, timestamp, data}`, the Standard Webhooks payload.
fn standard_body(story: &Story, job: &Job, notice: &Notice) -> Value {
    let reply = story.reply.as_ref().map(|reply| {
        let (kind, text) = match (&reply.body, &story.recording) {
            (ReplyBody::Text(text), _) => ("text", Some(text.as_str())),
            (_, Some(clip)) if clip.media.has_video => ("video", None),
            (_, Some(_)) => ("voice", None),
            (_, None) => ("deleted", None),
        };
        json!({
            "id": reply.id,
            "kind": kind,
            "parent_id": reply.parent_id,
            "clip_id": reply.clip_id(),
            "text": text,
            "at_ms": reply.anchor_ms,
            "duration_ms": story.recording.as_ref().map(|c| c.duration_ms),
            "summary": story.reply_summary,
        })
    });
    json!({
        "type": notice.event.as_str(),
        "timestamp": job.created_at,
        "data": {
            "summary": story.summary(),
            "url": story.link,
            "actor": {
                "id": (!notice.actor_id.is_empty()).then_some(&notice.actor_id),
                "name": story.actor,
            },
            "message": {
                "id": story.root.id,
                "title": story.title,
                "duration_ms": story.root.duration_ms,
                "has_video": story.root.media.has_video,
                "summary": story.message_summary,
            },
            "reply": reply,
            "said": story.said,
        },
    })
}

/// `{type, timestamp, data}` of a check-in's event.
fn checkin_body(story: &CheckinStory, job: &Job, notice: &Notice) -> Value {
    json!({
        "type": notice.event.as_str(),
        "timestamp": job.created_at,
        "data": story.data(),
    })
}

/// `{"text": …}`, as chat tools' incoming webhooks take it (`&`, `<` and `>` escaped, as Slack
/// asks; the others read the entities as the characters).
fn chat_body(story: &Story) -> Value {
    let mut text = story.summary();
    if let Some(quoted) = story.condensed().or(story.said.as_deref()) {
        text.push_str(&format!("\n> {quoted}"));
    }
    chat_text(text, &story.link)
}

/// `text` with its link, `&`, `<` and `>` escaped as Slack asks.
fn chat_text(text: String, link: &str) -> Value {
    let mut text = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    text.push_str(&format!("\n{link}"));
    json!({ "text": text })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_specifications() {
        // The Standard Webhooks reference implementation checks it.
        let key = [7u8; 32];
        let body = r#"{"type":"reply.created"}"#;
        let now = Utc::now().timestamp();
        let secret = format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(key));
        let mut headers = axum::http::HeaderMap::new();
        headers.insert("webhook-id", "msg_1".parse().unwrap());
        headers.insert("webhook-timestamp", now.to_string().parse().unwrap());
        headers.insert(
            "webhook-signature",
            signature(&key, "msg_1", now, body).parse().unwrap(),
        );
        let reference = standardwebhooks::Webhook::new(&secret).unwrap();
        reference.verify(body.as_bytes(), &headers).unwrap();
        assert!(reference.verify(br#"{"type":"forged"}"#, &headers).is_err());
    }
}
