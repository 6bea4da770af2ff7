//! What can go wrong in the database, as the server sees it: the engine failed (a lost
//! connection, a constraint, a row that does not decode). Outcomes that callers act on — a twin
//! reply, a clip gone while transcribing, the last admin — are values of the interfaces, not
//! errors.

/// A database failure; its source says what the engine reported.
#[derive(Debug, thiserror::Error)]
#[error("database: {0}")]
pub struct Error(#[from] sqlx::Error);

impl Error {
    /// A failure made here rather than reported by the engine (say, no randomness for an id).
    pub(crate) fn other(what: impl std::fmt::Display) -> Self {
        Self(sqlx::Error::Protocol(what.to_string()))
    }
}

/// What every interface returns.
pub type Result<T, E = Error> = std::result::Result<T, E>;
