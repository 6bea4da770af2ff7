use serde::{Deserialize, Serialize};

/// A message, condensed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// One to three sentences; empty when the message is too short to condense.
    pub summary: String,
    /// A short title, when the model gave one the message's words bear out.
    pub title: Option<String>,
    /// Where its topics begin (messages of two minutes or more), in order.
    pub chapters: Vec<Chapter>,
    /// What someone was asked to do or promised.
    pub action_items: Vec<ActionItem>,
}

/// A topic of a message, from the start of a transcript segment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chapter {
    pub start_ms: u64,
    pub title: String,
}

/// A task asked for or promised, and whose it is when the message says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionItem {
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
}
