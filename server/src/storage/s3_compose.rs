//! A clip stored as a head before its body (`db::clips::MediaLayout::HeadBeforeTail`) made
//! one object inside S3, so that browsers can be sent to it by a presigned URL: a multipart
//! upload whose first part is the head and the body's first 5 MiB, sent by this server, and
//! whose other parts are `UploadPartCopy` ranges of the body, copied by the S3 service itself.
//! The server moves a few megabytes whatever the clip's length.

use std::ops::Range;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::CompletedPart;
use futures_util::{StreamExt, TryStreamExt};
use tokio::io::AsyncReadExt;

use super::s3::{PARALLEL_PARTS, S3Store, classify};
use super::s3_stream::upload_part;
use super::{ByteRange, StorageError};

/// The smallest part S3 takes but for the last: what the first part needs of the body.
const MIN_PART: u64 = 5 << 20;

/// Where a composed object's bytes come from.
#[derive(Debug, Clone)]
pub struct Composition {
    /// The head's object and length.
    pub head_key: String,
    pub head_len: u64,
    /// The body's object, and the bytes of it that follow the head.
    pub body_key: String,
    pub tail: Range<u64>,
}

/// What composing cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Composed {
    /// Bytes this server read and sent (the head and the body's first part).
    pub sent: u64,
    /// Bytes the S3 service copied on its own.
    pub copied: u64,
    pub parts: usize,
}

impl S3Store {
    /// Writes `from` as one object at `key` (absent or complete, as any multipart upload).
    pub async fn compose(&self, key: &str, from: &Composition, content_type: &str) -> Result<Composed, StorageError> {
        let tail_len = from.tail.end.saturating_sub(from.tail.start);
        let sent_of_body = tail_len.min(MIN_PART);
        let (upload_id, guard) = self.create_multipart(key, content_type).await?;

        // Part 1: the head and the body's first bytes, read into one bounded buffer.
        let mut first = Vec::with_capacity(usize::try_from(from.head_len + sent_of_body).unwrap_or(0));
        self.get(&from.head_key, None)
            .await?
            .take(from.head_len)
            .read_to_end(&mut first)
            .await?;
        if sent_of_body > 0 {
            let range = ByteRange {
                first: from.tail.start,
                last: from.tail.start + sent_of_body - 1,
            };
            self.get(&from.body_key, Some(range))
                .await?
                .take(sent_of_body)
                .read_to_end(&mut first)
                .await?;
        }
        let sent = first.len() as u64;
        if sent != from.head_len + sent_of_body {
            return Err(StorageError::Other(format!(
                "the head and body of {key} are shorter than recorded ({sent} bytes)"
            )));
        }
        let mut parts = vec![upload_part(self, key, &upload_id, 1, ByteStream::from(first), sent).await?];

        // The rest: ranges of the body, copied by S3, in parts of the configured size (the same
        // shape as an upload's).
        let step = self.part_size;
        let ranges: Vec<(i32, u64, u64)> = (from.tail.start + sent_of_body..from.tail.end)
            .step_by(usize::try_from(step).unwrap_or(usize::MAX))
            .enumerate()
            .map(|(i, start)| (i as i32 + 2, start, (start + step).min(from.tail.end) - 1))
            .collect();
        let copied: Vec<CompletedPart> = futures_util::stream::iter(ranges)
            .map(|(number, first, last)| self.copy_part(key, &upload_id, &from.body_key, number, first, last))
            .buffered(PARALLEL_PARTS)
            .try_collect()
            .await?;
        parts.extend(copied);
        let count = parts.len();
        self.complete_multipart(key, &upload_id, parts).await?;
        guard.disarm();
        Ok(Composed {
            sent,
            copied: tail_len - sent_of_body,
            parts: count,
        })
    }

    /// Part `number` of the upload at `key`: bytes `first..=last` of the object at `source`.
    async fn copy_part(
        &self,
        key: &str,
        upload_id: &str,
        source: &str,
        number: i32,
        first: u64,
        last: u64,
    ) -> Result<CompletedPart, StorageError> {
        // Keys are server-made (`check_key`): nothing in them needs escaping.
        let copied = self
            .client
            .upload_part_copy()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .copy_source(format!("{}/{source}", self.bucket))
            .copy_source_range(format!("bytes={first}-{last}"))
            .send()
            .await
            .map_err(classify)?;
        let e_tag = copied
            .copy_part_result()
            .and_then(|result| result.e_tag())
            .ok_or_else(|| StorageError::Other("S3 copied a part but gave no ETag".into()))?;
        Ok(CompletedPart::builder().part_number(number).e_tag(e_tag).build())
    }
}
