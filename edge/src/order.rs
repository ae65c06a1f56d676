//! The order shell: one Durable Object per order, the at-least-once shell
//! that `shared::lifecycle::apply` was built for.
//!
//! Each command runs strictly one at a time: load, apply, and in one storage
//! write keep the new order and its effects in an outbox keyed by order,
//! sequence and index. Only storage awaits sit between the load and the
//! write, so the Durable Object's input gate makes that step atomic (a
//! concurrent request sees the order before or after it, never half). Then
//! the outbox is carried out, at least once (doing an entry twice is
//! harmless: each is keyed), and the alarm is set to the next wake-up.
//! Customer contact details live here and go only into the mail path.

use serde::{Deserialize, Serialize};
use shared::lifecycle::{
    Effect, Email, Event, NewOrder, Order, OrderView, RawShopPolicy, Rejection, ShopPolicy,
    TimelineEntry, apply, timeline_entries,
};
use shared::{ShopId, Timestamp};
use worker::{
    DurableObject, Env, ListOptions, Request, Response, State, WebSocket, WebSocketIncomingMessage,
    WebSocketPair, durable_object,
};

use crate::error::EdgeError;
use crate::http;
use crate::jobs::{self, ActionJob, EmailJob, Job};
use crate::webhooks::Contact;
use crate::{clock, storage};

const RECORD: &str = "order";
const OUTBOX: &str = "outbox/";
/// How many recent event keys an order remembers to drop duplicates.
const REMEMBERED_KEYS: usize = 64;
/// When carrying out the outbox fails, the alarm tries again this soon.
const RETRY_MS: i64 = 5_000;
/// The most order pages one order keeps live at once (tabs, devices).
const MAX_SOCKETS: usize = 16;

/// Everything the object keeps, as one versioned record.
#[derive(Serialize, Deserialize)]
struct Record {
    version: u32,
    shop: ShopId,
    order: Order,
    contact: Contact,
    policy: RawShopPolicy,
    timeline: Vec<TimelineEntry>,
    tags: Vec<String>,
    /// Keys of recently applied deliveries (webhook or fan-out ids).
    seen: Vec<String>,
}

/// What a caller asks an order to take in.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "news", rename_all = "snake_case")]
pub enum News {
    Place {
        order: NewOrder,
        contact: Contact,
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
    pub policy: RawShopPolicy,
    pub news: News,
    /// A delivery's key: the same key twice is applied once.
    pub key: Option<String>,
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
}

#[derive(Debug, Serialize, Deserialize)]
pub struct RejectionBody {
    pub code: String,
    pub message: String,
    /// For `already_chose`: the choice on record.
    pub chosen: Option<serde_json::Value>,
}

fn rejection_body(rejection: &Rejection) -> RejectionBody {
    let (code, chosen) = match rejection {
        Rejection::UnknownOrder => ("unknown_order", None),
        Rejection::AlreadyPlaced => ("already_placed", None),
        Rejection::InvalidOrder(_) => ("invalid_order", None),
        Rejection::NotWaitingFor(_) => ("not_waiting", None),
        Rejection::MissingExplanation(_) => ("missing_explanation", None),
        Rejection::MissingShipmentDetails => ("missing_shipment_details", None),
        Rejection::WrongStage { .. } => ("wrong_stage", None),
        Rejection::UnknownOffer(_) => ("unknown_offer", None),
        Rejection::OfferClosed(_) => ("offer_closed", None),
        Rejection::NotOffered(_) => ("not_offered", None),
        Rejection::AlreadyChose { chosen, .. } => {
            ("already_chose", serde_json::to_value(chosen).ok())
        }
        Rejection::TimeWentBackwards { .. } => ("time_went_backwards", None),
    };
    RejectionBody {
        code: code.to_owned(),
        message: rejection.to_string(),
        chosen,
    }
}

/// One piece of work an accepted event left, kept until it is done.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
enum Entry {
    /// Write the public view to KV, as it is when the entry runs.
    Publish,
    /// Tell the shop's records the order's stage and what it waits for.
    Index,
    Email {
        key: String,
        email: Email,
    },
    Action {
        key: String,
        effect: Effect,
    },
}

fn outbox_key(seq: u64, index: usize) -> String {
    format!("{OUTBOX}{seq:012}/{index:04}")
}

#[durable_object]
pub struct OrderShell {
    state: State,
    env: Env,
}

impl std::fmt::Debug for OrderShell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OrderShell").finish_non_exhaustive()
    }
}

