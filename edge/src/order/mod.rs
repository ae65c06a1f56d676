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

mod outbox;

use serde::{Deserialize, Serialize};
use shared::lifecycle::{
    Effect, Email, Event, Happening, Locale, Order, OrderView, Rejection, ShopPolicy,
    TimelineEntry, apply, timeline_entries,
};
use shared::text::MerchantText;
use shared::{ShopId, Sku, Timestamp};
use worker::{
    DurableObject, Env, ListOptions, Request, Response, State, WebSocket, WebSocketIncomingMessage,
    WebSocketPair, durable_object,
};

use crate::calls::queue::{self, ActionJob, EmailJob, Job};
use crate::calls::shop::Taken;
use crate::calls::{Answer, Command, News, OrderIndex, OrderRoute, Outcome, ShopStub, SupportView};
use crate::error::EdgeError;
use crate::webhooks::Contact;
use crate::{clock, http, logs, storage};
use outbox::{Entry, OUTBOX, events_for, queue_effects};

const RECORD: &str = "order";
/// How many recent event keys an order remembers to drop duplicates.
const REMEMBERED_KEYS: usize = 64;
/// When carrying out the outbox fails, the alarm tries again this soon.
const RETRY_MS: i64 = 5_000;
/// The outbox's index and logged-email entries, the safety net behind the
/// caller's own keeping of a command's answer, run this long after it.
const INDEX_CHECK_MS: i64 = 30_000;
/// The most order pages one order keeps live at once (tabs, devices).
const MAX_SOCKETS: usize = 16;

/// Everything the object keeps, as one versioned record.
#[derive(Serialize, Deserialize)]
struct Record {
    version: u32,
    shop: ShopId,
    order: Order,
    contact: Contact,
    /// The shop's policy as of the last command, as the shop parsed it.
    policy: ShopPolicy,
    timeline: Vec<TimelineEntry>,
    tags: Vec<String>,
    /// Keys of recently applied deliveries (webhook or fan-out ids).
    seen: Vec<String>,
    /// The items' names as the store sent them with the order, by SKU.
    #[serde(default)]
    names: Vec<(Sku, String)>,
}

