//! The parts of a page that change while it is open carry a version of their markup
//! (`data-v`), so that `live.js`, asking for the page again, swaps in only what changed.

use maud::{Markup, html};

/// A short fingerprint of a part's markup.
pub fn version_of(markup: &Markup) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(markup.0.as_bytes())[..6])
}

/// `inner` as a part of the page replaced whole when it changes (a `div`, with `id` and
/// `class`).
pub fn live_part(id: &str, class: &str, inner: Markup) -> Markup {
    let v = version_of(&inner);
    html! {
        div id=(id) class=(class) data-live data-v=(v) { (inner) }
    }
}
