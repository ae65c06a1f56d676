//! Orders: placing a store's order when a line is on backorder here, news
//! for an order (kept until the order is known), the index of every order
//! and what it waits for, the fan-out of a restock or a delay, and the
//! merchant's list of orders.

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use shared::lifecycle::{Event, NewLine, NewOrder, Stage};
use shared::{Availability, CustomerId, OrderId, ProductSetting, ShipWindow, ShopId, Sku};
use worker::{Method, Request, Response, SqlStorageValue};

use super::analytics::{FactSource, NewFact};
use super::sql::{Row, text_value, to_text};
use super::{EARLY_NEWS_SECS, ShopRecords, parse_order, upkeep};
use crate::calls::queue::{self, ActionJob, EmailJob, FAN_OUT_BATCH, FanOutJob, Job};
use crate::calls::shop::Indexed;
use crate::calls::{Answer, Command, News, OrderFacts, OrderIndex, OrderStub, Outcome};
use crate::error::EdgeError;
use crate::webhooks::{self, DraftOrder};

use crate::{clock, crypto, http};

/// Orders one import call may bring: a queue batch's worth, placed at once.
const MAX_IMPORT: usize = 100;
const MAX_IMPORT_BYTES: usize = 1024 * 1024;

/// A new fan-out's key, shared by all its batches.
fn fan_out_key() -> Result<String, EdgeError> {
    Ok(format!("fan/{}", crypto::random_hex(12)?))
}

/// How many imported orders are placed at once.
const PLACING_AT_ONCE: usize = 50;

