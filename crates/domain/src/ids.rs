//! The account id of a path, parsed strictly. (Newtypes for the other ids were never adopted by
//! the store's signatures, so they are gone rather than half used; ids are `i64` throughout.)

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl $name {
            /// Path segments are user input: anything that is not a positive integer names nothing.
            pub fn parse(raw: &str) -> Option<Self> {
                raw.parse::<i64>().ok().filter(|v| *v > 0).map(Self)
            }
        }
    )*};
}

id_type!(AccountId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_only_positive_integers() {
        assert_eq!(AccountId::parse("12"), Some(AccountId(12)));
        assert_eq!(AccountId::parse("0"), None);
        assert_eq!(AccountId::parse("-3"), None);
        assert_eq!(AccountId::parse("abc"), None);
        assert_eq!(AccountId::parse("99999999999999999999"), None);
    }
}