impl Record {
    /// The names a customer reads: the store's for the order's items, the
    /// merchant's for the alternatives the policy may offer.
    fn names(&self) -> Vec<(Sku, String)> {
        let mut names = self.names.clone();
        for alternative in self.policy.alternatives() {
            if let Some(name) = &alternative.name
                && !names.iter().any(|(sku, _)| *sku == alternative.sku)
            {
                names.push((alternative.sku.clone(), name.clone()));
            }
        }
        names
    }
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
        let answer = match OrderRoute::parse(&req.path()) {
            Some(OrderRoute::Apply) => match http::json_body::<Command>(&mut req, 512 * 1024).await
            {
                Ok(command) => self.take(command).await,
                Err(err) => Err(err),
            },
            Some(OrderRoute::Live) => self.live(&req).await,
            Some(OrderRoute::Report) => match self.load().await {
                Ok(Some(record)) => self
                    .catch_up(&record)
                    .await
                    .and_then(|a| http::json(&a, 200)),
                Ok(None) => answer(
                    Outcome::Rejected,
                    Some(&Rejection::UnknownOrder),
                    None,
                    clock::now(),
                ),
                Err(err) => Err(err),
            },
            Some(OrderRoute::Support) => match self.load().await {
                Ok(record) => http::json(
                    &record.map(|record| SupportView {
                        view: public_view(&record, clock::now()),
                        contact: record.contact,
                    }),
                    200,
                ),
                Err(err) => Err(err),
            },
            None => Err(EdgeError::NotFound),
        };
        match answer {
            Ok(response) => Ok(response),
            Err(err) => err.into_response(),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let started = logs::start();
        let outcome = match self.wake().await {
            Ok(()) => "done",
            Err(err) => {
                worker::console_error!("order alarm: {err}");
                let _ = self.state.storage().set_alarm(RETRY_MS).await;
                "retry"
            }
        };
        // The object is named `{shop}/{order}` (`OrderStub::get`).
        let name = self.state.id().name().unwrap_or_default();
        let (shop, order) = name.split_once('/').unzip();
        logs::Line {
            kind: "alarm",
            what: "order",
            shop,
            order,
            outcome,
            ms: 0,
        }
        .write(started);
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

    /// A duplicate's answer: the index, and the emails and actions whose
    /// keeping by the shop the alarm has not confirmed yet, for a retried
    /// caller (or the shop's sweep) to catch up with.
    async fn catch_up(&self, record: &Record) -> Result<Answer, EdgeError> {
        let mut answered = answered(Outcome::Duplicate, None, Some(record), clock::now());
        for (_, entry) in self.outbox().await? {
            match entry {
                Entry::Logged { key, email } => {
                    answered.emails.push(email_job(record, &key, &email));
                }
                Entry::LoggedAction { key, effect } => {
                    answered.actions.push(action_job(record, &key, &effect));
                }
                _ => {}
            }
        }
        Ok(answered)
    }

    async fn take(&self, command: Command) -> Result<Response, EdgeError> {
        let existing = self.load().await?;
        let now = clock::now();
        let indexing = if command.swept {
            Indexing::Swept
        } else {
            Indexing::Later
        };
        if let (Some(record), Some(key)) = (&existing, &command.key)
            && record.seen.contains(key)
        {
            return http::json(&self.catch_up(record).await?, 200);
        }
        let events = events_for(existing.as_ref().map(|r| &r.order), &command.news);
        let mut current = existing.as_ref().map(|r| r.order.clone());
        let mut accepted = Vec::new();
        let mut rejection = events.is_empty().then_some(Rejection::UnknownOrder);
        for event in &events {
            match apply(current.as_ref(), event, now, &command.policy) {
                Ok((order, effects)) => {
                    accepted.push((event, effects, order.seq()));
                    current = Some(order);
                }
                Err(refused) => {
                    rejection = Some(refused);
                    break;
                }
            }
        }
        let Some(order) = current.filter(|_| !accepted.is_empty()) else {
            let record = existing.as_ref();
            return answer(Outcome::Rejected, rejection.as_ref(), record, now);
        };
        let mut record = match existing {
            Some(record) => record,
            None => new_record(&command, order.clone())?,
        };
        record.policy = command.policy;
        record.order = order;
        let mut outbox = Vec::new();
        let last = accepted.len().saturating_sub(1);
        for (index, (event, mut effects, seq)) in accepted.into_iter().enumerate() {
            record
                .timeline
                .extend(timeline_entries(event, &effects, now));
            // One piece of news, one email: the steps a shipment implied
            // (restocked, packed) are on the timeline, not in the inbox.
            if index < last {
                effects.retain(|effect| !outbox::is_implied_step_email(effect));
            }
            let (shop, id) = (&record.shop, record.order.id());
            outbox.extend(queue_effects(shop, id, seq, effects, &mut record.tags));
        }
        if let Some(key) = command.key {
            record.seen.push(key);
            let excess = record.seen.len().saturating_sub(REMEMBERED_KEYS);
            record.seen.drain(..excess);
        }
        self.store(&record, &outbox).await?;
        // The caller keeps the answer (the index and the emails queued):
        // the outbox's index entry waits for the alarm, so the shop's object
        // is never called back while it awaits this answer.
        self.carry_out(&record, indexing).await;
        let emails = outbox.iter().filter_map(|(_, entry)| match entry {
            Entry::Email { key, email } => Some(email_job(&record, key, email)),
            _ => None,
        });
        let actions = outbox.iter().filter_map(|(_, entry)| match entry {
            Entry::Action { key, effect } => Some(action_job(&record, key, effect)),
            _ => None,
        });
        let mut answered = answered(Outcome::Applied, rejection.as_ref(), Some(&record), now);
        answered.emails = emails.collect();
        answered.actions = actions.collect();
        http::json(&answered, 200)
    }

    /// Keeps the record and its new outbox entries in one atomic write.
    async fn store(&self, record: &Record, outbox: &[(String, Entry)]) -> Result<(), EdgeError> {
        self.put_texts(
            std::iter::once((RECORD.to_owned(), to_json_text(record)?)).chain(
                outbox
                    .iter()
                    .map(|(key, entry)| Ok((key.clone(), to_json_text(entry)?)))
                    .collect::<Result<Vec<_>, EdgeError>>()?,
            ),
        )
        .await
    }

    /// Keeps outbox entries, in one write.
    async fn put_entries(&self, entries: &[(String, Entry)]) -> Result<(), EdgeError> {
        let texts = entries
            .iter()
            .map(|(key, entry)| Ok((key.clone(), to_json_text(entry)?)))
            .collect::<Result<Vec<_>, EdgeError>>()?;
        self.put_texts(texts).await
    }

    /// Writes JSON texts under their keys, in one atomic write.
    async fn put_texts(
        &self,
        texts: impl IntoIterator<Item = (String, String)>,
    ) -> Result<(), EdgeError> {
        // A plain object of JSON texts: serde would make a JS Map, which
        // storage does not take as a set of keys.
        let all = js_sys::Object::new();
        for (key, text) in texts {
            js_sys::Reflect::set(&all, &key.into(), &text.into())
                .map_err(|_| EdgeError::Internal("building a storage write".into()))?;
        }
        self.state.storage().put_multiple_raw(all).await?;
        Ok(())
    }

    /// Runs the outbox in order; an entry is deleted once done. What fails
    /// stays for the alarm to try again, and so does the index entry when
    /// `indexing` is `Later`.
    async fn carry_out(&self, record: &Record, indexing: Indexing) {
        let wake_up = record
            .order
            .wake_up()
            .map(|at| at.unix_seconds() * 1000 - clock::now_millis());
        let next = match self.drain(record, indexing).await {
            Ok(Drained::All) => wake_up,
            Ok(Drained::IndexLeft) => {
                Some(wake_up.map_or(INDEX_CHECK_MS, |w| w.min(INDEX_CHECK_MS)))
            }
            Err(err) => {
                worker::console_error!("order outbox: {err}");
                Some(RETRY_MS)
            }
        };
        let storage = self.state.storage();
        let set = match next {
            Some(offset) => storage.set_alarm(offset.max(0)).await,
            None => storage.delete_alarm().await,
        };
        if let Err(err) = set {
            worker::console_error!("setting the order's alarm: {err}");
        }
    }

    /// The outbox's entries, in order: a storage list comes back in key
    /// order, sequence then index.
    async fn outbox(&self) -> Result<Vec<(String, Entry)>, EdgeError> {
        let pending = self
            .state
            .storage()
            .list_with_options(ListOptions::new().prefix(OUTBOX))
            .await?;
        let mut entries = Vec::new();
        for key in pending.keys() {
            let key = key.map_err(|_| EdgeError::Internal("unreadable outbox key".into()))?;
            let (Some(name), Some(text)) = (key.as_string(), pending.get(&key).as_string()) else {
                continue;
            };
            let entry: Entry = serde_json::from_str(&text)
                .map_err(|err| EdgeError::Internal(format!("outbox {name}: {err}")))?;
            entries.push((name, entry));
        }
        Ok(entries)
    }

    /// Carries out the outbox: the view published, then every email and
    /// action queued in one batch, then the storage changes in one write
    /// (each await on other I/O would end a storage transaction of its
    /// own). What fails leaves its entry, and those after it, for the
    /// alarm: doing an entry twice is harmless, each is keyed.
    async fn drain(&self, record: &Record, indexing: Indexing) -> Result<Drained, EdgeError> {
        let storage = self.state.storage();
        let mut drained = Drained::All;
        // From the alarm, the index and the logged emails and actions go to
        // the shop in one call, after the rest.
        let mut taken = Taken::default();
        let mut told = Vec::new();
        let mut done = Vec::new();
        let mut logged = Vec::new();
        let mut jobs = Vec::new();
        for (key, entry) in self.outbox().await? {
            match indexing {
                Indexing::Later if entry.waits_for_the_alarm() => drained = Drained::IndexLeft,
                Indexing::Swept if entry.waits_for_the_alarm() => {}
                Indexing::Now if gather(&mut taken, record, &entry) => told.push(key),
                _ => {
                    if entry == Entry::Publish {
                        self.publish(record).await?;
                    }
                    jobs.extend(job_of(record, &entry));
                    // A queued email or action is kept, as logged, until the
                    // shop has been told: by this drain's call from the
                    // alarm, else by the alarm after the command (or, for a
                    // swept command, by its caller and the shop's sweep).
                    match entry.logged() {
                        Some(entry) => {
                            match indexing {
                                Indexing::Now => {
                                    gather(&mut taken, record, &entry);
                                    told.push(key.clone());
                                }
                                Indexing::Later => drained = Drained::IndexLeft,
                                Indexing::Swept => {}
                            }
                            logged.push((key, entry));
                        }
                        None => done.push(key),
                    }
                }
            }
        }
        queue::send_all(&self.env, jobs).await?;
        if !logged.is_empty() {
            self.put_entries(&logged).await?;
        }
        if !told.is_empty() {
            ShopStub::get(&self.env, &record.shop)?
                .index(&taken)
                .await?;
            done.append(&mut told);
        }
        if !done.is_empty() {
            storage.delete_multiple(done).await?;
        }
        Ok(drained)
    }

    /// Publishes the order's view: to KV, and to its open order pages at
    /// once (one that has gone away is dropped by the runtime, and polls
    /// when it returns).
    async fn publish(&self, record: &Record) -> Result<(), EdgeError> {
        let view = public_view(record, clock::now());
        storage::put_order_view(&self.env, &record.shop, &view).await?;
        let text = to_json_text(&view)?;
        for socket in self.state.get_websockets() {
            let _ = socket.send_with_str(&text);
        }
        Ok(())
    }

    /// The alarm: time passed. A due wake-up is applied as
    /// `Event::TimePassed`; any outbox left over is carried out, the index
    /// entry included.
    async fn wake(&self) -> Result<(), EdgeError> {
        let Some(mut record) = self.load().await? else {
            return Ok(());
        };
        let now = clock::now();
        if record.order.wake_up().is_some_and(|at| at <= now) {
            match apply(Some(&record.order), &Event::TimePassed, now, &record.policy) {
                Ok((order, effects)) => {
                    record.order = order;
                    record
                        .timeline
                        .extend(timeline_entries(&Event::TimePassed, &effects, now));
                    let seq = record.order.seq();
                    let (shop, id) = (&record.shop, record.order.id());
                    let outbox = queue_effects(shop, id, seq, effects, &mut record.tags);
                    self.store(&record, &outbox).await?;
                }
                Err(rejection) => {
                    worker::console_error!("order wake-up refused: {rejection}");
                }
            }
        }
        self.carry_out(&record, Indexing::Now).await;
        Ok(())
    }
}

/// Whether a drain of the outbox runs its index entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Indexing {
    /// From the alarm: nobody else will.
    Now,
    /// From a command: its caller indexes the answer, and the alarm checks
    /// a little later that the shop knows.
    Later,
    /// From a command the shop sends again until it knows the answer: the
    /// entries wait for the order's next alarm, which none is set for.
    Swept,
}

