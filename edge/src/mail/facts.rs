//! The facts a template sees: the core's `Email` with every date, range and
//! amount already written by `Intl` in the customer's language, every outside
//! text cleaned, and the signed links the customer clicks.

use serde_json::{Value, json};
use shared::lifecycle::{
    CancelCause, Choice, DelayNotice, Email, Locale, MAX_TEXT_CHARS, MISSED_FIX, MISSED_REASON,
    OfferId, OfferedOption, UsRuleTerms,
};
use shared::{Money, OrderId, ShipWindow, ShopId, Sku};

use super::intl;
use super::render::{self, direction, fill_str, outside_text, say};

/// The longest customer or shop name shown.
const MAX_NAME_CHARS: usize = 100;

/// Who the email is for and where its links lead.
#[derive(Clone, Debug)]
pub struct Addressing {
    pub locale: Locale,
    pub shop: ShopId,
    pub shop_name: String,
    pub order: OrderId,
    pub customer: Option<String>,
    /// The edge's public origin, e.g. `https://edge.example.com`.
    pub base_url: String,
    /// The order's capability token (`links.rs`).
    pub token: String,
    /// The shop's time zone (its policy's), for deadlines to the minute.
    pub time_zone: String,
    /// The items' names by SKU, as the store calls them.
    pub names: Vec<(Sku, String)>,
    /// The merchant's own order page (a URL template), else the edge's.
    pub order_page: Option<String>,
    /// The shop's language, for the merchant's words the customer's lacks.
    pub shop_locale: Locale,
}

impl Addressing {
    fn item(&self, sku: &Sku) -> String {
        item(&self.names, sku)
    }

    fn order_url(&self, action: &str, query: &[(&str, &str)]) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        serializer.append_pair("t", &self.token);
        serializer.append_pair("lang", self.locale.code());
        for (name, value) in query {
            serializer.append_pair(name, value);
        }
        format!(
            "{}/v1/shops/{}/orders/{}/{action}?{}",
            self.base_url.trim_end_matches('/'),
            self.shop,
            self.order,
            serializer.finish()
        )
    }

    /// The order's own page (served by the edge, with the live widget):
    /// every email links to it.
    pub fn order_page_url(&self) -> String {
        match &self.order_page {
            Some(template) => crate::links::order_page_url(
                template,
                self.order.as_str(),
                &self.token,
                self.locale.code(),
            ),
            None => self.order_url("page", &[]),
        }
    }

    /// Where an optional email's reader turns it off: the order's
    /// optional emails, or a watcher's watch.
    pub fn unsubscribe_url(&self, email: &Email) -> String {
        if email.is_to_watcher() {
            self.watcher_url("unsubscribe")
        } else {
            self.order_url("unsubscribe", &[])
        }
    }

    /// A page about a watcher's watch (`confirm`, `unsubscribe`): the
    /// addressing's `order` is the watcher's id, its token signed for it.
    pub fn watcher_url(&self, action: &str) -> String {
        let mut serializer = form_urlencoded::Serializer::new(String::new());
        serializer.append_pair("t", &self.token);
        serializer.append_pair("lang", self.locale.code());
        format!(
            "{}/v1/shops/{}/watchers/{}/{action}?{}",
            self.base_url.trim_end_matches('/'),
            self.shop,
            self.order,
            serializer.finish()
        )
    }

    pub fn confirm_url(&self, offer: OfferId, fields: &[(String, String)]) -> String {
        let offer = offer.0.to_string();
        let mut query: Vec<(&str, &str)> = vec![("offer", offer.as_str())];
        query.extend(
            fields
                .iter()
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        self.order_url("confirm", &query)
    }
}

/// Whether an email is marketing that a customer may turn off (RFC 8058
/// one-click), rather than news about their order they must get.
pub fn is_optional(email: &Email) -> bool {
    matches!(
        email,
        Email::FollowUp | Email::WinBack | Email::Nurture { offer: None, .. }
    )
}

/// Whether an email carries a way to stop it: every optional email, and
/// every email to a watcher (which stops that watch; a watcher asked for
/// it, so an order's unsubscribe does not hold it back).
pub fn can_unsubscribe(email: &Email) -> bool {
    is_optional(email) || email.is_to_watcher()
}

/// What the customer calls an item: its name, else its SKU.
pub fn item(names: &[(Sku, String)], sku: &Sku) -> String {
    let name = names
        .iter()
        .find(|(known, _)| known == sku)
        .map_or(sku.as_str(), |(_, name)| name.as_str());
    outside_text(name, MAX_NAME_CHARS)
}

/// One option of an offer, in words, with what the confirmation form posts.
#[derive(Clone, Debug)]
pub struct OptionWords {
    pub kind: &'static str,
    pub label: String,
    pub terms: String,
    /// `option` and, for a switch, `sku`.
    pub fields: Vec<(String, String)>,
}

