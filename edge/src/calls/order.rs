//! The order's object: what it takes in, what it answers, its routes, and
//! the typed stub every caller uses.

use serde::{Deserialize, Serialize};
use shared::lifecycle::{
    Choice, Consent, Event, NewOrder, OfferOutcome, Order, OrderView, Rejection, RejectionCode,
    ShopPolicy, Stage,
};
use shared::{CustomerId, Date, OrderId, ShipWindow, ShopId, Sku, Timestamp};
use worker::{Env, Headers, Response, Stub};

use super::queue::{ActionJob, EmailJob};
use crate::bindings;
use crate::error::EdgeError;
use crate::webhooks::Contact;

/// The routes of an order's object, shared by caller and receiver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderRoute {
    /// Take a [`Command`]; answers an [`Answer`].
    Apply,
    /// An order page's WebSocket (the shop's object checked the link).
    Live,
    /// Say what the order is, with the emails and actions the shop may not
    /// have kept yet, as a duplicate's answer does; applies nothing.
    Report,
    /// The view its customer sees and their contact, for the shop's
    /// support desk; answers a [`SupportView`].
    Support,
}

impl OrderRoute {
    pub const ALL: [OrderRoute; 4] = [
        OrderRoute::Apply,
        OrderRoute::Live,
        OrderRoute::Report,
        OrderRoute::Support,
    ];

    pub fn path(self) -> &'static str {
        match self {
            OrderRoute::Apply => "/internal/apply",
            OrderRoute::Live => "/internal/live",
            OrderRoute::Report => "/internal/report",
            OrderRoute::Support => "/internal/support",
        }
    }

    pub fn parse(path: &str) -> Option<OrderRoute> {
        OrderRoute::ALL
            .into_iter()
            .find(|route| route.path() == path)
    }
}

/// What a caller asks an order to take in.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "news", rename_all = "snake_case")]
pub enum News {
    Place {
        order: NewOrder,
        contact: Contact,
        /// The items' names as the store sent them, by SKU.
        #[serde(default)]
        names: Vec<(Sku, String)>,
    },
    Event {
        event: Event,
    },
    /// The store shipped it: whatever steps the order had not seen yet
    /// (stock, processing) are taken on the way.
    Ship {
        carrier: String,
        tracking: String,
    },
    /// The store says it arrived, shipped or not as far as we knew.
    Deliver,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Command {
    pub shop: ShopId,
    /// The shop's policy, parsed once where the shop stored it.
    pub policy: ShopPolicy,
    pub news: News,
    /// A delivery's key: the same key twice is applied once.
    pub key: Option<String>,
    /// The caller makes sure the shop keeps the answer, from what the shop
    /// stored, whatever fails: a restock's sweep sends it again to every
    /// order still waiting, and the shop's own commands are noted as
    /// pending until kept (its sweep asks the order for a lost answer). So
    /// the order's alarm need not tell the shop again, once per order.
    #[serde(default)]
    pub swept: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    Duplicate,
    Rejected,
}

/// The answer to a command.
#[derive(Debug, Serialize, Deserialize)]
pub struct Answer {
    pub outcome: Outcome,
    /// Why the (last) event was refused, for `Rejected`.
    pub rejection: Option<RejectionBody>,
    pub view: Option<OrderView>,
    /// What the shop's records keep of the order as it now is: the caller
    /// indexes it (a duplicate answers it too, so a retried caller catches
    /// up), and the order's own outbox does it again later as a safety net.
    #[serde(default)]
    pub index: Option<OrderIndex>,
    /// The emails this command queued, for the caller to log (a duplicate
    /// answers none: its first answer had them).
    #[serde(default)]
    pub emails: Vec<EmailJob>,
    /// The actions it queued, likewise.
    #[serde(default)]
    pub actions: Vec<ActionJob>,
}

/// A rejection on the wire: its one code, its words, and for
/// `already_chosen` the choice on record.
#[derive(Debug, Serialize, Deserialize)]
pub struct RejectionBody {
    pub code: RejectionCode,
    pub message: String,
    pub chosen: Option<Choice>,
}

impl From<&Rejection> for RejectionBody {
    fn from(rejection: &Rejection) -> RejectionBody {
        RejectionBody {
            code: rejection.code(),
            message: rejection.to_string(),
            chosen: match rejection {
                Rejection::AlreadyChose { chosen, .. } => Some(chosen.clone()),
                _ => None,
            },
        }
    }
}

/// What support sees of an order that the shop's records do not keep: the
/// customer's own view of it, and how to reach them.
#[derive(Debug, Serialize, Deserialize)]
pub struct SupportView {
    pub view: OrderView,
    pub contact: Contact,
}

/// What the shop's records keep of an order: no PII.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderIndex {
    pub order: OrderId,
    pub seq: u64,
    pub stage: Stage,
    pub customer: CustomerId,
    pub placed_at: Timestamp,
    pub waiting: Vec<Sku>,
    pub window: Option<ShipWindow>,
    pub tags: Vec<String>,
    /// What the shop's analytics read (absent from an order indexed before
    /// they were kept).
    #[serde(default)]
    pub facts: Option<OrderFacts>,
    /// Under the US rule, by when the customer must say they wait on.
    #[serde(default)]
    pub consent_by: Option<Timestamp>,
}

