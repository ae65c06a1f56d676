//! Predictive flags: each supplier's scorecard from the deliveries the shop
//! recorded (`shared::scorecard`), and which products are likely to go on
//! backorder (`shared::likely`) from what the shop knows of them: the stock
//! levels its store reports, the units its orders sold, the supplier's
//! lead time and record, and the units customers already wait for.

use serde::Deserialize;
use serde_json::{Value, json};
use shared::estimate::Delivery;
use shared::likely::{Feature, MODEL, Signals};
use shared::scorecard::{SupplierCard, scorecards, scorecards_by_mode};
use shared::{Date, ProductSetting, Sku};
use worker::{Method, Request, Response};

use super::sql::text_value;
use super::{MAX_SETTING_BYTES, ShopRecords, parse_sku};
use crate::error::{EdgeError, invalid};
use crate::{clock, http};

/// A product at or above this chance is flagged.
pub(super) const FLAG_AT: f64 = 0.5;
/// The longest lead time a merchant may state: two years.
const MAX_LEAD_TIME_DAYS: u32 = 730;

impl ShopRecords {
    pub(super) async fn flag_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Get, ["v1", "shops", _, "suppliers"]) => self.suppliers(),
            (Method::Get, ["v1", "shops", _, "flags"]) => self.flags(),
            (Method::Put, ["v1", "shops", _, "products", sku, "supply"]) => match parse_sku(sku) {
                Ok(sku) => self.put_supply(req, &sku).await,
                Err(err) => Err(err),
            },
            (Method::Get, ["v1", "shops", _, "products", sku, "supply"]) => match parse_sku(sku) {
                Ok(sku) => self
                    .supply(&sku)
                    .and_then(|supply| http::json(&supply, 200)),
                Err(err) => Err(err),
            },
            (
                _,
                ["v1", "shops", _, "suppliers" | "flags"]
                | ["v1", "shops", _, "products", _, "supply"],
            ) => Err(EdgeError::MethodNotAllowed),
            _ => return None,
        })
    }

    /// Keeps deliveries as they came: the scorecard reads them whole.
    pub(super) fn keep_deliveries(&self, deliveries: &[Delivery]) -> Result<(), EdgeError> {
        for delivery in deliveries {
            self.run(
                "INSERT INTO deliveries (supplier, mode, promised, received) VALUES (?, ?, ?, ?)",
                vec![
                    text_value(delivery.supplier.as_str()),
                    text_value(delivery.mode.as_str()),
                    text_value(delivery.promised.to_string()),
                    text_value(delivery.received.to_string()),
                ],
            )?;
        }
        Ok(())
    }

    /// The stock a store reports for a SKU, as of now.
    pub(super) fn keep_stock(
        &self,
        sku: &Sku,
        on_hand: i64,
        in_transit: Option<i64>,
    ) -> Result<(), EdgeError> {
        self.run(
            "INSERT INTO stock (sku, on_hand, in_transit, at) VALUES (?, ?, ?, ?)
             ON CONFLICT(sku) DO UPDATE SET on_hand = excluded.on_hand,
               in_transit = COALESCE(excluded.in_transit, stock.in_transit), at = excluded.at",
            vec![
                text_value(sku.as_str()),
                on_hand.into(),
                in_transit.into(),
                clock::now().unix_seconds().into(),
            ],
        )?;
        Ok(())
    }

    /// The units of each SKU an order sold, once per order.
    pub(super) fn keep_lines(
        &self,
        order: &str,
        day: Date,
        lines: &[(String, u32)],
    ) -> Result<(), EdgeError> {
        let mut units: Vec<(Sku, u32)> = Vec::new();
        for (sku, quantity) in lines {
            let Ok(sku) = Sku::parse(sku) else { continue };
            match units.iter_mut().find(|(known, _)| *known == sku) {
                Some(line) => line.1 = line.1.saturating_add(*quantity),
                None => units.push((sku, *quantity)),
            }
        }
        for (sku, quantity) in units {
            self.run(
                "INSERT OR IGNORE INTO order_lines (order_id, sku, units, day) VALUES (?, ?, ?, ?)",
                vec![
                    text_value(order),
                    text_value(sku.as_str()),
                    i64::from(quantity).into(),
                    text_value(day.to_string()),
                ],
            )?;
        }
        Ok(())
    }

    /// What the shop knows of a product's supplier: stated, or from the
    /// supply facts it was last on backorder with.
    fn supply(&self, sku: &Sku) -> Result<Value, EdgeError> {
        #[derive(Deserialize)]
        struct SupplyRow {
            supplier: String,
            lead_time_days: Option<f64>,
        }
        let rows: Vec<SupplyRow> = self.rows(
            "SELECT supplier, lead_time_days FROM product_supply WHERE sku = ?",
            vec![text_value(sku.as_str())],
        )?;
        Ok(match rows.into_iter().next() {
            Some(row) => json!({
                "supplier": row.supplier,
                "lead_time_days": row.lead_time_days.map(|days| days as u32),
            }),
            None => json!({ "supplier": null, "lead_time_days": null }),
        })
    }

    /// `PUT …/products/{sku}/supply {"supplier", "lead_time_days"}`.
    async fn put_supply(&self, req: &mut Request, sku: &Sku) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Supply {
            supplier: String,
            #[serde(default)]
            lead_time_days: Option<u32>,
        }
        let supply: Supply = http::json_body(req, MAX_SETTING_BYTES).await?;
        let supplier = supply.supplier.trim();
        if supplier.is_empty()
            || supplier.chars().count() > 100
            || supplier.chars().any(char::is_control)
        {
            return Err(invalid(
                "supplier",
                "1 to 100 characters, no control characters",
            ));
        }
        if supply
            .lead_time_days
            .is_some_and(|days| days == 0 || days > MAX_LEAD_TIME_DAYS)
        {
            return Err(invalid("lead_time_days", "1 to 730 days"));
        }
        // A PUT says it all: no lead time (null or left out) is unknown.
        self.run(
            "INSERT INTO product_supply (sku, supplier, lead_time_days) VALUES (?, ?, ?)
             ON CONFLICT(sku) DO UPDATE SET supplier = excluded.supplier,
               lead_time_days = excluded.lead_time_days",
            vec![
                text_value(sku.as_str()),
                text_value(supplier),
                supply.lead_time_days.map(i64::from).into(),
            ],
        )?;
        http::json(&self.supply(sku)?, 200)
    }

    /// Remembers a product's supplier (a lead time only when given: supply
    /// facts on a backorder have none).
    pub(super) fn remember_supplier(
        &self,
        sku: &Sku,
        supplier: &str,
        lead_time_days: Option<u32>,
    ) -> Result<(), EdgeError> {
        self.run(
            "INSERT INTO product_supply (sku, supplier, lead_time_days) VALUES (?, ?, ?)
             ON CONFLICT(sku) DO UPDATE SET supplier = excluded.supplier,
               lead_time_days = COALESCE(excluded.lead_time_days, product_supply.lead_time_days)",
            vec![
                text_value(sku.as_str()),
                text_value(supplier),
                lead_time_days.map(i64::from).into(),
            ],
        )?;
        Ok(())
    }

    fn deliveries(&self) -> Result<Vec<Delivery>, EdgeError> {
        #[derive(Deserialize)]
        struct DeliveryRow {
            supplier: String,
            mode: String,
            promised: String,
            received: String,
        }
        let rows: Vec<DeliveryRow> = self.rows(
            "SELECT supplier, mode, promised, received FROM deliveries",
            Vec::new(),
        )?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                Some(Delivery {
                    supplier: row.supplier,
                    mode: row.mode,
                    promised: row.promised.parse().ok()?,
                    received: row.received.parse().ok()?,
                })
            })
            .collect())
    }

    /// `GET …/suppliers`: each supplier's scorecard as of today.
    fn suppliers(&self) -> Result<Response, EdgeError> {
        let today = clock::today();
        let before = today.add_days(1).unwrap_or(today);
        let deliveries = self.deliveries()?;
        let by_mode = scorecards_by_mode(&deliveries, before);
        let suppliers: Vec<Value> = scorecards(&deliveries, before)
            .iter()
            .map(|card| {
                let mut json = card_json(card);
                json["modes"] = by_mode
                    .iter()
                    .filter(|mode| mode.supplier == card.supplier)
                    .map(card_json)
                    .collect();
                json
            })
            .collect();
        http::json(&json!({ "today": today, "suppliers": suppliers }), 200)
    }

    /// `GET …/flags`: every product with a known stock level that is not
    /// already on backorder, scored, most likely first.
    fn flags(&self) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        struct StockRow {
            sku: String,
            on_hand: f64,
            in_transit: Option<f64>,
        }
        #[derive(Deserialize)]
        struct SalesRow {
            sku: String,
            m1: f64,
            m3: f64,
            m6: f64,
            m9: f64,
        }
        #[derive(Deserialize)]
        struct SupplyRow {
            sku: String,
            supplier: String,
            lead_time_days: Option<f64>,
        }
        let today = clock::today();
        let since = |days: i64| today.add_days(-days).unwrap_or(today).to_string();
        let stock: Vec<StockRow> = self.rows(
            "SELECT sku, on_hand, in_transit FROM stock ORDER BY sku",
            Vec::new(),
        )?;
        let sales: Vec<SalesRow> = self.rows(
            "SELECT sku,
                    SUM(CASE WHEN day >= ?1 THEN units ELSE 0 END) AS m1,
                    SUM(CASE WHEN day >= ?2 THEN units ELSE 0 END) AS m3,
                    SUM(CASE WHEN day >= ?3 THEN units ELSE 0 END) AS m6,
                    SUM(units) AS m9
             FROM order_lines WHERE day >= ?4 GROUP BY sku",
            vec![
                text_value(since(30)),
                text_value(since(91)),
                text_value(since(182)),
                text_value(since(273)),
            ],
        )?;
        let supply: Vec<SupplyRow> = self.rows(
            "SELECT sku, supplier, lead_time_days FROM product_supply",
            Vec::new(),
        )?;
        let waiting = self.waiting_units()?;
        let deliveries = self.deliveries()?;
        // The scorecard's on-time rate over the deliveries of the window.
        let before = today.add_days(1).unwrap_or(today);
        let on_time_since = |supplier: &str, days: i64| {
            let from = today.add_days(-days).unwrap_or(today);
            let recent: Vec<Delivery> = deliveries
                .iter()
                .filter(|d| d.supplier == supplier && d.received >= from)
                .cloned()
                .collect();
            scorecards(&recent, before)
                .first()
                .map(|card| card.on_time_rate)
        };

        let mut products = Vec::new();
        let mut skipped = Vec::new();
        for row in stock {
            let Ok(sku) = Sku::parse(&row.sku) else {
                continue;
            };
            if matches!(
                self.product(&sku)?,
                Some(ProductSetting::Backorder { .. } | ProductSetting::Unavailable { .. })
            ) {
                skipped.push(row.sku);
                continue;
            }
            let sold = sales.iter().find(|s| s.sku == row.sku);
            let supplied = supply.iter().find(|s| s.sku == row.sku);
            let supplier = supplied.map(|s| s.supplier.as_str());
            let signals = Signals {
                on_hand: row.on_hand,
                in_transit: row.in_transit.unwrap_or(0.0),
                lead_time_weeks: supplied
                    .and_then(|s| s.lead_time_days)
                    .map(|days| days / 7.0),
                sold_1_month: sold.map_or(0.0, |s| s.m1),
                sold_3_months: sold.map_or(0.0, |s| s.m3),
                sold_6_months: sold.map_or(0.0, |s| s.m6),
                sold_9_months: sold.map_or(0.0, |s| s.m9),
                overdue_from_supplier: 0.0,
                supplier_on_time_6_months: supplier.and_then(|s| on_time_since(s, 182)),
                supplier_on_time_12_months: supplier.and_then(|s| on_time_since(s, 365)),
                waiting: waiting
                    .iter()
                    .find(|(known, _)| *known == row.sku)
                    .map_or(0.0, |(_, units)| *units as f64),
            };
            let likely = MODEL.score(&signals);
            products.push(json!({
                "sku": row.sku,
                "probability": likely.probability,
                "flagged": likely.probability >= FLAG_AT,
                "supplier": supplier,
                "signals": Feature::ALL.iter().zip(signals.features())
                    .map(|(feature, value)| (feature.name().to_string(), json!(value)))
                    .collect::<serde_json::Map<String, Value>>(),
                "reasons": likely.reasons.iter().take(3).map(|reason| json!({
                    "signal": reason.feature.name(),
                    "value": reason.value,
                    "push": reason.push,
                })).collect::<Vec<_>>(),
            }));
        }
        products.sort_by(|a, b| {
            let p = |v: &Value| v["probability"].as_f64().unwrap_or(0.0);
            p(b).total_cmp(&p(a))
        });
        http::json(
            &json!({
                "today": today,
                "flag_at": FLAG_AT,
                "model": {
                    "trees": MODEL.trees.len(),
                    "held_out_roc_auc": MODEL.held_out_roc_auc,
                    "held_out_pr_auc": MODEL.held_out_pr_auc,
                    "trained_on": "70 % of the public \"Can you predict product backorders?\" sample (shared/data/backorder-prediction)",
                },
                "products": products,
                "already_on_backorder": skipped,
            }),
            200,
        )
    }

    /// Units open orders still wait for, per SKU.
    fn waiting_units(&self) -> Result<Vec<(String, u64)>, EdgeError> {
        let mut units: Vec<(String, u64)> = Vec::new();
        for record in self.backorder_records(None)? {
            if record.settled.is_some() {
                continue;
            }
            for (sku, quantity, _) in &record.backordered {
                if !record.waiting.contains(sku) {
                    continue;
                }
                match units.iter_mut().find(|(known, _)| known == sku) {
                    Some(entry) => entry.1 += u64::from(*quantity),
                    None => units.push((sku.clone(), u64::from(*quantity))),
                }
            }
        }
        Ok(units)
    }
}

fn card_json(card: &SupplierCard) -> Value {
    let mut json = json!({
        "supplier": card.supplier,
        "deliveries": card.deliveries,
        "on_time": card.on_time,
        "on_time_rate": card.on_time_rate,
        "on_time_lower_95": card.on_time_lower_95,
        "mean_slip_days": card.mean_slip_days,
        "p90_slip_days": card.p90_slip_days,
        "slipping": card.slipping.as_ref().map(|s| json!({
            "since": s.since,
            "score": s.score,
            "late_of_last_ten": s.late_of_last_ten,
        })),
    });
    if let Some(mode) = &card.mode {
        json["mode"] = json!(mode);
    }
    json
}
