//! Where clip media lives: a small closed interface over two backends.
//!
//! Everything streams: `put_file` sends a staged file without reading it into memory, and `get`
//! returns a reader. Not-found is normalised to [`StorageError::NotFound`], and an unreachable
//! backend to [`StorageError::Unavailable`] (the API answers 503 and the client retries).

pub mod clip_media;
pub mod keys;
mod local;
mod s3;
mod s3_compose;
mod s3_session;
mod s3_stream;

use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use tokio::io::AsyncRead;

pub use local::LocalStore;
pub use s3::{S3Settings, S3Store};
pub use s3_compose::{Composed, Composition};
pub use s3_session::SessionUpload;
pub use s3_stream::StreamingUpload;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("object not found")]
    NotFound,
    #[error("storage unreachable: {0}")]
    Unavailable(String),
    #[error("storage I/O: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage error: {0}")]
    Other(String),
}

/// A byte range, both ends inclusive, as HTTP Range uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteRange {
    pub first: u64,
    pub last: u64,
}

pub type ObjectReader = Pin<Box<dyn AsyncRead + Send>>;

#[derive(Debug, Clone)]
pub enum Storage {
    Local(LocalStore),
    S3(S3Store),
}

impl Storage {
    /// Stores the staged file at `path` under `key`, atomically: the object is either absent or
    /// complete.
    pub async fn put_file(&self, key: &str, path: &Path, size: u64, content_type: &str) -> Result<(), StorageError> {
        check_key(key)?;
        match self {
            Storage::Local(store) => store.put_file(key, path).await,
            Storage::S3(store) => store.put_file(key, path, size, content_type).await,
        }
    }

    /// Stores a small object held in memory (a clip's head, never its media) under `key`,
    /// atomically.
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>, content_type: &str) -> Result<(), StorageError> {
        check_key(key)?;
        match self {
            Storage::Local(store) => store.put_bytes(key, bytes).await,
            Storage::S3(store) => store.put_bytes(key, bytes, content_type).await,
        }
    }

    /// For a large upload headed for S3: a multipart upload that takes parts while the body
    /// is still being staged at `staged`. `None` where that does not apply (local disk, small
    /// bodies, unknown length).
    pub async fn begin_streaming(
        &self,
        key: &str,
        content_type: &str,
        staged: std::path::PathBuf,
        declared: Option<u64>,
    ) -> Result<Option<StreamingUpload>, StorageError> {
        check_key(key)?;
        match (self, declared) {
            (Storage::S3(store), Some(declared)) => store.begin_streaming(key, content_type, staged, declared).await,
            _ => Ok(None),
        }
    }

    /// Reads the object, or the given part of it.
    pub async fn get(&self, key: &str, range: Option<ByteRange>) -> Result<ObjectReader, StorageError> {
        check_key(key)?;
        match self {
            Storage::Local(store) => store.get(key, range).await,
            Storage::S3(store) => store.get(key, range).await,
        }
    }

    /// Deletes the object; deleting what is not there succeeds.
    pub async fn delete(&self, key: &str) -> Result<(), StorageError> {
        check_key(key)?;
        match self {
            Storage::Local(store) => store.delete(key).await,
            Storage::S3(store) => store.delete(key).await,
        }
    }

    /// Writes `from`, a head and a body, as one object at `key`, where the backend can without
    /// this server moving the body (S3, by copying parts); `None` where it cannot.
    pub async fn compose(
        &self,
        key: &str,
        from: &Composition,
        content_type: &str,
    ) -> Result<Option<Composed>, StorageError> {
        check_key(key)?;
        match self {
            Storage::Local(_) => Ok(None),
            Storage::S3(store) => store.compose(key, from, content_type).await.map(Some),
        }
    }

    /// A URL a browser can fetch the object from directly for `ttl`, where the backend has one.
    pub async fn presigned_get(
        &self,
        key: &str,
        ttl: Duration,
        content_type: &str,
    ) -> Result<Option<String>, StorageError> {
        check_key(key)?;
        match self {
            Storage::Local(_) => Ok(None),
            Storage::S3(store) => store.presigned_get(key, ttl, content_type).await.map(Some),
        }
    }

    /// Whether the backend answers.
    pub async fn check_ready(&self) -> Result<(), StorageError> {
        match self {
            Storage::Local(store) => store.check_ready().await,
            Storage::S3(store) => store.check_ready().await,
        }
    }
}

/// Keys are made by the server (`clips/<hex id>.<ext>`); anything else is a bug, and refusing it
/// here keeps a bad key from ever becoming a path outside the store.
fn check_key(key: &str) -> Result<(), StorageError> {
    let ok = !key.is_empty()
        && !key.starts_with('/')
        && !key.contains("..")
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(StorageError::Other(format!("invalid storage key {key:?}")))
    }
}
