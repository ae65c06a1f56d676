//! What happens to an order: the store's webhooks, the customer's choices,
//! and time passing.

use serde::{Deserialize, Serialize};

use crate::text::MerchantText;

use crate::ids::{CustomerId, OrderId, Sku};
use crate::lifecycle::offer::{Choice, OfferId};
use crate::money::Currency;
use crate::window::ShipWindow;

/// One line of a new order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewLine {
    pub sku: Sku,
    pub quantity: u32,
    pub unit_price_minor: u64,
    /// When the line ships if it is on backorder; `None` when it is in stock.
    pub backorder: Option<ShipWindow>,
}

/// An order as the store reports it at checkout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    pub id: OrderId,
    pub customer: CustomerId,
    pub currency: Currency,
    pub lines: Vec<NewLine>,
    pub shipping_minor: u64,
    pub paid_minor: u64,
    /// How many backorder orders this customer has completed before; the
    /// first completed one earns a win-back email.
    pub customer_completed_backorders: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// Checkout, with at least one line on backorder.
    Placed(NewOrder),
    /// Stock of a SKU reached the warehouse.
    StockArrived {
        sku: Sku,
    },
    /// The supplier's news moved a SKU's ship window; `window: None` means
    /// nobody knows when. `reason` is what happened, `fix` what is being done.
    WindowChanged {
        sku: Sku,
        window: Option<ShipWindow>,
        reason: MerchantText,
        fix: MerchantText,
        /// Which of the merchant's alternatives are in stock right now.
        in_stock: Vec<Sku>,
    },
    /// Picked and packed, ready to ship.
    Processed,
    Shipped {
        carrier: String,
        tracking: String,
    },
    Delivered,
    Chose {
        offer: OfferId,
        choice: Choice,
    },
    /// The store cancelled the order on its side (and refunded it there).
    CancelledByStore,
    /// A wake-up the order asked for (or any later moment).
    TimePassed,
    /// The customer cancels everything not shipped yet, with its refund:
    /// their right until it ships, whatever they chose before.
    CustomerCancelled,
}

impl Event {
    pub fn name(&self) -> &'static str {
        match self {
            Event::Placed(_) => "placed",
            Event::StockArrived { .. } => "stock_arrived",
            Event::WindowChanged { .. } => "window_changed",
            Event::Processed => "processed",
            Event::Shipped { .. } => "shipped",
            Event::Delivered => "delivered",
            Event::Chose { .. } => "chose",
            Event::CancelledByStore => "cancelled_by_store",
            Event::TimePassed => "time_passed",
            Event::CustomerCancelled => "customer_cancelled",
        }
    }
}
