//! An instant as the database keeps it: UTC, written as RFC 3339 text with microseconds and a
//! `Z` (`2026-12-07T09:14:03.250000Z`), so that both engines compare and sort timestamps as
//! text in time order. Rows read it back as a [`Timestamp`], never as a string; the API shows
//! it in the same form.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};

/// An instant, stored and shown as RFC 3339 UTC text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Self(Utc::now())
    }

    /// The instant.
    pub fn instant(self) -> DateTime<Utc> {
        self.0
    }

    /// Its stored form.
    pub fn text(self) -> String {
        self.0.to_rfc3339_opts(SecondsFormat::Micros, true)
    }

    /// The instant `text` names (any RFC 3339 offset), if it names one.
    pub fn parse(text: &str) -> Option<Self> {
        DateTime::parse_from_rfc3339(text)
            .ok()
            .map(|t| Self(t.with_timezone(&Utc)))
    }
}

impl From<DateTime<Utc>> for Timestamp {
    fn from(at: DateTime<Utc>) -> Self {
        Self(at)
    }
}

impl From<Timestamp> for DateTime<Utc> {
    fn from(at: Timestamp) -> Self {
        at.0
    }
}

impl std::ops::Deref for Timestamp {
    type Target = DateTime<Utc>;
    fn deref(&self) -> &DateTime<Utc> {
        &self.0
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).ok_or_else(|| serde::de::Error::custom(format!("{text:?} is not an RFC 3339 timestamp")))
    }
}

/// In the API's description: RFC 3339 text.
impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

/// Stored as text in both engines, through the text type of each.
macro_rules! stored_as_text {
    ($engine:ty) => {
        impl sqlx::Type<$engine> for Timestamp {
            fn type_info() -> <$engine as sqlx::Database>::TypeInfo {
                <String as sqlx::Type<$engine>>::type_info()
            }
            fn compatible(ty: &<$engine as sqlx::Database>::TypeInfo) -> bool {
                <String as sqlx::Type<$engine>>::compatible(ty)
            }
        }

        impl<'q> sqlx::Encode<'q, $engine> for Timestamp {
            fn encode_by_ref(
                &self,
                buf: &mut <$engine as sqlx::Database>::ArgumentBuffer<'q>,
            ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
                <String as sqlx::Encode<'q, $engine>>::encode(self.text(), buf)
            }
        }

        impl<'r> sqlx::Decode<'r, $engine> for Timestamp {
            fn decode(value: <$engine as sqlx::Database>::ValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
                let text = <&str as sqlx::Decode<'r, $engine>>::decode(value)?;
                Self::parse(text).ok_or_else(|| format!("{text:?} is not an RFC 3339 timestamp").into())
            }
        }
    };
}

stored_as_text!(sqlx::Sqlite);
stored_as_text!(sqlx::Postgres);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_order_is_time_order_and_round_trips() {
        let early = Timestamp::parse("2026-12-07T09:14:03.25+01:00").expect("RFC 3339");
        assert_eq!(early.text(), "2026-12-07T08:14:03.250000Z");
        let later = Timestamp::from(early.instant() + chrono::Duration::microseconds(1));
        assert!(early.text() < later.text());
        assert_eq!(Timestamp::parse(&later.text()), Some(later));
        assert_eq!(
            serde_json::to_string(&early).ok().as_deref(),
            Some("\"2026-12-07T08:14:03.250000Z\"")
        );
        assert!(Timestamp::parse("yesterday").is_none());
    }
}
