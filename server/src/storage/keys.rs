//! Where each object of a clip lives in the store: the one place keys are made.

use media::container::Container;

/// One of a clip's stored objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Object {
    Media(Container),
    /// The head composed in front of a video WebM's body as it arrived (see
    /// `db::clips::MediaLayout`).
    MediaHead,
    /// WebVTT captions of its transcript.
    Captions,
    /// The JPEG still shown before a video plays.
    Poster,
}

/// The key of `object` of clip `clip_id` (a server-made id: no slashes or dots).
pub fn object_key(clip_id: &str, object: Object) -> String {
    let extension = match object {
        Object::Media(container) => container.extension(),
        Object::MediaHead => "head.webm",
        Object::Captions => "vtt",
        Object::Poster => "jpg",
    };
    format!("clips/{clip_id}.{extension}")
}

/// The key of a trim's cut of clip `clip_id`: a new object each time (`nonce`), so the
/// original and an earlier cut stay where they are until the new cut is in place.
pub fn cut_key(clip_id: &str, container: Container, nonce: &str) -> String {
    format!("clips/{clip_id}.cut-{nonce}.{}", container.extension())
}

/// The key of clip `clip_id`'s head and body made one object (`nonce`: a new object each try,
/// so a try that lost a race never touches the clip's media).
pub fn composed_key(clip_id: &str, container: Container, nonce: &str) -> String {
    format!("clips/{clip_id}.whole-{nonce}.{}", container.extension())
}