enum Drained {
    All,
    IndexLeft,
}

/// A new order's record, from the command that placed it.
fn new_record(command: &Command, order: Order) -> Result<Record, EdgeError> {
    let News::Place { contact, names, .. } = &command.news else {
        return Err(EdgeError::Internal("placed without a placement".into()));
    };
    Ok(Record {
        version: 1,
        shop: command.shop.clone(),
        order,
        contact: contact.clone(),
        policy: command.policy.clone(),
        timeline: Vec::new(),
        tags: Vec::new(),
        seen: Vec::new(),
        names: names.clone(),
    })
}

fn answered(
    outcome: Outcome,
    rejection: Option<&Rejection>,
    record: Option<&Record>,
    now: Timestamp,
) -> Answer {
    Answer {
        outcome,
        rejection: rejection.map(Into::into),
        view: record.map(|r| public_view(r, now)),
        index: record.map(|r| OrderIndex::of(&r.order, &r.tags)),
        emails: Vec::new(),
        actions: Vec::new(),
    }
}

fn answer(
    outcome: Outcome,
    rejection: Option<&Rejection>,
    record: Option<&Record>,
    now: Timestamp,
) -> Result<Response, EdgeError> {
    http::json(&answered(outcome, rejection, record, now), 200)
}

/// From the alarm, what the shop keeps in one call: the index (once, as the
/// order is now) and the logged emails and actions. False for any other
/// entry.
fn gather(taken: &mut Taken, record: &Record, entry: &Entry) -> bool {
    match entry {
        Entry::Index if taken.orders.is_empty() => {
            taken
                .orders
                .push(OrderIndex::of(&record.order, &record.tags));
        }
        Entry::Index => {}
        Entry::Logged { key, email } => taken.emails.push(email_job(record, key, email)),
        Entry::LoggedAction { key, effect } => {
            taken.actions.push(action_job(record, key, effect));
        }
        _ => return false,
    }
    true
}

