//! Whole numbers in JSON bodies as JSON Schema counts them: `126` and `126.0` are the same
//! integer (what schema-driven generators and some languages' serialisers send), while `126.5`
//! is no integer at all. serde alone refuses the first form; these accept it and still refuse
//! the second. Used as `#[serde(deserialize_with = "…::integer")]` on a request's integer
//! fields, and as `Option<WholeNumber>` on its optional ones.

use serde::de::Error;
use serde::{Deserialize, Deserializer};

/// Beyond ±2^53 a float no longer holds every whole number: such a value was not meant as one.
const EXACT_IN_A_FLOAT: f64 = 9_007_199_254_740_992.0;

fn whole(number: &serde_json::Number) -> Option<i64> {
    number.as_i64().or_else(|| {
        number
            .as_f64()
            .filter(|f| f.fract() == 0.0 && f.abs() <= EXACT_IN_A_FLOAT)
            .and_then(|f| format!("{f:.0}").parse().ok())
    })
}

/// An integer, written `126` or `126.0`.
pub fn integer<'de, D: Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    let number = serde_json::Number::deserialize(deserializer)?;
    whole(&number).ok_or_else(|| D::Error::custom(format!("{number} is not a whole number")))
}

/// An integer as an optional field holds it: `Option<WholeNumber>` is absent, `null`, `126` or
/// `126.0` (a plain `Option` keeps serde's own rules for absent fields, which a
/// `deserialize_with` would need `default` for — and `default` lets a too-short JSON array pass
/// for the whole struct).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WholeNumber(pub i64);

impl<'de> Deserialize<'de> for WholeNumber {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        integer(deserializer).map(Self)
    }
}

/// The value of an optional whole number.
pub fn value(number: Option<WholeNumber>) -> Option<i64> {
    number.map(|n| n.0)
}

#[cfg(test)]
mod tests {
    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[serde(deserialize_with = "super::integer")]
        n: i64,
        m: Option<super::WholeNumber>,
    }

    fn read(json: &str) -> Option<(i64, Option<i64>)> {
        serde_json::from_str::<Body>(json)
            .ok()
            .map(|b| (b.n, super::value(b.m)))
    }

    #[test]
    fn whole_numbers_come_in_either_form_and_fractions_do_not() {
        assert_eq!(read(r#"{"n": 126}"#), Some((126, None)));
        assert_eq!(read(r#"{"n": 126.0, "m": -3.0}"#), Some((126, Some(-3))));
        assert_eq!(
            read(r#"{"n": -290247353411.0, "m": null}"#),
            Some((-290_247_353_411, None))
        );
        assert_eq!(read(r#"{"n": 1e3}"#), Some((1000, None)));
        for refused in [
            r#"{"n": 126.5}"#,
            r#"{"n": "126"}"#,
            r#"{"n": 1e300}"#,
            r#"{"n": 1, "m": 0.25}"#,
            r#"{"n": null}"#,
            // A struct written as an array, one field short.
            r#"[1]"#,
        ] {
            assert_eq!(read(refused), None, "{refused}");
        }
    }
}
