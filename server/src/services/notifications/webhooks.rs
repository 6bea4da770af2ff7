//! Webhooks: a workspace's tools told what happens, as it happens.
//!
//! Admins add an endpoint with the events it wants and its format: `standard` (a JSON event
//! signed per the Standard Webhooks specification) or `chat` (`{"text": …}` for Slack,
//! Mattermost and Rocket.Chat). Each event becomes one delivery row per webhook, which the job
//! workers send under a lease, retry on Standard Webhooks' schedule and give up with the reason
//! kept; deliveries are sent side by side, so a dead endpoint holds up no other. Endpoints on
//! private and loopback addresses are refused — when added, and again on every connection, so
//! a name that later resolves inward is refused too — unless the server allows them.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::story::{Story, describe};
use super::{Outcome, lease_until, sign};
use crate::auth::Viewer;
use crate::auth::policy::TeamAction;
use crate::db::notifications::EventRow;
use crate::db::queue::Queued;
use crate::db::webhooks::{Added, Attempt, DeliveryRow, Events, WebhookRow};
use crate::domain::{DeliveryState, NotificationEvent, ReplyBody, WebhookFormat, timestamp};
use crate::error::{AppError, AppResult, Missing};
use crate::services::team::require;
use crate::state::{AppState, SigningKey};

/// Webhooks a workspace may have.
const MAX_PER_WORKSPACE: i64 = 10;
const MAX_URL_BYTES: usize = 2048;
/// Deliveries `GET /api/v1/webhooks` shows per webhook.
const RECENT: i64 = 20;
/// How long an endpoint has to answer (well inside a claim's lease).
const TIMEOUT: Duration = Duration::from_secs(10);
/// How long resolving an endpoint's name may take when it is added.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);
/// Seconds to wait before each retry, per the Standard Webhooks specification: 5 s, 5 min,
/// 30 min, 2 h, 5 h, 10 h, 10 h; then the delivery is given up.
const RETRY_AFTER: [i64; 7] = [5, 300, 1_800, 7_200, 18_000, 36_000, 36_000];
/// Deliveries a worker sends at once.
const BATCH: i64 = 16;

/// Which addresses a webhook may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// Only the public internet (the default).
    PublicOnly,
    /// Anything, loopback and private networks included (`--webhook-allow-private`).
    AnyAddress,
}

impl Targets {
    fn of(state: &AppState) -> Self {
        if state.config.webhook_allow_private {
            Self::AnyAddress
        } else {
            Self::PublicOnly
        }
    }

    /// `addresses`, unless one of them is out of bounds.
    fn check(self, addresses: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, String> {
        match addresses
            .iter()
            .find(|a| self == Self::PublicOnly && !is_public(a.ip()))
        {
            Some(inward) => Err(format!(
                "{} is a private, loopback or reserved address (the server refuses those unless started \
                 with --webhook-allow-private)",
                inward.ip()
            )),
            None if addresses.is_empty() => Err("the name resolves to no address".to_owned()),
            None => Ok(addresses),
        }
    }
}

/// Whether `ip` is on the public internet: not loopback, private, link-local, shared (CGNAT),
/// multicast, documentation or otherwise reserved.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b))
                || (a == 192 && b == 0 && c == 0)
                || (a == 198 && (b == 18 || b == 19))
                || a >= 240)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s = v6.segments();
            // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
            if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
                let [.., hi, lo] = s;
                return is_public(IpAddr::V4(std::net::Ipv4Addr::from(
                    (u32::from(hi) << 16) | u32::from(lo),
                )));
            }
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] == 0x2001 && s[1] == 0x0db8))
        }
    }
}

/// `POST /api/v1/webhooks`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    pub url: String,
    /// `message.created`, `reply.created`.
    pub events: Vec<String>,
    #[serde(default = "standard")]
    pub format: WebhookFormat,
}

fn standard() -> WebhookFormat {
    WebhookFormat::Standard
}

/// A webhook just added: the only time its secret is shown.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CreatedWebhook {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// `whsec_…`: what the endpoint checks `webhook-signature` with.
    pub secret: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub url: String,
    pub events: Vec<&'static str>,
    pub format: WebhookFormat,
    pub created_at: String,
    /// The newest deliveries, newest first.
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// Its `webhook-id`.
    pub id: String,
    pub event: &'static str,
    /// When it was last tried, or queued if not yet.
    pub time: String,
    pub state: DeliveryState,
    /// The endpoint's last HTTP status, if it answered.
    pub status: Option<i64>,
    pub attempts: i64,
    /// Why the last attempt failed, or why it was given up or dropped.
    pub error: Option<String>,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<String>,
    pub delivered_at: Option<String>,
}

