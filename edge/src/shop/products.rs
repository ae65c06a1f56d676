//! Products and the supplier history: what a merchant sets for each product,
//! what it reads as today (worked out here when a setting, the history or
//! the day changes, and copied to KV for the widget), deliveries learnt into
//! the history, and a restock or a later window told to the waiting orders.

use serde::Deserialize;
use serde_json::{Value, json};
use shared::estimate::{Delivery, DeliveryHistory};
use shared::lifecycle::Event;
use shared::text::MerchantText;
use shared::{Availability, ProductSetting, ShipWindow, ShopId, Sku, StoredProduct};
use worker::{Method, Request, Response};

use super::history::BadLine;
use super::sql::{Row, text_value, to_text};
use super::upkeep::Task;
use super::{
    MAX_DELIVERY_BYTES, MAX_DELIVERY_RECORDS, MAX_SETTING_BYTES, ShopRecords, invalid, parse_sku,
};
use crate::error::EdgeError;
use crate::{clock, crypto, http, storage};

/// The largest delivery history file taken, and its most rows: the whole
/// of `shared/data/deliveries` (8,498 rows, 686 KiB) fits with room.
const MAX_DELIVERY_CSV_BYTES: usize = 4 * 1024 * 1024;
const MAX_DELIVERY_CSV_ROWS: usize = 50_000;
/// The most products one catalog read lists.
const MAX_CATALOG: usize = 1000;

/// When the day-turn alarm failed, it tries again this soon.
pub(super) const RETRY_MS: i64 = 60_000;
/// The day turns this long after midnight UTC: a clock a little behind
/// still sees the new day.
const DAY_TURN_SLACK_MS: i64 = 5_000;

/// Milliseconds from `now` (Unix milliseconds) to just after the next
/// midnight UTC.
fn day_turn_in_millis(now: i64) -> i64 {
    const DAY_MS: i64 = 86_400_000;
    DAY_MS - now.rem_euclid(DAY_MS) + DAY_TURN_SLACK_MS
}

