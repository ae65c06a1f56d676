//! The pure domain core shared by the edge worker and the storefront widget.
//!
//! Nothing in this crate performs I/O or reads a clock: callers pass "today" in
//! and get plain values back, so every decision is testable with `cargo test`.

pub mod analytics;
pub mod availability;
pub mod cost;
pub mod date;
pub mod estimate;
pub mod ids;
pub mod lifecycle;
pub mod likely;
pub mod money;
pub mod scorecard;
pub mod text;
pub mod time;
pub mod tracking;
pub mod window;

pub use availability::{Availability, ProductAvailability, ProductSetting, Shown, StoredProduct};
pub use date::{Date, DateError};
pub use ids::{CustomerId, IdError, OrderId, ShopId, Sku};
pub use money::{Currency, Money};
pub use time::Timestamp;
pub use window::{ShipWindow, ShipWindowError};

/// For an optional field that, when given, must hold a value: `null` is
/// refused rather than read as absent (use with `#[serde(default)]`), so
/// that a body says one thing one way.
pub fn present<'de, D: serde::Deserializer<'de>, T: serde::Deserialize<'de>>(
    deserializer: D,
) -> Result<Option<T>, D::Error> {
    T::deserialize(deserializer).map(Some)
}
