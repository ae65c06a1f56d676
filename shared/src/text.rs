//! What merchants' texts may hold. A reason or a name is shown to shoppers
//! as written, so it may not hold characters that act rather than show:
//! control characters (line breaks, escapes) and the bidi embedding,
//! override and isolate controls, with which a text can turn the words
//! around it backwards (U+202E RIGHT-TO-LEFT OVERRIDE).

/// Bidi controls: LRE, RLE, PDF, LRO, RLO (U+202A–U+202E) and LRI, RLI,
/// FSI, PDI (U+2066–U+2069).
pub fn is_bidi_control(ch: char) -> bool {
    matches!(ch, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Whether a merchant's text holds a character it may not.
pub fn has_hidden_controls(text: &str) -> bool {
    text.chars()
        .any(|ch| ch.is_control() || is_bidi_control(ch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_isolates_and_line_breaks_are_refused_and_words_are_not() {
        for bad in [
            "abc\u{202E}fed",
            "a\u{2067}b",
            "line\nbreak",
            "tab\there",
            "\u{202A}",
        ] {
            assert!(has_hidden_controls(bad), "{bad:?}");
        }
        for good in [
            "Held at port",
            "In arrivo dal porto",
            "تأخرت الشحنة",
            "שלום",
            "né — ok",
        ] {
            assert!(!has_hidden_controls(good), "{good:?}");
        }
    }
}
