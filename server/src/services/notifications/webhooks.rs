//! Webhooks: a workspace's tools told what happens, as it happens.
//!
//! Admins add an endpoint with the events it wants and its format: `standard` (a JSON event
//! signed per the Standard Webhooks specification) or `chat` (`{"text": …}` for Slack,
//! Mattermost and Rocket.Chat). Each event becomes one delivery per webhook, a job of the one
//! queue that the webhook lane (`workers::webhooks`) posts, retries and gives up. Endpoints on
//! private and loopback addresses are refused — when added, and again on every connection, so
//! a name that later resolves inward is refused too — unless the server allows them.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use db::Timestamp;
use db::domain::{DeliveryState, JobKind, JobState, NotificationEvent, WebhookFormat};
use db::notifications::EventRow;
use db::queue::{Job, NewJob, Notice, Work};
use db::webhooks::{Added, Events, WebhookRow};
use serde::{Deserialize, Serialize};

use super::sign;
use crate::auth::Viewer;
use crate::auth::policy::TeamAction;
use crate::error::{AppError, AppResult, Missing};
use crate::services::team::require;
use crate::state::{AppState, SigningKey};

/// What a webhook may be told of.
pub const SUBSCRIBABLE: [NotificationEvent; 6] = [
    NotificationEvent::MessageCreated,
    NotificationEvent::ReplyCreated,
    NotificationEvent::CheckinAsked,
    NotificationEvent::CheckinAnswered,
    NotificationEvent::CheckinCompleted,
    NotificationEvent::ReactionCreated,
];

/// Webhooks a workspace may have.
const MAX_PER_WORKSPACE: i64 = 10;
const MAX_URL_BYTES: usize = 2048;
/// Deliveries `GET /api/v1/webhooks` shows per webhook.
const RECENT: i64 = 20;
/// How long resolving an endpoint's name may take when it is added.
const RESOLVE_TIMEOUT: Duration = Duration::from_secs(5);

/// Which addresses a webhook may reach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Targets {
    /// Only the public internet (the default).
    PublicOnly,
    /// Anything, loopback and private networks included (`--webhook-allow-private`).
    AnyAddress,
}

impl Targets {
    pub(crate) fn of(state: &AppState) -> Self {
        if state.config.webhook_allow_private {
            Self::AnyAddress
        } else {
            Self::PublicOnly
        }
    }

    /// `addresses`, unless one of them is out of bounds.
    pub(crate) fn check(self, addresses: Vec<SocketAddr>) -> Result<Vec<SocketAddr>, String> {
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
            let s = v6.segments();
            let v4 = |hi: u16, lo: u16| IpAddr::V4(std::net::Ipv4Addr::from((u32::from(hi) << 16) | u32::from(lo)));
            if v6.is_loopback() || v6.is_unspecified() {
                return false;
            }
            // Forms that reach an IPv4 address are as public as it: mapped (::ffff:0:0/96),
            // translated (::ffff:0:0:0/96), compatible (::/96), NAT64 (64:ff9b::/96) and
            // 6to4 (2002::/16, the address in the second and third groups).
            match s {
                [0, 0, 0, 0, 0, 0xffff, hi, lo]
                | [0, 0, 0, 0, 0xffff, 0, hi, lo]
                | [0, 0, 0, 0, 0, 0, hi, lo]
                | [0x64, 0xff9b, 0, 0, 0, 0, hi, lo]
                | [0x2002, hi, lo, ..] => return is_public(v4(hi, lo)),
                _ => {}
            }
            !(v6.is_multicast()
                || (s[0] & 0xfe00) == 0xfc00
                // Link-local (fe80::/10) and the old site-local (fec0::/10).
                || (s[0] & 0xffc0) == 0xfe80
                || (s[0] & 0xffc0) == 0xfec0
                // Documentation (2001:db8::/32), Teredo (2001::/32: an IPv4 relay, obfuscated),
                // local-use NAT64 (64:ff9b:1::/48): none is a public endpoint's own address.
                || (s[0] == 0x2001 && (s[1] == 0x0db8 || s[1] == 0))
                || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1))
        }
    }
}

/// `POST /api/v1/webhooks`'s body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    #[schema(min_length = 1, max_length = 2048)]
    pub url: String,
    /// `message.created`, `reply.created`, `checkin.asked`, `checkin.answered`,
    /// `checkin.completed`, `reaction.created`.
    #[schema(schema_with = events_schema)]
    pub events: Vec<String>,
    #[serde(default = "standard")]
    pub format: WebhookFormat,
}

