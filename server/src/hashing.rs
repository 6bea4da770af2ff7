//! Counting and hashing bytes as they pass, so a body is read or written once: the one place
//! a clip's size and sha256 are worked out.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::Path;

use sha2::{Digest as _, Sha256};

/// How many bytes, and their sha256 (lowercase hex).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digest {
    pub size: u64,
    pub sha256: String,
}

/// A running count and hash.
#[derive(Debug, Clone, Default)]
pub struct Hasher {
    sha256: Sha256,
    size: u64,
}

impl Hasher {
    pub fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        self.size += bytes.len() as u64;
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    pub fn finish(self) -> Digest {
        Digest {
            size: self.size,
            sha256: hex::encode(self.sha256.finalize()),
        }
    }
}

/// Hashes every byte read, so it only ever goes forwards: skipping ahead reads (and hashes)
/// what it skips.
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: Hasher,
}

impl<R> HashingReader<R> {
    pub fn new(inner: R) -> Self {
        Self {
            inner,
            hasher: Hasher::default(),
        }
    }

    pub fn finish(self) -> Digest {
        self.hasher.finish()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: Read> Seek for HashingReader<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let at = self.hasher.size();
        let target = match to {
            SeekFrom::Start(target) => Some(target),
            SeekFrom::Current(by) => at.checked_add_signed(by),
            SeekFrom::End(_) => None,
        };
        let Some(skip) = target.and_then(|t| t.checked_sub(at)) else {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a body being hashed is read forwards only",
            ));
        };
        let skipped = io::copy(&mut self.by_ref().take(skip), &mut io::sink())?;
        if skipped < skip {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "skipped past the end of the body",
            ));
        }
        Ok(self.hasher.size())
    }
}

/// Hashes every byte written, so a file written once needs no second read.
#[derive(Debug)]
pub struct HashingWriter<W> {
    inner: W,
    hasher: Hasher,
}

impl<W: Write> HashingWriter<W> {
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            hasher: Hasher::default(),
        }
    }

    pub fn finish(self) -> (W, Digest) {
        (self.inner, self.hasher.finish())
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// The sha256 of `bytes`, lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Bytes read at a time when hashing a file: a few large reads, not thousands of small ones.
const READ_BYTES: usize = 1 << 20;

/// Hashes everything `reader` gives; how many bytes that was.
fn hash_all(reader: &mut impl Read, hasher: &mut Hasher) -> io::Result<u64> {
    let mut buffer = vec![0u8; READ_BYTES];
    let mut total = 0u64;
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                hasher.update(&buffer[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// The size and sha256 of the file at `path` (blocking: call from a blocking thread).
pub fn hash_file(path: &Path) -> io::Result<Digest> {
    let mut hasher = Hasher::default();
    hash_all(&mut std::fs::File::open(path)?, &mut hasher)?;
    Ok(hasher.finish())
}

/// The size and sha256 of `head` followed by bytes `tail` of `file` (a clip stored as its body
/// with a head composed in front: see `db::clips::MediaLayout`). Blocking.
pub fn hash_head_and_tail(mut file: std::fs::File, head: &[u8], tail: (u64, u64)) -> io::Result<Digest> {
    let mut hasher = Hasher::default();
    hasher.update(head);
    file.seek(SeekFrom::Start(tail.0))?;
    let copied = hash_all(&mut file.take(tail.1 - tail.0), &mut hasher)?;
    if copied < tail.1 - tail.0 {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the body ends before its tail",
        ));
    }
    Ok(hasher.finish())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const ABC_SHA256: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn reader_and_writer_agree_with_sha256() {
        let mut reader = HashingReader::new(&b"abc"[..]);
        io::copy(&mut reader, &mut io::sink()).unwrap();
        assert_eq!(
            reader.finish(),
            Digest {
                size: 3,
                sha256: ABC_SHA256.into()
            }
        );
        let mut writer = HashingWriter::new(Vec::new());
        writer.write_all(b"abc").unwrap();
        let (bytes, digest) = writer.finish();
        assert_eq!((bytes, digest.sha256), (b"abc".to_vec(), ABC_SHA256.to_owned()));
    }

    #[test]
    fn seeking_forwards_hashes_what_it_skips_and_backwards_fails() {
        let mut reader = HashingReader::new(&b"abc"[..]);
        assert_eq!(reader.seek(SeekFrom::Start(2)).unwrap(), 2);
        assert!(reader.seek(SeekFrom::Start(1)).is_err());
        io::copy(&mut reader, &mut io::sink()).unwrap();
        assert_eq!(reader.finish().sha256, ABC_SHA256);
    }

    #[test]
    fn a_head_and_a_tail_hash_as_the_bytes_they_make() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"xxbcyy").unwrap();
        let digest = hash_head_and_tail(file.try_clone().unwrap(), b"a", (2, 4)).unwrap();
        assert_eq!(
            digest,
            Digest {
                size: 3,
                sha256: ABC_SHA256.into()
            }
        );
        assert!(hash_head_and_tail(file, b"a", (2, 9)).is_err());
    }
}
