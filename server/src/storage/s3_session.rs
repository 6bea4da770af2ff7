//! Multipart uploads that outlive a request and a process: an upload session's whole parts go
//! to S3 while the take is still being recorded, and the session remembers them (see
//! `crate::session_parts`), so finishing a long take sends only its last part and completes.
//! Unlike [`super::StreamingUpload`], nothing here aborts on drop: a session that goes away is
//! aborted explicitly, when it is terminated or abandoned.

use std::path::Path;

use aws_sdk_s3::types::CompletedPart;

use super::s3::{S3Store, classify};
use super::{Storage, StorageError, check_key};

/// A session's multipart upload: where, which, its parts' size, and the parts sent so far
/// (numbered 1…n, each `part_size` long but the last).
#[derive(Debug, Clone)]
pub struct SessionUpload {
    pub key: String,
    pub upload_id: String,
    pub part_size: u64,
    pub parts: Vec<(i32, String)>,
}

/// A session's parts are S3's smallest: a take arrives slowly, so what its finish has left to
/// send (at most one part) matters, not the number of requests. Equal parts, as R2 requires.
const SESSION_PART_SIZE: u64 = 5 << 20;

/// Sessions on a backend without multipart uploads are stored whole when they finish: nothing
/// is ever started for them, so these calls only meet sessions started on S3.
impl Storage {
    /// The part size of a new session's multipart upload, where the backend takes a session's
    /// bytes part by part as they arrive.
    pub fn session_part_size(&self) -> Option<u64> {
        match self {
            Storage::S3(_) => Some(SESSION_PART_SIZE),
            Storage::Local(_) => None,
        }
    }

    /// Starts a session's multipart upload under `key`; returns its id.
    pub async fn start_session_upload(&self, key: &str, content_type: &str) -> Result<String, StorageError> {
        check_key(key)?;
        let (upload_id, guard) = self.s3()?.create_multipart(key, content_type).await?;
        // Unlike a streaming upload's, this one outlives the request: it is aborted only when
        // its session is terminated or abandoned.
        guard.disarm();
        Ok(upload_id)
    }

    /// Sends part `number` (`len` bytes of the file at `path`, from `offset`); returns its ETag.
    pub async fn send_session_part(
        &self,
        upload: &SessionUpload,
        path: &Path,
        number: i32,
        offset: u64,
        len: u64,
    ) -> Result<String, StorageError> {
        let part = self
            .s3()?
            .upload_part(&upload.key, &upload.upload_id, path, number, offset, len)
            .await?;
        part.e_tag()
            .map(str::to_owned)
            .ok_or_else(|| StorageError::Other("S3 returned no ETag for a part".into()))
    }

    /// Sends what follows the parts already sent (the file at `path` holds the whole `size`
    /// bytes) and completes the object.
    pub async fn finish_session_upload(
        &self,
        upload: &SessionUpload,
        path: &Path,
        size: u64,
    ) -> Result<(), StorageError> {
        let store = self.s3()?;
        let mut parts: Vec<CompletedPart> = upload
            .parts
            .iter()
            .map(|(number, etag)| CompletedPart::builder().part_number(*number).e_tag(etag).build())
            .collect();
        let mut number = upload.parts.len() as i32 + 1;
        let mut offset = upload.parts.len() as u64 * upload.part_size;
        while offset < size {
            let len = upload.part_size.min(size - offset);
            parts.push(
                store
                    .upload_part(&upload.key, &upload.upload_id, path, number, offset, len)
                    .await?,
            );
            number += 1;
            offset += len;
        }
        store.complete_multipart(&upload.key, &upload.upload_id, parts).await
    }

    /// Gives up a session's multipart upload and the parts it holds.
    pub async fn abort_session_upload(&self, upload: &SessionUpload) -> Result<(), StorageError> {
        let store = self.s3()?;
        store
            .client
            .abort_multipart_upload()
            .bucket(&store.bucket)
            .key(&upload.key)
            .upload_id(&upload.upload_id)
            .send()
            .await
            .map_err(classify)?;
        Ok(())
    }

    fn s3(&self) -> Result<&S3Store, StorageError> {
        match self {
            Storage::S3(store) => Ok(store),
            Storage::Local(_) => Err(StorageError::Other("local storage has no multipart uploads".into())),
        }
    }
}