impl ShopRecords {
    /// The merchant's product and history routes; `None` when the path is
    /// not one of them.
    pub(super) async fn product_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
        shop: &ShopId,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Put, ["v1", "shops", _, "products", sku]) => match parse_sku(sku) {
                Ok(sku) => self.put_product(req, shop, sku).await,
                Err(err) => Err(err),
            },
            (Method::Post, ["v1", "shops", _, "deliveries"]) => {
                self.post_deliveries(req, shop).await
            }
            (Method::Get, ["v1", "shops", _, "catalog"]) => self.catalog(),
            (Method::Get, ["v1", "shops", _, "deliveries"]) => self.history().and_then(|history| {
                http::json(
                    &json!({ "deliveries_in_history": history.deliveries() }),
                    200,
                )
            }),
            (_, ["v1", "shops", _, "products", _] | ["v1", "shops", _, "deliveries"]) => {
                Err(EdgeError::MethodNotAllowed)
            }
            _ => return None,
        })
    }

    /// The products the shop has set, by SKU (the first `limit`, when
    /// given); one whose row cannot be read is logged and left out.
    fn stored_products(
        &self,
        limit: Option<usize>,
    ) -> Result<Vec<(Sku, ProductSetting)>, EdgeError> {
        #[derive(Deserialize)]
        struct Stored {
            sku: String,
            setting: String,
        }
        let limit = limit.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX));
        let rows: Vec<Stored> = self.rows(
            "SELECT sku, setting FROM products ORDER BY sku LIMIT ?",
            vec![limit.into()],
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                match (
                    Sku::parse(&row.sku),
                    serde_json::from_str::<ProductSetting>(&row.setting),
                ) {
                    (Ok(sku), Ok(setting)) => Some((sku, setting)),
                    _ => {
                        worker::console_error!("stored product {} is unreadable", row.sku);
                        None
                    }
                }
            })
            .collect())
    }

    /// `GET …/catalog`: every product the shop has set (the first
    /// `MAX_CATALOG` by SKU), with what its page says today and why (the
    /// window, stated or estimated with its confidence and any
    /// uncertainty), and how many orders wait for it.
    fn catalog(&self) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        struct Waiting {
            sku: String,
            n: i64,
        }
        let stored = self.stored_products(Some(MAX_CATALOG + 1))?;
        let waiting: std::collections::HashMap<String, i64> = self
            .rows::<Waiting>(
                "SELECT sku, COUNT(*) AS n FROM waiting GROUP BY sku",
                vec![],
            )?
            .into_iter()
            .map(|row| (row.sku, row.n))
            .collect();
        let history = self.history()?;
        let today = clock::today();
        let more = stored.len() > MAX_CATALOG;
        let products: Vec<Value> = stored
            .into_iter()
            .take(MAX_CATALOG)
            .map(|(sku, setting)| {
                let waiting = waiting.get(sku.as_str()).copied().unwrap_or(0);
                let shown = StoredProduct::resolved(sku, setting, &history, today);
                json!({
                    "sku": shown.sku,
                    "setting": shown.setting,
                    "shown": shown.shown.map(|shown| shown.availability),
                    "waiting_orders": waiting,
                })
            })
            .collect();
        http::json(
            &json!({
                "products": products,
                "more": more,
                "deliveries_in_history": history.deliveries(),
            }),
            200,
        )
    }

    pub(super) fn product(&self, sku: &Sku) -> Result<Option<ProductSetting>, EdgeError> {
        let rows: Vec<Row<String>> = self.rows(
            "SELECT setting AS value FROM products WHERE sku = ?",
            vec![text_value(sku.as_str())],
        )?;
        match rows.into_iter().next() {
            Some(row) => serde_json::from_str(&row.value)
                .map(Some)
                .map_err(|err| EdgeError::Internal(format!("stored product {sku}: {err}"))),
            None => Ok(None),
        }
    }

    /// Saves a setting and refreshes KV's copy with what it reads as today.
    /// `history` is the shop's, if the caller has already read it; else it
    /// is read here, and only for a setting estimated from it.
    pub(super) async fn save_product(
        &self,
        shop: &ShopId,
        sku: &Sku,
        setting: &ProductSetting,
        history: Option<&DeliveryHistory>,
    ) -> Result<(), EdgeError> {
        let was_in_stock = matches!(self.product(sku)?, Some(ProductSetting::InStock {}));
        self.run(
            "INSERT INTO products (sku, setting) VALUES (?, ?)
                 ON CONFLICT(sku) DO UPDATE SET setting = excluded.setting",
            vec![text_value(sku.as_str()), text_value(to_text(setting)?)],
        )?;
        // Its supplier stays known once it is back in stock, for the flags.
        if let ProductSetting::Backorder {
            supply: Some(facts),
            ..
        } = setting
        {
            self.remember_supplier(sku, &facts.supplier, None)?;
        }
        let read;
        let history = match history {
            Some(history) => history,
            None => {
                read = match setting.needs_history() {
                    true => self.history()?,
                    false => DeliveryHistory::default(),
                };
                &read
            }
        };
        let stored = StoredProduct::resolved(sku.clone(), setting.clone(), history, clock::today());
        storage::put_product(&self.env, shop, &stored).await?;
        if matches!(setting, ProductSetting::Backorder { .. }) {
            self.keep_day_turn_alarm().await;
        }
        // Back on the shelf, however it got there: whoever asked hears it.
        if !was_in_stock && matches!(setting, ProductSetting::InStock {}) {
            self.tell_watchers(sku).await?;
        }
        Ok(())
    }

    /// Works out again what products read as today and rewrites their KV
    /// copies: those estimated from the history when it changed (`estimated`),
    /// or every backorder when the day turned. The writes run at once.
    pub(super) async fn refresh_shown(
        &self,
        shop: &ShopId,
        estimated: bool,
    ) -> Result<(), EdgeError> {
        let history = self.history()?;
        let today = clock::today();
        let mut products = Vec::new();
        for (sku, setting) in self.stored_products(None)? {
            let wanted = match estimated {
                true => setting.needs_history(),
                false => matches!(setting, ProductSetting::Backorder { .. }),
            };
            if !wanted {
                continue;
            }
            products.push(StoredProduct::resolved(sku, setting, &history, today));
        }
        let writes = products
            .iter()
            .map(|product| storage::put_product(&self.env, shop, product));
        for written in futures_util::future::join_all(writes).await {
            written?;
        }
        Ok(())
    }

    /// Makes sure the day turns (UTC) for this shop's products: a stated
    /// window begins or passes, an estimate moves on with the day.
    pub(super) async fn keep_day_turn_alarm(&self) {
        let now = clock::now_millis();
        if let Err(err) = self
            .schedule(Task::DayTurn, now + day_turn_in_millis(now))
            .await
        {
            worker::console_error!("setting the shop's day-turn alarm: {err}");
        }
    }

    /// The day turned: every backorder product reads as of the new day,
    /// and the next turn is due.
    pub(super) async fn turn_the_day(&self) -> Result<(), EdgeError> {
        let shop = self.shop_id()?;
        self.refresh_shown(&shop, false).await?;
        let now = clock::now_millis();
        self.schedule(Task::DayTurn, now + day_turn_in_millis(now))
            .await
    }

    pub(super) fn history(&self) -> Result<DeliveryHistory, EdgeError> {
        match self.setting("history")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|err| EdgeError::Internal(format!("stored history: {err}"))),
            None => Ok(DeliveryHistory::default()),
        }
    }

    /// Learns deliveries into the history, and refreshes KV's copy, which
    /// product reads estimate from.
    pub(super) async fn learn(
        &self,
        shop: &ShopId,
        deliveries: &[Delivery],
    ) -> Result<u64, EdgeError> {
        let mut history = self.history()?;
        for delivery in deliveries {
            history.record(delivery);
        }
        self.keep_deliveries(deliveries)?;
        self.set_setting("history", &to_text(&history)?)?;
        storage::put_history(&self.env, shop, &history.for_reading()).await?;
        self.refresh_shown(shop, true).await?;
        Ok(history.deliveries())
    }

    async fn put_product(
        &self,
        req: &mut Request,
        shop: &ShopId,
        sku: Sku,
    ) -> Result<Response, EdgeError> {
        let mut body: Value = http::json_body(req, MAX_SETTING_BYTES).await?;
        // A delay's explanation rides along with the new setting.
        let delay = body
            .as_object_mut()
            .and_then(|object| object.remove("delay"));
        let delay: Option<DelayText> = match delay {
            Some(value) => Some(
                serde_json::from_value(value)
                    .map_err(|err| EdgeError::InvalidBody(format!("delay: {err}")))?,
            ),
            None => None,
        };
        let setting: ProductSetting =
            serde_json::from_value(body).map_err(|err| EdgeError::InvalidBody(err.to_string()))?;
        setting
            .validate()
            .map_err(|reason| invalid("availability", reason))?;
        let old = self.product(&sku)?;
        let waiting = self.waiting_orders(&sku)?;
        let today = clock::today();
        // What each setting means for a waiting order: the window it ships
        // in, stated or estimated from the history, `Some(None)` for a
        // backorder nobody can date, `None` when not on backorder.
        let history = self.history()?;
        let window_of = |setting: &ProductSetting| match setting.resolve(&history, &[], today) {
            Availability::Backorder { window, .. } => Some(window),
            _ => None,
        };
        let (old_window, new_window) = (old.as_ref().and_then(window_of), window_of(&setting));
        let later = match (old_window, new_window) {
            (Some(Some(old)), Some(Some(new))) => new.latest() > old.latest(),
            // From a date to no date at all is a delay too.
            (Some(Some(_)), Some(None)) => true,
            _ => false,
        };
        if later && !waiting.is_empty() && delay.is_none() {
            return Err(invalid(
                "delay",
                format!(
                    "{} orders wait for {sku}: a later window needs delay.reason and delay.fix \
                     for their customers",
                    waiting.len()
                ),
            ));
        }
        if let Some(delay) = &delay {
            delay.check()?;
        }
        self.save_product(shop, &sku, &setting, Some(&history))
            .await?;
        let restocked = matches!(setting, ProductSetting::InStock {})
            && matches!(old, Some(ProductSetting::Backorder { .. }));
        let mut notified = 0;
        if restocked {
            notified = self.restock(shop, &sku, old.as_ref(), today).await?;
        } else if let Some(new) = new_window
            && old_window.is_some()
            && old_window != Some(new)
            && !waiting.is_empty()
        {
            let text = delay.unwrap_or_else(DelayText::better_news);
            notified = self.window_changed(shop, &sku, new, text).await?;
        }
        http::json(
            &json!({ "sku": sku, "setting": setting, "orders_notified": notified }),
            200,
        )
    }

    async fn post_deliveries(
        &self,
        req: &mut Request,
        shop: &ShopId,
    ) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Batch {
            deliveries: Vec<Value>,
        }
        let csv = req
            .headers()
            .get("Content-Type")
            .ok()
            .flatten()
            .is_some_and(|kind| kind.trim_start().starts_with("text/csv"));
        let mut file_seen = None;
        let mut deliveries = match csv {
            true => {
                let body = http::body_bytes(req, MAX_DELIVERY_CSV_BYTES).await?;
                // The same file sent again (a retry, a second click) is
                // learnt once.
                let digest = crypto::sha256_hex(&body);
                let seen = format!("deliveries_file:{digest}");
                if self.setting(&seen)?.is_some() {
                    return http::json(
                        &json!({
                            "recorded": 0,
                            "already_learnt": true,
                            "deliveries_in_history": self.history()?.deliveries(),
                        }),
                        200,
                    );
                }
                let deliveries = read_deliveries_csv(&body)
                    .map_err(|bad| invalid("body", format!("line {}: {}", bad.line, bad.reason)))?;
                file_seen = Some(seen);
                deliveries
            }
            false => {
                let batch: Batch = http::json_body(req, MAX_DELIVERY_BYTES).await?;
                if batch.deliveries.is_empty() || batch.deliveries.len() > MAX_DELIVERY_RECORDS {
                    return Err(invalid(
                        "deliveries",
                        format!("send 1 to {MAX_DELIVERY_RECORDS} records"),
                    ));
                }
                let mut deliveries = Vec::with_capacity(batch.deliveries.len());
                for (index, value) in batch.deliveries.into_iter().enumerate() {
                    let delivery: Delivery = serde_json::from_value(value).map_err(|err| {
                        EdgeError::InvalidBody(format!("deliveries[{index}]: {err}"))
                    })?;
                    delivery.validate().map_err(|reason| {
                        EdgeError::InvalidBody(format!("deliveries[{index}]: {reason}"))
                    })?;
                    deliveries.push(delivery);
                }
                deliveries
            }
        };
        // Learnt in the order they arrived, as the calibration expects.
        deliveries.sort_by_key(|delivery| delivery.received);
        let total = self.learn(shop, &deliveries).await?;
        if let Some(seen) = file_seen {
            self.set_setting(&seen, &clock::now_millis().to_string())?;
        }
        http::json(
            &json!({ "recorded": deliveries.len(), "deliveries_in_history": total }),
            200,
        )
    }

    /// Stock arrived: the product is in stock, every waiting order hears it,
    /// and a delivery with a promised date is learnt into the history.
    pub(super) async fn restock(
        &self,
        shop: &ShopId,
        sku: &Sku,
        old: Option<&ProductSetting>,
        today: shared::Date,
    ) -> Result<usize, EdgeError> {
        if let Some(ProductSetting::Backorder {
            supply: Some(facts),
            ..
        }) = old
            && let Some(promised) = facts.promised_arrival
        {
            let delivery = Delivery {
                supplier: facts.supplier.clone(),
                mode: facts.mode.clone(),
                promised,
                received: today,
            };
            if delivery.validate().is_ok() {
                self.learn(shop, &[delivery]).await?;
            }
        }
        let (told, key) = self
            .fan_out(shop, sku, Event::StockArrived { sku: sku.clone() })
            .await?;
        if told > 0 {
            // Kept until every waiting order took it (the shop's sweep).
            self.remember_restock(sku, &key)?;
        }
        Ok(told)
    }

    pub(super) async fn window_changed(
        &self,
        shop: &ShopId,
        sku: &Sku,
        window: Option<ShipWindow>,
        text: DelayText,
    ) -> Result<usize, EdgeError> {
        let in_stock = self.in_stock_alternatives()?;
        self.fan_out(
            shop,
            sku,
            Event::WindowChanged {
                sku: sku.clone(),
                window,
                reason: text.reason,
                fix: text.fix,
                in_stock,
            },
        )
        .await
        .map(|(told, _)| told)
    }

    /// The policy's alternatives that are in stock now.
    pub(super) fn in_stock_alternatives(&self) -> Result<Vec<Sku>, EdgeError> {
        let mut in_stock = Vec::new();
        for alternative in self.policy()?.alternatives() {
            if matches!(
                self.product(&alternative.sku)?,
                Some(ProductSetting::InStock {})
            ) {
                in_stock.push(alternative.sku.clone());
            }
        }
        Ok(in_stock)
    }
}