impl DurableObject for OrderShell {
    fn new(state: State, env: Env) -> Self {
        Self { state, env }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let answer = match req.path().as_str() {
            "/apply" => match http::json_body::<Command>(&mut req, 512 * 1024).await {
                Ok(command) => self.take(command).await,
                Err(err) => Err(err),
            },
            "/view" => self.current_view().await,
            "/live" => self.live(&req).await,
            _ => Err(EdgeError::NotFound),
        };
        match answer {
            Ok(response) => Ok(response),
            Err(err) => err.into_response(),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(err) = self.wake().await {
            worker::console_error!("order alarm: {err}");
            let _ = self.state.storage().set_alarm(RETRY_MS).await;
        }
        Response::ok("")
    }

    // The order page's sockets only listen: whatever a client sends is
    // ignored, and a close is answered. (Without these, the defaults panic.)
    async fn websocket_message(
        &self,
        _ws: WebSocket,
        _message: WebSocketIncomingMessage,
    ) -> worker::Result<()> {
        Ok(())
    }

    async fn websocket_close(
        &self,
        ws: WebSocket,
        _code: usize,
        _reason: String,
        _was_clean: bool,
    ) -> worker::Result<()> {
        let _ = ws.close(Some(1000), Some("closed"));
        Ok(())
    }

    async fn websocket_error(&self, _ws: WebSocket, _error: worker::Error) -> worker::Result<()> {
        Ok(())
    }
}

impl OrderShell {
    async fn load(&self) -> Result<Option<Record>, EdgeError> {
        let Some(text) = self.state.storage().get::<String>(RECORD).await? else {
            return Ok(None);
        };
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|err| EdgeError::Internal(format!("stored order is unreadable: {err}")))
    }

    async fn current_view(&self) -> Result<Response, EdgeError> {
        let record = self.load().await?;
        let view = record.map(|r| public_view(&r, clock::now()));
        http::json(&view, 200)
    }

    /// An order page's live connection (the shop's object checked the
    /// customer's link): a WebSocket, accepted with the hibernation API so
    /// that an idle page costs the object nothing, sent the current view at
    /// once and every newer one as the order publishes it.
    async fn live(&self, req: &Request) -> Result<Response, EdgeError> {
        let upgrade = req.headers().get("Upgrade")?.unwrap_or_default();
        if !upgrade.eq_ignore_ascii_case("websocket") {
            return Err(EdgeError::InvalidInput {
                field: "upgrade",
                reason: "this path only takes a WebSocket".into(),
            });
        }
        let record = self
            .load()
            .await?
            .ok_or_else(|| EdgeError::UnknownOrder("this order".into()))?;
        if self.state.get_websockets().len() >= MAX_SOCKETS {
            return Err(EdgeError::TooManyConnections);
        }
        let pair = WebSocketPair::new()?;
        self.state.accept_web_socket(&pair.server);
        pair.server
            .send_with_str(to_json_text(&public_view(&record, clock::now()))?)?;
        Ok(Response::from_websocket(pair.client)?)
    }

    async fn take(&self, command: Command) -> Result<Response, EdgeError> {
        let policy = ShopPolicy::parse(command.policy.clone())
            .map_err(|err| EdgeError::Internal(format!("the shop's policy is invalid: {err}")))?;
        let existing = self.load().await?;
        let now = clock::now();
        if let (Some(record), Some(key)) = (&existing, &command.key)
            && record.seen.contains(key)
        {
            return answer(Outcome::Duplicate, None, Some(record), now);
        }
        let events = events_for(existing.as_ref().map(|r| &r.order), &command.news);
        let mut current = existing.as_ref().map(|r| r.order.clone());
        let mut effects_by_event = Vec::new();
        let mut rejection = None;
        for event in &events {
            match apply(current.as_ref(), event, now, &policy) {
                Ok((order, effects)) => {
                    effects_by_event.push((event, effects, order.seq()));
                    current = Some(order);
                }
                Err(refused) => {
                    rejection = Some(refused);
                    break;
                }
            }
        }
        if events.is_empty() {
            rejection = Some(Rejection::UnknownOrder);
        }
        let Some(order) = current.filter(|_| !effects_by_event.is_empty()) else {
            return answer(
                Outcome::Rejected,
                rejection.as_ref(),
                existing.as_ref(),
                now,
            );
        };
        let mut record = match existing {
            Some(record) => record,
            None => {
                let News::Place { contact, .. } = &command.news else {
                    return Err(EdgeError::Internal("placed without a placement".into()));
                };
                Record {
                    version: 1,
                    shop: command.shop.clone(),
                    order: order.clone(),
                    contact: contact.clone(),
                    policy: command.policy.clone(),
                    timeline: Vec::new(),
                    tags: Vec::new(),
                    seen: Vec::new(),
                }
            }
        };
        record.policy = command.policy.clone();
        let mut outbox = Vec::new();
        record.order = order;
        for (event, effects, seq) in effects_by_event {
            record
                .timeline
                .extend(timeline_entries(event, &effects, now));
            queue_effects(&mut record, seq, effects, &mut outbox);
        }
        if let Some(key) = command.key {
            record.seen.push(key);
            let excess = record.seen.len().saturating_sub(REMEMBERED_KEYS);
            record.seen.drain(..excess);
        }
        self.store(&record, &outbox).await?;
        self.carry_out(&record).await;
        answer(Outcome::Applied, rejection.as_ref(), Some(&record), now)
    }

