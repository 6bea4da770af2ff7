//! Strings with a shape, as the API's description states them: exactly what the server reads,
//! so that a client (or a schema-driven generator, which ignores `format`) that keeps to the
//! description is never refused. Each is a named schema, referenced as a field's `value_type`.

use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{KnownFormat, RefOr, SchemaFormat};

/// A calendar date, `YYYY-MM-DD`, that exists: 29 February only in leap years.
const DATE: &str = "([0-9]{4}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)\
                    |([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29)";

/// A time of day with its offset, as RFC 3339 writes it (seconds to 59, any fraction).
const TIME: &str = "T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{1,9})?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])";

fn string(format: KnownFormat, pattern: String, description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(Some(SchemaFormat::KnownFormat(format)))
        .pattern(Some(pattern))
        .description(Some(description))
        .into()
}

/// An instant, RFC 3339 (`2026-12-08T09:30:00Z`, `2026-12-08T10:30:00+01:00`).
#[derive(Debug)]
pub struct Instant;

impl utoipa::PartialSchema for Instant {
    fn schema() -> RefOr<Schema> {
        string(
            KnownFormat::DateTime,
            format!("^{DATE}{TIME}$"),
            "An instant, RFC 3339 with an offset",
        )
    }
}

impl utoipa::ToSchema for Instant {}

/// A day, `YYYY-MM-DD`.
#[derive(Debug)]
pub struct Day;

impl utoipa::PartialSchema for Day {
    fn schema() -> RefOr<Schema> {
        string(KnownFormat::Date, format!("^{DATE}$"), "A calendar date, YYYY-MM-DD")
    }
}

impl utoipa::ToSchema for Day {}

/// An email address as the server reads one (`services::team::checked_email`): a local part of
/// the characters RFC 5322 allows unquoted, `@`, a domain of two or more labels of letters,
/// digits and inner hyphens; at most 320 characters. (No `format: email`: validators read that
/// differently from one another, and this pattern is exactly what is accepted.)
#[derive(Debug)]
pub struct EmailAddress;

impl utoipa::PartialSchema for EmailAddress {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(
                r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+$",
            ))
            .max_length(Some(320))
            .into()
    }
}

impl utoipa::ToSchema for EmailAddress {}

/// An IANA time zone's name, one of those the server knows (`Europe/Berlin`).
#[derive(Debug)]
pub struct TimeZoneName;

impl utoipa::PartialSchema for TimeZoneName {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(chrono_tz::TZ_VARIANTS.iter().map(|zone| zone.name())))
            .description(Some("An IANA time zone, e.g. Europe/Berlin"))
            .into()
    }
}

impl utoipa::ToSchema for TimeZoneName {}

/// `schema`, or `null` (an optional field's way of saying "as it is").
pub fn array_or_null(mut schema: utoipa::openapi::schema::Array) -> utoipa::openapi::schema::Array {
    schema.schema_type = utoipa::openapi::schema::SchemaType::from_iter([Type::Array, Type::Null]);
    schema
}

/// `schema` (a string's), or `null`.
pub fn object_or_null(mut schema: utoipa::openapi::schema::Object) -> utoipa::openapi::schema::Object {
    schema.schema_type = utoipa::openapi::schema::SchemaType::from_iter([Type::String, Type::Null]);
    schema
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn pattern(schema: RefOr<Schema>) -> regex::Regex {
        let RefOr::T(Schema::Object(object)) = schema else {
            panic!("not an object schema")
        };
        regex::Regex::new(object.pattern.as_deref().unwrap()).unwrap()
    }

    #[test]
    fn a_date_matches_exactly_when_it_is_on_the_calendar() {
        let day = pattern(<Day as utoipa::PartialSchema>::schema());
        for (text, real) in [
            ("2026-12-08", true),
            ("2026-02-28", true),
            ("2026-02-29", false),
            ("2028-02-29", true),
            ("2000-02-29", true),
            ("1900-02-29", false),
            ("2026-04-30", true),
            ("2026-04-31", false),
            ("2026-12-31", true),
            ("2026-13-01", false),
            ("2026-00-10", false),
        ] {
            assert_eq!(day.is_match(text), real, "{text}");
            assert_eq!(
                chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok(),
                real,
                "{text}"
            );
        }
        let instant = pattern(<Instant as utoipa::PartialSchema>::schema());
        for text in ["2026-12-08T09:30:00Z", "2028-02-29T23:59:59.123456+05:30"] {
            assert!(instant.is_match(text), "{text}");
            assert!(chrono::DateTime::parse_from_rfc3339(text).is_ok(), "{text}");
        }
        for text in ["2026-12-08", "2026-12-08T24:00:00Z", "2026-02-30T09:30:00Z"] {
            assert!(!instant.is_match(text), "{text}");
        }
    }

    #[test]
    fn an_address_that_matches_is_read() {
        let email = pattern(<EmailAddress as utoipa::PartialSchema>::schema());
        for text in ["ada@example.com", "a.b+c@mail.example.org", "x@y.z"] {
            assert!(email.is_match(text), "{text}");
            assert!(crate::services::team::checked_email(text).is_ok(), "{text}");
        }
        for text in [
            "ada",
            "@example.com",
            "ada@example",
            "ada@.example.com",
            "ada@example.com.",
            "a da@x.y",
            "$`w@l<f.xy,ke",
            "ada@-x.com",
            "ada@x-.com",
            "a<b@x.y",
        ] {
            assert!(!email.is_match(text), "{text}");
            assert!(crate::services::team::checked_email(text).is_err(), "{text}");
        }
    }
}
