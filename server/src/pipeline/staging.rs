//! Writing a body to its staged file as it arrives, at the cost of one copy into the page cache
//! and (when the digest is wanted) one hash pass.
//!
//! A request body comes in many small chunks. Writing each with its own blocking call (what an
//! async file does) costs a thread hand-off per chunk — more CPU than the write itself — and
//! hashing each on the runtime blocks it. Instead chunks are batched (kept as the `Bytes` they
//! arrived in: no copy) and each batch is hashed and written on a blocking thread, while the
//! next batch is collected: one batch in flight, so memory stays bounded by two batches.

use std::io::{self, Write};

use bytes::Bytes;
use tokio::task::JoinHandle;

use crate::hashing::{Digest, Hasher};

/// Bytes collected before a batch goes to the blocking writer.
const BATCH_BYTES: usize = 1 << 20;

/// Whether a staged body's digest is worked out as it is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hashing {
    /// The body's size and sha256 are wanted: it may be stored as it is.
    Whole,
    /// Only its size: what is stored is made from it and hashed then (a WebM body).
    SizeOnly,
}

/// The file and what has been counted of it, owned by whichever thread writes next.
#[derive(Debug)]
struct Sink {
    file: std::fs::File,
    hasher: Option<Hasher>,
    written: u64,
}

impl Sink {
    fn write(mut self, batch: Vec<Bytes>) -> io::Result<Self> {
        for chunk in &batch {
            if let Some(hasher) = &mut self.hasher {
                hasher.update(chunk);
            }
            self.file.write_all(chunk)?;
            self.written += chunk.len() as u64;
        }
        Ok(self)
    }
}

/// A staged file being written from a body's chunks.
#[derive(Debug)]
pub struct StagingWriter {
    /// The sink, when no batch is being written.
    idle: Option<Sink>,
    in_flight: Option<JoinHandle<io::Result<Sink>>>,
    batch: Vec<Bytes>,
    batch_len: usize,
}

impl StagingWriter {
    /// Writes to `file` (open for writing, empty). Whether the body is hashed is decided by
    /// [`Self::decide`] before the first batch goes out; undecided, it is.
    pub fn new(file: std::fs::File) -> Self {
        Self {
            idle: Some(Sink {
                file,
                hasher: Some(Hasher::default()),
                written: 0,
            }),
            in_flight: None,
            batch: Vec::new(),
            batch_len: 0,
        }
    }

    /// Says whether the body's sha256 is wanted. Hashing stops only while nothing has been
    /// written yet: a digest, once begun, is kept.
    pub fn decide(&mut self, hashing: Hashing) {
        if let (Hashing::SizeOnly, Some(sink)) = (hashing, &mut self.idle)
            && sink.written == 0
        {
            sink.hasher = None;
        }
    }

    /// Takes a chunk; a full batch goes to be written (after the one before it is done).
    pub async fn push(&mut self, chunk: Bytes) -> io::Result<()> {
        self.batch_len += chunk.len();
        self.batch.push(chunk);
        if self.batch_len >= BATCH_BYTES {
            self.send_batch().await?;
        }
        Ok(())
    }

    /// Writes everything pushed so far; returns how many bytes the file holds.
    pub async fn written(&mut self) -> io::Result<u64> {
        self.send_batch().await?;
        let sink = self.take_sink().await?;
        Ok(self.idle.insert(sink).written)
    }

    /// Writes everything pushed and flushes it to the file; returns its size and, when it was
    /// hashed, its digest.
    pub async fn finish(mut self) -> io::Result<(u64, Option<Digest>)> {
        self.send_batch().await?;
        let sink = self.take_sink().await?;
        Ok((sink.written, sink.hasher.map(Hasher::finish)))
    }

    async fn send_batch(&mut self) -> io::Result<()> {
        if self.batch.is_empty() {
            return Ok(());
        }
        let sink = self.take_sink().await?;
        let batch = std::mem::take(&mut self.batch);
        self.batch_len = 0;
        self.in_flight = Some(tokio::task::spawn_blocking(move || sink.write(batch)));
        Ok(())
    }

    /// The sink, once the batch in flight (if any) is written.
    async fn take_sink(&mut self) -> io::Result<Sink> {
        if let Some(writing) = self.in_flight.take() {
            return writing.await.map_err(io::Error::other)?;
        }
        self.idle
            .take()
            .ok_or_else(|| io::Error::other("a staged write failed before"))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::hashing::sha256_hex;

    /// A body of `len` bytes that repeats nowhere near a batch, in chunks of odd sizes.
    fn body(len: usize) -> (Vec<u8>, Vec<Bytes>) {
        let bytes: Vec<u8> = (0..len).map(|i| (i * 7 + i / 251) as u8).collect();
        let mut chunks = Vec::new();
        let mut at = 0;
        for size in [1, 7, 65_536, 1_048_575, 3, 1_048_576, 400_000].iter().cycle() {
            if at >= len {
                break;
            }
            let end = (at + size).min(len);
            chunks.push(Bytes::copy_from_slice(&bytes[at..end]));
            at = end;
        }
        (bytes, chunks)
    }

    #[tokio::test]
    async fn the_staged_file_holds_every_chunk_in_order_with_its_digest() {
        let (bytes, chunks) = body(5_000_000);
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut writer = StagingWriter::new(file.reopen().unwrap());
        for chunk in chunks {
            writer.push(chunk).await.unwrap();
        }
        let (size, digest) = writer.finish().await.unwrap();
        assert_eq!(size, bytes.len() as u64);
        assert_eq!(digest.unwrap().sha256, sha256_hex(&bytes));
        assert_eq!(std::fs::read(file.path()).unwrap(), bytes);
    }

    #[tokio::test]
    async fn a_body_whose_digest_is_not_wanted_is_counted_written_and_not_hashed() {
        let (bytes, chunks) = body(2_500_000);
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut writer = StagingWriter::new(file.reopen().unwrap());
        let mut chunks = chunks.into_iter();
        writer.push(chunks.next().unwrap()).await.unwrap();
        writer.decide(Hashing::SizeOnly);
        // A digest not begun stays not begun.
        writer.decide(Hashing::Whole);
        for chunk in chunks {
            writer.push(chunk).await.unwrap();
            assert!(writer.written().await.unwrap() <= bytes.len() as u64);
        }
        let (size, digest) = writer.finish().await.unwrap();
        assert_eq!((size, digest), (bytes.len() as u64, None));
        assert_eq!(std::fs::read(file.path()).unwrap(), bytes);
    }
}
