//! Identifiers nobody can guess: 128 bits from the operating system's CSPRNG.

/// A new clip id: 32 lowercase hex digits.
pub fn new_id() -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    Ok(hex::encode(bytes))
}

/// Whether `id` could be one of ours (cheap rejection before touching the database).
pub fn is_well_formed(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_distinct_and_well_formed() {
        let a = new_id().unwrap();
        let b = new_id().unwrap();
        assert_ne!(a, b);
        assert!(is_well_formed(&a));
        assert!(!is_well_formed("../../etc/passwd"));
        assert!(!is_well_formed(&a.to_uppercase()));
    }
}