    /// Keeps the record and its new outbox entries in one atomic write.
    async fn store(&self, record: &Record, outbox: &[(String, Entry)]) -> Result<(), EdgeError> {
        // A plain object of JSON texts: serde would make a JS Map, which
        // storage does not take as a set of keys.
        let all = js_sys::Object::new();
        let set = |key: &str, text: String| {
            js_sys::Reflect::set(&all, &key.into(), &text.into())
                .map(|_| ())
                .map_err(|_| EdgeError::Internal("building a storage write".into()))
        };
        set(RECORD, to_json_text(record)?)?;
        for (key, entry) in outbox {
            set(key, to_json_text(entry)?)?;
        }
        self.state.storage().put_multiple_raw(all).await?;
        Ok(())
    }

    /// Runs the outbox in order; an entry is deleted once done. What fails
    /// stays for the alarm to try again.
    async fn carry_out(&self, record: &Record) {
        let result = self.drain(record).await;
        let storage = self.state.storage();
        let next = match result {
            Ok(()) => record
                .order
                .wake_up()
                .map(|at| at.unix_seconds() * 1000 - clock::now_millis()),
            Err(err) => {
                worker::console_error!("order outbox: {err}");
                Some(RETRY_MS)
            }
        };
        let set = match next {
            Some(offset) => storage.set_alarm(offset.max(0)).await,
            None => storage.delete_alarm().await,
        };
        if let Err(err) = set {
            worker::console_error!("setting the order's alarm: {err}");
        }
    }

    async fn drain(&self, record: &Record) -> Result<(), EdgeError> {
        let storage = self.state.storage();
        let pending = storage
            .list_with_options(ListOptions::new().prefix(OUTBOX))
            .await?;
        // A storage list comes back in key order: sequence, then index.
        let mut entries = Vec::new();
        for key in pending.keys() {
            let key = key.map_err(|_| EdgeError::Internal("unreadable outbox key".into()))?;
            let (Some(name), Some(text)) = (key.as_string(), pending.get(&key).as_string()) else {
                continue;
            };
            entries.push((name, text));
        }
        for (key, text) in entries {
            let entry: Entry = serde_json::from_str(&text)
                .map_err(|err| EdgeError::Internal(format!("outbox {key}: {err}")))?;
            self.run(record, &entry).await?;
            storage.delete(&key).await?;
        }
        Ok(())
    }

    async fn run(&self, record: &Record, entry: &Entry) -> Result<(), EdgeError> {
        let shop = &record.shop;
        let order = record.order.id();
        match entry {
            Entry::Publish => {
                let view = public_view(record, clock::now());
                storage::put_order_view(&self.env, shop, &view).await?;
                // Open order pages hear of it at once; one that has gone
                // away is dropped by the runtime, and polls when it returns.
                let text = to_json_text(&view)?;
                for socket in self.state.get_websockets() {
                    let _ = socket.send_with_str(&text);
                }
                Ok(())
            }
            Entry::Index => {
                let index = jobs::OrderIndex::of(&record.order, &record.tags);
                let stub = jobs::shop_stub(&self.env, shop)?;
                let _: serde_json::Value =
                    http::call_json(&stub, "/internal/index", &index).await?;
                Ok(())
            }
            Entry::Email { key, email } => {
                jobs::send(
                    &self.env,
                    &Job::Email(EmailJob {
                        key: key.clone(),
                        shop: shop.clone(),
                        order: order.clone(),
                        email: email.clone(),
                        to: record.contact.clone(),
                        locale: record
                            .contact
                            .locale
                            .clone()
                            .unwrap_or_else(|| record.policy.locale.code().to_owned()),
                    }),
                )
                .await
            }
            Entry::Action { key, effect } => {
                jobs::send(
                    &self.env,
                    &Job::Action(ActionJob {
                        key: key.clone(),
                        shop: shop.clone(),
                        order: order.clone(),
                        effect: effect.clone(),
                    }),
                )
                .await
            }
        }
    }

