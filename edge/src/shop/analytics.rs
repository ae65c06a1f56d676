//! "Does selling on backorder pay?": a light fact of every order the store
//! reports (backorder or not), and the figures over those facts and the
//! backorder orders' index (`shared::analytics`), for the owner.

use serde::Deserialize;
use serde_json::{Value, json};
use shared::Date;
use shared::analytics::{
    Accuracy, BackorderRecord, Cohort, CustomerOrders, LATENESS_BANDS, Mean, OfferEnd, OfferRecord,
    Settled, Share, Waits, backorder_figures, compare_customers,
};
use shared::lifecycle::OptionKind;
use worker::{Method, Request, Response};

use super::ShopRecords;
use super::sql::text_value;
use crate::calls::OrderFacts;
use crate::error::{EdgeError, invalid};
use crate::webhooks::DraftOrder;
use crate::{clock, crypto, http};

/// The longest period one request may ask for: ten years.
const MAX_PERIOD_DAYS: i64 = 3_660;
/// The period when none is asked: the last 365 days, today included.
const DEFAULT_PERIOD_DAYS: i64 = 365;

/// Where an order fact came from.
#[derive(Clone, Copy, Debug)]
pub(super) enum FactSource {
    /// The store reported it (a webhook, or the merchant's import).
    Store,
    /// The store's own order export, uploaded by the merchant.
    Export,
}

impl FactSource {
    fn as_str(self) -> &'static str {
        match self {
            FactSource::Store => "store",
            FactSource::Export => "export",
        }
    }
}

/// An order as the figures keep it, before its customer is hashed.
pub(super) struct NewFact<'a> {
    pub(super) id: &'a str,
    pub(super) email: Option<&'a str>,
    /// The store's customer id.
    pub(super) customer: Option<&'a str>,
    pub(super) currency: shared::Currency,
    pub(super) total_minor: u64,
}

impl<'a> NewFact<'a> {
    pub(super) fn of(draft: &'a DraftOrder) -> NewFact<'a> {
        NewFact {
            id: &draft.id,
            email: draft.contact.email.as_deref(),
            customer: draft.customer.as_deref(),
            currency: draft.currency,
            total_minor: draft.total_minor,
        }
    }
}

/// The shop's own secret for customers' hashes.
pub(super) struct FactKey(String);

impl FactKey {
    /// The key itself, for the shop's other keyed hashes (`desk.rs`).
    pub(super) fn secret(&self) -> &str {
        &self.0
    }