/// The queue job an entry asks for, if any: an email for the customer or
/// an action for the back office.
fn job_of(record: &Record, entry: &Entry) -> Option<Job> {
    match entry {
        Entry::Email { key, email } => Some(Job::Email(email_job(record, key, email))),
        Entry::Action { key, effect } => Some(Job::Action(action_job(record, key, effect))),
        Entry::Publish | Entry::Index | Entry::Logged { .. } | Entry::LoggedAction { .. } => None,
    }
}

/// The queue's job for one of the order's actions for the back office.
fn action_job(record: &Record, key: &str, effect: &Effect) -> ActionJob {
    ActionJob {
        key: key.to_owned(),
        shop: record.shop.clone(),
        order: record.order.id().clone(),
        effect: effect.clone(),
    }
}

/// The queue's job for one of the order's emails, to its customer, in
/// their language (else the shop's).
fn email_job(record: &Record, key: &str, email: &Email) -> EmailJob {
    EmailJob {
        key: key.to_owned(),
        shop: record.shop.clone(),
        order: record.order.id().clone(),
        email: email.clone(),
        to: record.contact.clone(),
        locale: record
            .contact
            .locale
            .clone()
            .unwrap_or_else(|| record.policy.locale().code().to_owned()),
        names: record.names(),
    }
}

/// What the order's customer may see, with the shop's language for a page
/// that names none.
fn public_view(record: &Record, now: Timestamp) -> OrderView {
    let mut view = OrderView::of(&record.order, &record.timeline, now);
    view.locale = Some(record.policy.locale().code().to_owned());
    view.names = record.names();
    // The merchant's words in the customer's language if they gave it,
    // else the shop's, saying which: the page shows them as they come.
    let shop = record.policy.locale();
    let customer = record
        .contact
        .locale
        .as_deref()
        .and_then(Locale::from_tag)
        .unwrap_or(shop);
    for entry in &mut view.timeline {
        if let Happening::Delayed {
            reason, fix, lang, ..
        } = &mut entry.happening
        {
            let (picked, written) = reason.pick(customer, shop);
            let picked = MerchantText::One(picked.to_owned());
            let fix_picked = MerchantText::One(fix.pick(customer, shop).0.to_owned());
            *lang = written;
            *reason = picked;
            *fix = fix_picked;
        }
    }
    view
}

fn to_json_text<T: Serialize>(value: &T) -> Result<String, EdgeError> {
    serde_json::to_string(value)
        .map_err(|err| EdgeError::Internal(format!("serialising for storage: {err}")))
}
