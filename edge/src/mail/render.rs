//! Templates into an email: MiniJinja with HTML auto-escaping for `.html`
//! names, strict about undefined values (a typo in a merchant's template is
//! an error, not a blank), one layout per format, the wording of each
//! language from `templates/{lang}.json`.

use minijinja::value::{Kwargs, Serde, Value};
use minijinja::{AutoEscape, Environment, Error, ErrorKind, State, UndefinedBehavior};
use serde::{Deserialize, Serialize};
use shared::lifecycle::Locale;

macro_rules! mail_templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../../../templates/mail/", $name)))),*]
    };
}

/// The templates we ship, by name; a merchant may override any of them per
/// language.
const BUILT_IN: &[(&str, &str)] = mail_templates![
    "layout.html",
    "layout.txt",
    "receipt.html",
    "receipt.txt",
    "restocked.html",
    "restocked.txt",
    "processed.html",
    "processed.txt",
    "shipped.html",
    "shipped.txt",
    "follow_up.html",
    "follow_up.txt",
    "win_back.html",
    "win_back.txt",
    "nurture.html",
    "nurture.txt",
    "delay_notice.html",
    "delay_notice.txt",
    "choice_confirmed.html",
    "choice_confirmed.txt",
    "cancelled.html",
    "cancelled.txt",
    "order_link.html",
    "order_link.txt",
    "watch_confirm.html",
    "watch_confirm.txt",
    "back_in_stock.html",
    "back_in_stock.txt",
];

const PAGE: &str = include_str!("../../../templates/pages/page.html");
const ORDER_PAGE: &str = include_str!("../../../templates/pages/order.html");
const FAQ_HTML: &str = include_str!("../../../templates/pages/faq.html");
const FAQ_MARKDOWN: &str = include_str!("../../../templates/pages/faq.md");

/// The longest template a merchant may store.
pub const MAX_TEMPLATE_BYTES: usize = 64 * 1024;
/// The longest subject line sent; longer ones are cut.
const MAX_SUBJECT_CHARS: usize = 200;
/// The most work one render may do, in MiniJinja's fuel (one per
/// instruction, one per 64 bytes made). Our own templates use a tenth of
/// it at most (each preview says how much); a merchant's template that needs
/// more is refused when it is stored, and ours goes in its place if one
/// runs out when an email is sent. Without a bound, two nested loops
/// stopped the worker for every shop.
pub const TEMPLATE_FUEL: u64 = 200_000;

pub fn built_in(name: &str) -> Option<&'static str> {
    BUILT_IN
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, source)| *source)
}

/// The wording of one language, as JSON.
pub fn catalog(locale: Locale) -> serde_json::Value {
    let source = match locale {
        Locale::En => include_str!("../../../templates/en.json"),
        Locale::It => include_str!("../../../templates/it.json"),
        Locale::Ar => include_str!("../../../templates/ar.json"),
    };
    // The catalogues are ours and checked by a unit test.
    serde_json::from_str(source).unwrap_or_default()
}

pub fn direction(locale: Locale) -> &'static str {
    match locale {
        Locale::Ar => "rtl",
        Locale::En | Locale::It => "ltr",
    }
}

/// What a template could not do, and where.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateError {
    pub template: String,
    pub line: Option<usize>,
    pub reason: String,
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "{} line {line}: {}", self.template, self.reason),
            None => write!(f, "{}: {}", self.template, self.reason),
        }
    }
}

