//! How people appear on pages without a picture: their initials in a circle.

use maud::{Markup, html};

/// The avatar of `name`: decorative, since the name is always written beside it.
pub fn avatar(name: &str) -> Markup {
    html! { span.avatar aria-hidden="true" { (initials(name)) } }
}

/// "Ada Lovelace" → "AL": the avatar of someone without a picture.
fn initials(name: &str) -> String {
    let letters: String = name
        .split_whitespace()
        // "(guest)" is not part of the name.
        .filter_map(|word| word.chars().next().filter(|c| c.is_alphanumeric()))
        .take(2)
        .flat_map(char::to_uppercase)
        .collect();
    if letters.is_empty() { "?".to_owned() } else { letters }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("olive"), "O");
        assert_eq!(initials("Jean-Luc Picard Jr"), "JP");
        assert_eq!(initials("  "), "?");
        assert_eq!(initials("Ünal (guest)"), "Ü");
        assert_eq!(initials("élan"), "É");
        assert_eq!(initials("(guest)"), "?");
    }
}