impl ShopRecords {
    /// The merchant's order routes; `None` when the path is not one of them.
    pub(super) async fn order_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
        shop: &ShopId,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Get, ["v1", "shops", _, "orders"]) => self.list_orders(req),
            (Method::Post, ["v1", "shops", _, "orders"]) => self.import_orders(req, shop).await,
            (Method::Post, ["v1", "shops", _, "links"]) => self.make_link(req, shop).await,
            (
                _,
                ["v1", "shops", _, "orders" | "links"] | ["v1", "shops", _, "orders", "import"],
            ) => Err(EdgeError::MethodNotAllowed),
            _ => return None,
        })
    }

    /// `POST …/orders {"orders": [order, …]}`: orders the store
    /// already has (taken before it was connected), each in the Standard
    /// Webhooks `order.placed` form, up to [`MAX_IMPORT`] a call. Every one
    /// is read first: one that cannot be read is named by its position,
    /// and nothing is placed. Each is then placed as its webhook would be,
    /// under the key `import:{id}`, at once: importing twice places once.
    async fn import_orders(&self, req: &mut Request, shop: &ShopId) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Import {
            orders: Vec<Value>,
        }
        let import: Import = http::json_body(req, MAX_IMPORT_BYTES).await?;
        if import.orders.is_empty() || import.orders.len() > MAX_IMPORT {
            return Err(EdgeError::InvalidInput {
                field: "orders",
                reason: format!("1 to {MAX_IMPORT} orders a call"),
            });
        }
        let mut drafts = Vec::with_capacity(import.orders.len());
        for (position, order) in import.orders.iter().enumerate() {
            let draft = webhooks::standard_order(order).map_err(|unreadable| {
                let what = unreadable.0.trim_start_matches("data.").to_owned();
                EdgeError::InvalidBody(format!("orders[{position}].{what} is missing or invalid"))
            })?;
            parse_order(&draft.id)?;
            drafts.push(draft);
        }
        // Up to PLACING_AT_ONCE at a time: each answer also calls back
        // into this object, whose queue the runtime bounds (it answers 503
        // when it overflows; the importer sends the batch again, placed
        // once).
        let placed: Vec<_> =
            futures_util::stream::iter(drafts.into_iter().map(|draft| async move {
                let key = format!("import:{}", draft.id);
                self.place(shop, draft, &key).await
            }))
            .buffered(PLACING_AT_ONCE)
            .collect()
            .await;
        let placed = placed.into_iter().collect::<Result<Vec<_>, _>>()?;
        http::json(&json!({ "received": placed }), 200)
    }

    /// Keeps what each order now is, unless the index has a newer `seq`
    /// for it already (an answer and the order's own safety net may both
    /// come, in any order), and logs the emails and lists the actions they
    /// queued (once each).
    pub(super) fn keep(
        &self,
        orders: &[OrderIndex],
        emails: &[EmailJob],
        actions: &[ActionJob],
    ) -> Result<Indexed, EdgeError> {
        let mut indexed = 0;
        for index in orders {
            if self.index_one(index)? {
                indexed += 1;
            }
        }
        let now = clock::now().unix_seconds();
        for email in emails {
            self.record_email(email, now)?;
        }
        for action in actions {
            self.record_action(action, now)?;
        }
        Ok(Indexed { indexed })
    }

    /// Keeps what an order's answer says: the order as it now is and the
    /// emails and actions its command queued.
    pub(super) fn keep_answer(&self, answer: &Answer) -> Result<(), EdgeError> {
        self.keep(answer.index.as_slice(), &answer.emails, &answer.actions)?;
        Ok(())
    }

    fn index_one(&self, index: &OrderIndex) -> Result<bool, EdgeError> {
        let window = index
            .window
            .map(|w| (w.earliest().to_string(), w.latest().to_string()));
        let (earliest, latest) = window.unzip();
        // The first index that says the order stopped waiting for good
        // dates it (a later one, delivered after shipped, keeps that date).
        let settled_at = matches!(
            index.stage,
            Stage::Shipped | Stage::Delivered | Stage::Cancelled
        )
        .then(|| index.facts.as_ref().map(|f| f.last_event_at.unix_seconds()))
        .flatten();
        let facts = match &index.facts {
            Some(facts) => Some(to_text(
                &self.with_earlier_backorders(&index.order, facts)?,
            )?),
            None => None,
        };
        // An offer still open waits for the customer's decision; the last
        // one answered says what they chose.
        let offers = index
            .facts
            .as_ref()
            .map(|f| f.offers.as_slice())
            .unwrap_or_default();
        let needs_decision = index.stage.is_open() && offers.iter().any(|(_, end)| end == "open");
        let chosen = offers
            .iter()
            .rev()
            .map(|(_, end)| end.as_str())
            .find(|end| !matches!(*end, "open" | "lapsed" | "replaced"))
            .map(str::to_owned);
        let changed = self.run(
            "INSERT INTO orders (id, seq, stage, customer, placed_at, window_earliest,
                   window_latest, tags, facts, settled_at, needs_decision, consent_by, chosen)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, stage = excluded.stage,
                   window_earliest = excluded.window_earliest,
                   window_latest = excluded.window_latest, tags = excluded.tags,
                   facts = excluded.facts,
                   settled_at = COALESCE(orders.settled_at, excluded.settled_at),
                   needs_decision = excluded.needs_decision,
                   consent_by = excluded.consent_by, chosen = excluded.chosen
                 WHERE excluded.seq > orders.seq",
            vec![
                text_value(index.order.as_str()),
                SqlStorageValue::from(i64::try_from(index.seq).unwrap_or(i64::MAX)),
                text_value(index.stage.code()),
                text_value(index.customer.as_str()),
                SqlStorageValue::from(index.placed_at.unix_seconds()),
                earliest.into(),
                latest.into(),
                text_value(index.tags.join(",")),
                facts.into(),
                settled_at.into(),
                i64::from(needs_decision).into(),
                index.consent_by.map(|at| at.unix_seconds()).into(),
                chosen.into(),
            ],
        )?;
        if changed > 0 {
            self.run(
                "DELETE FROM waiting WHERE order_id = ?",
                vec![text_value(index.order.as_str())],
            )?;
            for sku in &index.waiting {
                self.run(
                    "INSERT OR IGNORE INTO waiting (sku, order_id) VALUES (?, ?)",
                    vec![text_value(sku.as_str()), text_value(index.order.as_str())],
                )?;
            }
        }
        Ok(changed > 0)
    }

    /// An order forgets a line's window once its stock arrives; the
    /// analytics keep that it was sold on backorder.
    fn with_earlier_backorders(
        &self,
        order: &OrderId,
        facts: &OrderFacts,
    ) -> Result<OrderFacts, EdgeError> {
        let rows: Vec<Row<Option<String>>> = self.rows(
            "SELECT facts AS value FROM orders WHERE id = ?",
            vec![text_value(order.as_str())],
        )?;
        let mut merged = facts.clone();
        let earlier = rows
            .into_iter()
            .next()
            .and_then(|row| row.value)
            .and_then(|text| serde_json::from_str::<OrderFacts>(&text).ok());
        for line in earlier.map(|e| e.backordered).unwrap_or_default() {
            if !merged.backordered.iter().any(|known| known.0 == line.0) {
                merged.backordered.push(line);
            }
        }
        Ok(merged)
    }

    pub(super) fn is_tracked(&self, order: &OrderId) -> Result<bool, EdgeError> {
        let rows: Vec<Row<i64>> = self.rows(
            "SELECT COUNT(*) AS value FROM orders WHERE id = ?",
            vec![text_value(order.as_str())],
        )?;
        Ok(rows.first().is_some_and(|row| row.value > 0))
    }

    pub(super) fn waiting_orders(&self, sku: &Sku) -> Result<Vec<OrderId>, EdgeError> {
        let rows: Vec<Row<String>> = self.rows(
            "SELECT order_id AS value FROM waiting WHERE sku = ? ORDER BY order_id",
            vec![text_value(sku.as_str())],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|row| OrderId::parse(&row.value).ok())
            .collect())
    }

    /// Sends `event` to every order waiting for `sku`, through the queue in
    /// batches. One key for the whole fan-out: each order takes it once.
    pub(super) async fn fan_out(
        &self,
        shop: &ShopId,
        sku: &Sku,
        event: Event,
    ) -> Result<(usize, String), EdgeError> {
        let orders = self.waiting_orders(sku)?;
        let key = fan_out_key()?;
        self.send_fan_out(shop, &key, &orders, event).await?;
        Ok((orders.len(), key))
    }

    /// Sends `event` to `orders` in batches, all under `key`: an order that
    /// took it once answers it again as a duplicate.
    pub(super) async fn send_fan_out(
        &self,
        shop: &ShopId,
        key: &str,
        orders: &[OrderId],
        event: Event,
    ) -> Result<(), EdgeError> {
        if orders.is_empty() {
            return Ok(());
        }
        let policy = self.policy()?;
        let jobs: Vec<Job> = orders
            .chunks(FAN_OUT_BATCH)
            .map(|chunk| {
                Job::FanOut(FanOutJob {
                    key: key.to_owned(),
                    shop: shop.clone(),
                    policy: policy.clone(),
                    event: event.clone(),
                    orders: chunk.to_vec(),
                })
            })
            .collect();
        queue::send_fan_out(&self.env, jobs).await
    }

    /// The store says stock arrived for a SKU on backorder here.
    pub(super) async fn restock_from_store(
        &self,
        shop: &ShopId,
        sku: &Sku,
        today: shared::Date,
    ) -> Result<String, EdgeError> {
        let old = self.product(sku)?;
        if !matches!(old, Some(ProductSetting::Backorder { .. })) {
            // In stock already: orders still waiting for it are told again
            // (under the restock's own key, so none is told twice).
            let waiting = self.waiting_orders(sku)?;
            if waiting.is_empty() {
                return Ok("ignored: not on backorder here".into());
            }
            let key = match self.restock_key(sku)? {
                Some(key) => key,
                None => fan_out_key()?,
            };
            let event = Event::StockArrived { sku: sku.clone() };
            self.send_fan_out(shop, &key, &waiting, event).await?;
            self.remember_restock(sku, &key)?;
            return Ok(format!(
                "restocked again: {} orders still waiting told",
                waiting.len()
            ));
        }
        self.save_product(shop, sku, &ProductSetting::InStock {}, None)
            .await?;
        let notified = self.restock(shop, sku, old.as_ref(), today).await?;
        Ok(format!("restocked: {notified} orders told"))
    }

    /// An order from the store: tracked if a line is on backorder here now.
    pub(super) async fn place(
        &self,
        shop: &ShopId,
        draft: DraftOrder,
        key: &str,
    ) -> Result<String, EdgeError> {
        let order_id = parse_order(&draft.id)?;
        // Every order names its products, tracked or not: emails about a
        // product (a watcher's) say its name.
        self.learn_names(&line_names(&draft))?;
        let fact_key = self.fact_key()?;
        let fact = NewFact::of(&draft);
        // What each SKU sold, for the likely-backorder flags (once per order).
        let lines: Vec<(String, u32)> = draft
            .lines
            .iter()
            .filter_map(|line| Some((line.sku.clone()?, line.quantity)))
            .collect();
        self.keep_lines(&draft.id, clock::today(), &lines)?;
        if self.is_tracked(&order_id)? {
            // Its total as it now stands (a refund lowers it).
            self.keep_fact(&fact_key, &fact, true, clock::today(), FactSource::Store)?;
            return Ok("known order".into());
        }
        let new = self.new_order(&order_id, &draft)?;
        // Every order counts in the analytics, backorder or not.
        let backorder = new.is_some();
        self.keep_fact(
            &fact_key,
            &fact,
            backorder,
            clock::today(),
            FactSource::Store,
        )?;
        let Some(new) = new else {
            return Ok("not tracked: no line is on backorder".into());
        };
        if let Some(email) = draft.contact.email.as_deref() {
            self.index_email(&order_id, email)?;
        }
        let answer = self
            .command(
                shop,
                &order_id,
                News::Place {
                    order: new,
                    names: line_names(&draft),
                    contact: draft.contact,
                },
                key,
            )
            .await?;
        if answer.outcome != Outcome::Applied {
            let why = answer.rejection.map(|r| r.message).unwrap_or_default();
            return Ok(format!("not placed: {why}"));
        }
        self.replay_early_news(shop, &order_id).await?;
        Ok("placed".into())
    }

    /// Builds the core's order from a store's: which lines are backordered
    /// (by this shop's products now), and prices that add up exactly to what
    /// was paid (discounts spread over the lines, the rest as shipping).
    pub(super) fn new_order(
        &self,
        id: &OrderId,
        draft: &DraftOrder,
    ) -> Result<Option<NewOrder>, EdgeError> {
        let today = clock::today();
        let mut history = None;
        let mut lines: Vec<DraftLine> = Vec::new();
        for line in &draft.lines {
            let Some(sku) = line.sku.as_deref().and_then(|s| Sku::parse(s).ok()) else {
                continue;
            };
            if let Some(existing) = lines.iter_mut().find(|l| l.0 == sku) {
                existing.1 = existing.1.saturating_add(line.quantity);
                existing.2 = existing.2.saturating_add(line.total_minor);
                continue;
            }
            let window = match self.product(&sku)? {
                Some(setting @ ProductSetting::Backorder { .. }) => {
                    // Read once, and only for an order with a backorder.
                    let history = match &mut history {
                        Some(history) => history,
                        slot @ None => slot.insert(self.history()?),
                    };
                    match setting.resolve(history, &[], today) {
                        Availability::Backorder {
                            window: Some(window),
                            ..
                        } => Some(window),
                        // Nobody can date it: 16 CFR 435.1(a)(1) makes the
                        // promise "within 30 days" when no time is stated,
                        // so that is the window the order is held to (and a
                        // delay notice follows if it passes).
                        Availability::Backorder { window: None, .. } => default_window(today),
                        _ => None,
                    }
                }
                _ => None,
            };
            lines.push((sku, line.quantity, line.total_minor, window));
        }
        lines.retain(|line| line.1 > 0);
        if !lines.iter().any(|line| line.3.is_some()) {
            return Ok(None);
        }
        let paid = draft.total_minor;
        let (new_lines, charged) = priced_lines(lines, paid);
        let customer = draft
            .customer
            .as_deref()
            .and_then(|c| CustomerId::parse(c).ok())
            .or_else(|| CustomerId::parse(&format!("guest-{id}")).ok())
            .ok_or_else(|| EdgeError::Internal("no customer id can be made".into()))?;
        let completed = self.completed_backorders(&customer)?;
        Ok(Some(NewOrder {
            id: id.clone(),
            customer,
            currency: draft.currency,
            lines: new_lines,
            shipping_minor: paid.saturating_sub(charged),
            paid_minor: paid,
            customer_completed_backorders: completed,
        }))
    }

    pub(super) fn completed_backorders(&self, customer: &CustomerId) -> Result<u32, EdgeError> {
        let rows: Vec<Row<i64>> = self.rows(
            "SELECT COUNT(*) AS value FROM orders WHERE customer = ?
                   AND stage IN (?, ?)",
            vec![
                text_value(customer.as_str()),
                text_value(Stage::Shipped.code()),
                text_value(Stage::Delivered.code()),
            ],
        )?;
        Ok(rows
            .first()
            .map_or(0, |row| u32::try_from(row.value).unwrap_or(0)))
    }

    /// News for a tracked order goes to it; for an order not known yet it is
    /// kept, and replayed once the order is placed (webhooks arrive out of
    /// order). Untracked orders' news expires unused.
    pub(super) async fn order_news(
        &self,
        shop: &ShopId,
        order: &str,
        news: News,
        key: &str,
    ) -> Result<String, EdgeError> {
        let order = parse_order(order)?;
        if !self.is_tracked(&order)? {
            let now = clock::now().unix_seconds();
            self.run(
                "DELETE FROM early_news WHERE at < ?",
                vec![SqlStorageValue::from(now - EARLY_NEWS_SECS)],
            )?;
            self.run(
                "INSERT INTO early_news (order_id, news, key, at) VALUES (?, ?, ?, ?)",
                vec![
                    text_value(order.as_str()),
                    text_value(to_text(&news)?),
                    text_value(key),
                    SqlStorageValue::from(now),
                ],
            )?;
            return Ok("kept until the order is known".into());
        }
        let answer = self.command(shop, &order, news, key).await?;
        Ok(match answer.outcome {
            Outcome::Applied => "applied".into(),
            Outcome::Duplicate => "duplicate".into(),
            Outcome::Rejected => format!(
                "ignored: {}",
                answer.rejection.map(|r| r.message).unwrap_or_default()
            ),
        })
    }

    pub(super) async fn replay_early_news(
        &self,
        shop: &ShopId,
        order: &OrderId,
    ) -> Result<(), EdgeError> {
        #[derive(Deserialize)]
        struct Early {
            id: i64,
            news: String,
            key: String,
        }
        let early: Vec<Early> = self.rows(
            "SELECT id, news, key FROM early_news WHERE order_id = ? ORDER BY id",
            vec![text_value(order.as_str())],
        )?;
        for item in early {
            if let Ok(news) = serde_json::from_str::<News>(&item.news) {
                self.command(shop, order, news, &item.key).await?;
            }
            self.run(
                "DELETE FROM early_news WHERE id = ?",
                vec![SqlStorageValue::from(item.id)],
            )?;
        }
        Ok(())
    }

    pub(super) async fn command(
        &self,
        shop: &ShopId,
        order: &OrderId,
        news: News,
        key: &str,
    ) -> Result<Answer, EdgeError> {
        let command = Command {
            shop: shop.clone(),
            policy: self.policy()?,
            news,
            key: Some(key.to_owned()),
            swept: true,
        };
        self.apply_and_keep(order, &command).await
    }

    /// Sends a (swept) command to `order` and keeps its answer here: what
    /// the order now is, and the emails and actions it queued. The order
    /// never calls back into this object while it awaits the answer. The
    /// command is noted as pending first and the note dropped once its
    /// answer is kept: if the call fails or this object stops in between,
    /// the sweep asks the order what it is and keeps that
    /// (`sweep_pending`), so the order's alarm need not.
    pub(super) async fn apply_and_keep(
        &self,
        order: &OrderId,
        command: &Command,
    ) -> Result<Answer, EdgeError> {
        let note = crypto::random_hex(8).map_err(EdgeError::Internal)?;
        self.run(
            "INSERT INTO pending_commands (id, order_id, at) VALUES (?, ?, ?)",
            vec![
                text_value(note.as_str()),
                text_value(order.as_str()),
                clock::now().unix_seconds().into(),
            ],
        )?;
        self.schedule(
            upkeep::Task::Sweep,
            clock::now_millis() + upkeep::PENDING_CHECK_SECS * 1000,
        )
        .await?;
        let answer = OrderStub::get(&self.env, &command.shop, order)?
            .apply(command)
            .await?;
        self.keep_answer(&answer)?;
        self.run(
            "DELETE FROM pending_commands WHERE id = ?",
            vec![text_value(note)],
        )?;
        Ok(answer)
    }
}

