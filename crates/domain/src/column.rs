//! Domain enums stored as text columns. With the `diesel` feature (the store turns it on), each
//! enum named in `text_columns!` reads and writes its column directly, so rows carry the enum
//! and never a string that could hold anything. Without the feature the domain stays free of the
//! database crate.

/// Implements diesel's text mapping for enums with `as_str` and `from_column` (which answers
/// None for a value the enum does not know: a corrupt row fails loudly instead of becoming a
/// default).
#[macro_export]
macro_rules! text_columns {
    ($($t:ty),* $(,)?) => {$(
        #[cfg(feature = "diesel")]
        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $t {
            fn from_sql(bytes: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let raw = std::str::from_utf8(bytes.as_bytes())?;
                <$t>::from_column(raw).ok_or_else(|| format!("unknown {} {raw:?}", stringify!($t)).into())
            }
        }

        #[cfg(feature = "diesel")]
        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $t {
            fn to_sql<'b>(&'b self, out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>) -> diesel::serialize::Result {
                use std::io::Write;
                out.write_all(self.as_str().as_bytes())?;
                Ok(diesel::serialize::IsNull::No)
            }
        }

        impl serde::Serialize for $t {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    )*};
}
