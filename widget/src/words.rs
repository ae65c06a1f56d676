//! Every word the widget shows a shopper, in English, Italian and Arabic.
//! They live in `templates/{en,it,ar}.json` beside the emails' words, and
//! `build.rs` compiles them into the statics below (`SHELF` for product
//! pages, `ORDER` for order pages), indexed by [`Lang`].

use shared::lifecycle::Locale;

include!(concat!(env!("OUT_DIR"), "/words.rs"));

/// Which language the widget speaks on this page, and the tag `Intl`
/// formats dates and amounts with (the page's own, e.g. `en-GB`, when it
/// is in that language).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Speech {
    pub locale: Locale,
    pub tag: String,
}

impl Speech {
    /// The page's language if the widget speaks it, else the shop's, else
    /// English.
    pub fn choose(page: Option<&str>, shop: Option<&str>) -> Speech {
        let known = |tag: Option<&str>| {
            let tag = tag?.trim();
            Locale::from_tag(tag).map(|locale| (locale, tag.replace('_', "-")))
        };
        let (locale, tag) = known(page)
            .or_else(|| known(shop))
            .unwrap_or((Locale::En, "en".to_owned()));
        Speech { locale, tag }
    }

    fn index(&self) -> usize {
        match self.locale {
            Locale::En => 0,
            Locale::It => 1,
            Locale::Ar => 2,
        }
    }

    #[cfg(feature = "shelf")]
    pub fn shelf(&self) -> &'static Shelf {
        &SHELF[self.index()]
    }

    #[cfg(feature = "order")]
    pub fn order(&self) -> &'static OrderWords {
        &ORDER[self.index()]
    }

    /// `rtl` for Arabic, else `ltr`.
    pub fn dir(&self) -> &'static str {
        match self.locale {
            Locale::Ar => "rtl",
            Locale::En | Locale::It => "ltr",
        }
    }

    pub fn lang(&self) -> &'static str {
        self.locale.code()
    }
}

/// `text` with each `{name}` replaced by its value.
pub fn fill(text: &str, values: &[(&str, &str)]) -> String {
    let mut out = text.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), value);
    }
    out
}

/// `text` split around its one `{name}`, to wrap the value in markup.
#[cfg(feature = "shelf")]
pub fn around<'a>(text: &'a str, name: &str) -> (&'a str, &'a str) {
    text.split_once(&format!("{{{name}}}"))
        .unwrap_or((text, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_page_language_wins_then_the_shops_then_english() {
        assert_eq!(Speech::choose(Some("it-IT"), Some("ar")).tag, "it-IT");
        assert_eq!(Speech::choose(Some("fr"), Some("ar")).locale, Locale::Ar);
        assert_eq!(Speech::choose(Some("fr"), Some("ar")).tag, "ar");
        assert_eq!(Speech::choose(None, None).locale, Locale::En);
        assert_eq!(Speech::choose(Some("ar_EG"), None).tag, "ar-EG");
        assert_eq!(Speech::choose(Some("ar"), None).dir(), "rtl");
    }

    #[test]
    fn every_language_fills_the_same_placeholders() {
        for words in &SHELF {
            assert!(words.ships.contains("{range}"), "{:?}", words.ships);
            assert!(words.estimate.contains("{why}"));
        }
        assert_eq!(fill("ships {range}.", &[("range", "soon")]), "ships soon.");
        #[cfg(feature = "shelf")]
        assert_eq!(around("a {x} b", "x"), ("a ", " b"));
    }
}
