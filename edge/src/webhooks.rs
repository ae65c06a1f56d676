//! What the stores' webhooks mean: each source's payloads (already verified)
//! turned into a few kinds of news for the shop. Real payloads carry nulls,
//! empty SKUs, money as strings or numbers and ids above 2^53; none of that
//! may panic or lose precision, so every field is read defensively.

use serde_json::Value;
use shared::text::MerchantText;
use shared::{Currency, ShipWindow};

/// Who sent a webhook; the path names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Shopify,
    WooCommerce,
    Standard,
}

impl Source {
    pub fn parse(text: &str) -> Option<Source> {
        match text {
            "shopify" => Some(Source::Shopify),
            "woocommerce" => Some(Source::WooCommerce),
            "standard" => Some(Source::Standard),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Shopify => "shopify",
            Source::WooCommerce => "woocommerce",
            Source::Standard => "standard",
        }
    }
}

/// How to reach the customer. It stays in the order's Durable Object and the
/// mail path: never in KV, logs or a public read.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Contact {
    pub email: Option<String>,
    pub name: Option<String>,
    pub locale: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftLine {
    /// `None` for custom items without a SKU: they are never backordered.
    pub sku: Option<String>,
    pub quantity: u32,
    /// What the line costs in all, after its discounts, in minor units.
    pub total_minor: u64,
    /// What the store calls the item (Shopify's `name`, product and variant
    /// titles; WooCommerce's `name`), made fit to show.
    pub name: Option<String>,
}

/// A line's name from the first of `fields` that holds one.
fn line_name(line: &Value, fields: &[&str]) -> Option<String> {
    fields
        .iter()
        .find_map(|field| line[*field].as_str().and_then(shared::text::product_name))
}

/// An order as a store reports it, before the shop decides which lines are
/// on backorder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DraftOrder {
    pub id: String,
    pub currency: Currency,
    pub lines: Vec<DraftLine>,
    /// What the customer paid in all (lines, shipping, taxes, discounts).
    pub total_minor: u64,
    pub customer: Option<String>,
    pub contact: Contact,
}

/// One piece of news from a store.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound {
    /// An order as it stands: placed if new, nothing if known.
    Order(DraftOrder),
    Cancelled {
        order: String,
    },
    Processed {
        order: String,
    },
    Shipped {
        order: String,
        carrier: String,
        tracking: String,
    },
    Delivered {
        order: String,
    },
    Restocked {
        sku: String,
    },
    WindowChanged {
        sku: String,
        window: Option<ShipWindow>,
        reason: MerchantText,
        fix: MerchantText,
    },
    /// Shopify's inventory levels name inventory items, not SKUs.
    InventoryItem {
        item: String,
        sku: String,
    },
    InventoryLevel {
        item: String,
        available: Option<i64>,
    },
    /// Units on hand (and on their way, where the store knows) for a SKU:
    /// what the likely-backorder flags read.
    StockLevel {
        sku: String,
        on_hand: i64,
        in_transit: Option<i64>,
    },
    Ignored {
        topic: String,
    },
}

/// Why a verified payload could not be read.
#[derive(Debug, PartialEq, Eq)]
pub struct Unreadable(pub String);

fn unreadable(what: impl Into<String>) -> Unreadable {
    Unreadable(what.into())
}

/// An id that may be a JSON number (up to 2^64, exactly) or a string.
pub fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .map(|v| v.to_string())
            .or_else(|| n.as_i64().map(|v| v.to_string())),
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    value
        .as_str()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// Digits after the decimal point of a currency's minor unit (ISO 4217).
fn minor_digits(currency: Currency) -> u32 {
    match currency.as_str() {
        "BIF" | "CLP" | "DJF" | "GNF" | "ISK" | "JPY" | "KMF" | "KRW" | "PYG" | "RWF" | "UGX"
        | "UYI" | "VND" | "VUV" | "XAF" | "XOF" | "XPF" => 0,
        "BHD" | "IQD" | "JOD" | "KWD" | "LYD" | "OMR" | "TND" => 3,
        _ => 2,
    }
}

