//! A shop's policy for backorders: which options customers get, how often
//! they hear from the shop, and whether the US mail-order rule applies.
//! Parsed from its raw form once; an invalid policy names the bad field.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ids::Sku;

/// Which options a delay offer may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EnabledOptions {
    pub keep_waiting: bool,
    pub switch_item: bool,
    pub ship_available_now: bool,
    pub store_credit: bool,
    pub cancel: bool,
}

impl Default for EnabledOptions {
    fn default() -> EnabledOptions {
        EnabledOptions {
            keep_waiting: true,
            switch_item: true,
            ship_available_now: true,
            store_credit: true,
            cancel: true,
        }
    }
}

/// An in-stock item the merchant considers a fair swap for a backordered one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alternative {
    /// The backordered item this can replace.
    pub for_sku: Sku,
    /// The replacement.
    pub sku: Sku,
    /// Months (1–12) in which it is in season; empty means all year, so no
    /// swimsuit is offered for sunglasses in winter.
    #[serde(default)]
    pub months: Vec<u8>,
    /// The replacement's name, as customers read it in the chooser and the
    /// emails (else its SKU).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Alternative {
    pub fn in_season(&self, month: u8) -> bool {
        self.months.is_empty() || self.months.contains(&month)
    }
}

/// The languages the emails and widget are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Locale {
    En,
    It,
    Ar,
}

impl Locale {
    /// The language's code, as on the wire (BCP 47).
    pub fn code(self) -> &'static str {
        match self {
            Locale::En => "en",
            Locale::It => "it",
            Locale::Ar => "ar",
        }
    }

    /// The language of a BCP 47 tag ("it-IT", "ar_EG", "EN"), if we write it.
    pub fn from_tag(tag: &str) -> Option<Locale> {
        let language = tag.split(['-', '_']).next()?.to_ascii_lowercase();
        match language.as_str() {
            "en" => Some(Locale::En),
            "it" => Some(Locale::It),
            "ar" => Some(Locale::Ar),
            _ => None,
        }
    }
}

/// The policy as a merchant writes it; every field has a sensible default.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawShopPolicy {
    pub options: EnabledOptions,
    pub store_credit_bonus_percent: u8,
    pub free_expedited_shipping: bool,
    pub nurture_every_days: u8,
    pub offer_lifetime_days: u8,
    pub follow_up_after_days: u8,
    pub win_back_after_days: u16,
    pub transit_days_min: u8,
    pub transit_days_max: u8,
    pub locale: Locale,
    pub time_zone: String,
    pub country: String,
    /// `None` means "on for US shops, off elsewhere".
    pub us_mail_order_rule: Option<bool>,
    pub alternatives: Vec<Alternative>,
    /// The merchant's own order page, where every email and page links
    /// (with the widget on it): `https://…{order}…{token}…`, `{lang}`
    /// optional; `None` for the page the edge serves.
    #[serde(
        skip_serializing_if = "Option::is_none",
        deserialize_with = "crate::present"
    )]
    pub order_page_url: Option<String>,
}

impl Default for RawShopPolicy {
    fn default() -> RawShopPolicy {
        RawShopPolicy {
            options: EnabledOptions::default(),
            store_credit_bonus_percent: 10,
            free_expedited_shipping: true,
            nurture_every_days: 12,
            offer_lifetime_days: 7,
            follow_up_after_days: 5,
            win_back_after_days: 60,
            transit_days_min: 2,
            transit_days_max: 5,
            locale: Locale::En,
            time_zone: "UTC".to_owned(),
            country: "US".to_owned(),
            us_mail_order_rule: None,
            alternatives: Vec::new(),
            order_page_url: None,
        }
    }
}

/// Why a policy was refused, naming the field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicyError {
    pub field: &'static str,
    pub reason: String,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

impl std::error::Error for PolicyError {}