/// What the shop's analytics need of a backorder order: promises, slips,
/// money, what was on backorder and how its offers ended. No contact.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFacts {
    /// The ship-by date first promised, and the one in force.
    pub promised_by: Date,
    pub ship_by: Option<Date>,
    pub slips: u32,
    pub currency: String,
    pub paid_minor: u64,
    /// Refunds and credit given back (bonus not included).
    pub returned_minor: u64,
    /// The lines sold on backorder: SKU, units, value in minor units.
    pub backordered: Vec<(Sku, u32, u64)>,
    /// Each offer's opening day and how it ended: an option's code,
    /// `lapsed`, `replaced` or `open`.
    pub offers: Vec<(Date, String)>,
    /// When the order last changed: when it shipped or was cancelled, for
    /// an index that says so.
    pub last_event_at: Timestamp,
}

impl OrderFacts {
    pub fn of(order: &Order) -> OrderFacts {
        OrderFacts {
            promised_by: order.original_ship_by(),
            ship_by: order.ship_by(),
            slips: order.delay_notices(),
            currency: order.currency().as_str().to_string(),
            paid_minor: order.paid().minor,
            returned_minor: order.returned().minor,
            backordered: order
                .lines()
                .iter()
                .filter(|line| line.window.is_some())
                .map(|line| (line.sku.clone(), line.quantity, line.value().minor))
                .collect(),
            offers: order
                .offers()
                .iter()
                .map(|offer| {
                    let end = match &offer.outcome {
                        None => "open",
                        Some(OfferOutcome::Chosen { choice, .. }) => choice.kind().code(),
                        Some(OfferOutcome::Expired { .. }) => "lapsed",
                        Some(_) => "replaced",
                    };
                    (offer.opened_at.date(), end.to_string())
                })
                .collect(),
            last_event_at: order.last_event_at(),
        }
    }
}

impl OrderIndex {
    pub fn of(order: &Order, tags: &[String]) -> OrderIndex {
        let mut waiting: Vec<Sku> = order.waiting_lines().map(|line| line.sku.clone()).collect();
        waiting.sort();
        waiting.dedup();
        OrderIndex {
            order: order.id().clone(),
            seq: order.seq(),
            stage: order.stage(),
            customer: order.customer().clone(),
            placed_at: order.placed_at(),
            waiting,
            window: order.window(),
            tags: tags.to_vec(),
            facts: Some(OrderFacts::of(order)),
            consent_by: match order.consent() {
                Consent::Required { by } if order.stage().is_open() => Some(by),
                _ => None,
            },
        }
    }
}

/// The one way to reach an order's object.
#[derive(Debug)]
pub struct OrderStub(Stub);

impl OrderStub {
    /// The object of `order` in `shop`, named `{shop}/{order}`.
    pub fn get(env: &Env, shop: &ShopId, order: &OrderId) -> Result<OrderStub, EdgeError> {
        Ok(OrderStub(
            env.durable_object(bindings::ORDERS)?
                .get_by_name(&format!("{shop}/{order}"))?,
        ))
    }

    pub async fn apply(&self, command: &Command) -> Result<Answer, EdgeError> {
        super::post(&self.0, OrderRoute::Apply.path(), command).await
    }

    /// What the order is now, and what it queued that the shop may not
    /// know: for the shop's sweep after a command whose answer was lost.
    pub async fn report(&self) -> Result<Answer, EdgeError> {
        super::post(&self.0, OrderRoute::Report.path(), &serde_json::json!({})).await
    }

    /// The customer's view and contact, or `None` for an order not placed.
    pub async fn support(&self) -> Result<Option<SupportView>, EdgeError> {
        super::post(&self.0, OrderRoute::Support.path(), &serde_json::json!({})).await
    }

    /// Hands an order page's WebSocket upgrade (its headers) to the order.
    pub async fn live(&self, headers: &Headers) -> Result<Response, EdgeError> {
        super::pass_on(&self.0, OrderRoute::Live.path(), headers).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_route_reads_back_from_its_path_and_nothing_else_does() {
        for route in OrderRoute::ALL {
            assert_eq!(OrderRoute::parse(route.path()), Some(route));
        }
        for path in ["/apply", "/live", "/internal/view", "/", ""] {
            assert_eq!(OrderRoute::parse(path), None, "{path}");
        }
    }
}