/// What happened and what is done about it, for a window change.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DelayText {
    pub(super) reason: MerchantText,
    pub(super) fix: MerchantText,
}

impl DelayText {
    pub(super) fn better_news() -> DelayText {
        DelayText {
            reason: "Our supplier gave us a new date.".into(),
            fix: "Nothing more is needed: your order ships within the new window.".into(),
        }
    }

    pub(super) fn check(&self) -> Result<(), EdgeError> {
        let texts = [("delay.reason", &self.reason), ("delay.fix", &self.fix)];
        for (field, texts) in texts {
            let texts = texts.texts();
            if texts.is_empty() {
                return Err(invalid(field, "a text, or one per language"));
            }
            for text in texts {
                check_delay_text(field, text)?;
            }
        }
        Ok(())
    }
}

/// One of a delay's texts: it fits, and holds nothing that acts.
fn check_delay_text(field: &'static str, text: &str) -> Result<(), EdgeError> {
    if !shared::text::fits(text, shared::lifecycle::MAX_TEXT_CHARS) {
        return Err(invalid(
            field,
            format!("1 to {} characters", shared::lifecycle::MAX_TEXT_CHARS),
        ));
    }
    if shared::text::has_hidden_controls(text) {
        return Err(invalid(
            field,
            "must not hold control, bidi control or other invisible characters",
        ));
    }
    Ok(())
}