/// A validated shop policy. Only [`ShopPolicy::parse`] makes one from what a
/// merchant wrote; its serde form is how the edge stores and passes the
/// parsed policy (the shop's object writes it only from `parse`), so that
/// nothing parses it again at every command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShopPolicy {
    options: EnabledOptions,
    store_credit_bonus_percent: u8,
    free_expedited_shipping: bool,
    nurture_every_days: u8,
    offer_lifetime_days: u8,
    follow_up_after_days: u8,
    win_back_after_days: u16,
    transit_days: (u8, u8),
    locale: Locale,
    time_zone: String,
    country: String,
    us_mail_order_rule: bool,
    alternatives: Vec<Alternative>,
    #[serde(default)]
    order_page_url: Option<String>,
}

/// The longest order-page URL template taken.
const MAX_URL_CHARS: usize = 500;

/// An order-page URL template: HTTPS (plain HTTP only on this machine, for
/// a shop being built), with `{order}` and `{token}`, nothing that acts.
fn check_order_page_url(url: &str) -> Result<(), PolicyError> {
    let local = [
        "http://127.0.0.1:",
        "http://127.0.0.1/",
        "http://localhost:",
        "http://localhost/",
    ];
    let scheme_ok = url.starts_with("https://") || local.iter().any(|start| url.starts_with(start));
    if !scheme_ok {
        return Err(error("order_page_url", "must start with https://"));
    }
    if url.chars().count() > MAX_URL_CHARS
        || url
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '"' | '<' | '>' | '\\'))
    {
        return Err(error(
            "order_page_url",
            format!("at most {MAX_URL_CHARS} characters, without spaces, quotes or angle brackets"),
        ));
    }
    if !url.contains("{order}") || !url.contains("{token}") {
        return Err(error(
            "order_page_url",
            "must hold {order} and {token}, which each link fills in",
        ));
    }
    Ok(())
}

fn error(field: &'static str, reason: impl Into<String>) -> PolicyError {
    PolicyError {
        field,
        reason: reason.into(),
    }
}

fn within<T: PartialOrd + fmt::Display>(
    field: &'static str,
    value: T,
    low: T,
    high: T,
) -> Result<T, PolicyError> {
    if value < low || value > high {
        return Err(error(
            field,
            format!("must be between {low} and {high}, not {value}"),
        ));
    }
    Ok(value)
}

/// `UTC`, or an IANA zone name such as `Europe/Rome`; the zone database itself
/// lives where dates are shown, not here.
fn is_zone_name(name: &str) -> bool {
    name == "UTC"
        || (name.contains('/')
            && name.len() <= 64
            && name.split('/').all(|part| {
                !part.is_empty()
                    && part
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+'))
            }))
}

fn check_options(options: EnabledOptions) -> Result<(), PolicyError> {
    let enabled = [
        options.keep_waiting,
        options.switch_item,
        options.ship_available_now,
        options.store_credit,
        options.cancel,
    ];
    if !enabled.contains(&true) {
        return Err(error("options", "at least one option must be enabled"));
    }
    Ok(())
}

fn check_alternatives(alternatives: &[Alternative]) -> Result<(), PolicyError> {
    for alternative in alternatives {
        if let Some(month) = alternative.months.iter().find(|m| !(1..=12).contains(*m)) {
            return Err(error(
                "alternatives.months",
                format!("{month} is not a month (1-12)"),
            ));
        }
        if let Some(name) = &alternative.name
            && (!crate::text::fits(name, crate::text::MAX_NAME_CHARS)
                || crate::text::has_hidden_controls(name))
        {
            return Err(error(
                "alternatives.name",
                "1 to 100 characters, without control or invisible characters",
            ));
        }
        if alternative.for_sku == alternative.sku {
            return Err(error(
                "alternatives.sku",
                format!("{} cannot replace itself", alternative.sku),
            ));
        }
    }
    Ok(())
}