/// In the API's description: the events a webhook may hear, at least one.
fn events_schema() -> utoipa::openapi::schema::Array {
    utoipa::openapi::schema::ArrayBuilder::new()
        .items(
            utoipa::openapi::schema::ObjectBuilder::new()
                .schema_type(utoipa::openapi::schema::Type::String)
                .enum_values(Some(SUBSCRIBABLE.map(|event| event.as_str()))),
        )
        .min_items(Some(1))
        .build()
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
    pub created_at: Timestamp,
    /// The newest deliveries, newest first.
    pub deliveries: Vec<DeliveryView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryView {
    /// Its `webhook-id`.
    pub id: String,
    pub event: &'static str,
    /// When it was last tried, or queued if not yet.
    pub time: Timestamp,
    pub state: DeliveryState,
    /// The endpoint's last HTTP status, if it answered.
    pub status: Option<i64>,
    pub attempts: i64,
    /// Why the last attempt failed, or why it was given up or dropped.
    pub error: Option<String>,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
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

impl DeliveryView {
    /// A delivery as its webhook's list shows it (`None` for a job that is none).
    fn of(job: Job) -> Option<Self> {
        let Work::Webhook(notice) = &job.work else {
            return None;
        };
        let state = match job.state {
            JobState::Pending | JobState::Running => DeliveryState::Pending,
            JobState::Done => DeliveryState::Sent,
            JobState::Dropped => DeliveryState::Dropped,
            JobState::Failed => DeliveryState::Failed,
        };
        Some(Self {
            event: notice.event.as_str(),
            time: job.last_attempt_at.unwrap_or(job.created_at),
            next_attempt_at: (state == DeliveryState::Pending).then_some(job.run_after),
            id: job.id,
            state,
            status: job.last_status,
            attempts: job.attempts,
            error: job.last_error,
            delivered_at: job.finished_at.filter(|_| state == DeliveryState::Sent),
        })
    }

    /// The webhook it is for.
    fn webhook_id(job: &Job) -> Option<&str> {
        job.notice().map(|n| n.to.as_str())
    }
}

/// Adds a webhook to the admin's workspace.
pub async fn create(state: &AppState, viewer: &Viewer, new: NewWebhook) -> AppResult<CreatedWebhook> {
    let admin = require(viewer, TeamAction::ManageWebhooks)?;
    let mut events = Vec::new();
    for name in &new.events {
        let event: NotificationEvent = name.parse().ok().filter(|e| SUBSCRIBABLE.contains(e)).ok_or_else(|| {
            AppError::BadRequest(format!(
                "{name:?} is not an event; choose from {}",
                SUBSCRIBABLE.map(|e| e.as_str()).join(", ")
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
        id: db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?,
        workspace_id: admin.workspace_id.clone(),
        url: url.to_string(),
        events: Events(events),
        format: new.format,
        created_by: admin.id.clone(),
        created_at: Timestamp::now(),
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
    let mut recent = state.db.jobs().addressed_to(JobKind::Webhook, &ids, RECENT).await?;
    Ok(hooks
        .into_iter()
        .map(|hook| {
            let (mine, others) = recent
                .drain(..)
                .partition(|job: &Job| DeliveryView::webhook_id(job) == Some(hook.id.as_str()));
            recent = others;
            WebhookView::new(hook, mine.into_iter().filter_map(DeliveryView::of).collect())
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

pub(crate) async fn secret_key(state: &AppState, webhook_id: &str) -> AppResult<[u8; 32]> {
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
        queued.push(NewJob {
            // Its `webhook-id`, the same however often it is retried.
            id: format!(
                "msg_{}",
                db::ids::new_id().map_err(|e| AppError::Internal(anyhow::anyhow!("no randomness: {e}")))?
            ),
            work: Work::Webhook(Notice {
                to: hook.id.clone(),
                event: event.kind,
                clip_id: event.clip_id.clone(),
                reply_id: event.reply_id.clone(),
                actor_id: event.actor_id.clone(),
                subject: event.subject.clone(),
            }),
            run_after: due,
        });
    }
    if !queued.is_empty() {
        state.db.jobs().enqueue(&queued).await?;
        state.wakes.job(JobKind::Webhook).notify_one();
    }
    Ok(queued.len())
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
            // IPv6 forms that reach an inward IPv4 address, or are no endpoint's own.
            "::127.0.0.1",
            "::a00:1",
            "::ffff:0:127.0.0.1",
            "::ffff:0:a00:1",
            "2002:7f00:1::",
            "2002:a00:1::1",
            "2002:c0a8:101::",
            "64:ff9b:1::a00:1",
            "64:ff9b:1::808:808",
            "fec0::1",
            "2001:0:4136:e378:8000:63bf:3fff:fdd2",
        ] {
            assert!(!is_public(inward.parse().unwrap()), "{inward} counted as public");
        }
        for outward in [
            "1.1.1.1",
            "93.184.216.34",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
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
}