    /// The customer as 52 bits of an HMAC under this shop's key: the same
    /// customer hashes alike across orders, and nobody without the key can
    /// test an address against it. By the address when the order has one
    /// (guests have no account), else the store's customer id, else the
    /// order itself (a customer of one order).
    fn customer(&self, fact: &NewFact<'_>) -> i64 {
        let who = match (fact.email, fact.customer) {
            (Some(email), _) => format!("email:{}", email.trim().to_lowercase()),
            (None, Some(id)) => format!("customer:{id}"),
            (None, None) => format!("order:{}", fact.id),
        };
        let mac = crypto::hmac_sha256(self.0.as_bytes(), who.as_bytes());
        let mut first = [0u8; 8];
        first.copy_from_slice(&mac[..8]);
        // 52 bits: a JavaScript number holds them exactly.
        i64::try_from(u64::from_be_bytes(first) >> 12).unwrap_or(0)
    }
}

impl ShopRecords {
    pub(super) async fn analytics_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Get, ["v1", "shops", _, "analytics"]) => self.analytics(req),
            (Method::Post, ["v1", "shops", _, "order-history"]) => self.import_history(req).await,
            (_, ["v1", "shops", _, "analytics" | "order-history"]) => {
                Err(EdgeError::MethodNotAllowed)
            }
            _ => return None,
        })
    }

    /// Keeps what the figures need of an order the store reported: its
    /// customer as a keyed hash (never the address), day, currency, total
    /// and whether a line was on backorder. The same order again updates
    /// its total (refunds lower it), never its day.
    pub(super) fn keep_fact(
        &self,
        key: &FactKey,
        fact: &NewFact<'_>,
        backorder: bool,
        placed: Date,
        source: FactSource,
    ) -> Result<(), EdgeError> {
        let customer = key.customer(fact);
        self.run(
            "INSERT INTO order_facts (id, customer, placed, currency, total_minor, backorder, source)
                 VALUES (?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET total_minor = excluded.total_minor,
                 backorder = MAX(order_facts.backorder, excluded.backorder)",
            vec![
                text_value(fact.id),
                customer.into(),
                text_value(placed.to_string()),
                text_value(fact.currency.as_str()),
                i64::try_from(fact.total_minor).unwrap_or(i64::MAX).into(),
                i64::from(backorder).into(),
                text_value(source.as_str()),
            ],
        )?;
        Ok(())
    }

    /// This shop's key for customers' hashes, made on first use.
    pub(super) fn fact_key(&self) -> Result<FactKey, EdgeError> {
        let key = match self.setting("fact_key")? {
            Some(key) => key,
            None => {
                let key = crypto::random_hex(32)?;
                self.set_setting("fact_key", &key)?;
                key
            }
        };
        Ok(FactKey(key))
    }

    /// `GET …/analytics?from=&to=&currency=[&format=csv]`.
    fn analytics(&self, req: &Request) -> Result<Response, EdgeError> {
        let query = Query::parse(req)?;
        let today = clock::today();
        let (from, to) = query.period(today)?;
        let currencies = self.currency_counts(from, to)?;
        let currency = match &query.currency {
            Some(asked) => asked.clone(),
            // The query gives the most frequent first.
            None => currencies
                .first()
                .map(|(code, _)| code.clone())
                .unwrap_or_default(),
        };
        let customers = self.customer_orders(&currency, from, to)?;
        let (backorder_customers, other_customers) = compare_customers(&customers.summaries, to);
        let records = self.backorder_records(Some(&currency))?;
        let suppliers = self.suppliers_by_sku()?;
        let figures = backorder_figures(&records, &suppliers, from, to, today);
        let body = json!({
            "from": from,
            "to": to,
            "today": today,
            "currency": currency,
            "currencies": currencies.iter().map(|(code, n)| json!({ "currency": code, "orders": n })).collect::<Vec<_>>(),
            "orders": {
                "all": customers.orders,
                "with_backorder": customers.with_backorder,
            },
            "customers": {
                "backorder": cohort_json(&backorder_customers),
                "others": cohort_json(&other_customers),
            },
            "backorders": {
                "orders": figures.orders,
                "cancelled_by_lateness": LATENESS_BANDS.iter().zip(&figures.cancelled_by_lateness)
                    .map(|((band, _, _), share)| json!({ "days_late": band, "cancelled": share_json(share) }))
                    .collect::<Vec<_>>(),
                "cancelled_by_slips": figures.cancelled_by_slips.iter().enumerate()
                    .map(|(slips, share)| json!({
                        "slips": if slips >= 3 { "3+".to_string() } else { slips.to_string() },
                        "cancelled": share_json(share),
                    }))
                    .collect::<Vec<_>>(),
                "choices": figures.choices.iter().map(|month| {
                    let mut row = serde_json::Map::new();
                    row.insert("month".into(), json!(month.month));
                    for (kind, n) in OptionKind::ALL.iter().zip(month.chosen) {
                        row.insert(kind.code().into(), json!(n));
                    }
                    row.insert("lapsed".into(), json!(month.lapsed));
                    row.insert("open".into(), json!(month.open));
                    Value::Object(row)
                }).collect::<Vec<_>>(),
                "revenue_kept_minor": figures.revenue_kept_minor,
                "revenue_returned_minor": figures.revenue_returned_minor,
                "promise_accuracy": accuracy_json(&figures.accuracy),
                "promise_accuracy_by_sku": figures.accuracy_by_sku.iter()
                    .map(|(sku, accuracy)| json!({ "sku": sku, "accuracy": accuracy_json(accuracy) }))
                    .collect::<Vec<_>>(),
                "promise_accuracy_by_supplier": figures.accuracy_by_supplier.iter()
                    .map(|(supplier, accuracy)| json!({ "supplier": supplier, "accuracy": accuracy_json(accuracy) }))
                    .collect::<Vec<_>>(),
                "waiting_now": waits_json(&figures.waiting_now),
                "waited": waits_json(&figures.waited),
                "demand_waiting": figures.demand.iter().map(|d| json!({
                    "sku": d.sku, "orders": d.orders, "units": d.units, "value_minor": d.value_minor,
                })).collect::<Vec<_>>(),
            },
        });
        if query.csv {
            let mut csv = String::from("figure,value,low,high,of\n");
            flatten("", &body, &mut csv);
            return http::csv(csv);
        }
        http::json(&body, 200)
    }

    /// Orders of the period by currency, most first.
    fn currency_counts(&self, from: Date, to: Date) -> Result<Vec<(String, u64)>, EdgeError> {
        #[derive(Deserialize)]
        struct CurrencyRow {
            currency: String,
            n: f64,
        }
        let rows: Vec<CurrencyRow> = self.rows(
            "SELECT currency, COUNT(*) AS n FROM order_facts WHERE placed >= ? AND placed < ?
             GROUP BY currency ORDER BY n DESC, currency",
            vec![text_value(from.to_string()), text_value(to.to_string())],
        )?;
        Ok(rows
            .into_iter()
            .map(|row| (row.currency, row.n as u64))
            .collect())
    }

    /// Each customer's orders of the period in `currency`, summed up by
    /// SQLite: a shop of 100,000 orders sends 10,000 rows across, not
    /// 100,000.
    fn customer_orders(
        &self,
        currency: &str,
        from: Date,
        to: Date,
    ) -> Result<CustomerSummaries, EdgeError> {
        #[derive(Deserialize)]
        struct CustomerRow {
            orders: f64,
            with_backorder: f64,
            revenue: f64,
            first: String,
            second: Option<String>,
            first_backorder: f64,
        }
        let rows: Vec<CustomerRow> = self.rows(
            // One pass in the index's order (currency, customer, placed, id),
            // no sort: the first order is the least `placed|id` (SQLite
            // takes a bare column, `backorder`, from the row of the one
            // MIN()); the second, an index seek per customer.
            "WITH customers AS (
               SELECT customer, COUNT(*) AS orders, SUM(backorder) AS with_backorder,
                      SUM(total_minor) AS revenue, MIN(placed || '|' || id) AS first_key,
                      backorder AS first_backorder
               FROM order_facts WHERE currency = ?1 AND placed >= ?2 AND placed < ?3
               GROUP BY customer)
             SELECT orders, with_backorder, revenue, substr(first_key, 1, 10) AS first,
                    first_backorder,
                    (SELECT MIN(later.placed) FROM order_facts AS later
                     WHERE later.currency = ?1 AND later.customer = customers.customer
                       AND later.placed < ?3 AND later.placed || '|' || later.id > first_key
                    ) AS second
             FROM customers",
            vec![
                text_value(currency),
                text_value(from.to_string()),
                text_value(to.to_string()),
            ],
        )?;
        let mut summaries = CustomerSummaries::default();
        for row in rows {
            let Ok(first) = row.first.parse() else {
                continue;
            };
            summaries.orders += row.orders as u64;
            summaries.with_backorder += row.with_backorder as u64;
            summaries.summaries.push(CustomerOrders {
                first,
                second: row.second.and_then(|day| day.parse().ok()),
                orders: row.orders as u64,
                revenue_minor: row.revenue as i64,
                first_backorder: row.first_backorder != 0.0,
            });
        }
        Ok(summaries)
    }

    /// Each SKU's supplier, where the shop knows it.
    fn suppliers_by_sku(&self) -> Result<std::collections::BTreeMap<String, String>, EdgeError> {
        #[derive(Deserialize)]
        struct SupplierRow {
            sku: String,
            supplier: String,
        }
        let rows: Vec<SupplierRow> =
            self.rows("SELECT sku, supplier FROM product_supply", Vec::new())?;
        Ok(rows
            .into_iter()
            .map(|row| (row.sku, row.supplier))
            .collect())
    }

    /// Every backorder order the index holds facts for, in `currency`
    /// (`None`: any), with the SKUs it still waits for.
    pub(super) fn backorder_records(
        &self,
        currency: Option<&str>,
    ) -> Result<Vec<BackorderRecord>, EdgeError> {
        #[derive(Deserialize)]
        struct IndexRow {
            placed_at: f64,
            facts: String,
            settled_at: Option<f64>,
            stage: String,
            waiting: Option<String>,
        }
        let rows: Vec<IndexRow> = self.rows(
            "SELECT placed_at, facts, settled_at, stage,
                    (SELECT group_concat(sku) FROM waiting WHERE waiting.order_id = orders.id)
                      AS waiting
             FROM orders WHERE facts IS NOT NULL",
            Vec::new(),
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let facts: OrderFacts = serde_json::from_str(&row.facts).ok()?;
                if currency.is_some_and(|c| c != facts.currency) {
                    return None;
                }
                let waiting = row
                    .waiting
                    .map(|skus| skus.split(',').map(str::to_string).collect())
                    .unwrap_or_default();
                Some(record(
                    &row.stage,
                    row.placed_at,
                    row.settled_at,
                    waiting,
                    facts,
                ))
            })
            .collect())
    }
}