impl ShopPolicy {
    pub fn parse(raw: RawShopPolicy) -> Result<ShopPolicy, PolicyError> {
        let nurture = within("nurture_every_days", raw.nurture_every_days, 10, 14)?;
        // An offer must lapse before the next sequence email could go out, so
        // that nobody ever holds two offers at once.
        let lifetime = within(
            "offer_lifetime_days",
            raw.offer_lifetime_days,
            1,
            nurture - 1,
        )?;
        let bonus = within(
            "store_credit_bonus_percent",
            raw.store_credit_bonus_percent,
            0,
            50,
        )?;
        let follow_up = within("follow_up_after_days", raw.follow_up_after_days, 1, 30)?;
        let win_back = within("win_back_after_days", raw.win_back_after_days, 14, 365)?;
        let transit_max = within("transit_days_max", raw.transit_days_max, 0, 60)?;
        let transit_min = within("transit_days_min", raw.transit_days_min, 0, transit_max)?;
        if !is_zone_name(&raw.time_zone) {
            return Err(error(
                "time_zone",
                format!("{:?} is not an IANA time zone name", raw.time_zone),
            ));
        }
        if raw.country.len() != 2 || !raw.country.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(error(
                "country",
                format!("{:?} is not a two-letter country code", raw.country),
            ));
        }
        let us_rule = raw.us_mail_order_rule.unwrap_or(raw.country == "US");
        // 16 CFR 435.2(b)(1): a delayed buyer must always be able to cancel for
        // a full refund, so a shop under the rule cannot turn cancel off.
        if us_rule && !raw.options.cancel {
            return Err(error(
                "options.cancel",
                "cancel with a full refund is required by the US mail-order rule (16 CFR 435.2(b))",
            ));
        }
        let options = raw.options;
        check_options(options)?;
        check_alternatives(&raw.alternatives)?;
        if let Some(url) = &raw.order_page_url {
            check_order_page_url(url)?;
        }
        Ok(ShopPolicy {
            options,
            store_credit_bonus_percent: bonus,
            free_expedited_shipping: raw.free_expedited_shipping,
            nurture_every_days: nurture,
            offer_lifetime_days: lifetime,
            follow_up_after_days: follow_up,
            win_back_after_days: win_back,
            transit_days: (transit_min, transit_max),
            locale: raw.locale,
            time_zone: raw.time_zone,
            country: raw.country,
            us_mail_order_rule: us_rule,
            alternatives: raw.alternatives,
            order_page_url: raw.order_page_url,
        })
    }

    pub fn options(&self) -> EnabledOptions {
        self.options
    }
    pub fn store_credit_bonus_percent(&self) -> u8 {
        self.store_credit_bonus_percent
    }
    pub fn free_expedited_shipping(&self) -> bool {
        self.free_expedited_shipping
    }
    pub fn nurture_every_days(&self) -> u8 {
        self.nurture_every_days
    }
    pub fn offer_lifetime_days(&self) -> u8 {
        self.offer_lifetime_days
    }
    pub fn follow_up_after_days(&self) -> u8 {
        self.follow_up_after_days
    }
    pub fn win_back_after_days(&self) -> u16 {
        self.win_back_after_days
    }
    /// Carrier transit, fewest and most days.
    pub fn transit_days(&self) -> (u8, u8) {
        self.transit_days
    }
    pub fn locale(&self) -> Locale {
        self.locale
    }
    pub fn time_zone(&self) -> &str {
        &self.time_zone
    }
    pub fn us_mail_order_rule(&self) -> bool {
        self.us_mail_order_rule
    }
    /// The merchant's own order page, as a template, if they gave one.
    pub fn order_page_url(&self) -> Option<&str> {
        self.order_page_url.as_deref()
    }
    pub fn alternatives(&self) -> &[Alternative] {
        &self.alternatives
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locale_is_read_from_a_language_tag() {
        assert_eq!(Locale::from_tag("it-IT"), Some(Locale::It));
        assert_eq!(Locale::from_tag("ar_EG"), Some(Locale::Ar));
        assert_eq!(Locale::from_tag("EN"), Some(Locale::En));
        assert_eq!(Locale::from_tag("fr"), None);
        assert_eq!(Locale::from_tag(""), None);
        for locale in [Locale::En, Locale::It, Locale::Ar] {
            let json = serde_json::to_value(locale).expect("serialises");
            assert_eq!(json, serde_json::Value::from(locale.code()));
            assert_eq!(Locale::from_tag(locale.code()), Some(locale));
        }
    }

    #[track_caller]
    fn check(json: &str, expect: Result<(), &str>) {
        let parsed = serde_json::from_str::<RawShopPolicy>(json)
            .map_err(|e| e.to_string())
            .and_then(|raw| ShopPolicy::parse(raw).map_err(|e| e.to_string()))
            .map(|_| ());
        match (parsed, expect) {
            (Ok(()), Ok(())) => {}
            (Err(got), Err(want)) => {
                assert!(got.starts_with(want), "{got:?} should start {want:?}")
            }
            (got, want) => panic!("{json}: got {got:?}, want {want:?}"),
        }
    }

    /// The parsed form is how the edge stores and passes a policy: it reads
    /// back as the same policy, without parsing the merchant's form again.
    #[test]
    fn a_parsed_policy_round_trips_through_its_stored_form() {
        let raw: RawShopPolicy =
            serde_json::from_str(r#"{"country": "IT", "transit_days_min": 1, "locale": "it"}"#)
                .expect("a raw policy");
        let policy = ShopPolicy::parse(raw).expect("valid");
        let stored = serde_json::to_string(&policy).expect("serialises");
        let back: ShopPolicy = serde_json::from_str(&stored).expect("reads back");
        assert_eq!(back, policy);
        assert!(serde_json::from_str::<RawShopPolicy>(&stored).is_err());
    }

    #[test]
    fn what_the_merchant_sets_is_what_the_policy_says() {
        let off: RawShopPolicy =
            serde_json::from_str(r#"{"free_expedited_shipping": false}"#).expect("a policy");
        assert!(
            !ShopPolicy::parse(off)
                .expect("valid")
                .free_expedited_shipping()
        );
        let on = ShopPolicy::parse(RawShopPolicy::default()).expect("valid");
        assert!(on.free_expedited_shipping());
        assert_eq!(on.time_zone(), "UTC");
        let rome: RawShopPolicy =
            serde_json::from_str(r#"{"time_zone": "Europe/Rome"}"#).expect("a policy");
        assert_eq!(
            ShopPolicy::parse(rome).expect("valid").time_zone(),
            "Europe/Rome"
        );
    }

    #[test]
    fn defaults_are_valid_and_us_shops_get_the_rule() {
        let policy = ShopPolicy::parse(RawShopPolicy::default()).expect("defaults are valid");
        assert!(policy.us_mail_order_rule());
        let italy = RawShopPolicy {
            country: "IT".into(),
            ..RawShopPolicy::default()
        };
        assert!(
            !ShopPolicy::parse(italy)
                .expect("valid")
                .us_mail_order_rule()
        );
    }

    #[test]
    fn invalid_fields_are_named() {
        check("{}", Ok(()));
        check(
            r#"{"nurture_every_days": 7}"#,
            Err("nurture_every_days: must be between 10 and 14"),
        );
        check(
            r#"{"nurture_every_days": 10, "offer_lifetime_days": 10}"#,
            Err("offer_lifetime_days"),
        );
        check(
            r#"{"store_credit_bonus_percent": 80}"#,
            Err("store_credit_bonus_percent"),
        );
        check(r#"{"options": {"cancel": false}}"#, Err("options.cancel"));
        check(r#"{"options": {"cancel": false}, "country": "IT"}"#, Ok(()));
        check(r#"{"time_zone": "Mars/Olympus Mons"}"#, Err("time_zone"));
        check(r#"{"time_zone": "Europe/Rome"}"#, Ok(()));
        check(r#"{"country": "usa"}"#, Err("country"));
        check(r#"{"country": "USA"}"#, Err("country"));
        check(r#"{"country": "it"}"#, Err("country"));
        check(
            r#"{"country": "IT", "options": {"keep_waiting": false, "switch_item": false, "ship_available_now": false, "store_credit": false, "cancel": false}}"#,
            Err("options: at least one option must be enabled"),
        );
        check(
            r#"{"transit_days_min": 9, "transit_days_max": 3}"#,
            Err("transit_days_min"),
        );
        check(
            r#"{"alternatives": [{"for_sku": "A", "sku": "B", "months": [13]}]}"#,
            Err("alternatives.months"),
        );
        check(
            r#"{"nurture_days": 12}"#,
            Err("unknown field `nurture_days`"),
        );
    }
}
