//! What the fuzz targets (`fuzz/fuzz_targets/`) feed arbitrary bytes to: every parser that
//! reads what a client sends. Each one must answer, never panic, and what it answers must make
//! sense (a range inside the body, a search query that is no syntax). `scripts/fuzz` runs them
//! under libFuzzer; `tests/fuzz_regressions.rs` runs them over the seeds and every input a
//! fuzzer ever found, on every test run.

use std::io::{Cursor, Read, Seek, SeekFrom};

use axum::http::{HeaderMap, HeaderName, HeaderValue};

use db::search::query::SearchQuery;

/// The Ogg Opus reader and decoder, over a whole stream.
pub fn ogg_opus(data: &[u8]) {
    let _ = crate::analysis::analyze_ogg_stream(Cursor::new(data));
}

/// The same stream arriving in pieces, as a live upload's does: each read returns a few bytes
/// (the first byte of the input says how many).
pub fn ogg_opus_in_pieces(data: &[u8]) {
    let Some((&size, body)) = data.split_first() else {
        return;
    };
    let _ = crate::analysis::analyze_ogg_stream(Pieces::new(body, size));
}

/// The WebM/EBML walk and the remux to Ogg, over a whole file — and fed in pieces, as the live
/// analysis reads a take still arriving.
pub fn webm(data: &[u8]) {
    let Ok(scratch) = tempfile::tempdir() else {
        return;
    };
    let _ = crate::analysis::webm::analyze_webm_audio(Cursor::new(data), scratch.path());
    let _ = media::WebmScan::playable_len(Cursor::new(data), data.len() as u64);
    if let Some((&size, body)) = data.split_first() {
        let _ = crate::analysis::webm::analyze_webm_audio(Pieces::new(body, size), scratch.path());
    }
    let _ = media::WebmScan::has_video(Cursor::new(data));
}

/// tus's headers: the numbers and `Upload-Metadata`.
pub fn tus_headers(data: &[u8]) {
    let Ok(value) = HeaderValue::from_bytes(data) else {
        return;
    };
    let mut headers = HeaderMap::new();
    for name in ["upload-offset", "upload-length", "upload-metadata"] {
        headers.insert(HeaderName::from_static(name), value.clone());
    }
    for name in ["upload-offset", "upload-length"] {
        if let Ok(Some(n)) = crate::http::api::uploads::number(&headers, &HeaderName::from_static(name)) {
            assert!(n >= 0, "a negative {name}: {n}");
        }
    }
    if let Ok(pairs) = crate::http::api::uploads::metadata(&headers) {
        assert!(pairs.iter().all(|(_, value)| !value.chars().any(char::is_control)));
    }
}

/// `Range` against a body whose size the first eight bytes give.
pub fn range(data: &[u8]) {
    if data.len() < 8 {
        return;
    }
    let (size, header) = data.split_at(8);
    let size = u64::from_le_bytes(size.try_into().unwrap_or_default());
    let Ok(header) = std::str::from_utf8(header) else {
        return;
    };
    if let Ok(Some(range)) = crate::http::api::media::parse_range(header, size) {
        assert!(
            range.first <= range.last && range.last < size,
            "{header:?} on {size} bytes gave {}..={}",
            range.first,
            range.last
        );
    }
}

/// A search box's text, read as terms and written in both engines' syntax.
pub fn search_query(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Some(query) = SearchQuery::parse(&text) else {
        return;
    };
    assert!(!query.terms.is_empty());
    for term in &query.terms {
        assert!(!term.text().contains('\0'), "a NUL reached a term");
        let prefix = db::postgres::tsvector::prefix_query(term.text());
        assert!(
            prefix.chars().all(|c| c.is_alphanumeric() || " <->:*".contains(c)),
            "tsquery syntax from {text:?}: {prefix}"
        );
    }
    // Every term is one quoted string: the quotes pair up, whatever was typed.
    let fts = db::sqlite::fts5::fts5(&query);
    assert_eq!(
        fts.matches('"').count() % 2,
        0,
        "unbalanced FTS5 quotes from {text:?}: {fts}"
    );
}

/// A reader that hands out at most `size` bytes a call (at least one), seekable like a file.
struct Pieces<'a> {
    body: Cursor<&'a [u8]>,
    size: usize,
}

impl<'a> Pieces<'a> {
    fn new(body: &'a [u8], size: u8) -> Self {
        Self {
            body: Cursor::new(body),
            size: usize::from(size.max(1)),
        }
    }
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.size);
        self.body.read(&mut buf[..n])
    }
}

impl Seek for Pieces<'_> {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.body.seek(to)
    }
}
