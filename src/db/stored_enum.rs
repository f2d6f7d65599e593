//! Enums kept in text columns under fixed names. `stored_as_text!` gives an enum its diesel
//! `ToSql`/`FromSql` for `Text`, so rows hold the enum itself and no call site converts a string.

/// Implements `ToSql<Text, Pg>` and `FromSql<Text, Pg>` for an enum from its stored names, plus
/// `stored_name()`. The enum must also derive `diesel::AsExpression` and `diesel::FromSqlRow`
/// with `#[diesel(sql_type = diesel::sql_types::Text)]`. A stored name this build does not know
/// is a deserialization error: the row was written by a newer build or by hand.
#[macro_export]
macro_rules! stored_as_text {
    ($enum:ident { $($variant:ident => $stored:literal),+ $(,)? }) => {
        impl $enum {
            /// The name this value is stored under.
            pub const fn stored_name(self) -> &'static str {
                match self {
                    $($enum::$variant => $stored),+
                }
            }

            /// The value stored under `stored`, if any.
            pub fn from_stored_name(stored: &str) -> Option<Self> {
                match stored {
                    $($stored => Some($enum::$variant),)+
                    _ => None,
                }
            }
        }

        impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for $enum {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
                    self.stored_name(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for $enum {
            fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
                let stored = <String as diesel::deserialize::FromSql<
                    diesel::sql_types::Text,
                    diesel::pg::Pg,
                >>::from_sql(value)?;
                $enum::from_stored_name(&stored).ok_or_else(|| {
                    format!("unknown {} {stored:?}", stringify!($enum)).into()
                })
            }
        }
    };
}