/// One line of a store's order as the shop reads it: SKU, quantity, what
/// the line cost in all, and its window when it is on backorder here.
type DraftLine = (Sku, u32, u64, Option<ShipWindow>);

/// The core's lines from a store's, with unit prices that never add up to
/// more than was paid: when discounts outside the lines made the order
/// cheaper than its lines, each line is scaled down (never up). Also what
/// the lines charge in all; the rest of what was paid is shipping.
fn priced_lines(lines: Vec<DraftLine>, paid: u64) -> (Vec<NewLine>, u64) {
    let lines_total: u128 = lines.iter().map(|line| u128::from(line.2)).sum();
    let mut priced = Vec::with_capacity(lines.len());
    let mut charged: u64 = 0;
    for (sku, quantity, total, window) in lines {
        let total = if lines_total > u128::from(paid) {
            u64::try_from(u128::from(total) * u128::from(paid) / lines_total).unwrap_or(0)
        } else {
            total
        };
        let unit = total / u64::from(quantity.max(1));
        charged = charged.saturating_add(unit.saturating_mul(u64::from(quantity)));
        priced.push(NewLine {
            sku,
            quantity,
            unit_price_minor: unit,
            backorder: window,
        });
    }
    (priced, charged)
}

/// Days within which an order must ship when no time was stated
/// (16 CFR 435.1(a)(1)).
const NO_STATED_TIME_DAYS: i64 = 30;