impl From<Error> for TemplateError {
    fn from(err: Error) -> TemplateError {
        let reason = match err.detail() {
            _ if err.kind() == ErrorKind::OutOfFuel => format!(
                "the template needs more work than the {TEMPLATE_FUEL} steps one email may take (a loop too long?)"
            ),
            Some(detail) => format!("{}: {detail}", err.kind()),
            None => err.kind().to_string(),
        };
        TemplateError {
            template: err.name().unwrap_or("template").to_owned(),
            line: err.line(),
            reason,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rendered {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// The fuel the larger of its two renders (text with subject, HTML)
    /// used, of [`TEMPLATE_FUEL`].
    #[serde(default)]
    pub fuel: u64,
}

/// Puts values into a sentence: `{{ t.x | fill(range=ship) }}` replaces
/// `{range}`. A value is wrapped in Unicode isolates (FSI … PDI) where the
/// direction needs it (see [`placed`]), so that a value in another script
/// keeps its own direction and cannot turn the sentence around.
fn fill(state: &State, text: String, kwargs: Kwargs) -> Result<String, Error> {
    let rtl = state
        .lookup("dir")
        .is_some_and(|dir| dir.as_str() == Some("rtl"));
    let names: Vec<String> = kwargs.args().map(str::to_owned).collect();
    let mut out = text;
    for name in names {
        let value: Value = kwargs.get(&name)?;
        if value.is_undefined() {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                format!("the value for {{{name}}} is undefined"),
            ));
        }
        let shown = if value.is_none() {
            String::new()
        } else {
            value.to_string()
        };
        out = out.replace(&format!("{{{name}}}"), &placed(rtl, &shown));
    }
    kwargs.assert_all_used()?;
    Ok(out)
}

/// A value as it goes into a sentence: in isolates (FIRST STRONG ISOLATE …
/// POP DIRECTIONAL ISOLATE) when the sentence runs right to left or the
/// value holds right-to-left letters, and as it is otherwise. In English
/// and Italian a number, date or tracking number then stays plain text, so
/// that a customer who copies it, or searches their mailbox for
/// "Order 7001", finds what they see.
pub fn placed(rtl: bool, value: &str) -> String {
    if rtl || value.chars().any(is_strong_rtl) {
        format!("\u{2068}{value}\u{2069}")
    } else {
        value.to_owned()
    }
}

/// Letters of the right-to-left scripts (Hebrew, Arabic, Syriac, Thaana,
/// N'Ko and the rest of their blocks, and their presentation forms).
fn is_strong_rtl(ch: char) -> bool {
    matches!(ch,
        '\u{0590}'..='\u{08FF}'
            | '\u{FB1D}'..='\u{FDFF}'
            | '\u{FE70}'..='\u{FEFF}'
            | '\u{10800}'..='\u{10FFF}'
            | '\u{1E800}'..='\u{1EFFF}')
}

/// Whether text in `lang` runs right to left.
pub fn is_rtl(lang: &str) -> bool {
    Locale::from_tag(lang).is_some_and(|locale| direction(locale) == "rtl")
}

/// Puts values into a sentence from Rust, as `fill` does in templates.
pub fn fill_str(text: &str, values: &[(&str, &str)], rtl: bool) -> String {
    let mut out = text.to_owned();
    for (name, value) in values {
        out = out.replace(&format!("{{{name}}}"), &placed(rtl, value));
    }
    out
}

/// The string at a dotted path of a catalogue, or the path itself so that a
/// missing word shows rather than vanishes.
pub fn say(catalog: &serde_json::Value, path: &str) -> String {
    path.split('.')
        .try_fold(catalog, |node, key| node.get(key))
        .and_then(serde_json::Value::as_str)
        .map_or_else(|| path.to_owned(), str::to_owned)
}

/// An environment holding `names` (ours, or the shop's where it has its
/// own), so that one email parses only the templates it uses.
fn environment<'a>(
    names: &[&str],
    overrides: &'a [(String, String)],
) -> Result<Environment<'a>, TemplateError> {
    let mut env = Environment::new();
    env.set_fuel(Some(TEMPLATE_FUEL));
    // `debug()` would write out the whole context, option links with their
    // tokens included.
    env.remove_global("debug");
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.add_filter("fill", fill);
    for name in names {
        let own = overrides.iter().find(|(other, _)| other == name);
        match own {
            Some((name, source)) => env.add_template_owned(name.as_str(), source.as_str())?,
            None => {
                let source = match *name {
                    "page.html" => Some(PAGE),
                    "order.html" => Some(ORDER_PAGE),
                    "faq.html" => Some(FAQ_HTML),
                    "faq.md" => Some(FAQ_MARKDOWN),
                    _ => built_in(name),
                };
                if let Some(source) = source {
                    env.add_template_owned(name.to_string(), source)?;
                }
            }
        }
    }
    Ok(env)
}

/// Renders one email of `kind` from its facts (which hold `t`, `lang`,
/// `dir` and the rest; see `templates/README.md`).
pub fn render(
    kind: &str,
    facts: &serde_json::Value,
    overrides: &[(String, String)],
) -> Result<Rendered, TemplateError> {
    let (html_name, text_name) = (format!("{kind}.html"), format!("{kind}.txt"));
    let env = environment(
        &["layout.html", "layout.txt", &html_name, &text_name],
        overrides,
    )?;
    let text_template = env.get_template(&text_name)?;
    let mut captured = text_template.render_captured(Value::from(Serde(facts)))?;
    let subject = captured.with_state_mut(|state| state.render_block("subject"))?;
    let subject = header_text(&subject, MAX_SUBJECT_CHARS);
    if subject.is_empty() {
        return Err(TemplateError {
            template: format!("{kind}.txt"),
            line: None,
            reason: "the subject block is empty".to_owned(),
        });
    }
    let used =
        |captured: &minijinja::Captured| captured.state().fuel_levels().map_or(0, |(used, _)| used);
    let text_fuel = used(&captured);
    let text = tidy_text(&captured.into_output());
    let mut html_facts = facts.clone();
    if let Some(object) = html_facts.as_object_mut() {
        object.insert(
            "subject".to_owned(),
            serde_json::Value::String(subject.clone()),
        );
    }
    let html = env
        .get_template(&html_name)?
        .render_captured(Value::from(Serde(&html_facts)))?;
    let fuel = text_fuel.max(used(&html));
    Ok(Rendered {
        subject,
        html: html.into_output(),
        text,
        fuel,
    })
}

/// A customer-facing page (confirmation, unsubscribe) from its facts.
pub fn page(facts: &serde_json::Value) -> Result<String, TemplateError> {
    render_page("page.html", facts)
}

