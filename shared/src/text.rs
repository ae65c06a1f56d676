//! What merchants' texts may hold. A reason, a banner or a sender's name is
//! shown to shoppers as written, so it may not hold characters that act
//! rather than show: control characters (line breaks, escapes), Unicode's
//! bidi controls, with which a text can turn the words around it backwards
//! (U+202E RIGHT-TO-LEFT OVERRIDE), and the other invisible format
//! characters (zero-width spaces and joiners, the byte-order mark, tags),
//! which hide text from a reader and from a search.

/// Unicode's `Bidi_Control` characters: ALM (U+061C), LRM and RLM
/// (U+200E, U+200F), the embeddings and overrides (U+202A–U+202E) and the
/// isolates (U+2066–U+2069).
pub fn is_bidi_control(ch: char) -> bool {
    matches!(
        ch,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters that take no room but act: Unicode's format characters
/// (general category `Cf`, of which the bidi controls are part) and the
/// line and paragraph separators (U+2028, U+2029).
pub fn is_invisible_format(ch: char) -> bool {
    matches!(
        ch,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Whether a merchant's text is 1 to `max` characters (as written, spaces
/// counted) and not only spaces: the rule the API's document states.
pub fn fits(text: &str, max: usize) -> bool {
    (1..=max).contains(&text.chars().count()) && !text.trim().is_empty()
}

/// Whether a merchant's text holds a character it may not.
pub fn has_hidden_controls(text: &str) -> bool {
    text.chars()
        .any(|ch| ch.is_control() || is_invisible_format(ch))
}

/// A merchant's text for customers, as they wrote it: once (shown to every
/// customer as written) or per language, `{"en": "…", "it": "…"}`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
pub enum MerchantText {
    One(String),
    /// In the order of the languages; a list, not a map, because the
    /// widget carries this type and a map's code costs it a kilobyte.
    ByLanguage(#[serde(with = "by_language")] Vec<(crate::lifecycle::Locale, String)>),
}

/// `{"en": "…", "it": "…"}` as a list of pairs, each language once. Read
/// and written as a struct, not a map: the worker's queues carry values as
/// JavaScript objects, in which a map would arrive empty.
mod by_language {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use crate::lifecycle::Locale;

    #[derive(Serialize, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Texts {
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::present"
        )]
        en: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::present"
        )]
        it: Option<String>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::present"
        )]
        ar: Option<String>,
    }

    pub fn serialize<S: Serializer>(texts: &[(Locale, String)], to: S) -> Result<S::Ok, S::Error> {
        let of = |wanted: Locale| {
            texts
                .iter()
                .find(|(locale, _)| *locale == wanted)
                .map(|(_, text)| text.clone())
        };
        Texts {
            en: of(Locale::En),
            it: of(Locale::It),
            ar: of(Locale::Ar),
        }
        .serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        from: D,
    ) -> Result<Vec<(Locale, String)>, D::Error> {
        let texts = Texts::deserialize(from)?;
        Ok([
            (Locale::En, texts.en),
            (Locale::It, texts.it),
            (Locale::Ar, texts.ar),
        ]
        .into_iter()
        .filter_map(|(locale, text)| Some((locale, text?)))
        .collect())
    }
}

impl MerchantText {
    /// The text for a customer who reads `wanted`: theirs, else the shop's
    /// language's, else the first written; with the language it is in when
    /// the merchant said (`None` for a text written once).
    pub fn pick(
        &self,
        wanted: crate::lifecycle::Locale,
        shop: crate::lifecycle::Locale,
    ) -> (&str, Option<crate::lifecycle::Locale>) {
        match self {
            MerchantText::One(text) => (text, None),
            MerchantText::ByLanguage(texts) => {
                let find =
                    |locale: crate::lifecycle::Locale| texts.iter().find(|(l, _)| *l == locale);
                find(wanted)
                    .or_else(|| find(shop))
                    .or_else(|| texts.first())
                    .map_or(("", None), |(locale, text)| (text.as_str(), Some(*locale)))
            }
        }
    }

    /// Every text written, in whatever language.
    pub fn texts(&self) -> Vec<&str> {
        match self {
            MerchantText::One(text) => vec![text.as_str()],
            MerchantText::ByLanguage(texts) => {
                texts.iter().map(|(_, text)| text.as_str()).collect()
            }
        }
    }

