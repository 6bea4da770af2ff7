//! What the two delivery queues share. Mail notifications and webhook deliveries are the same
//! kind of row: one thing that happened, for one target (a member to tell, a webhook to call),
//! due at a time, leased to one worker at a time, retried, given up with the reason kept.

use chrono::{DateTime, Utc};

use crate::domain::NotificationEvent;

/// One row to queue.
#[derive(Debug)]
pub struct Queued<'a> {
    /// Also the mail's `Message-ID`, or the delivery's `webhook-id`: a retry is recognisably
    /// the same.
    pub id: String,
    /// The member to tell, or the webhook to call.
    pub target: &'a str,
    pub event: NotificationEvent,
    /// The message, or the root of the thread the reply is in.
    pub clip_id: &'a str,
    /// The reply (`""` for a new message).
    pub reply_id: &'a str,
    pub actor_id: &'a str,
    pub due_at: DateTime<Utc>,
}