fn record(
    stage: &str,
    placed_at: f64,
    settled_at: Option<f64>,
    waiting: Vec<String>,
    facts: OrderFacts,
) -> BackorderRecord {
    let day = |seconds: f64| shared::Timestamp::from_unix_seconds(seconds as i64).date();
    let settled = settled_at.map(|at| {
        let how = if stage == "cancelled" {
            Settled::Cancelled
        } else {
            Settled::Shipped
        };
        (day(at), how)
    });
    BackorderRecord {
        placed: day(placed_at),
        promised_by: facts.promised_by,
        ship_by: facts.ship_by,
        slips: facts.slips,
        settled,
        paid_minor: i64::try_from(facts.paid_minor).unwrap_or(i64::MAX),
        returned_minor: i64::try_from(facts.returned_minor).unwrap_or(i64::MAX),
        waiting,
        backordered: facts
            .backordered
            .into_iter()
            .map(|(sku, units, value)| {
                (
                    sku.to_string(),
                    units,
                    i64::try_from(value).unwrap_or(i64::MAX),
                )
            })
            .collect(),
        offers: facts
            .offers
            .into_iter()
            .map(|(opened, end)| OfferRecord {
                opened,
                end: match end.as_str() {
                    "open" => OfferEnd::Open,
                    "lapsed" => OfferEnd::Lapsed,
                    code => {
                        OptionKind::from_code(code).map_or(OfferEnd::Replaced, OfferEnd::Chosen)
                    }
                },
            })
            .collect(),
    }
}

