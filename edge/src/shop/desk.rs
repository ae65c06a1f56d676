//! The support desk: the list of orders (filters, search, pages), one
//! order as support sees it (the customer's own view,
//! and beside it the contact, every email, every action, the deadlines and
//! the notes), notes, and finding a customer's orders by their email through
//! a keyed hash (the address itself stays in the order's object).

use serde::Deserialize;
use serde_json::{Value, json};
use shared::lifecycle::{Locale, OrderView, Stage};
use shared::{OrderId, ShopId};
use worker::{Method, Request, Response, SqlStorageValue};

use super::access::Caller;
use super::sql::{Row, text_value};
use super::{ShopRecords, parse_order};
use crate::calls::{OrderStub, SupportView};
use crate::error::{EdgeError, invalid};
use crate::mail::{intl, render};
use crate::{clock, crypto, http};

/// A note's longest text, in characters.
const MAX_NOTE_CHARS: usize = 2000;
/// The most orders a lookup by email answers, newest first.
const MAX_LOOKUP: usize = 20;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS notes (
  id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, at INTEGER NOT NULL,
  who TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS notes_by_order ON notes (order_id, id);
CREATE TABLE IF NOT EXISTS order_emails (
  email_key TEXT NOT NULL, order_id TEXT NOT NULL, PRIMARY KEY (email_key, order_id));
";

impl ShopRecords {
    /// The desk's routes; `None` for other paths.
    pub(super) async fn desk_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
        shop: &ShopId,
        caller: &Caller,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Get, ["v1", "shops", _, "orders", order, "support"]) => {
                match parse_order(order) {
                    Ok(order) => self.support_view(shop, &order, caller).await,
                    Err(err) => Err(err),
                }
            }
            (Method::Post, ["v1", "shops", _, "orders", order, "notes"]) => {
                match parse_order(order) {
                    Ok(order) => self.add_note(req, &order, caller).await,
                    Err(err) => Err(err),
                }
            }
            (Method::Get, ["v1", "shops", _, "support", "lookup"]) => {
                self.lookup(req, shop, caller).await
            }
            (_, ["v1", "shops", _, "support", "lookup"]) => Err(EdgeError::MethodNotAllowed),
            (_, ["v1", "shops", _, "orders", _, "support" | "notes"]) => {
                Err(EdgeError::MethodNotAllowed)
            }
            _ => return None,
        })
    }

    /// Keeps where a new order's customer can be found: their address as a
    /// keyed hash, so that a lookup by an exact address finds the order and
    /// nothing here can be read back into an address.
    pub(super) fn index_email(&self, order: &OrderId, email: &str) -> Result<(), EdgeError> {
        let key = self.email_key(email)?;
        self.run(
            "INSERT OR IGNORE INTO order_emails (email_key, order_id) VALUES (?, ?)",
            vec![text_value(key), text_value(order.as_str())],
        )?;
        Ok(())
    }

    fn email_key(&self, email: &str) -> Result<String, EdgeError> {
        let key = self.fact_key()?;
        let normal = format!("lookup:{}", email.trim().to_lowercase());
        Ok(hex::encode(crypto::hmac_sha256(
            key.secret().as_bytes(),
            normal.as_bytes(),
        )))
    }

    /// The orders placed with this exact address (any case), newest first.
    pub(super) fn orders_of_email(&self, email: &str) -> Result<Vec<OrderId>, EdgeError> {
        let rows: Vec<Row<String>> = self.rows(
            "SELECT e.order_id AS value FROM order_emails e JOIN orders o ON o.id = e.order_id
              WHERE e.email_key = ? ORDER BY o.placed_at DESC, o.id DESC LIMIT ?",
            vec![
                text_value(self.email_key(email)?),
                i64::try_from(MAX_LOOKUP).unwrap_or(20).into(),
            ],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|row| OrderId::parse(&row.value).ok())
            .collect())
    }

    /// The customer's view and contact, from the order's own object.
    pub(super) async fn support_of(
        &self,
        shop: &ShopId,
        order: &OrderId,
    ) -> Result<SupportView, EdgeError> {
        if !self.is_tracked(order)? {
            return Err(EdgeError::UnknownOrder(order.to_string()));
        }
        OrderStub::get(&self.env, shop, order)?
            .support()
            .await?
            .ok_or_else(|| EdgeError::UnknownOrder(order.to_string()))
    }

    /// `GET …/orders/{order}/support`: the order as its customer sees it
    /// (the same view their page renders), and what only the shop sees.
    /// The look at the customer's contact is written in the audit log.
    async fn support_view(
        &self,
        shop: &ShopId,
        order: &OrderId,
        caller: &Caller,
    ) -> Result<Response, EdgeError> {
        let support = self.support_of(shop, order).await?;
        self.audit(caller, &format!("read the contact of order {order}"), 200)?;
        let actions = self.actions_of(order)?;
        // The earliest legal deadline of a refund still to be paid.
        let refund_by = actions
            .iter()
            .filter(|action| action["state"] != "done")
            .filter_map(|action| action["deadline"].as_str().map(str::to_owned))
            .min();
        let tags: Vec<Row<String>> = self.rows(
            "SELECT tags AS value FROM orders WHERE id = ?",
            vec![text_value(order.as_str())],
        )?;
        let tags: Vec<String> = tags
            .first()
            .map(|row| {
                row.value
                    .split(',')
                    .filter(|tag| !tag.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let view = &support.view;
        let needs_decision = view.offer.is_some() && view.chosen.is_none();
        http::json(
            &json!({
                "order": order,
                "stage": view.stage.code(),
                "needs_decision": needs_decision && view.stage != Stage::Cancelled,
                "view": view,
                "contact": support.contact,
                "tags": tags,
                "deadlines": {
                    "consent_by": view.consent_by.map(|at| at.to_string()),
                    "refund_by": refund_by,
                },
                "emails": self.emails_of(order.as_str())?,
                "actions": actions,
                "notes": self.notes_of(order)?,
            }),
            200,
        )
    }

    /// `GET …/orders`: the shop's backorder orders, longest waiting first,
    /// a page at a time (`limit`, 100 unless said, at most 1,000, or
    /// 100,000 as CSV; `after` from the last page's `next`). Filters:
    /// `stage`, `tag`, `sku` (waiting for it or sold with it),
    /// `needs_decision=true` (an offer open), `consent_within_days=N` (the
    /// US rule's answer due within N days, or overdue), and `q`: an order
    /// number, or a customer's exact email (found through its keyed hash).
    pub(super) fn list_orders(&self, req: &Request) -> Result<Response, EdgeError> {
        let csv = match http::query_param(req, "format").as_deref() {
            None | Some("json") => false,
            Some("csv") => true,
            Some(_) => return Err(super::invalid("format", "json or csv")),
        };
        let query = OrderQuery::read(req, csv)?;
        // A search names its orders first; the other filters narrow them.
        let named = self.searched(query.q.as_deref())?;
        let now = clock::now().unix_seconds();
        let mut filters = String::from(
            "(?1 IS NULL OR stage = ?1)
             AND (?2 IS NULL OR (',' || tags || ',') LIKE ('%,' || ?2 || ',%'))
             AND (?3 IS NULL OR EXISTS (SELECT 1 FROM waiting w
                    WHERE w.sku = ?3 AND w.order_id = orders.id)
                  OR EXISTS (SELECT 1 FROM order_lines l
                    WHERE l.order_id = orders.id AND l.sku = ?3))
             AND (?4 = 0 OR needs_decision = 1)
             AND (?5 IS NULL OR (consent_by IS NOT NULL AND consent_by <= ?5))",
        );
        let mut bindings: Vec<SqlStorageValue> = vec![
            query.stage.clone().into(),
            query.tag.clone().into(),
            query.sku.clone().into(),
            i64::from(query.needs_decision).into(),
            query
                .consent_within_days
                .map(|days| now + days * 86_400)
                .into(),
        ];
        if let Some(named) = &named {
            let marks = vec!["?"; named.len()].join(", ");
            filters.push_str(&format!(" AND id IN ({marks})"));
            bindings.extend(named.iter().map(|id| text_value(id.as_str())));
            if named.is_empty() {
                filters.push_str(" AND 0");
            }
        }
        let total: Vec<Row<i64>> = self.rows(
            &format!("SELECT COUNT(*) AS value FROM orders WHERE {filters}"),
            bindings.clone(),
        )?;
        let total = total.first().map_or(0, |row| row.value);
        let (after_at, after_id) = query.after.clone().unwrap_or((i64::MIN, String::new()));
        bindings.push(after_at.into());
        bindings.push(text_value(after_id));
        bindings.push(i64::try_from(query.limit).unwrap_or(100).into());
        let n = bindings.len();
        let rows: Vec<ListedOrder> = self.rows(
            &format!(
                "SELECT id, stage, customer, placed_at, window_earliest, window_latest, tags,
                        needs_decision, consent_by, chosen, settled_at
                   FROM orders WHERE {filters}
                    AND (placed_at > ?{a} OR (placed_at = ?{a} AND id > ?{b}))
                  ORDER BY placed_at, id LIMIT ?{c}",
                a = n - 2,
                b = n - 1,
                c = n
            ),
            bindings,
        )?;
        let next = (rows.len() == query.limit)
            .then(|| {
                rows.last()
                    .map(|row| format!("{}:{}", row.placed_at, row.id))
            })
            .flatten();
        if csv {
            return http::csv(orders_csv(&rows, now));
        }
        let orders: Vec<Value> = rows.iter().map(|row| row.json(now)).collect();
        http::json(
            &json!({ "orders": orders, "total": total, "next": next }),
            200,
        )
    }

    /// The orders a search names: by number, or by a customer's exact
    /// email; `None` without a search.
    fn searched(&self, q: Option<&str>) -> Result<Option<Vec<String>>, EdgeError> {
        Ok(match q {
            None => None,
            Some(q) if q.contains('@') => Some(
                self.orders_of_email(q)?
                    .into_iter()
                    .map(String::from)
                    .collect(),
            ),
            Some(q) => Some(match OrderId::parse(q) {
                Ok(order) => vec![order.to_string()],
                Err(_) => Vec::new(),
            }),
        })
    }

    /// `GET …/support/lookup?email=…|order=…[&lang=]`: for a help desk's
    /// sidebar, a chatbot or a phone system: the customer's backorder
    /// orders (newest first, at most 20), each with its status in one
    /// sentence in the customer's language (or `lang`) and the view their
    /// page shows. Written in the audit log, without the address.
    async fn lookup(
        &self,
        req: &Request,
        shop: &ShopId,
        caller: &Caller,
    ) -> Result<Response, EdgeError> {
        let email = http::query_param(req, "email").filter(|e| !e.trim().is_empty());
        let order = http::query_param(req, "order").filter(|o| !o.trim().is_empty());
        let lang = match http::query_param(req, "lang") {
            Some(tag) => {
                Some(Locale::from_tag(&tag).ok_or_else(|| invalid("lang", "en, it or ar"))?)
            }
            None => None,
        };
        let (orders, what) = match (email, order) {
            (Some(email), None) => {
                if !email.contains('@') {
                    return Err(invalid("email", "an email address"));
                }
                (
                    self.orders_of_email(&email)?,
                    "looked up orders by email".to_owned(),
                )
            }
            (None, Some(order)) => {
                let order = parse_order(order.trim())?;
                let found = match self.is_tracked(&order)? {
                    true => vec![order.clone()],
                    false => Vec::new(),
                };
                (found, format!("looked up order {order}"))
            }
            _ => return Err(invalid("email", "either email or order, not both")),
        };
        self.audit(caller, &what, 200)?;
        let mut found = Vec::with_capacity(orders.len());
        for order in &orders {
            let support = self.support_of(shop, order).await?;
            let locale = lang
                .or_else(|| support.contact.locale.as_deref().and_then(Locale::from_tag))
                .unwrap_or_else(|| {
                    support
                        .view
                        .locale
                        .as_deref()
                        .and_then(Locale::from_tag)
                        .unwrap_or(Locale::En)
                });
            found.push(json!({
                "order": order,
                "stage": support.view.stage.code(),
                "status": status_sentence(&support.view, locale),
                "lang": locale.code(),
                "dir": render::direction(locale),
                "window": support.view.window,
                "needs_decision": support.view.offer.is_some() && support.view.chosen.is_none(),
                "view": support.view,
            }));
        }
        http::json(&json!({ "orders": found }), 200)
    }

    fn actions_of(&self, order: &OrderId) -> Result<Vec<Value>, EdgeError> {
        #[derive(Deserialize)]
        struct ActionRow {
            key: String,
            kind: String,
            body: String,
            state: String,
            attempts: i64,
            last_error: Option<String>,
            created_at: i64,
            deadline: Option<i64>,
        }
        let rows: Vec<ActionRow> = self.rows(
            "SELECT key, kind, body, state, attempts, last_error, created_at, deadline
               FROM actions WHERE order_id = ? ORDER BY created_at, key",
            vec![text_value(order.as_str())],
        )?;
        let time = |at: i64| shared::Timestamp::from_unix_seconds(at).to_string();
        Ok(rows
            .into_iter()
            .map(|row| {
                json!({
                    "key": row.key, "kind": row.kind,
                    "action": serde_json::from_str::<Value>(&row.body).unwrap_or(Value::Null),
                    "state": row.state, "attempts": row.attempts, "last_error": row.last_error,
                    "created_at": time(row.created_at), "deadline": row.deadline.map(time),
                })
            })
            .collect())
    }

    fn notes_of(&self, order: &OrderId) -> Result<Vec<Value>, EdgeError> {
        #[derive(Deserialize)]
        struct Note {
            id: i64,
            at: i64,
            who: String,
            text: String,
        }
        let notes: Vec<Note> = self.rows(
            "SELECT id, at, who, text FROM notes WHERE order_id = ? ORDER BY id",
            vec![text_value(order.as_str())],
        )?;
        Ok(notes
            .into_iter()
            .map(|note| {
                json!({
                    "id": note.id,
                    "at": shared::Timestamp::from_unix_seconds(note.at).to_string(),
                    "who": note.who, "text": note.text,
                })
            })
            .collect())
    }

    /// `POST …/orders/{order}/notes {"text"}`: a note for whoever helps
    /// this customer next, signed with who wrote it.
    async fn add_note(
        &self,
        req: &mut Request,
        order: &OrderId,
        caller: &Caller,
    ) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct NewNote {
            text: String,
        }
        let body: NewNote = http::json_body(req, 16 * 1024).await?;
        let text = body.text.trim().to_owned();
        let hidden = text
            .chars()
            .any(|ch| ch != '\n' && shared::text::has_hidden_controls(&ch.to_string()));
        if !shared::text::fits(&text, MAX_NOTE_CHARS) || hidden {
            return Err(invalid(
                "text",
                format!("1 to {MAX_NOTE_CHARS} characters, with no invisible ones but line breaks"),
            ));
        }
        if !self.is_tracked(order)? {
            return Err(EdgeError::UnknownOrder(order.to_string()));
        }
        let at = clock::now().unix_seconds();
        self.run(
            "INSERT INTO notes (order_id, at, who, text) VALUES (?, ?, ?, ?)",
            vec![
                text_value(order.as_str()),
                at.into(),
                text_value(caller.who()),
                text_value(text.clone()),
            ],
        )?;
        let notes = self.notes_of(order)?;
        let note = notes.last().cloned().unwrap_or(Value::Null);
        http::json(&note, 201)
    }
}

/// Where an order stands, in one sentence a support agent can read out or
/// paste: "Order 1001: Waiting for stock. Ships June 7 – 11, 2030."
fn status_sentence(view: &OrderView, locale: Locale) -> String {
    let t = render::catalog(locale);
    let rtl = locale == Locale::Ar;
    let label = render::fill_str(
        &render::say(&t, "order_label"),
        &[("order", view.order.as_str())],
        rtl,
    );
    let step = match view.stage {
        Stage::Waiting => "order_page.step_waiting",
        Stage::Processing => "order_page.step_restocked",
        Stage::Processed => "order_page.step_processed",
        Stage::Shipped => "order_page.step_shipped",
        Stage::Delivered => "order_page.step_delivered",
        Stage::Cancelled => "order_page.step_cancelled",
    };
    let detail = match (view.stage, &view.window) {
        (Stage::Waiting, Some(window)) => render::fill_str(
            &render::say(&t, "order_page.ships"),
            &[("range", &intl::range(locale.code(), window))],
            rtl,
        ),
        (Stage::Waiting, None) => render::say(&t, "order_page.ships_unknown"),
        (Stage::Processing | Stage::Processed, _) => render::say(&t, "order_page.preparing"),
        _ => String::new(),
    };
    format!("{label}: {}. {detail}", render::say(&t, step))
        .trim_end()
        .to_owned()
}

/// What `GET …/orders` was asked for.
struct OrderQuery {
    stage: Option<String>,
    tag: Option<String>,
    sku: Option<String>,
    needs_decision: bool,
    consent_within_days: Option<i64>,
    q: Option<String>,
    after: Option<(i64, String)>,
    limit: usize,
}

impl OrderQuery {
    /// The most orders a page holds, as JSON and as CSV.
    const MAX_PAGE: usize = 1_000;
    const MAX_CSV: usize = 100_000;

    fn read(req: &Request, csv: bool) -> Result<OrderQuery, EdgeError> {
        let param = |name: &str| http::query_param(req, name).filter(|value| !value.is_empty());
        // A stage the lifecycle does not know finds nothing; it is not an
        // error to filter by it.
        let needs_decision = match param("needs_decision").as_deref() {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(super::invalid("needs_decision", "true or false")),
        };
        let consent_within_days = param("consent_within_days")
            .map(|days| {
                days.parse::<i64>()
                    .ok()
                    .filter(|days| (0..=365).contains(days))
                    .ok_or_else(|| super::invalid("consent_within_days", "0 to 365 days"))
            })
            .transpose()?;
        let max = if csv { Self::MAX_CSV } else { Self::MAX_PAGE };
        let limit = match param("limit") {
            Some(limit) => limit
                .parse::<usize>()
                .ok()
                .filter(|limit| (1..=max).contains(limit))
                .ok_or_else(|| super::invalid("limit", format!("1 to {max}")))?,
            None if csv => Self::MAX_CSV,
            None => 100,
        };
        // `after` is the `next` of a page: an empty one is a mistake.
        let after = http::query_param(req, "after")
            .map(|after| {
                after
                    .split_once(':')
                    .and_then(|(at, id)| Some((at.parse::<i64>().ok()?, id.to_owned())))
                    .filter(|(at, _)| at.unsigned_abs() < 10u64.pow(18))
                    .ok_or_else(|| super::invalid("after", "the `next` of the page before"))
            })
            .transpose()?;
        Ok(OrderQuery {
            stage: param("stage"),
            tag: param("tag"),
            sku: param("sku"),
            needs_decision,
            consent_within_days,
            q: param("q").map(|q| q.trim().to_owned()),
            after,
            limit,
        })
    }
}

/// One order as the list shows it.
#[derive(Deserialize)]
struct ListedOrder {
    id: String,
    stage: String,
    customer: String,
    placed_at: i64,
    window_earliest: Option<String>,
    window_latest: Option<String>,
    tags: String,
    needs_decision: i64,
    consent_by: Option<i64>,
    chosen: Option<String>,
    settled_at: Option<i64>,
}

impl ListedOrder {
    /// Whole days from its placing until it settled, or until now.
    fn days_waiting(&self, now: i64) -> i64 {
        (self.settled_at.unwrap_or(now) - self.placed_at).max(0) / 86_400
    }

    fn json(&self, now: i64) -> Value {
        let time = |at: i64| shared::Timestamp::from_unix_seconds(at).to_string();
        json!({
            "order": self.id, "stage": self.stage, "customer": self.customer,
            "placed_at": time(self.placed_at),
            "window": self.window_earliest.as_ref().zip(self.window_latest.as_ref())
                .map(|(earliest, latest)| json!({"earliest": earliest, "latest": latest})),
            "days_waiting": self.days_waiting(now),
            "needs_decision": self.needs_decision != 0,
            "consent_by": self.consent_by.map(time),
            "chosen": self.chosen,
            "tags": self.tags.split(',').filter(|t| !t.is_empty()).collect::<Vec<_>>(),
        })
    }
}

/// The orders as CSV, for a spreadsheet or a campaign tool.
fn orders_csv(rows: &[ListedOrder], now: i64) -> String {
    let mut csv = String::from(
        "order,stage,customer,placed_at,window_earliest,window_latest,days_waiting,needs_decision,consent_by,chosen,tags\n",
    );
    for row in rows {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},\"{}\"\n",
            row.id,
            row.stage,
            row.customer,
            shared::Timestamp::from_unix_seconds(row.placed_at),
            row.window_earliest.as_deref().unwrap_or_default(),
            row.window_latest.as_deref().unwrap_or_default(),
            row.days_waiting(now),
            row.needs_decision != 0,
            row.consent_by
                .map(|at| shared::Timestamp::from_unix_seconds(at).to_string())
                .unwrap_or_default(),
            row.chosen.as_deref().unwrap_or_default(),
            row.tags.replace('"', "\"\""),
        ));
    }
    csv
}