impl WebhookView {
    fn new(row: WebhookRow, deliveries: Vec<DeliveryView>) -> Self {
        Self {
            events: row.events.0.iter().map(|e| e.as_str()).collect(),
            id: row.id,
            url: row.url,
            format: row.format,
            created_at: row.created_at,
            deliveries,
        }
    }
}

impl From<DeliveryRow> for DeliveryView {
    fn from(row: DeliveryRow) -> Self {
        Self {
            event: row.event.as_str(),
            time: row.last_attempt_at.unwrap_or(row.created_at),
            next_attempt_at: (row.state == DeliveryState::Pending).then_some(row.due_at),
            id: row.id,
            state: row.state,
            status: row.last_status,
            attempts: row.attempts,
            error: row.last_error,
            delivered_at: row.sent_at,
        }
    }
}

/// Adds a webhook to the admin's workspace.
pub async fn create(state: &AppState, viewer: &Viewer, new: NewWebhook) -> AppResult<CreatedWebhook> {
    let admin = require(viewer, TeamAction::ManageWebhooks)?;
    let mut events = Vec::new();
    for name in &new.events {
        let event: NotificationEvent = name.parse().map_err(|_| {
            AppError::BadRequest(format!(
                "{name:?} is not an event; choose from message.created, reply.created"
            ))
        })?;
        if !events.contains(&event) {
            events.push(event);
        }
    }
    if events.is_empty() {
        return Err(AppError::BadRequest("choose at least one event".into()));
    }
    let url = checked_url(&new.url)?;
    resolve(&url, Targets::of(state)).await.map_err(AppError::BadRequest)?;
    let row = WebhookRow {
        id: crate::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
        workspace_id: admin.workspace_id.clone(),
        url: url.to_string(),
        events: Events(events),
        format: new.format,
        created_by: admin.id.clone(),
        created_at: timestamp(Utc::now()),
    };
    match state.db.webhooks().add(&row, MAX_PER_WORKSPACE).await? {
        Added::Done => {}
        Added::TooMany => {
            return Err(AppError::Conflict(format!(
                "a workspace has at most {MAX_PER_WORKSPACE} webhooks; remove one first"
            )));
        }
    }
    let secret = secret(state, &row.id).await?;
    Ok(CreatedWebhook {
        webhook: WebhookView::new(row, Vec::new()),
        secret,
    })
}

/// The admin's workspace's webhooks, each with its recent deliveries.
pub async fn list(state: &AppState, viewer: &Viewer) -> AppResult<Vec<WebhookView>> {
    let admin = require(viewer, TeamAction::ManageWebhooks)?;
    let hooks = state.db.webhooks().of_workspace(&admin.workspace_id).await?;
    let ids: Vec<&str> = hooks.iter().map(|h| h.id.as_str()).collect();
    let mut recent = state.db.webhooks().recent(&ids, RECENT).await?;
    Ok(hooks
        .into_iter()
        .map(|hook| {
            let (mine, others) = recent.drain(..).partition(|d: &DeliveryRow| d.webhook_id == hook.id);
            recent = others;
            WebhookView::new(hook, mine.into_iter().map(DeliveryView::from).collect())
        })
        .collect())
}

/// Removes one of the admin's workspace's webhooks, with its deliveries.
pub async fn remove(state: &AppState, viewer: &Viewer, id: &str) -> AppResult<()> {
    let admin = require(viewer, TeamAction::ManageWebhooks)?;
    if state.db.webhooks().remove(&admin.workspace_id, id).await? {
        Ok(())
    } else {
        Err(AppError::NotFound(Missing::Webhook))
    }
}

/// An endpoint's URL, if it is one: http or https, with a host, within bounds.
fn checked_url(text: &str) -> AppResult<url::Url> {
    if text.len() > MAX_URL_BYTES {
        return Err(AppError::BadRequest(format!(
            "the URL is longer than {MAX_URL_BYTES} bytes"
        )));
    }
    let url = url::Url::parse(text.trim()).map_err(|e| AppError::BadRequest(format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(AppError::BadRequest(
            "the URL must be http:// or https:// with a host".into(),
        ));
    }
    Ok(url)
}

/// Where `url` leads, if the server may go there.
async fn resolve(url: &url::Url, targets: Targets) -> Result<Vec<SocketAddr>, String> {
    let (Some(host), Some(port)) = (url.host_str(), url.port_or_known_default()) else {
        return Err("the URL has no host".to_owned());
    };
    let lookup = tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port));
    let addresses = match tokio::time::timeout(RESOLVE_TIMEOUT, lookup).await {
        Ok(Ok(found)) => found.collect(),
        Ok(Err(err)) => return Err(format!("cannot resolve {host}: {err}")),
        Err(_) => return Err(format!("resolving {host} took too long")),
    };
    targets.check(addresses)
}