fn default_window(today: shared::Date) -> Option<ShipWindow> {
    let earliest = today.add_days(1)?;
    let latest = today.add_days(NO_STATED_TIME_DAYS)?;
    ShipWindow::new(earliest, latest).ok()
}

/// Each SKU's name from the first of the store's lines that names it.
fn line_names(draft: &DraftOrder) -> Vec<(Sku, String)> {
    let mut names: Vec<(Sku, String)> = Vec::new();
    for line in &draft.lines {
        let (Some(sku), Some(name)) = (line.sku.as_deref(), &line.name) else {
            continue;
        };
        let Ok(sku) = Sku::parse(sku) else { continue };
        if !names.iter().any(|(known, _)| *known == sku) {
            names.push((sku, name.clone()));
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str, quantity: u32, total: u64) -> DraftLine {
        (Sku::parse(sku).expect("a SKU"), quantity, total, None)
    }

    #[test]
    fn prices_add_up_to_what_was_paid_and_the_rest_is_shipping() {
        let (lines, charged) =
            priced_lines(vec![line("TENT", 2, 20_000), line("MUG", 1, 1_500)], 23_000);
        let units: Vec<u64> = lines.iter().map(|line| line.unit_price_minor).collect();
        assert_eq!(units, [10_000, 1_500]);
        assert_eq!(charged, 21_500);
    }

    #[test]
    fn a_discount_outside_the_lines_scales_them_down_never_up() {
        // Lines of 300.00 paid with 150.00: each line at half its price.
        let (lines, charged) = priced_lines(
            vec![line("TENT", 1, 20_000), line("MUG", 2, 10_000)],
            15_000,
        );
        let units: Vec<u64> = lines.iter().map(|line| line.unit_price_minor).collect();
        assert_eq!(units, [10_000, 2_500]);
        assert_eq!(charged, 15_000);
        let (_, charged) = priced_lines(vec![line("TENT", 3, 1_000)], 999);
        assert!(charged <= 999, "{charged}");
    }
}