/// The order's own page, with the live widget in it, from its facts.
pub fn order_page(facts: &serde_json::Value) -> Result<String, TemplateError> {
    render_page("order.html", facts)
}

/// The shop's FAQ from its facts: an HTML fragment (`faq.html`) or
/// Markdown (`faq.md`).
pub fn faq(name: &str, facts: &serde_json::Value) -> Result<String, TemplateError> {
    let env = environment(&[name], &[])?;
    Ok(env.get_template(name)?.render(Value::from(Serde(facts)))?)
}

fn render_page(name: &str, facts: &serde_json::Value) -> Result<String, TemplateError> {
    // Every page extends `page.html`.
    let env = environment(&["page.html", name], &[])?;
    Ok(env.get_template(name)?.render(Value::from(Serde(facts)))?)
}

/// Checks that a template compiles on its own.
pub fn compile(name: &str, source: &str) -> Result<(), TemplateError> {
    let mut env = Environment::new();
    env.add_template(name, source)?;
    Ok(())
}

/// Text for a mail header: one line, no control characters (no header
/// injection), no embedding or override characters (no spoofed direction;
/// the balanced isolates `fill` adds stay), at most `max` characters.
pub fn header_text(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .filter(|ch| !('\u{202A}'..='\u{202E}').contains(ch))
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    truncate(&words.join(" "), max)
}

/// Text that came from outside (customer names, merchant reasons, product
/// codes): control characters become spaces, every bidi control and other
/// invisible format character goes, and it is cut at `max` characters.
/// Escaping is the template's job.
pub fn outside_text(text: &str, max: usize) -> String {
    let cleaned: String = text
        .chars()
        .map(|ch| if ch.is_control() { ' ' } else { ch })
        .filter(|ch| !shared::text::is_invisible_format(*ch))
        .collect();
    let words: Vec<&str> = cleaned.split_whitespace().collect();
    truncate(&words.join(" "), max)
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

/// Plain text as a mail client shows it: no trailing spaces, at most one
/// blank line in a row.
fn tidy_text(text: &str) -> String {
    let mut out = String::new();
    let mut blank = 0;
    for line in text.lines().map(str::trim_end) {
        if line.is_empty() {
            blank += 1;
            if blank > 1 || out.is_empty() {
                continue;
            }
        } else {
            blank = 0;
        }
        out.push_str(line);
        out.push('\n');
    }
    out.trim_end().to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_template_compiles_and_every_kind_has_both_formats() {
        for (name, source) in BUILT_IN {
            compile(name, source).unwrap_or_else(|err| panic!("{err}"));
        }
        compile("page.html", PAGE).unwrap_or_else(|err| panic!("{err}"));
        for kind in shared::lifecycle::EmailKind::ALL.map(|kind| kind.code()) {
            assert!(built_in(&format!("{kind}.html")).is_some(), "{kind}.html");
            assert!(built_in(&format!("{kind}.txt")).is_some(), "{kind}.txt");
        }
    }

    /// Every language has every word English has, so no customer reads a
    /// key path instead of a sentence.
    #[test]
    fn every_language_has_every_word() {
        fn paths(value: &serde_json::Value, prefix: &str, out: &mut Vec<String>) {
            if let Some(object) = value.as_object() {
                for (key, child) in object {
                    paths(child, &format!("{prefix}{key}."), out);
                }
            } else {
                out.push(prefix.trim_end_matches('.').to_owned());
            }
        }
        let mut english = Vec::new();
        paths(&catalog(Locale::En), "", &mut english);
        assert!(english.len() > 50, "the English catalogue parsed");
        for locale in [Locale::It, Locale::Ar] {
            let mut other = Vec::new();
            paths(&catalog(locale), "", &mut other);
            english.sort();
            other.sort();
            assert_eq!(english, other, "{locale:?}");
        }
    }

    #[test]
    fn header_text_is_one_line_without_overrides() {
        assert_eq!(
            header_text("Order 1\r\nBcc: evil@example.com", 200),
            "Order 1 Bcc: evil@example.com"
        );
        assert_eq!(header_text("abc\u{202E}fed", 200), "abcfed");
        assert_eq!(header_text(&"x".repeat(300), 10).chars().count(), 10);
    }

    #[test]
    fn outside_text_loses_every_bidi_control() {
        assert_eq!(outside_text("\u{2067}Ada\u{2069} \u{202E}x", 50), "Ada x");
    }

    #[test]
    fn values_are_isolated_only_where_the_direction_needs_it() {
        assert_eq!(
            fill_str("ships {range}.", &[("range", "7–11 June")], false),
            "ships 7–11 June."
        );
        assert_eq!(
            fill_str("Order {order}", &[("order", "7001")], false),
            "Order 7001"
        );
        assert_eq!(
            fill_str("for {name}", &[("name", "مريم")], false),
            "for \u{2068}مريم\u{2069}"
        );
        assert_eq!(
            fill_str("الطلب {order}", &[("order", "7001")], true),
            "الطلب \u{2068}7001\u{2069}"
        );
    }
}