/// A webhook's signing secret, `whsec_<base64>`: derived from the server's webhooks key and the
/// webhook's id, so the database keeps no secret of its own for it.
async fn secret(state: &AppState, webhook_id: &str) -> AppResult<String> {
    let key = secret_key(state, webhook_id).await?;
    Ok(format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    ))
}

async fn secret_key(state: &AppState, webhook_id: &str) -> AppResult<[u8; 32]> {
    sign(state, SigningKey::Webhooks, format!("webhook:{webhook_id}").as_bytes()).await
}

/// Queues `event` for each of `workspace_id`'s webhooks that wants it, due at `due`; how many.
pub(super) async fn queue(
    state: &AppState,
    workspace_id: &str,
    event: &EventRow,
    due: DateTime<Utc>,
) -> AppResult<usize> {
    let hooks = state.db.webhooks().of_workspace(workspace_id).await?;
    let mut queued = Vec::new();
    for hook in hooks.iter().filter(|h| h.events.0.contains(&event.kind)) {
        queued.push(Queued {
            id: format!(
                "msg_{}",
                crate::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?
            ),
            target: &hook.id,
            event: event.kind,
            clip_id: &event.clip_id,
            reply_id: &event.reply_id,
            actor_id: &event.actor_id,
            due_at: due,
        });
    }
    if !queued.is_empty() {
        state.db.webhooks().enqueue(&queued).await?;
    }
    Ok(queued.len())
}

/// Sends what is due now, side by side; how many it tried.
pub(super) async fn deliver_due(state: &AppState, holder: &str) -> usize {
    let now = Utc::now();
    match state
        .db
        .webhooks()
        .claim(holder, now, lease_until(state, now), BATCH)
        .await
    {
        Ok(due) => {
            let count = due.len();
            futures_util::future::join_all(due.into_iter().map(|d| deliver(state, holder, d))).await;
            count
        }
        Err(err) => {
            tracing::warn!("cannot read the webhook deliveries: {err}");
            0
        }
    }
}

/// What one attempt at the endpoint came to.
struct Posted {
    status: Option<u16>,
    error: Option<String>,
}

async fn deliver(state: &AppState, holder: &str, delivery: DeliveryRow) {
    let outcome = match attempt(state, &delivery).await {
        Ok(outcome) => outcome,
        Err(err) => Err((
            Outcome::Failed(err.to_string()),
            Posted {
                status: None,
                error: None,
            },
        )),
    };
    let store = state.db.webhooks();
    let id = delivery.id.as_str();
    let recorded = match outcome {
        Ok(posted) => {
            store
                .sent(
                    id,
                    holder,
                    Attempt {
                        status: posted.status,
                        error: None,
                    },
                )
                .await
        }
        Err((Outcome::NotYet, _)) => {
            store
                .later(id, holder, Utc::now() + chrono::Duration::seconds(5), None)
                .await
        }
        Err((Outcome::Dropped(why), _)) => store.finish(id, holder, DeliveryState::Dropped, why, None).await,
        Err((Outcome::Sent, _)) => Ok(()),
        Err((Outcome::Failed(why), posted)) => {
            let made = Attempt {
                status: posted.status,
                error: Some(&why),
            };
            match usize::try_from(delivery.attempts).ok().and_then(|n| RETRY_AFTER.get(n)) {
                Some(wait) => {
                    tracing::info!(delivery = id, "a webhook delivery failed; retrying in {wait} s: {why}");
                    store
                        .later(id, holder, Utc::now() + chrono::Duration::seconds(*wait), Some(made))
                        .await
                }
                None => {
                    tracing::warn!(delivery = id, "giving up a webhook delivery: {why}");
                    store.finish(id, holder, DeliveryState::Failed, &why, Some(made)).await
                }
            }
        }
    };
    if let Err(err) = recorded {
        tracing::warn!(delivery = id, "cannot record a webhook delivery: {err}");
    }
}

