//! A multipart upload that runs while the body is still arriving.
//!
//! Ingest stages every upload in a file (it must be parsed before it may become a clip). For
//! large bodies headed for S3, waiting for the whole body, then sending it, doubles the time;
//! instead each part is sent as soon as the staged file holds it. Only the **last** waits for
//! the end, because only the end of the body says where it stops. The object is the upload as
//! it arrived (a video WebM's new head is an object of its own: see `db::clips::MediaLayout`).
//!
//! Nothing is visible before [`StreamingUpload::complete`]: S3 shows a multipart object only
//! once completed, and an upload that is dropped unfinished is aborted.

use std::path::PathBuf;

use aws_sdk_s3::primitives::{ByteStream, Length};
use aws_sdk_s3::types::CompletedPart;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::StorageError;
use super::s3::{AbortOnDrop, PARALLEL_PARTS, S3Store, classify};

#[derive(Debug)]
pub struct StreamingUpload {
    store: S3Store,
    key: String,
    upload_id: String,
    guard: AbortOnDrop,
    staged: PathBuf,
    /// Bytes the client said it would send.
    declared: u64,
    /// Parts already started; the next one to start.
    next_part: i32,
    parts: JoinSet<Result<CompletedPart, StorageError>>,
    in_flight: std::sync::Arc<Semaphore>,
}

impl StreamingUpload {
    pub(super) async fn begin(
        store: &S3Store,
        key: &str,
        content_type: &str,
        staged: PathBuf,
        declared: u64,
    ) -> Result<Self, StorageError> {
        let (upload_id, guard) = store.create_multipart(key, content_type).await?;
        Ok(Self {
            guard,
            store: store.clone(),
            key: key.to_owned(),
            upload_id,
            staged,
            declared,
            next_part: 1,
            parts: JoinSet::new(),
            in_flight: std::sync::Arc::new(Semaphore::new(PARALLEL_PARTS)),
        })
    }

    pub fn key(&self) -> &str {
        &self.key
    }

    fn part_size(&self) -> u64 {
        self.store.part_size
    }

    /// Whether `staged_len` bytes complete a part that can be sent now.
    pub fn wants(&self, staged_len: u64) -> bool {
        let end = self.part_range(self.next_part).1;
        end <= staged_len && end < self.declared
    }

    fn part_range(&self, number: i32) -> (u64, u64) {
        let start = (number as u64 - 1) * self.part_size();
        (start, start + self.part_size())
    }

    /// Where the parts started so far end in the upload.
    pub fn sent_to(&self) -> u64 {
        self.part_range(self.next_part).0
    }

    /// The staged file now holds `staged_len` bytes (written and flushed): start every part it
    /// completes. The part holding the body's last byte waits for [`Self::complete`].
    pub fn staged(&mut self, staged_len: u64) {
        while self.wants(staged_len) {
            let (start, end) = self.part_range(self.next_part);
            let number = self.next_part;
            self.next_part += 1;
            let (store, key, upload_id) = (self.store.clone(), self.key.clone(), self.upload_id.clone());
            let (path, permits) = (self.staged.clone(), self.in_flight.clone());
            self.parts.spawn(async move {
                let _permit = permits
                    .acquire_owned()
                    .await
                    .map_err(|e| StorageError::Other(e.to_string()))?;
                let body = file_range(&path, start, end - start).await?;
                upload_part(&store, &key, &upload_id, number, body, end - start).await
            });
        }
    }

    /// Sends the last part (from the parts already sent up to `end`, the body's length), waits
    /// for every part, and completes the object.
    pub async fn complete(mut self, end: u64) -> Result<(), StorageError> {
        let from = self.sent_to();
        if end < from {
            return Err(StorageError::Other("the body ends inside a part already sent".into()));
        }
        if end > from {
            let number = self.next_part;
            let (store, key, id) = (self.store.clone(), self.key.clone(), self.upload_id.clone());
            let path = self.staged.clone();
            self.parts.spawn(async move {
                let body = file_range(&path, from, end - from).await?;
                upload_part(&store, &key, &id, number, body, end - from).await
            });
        }
        let mut parts = Vec::new();
        while let Some(done) = self.parts.join_next().await {
            parts.push(done.map_err(|e| StorageError::Other(e.to_string()))??);
        }
        parts.sort_by_key(|p| p.part_number());
        self.store.complete_multipart(&self.key, &self.upload_id, parts).await?;
        self.guard.disarm();
        Ok(())
    }
}

/// Bytes read from a file per step of a request body: each read is a hand-off to a blocking
/// thread, which at the SDK's default (64 KiB) cost more CPU than the copy itself.
const FILE_READ_BYTES: usize = 1 << 20;

pub(super) async fn file_range(path: &std::path::Path, offset: u64, len: u64) -> Result<ByteStream, StorageError> {
    ByteStream::read_from()
        .path(path)
        .buffer_size(FILE_READ_BYTES)
        .offset(offset)
        .length(Length::Exact(len))
        .build()
        .await
        .map_err(|e| StorageError::Other(e.to_string()))
}

pub(super) async fn upload_part(
    store: &S3Store,
    key: &str,
    upload_id: &str,
    number: i32,
    body: ByteStream,
    len: u64,
) -> Result<CompletedPart, StorageError> {
    let part = store
        .client
        .upload_part()
        .bucket(&store.bucket)
        .key(key)
        .upload_id(upload_id)
        .part_number(number)
        .content_length(len as i64)
        .body(body)
        .send()
        .await
        .map_err(classify)?;
    Ok(CompletedPart::builder()
        .part_number(number)
        .set_e_tag(part.e_tag().map(str::to_owned))
        .build())
}