    /// Each text without the spaces around it.
    pub fn trimmed(&self) -> MerchantText {
        match self {
            MerchantText::One(text) => MerchantText::One(text.trim().to_owned()),
            MerchantText::ByLanguage(texts) => MerchantText::ByLanguage(
                texts
                    .iter()
                    .map(|(locale, text)| (*locale, text.trim().to_owned()))
                    .collect(),
            ),
        }
    }

    /// Whether it is exactly `text`, written once.
    pub fn is(&self, text: &str) -> bool {
        matches!(self, MerchantText::One(one) if one == text)
    }
}

impl From<&str> for MerchantText {
    fn from(text: &str) -> MerchantText {
        MerchantText::One(text.to_owned())
    }
}

impl From<String> for MerchantText {
    fn from(text: String) -> MerchantText {
        MerchantText::One(text)
    }
}

/// The longest product name kept.
pub const MAX_NAME_CHARS: usize = 100;

/// A product's name as a store sends it, made fit to show: characters that
/// act rather than show are dropped, runs of spaces become one, and it is
/// cut to [`MAX_NAME_CHARS`]; `None` when nothing is left.
pub fn product_name(raw: &str) -> Option<String> {
    let kept: String = raw
        .chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .filter(|ch| !is_invisible_format(*ch))
        .collect();
    let name: String = kept
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    let name = name.trim_end().to_owned();
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_product_name_keeps_its_words_and_drops_what_acts() {
        assert_eq!(
            product_name("  Trail tent\n2-person \u{202E}green ").as_deref(),
            Some("Trail tent 2-person green")
        );
        assert_eq!(product_name("خيمة \u{200F}").as_deref(), Some("خيمة"));
        assert_eq!(product_name(" \u{200B}\t"), None);
        let long = "x".repeat(150);
        assert_eq!(product_name(&long).map(|n| n.chars().count()), Some(100));
    }

    #[test]
    fn overrides_isolates_and_line_breaks_are_refused_and_words_are_not() {
        for bad in [
            "abc\u{202E}fed",
            "a\u{2067}b",
            "line\nbreak",
            "tab\there",
            "\u{202A}",
            "left\u{200E}mark",
            "right\u{200F}mark",
            "arabic\u{061C}mark",
            "line\u{2028}separator",
            "zero\u{200B}width",
            "zero\u{200D}joiner",
            "bom\u{FEFF}",
            "tag\u{E0041}",
        ] {
            assert!(has_hidden_controls(bad), "{bad:?}");
        }
        for good in [
            "Held at port",
            "In arrivo dal porto",
            "تأخرت الشحنة",
            "שלום",
            "né — ok",
            "Zoë’s «tent»",
        ] {
            assert!(!has_hidden_controls(good), "{good:?}");
        }
    }

    #[test]
    fn every_bidi_control_is_an_invisible_format_character() {
        for ch in [
            '\u{061C}', '\u{200E}', '\u{200F}', '\u{202A}', '\u{202E}', '\u{2066}', '\u{2069}',
        ] {
            assert!(is_bidi_control(ch) && is_invisible_format(ch), "{ch:?}");
        }
        assert!(!is_bidi_control('\u{200D}') && is_invisible_format('\u{200D}'));
    }
}

#[cfg(test)]
mod merchant_text_tests {
    use super::*;
    use crate::lifecycle::Locale;

    #[test]
    fn a_text_per_language_is_read_and_picked_for_the_customer() {
        let text: MerchantText =
            serde_json::from_str(r#"{"en": "Held at port", "it": "Trattenuto in porto"}"#)
                .expect("a text per language");
        assert_eq!(
            text.pick(Locale::It, Locale::En),
            ("Trattenuto in porto", Some(Locale::It))
        );
        assert_eq!(
            text.pick(Locale::Ar, Locale::En),
            ("Held at port", Some(Locale::En))
        );
        assert_eq!(
            serde_json::to_string(&text).expect("serialises"),
            r#"{"en":"Held at port","it":"Trattenuto in porto"}"#
        );
        let one: MerchantText = serde_json::from_str(r#""Held""#).expect("one text");
        assert_eq!(one.pick(Locale::Ar, Locale::En), ("Held", None));
        assert_eq!(
            serde_json::to_string(&one).expect("serialises"),
            r#""Held""#
        );
        assert!(serde_json::from_str::<MerchantText>(r#"{"fr": "Retenu"}"#).is_err());
        assert!(serde_json::from_str::<MerchantText>(r#"{"en": "Held", "ar": null}"#).is_err());
    }
}
