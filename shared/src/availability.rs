//! What a product page may say about a product: in stock, on backorder with an
//! honest ship window, or not orderable. These are wire and storage types: the
//! edge stores them in KV and serves them, the widget renders them, so their
//! JSON form is a versioned contract (add fields with defaults, never rename).

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::estimate::{Confidence, DeliveryHistory, SupplyFacts, Uncertainty, ship_window};
use crate::ids::Sku;
use crate::text::MerchantText;
use crate::window::ShipWindow;

/// Whether a product can be ordered now, and when it will ship if not at once.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum Availability {
    /// On the shelf: the widget leaves the merchant's own wording alone.
    InStock,
    /// Can be ordered now and ships later, within `window`; no window means
    /// nobody can honestly say when.
    Backorder {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window: Option<ShipWindow>,
        /// A short, honest why, in the merchant's words ("new stock is on a
        /// ship from our supplier"), written once or per language; the page
        /// shows its reader's language. Optional.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<MerchantText>,
        /// How sure an estimated window is; absent for a stated one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        confidence: Option<Confidence>,
        /// Why an estimate is less sure than it claims, when it is.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uncertain: Option<Uncertainty>,
    },
    /// Cannot be ordered at all, not even on backorder.
    Unavailable,
}

/// What the merchant sets for a product. A backorder has a stated window,
/// or the supply facts that the edge turns into an estimated one from the
/// shop's history, or both: a stated window (the supplier's latest news,
/// say) is what the page shows, and the facts are still learnt from when
/// the stock arrives. With neither, nobody can date it yet, and the page
/// says so.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum ProductSetting {
    // Braces, so that `deny_unknown_fields` refuses fields given with them
    // (serde checks none on a unit variant).
    InStock {},
    Backorder {
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::present"
        )]
        window: Option<ShipWindow>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::present"
        )]
        supply: Option<SupplyFacts>,
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::present"
        )]
        reason: Option<MerchantText>,
        /// The confidence to estimate at (80 by default).
        #[serde(
            default,
            skip_serializing_if = "Option::is_none",
            deserialize_with = "crate::present"
        )]
        confidence: Option<Confidence>,
    },
    Unavailable {},
}

/// The longest reason we store and show; a product page is not the place for
/// an essay, and it bounds what one request can write.
pub const MAX_REASON_CHARS: usize = 280;

impl ProductSetting {
    /// Checks what serde's types cannot: one source of dates, the texts.
    pub fn validate(&self) -> Result<(), String> {
        let ProductSetting::Backorder { supply, reason, .. } = self else {
            return Ok(());
        };
        if reason
            .as_ref()
            .is_some_and(|reason| reason.texts().is_empty())
        {
            return Err("reason must hold at least one language's text".to_owned());
        }
        for reason in reason.iter().flat_map(MerchantText::texts) {
            if reason.chars().count() > MAX_REASON_CHARS {
                return Err(format!(
                    "reason must be at most {MAX_REASON_CHARS} characters"
                ));
            }
            if crate::text::has_hidden_controls(reason) {
                return Err(
                    "reason must not hold control, bidi control or other invisible characters"
                        .to_owned(),
                );
            }
        }
        if let Some(supply) = supply {
            supply.validate()?;
        }
        Ok(())
    }

    /// Whether what the page shows depends on the shop's delivery history.
    pub fn needs_history(&self) -> bool {
        matches!(
            self,
            ProductSetting::Backorder {
                window: None,
                supply: Some(_),
                ..
            }
        )
    }

    /// What the product page shows `today`, estimating from `history` where
    /// the merchant gave supply facts rather than a window.
    pub fn resolve(
        &self,
        history: &DeliveryHistory,
        holidays: &[Date],
        today: Date,
    ) -> Availability {
        match self {
            ProductSetting::InStock {} => Availability::InStock,
            ProductSetting::Unavailable {} => Availability::Unavailable,
            ProductSetting::Backorder {
                window,
                supply,
                reason,
                confidence,
            } => match (window, supply) {
                (None, Some(facts)) => {
                    let confidence = confidence.unwrap_or(Confidence::P80);
                    let estimate = ship_window(facts, history, holidays, today, confidence);
                    Availability::Backorder {
                        window: estimate.window,
                        reason: reason.clone(),
                        confidence: estimate.window.map(|_| estimate.confidence),
                        uncertain: estimate.uncertain,
                    }
                }
                (window, _) => {
                    // A stated window never shows days in the past: once it
                    // has passed, the product is late with no new date; once
                    // it has begun, it starts today.
                    let (window, uncertain) = match window {
                        Some(stated) if stated.latest() < today => {
                            (None, Some(Uncertainty::Overdue))
                        }
                        Some(stated) if stated.earliest() < today => {
                            (ShipWindow::new(today, stated.latest()).ok(), None)
                        }
                        other => (*other, None),
                    };
                    Availability::Backorder {
                        window,
                        reason: reason.clone(),
                        confidence: None,
                        uncertain,
                    }
                }
            },
        }
    }
}

