//! Compiles the shopper's words from `templates/{en,it,ar}.json`, the one
//! catalogue the emails, the confirmation pages and the widget share, into
//! Rust statics: no JSON parser ships to shoppers, and a key missing from
//! any language fails the build.
//!
//! `Shelf` holds what product pages say (section `shelf`); `OrderWords` what
//! order pages say (section `order_page`, and the sections the emails use
//! for the same things: options, choices, cancellations). Each build keeps
//! only the statics it uses, so a product page never pays for order words.

// A build script says what is wrong by failing the build.
#![allow(clippy::panic, clippy::expect_used)]

use std::fmt::Write;
use std::path::PathBuf;

const LANGUAGES: [&str; 3] = ["en", "it", "ar"];

/// `(section, keys to take (all when empty), field prefix)`.
type Source = (&'static str, &'static [&'static str], &'static str);

const SHELF: &[Source] = &[("shelf", &[], "")];
const ORDER: &[Source] = &[
    ("order_page", &[], ""),
    ("option", &[], "option_"),
    (
        "choice_confirmed",
        &[
            "keep_waiting",
            "switch_item",
            "ship_available_now",
            "store_credit",
            "cancel",
            "credit",
            "expedited",
        ],
        "chose_",
    ),
    (
        "cancelled",
        &["chosen", "no_consent", "refund"],
        "cancelled_",
    ),
    (
        "page",
        &["recorded", "already_chosen", "offer_closed", "invalid_link"],
        "answer_",
    ),
    (
        "page",
        &[
            "new_link_how",
            "new_link_label",
            "new_link_button",
            "new_link_sent",
        ],
        "",
    ),
    ("delay_notice", &["what_happened", "what_we_do"], "delay_"),
    ("receipt", &["bill_shipping", "bill_total"], ""),
    ("us_rule", &["consent"], "us_rule_"),
];

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../templates");
    let catalogues: Vec<serde_json::Value> = LANGUAGES
        .iter()
        .map(|lang| {
            let path = root.join(format!("{lang}.json"));
            println!("cargo::rerun-if-changed={}", path.display());
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
            serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
        })
        .collect();
    let mut out = String::new();
    generate(&mut out, "Shelf", "SHELF", SHELF, &catalogues);
    generate(&mut out, "OrderWords", "ORDER", ORDER, &catalogues);
    let target =
        PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("words.rs");
    std::fs::write(&target, out).expect("the generated words can be written");
}

fn generate(
    out: &mut String,
    name: &str,
    table: &str,
    sources: &[Source],
    catalogues: &[serde_json::Value],
) {
    // The fields, in the order English lists them.
    let mut fields = Vec::new();
    for (section, keys, prefix) in sources {
        let english = catalogues[0][section]
            .as_object()
            .unwrap_or_else(|| panic!("templates/en.json has no section {section}"));
        for key in english.keys() {
            if keys.is_empty() || keys.contains(&key.as_str()) {
                fields.push((*section, key.clone(), format!("{prefix}{key}")));
            }
        }
    }
    let _ = writeln!(
        out,
        "#[derive(Debug)]\n#[allow(dead_code)]\npub struct {name} {{"
    );
    for (_, _, field) in &fields {
        let _ = writeln!(out, "    pub {field}: &'static str,");
    }
    let _ = writeln!(
        out,
        "}}\n\n/// English, Italian, Arabic.\n#[allow(dead_code)]\npub static {table}: [{name}; 3] = ["
    );
    for (lang, catalogue) in LANGUAGES.iter().zip(catalogues) {
        let _ = writeln!(out, "    {name} {{");
        for (section, key, field) in &fields {
            let text = catalogue[section][key]
                .as_str()
                .unwrap_or_else(|| panic!("templates/{lang}.json has no {section}.{key}"));
            let english = catalogues[0][section][key].as_str().unwrap_or_default();
            assert_eq!(
                placeholders(text),
                placeholders(english),
                "templates/{lang}.json: {section}.{key} must use the same placeholders as English"
            );
            let _ = writeln!(out, "        {field}: {text:?},");
        }
        let _ = writeln!(out, "    }},");
    }
    let _ = writeln!(out, "];\n");
}

/// The `{name}`s in a text, sorted.
fn placeholders(text: &str) -> Vec<&str> {
    let mut names: Vec<&str> = text
        .split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect();
    names.sort_unstable();
    names
}