/// Each option as a customer reads it; a switch gives one per alternative.
pub fn option_words(
    t: &Value,
    lang: &str,
    names: &[(Sku, String)],
    options: &[OfferedOption],
) -> Vec<OptionWords> {
    let rtl = render::is_rtl(lang);
    let mut words = Vec::new();
    for option in options {
        match option {
            OfferedOption::KeepWaiting { expedited } => words.push(OptionWords {
                kind: "keep_waiting",
                label: say(t, "option.keep_waiting"),
                terms: say(
                    t,
                    if *expedited {
                        "option.keep_waiting_expedited"
                    } else {
                        "option.keep_waiting_plain"
                    },
                ),
                fields: vec![("option".into(), "keep_waiting".into())],
            }),
            OfferedOption::SwitchItem { alternatives } => {
                for (from, into) in alternatives {
                    let (from_text, to_text) = (item(names, from), item(names, into));
                    words.push(OptionWords {
                        kind: "switch_item",
                        label: fill_str(&say(t, "option.switch_item"), &[("to", &to_text)], rtl),
                        terms: fill_str(
                            &say(t, "option.switch_item_terms"),
                            &[("from", &from_text), ("to", &to_text)],
                            rtl,
                        ),
                        fields: vec![
                            ("option".into(), "switch_item".into()),
                            ("sku".into(), into.as_str().to_owned()),
                        ],
                    });
                }
            }
            OfferedOption::ShipAvailableNow { skus } => {
                let list: Vec<String> = skus.iter().map(|sku| item(names, sku)).collect();
                words.push(OptionWords {
                    kind: "ship_available_now",
                    label: say(t, "option.ship_available_now"),
                    terms: fill_str(
                        &say(t, "option.ship_available_now_terms"),
                        &[("skus", &list.join(", "))],
                        rtl,
                    ),
                    fields: vec![("option".into(), "ship_available_now".into())],
                });
            }
            OfferedOption::StoreCredit { value, bonus } => {
                let total = value.checked_add(*bonus).unwrap_or(*value);
                words.push(OptionWords {
                    kind: "store_credit",
                    label: say(t, "option.store_credit"),
                    terms: fill_str(
                        &say(t, "option.store_credit_terms"),
                        &[
                            ("total", &intl::money(lang, total)),
                            ("value", &intl::money(lang, *value)),
                            ("bonus", &intl::money(lang, *bonus)),
                        ],
                        rtl,
                    ),
                    fields: vec![("option".into(), "store_credit".into())],
                });
            }
            OfferedOption::Cancel { refund } => words.push(OptionWords {
                kind: "cancel",
                label: say(t, "option.cancel"),
                terms: fill_str(
                    &say(t, "option.cancel_terms"),
                    &[("refund", &intl::money(lang, *refund))],
                    rtl,
                ),
                fields: vec![("option".into(), "cancel".into())],
            }),
        }
    }
    words
}

/// The choice a customer made, in a sentence.
pub fn choice_words(t: &Value, names: &[(Sku, String)], choice: &Choice, rtl: bool) -> String {
    match choice {
        Choice::KeepWaiting => say(t, "choice_confirmed.keep_waiting"),
        Choice::SwitchItem { sku } => fill_str(
            &say(t, "choice_confirmed.switch_item"),
            &[("sku", &item(names, sku))],
            rtl,
        ),
        Choice::ShipAvailableNow => say(t, "choice_confirmed.ship_available_now"),
        Choice::StoreCredit => say(t, "choice_confirmed.store_credit"),
        Choice::Cancel => say(t, "choice_confirmed.cancel"),
    }
}

fn range(lang: &str, window: Option<&ShipWindow>) -> Value {
    window.map_or(Value::Null, |window| {
        Value::String(intl::range(lang, window))
    })
}

fn money(lang: &str, amount: Money) -> String {
    intl::money(lang, amount)
}

fn us_rule(lang: &str, terms: &UsRuleTerms, time_zone: &str) -> Value {
    json!({
        "renewed": terms.renewed,
        "revised_ship_by": terms.revised_ship_by.map(|date| intl::date(lang, date)),
        "silence_is_consent": terms.silence_is_consent,
        "consent_by": terms.consent_by.map(|at| intl::instant(lang, at, time_zone)),
        "cancel_any_time": terms.cancel_any_time_until_shipped,
    })
}

