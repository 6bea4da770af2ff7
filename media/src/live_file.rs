//! A file that ends in a valid end-of-stream page after every flush.
//!
//! A recording can be killed at any moment. Pages are flushed at least every second, so the
//! audio survives, but a stream whose last page lacks the end-of-stream (EOS) flag is, to a
//! strict reader, unfinished ("normal for live streams", says opusinfo). So the newest page is
//! written with EOS set; when the next pages arrive, one positioned write clears that flag on
//! the previous last page and appends the new ones, the newest again flagged. At every instant
//! the file on disk is a complete, properly ended Ogg stream.
//!
//! Everything before the provisional last page never changes again: [`LiveOggFile::settled`]
//! says how far that is, so the file can be sent while it is being written.

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const EOS_FLAG: u8 = 0x04;
const HEADER_LEN: usize = 27;

/// Buffers what the Ogg writer produces and lays it down on `flush`, which the Ogg Opus writer
/// calls at every page end (so nothing is left pending between pages, and no `Drop` is needed).
/// Each flush also syncs the data to disk.
#[derive(Debug)]
pub struct LiveOggFile {
    file: File,
    pending: Vec<u8>,
    /// The last page on disk and its offset, while its EOS flag is provisional.
    provisional_tail: Option<(u64, Vec<u8>)>,
    end: u64,
    settled: Arc<AtomicU64>,
}

impl LiveOggFile {
    pub fn new(file: File) -> Self {
        Self::with_settled(file, Arc::default())
    }

    /// A live file that keeps `settled` up to date (see [`Self::settled`]), for a reader that
    /// sends the file while it grows.
    pub fn with_settled(file: File, settled: Arc<AtomicU64>) -> Self {
        Self {
            file,
            pending: Vec::new(),
            provisional_tail: None,
            end: 0,
            settled,
        }
    }

    /// How many leading bytes of the file are final (synced, and never rewritten): everything
    /// but the provisional last page, and the whole file once the stream has ended.
    pub fn settled(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.settled)
    }

    /// Flushes and returns the file.
    pub fn into_file(mut self) -> io::Result<File> {
        self.flush()?;
        Ok(self.file)
    }

    fn lay_down(&mut self) -> io::Result<()> {
        let whole = whole_pages_len(&self.pending);
        if whole == 0 {
            return Ok(());
        }
        let last_page = last_page_start(&self.pending[..whole]);
        let (start, mut out) = match self.provisional_tail.take() {
            Some((offset, mut page)) => {
                set_eos(&mut page, false);
                (offset, page)
            }
            None => (self.end, Vec::new()),
        };
        let last_in_out = out.len() + last_page;
        out.extend_from_slice(&self.pending[..whole]);
        let tail = &mut out[last_in_out..];
        if tail[5] & EOS_FLAG == 0 {
            set_eos(tail, true);
            self.provisional_tail = Some((start + last_in_out as u64, tail.to_vec()));
        }
        // One write from `start`: the old tail's flag is cleared in the same call that adds the
        // new end, so no instant exists with two EOS pages.
        self.file.seek(SeekFrom::Start(start))?;
        self.file.write_all(&out)?;
        self.end = start + out.len() as u64;
        self.pending.drain(..whole);
        self.file.sync_data()?;
        let settled = self.provisional_tail.as_ref().map_or(self.end, |(offset, _)| *offset);
        self.settled.store(settled, Ordering::Release);
        Ok(())
    }
}

impl Write for LiveOggFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.lay_down()
    }
}

/// Length of the leading run of complete pages in `buf`.
fn whole_pages_len(buf: &[u8]) -> usize {
    let mut at = 0;
    while let Some(len) = page_len(&buf[at..]) {
        at += len;
    }
    at
}

fn last_page_start(buf: &[u8]) -> usize {
    let mut at = 0;
    let mut last = 0;
    while let Some(len) = page_len(&buf[at..]) {
        last = at;
        at += len;
    }
    last
}

