//! A clip's media as one stream of bytes, whatever objects it is stored as (see
//! [`MediaLayout`]): the playback route, the transcriber and anything else that reads a clip
//! read it here.

use tokio::io::AsyncReadExt;

use crate::storage::{ByteRange, ObjectReader, Storage, StorageError};
use db::clips::{ClipRow, Composing, MediaLayout};

/// The clip's media, or `range` of it (inclusive, inside its `byte_size`).
pub async fn open(storage: &Storage, clip: &ClipRow, range: Option<ByteRange>) -> Result<ObjectReader, StorageError> {
    let MediaLayout::HeadBeforeTail { head_key, tail } = &clip.layout else {
        return storage.get(&clip.storage_key, range).await;
    };
    let size = u64::try_from(clip.media.byte_size).unwrap_or(0);
    let head_len = size
        .checked_sub(tail.end - tail.start)
        .filter(|&len| len > 0)
        .ok_or_else(|| StorageError::Other(format!("clip {} is shorter than its tail", clip.id)))?;
    let ByteRange { first, last } = range.unwrap_or(ByteRange {
        first: 0,
        last: size - 1,
    });
    let in_head = (first < head_len).then(|| ByteRange {
        first,
        last: last.min(head_len - 1),
    });
    let in_tail = (last >= head_len).then(|| ByteRange {
        first: tail.start + first.max(head_len) - head_len,
        last: tail.start + last - head_len,
    });
    match (in_head, in_tail) {
        (Some(head), Some(body)) => {
            let (head, body) = tokio::try_join!(
                storage.get(head_key, Some(head)),
                storage.get(&clip.storage_key, Some(body))
            )?;
            Ok(Box::pin(head.chain(body)))
        }
        (Some(head), None) => storage.get(head_key, Some(head)).await,
        (None, Some(body)) => storage.get(&clip.storage_key, Some(body)).await,
        (None, None) => Err(StorageError::Other("an empty range".into())),
    }
}

/// Whether clips stored as a head before their body are made one object in the background
/// (the `compose` jobs): where browsers are sent to S3 for media (`presigning`), which needs
/// one object.
pub fn composing(storage: &Storage, presigning: bool) -> Composing {
    if presigning && matches!(storage, Storage::S3(_)) {
        Composing::InBackground
    } else {
        Composing::Never
    }
}

/// Whether a browser may be sent straight to the storage for the clip's media: only when it
/// is one object there.
pub fn is_one_object(clip: &ClipRow) -> bool {
    matches!(clip.layout, MediaLayout::Whole)
}

/// The clip's stored objects that hold its media, to delete with it.
pub fn objects(clip: &ClipRow) -> Vec<&str> {
    objects_in(&clip.storage_key, &clip.layout)
}

/// The stored objects that media at `storage_key` laid out as `layout` is made of.
pub fn objects_in<'a>(storage_key: &'a str, layout: &'a MediaLayout) -> Vec<&'a str> {
    match layout {
        MediaLayout::Whole => vec![storage_key],
        MediaLayout::HeadBeforeTail { head_key, .. } => vec![head_key, storage_key],
    }
}
