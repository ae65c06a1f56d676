//! What every shopper of a shop may read: its language and the site-wide
//! banner the merchant turns on when backorders pile up. The shop's object
//! keeps the banner and writes this public copy to KV whenever either
//! changes; the product read hands it to the widget with the products, so a
//! page makes no extra request for it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use shared::Date;
use shared::lifecycle::Locale;

use crate::error::{EdgeError, invalid};

/// The longest banner text a merchant may set, in characters.
const MAX_BANNER_CHARS: usize = 280;

/// The banner as the merchant sets it: its words in one or more of the
/// widget's languages, and the last day it shows (UTC, inclusive).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Banner {
    pub messages: BTreeMap<String, String>,
    pub ends_on: Date,
}

impl Banner {
    pub fn check(&self, today: Date) -> Result<(), EdgeError> {
        if self.messages.is_empty() {
            return Err(invalid("messages", "at least one language's words"));
        }
        for (lang, text) in &self.messages {
            if Locale::from_tag(lang).is_none_or(|locale| locale.code() != lang) {
                return Err(invalid("messages", format!("{lang:?}: en, it or ar")));
            }
            if !shared::text::fits(text, MAX_BANNER_CHARS) {
                return Err(invalid(
                    "messages",
                    format!("{lang}: 1 to {MAX_BANNER_CHARS} characters"),
                ));
            }
            if shared::text::has_hidden_controls(text) {
                return Err(invalid(
                    "messages",
                    format!("{lang}: no control, bidi control or other invisible characters"),
                ));
            }
        }
        if self.ends_on < today {
            return Err(invalid("ends_on", "today or a later day"));
        }
        Ok(())
    }

    /// Whether it still shows on `today`.
    pub fn shows_on(&self, today: Date) -> bool {
        today <= self.ends_on
    }
}

/// The public copy in KV.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct ShopFront {
    pub locale: String,
    pub banner: Option<Banner>,
}

impl ShopFront {
    /// As shoppers read it on `today`: a banner past its end is gone.
    pub fn shown_on(mut self, today: Date) -> ShopFront {
        self.banner = self.banner.filter(|banner| banner.shows_on(today));
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn banner(messages: &[(&str, &str)], ends_on: &str) -> Banner {
        Banner {
            messages: messages
                .iter()
                .map(|(lang, text)| ((*lang).to_owned(), (*text).to_owned()))
                .collect(),
            ends_on: ends_on.parse().expect("a date"),
        }
    }

    #[test]
    fn a_banner_needs_words_in_our_languages_and_an_end_not_past() {
        let today: Date = "2026-11-23".parse().expect("a date");
        assert!(
            banner(&[("en", "Orders ship late this week.")], "2026-11-23")
                .check(today)
                .is_ok()
        );
        assert!(banner(&[], "2026-12-01").check(today).is_err());
        assert!(
            banner(&[("fr", "Bonjour")], "2026-12-01")
                .check(today)
                .is_err()
        );
        assert!(
            banner(&[("en-GB", "Hi")], "2026-12-01")
                .check(today)
                .is_err()
        );
        assert!(banner(&[("en", " ")], "2026-12-01").check(today).is_err());
        assert!(
            banner(&[("en", "a\u{202E}b")], "2026-12-01")
                .check(today)
                .is_err()
        );
        assert!(
            banner(&[("en", &"x".repeat(281))], "2026-12-01")
                .check(today)
                .is_err()
        );
        assert!(
            banner(&[("en", "Late")], "2026-11-22")
                .check(today)
                .is_err()
        );
        let shown = banner(&[("it", "Spedizioni in ritardo")], "2026-11-30");
        assert!(shown.shows_on(today) && !shown.shows_on("2026-12-01".parse().expect("a date")));
    }
}