/// Length of the page at the start of `buf`, if it is all there.
fn page_len(buf: &[u8]) -> Option<usize> {
    if buf.len() < HEADER_LEN || &buf[..4] != b"OggS" {
        return None;
    }
    let segments = usize::from(buf[26]);
    let lacing = buf.get(HEADER_LEN..HEADER_LEN + segments)?;
    let len = HEADER_LEN + segments + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
    (buf.len() >= len).then_some(len)
}

/// Sets or clears a page's EOS flag and recomputes its checksum.
fn set_eos(page: &mut [u8], eos: bool) {
    if eos {
        page[5] |= EOS_FLAG;
    } else {
        page[5] &= !EOS_FLAG;
    }
    page[22..26].fill(0);
    let crc = ogg_crc(page);
    page[22..26].copy_from_slice(&crc.to_le_bytes());
}

/// The Ogg page checksum: CRC-32, polynomial 0x04c11db7, no reflection, zero init and xor-out.
fn ogg_crc(data: &[u8]) -> u32 {
    const TABLE: [u32; 256] = {
        let mut table = [0u32; 256];
        let mut i = 0;
        while i < 256 {
            let mut r = (i as u32) << 24;
            let mut bit = 0;
            while bit < 8 {
                r = if r & 0x8000_0000 != 0 {
                    (r << 1) ^ 0x04c1_1db7
                } else {
                    r << 1
                };
                bit += 1;
            }
            table[i] = r;
            i += 1;
        }
        table
    };
    data.iter()
        .fold(0u32, |crc, &b| (crc << 8) ^ TABLE[((crc >> 24) as u8 ^ b) as usize])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_the_ogg_reference_pages() {
        // A page written by the `ogg` crate carries its checksum; recomputing must agree.
        let mut pages = ogg::PacketWriter::new(Vec::new());
        pages
            .write_packet(b"hello ogg".to_vec(), 9, ogg::PacketWriteEndInfo::EndPage, 42)
            .unwrap();
        let mut page = pages.into_inner();
        let stored = u32::from_le_bytes([page[22], page[23], page[24], page[25]]);
        page[22..26].fill(0);
        assert_eq!(ogg_crc(&page), stored);
    }

    #[test]
    fn page_boundaries_are_found() {
        let mut pages = ogg::PacketWriter::new(Vec::new());
        pages
            .write_packet(vec![1; 300], 1, ogg::PacketWriteEndInfo::EndPage, 0)
            .unwrap();
        pages
            .write_packet(vec![2; 10], 1, ogg::PacketWriteEndInfo::EndPage, 0)
            .unwrap();
        let bytes = pages.into_inner();
        let first = page_len(&bytes).unwrap();
        assert_eq!(first, 27 + 2 + 300);
        assert_eq!(whole_pages_len(&bytes), bytes.len());
        assert_eq!(last_page_start(&bytes), first);
        assert_eq!(whole_pages_len(&bytes[..bytes.len() - 1]), first);
    }

    #[test]
    fn settled_bytes_never_change_and_cover_the_file_once_it_ends() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("live.opus");
        let mut live = LiveOggFile::new(File::create(&path).unwrap());
        let settled = live.settled();
        let mut seen: Vec<u8> = Vec::new();
        for (i, end) in [false, false, false, true].into_iter().enumerate() {
            let mut pages = ogg::PacketWriter::new(Vec::new());
            let info = if end {
                ogg::PacketWriteEndInfo::EndStream
            } else {
                ogg::PacketWriteEndInfo::EndPage
            };
            pages.write_packet(vec![i as u8; 100], 7, info, i as u64).unwrap();
            live.write_all(&pages.into_inner()).unwrap();
            live.flush().unwrap();
            let on_disk = std::fs::read(&path).unwrap();
            let now = settled.load(Ordering::Acquire) as usize;
            // What was settled before is still byte for byte the same.
            assert_eq!(&on_disk[..seen.len()], &seen[..]);
            if end {
                assert_eq!(now, on_disk.len());
            } else {
                assert_eq!(now, on_disk.len() - page_len(&on_disk[now..]).unwrap());
            }
            seen = on_disk[..now].to_vec();
        }
    }
}