/// A non-negative decimal amount ("404.95", 3, 12.5) in minor units.
pub fn money_minor(value: &Value, currency: Currency) -> Option<u64> {
    let decimal = match value {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    let digits = minor_digits(currency);
    let (whole, fraction) = decimal.split_once('.').unwrap_or((&decimal, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !fraction.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut minor = whole.checked_mul(10u64.pow(digits))?;
    for (place, byte) in fraction.bytes().take(digits as usize).enumerate() {
        let weight = 10u64.pow(digits - 1 - u32::try_from(place).ok()?);
        minor = minor.checked_add(u64::from(byte - b'0') * weight)?;
    }
    Some(minor)
}

fn quantity(value: &Value) -> Option<u32> {
    value.as_u64().and_then(|q| u32::try_from(q).ok())
}

fn currency(value: &Value) -> Result<Currency, Unreadable> {
    value
        .as_str()
        .and_then(|code| Currency::parse(code).ok())
        .ok_or_else(|| unreadable("currency: a three-letter code is needed"))
}

/// Reads one source's payload, given the topic its headers name.
pub fn read(source: Source, topic: &str, body: &Value) -> Result<Vec<Inbound>, Unreadable> {
    match source {
        Source::Shopify => shopify(topic, body),
        Source::WooCommerce => woocommerce(topic, body),
        Source::Standard => standard(body),
    }
}

fn shopify(topic: &str, body: &Value) -> Result<Vec<Inbound>, Unreadable> {
    let news = match topic {
        "orders/create" | "orders/updated" | "orders/paid" => {
            if !body["cancelled_at"].is_null() {
                vec![Inbound::Cancelled {
                    order: order_id(&body["id"])?,
                }]
            } else {
                vec![Inbound::Order(shopify_order(body)?)]
            }
        }
        "orders/cancelled" => vec![Inbound::Cancelled {
            order: order_id(&body["id"])?,
        }],
        "fulfillments/create" | "fulfillments/update" => {
            let order = order_id(&body["order_id"])?;
            let status = body["status"].as_str().unwrap_or_default();
            if matches!(status, "cancelled" | "error" | "failure") {
                return Ok(vec![Inbound::Ignored {
                    topic: format!("{topic} ({status})"),
                }]);
            }
            let mut news = vec![Inbound::Shipped {
                order: order.clone(),
                carrier: text(&body["tracking_company"]).unwrap_or_else(|| "the carrier".into()),
                tracking: text(&body["tracking_number"])
                    .or_else(|| text(&body["name"]))
                    .unwrap_or_else(|| "(no tracking number)".into()),
            }];
            if body["shipment_status"].as_str() == Some("delivered") {
                news.push(Inbound::Delivered { order });
            }
            news
        }
        "products/create" | "products/update" => {
            let mut news = Vec::new();
            for variant in body["variants"].as_array().into_iter().flatten() {
                let (Some(item), Some(sku)) = (
                    id_text(&variant["inventory_item_id"]),
                    text(&variant["sku"]),
                ) else {
                    continue;
                };
                news.push(Inbound::InventoryItem {
                    item: item.clone(),
                    sku,
                });
                if let Some(available) = variant["inventory_quantity"].as_i64() {
                    news.push(Inbound::InventoryLevel {
                        item,
                        available: Some(available),
                    });
                }
            }
            news
        }
        "inventory_levels/update" | "inventory_levels/connect" => {
            match id_text(&body["inventory_item_id"]) {
                Some(item) => vec![Inbound::InventoryLevel {
                    item,
                    available: body["available"].as_i64(),
                }],
                None => Vec::new(),
            }
        }
        other => vec![Inbound::Ignored {
            topic: other.to_owned(),
        }],
    };
    Ok(news)
}

fn order_id(value: &Value) -> Result<String, Unreadable> {
    id_text(value).ok_or_else(|| unreadable("the order has no id"))
}

fn shopify_order(body: &Value) -> Result<DraftOrder, Unreadable> {
    let id = order_id(&body["id"])?;
    let currency = currency(&body["currency"])?;
    let mut lines = Vec::new();
    for (index, line) in body["line_items"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let quantity = quantity(&line["current_quantity"])
            .or_else(|| quantity(&line["quantity"]))
            .ok_or_else(|| unreadable(format!("line_items[{index}].quantity")))?;
        let price = money_minor(&line["price"], currency)
            .ok_or_else(|| unreadable(format!("line_items[{index}].price")))?;
        let discount = money_minor(&line["total_discount"], currency).unwrap_or(0);
        let total_minor = price
            .saturating_mul(u64::from(quantity))
            .saturating_sub(discount);
        lines.push(DraftLine {
            sku: text(&line["sku"]),
            quantity,
            total_minor,
            name: line_name(line, &["name", "title"]),
        });
    }
    // What the customer was charged for what is on the order now: the
    // current total (lines refunded or removed since checkout are out of
    // it), but never more than the checkout total, which holds the
    // order's discounts (Shopify's published sample has a current total of
    // 414.95, its lines before a 20.00 discount, against 404.95 charged).
    let checkout = money_minor(&body["total_price"], currency);
    let current = money_minor(&body["current_total_price"], currency);
    let total_minor = match (current, checkout) {
        (Some(current), Some(checkout)) => current.min(checkout),
        (current, checkout) => current
            .or(checkout)
            .ok_or_else(|| unreadable("total_price"))?,
    };
    let customer = &body["customer"];
    Ok(DraftOrder {
        id,
        currency,
        lines,
        total_minor,
        customer: id_text(&customer["id"]),
        contact: Contact {
            email: text(&body["email"]).or_else(|| text(&customer["email"])),
            name: text(&customer["first_name"]),
            locale: text(&body["customer_locale"]),
        },
    })
}

fn woocommerce(topic: &str, body: &Value) -> Result<Vec<Inbound>, Unreadable> {
    let news = match topic {
        "order.created" | "order.updated" | "order.restored" => {
            let order = order_id(&body["id"])?;
            match body["status"].as_str().unwrap_or_default() {
                "cancelled" | "refunded" | "failed" | "trash" => {
                    vec![Inbound::Cancelled { order }]
                }
                "completed" => {
                    let (carrier, tracking) = woo_tracking(body)
                        .unwrap_or_else(|| ("the store".into(), format!("order {order}")));
                    vec![
                        Inbound::Order(woo_order(body)?),
                        Inbound::Shipped {
                            order,
                            carrier,
                            tracking,
                        },
                    ]
                }
                _ => vec![Inbound::Order(woo_order(body)?)],
            }
        }
        "order.deleted" => vec![Inbound::Cancelled {
            order: order_id(&body["id"])?,
        }],
        "product.created" | "product.updated" | "product.restored" => {
            let mut news = Vec::new();
            // A product whose stock WooCommerce manages says how much.
            if let (Some(sku), true, Some(on_hand)) = (
                text(&body["sku"]),
                body["manage_stock"].as_bool() == Some(true),
                body["stock_quantity"].as_i64(),
            ) {
                news.push(Inbound::StockLevel {
                    sku,
                    on_hand,
                    in_transit: None,
                });
            }
            if let (Some(sku), Some("instock")) =
                (text(&body["sku"]), body["stock_status"].as_str())
            {
                news.push(Inbound::Restocked { sku });
            }
            news
        }
        other => vec![Inbound::Ignored {
            topic: other.to_owned(),
        }],
    };
    Ok(news)
}

/// The tracking the WooCommerce Shipment Tracking extension stores, if any.
fn woo_tracking(body: &Value) -> Option<(String, String)> {
    body["meta_data"]
        .as_array()?
        .iter()
        .find(|meta| meta["key"] == "_wc_shipment_tracking_items")
        .and_then(|meta| meta["value"].as_array()?.first().cloned())
        .and_then(|item| {
            Some((
                text(&item["tracking_provider"])
                    .or_else(|| text(&item["custom_tracking_provider"]))?,
                text(&item["tracking_number"])?,
            ))
        })
}

fn woo_order(body: &Value) -> Result<DraftOrder, Unreadable> {
    let id = order_id(&body["id"])?;
    let currency = currency(&body["currency"])?;
    let mut lines = Vec::new();
    for (index, line) in body["line_items"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let quantity = quantity(&line["quantity"])
            .ok_or_else(|| unreadable(format!("line_items[{index}].quantity")))?;
        let total_minor = money_minor(&line["total"], currency)
            .or_else(|| {
                money_minor(&line["price"], currency).map(|p| p.saturating_mul(u64::from(quantity)))
            })
            .ok_or_else(|| unreadable(format!("line_items[{index}].total")))?;
        lines.push(DraftLine {
            sku: text(&line["sku"]),
            quantity,
            total_minor,
            name: text(&line["name"])
                .map(|name| decode_entities(&name))
                .and_then(|name| shared::text::product_name(&name)),
        });
    }
    let billing = &body["billing"];
    let customer = id_text(&body["customer_id"]).filter(|id| id != "0");
    Ok(DraftOrder {
        id,
        currency,
        lines,
        total_minor: money_minor(&body["total"], currency).ok_or_else(|| unreadable("total"))?,
        customer,
        contact: Contact {
            email: text(&billing["email"]),
            name: text(&billing["first_name"]),
            locale: None,
        },
    })
}

/// A merchant's text in a Standard event: a string, or one per language.
fn merchant_text(value: &Value) -> Option<MerchantText> {
    match value {
        Value::String(_) => text(value).map(MerchantText::One),
        Value::Object(_) => serde_json::from_value(value.clone()).ok(),
        _ => None,
    }
}

/// WooCommerce writes product names as HTML (`Ship Your Idea &ndash;
/// Color: Black`): the entities WordPress puts in titles (its texturize
/// and escaping) and numeric ones become characters; others stay as written.
fn decode_entities(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('&') {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(';').filter(|end| *end <= 10);
        let decoded = end.and_then(|end| {
            let name = &rest[1..end];
            let ch = match name {
                "amp" => '&',
                "lt" => '<',
                "gt" => '>',
                "quot" => '"',
                "apos" => '\'',
                "nbsp" => '\u{a0}',
                "ndash" => '–',
                "mdash" => '—',
                "hellip" => '…',
                "lsquo" => '‘',
                "rsquo" => '’',
                "ldquo" => '“',
                "rdquo" => '”',
                "times" => '×',
                _ => {
                    let number = name.strip_prefix('#')?;
                    let code = match number.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => number.parse().ok()?,
                    };
                    char::from_u32(code)?
                }
            };
            Some((ch, end))
        });
        match decoded {
            Some((ch, end)) => {
                out.push(ch);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Our documented Standard Webhooks events (README, "Standard Webhooks").
fn standard(body: &Value) -> Result<Vec<Inbound>, Unreadable> {
    let data = &body["data"];
    let event = body["type"].as_str().unwrap_or_default();
    let order = || order_id(&data["order"]);
    let sku = || text(&data["sku"]).ok_or_else(|| unreadable("data.sku"));
    let news = match event {
        "order.placed" => vec![Inbound::Order(standard_order(data)?)],
        "order.processed" => vec![Inbound::Processed { order: order()? }],
        "order.shipped" => vec![Inbound::Shipped {
            order: order()?,
            carrier: text(&data["carrier"]).ok_or_else(|| unreadable("data.carrier"))?,
            tracking: text(&data["tracking"]).ok_or_else(|| unreadable("data.tracking"))?,
        }],
        "order.delivered" => vec![Inbound::Delivered { order: order()? }],
        "order.cancelled" => vec![Inbound::Cancelled { order: order()? }],
        "stock.arrived" => vec![Inbound::Restocked { sku: sku()? }],
        "stock.level" => vec![Inbound::StockLevel {
            sku: sku()?,
            on_hand: data["on_hand"]
                .as_i64()
                .ok_or_else(|| unreadable("data.on_hand: a whole number of units"))?,
            in_transit: match &data["in_transit"] {
                Value::Null => None,
                value => Some(value.as_i64().filter(|n| *n >= 0).ok_or_else(|| {
                    unreadable("data.in_transit: a whole number of units, 0 or more")
                })?),
            },
        }],
        "window.changed" => {
            let window = if data["window"].is_null() {
                None
            } else {
                Some(
                    serde_json::from_value::<ShipWindow>(data["window"].clone())
                        .map_err(|err| unreadable(format!("data.window: {err}")))?,
                )
            };
            vec![Inbound::WindowChanged {
                sku: sku()?,
                window,
                reason: merchant_text(&data["reason"]).ok_or_else(|| unreadable("data.reason"))?,
                fix: merchant_text(&data["fix"]).ok_or_else(|| unreadable("data.fix"))?,
            }]
        }
        other => vec![Inbound::Ignored {
            topic: other.to_owned(),
        }],
    };
    Ok(news)
}

/// An order in the Standard Webhooks `order.placed` form (its `data`).
pub fn standard_order(data: &Value) -> Result<DraftOrder, Unreadable> {
    let id = order_id(&data["id"])?;
    let currency = currency(&data["currency"])?;
    let mut lines = Vec::new();
    for (index, line) in data["lines"].as_array().into_iter().flatten().enumerate() {
        let quantity = quantity(&line["quantity"])
            .filter(|q| *q > 0)
            .ok_or_else(|| unreadable(format!("data.lines[{index}].quantity")))?;
        let unit = money_minor(&line["unit_price"], currency)
            .ok_or_else(|| unreadable(format!("data.lines[{index}].unit_price")))?;
        lines.push(DraftLine {
            sku: text(&line["sku"]),
            quantity,
            total_minor: unit.saturating_mul(u64::from(quantity)),
            name: line_name(line, &["name"]),
        });
    }
    let customer = &data["customer"];
    Ok(DraftOrder {
        id,
        currency,
        lines,
        total_minor: money_minor(&data["total"], currency)
            .ok_or_else(|| unreadable("data.total"))?,
        customer: id_text(&customer["id"]),
        contact: Contact {
            email: text(&customer["email"]),
            name: text(&customer["name"]),
            locale: text(&customer["locale"]),
        },
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]

    use super::*;

    fn fixture(path: &str) -> Value {
        let full = format!(
            "{}/../../shared/fixtures/{path}",
            env!("CARGO_MANIFEST_DIR")
        );
        let text = std::fs::read_to_string(&full).expect("the fixtures sit beside the repo");
        serde_json::from_str(&text).expect("fixtures are JSON")
    }

    fn usd() -> Currency {
        Currency::parse("USD").expect("valid")
    }

    #[test]
    fn money_reads_strings_and_numbers_without_floats() {
        let eur = Currency::parse("EUR").expect("valid");
        assert_eq!(money_minor(&Value::from("404.95"), eur), Some(40_495));
        assert_eq!(money_minor(&Value::from("0.9"), eur), Some(90));
        assert_eq!(money_minor(&Value::from("0.90"), eur), Some(90));
        assert_eq!(money_minor(&serde_json::json!(3), eur), Some(300));
        assert_eq!(money_minor(&serde_json::json!(12.5), eur), Some(1_250));
        let jpy = Currency::parse("JPY").expect("valid");
        assert_eq!(money_minor(&Value::from("1500"), jpy), Some(1_500));
        assert_eq!(money_minor(&Value::from("-1.00"), eur), None);
        assert_eq!(money_minor(&Value::from("1e3"), eur), None);
        assert_eq!(money_minor(&Value::Null, eur), None);
    }

    #[test]
    fn ids_above_2_pow_53_keep_every_digit() {
        let body: Value =
            serde_json::from_str(r#"{"id": 820982911946154508}"#).expect("valid JSON");
        assert_eq!(id_text(&body["id"]).as_deref(), Some("820982911946154508"));
    }

    #[test]
    fn shopify_order_sample_with_nulls_and_string_money() {
        let body =
            &fixture("shopify/rest-example_order-450789469_2026-07.shopify-app-js.json")["order"];
        let news = read(Source::Shopify, "orders/create", body).expect("readable");
        let [Inbound::Order(order)] = news.as_slice() else {
            panic!("one order: {news:?}");
        };
        assert_eq!(order.id, "450789469");
        assert_eq!(order.currency, usd());
        assert_eq!(order.lines.len(), 3);
        assert_eq!(order.lines[0].sku.as_deref(), Some("IPOD2008GREEN"));
        // Shopify's `name` holds the product's title and the variant's.
        assert_eq!(
            order.lines[0].name.as_deref(),
            Some("IPod Nano - 8gb - green")
        );
        // What is paid now: the sample was partly refunded since checkout.
        assert_eq!(order.total_minor, 19_965);
        assert_eq!(
            order
                .lines
                .iter()
                .map(|line| line.quantity)
                .collect::<Vec<_>>(),
            [0, 1, 0],
            "refunded lines count as their current quantity"
        );
        assert_eq!(
            order.contact.email.as_deref(),
            Some("bob.norman@mail.example.com")
        );
    }

    #[test]
    fn a_shopify_order_is_charged_its_checkout_total_at_most() {
        let mut body =
            fixture("shopify/docs-sample_orders-create_2026-04.gadget-metadata.json")["response"]
                .take();
        // The sample is cancelled already; as the order it was when placed:
        body["cancelled_at"] = Value::Null;
        let news = read(Source::Shopify, "orders/create", &body).expect("readable");
        let [Inbound::Order(order)] = news.as_slice() else {
            panic!("one order: {news:?}");
        };
        // current_total_price says 414.95 (the lines before the order's
        // 20.00 discount); the customer was charged total_price, 404.95.
        assert_eq!(order.total_minor, 40_495);
    }

    #[test]
    fn shopify_custom_items_without_sku_or_customer() {
        let body = &fixture(
            "shopify/rest-example_order-custom-items-sku-null-EUR_2026-07.shopify-app-js.json",
        )["order"];
        let news = read(Source::Shopify, "orders/create", body).expect("readable");
        let [Inbound::Order(order)] = news.as_slice() else {
            panic!("one order: {news:?}");
        };
        assert!(order.lines.iter().all(|line| line.sku.is_none()));
        assert_eq!(order.contact.email, None, "an empty email is no email");
        assert_eq!(order.customer, None);
    }

    #[test]
    fn shopify_docs_samples_cancelled_fulfilled_inventory() {
        let created =
            &fixture("shopify/docs-sample_orders-create_2026-04.gadget-metadata.json")["response"];
        // The docs sample is already cancelled although the topic is create.
        assert!(matches!(
            read(Source::Shopify, "orders/create", created)
                .expect("readable")
                .as_slice(),
            [Inbound::Cancelled { .. }]
        ));
        let fulfilled = &fixture(
            "shopify/docs-sample_fulfillments-create_2026-04.gadget-metadata.json",
        )["response"];
        let news = read(Source::Shopify, "fulfillments/create", fulfilled).expect("readable");
        assert!(
            matches!(news.as_slice(), [Inbound::Shipped { carrier, tracking, .. }]
                if carrier == "UPS" && tracking == "1z827wk74630"),
            "{news:?}"
        );
        let level = &fixture(
            "shopify/docs-sample_inventory_levels-update_2024-01.gadget-metadata.json",
        )["response"];
        let news = read(Source::Shopify, "inventory_levels/update", level).expect("readable");
        assert!(
            matches!(
                news.as_slice(),
                [Inbound::InventoryLevel {
                    available: None,
                    ..
                }]
            ),
            "{news:?}"
        );
        let product = &fixture("shopify/docs-sample_products-update_2026-04.gadget-metadata.json")
            ["response"];
        // Every variant's SKU and inventory item is null in the sample.
        assert_eq!(
            read(Source::Shopify, "products/update", product).expect("readable"),
            Vec::new()
        );
        assert!(matches!(
            read(Source::Shopify, "app/uninstalled", &Value::Null)
                .expect("readable")
                .as_slice(),
            [Inbound::Ignored { .. }]
        ));
    }

    #[test]
    fn woocommerce_names_are_html_and_read_as_text() {
        assert_eq!(
            decode_entities("Ship Your Idea &ndash; Color: Black, Size: M Test"),
            "Ship Your Idea – Color: Black, Size: M Test"
        );
        assert_eq!(
            decode_entities("Zo&#235;&#x2019;s &amp; &quot;tent&quot; &unknown; & more&"),
            "Zoë’s & \"tent\" &unknown; & more&"
        );
        let body = fixture("woocommerce/docs-example_order-create-response_v3.json");
        let order = woo_order(&body).expect("readable");
        let names: Vec<Option<&str>> = order.lines.iter().map(|l| l.name.as_deref()).collect();
        assert_eq!(
            names,
            [
                Some("Woo Single #1"),
                Some("Ship Your Idea – Color: Black, Size: M Test")
            ]
        );
    }

    #[test]
    fn woocommerce_order_with_number_prices_and_empty_skus() {
        let body = fixture("woocommerce/docs-example_order-create-response_v3.json");
        let news = read(Source::WooCommerce, "order.created", &body).expect("readable");
        let [Inbound::Order(order)] = news.as_slice() else {
            panic!("one order: {news:?}");
        };
        assert_eq!(order.id, "727");
        assert_eq!(order.lines.len(), 2);
        assert_eq!(order.lines[0].sku, None, "an empty SKU is no SKU");
        assert_eq!(order.lines[1].sku.as_deref(), Some("Bar3"));
        assert_eq!(order.lines[0].total_minor, 600);
        assert_eq!(order.total_minor, 2_935);
        assert_eq!(order.customer, None, "customer_id 0 is a guest");
        let done = fixture("woocommerce/docs-example_order-update-response_v3.json");
        let news = read(Source::WooCommerce, "order.updated", &done).expect("readable");
        assert!(matches!(
            news.as_slice(),
            [Inbound::Order(_), Inbound::Shipped { .. }]
        ));
    }

    #[test]
    fn unreadable_payloads_say_which_field() {
        let body = serde_json::json!({"type": "order.shipped", "data": {"order": "1"}});
        assert_eq!(
            read(Source::Standard, "", &body),
            Err(Unreadable("data.carrier".into()))
        );
        let body = serde_json::json!({"id": 1, "currency": "usd", "line_items": []});
        assert!(read(Source::Shopify, "orders/create", &body).is_err());
    }
}
