//! The shop's FAQ: a plain account of its backorder process, written from
//! its own policy (which options a delay offers, how long an offer stays
//! open, the store-credit bonus, the US rule where it applies), in the
//! customer's language, as an HTML fragment or Markdown for a help centre.
//! Public and cacheable: it says nothing a product page does not.

use serde_json::{Value, json};
use shared::ShopId;
use shared::lifecycle::{Locale, us_rule};
use worker::{Request, Response};

use super::ShopRecords;
use super::templates::locale_param;
use crate::error::{EdgeError, invalid};
use crate::http;
use crate::mail::render;

/// How long a help centre or a browser may keep one: a changed policy shows
/// within this.
const FAQ_MAX_AGE_SECONDS: u32 = 300;

/// Which form the FAQ is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Html,
    Markdown,
}

impl ShopRecords {
    /// `GET …/faq?lang=en|it|ar&format=html|markdown`; the shop's language
    /// and HTML unless asked.
    pub(super) fn faq(&self, req: &Request, shop: &ShopId) -> Result<Response, EdgeError> {
        let policy = self.policy()?;
        let locale = match http::query_param(req, "lang") {
            Some(lang) => locale_param(&lang)?,
            None => policy.locale(),
        };
        let format = match http::query_param(req, "format").as_deref() {
            None | Some("html") => Format::Html,
            Some("markdown" | "md") => Format::Markdown,
            Some(_) => return Err(invalid("format", "html or markdown")),
        };
        let name = self.shop_name(shop)?;
        let options = policy.options();
        let offered: Vec<&str> = [
            (
                options.keep_waiting,
                match policy.free_expedited_shipping() {
                    true => "keep_waiting_expedited",
                    false => "keep_waiting",
                },
            ),
            (options.switch_item, "switch_item"),
            (options.ship_available_now, "ship_available_now"),
            (options.store_credit, "store_credit"),
            (options.cancel, "cancel"),
        ]
        .into_iter()
        .filter_map(|(on, key)| on.then_some(key))
        .collect();
        let (transit_min, transit_max) = policy.transit_days();
        let facts = json!({
            "shop": match format {
                Format::Html => name,
                Format::Markdown => markdown_text(&name),
            },
            "lang": locale.code(),
            "dir": render::direction(locale),
            "t": render::catalog(locale),
            "transit_min": transit_min,
            "transit_max": transit_max,
            "nurture_days": policy.nurture_every_days(),
            "offer_days": policy.offer_lifetime_days(),
            "options": offered,
            "store_credit": options.store_credit,
            "bonus": policy.store_credit_bonus_percent(),
            "refund_days": us_rule::PROMPT_REFUND_WORKING_DAYS,
            "us_rule": policy.us_mail_order_rule(),
        });
        faq_response(locale, format, &facts)
    }
}

fn faq_response(locale: Locale, format: Format, facts: &Value) -> Result<Response, EdgeError> {
    let (template, content_type) = match format {
        Format::Html => ("faq.html", "text/html; charset=utf-8"),
        Format::Markdown => ("faq.md", "text/markdown; charset=utf-8"),
    };
    let text = render::faq(template, facts)
        .map_err(|err| EdgeError::Internal(format!("the FAQ template: {err}")))?;
    let mut response = Response::ok(text)?;
    let headers = response.headers_mut();
    headers.set("Content-Type", content_type)?;
    headers.set("Content-Language", locale.code())?;
    headers.set(
        "Cache-Control",
        &format!("public, max-age={FAQ_MAX_AGE_SECONDS}"),
    )?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Content-Security-Policy", "default-src 'none'")?;
    Ok(response)
}

/// A name as Markdown text: every character Markdown could read as markup
/// is escaped, so a shop called `*Sale*` stays those six characters.
fn markdown_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        if matches!(
            ch,
            '\\' | '`'
                | '*'
                | '_'
                | '{'
                | '}'
                | '['
                | ']'
                | '('
                | ')'
                | '#'
                | '+'
                | '-'
                | '.'
                | '!'
                | '<'
                | '>'
                | '|'
        ) {
            out.push('\\');
        }
        out.push(if ch.is_control() { ' ' } else { ch });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_in_a_shop_name_stays_text_in_markdown() {
        assert_eq!(markdown_text("*Sale* [x](y)"), "\\*Sale\\* \\[x\\]\\(y\\)");
        assert_eq!(markdown_text("Trailhead\nGear"), "Trailhead Gear");
    }
}