fn delay(t: &Value, lang: &str, to: &Addressing, notice: &DelayNotice) -> Value {
    // The core's own words for a missed date are English: say them in the
    // customer's language. A merchant's words are shown as written.
    // A merchant's words in the customer's language if they gave it, else
    // the shop's, marked with the language they are in.
    let (reason, fix, text_lang) = if notice.reason.is(MISSED_REASON) && notice.fix.is(MISSED_FIX) {
        (
            say(t, "delay_notice.missed_reason"),
            say(t, "delay_notice.missed_fix"),
            None,
        )
    } else {
        let (reason, reason_lang) = notice.reason.pick(to.locale, to.shop_locale);
        let (fix, _) = notice.fix.pick(to.locale, to.shop_locale);
        (
            outside_text(reason, MAX_TEXT_CHARS),
            outside_text(fix, MAX_TEXT_CHARS),
            reason_lang.filter(|written| *written != to.locale),
        )
    };
    let options: Vec<Value> = option_words(t, lang, &to.names, &notice.options)
        .into_iter()
        .map(|option| {
            json!({
                "kind": option.kind,
                "label": option.label,
                "terms": option.terms,
                "link": to.confirm_url(notice.offer, &option.fields),
            })
        })
        .collect();
    json!({
        "reason": reason,
        "fix": fix,
        "text_lang": text_lang.map(Locale::code),
        "range": range(lang, notice.window.as_ref()),
        "options": options,
        "expires": intl::instant(lang, notice.offer_expires_at, &to.time_zone),
        "us_rule": notice.us_rule.as_ref().map(|terms| us_rule(lang, terms, &to.time_zone)),
    })
}

/// Everything the templates of `email` see.
pub fn facts(email: &Email, to: &Addressing) -> Value {
    let t = render::catalog(to.locale);
    let lang = to.locale.code();
    let specific = match email {
        Email::Receipt {
            lines,
            ship,
            delivery,
            bill,
        } => json!({
            "lines": lines
                .iter()
                .map(|(sku, window)| json!({ "sku": to.item(sku), "range": intl::range(lang, window) }))
                .collect::<Vec<_>>(),
            "ship": range(lang, ship.as_ref()),
            "delivery": range(lang, delivery.as_ref()),
            "bill": bill.as_ref().map(|bill| json!({
                "items": bill.items
                    .iter()
                    .map(|(sku, quantity, amount)| json!({
                        "sku": to.item(sku),
                        "quantity": quantity,
                        "amount": money(lang, *amount),
                    }))
                    .collect::<Vec<_>>(),
                "shipping": money(lang, bill.shipping),
                "total": money(lang, bill.total),
            })),
        }),
        Email::Restocked {
            sku,
            order_complete,
        } => json!({ "sku": to.item(sku), "order_complete": order_complete }),
        Email::Processed | Email::FollowUp | Email::WinBack | Email::OrderLink => json!({}),
        Email::WatchConfirm { sku } => json!({
            "product": to.item(sku),
            "confirm_link": to.watcher_url("confirm"),
        }),
        Email::BackInStock { sku } => json!({ "product": to.item(sku) }),
        Email::Shipped {
            carrier,
            tracking,
            expedited,
        } => json!({
            "carrier": outside_text(carrier, MAX_NAME_CHARS),
            "tracking": outside_text(tracking, MAX_NAME_CHARS),
            "tracking_link": shared::tracking::tracking_url(carrier, tracking),
            "expedited": expedited,
        }),
        Email::Nurture { window, offer } => json!({
            "range": range(lang, window.as_ref()),
            "options_link": offer.map(|offer| to.confirm_url(offer, &[])),
        }),
        Email::DelayNotice(notice) => delay(&t, lang, to, notice),
        Email::ChoiceConfirmed {
            choice,
            credit,
            expedited,
        } => json!({
            "choice": choice_words(&t, &to.names, choice, render::is_rtl(lang)),
            "credit": credit.map(|(value, bonus)| json!({
                "total": money(lang, value.checked_add(bonus).unwrap_or(value)),
                "value": money(lang, value),
                "bonus": money(lang, bonus),
            })),
            "expedited": expedited,
        }),
        Email::Cancelled {
            cause,
            refund,
            refund_by,
        } => json!({
            "cause": match cause {
                CancelCause::CustomerChose => "customer_chose",
                CancelCause::NoConsentToDelay => "no_consent_to_delay",
            },
            "refund": money(lang, *refund),
            "refund_by": intl::date(lang, *refund_by),
        }),
    };
    let mut facts = json!({
        "lang": lang,
        "dir": direction(to.locale),
        "shop": outside_text(&to.shop_name, MAX_NAME_CHARS),
        "customer": to
            .customer
            .as_deref()
            .map(|name| outside_text(name, MAX_NAME_CHARS))
            .filter(|name| !name.is_empty()),
        // A watcher's email is about a product, not an order.
        "order": (!email.is_to_watcher()).then(|| to.order.as_str()),
        "order_link": (!email.is_to_watcher()).then(|| to.order_page_url()),
        "unsubscribe": can_unsubscribe(email).then(|| to.unsubscribe_url(email)),
        "t": t,
    });
    if let (Some(all), Some(specific)) = (facts.as_object_mut(), specific.as_object()) {
        for (name, value) in specific {
            all.insert(name.clone(), value.clone());
        }
    }
    facts
}
