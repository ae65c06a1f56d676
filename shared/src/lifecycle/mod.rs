//! The backorder lifecycle of one order, as a pure state machine:
//! [`apply`] takes the order (or none, for a new one), an [`Event`], the time
//! and the shop's [`ShopPolicy`], and returns the new order and the
//! [`Effect`]s to carry out, or a [`Rejection`] that changes nothing.
//!
//! The rules come from the product brief; the parts that the US Mail,
//! Internet, or Telephone Order Merchandise Rule (16 CFR 435) requires cite
//! its sections where they are enforced.

mod apply;
mod effect;
mod event;
mod offer;
mod order;
mod policy;
mod rejection;
pub mod us_rule;
mod view;

pub use apply::{MAX_TEXT_CHARS, MISSED_FIX, MISSED_REASON, apply};
pub use effect::{
    Bill, CancelCause, DelayNotice, Effect, Email, EmailKind, PublicStatus, UsRuleTerms,
};
pub use event::{Event, NewLine, NewOrder};
pub use offer::{Choice, Offer, OfferId, OfferOutcome, OfferedOption, OptionKind};
pub use order::{Consent, Line, LineState, Order, Stage};
pub use policy::{Alternative, EnabledOptions, Locale, PolicyError, RawShopPolicy, ShopPolicy};
pub use rejection::{Rejection, RejectionCode};
pub use view::{
    CreditView, Happening, LineView, OfferView, OrderView, TimelineEntry, timeline_entries,
};
