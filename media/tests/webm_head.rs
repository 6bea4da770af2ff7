//! Telling a WebM's kind from its first bytes: what a session's first part is checked with
//! before it is sent on to storage as the clip's body.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Cursor;

use media::WebmScan;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

#[test]
fn the_head_alone_says_whether_there_is_video() {
    let video = fixture("chromium-video.webm");
    let audio = fixture("chromium-audio.webm");
    assert_eq!(WebmScan::has_video(Cursor::new(&video)).unwrap(), Some(true));
    assert_eq!(WebmScan::has_video(Cursor::new(&audio)).unwrap(), Some(false));
    // The first kilobyte is enough, and so is any prefix that holds Tracks.
    assert_eq!(WebmScan::has_video(Cursor::new(&video[..1024])).unwrap(), Some(true));
}

#[test]
fn a_head_still_arriving_gives_no_answer_yet() {
    let video = fixture("chromium-video.webm");
    for cut in [0, 3, 20, 60, 120] {
        assert_eq!(
            WebmScan::has_video(Cursor::new(&video[..cut])).unwrap(),
            None,
            "cut at {cut}"
        );
    }
}

#[test]
fn what_is_not_webm_is_an_error() {
    assert!(WebmScan::has_video(Cursor::new(b"OggS\0\x02and more bytes than a header".as_slice())).is_err());
}
