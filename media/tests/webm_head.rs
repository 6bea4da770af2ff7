//! Telling a WebM's kind from its first bytes (what a session's first part is checked with
//! before it is sent on to storage as the clip's body), and where a take cut off ends.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::io::Cursor;

use media::{Extent, WebmScan};

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

/// A WebM cut off mid-block — a take whose bytes stopped arriving — is, when it is all there
/// is, the file up to that block; while more may come, a cut audio block is an error (wait).
#[test]
fn a_take_cut_off_mid_block_ends_before_that_block_once_it_is_whole() {
    for name in ["chromium-audio.webm", "chromium-video.webm"] {
        let body = fixture(name);
        let whole = WebmScan::scan_with_audio(Cursor::new(&body), Extent::Whole(body.len() as u64), &mut |_, _, _| {
            Ok(())
        })
        .unwrap();
        let cut = &body[..body.len() * 2 / 3 + 7];
        if name.contains("audio") {
            // (A video block cut off is skipped over, not read: no error to see there.)
            let growing = WebmScan::scan_with_audio(Cursor::new(cut), Extent::Growing, &mut |_, _, _| Ok(()));
            assert!(growing.is_err(), "{name}: more may come");
        }
        let mut packets = 0;
        let stopped = WebmScan::scan_with_audio(Cursor::new(cut), Extent::Whole(cut.len() as u64), &mut |_, _, _| {
            packets += 1;
            Ok(())
        })
        .unwrap();
        let (kept, all) = (stopped.audio_blocks.len(), whole.audio_blocks.len());
        assert!(kept > all / 3 && kept < all, "{name}: {kept} of {all} audio blocks");
        assert_eq!(packets, kept, "{name}: every block kept was handed over whole");
    }
}
