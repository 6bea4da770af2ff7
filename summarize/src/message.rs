/// One line of a transcript: a segment, where it starts and ends in the clip.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub start_ms: u64,
    pub end_ms: u64,
    pub text: String,
}

/// What is summarised: a message's transcript, and who said it (an action item its author
/// promised — "I will …" — is theirs).
#[derive(Debug, Clone)]
pub struct Message {
    pub lines: Vec<Line>,
    pub duration_ms: u64,
    pub author: String,
}

impl Message {
    /// The transcript as one text.
    pub fn text(&self) -> String {
        join(&self.lines)
    }
}

/// Lines as one text, a space between them.
pub(crate) fn join(lines: &[Line]) -> String {
    lines
        .iter()
        .map(|l| l.text.trim())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