/// A product's setting as the edge stores it, with what it reads as on one
/// day, worked out when the setting, the history or the day last changed, so
/// that a read does no estimating.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredProduct {
    pub sku: Sku,
    pub setting: ProductSetting,
    /// Absent in copies written before it existed: those are resolved on read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shown: Option<Shown>,
}

/// What a product reads as on one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shown {
    pub on: Date,
    pub availability: Availability,
}

impl StoredProduct {
    /// The setting with what it reads as `today`.
    pub fn resolved(
        sku: Sku,
        setting: ProductSetting,
        history: &DeliveryHistory,
        today: Date,
    ) -> StoredProduct {
        let availability = setting.resolve(history, &[], today);
        StoredProduct {
            sku,
            setting,
            shown: Some(Shown {
                on: today,
                availability,
            }),
        }
    }

    /// What was worked out for `today`, if it was for today.
    pub fn shown_on(&self, today: Date) -> Option<&Availability> {
        self.shown
            .as_ref()
            .filter(|shown| shown.on == today)
            .map(|shown| &shown.availability)
    }
}

/// One product's availability as the edge serves it to the widget.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProductAvailability {
    pub sku: Sku,
    pub availability: Availability,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> Date {
        text.parse().expect("test dates are valid")
    }

    fn stated(earliest: &str, latest: &str) -> ProductSetting {
        ProductSetting::Backorder {
            window: Some(ShipWindow::new(date(earliest), date(latest)).expect("ordered")),
            supply: None,
            reason: None,
            confidence: None,
        }
    }

    fn shown(setting: &ProductSetting, today: &str) -> Availability {
        setting.resolve(&DeliveryHistory::default(), &[], date(today))
    }

    /// A field that only a backorder has is refused with any other status,
    /// rather than dropped without a word.
    #[test]
    fn a_status_takes_only_its_own_fields() {
        let read = |text: &str| serde_json::from_str::<ProductSetting>(text);
        assert_eq!(
            read(r#"{"status":"in_stock"}"#).ok(),
            Some(ProductSetting::InStock {})
        );
        for text in [
            r#"{"status":"in_stock","confidence":80}"#,
            r#"{"status":"unavailable","reason":"gone"}"#,
            r#"{"status":"backorder","colour":"red"}"#,
        ] {
            assert!(read(text).is_err(), "{text}");
        }
    }

    #[test]
    fn a_stated_window_never_shows_days_in_the_past() {
        let setting = stated("2026-01-01", "2026-01-10");
        let window = |a: &str, b: &str| Some(ShipWindow::new(date(a), date(b)).expect("ordered"));
        let before = shown(&setting, "2025-12-20");
        assert!(
            matches!(before, Availability::Backorder { window: w, uncertain: None, .. } if w == window("2026-01-01", "2026-01-10"))
        );
        let begun = shown(&setting, "2026-01-04");
        assert!(
            matches!(begun, Availability::Backorder { window: w, uncertain: None, .. } if w == window("2026-01-04", "2026-01-10"))
        );
        let last_day = shown(&setting, "2026-01-10");
        assert!(
            matches!(last_day, Availability::Backorder { window: w, .. } if w == window("2026-01-10", "2026-01-10"))
        );
        // 23 November 2026: late, and nobody has a new date yet.
        let passed = shown(&setting, "2026-11-23");
        assert!(
            matches!(
                passed,
                Availability::Backorder {
                    window: None,
                    uncertain: Some(Uncertainty::Overdue),
                    ..
                }
            ),
            "{passed:?}"
        );
    }

    #[test]
    fn a_reason_with_a_right_to_left_override_is_refused() {
        let setting = ProductSetting::Backorder {
            window: Some(ShipWindow::new(date("2027-03-12"), date("2027-03-26")).expect("ordered")),
            supply: None,
            reason: Some("Stock \u{202E}lanruoj".into()),
            confidence: None,
        };
        let refused = setting.validate().expect_err("refused");
        assert!(refused.contains("bidi"), "{refused}");
    }

    #[test]
    fn a_reason_may_be_written_per_language_and_each_is_checked() {
        let setting: ProductSetting = serde_json::from_str(
            r#"{"status":"backorder","reason":{"en":"At sea","ar":"في البحر"}}"#,
        )
        .expect("a reason per language");
        assert_eq!(setting.validate(), Ok(()));
        let long = "x".repeat(MAX_REASON_CHARS + 1);
        let setting: ProductSetting = serde_json::from_str(&format!(
            r#"{{"status":"backorder","reason":{{"en":"At sea","it":"{long}"}}}}"#
        ))
        .expect("well formed");
        assert!(
            setting.validate().is_err(),
            "each language's text is held to the limit"
        );
        let empty: ProductSetting =
            serde_json::from_str(r#"{"status":"backorder","reason":{}}"#).expect("well formed");
        assert!(empty.validate().is_err(), "no language at all is refused");
    }

    #[test]
    fn backorder_round_trips_through_json() {
        let product = ProductAvailability {
            sku: Sku::parse("TENT-2P").expect("valid"),
            availability: Availability::Backorder {
                window: Some(
                    ShipWindow::new(date("2027-03-12"), date("2027-03-26")).expect("ordered"),
                ),
                reason: Some("New stock is at sea".into()),
                confidence: None,
                uncertain: None,
            },
        };
        let json = serde_json::to_string(&product).expect("serialises");
        assert_eq!(
            json,
            r#"{"sku":"TENT-2P","availability":{"status":"backorder","window":{"earliest":"2027-03-12","latest":"2027-03-26"},"reason":"New stock is at sea"}}"#
        );
        assert_eq!(
            serde_json::from_str::<ProductAvailability>(&json).expect("parses"),
            product
        );
    }

    #[test]
    fn reversed_window_is_rejected_with_both_dates() {
        let err = serde_json::from_str::<Availability>(
            r#"{"status":"backorder","window":{"earliest":"2027-03-26","latest":"2027-03-12"}}"#,
        )
        .expect_err("reversed");
        assert!(
            err.to_string()
                .contains("latest (2027-03-12) is before earliest (2027-03-26)"),
            "{err}"
        );
    }

    #[test]
    fn unknown_status_and_fields_are_rejected() {
        assert!(serde_json::from_str::<Availability>(r#"{"status":"sold_out"}"#).is_err());
        let typo = r#"{"status":"backorder","window":{"earliest":"2027-03-12","latest":"2027-03-26"},"reasn":"x"}"#;
        assert!(
            serde_json::from_str::<Availability>(typo).is_err(),
            "a misspelt field is an error"
        );
        assert!(serde_json::from_str::<Availability>(r#"{"status":"backorder","eta":1}"#).is_err());
    }

    #[test]
    fn a_stated_window_wins_over_supply_facts_and_no_date_is_honest() {
        let parse = |json: &str| {
            serde_json::from_str::<ProductSetting>(json)
                .map_err(|e| e.to_string())
                .and_then(|s| s.validate())
        };
        let window = r#""window":{"earliest":"2027-03-12","latest":"2027-03-26"}"#;
        let supply = r#""supply":{"supplier":"Acme","mode":"ocean","promised_arrival":null,"handling_business_days":2}"#;
        assert_eq!(
            parse(&format!(r#"{{"status":"backorder",{window}}}"#)),
            Ok(())
        );
        assert_eq!(
            parse(&format!(r#"{{"status":"backorder",{supply}}}"#)),
            Ok(())
        );
        let resolved = |json: &str| {
            let setting: ProductSetting = serde_json::from_str(json).expect("valid");
            let shown = setting.resolve(&DeliveryHistory::default(), &[], date("2027-01-04"));
            (
                setting.needs_history(),
                serde_json::to_string(&shown).expect("serialises"),
            )
        };
        // Nobody can date it: the page says so, with no caveat to explain.
        assert_eq!(parse(r#"{"status":"backorder"}"#), Ok(()));
        assert_eq!(
            resolved(r#"{"status":"backorder"}"#),
            (false, r#"{"status":"backorder"}"#.to_owned())
        );
        // Both: the stated window is shown, whatever the facts estimate.
        let both = format!(r#"{{"status":"backorder",{window},{supply}}}"#);
        assert_eq!(parse(&both), Ok(()));
        assert_eq!(
            resolved(&both),
            (
                false,
                r#"{"status":"backorder","window":{"earliest":"2027-03-12","latest":"2027-03-26"}}"#
                    .to_owned()
            )
        );
        let long = format!(
            r#"{{"status":"backorder",{window},"reason":"{}"}}"#,
            "x".repeat(281)
        );
        assert!(parse(&long).is_err_and(|e| e.contains("at most 280")));
        let control = format!(r#"{{"status":"backorder",{window},"reason":"a\u0000b"}}"#);
        assert!(parse(&control).is_err());
    }

    #[test]
    fn no_promised_date_resolves_to_an_honest_unknown() {
        let setting: ProductSetting = serde_json::from_str(
            r#"{"status":"backorder","supply":{"supplier":"Acme","mode":"ocean","promised_arrival":null,"handling_business_days":2}}"#,
        )
        .expect("valid");
        let shown = setting.resolve(&DeliveryHistory::default(), &[], date("2027-01-04"));
        assert_eq!(
            serde_json::to_string(&shown).expect("serialises"),
            r#"{"status":"backorder","uncertain":"no_promised_date"}"#
        );
    }
}
