//! Identifiers that come from outside (URLs, webhooks) and end up in storage
//! keys: parsed once at the edge so that the rest of the code cannot hold an
//! invalid one.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a text is not a valid shop id or SKU.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IdError {
    Empty,
    TooLong {
        max: usize,
    },
    BadCharacter(char),
    /// `.` and `..` are steps in a URL's path, which clients and servers
    /// resolve before we see them: an id of dots alone is unreachable.
    OnlyDots,
}

impl fmt::Display for IdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdError::Empty => f.write_str("must not be empty"),
            IdError::TooLong { max } => write!(f, "must be at most {max} characters"),
            IdError::OnlyDots => f.write_str("must hold something other than dots"),
            IdError::BadCharacter(c) => {
                write!(
                    f,
                    "may hold only letters, digits, '.', '_' and '-', not {c:?}"
                )
            }
        }
    }
}

impl std::error::Error for IdError {}

/// The longest id we accept; it keeps KV keys far below their 512-byte limit.
const MAX_ID_LEN: usize = 64;

fn check_id(text: &str) -> Result<(), IdError> {
    if text.is_empty() {
        return Err(IdError::Empty);
    }
    if text.len() > MAX_ID_LEN {
        return Err(IdError::TooLong { max: MAX_ID_LEN });
    }
    let mut dots_only = true;
    for c in text.chars() {
        if !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-')) {
            return Err(IdError::BadCharacter(c));
        }
        dots_only &= c == '.';
    }
    if dots_only {
        Err(IdError::OnlyDots)
    } else {
        Ok(())
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        // The bare id, which keeps logs and scenario snapshots readable.
        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl $name {
            pub fn parse(text: &str) -> Result<$name, IdError> {
                check_id(text).map(|()| $name(text.to_owned()))
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = IdError;

            fn try_from(text: String) -> Result<$name, IdError> {
                check_id(&text).map(|()| $name(text))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type! {
    /// A merchant's shop, as named in the widget's script URL and the API paths.
    ShopId
}

id_type! {
    /// A stock-keeping unit: one orderable variant of a product.
    Sku
}

id_type! {
    /// The store platform's id of an order.
    OrderId
}

id_type! {
    /// An opaque id for a customer: never a name or an email address, so
    /// that no customer PII travels with the lifecycle.
    CustomerId
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_ids_and_rejects_the_rest() {
        assert!(Sku::parse("TENT-2P.green_v2").is_ok());
        assert_eq!(Sku::parse(""), Err(IdError::Empty));
        assert_eq!(Sku::parse("a/b"), Err(IdError::BadCharacter('/')));
        assert_eq!(Sku::parse("é"), Err(IdError::BadCharacter('é')));
        assert_eq!(ShopId::parse("."), Err(IdError::OnlyDots));
        assert_eq!(ShopId::parse(".."), Err(IdError::OnlyDots));
        assert!(ShopId::parse("..a").is_ok());
        assert_eq!(
            ShopId::parse(&"x".repeat(65)),
            Err(IdError::TooLong { max: 64 })
        );
        assert!(ShopId::parse(&"x".repeat(64)).is_ok());
    }

    #[test]
    fn deserialising_validates() {
        assert!(serde_json::from_str::<Sku>("\"ok-1\"").is_ok());
        assert!(serde_json::from_str::<Sku>("\"not ok\"").is_err());
    }
}