/// A delivery history file: the columns of `shared/data/deliveries`
/// (`vendor`, `mode`, `scheduled`, `delivered`; `supplier`, `promised`,
/// `received` are taken too), other columns ignored, every row checked;
/// the first bad row fails the file, so nothing is learnt from it.
fn read_deliveries_csv(body: &[u8]) -> Result<Vec<Delivery>, BadLine> {
    let records = super::history::records(body)?;
    let Some((_, header)) = records.first() else {
        return Err(BadLine {
            line: 1,
            reason: "the file is empty".into(),
        });
    };
    let column = |names: &[&str]| {
        header
            .iter()
            .position(|name| names.contains(&name.trim().to_ascii_lowercase().as_str()))
            .ok_or_else(|| BadLine {
                line: 1,
                reason: format!("no {} column", names.join(" or ")),
            })
    };
    let supplier = column(&["vendor", "supplier"])?;
    let mode = column(&["mode"])?;
    let promised = column(&["scheduled", "promised"])?;
    let received = column(&["delivered", "received"])?;
    let rows = records.len() - 1;
    if rows == 0 || rows > MAX_DELIVERY_CSV_ROWS {
        return Err(BadLine {
            line: 1,
            reason: format!("send 1 to {MAX_DELIVERY_CSV_ROWS} rows"),
        });
    }
    let mut deliveries = Vec::with_capacity(rows);
    for (line, record) in records.iter().skip(1) {
        let bad = |reason: String| BadLine {
            line: *line,
            reason,
        };
        let cell = |index: usize| record.get(index).map_or("", |text| text.trim());
        let date = |index: usize, name: &str| {
            cell(index).parse().map_err(|_| {
                bad(format!(
                    "{name} is not a date (YYYY-MM-DD): {:?}",
                    cell(index)
                ))
            })
        };
        let delivery = Delivery {
            supplier: cell(supplier).to_owned(),
            mode: cell(mode).to_owned(),
            promised: date(promised, "scheduled")?,
            received: date(received, "delivered")?,
        };
        delivery.validate().map_err(bad)?;
        deliveries.push(delivery);
    }
    Ok(deliveries)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_day_turns_just_after_the_next_midnight_utc() {
        // 2026-11-23T00:00:00Z and one millisecond before it.
        let midnight: i64 = 1_795_392_000_000;
        assert_eq!(day_turn_in_millis(midnight), 86_400_000 + DAY_TURN_SLACK_MS);
        assert_eq!(day_turn_in_millis(midnight - 1), 1 + DAY_TURN_SLACK_MS);
        assert_eq!(
            day_turn_in_millis(midnight + 3_600_000),
            82_800_000 + DAY_TURN_SLACK_MS
        );
    }

    #[test]
    fn a_delivery_file_is_read_by_its_column_names() {
        let csv = "id,vendor,country,mode,product_group,fulfill_via,po_sent,scheduled,delivered\n\
                   1,\"Acme, Inc.\",Kenya,Air,HRDT,Direct Drop,,2014-01-02,2014-01-09\n\
                   2,Beta Ltd,Kenya,Ocean,ARV,From RDC,,2014-02-01,2014-01-30\n";
        let deliveries = read_deliveries_csv(csv.as_bytes()).expect("a good file");
        assert_eq!(deliveries.len(), 2);
        assert_eq!(deliveries[0].supplier, "Acme, Inc.");
        assert_eq!(deliveries[0].slip_days(), 7);
        assert_eq!(deliveries[1].mode, "Ocean");
        assert_eq!(deliveries[1].slip_days(), -2);
    }

    #[test]
    fn a_bad_row_is_named_by_its_line_and_fails_the_file() {
        let bad = |csv: &str| read_deliveries_csv(csv.as_bytes()).expect_err("a bad file");
        let wrong_date = bad(
            "vendor,mode,scheduled,delivered\nA,Air,2014-01-02,2014-01-09\nB,Air,2014-13-01,2014-01-09\n",
        );
        assert_eq!(wrong_date.line, 3);
        assert!(
            wrong_date.reason.contains("scheduled"),
            "{}",
            wrong_date.reason
        );
        let no_supplier = bad("vendor,mode,scheduled,delivered\n,Air,2014-01-02,2014-01-09\n");
        assert_eq!(no_supplier.line, 2);
        let no_column = bad("vendor,mode,delivered\nA,Air,2014-01-09\n");
        assert_eq!(
            (no_column.line, no_column.reason.as_str()),
            (1, "no scheduled or promised column")
        );
        assert_eq!(bad("").line, 1);
        assert_eq!(bad("vendor,mode,scheduled,delivered\n").line, 1);
    }
}