#[derive(Default)]
struct CustomerSummaries {
    summaries: Vec<CustomerOrders>,
    orders: u64,
    with_backorder: u64,
}

/// The query: `from` and `to` (days, `to` excluded), `currency`, `format`.
struct Query {
    from: Option<Date>,
    to: Option<Date>,
    currency: Option<String>,
    csv: bool,
}

impl Query {
    fn parse(req: &Request) -> Result<Query, EdgeError> {
        let url = req.url()?;
        let mut query = Query {
            from: None,
            to: None,
            currency: None,
            csv: false,
        };
        for (name, value) in url.query_pairs() {
            let day = |field: &'static str| {
                value
                    .parse::<Date>()
                    .map_err(|_| invalid(field, "a date, YYYY-MM-DD"))
            };
            match name.as_ref() {
                "from" => query.from = Some(day("from")?),
                "to" => query.to = Some(day("to")?),
                "currency" => {
                    let code = shared::Currency::parse(&value)
                        .map_err(|_| invalid("currency", "an ISO 4217 code, e.g. EUR"))?;
                    query.currency = Some(code.as_str().to_string());
                }
                "format" => match value.as_ref() {
                    "csv" => query.csv = true,
                    "json" => query.csv = false,
                    _ => return Err(invalid("format", "json or csv")),
                },
                _ => return Err(invalid("query", "only from, to, currency and format")),
            }
        }
        Ok(query)
    }

    /// `[from, to)`: by default the last 365 days up to today included.
    fn period(&self, today: Date) -> Result<(Date, Date), EdgeError> {
        let to = match self.to {
            Some(to) => to,
            None => today.add_days(1).ok_or_else(|| invalid("to", "a date"))?,
        };
        let from = match self.from {
            Some(from) => from,
            None => to
                .add_days(-DEFAULT_PERIOD_DAYS)
                .ok_or_else(|| invalid("from", "a date"))?,
        };
        if from >= to {
            return Err(invalid("from", "a day before to"));
        }
        if from.days_until(to) > MAX_PERIOD_DAYS {
            return Err(invalid("to", "at most 3,660 days after from"));
        }
        Ok((from, to))
    }
}

