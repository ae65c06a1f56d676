//! The pure domain core shared by the edge worker and the storefront widget.
//!
//! Nothing in this crate performs I/O or reads a clock: callers pass "today" in
//! and get plain values back, so every decision is testable with `cargo test`.

pub mod availability;
pub mod date;
pub mod ids;

pub use availability::{Availability, ProductAvailability, ShipWindow, ShipWindowError};
pub use date::{Date, DateError};
pub use ids::{IdError, ShopId, Sku};