/// One try: `Ok` when the endpoint took it, else what became of it (and the attempt, if the
/// endpoint was tried at all).
async fn attempt(state: &AppState, delivery: &DeliveryRow) -> AppResult<Result<Posted, (Outcome, Posted)>> {
    let untried = Posted {
        status: None,
        error: None,
    };
    let Some(hook) = state.db.webhooks().get(&delivery.webhook_id).await? else {
        return Ok(Err((Outcome::Dropped("the webhook was removed"), untried)));
    };
    let story = match describe(
        state,
        delivery.event,
        &delivery.clip_id,
        &delivery.reply_id,
        &delivery.actor_id,
        &delivery.created_at,
    )
    .await?
    {
        Ok(story) => story,
        Err(outcome) => return Ok(Err((outcome, untried))),
    };
    let body = serde_json::to_string(&match hook.format {
        WebhookFormat::Standard => standard_body(&story, delivery),
        WebhookFormat::Chat => chat_body(&story),
    })
    .map_err(|e| AppError::Internal(e.into()))?;
    let key = secret_key(state, &hook.id).await?;
    let url = hook.url.clone();
    let id = delivery.id.clone();
    let targets = Targets::of(state);
    let posted = tokio::task::spawn_blocking(move || post(&url, &id, &key, &body, targets))
        .await
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(match (posted.status, &posted.error) {
        (Some(200..=299), _) => Ok(posted),
        (_, Some(why)) => Err((Outcome::Failed(why.clone()), posted)),
        (Some(status), None) => Err((Outcome::Failed(format!("the endpoint answered {status}")), posted)),
        (None, None) => Err((Outcome::Failed("no answer".into()), posted)),
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
fn standard_body(story: &Story, delivery: &DeliveryRow) -> Value {
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
        })
    });
    json!({
        "type": delivery.event.as_str(),
        "timestamp": delivery.created_at,
        "data": {
            "summary": story.summary(),
            "url": story.link,
            "actor": {
                "id": (!delivery.actor_id.is_empty()).then_some(&delivery.actor_id),
                "name": story.actor,
            },
            "message": {
                "id": story.root.id,
                "title": story.title,
                "duration_ms": story.root.duration_ms,
                "has_video": story.root.media.has_video,
            },
            "reply": reply,
            "said": story.said,
        },
    })
}

/// `{"text": …}`, as chat tools' incoming webhooks take it (`&`, `<` and `>` escaped, as Slack
/// asks; the others read the entities as the characters).
fn chat_body(story: &Story) -> Value {
    let mut text = story.summary();
    if let Some(said) = &story.said {
        text.push_str(&format!("\n> {said}"));
    }
    text = text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;");
    text.push_str(&format!("\n{}", story.link));
    json!({ "text": text })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_the_public_internet_is_public() {
        for inward in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "192.0.2.1",
            "::1",
            "::",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a00:1",
            "2001:db8::1",
        ] {
            assert!(!is_public(inward.parse().unwrap()), "{inward} counted as public");
        }
        for outward in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(outward.parse().unwrap()), "{outward} counted as private");
        }
    }

    #[test]
    fn inward_addresses_are_refused_unless_allowed() {
        let loopback: Vec<SocketAddr> = vec!["127.0.0.1:80".parse().unwrap()];
        let mixed: Vec<SocketAddr> = vec!["1.1.1.1:443".parse().unwrap(), "10.0.0.1:443".parse().unwrap()];
        assert!(
            Targets::PublicOnly
                .check(loopback.clone())
                .unwrap_err()
                .contains("127.0.0.1")
        );
        // One inward address among public ones is enough to refuse: the client might pick it.
        assert!(Targets::PublicOnly.check(mixed.clone()).is_err());
        assert_eq!(Targets::AnyAddress.check(loopback.clone()).unwrap(), loopback);
        assert_eq!(Targets::AnyAddress.check(mixed.clone()).unwrap(), mixed);
        assert!(Targets::AnyAddress.check(Vec::new()).is_err());
    }

    #[test]
    fn urls_are_http_with_a_host() {
        assert!(checked_url("https://hooks.example.com/x?y=1").is_ok());
        for bad in [
            "ftp://example.com/",
            "file:///etc/passwd",
            "not a url",
            "https://",
            "mailto:a@b",
        ] {
            assert!(checked_url(bad).is_err(), "{bad} accepted");
        }
        assert!(checked_url(&format!("https://example.com/{}", "a".repeat(MAX_URL_BYTES))).is_err());
    }

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
