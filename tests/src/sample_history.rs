//! A year of the demo shop's past, as its store would hand it over: a
//! Shopify orders export (some tent orders on backorder, tagged so), the
//! stock on hand of three products in stock, and who supplies them. Made
//! up, the same on every run, and said to be so wherever it is shown.

use std::fmt::Write as _;

use shared::Date;

use crate::shop::{BACKORDER_SKU, IN_STOCK_SKU, QUIET_SUPPLIER, SUPPLIER};

/// Products the demo's store sells besides those on the shop page.
pub const STOVE_SKU: &str = "STOVE-01";
pub const MUG_SKU: &str = "MUG-ENAMEL";

/// Orders in the export.
pub const ORDERS: usize = 900;
const CUSTOMERS: usize = 260;

/// Stock on hand the store reports now: the lanterns are about to run out.
pub fn stock_levels() -> [(&'static str, i64); 3] {
    [(IN_STOCK_SKU, 7), (STOVE_SKU, 240), (MUG_SKU, 60)]
}

/// Who supplies each, and how long a reorder takes.
pub fn supply() -> [(&'static str, &'static str, u32); 3] {
    [
        (IN_STOCK_SKU, SUPPLIER, 56),
        (STOVE_SKU, QUIET_SUPPLIER, 21),
        (MUG_SKU, SUPPLIER, 28),
    ]
}

/// The export of the 365 days before `today`, oldest first.
pub fn shopify_export(today: Date) -> String {
    let mut csv = String::from(
        "Name,Email,Financial Status,Currency,Total,Created at,Lineitem quantity,Lineitem sku,Refunded Amount,Cancelled at,Id,Tags\n",
    );
    for n in 0..ORDERS {
        let mix = (n as u64 + 7).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        let day = today
            .add_days(-365 + (n * 365 / ORDERS) as i64)
            .unwrap_or(today);
        // A few customers order often; most once or twice.
        let customer = if mix.is_multiple_of(3) {
            mix as usize % 40
        } else {
            mix as usize % CUSTOMERS
        };
        let (sku, price, quantity) = match mix % 10 {
            0 | 1 => (BACKORDER_SKU, 18_900, 1),
            2..=5 => (IN_STOCK_SKU, 2_400, 1 + mix % 3),
            6 | 7 => (MUG_SKU, 1_200, 2),
            _ => (STOVE_SKU, 6_500, 1),
        };
        let total = price * quantity;
        // A tent ordered while it was sold out waited; one in eight of
        // those was refunded.
        let backorder = sku == BACKORDER_SKU && !mix.is_multiple_of(4);
        let refunded = if backorder && mix % 8 == 1 { total } else { 0 };
        writeln!(
            csv,
            "#D{n},customer{customer}@example.com,paid,GBP,{}.{:02},{day} 11:00:00 +0000,{quantity},{sku},{},,{},{}",
            total / 100,
            total % 100,
            if refunded > 0 {
                format!("{}.{:02}", refunded / 100, refunded % 100)
            } else {
                String::new()
            },
            70_000_000 + n,
            if backorder { "backorder" } else { "" },
        )
        .ok();
    }
    csv
}
