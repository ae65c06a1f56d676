//! The US Mail, Internet, or Telephone Order Merchandise Rule (16 CFR 435):
//! what a delay notice must say, and when silence counts as consent.

use crate::date::Date;
use crate::lifecycle::effect::UsRuleTerms;
use crate::lifecycle::order::{Consent, Order};
use crate::time::Timestamp;

/// The days past the original ship-by date within which a first delay may
/// treat silence as consent (16 CFR 435.2(b)(1)(i)).
pub const SILENT_CONSENT_DAYS: i64 = 30;

/// A "prompt refund" is due within 7 working days (16 CFR 435.1, for cash,
/// cheque or money order; a card refund within one billing cycle, which is
/// never sooner, so 7 working days meets both).
pub const PROMPT_REFUND_WORKING_DAYS: u32 = 7;

/// What a delay means under the rule for this order.
#[derive(Debug)]
pub struct DelayTerms {
    pub consent: Consent,
    pub terms: UsRuleTerms,
}

fn day_after(date: Date) -> Timestamp {
    Timestamp::start_of(date).plus_days(1)
}

/// The terms of a delay option notice for `order`, whose ship-by date moves
/// to `revised` (`None`: unknown), sent at `now`. `None` when the rule asks
/// for no notice: the customer already agreed to wait indefinitely
/// (435.2(b)(2) requires no further notices then).
pub fn delay_terms(order: &Order, revised: Option<Date>, now: Timestamp) -> Option<DelayTerms> {
    if let Consent::Given {
        indefinite: true, ..
    } = order.consent
    {
        return None;
    }
    let renewed = order.delay_notices > 0;
    let consent_by = if !renewed {
        // 435.2(b)(1)(i): a first delay to a definite date at most 30 days past
        // the original lets silence count as consent.
        let silent_limit = order.original_ship_by.add_days(SILENT_CONSENT_DAYS);
        match (revised, silent_limit) {
            (Some(date), Some(limit)) if date <= limit => None,
            // 435.2(b)(1)(ii): otherwise the order is cancelled unless the
            // customer consents within 30 days of the original date.
            (_, Some(limit)) => Some(day_after(limit)),
            (_, None) => Some(now),
        }
    } else {
        // 435.2(b)(2): a renewed notice; silence never counts as consent, and
        // consent must come before the most recent revised date passes.
        Some(match (order.consent, order.ship_by) {
            (Consent::Required { by }, _) => by,
            (_, Some(ship_by)) => day_after(ship_by),
            (_, None) => now,
        })
    };
    Some(DelayTerms {
        consent: consent_by.map_or(Consent::NotNeeded, |by| Consent::Required { by }),
        terms: UsRuleTerms {
            renewed,
            revised_ship_by: revised,
            silence_is_consent: consent_by.is_none(),
            consent_by,
            cancel_any_time_until_shipped: revised.is_none(),
        },
    })
}

/// The last day a refund may be made when the order is cancelled at `now`.
pub fn refund_deadline(now: Timestamp) -> Date {
    let today = now.date();
    today
        .add_working_days(PROMPT_REFUND_WORKING_DAYS)
        .unwrap_or(today)
}