/// A share with its interval; `null`s when nothing was counted, so that
/// no reader takes "none of none" for 0 %.
fn share_json(share: &Share) -> Value {
    if share.of == 0 {
        return json!({ "share": null, "low": null, "high": null, "of": 0 });
    }
    json!({ "share": share.share, "low": share.low, "high": share.high, "of": share.of })
}

fn mean_json(mean: &Mean) -> Value {
    if mean.of == 0 {
        return json!({ "mean": null, "low": null, "high": null, "of": 0 });
    }
    json!({ "mean": mean.mean, "low": mean.low, "high": mean.high, "of": mean.of })
}

fn cohort_json(cohort: &Cohort) -> Value {
    json!({
        "customers": cohort.customers,
        "orders_per_customer": mean_json(&cohort.orders_per_customer),
        "back_within_90_days": share_json(&cohort.back_within_90_days),
        "back_within_365_days": share_json(&cohort.back_within_365_days),
        "revenue_per_customer_minor": mean_json(&cohort.revenue_per_customer),
    })
}

fn accuracy_json(accuracy: &Accuracy) -> Value {
    json!({
        "shipped": accuracy.shipped,
        "on_time": share_json(&accuracy.on_time),
        "mean_days_late": accuracy.mean_days_late,
        "p90_days_late": accuracy.p90_days_late,
    })
}

fn waits_json(waits: &Waits) -> Value {
    json!({
        "orders": waits.orders,
        "median_days": waits.median_days,
        "p90_days": waits.p90_days,
        "longest_days": waits.longest_days,
    })
}

/// The JSON answer as CSV rows `figure,value,low,high,of`: a figure with
/// an interval on one row, every other number on its own; lists by their
/// item's name (`sku`, `month`, `days_late`, `slips`) or position.
fn flatten(prefix: &str, value: &Value, out: &mut String) {
    match value {
        Value::Object(map) if map.contains_key("low") && map.contains_key("of") => {
            let main = map
                .get("share")
                .or_else(|| map.get("mean"))
                .unwrap_or(&Value::Null);
            let cell = |v: Option<&Value>| v.map(Value::to_string).unwrap_or_default();
            out.push_str(&format!(
                "{},{},{},{},{}\n",
                csv_field(prefix),
                cell(Some(main)),
                cell(map.get("low")),
                cell(map.get("high")),
                cell(map.get("of")),
            ));
        }
        Value::Object(map) => {
            for (name, item) in map {
                let path = if prefix.is_empty() {
                    name.clone()
                } else {
                    format!("{prefix}.{name}")
                };
                flatten(&path, item, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let label = ["sku", "supplier", "month", "days_late", "slips", "currency"]
                    .iter()
                    .find_map(|key| item.get(key).and_then(Value::as_str))
                    .map_or_else(|| i.to_string(), str::to_string);
                let path = format!("{prefix}[{label}]");
                match item {
                    Value::Object(map) => {
                        for (name, field) in map {
                            if field.is_string() {
                                continue;
                            }
                            flatten(&format!("{path}.{name}"), field, out);
                        }
                    }
                    other => flatten(&path, other, out),
                }
            }
        }
        Value::String(text) => {
            out.push_str(&format!("{},{},,,\n", csv_field(prefix), csv_field(text)))
        }
        other => out.push_str(&format!("{},{},,,\n", csv_field(prefix), other)),
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break, and
/// never read as a formula by a spreadsheet.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) && text.parse::<f64>().is_err() {
        format!("'{text}")
    } else {
        text.to_string()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}