    /// The alarm: time passed. A due wake-up is applied as
    /// `Event::TimePassed`; any outbox left over is carried out.
    async fn wake(&self) -> Result<(), EdgeError> {
        let Some(mut record) = self.load().await? else {
            return Ok(());
        };
        let now = clock::now();
        if record.order.wake_up().is_some_and(|at| at <= now) {
            let policy = ShopPolicy::parse(record.policy.clone())
                .map_err(|err| EdgeError::Internal(format!("stored policy is invalid: {err}")))?;
            match apply(Some(&record.order), &Event::TimePassed, now, &policy) {
                Ok((order, effects)) => {
                    record.order = order;
                    record
                        .timeline
                        .extend(timeline_entries(&Event::TimePassed, &effects, now));
                    let mut outbox = Vec::new();
                    let seq = record.order.seq();
                    queue_effects(&mut record, seq, effects, &mut outbox);
                    self.store(&record, &outbox).await?;
                }
                Err(rejection) => {
                    worker::console_error!("order wake-up refused: {rejection}");
                }
            }
        }
        self.carry_out(&record).await;
        Ok(())
    }
}

fn answer(
    outcome: Outcome,
    rejection: Option<&Rejection>,
    record: Option<&Record>,
    now: Timestamp,
) -> Result<Response, EdgeError> {
    http::json(
        &Answer {
            outcome,
            rejection: rejection.map(rejection_body),
            view: record.map(|r| public_view(r, now)),
        },
        200,
    )
}

/// What the order's customer may see, with the shop's language for a page
/// that names none.
fn public_view(record: &Record, now: Timestamp) -> OrderView {
    let mut view = OrderView::of(&record.order, &record.timeline, now);
    view.locale = Some(record.policy.locale.code().to_owned());
    view
}

fn to_json_text<T: Serialize>(value: &T) -> Result<String, EdgeError> {
    serde_json::to_string(value)
        .map_err(|err| EdgeError::Internal(format!("serialising for storage: {err}")))
}

/// The events a piece of news means for this order now (`None`: not placed).
fn events_for(order: Option<&Order>, news: &News) -> Vec<Event> {
    use shared::lifecycle::{LineState, Stage};
    let order = match (news, order) {
        (News::Place { order: new, .. }, _) => return vec![Event::Placed(new.clone())],
        (News::Event { event }, _) => return vec![event.clone()],
        (News::Ship { .. } | News::Deliver, None) => return Vec::new(),
        (News::Ship { .. } | News::Deliver, Some(order)) => order,
    };
    let (carrier, tracking) = carrier_of(news);
    let stage = order.stage();
    let mut events = Vec::new();
    if stage == Stage::Waiting {
        let mut skus: Vec<_> = order
            .lines()
            .iter()
            .filter(|line| line.state == LineState::Waiting)
            .map(|line| line.sku.clone())
            .collect();
        skus.sort();
        skus.dedup();
        events.extend(skus.into_iter().map(|sku| Event::StockArrived { sku }));
    }
    if matches!(stage, Stage::Waiting | Stage::Processing) {
        events.push(Event::Processed);
    }
    let deliver = matches!(news, News::Deliver);
    // A shipment for an order already shipped goes to the core too, which
    // refuses it and says why.
    if stage.is_open() || !deliver {
        events.push(Event::Shipped { carrier, tracking });
    }
    if deliver {
        events.push(Event::Delivered);
    }
    events
}

fn carrier_of(news: &News) -> (String, String) {
    match news {
        News::Ship { carrier, tracking } => (carrier.clone(), tracking.clone()),
        _ => ("the carrier".to_owned(), "(no tracking number)".to_owned()),
    }
}

/// Turns an accepted event's effects into outbox entries: one publish and
/// one index per event, every email and action keyed by order, sequence and
/// index. Timers and offers need no entry: the alarm follows the order.
fn queue_effects(
    record: &mut Record,
    seq: u64,
    effects: Vec<Effect>,
    outbox: &mut Vec<(String, Entry)>,
) {
    let order = record.order.id().clone();
    let mut index = 0;
    let mut push = |entry: Entry, outbox: &mut Vec<(String, Entry)>| {
        outbox.push((outbox_key(seq, index), entry));
        index += 1;
    };
    push(Entry::Publish, outbox);
    for (position, effect) in effects.into_iter().enumerate() {
        let key = format!("{}/{order}/{seq}/{position}", record.shop);
        match effect {
            Effect::Send(email) => push(Entry::Email { key, email }, outbox),
            Effect::WakeUpAt { .. }
            | Effect::OfferOpened { .. }
            | Effect::OfferClosed { .. }
            | Effect::ShowStatus(_) => {}
            Effect::TagOrder { tag } => {
                if !record.tags.contains(&tag) {
                    record.tags.push(tag.clone());
                }
                push(
                    Entry::Action {
                        key,
                        effect: Effect::TagOrder { tag },
                    },
                    outbox,
                );
            }
            effect => push(Entry::Action { key, effect }, outbox),
        }
    }
    push(Entry::Index, outbox);
}
