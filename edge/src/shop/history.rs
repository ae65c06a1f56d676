//! A new install has no past: the store's own order export (Shopify's
//! orders CSV, WooCommerce's Customer / Order / Coupon Export CSV), read by
//! the column names each writes, checked whole before anything is kept, and
//! kept as the same light facts the webhooks leave.

use serde_json::{Value, json};
use shared::{Currency, Date};
use worker::{Request, Response};

use super::ShopRecords;
use super::analytics::{FactSource, NewFact};
use crate::error::{EdgeError, invalid};
use crate::{http, webhooks};

/// The tag that marks a backorder in a Shopify export, unless asked.
const DEFAULT_BACKORDER_TAG: &str = "backorder";

/// Which store wrote the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ExportFormat {
    Shopify,
    WooCommerce,
}

/// One order of an export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct HistoricOrder {
    pub(super) id: String,
    pub(super) placed: Date,
    pub(super) currency: Currency,
    /// What the store kept: total less refunds.
    pub(super) kept_minor: u64,
    pub(super) email: Option<String>,
    pub(super) customer: Option<String>,
    pub(super) backorder: bool,
    /// SKUs and units (Shopify's exports have them, a line each).
    pub(super) lines: Vec<(String, u32)>,
}

/// What an export held.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct Export {
    pub(super) orders: Vec<HistoricOrder>,
    /// Cancelled, voided or failed orders: no sale, not kept.
    pub(super) not_sales: usize,
    /// The `Name` of the last order read, and whether it was kept: the
    /// lines after it that carry no order columns are its items.
    last_name: Option<String>,
    last_was_sale: bool,
}

/// A bad file: the line (1 is the header) and what is wrong there.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct BadLine {
    pub(super) line: u64,
    pub(super) reason: String,
}

impl ShopRecords {
    /// `POST …/order-history?format=shopify|woocommerce[&currency=][&backorder_tag=]`
    /// with the export as the body.
    pub(super) async fn import_history(&self, req: &mut Request) -> Result<Response, EdgeError> {
        let format = match http::query_param(req, "format").as_deref() {
            Some("shopify") => ExportFormat::Shopify,
            Some("woocommerce") => ExportFormat::WooCommerce,
            _ => return Err(invalid("format", "shopify or woocommerce")),
        };
        let currency = http::query_param(req, "currency")
            .map(|code| Currency::parse(&code).map_err(|_| invalid("currency", "an ISO 4217 code")))
            .transpose()?;
        let tag = http::query_param(req, "backorder_tag")
            .unwrap_or_else(|| DEFAULT_BACKORDER_TAG.to_string());
        let body = http::body_bytes(req, http::MAX_EXPORT_BYTES).await?;
        let export =
            read_export(format, &body, currency, &tag).map_err(|bad| EdgeError::InvalidInput {
                field: "body",
                reason: format!("line {}: {}", bad.line, bad.reason),
            })?;
        let key = self.fact_key()?;
        for order in &export.orders {
            self.keep_fact(
                &key,
                &NewFact {
                    id: &order.id,
                    email: order.email.as_deref(),
                    customer: order.customer.as_deref(),
                    currency: order.currency,
                    total_minor: order.kept_minor,
                },
                order.backorder,
                order.placed,
                FactSource::Export,
            )?;
            self.keep_lines(&order.id, order.placed, &order.lines)?;
        }
        http::json(
            &json!({
                "orders": export.orders.len(),
                "with_backorder": export.orders.iter().filter(|o| o.backorder).count(),
                "not_sales": export.not_sales,
            }),
            200,
        )
    }
}

/// Reads a whole export; the first bad line fails it.
pub(super) fn read_export(
    format: ExportFormat,
    body: &[u8],
    currency: Option<Currency>,
    backorder_tag: &str,
) -> Result<Export, BadLine> {
    let records = records(body)?;
    let Some((_, header)) = records.first() else {
        return Err(BadLine {
            line: 1,
            reason: "the file is empty".into(),
        });
    };
    let columns = Columns::of(format, header)?;
    let mut export = Export::default();
    for (number, record) in records.iter().skip(1) {
        let bad = |reason: String| BadLine {
            line: *number,
            reason,
        };
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        let field = |column: Option<usize>| {
            column
                .and_then(|i| record.get(i))
                .map(|value| value.trim())
                .filter(|value| !value.is_empty())
        };
        let id = field(columns.id)
            .or(field(columns.name))
            .ok_or_else(|| bad(format!("{} is empty", columns.id_name())))?;
        let item = match (field(columns.line_sku), field(columns.line_quantity)) {
            (Some(sku), Some(quantity)) => Some((
                sku.to_string(),
                quantity
                    .parse::<u32>()
                    .map_err(|_| bad(format!("Lineitem quantity: not a number ({quantity})")))?,
            )),
            _ => None,
        };
        // Shopify writes an order's own columns on its first line only;
        // the lines after it name the order and one more item.
        // They are matched by `Name`: `Id`, where the file has it, is on
        // the first line only.
        let name = field(columns.name);
        let Some(placed) = field(columns.placed) else {
            if format == ExportFormat::Shopify
                && name.is_some()
                && export.last_name.as_deref() == name
            {
                if export.last_was_sale
                    && let Some(order) = export.orders.last_mut()
                {
                    order.lines.extend(item);
                }
                continue;
            }
            return Err(bad(format!("{} is empty", columns.placed_name())));
        };
        export.last_name = name.map(str::to_string);
        export.last_was_sale = false;
        let placed = day(placed)
            .ok_or_else(|| bad(format!("{}: not a date ({placed})", columns.placed_name())))?;
        let currency = match (field(columns.currency), currency) {
            (Some(code), _) => {
                Currency::parse(code).map_err(|_| bad(format!("{code} is not a currency code")))?
            }
            (None, Some(currency)) => currency,
            (None, None) => {
                return Err(bad(
                    "no currency: the file has none, so say it with ?currency=".into(),
                ));
            }
        };
        let amount = |column: Option<usize>, name: &str| -> Result<u64, BadLine> {
            match field(column) {
                None => Ok(0),
                Some(text) => webhooks::money_minor(&Value::String(text.to_string()), currency)
                    .ok_or_else(|| bad(format!("{name}: not an amount ({text})"))),
            }
        };
        let total = amount(columns.total, columns.total_name())?;
        let refunded = amount(columns.refunded, "refunded")?;
        let status = field(columns.status).unwrap_or_default().to_lowercase();
        let cancelled = field(columns.cancelled).is_some()
            || matches!(
                status.as_str(),
                "cancelled"
                    | "voided"
                    | "failed"
                    | "trash"
                    | "pending"
                    | "wc-cancelled"
                    | "wc-failed"
            );
        if cancelled {
            export.not_sales += 1;
            continue;
        }
        export.last_was_sale = true;
        let tags = field(columns.tags).unwrap_or_default();
        export.orders.push(HistoricOrder {
            id: id.to_string(),
            placed,
            currency,
            kept_minor: total.saturating_sub(refunded),
            email: field(columns.email).map(str::to_string),
            customer: field(columns.customer)
                .filter(|id| *id != "0")
                .map(str::to_string),
            backorder: tags
                .split(',')
                .any(|tag| tag.trim().eq_ignore_ascii_case(backorder_tag)),
            lines: item.into_iter().collect(),
        });
    }
    Ok(export)
}

/// Where each needed value is in a file's records.
struct Columns {
    format: ExportFormat,
    id: Option<usize>,
    name: Option<usize>,
    placed: Option<usize>,
    currency: Option<usize>,
    total: Option<usize>,
    refunded: Option<usize>,
    email: Option<usize>,
    customer: Option<usize>,
    status: Option<usize>,
    cancelled: Option<usize>,
    tags: Option<usize>,
    line_sku: Option<usize>,
    line_quantity: Option<usize>,
}

impl Columns {
    fn of(format: ExportFormat, header: &[String]) -> Result<Columns, BadLine> {
        let find = |names: &[&str]| {
            names
                .iter()
                .find_map(|name| header.iter().position(|column| column.trim() == *name))
        };
        let columns = match format {
            ExportFormat::Shopify => Columns {
                format,
                id: find(&["Id"]),
                name: find(&["Name"]),
                placed: find(&["Created at"]),
                currency: find(&["Currency"]),
                total: find(&["Total"]),
                refunded: find(&["Refunded Amount"]),
                email: find(&["Email"]),
                customer: None,
                status: find(&["Financial Status"]),
                cancelled: find(&["Cancelled at"]),
                tags: find(&["Tags"]),
                line_sku: find(&["Lineitem sku"]),
                line_quantity: find(&["Lineitem quantity"]),
            },
            ExportFormat::WooCommerce => Columns {
                format,
                id: find(&["order_id"]),
                name: None,
                placed: find(&["order_date", "date"]),
                currency: find(&["order_currency", "currency"]),
                total: find(&["order_total"]),
                refunded: find(&["refunded_total", "order_refunded"]),
                email: find(&["billing_email"]),
                customer: find(&["customer_id", "customer_user"]),
                status: find(&["status"]),
                cancelled: None,
                tags: None,
                line_sku: None,
                line_quantity: None,
            },
        };
        let missing: Vec<&str> = [
            (columns.id.or(columns.name), columns.id_name()),
            (columns.placed, columns.placed_name()),
            (columns.total, columns.total_name()),
        ]
        .into_iter()
        .filter(|(column, _)| column.is_none())
        .map(|(_, name)| name)
        .collect();
        if !missing.is_empty() {
            return Err(BadLine {
                line: 1,
                reason: format!(
                    "not a {} orders export: no {} column",
                    match format {
                        ExportFormat::Shopify => "Shopify",
                        ExportFormat::WooCommerce => "WooCommerce",
                    },
                    missing.join(", ")
                ),
            });
        }
        Ok(columns)
    }

    fn id_name(&self) -> &'static str {
        match self.format {
            ExportFormat::Shopify => "Name",
            ExportFormat::WooCommerce => "order_id",
        }
    }

    fn placed_name(&self) -> &'static str {
        match self.format {
            ExportFormat::Shopify => "Created at",
            ExportFormat::WooCommerce => "order_date",
        }
    }

    fn total_name(&self) -> &'static str {
        match self.format {
            ExportFormat::Shopify => "Total",
            ExportFormat::WooCommerce => "order_total",
        }
    }
}

/// The day of a store's timestamp: `2026-05-01 09:59:00 +0200` or
/// `2026-05-01T09:59:00` (the store's own day), or WooCommerce's older
/// `5/31/2016 0:37`.
fn day(text: &str) -> Option<Date> {
    if let Some(iso) = text.get(..10)
        && let Ok(day) = iso.parse()
    {
        return Some(day);
    }
    let date = text.split_whitespace().next()?;
    let mut parts = date.split('/');
    let (month, day, year) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Date::from_ymd(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?).ok()
}

/// Every record of a CSV file with the line it starts on (RFC 4180:
/// quoted fields may hold commas, quotes and line breaks; a byte-order mark
/// is skipped).
pub(super) fn records(body: &[u8]) -> Result<Vec<(u64, Vec<String>)>, BadLine> {
    let mut reader = csv_core::Reader::new();
    let mut input = body;
    let mut output = vec![0u8; 4096];
    let mut ends = vec![0usize; 64];
    let (mut written, mut fields) = (0, 0);
    let mut records = Vec::new();
    let mut line = 1;
    loop {
        let (result, read, wrote, ended) =
            reader.read_record(input, &mut output[written..], &mut ends[fields..]);
        input = &input[read..];
        written += wrote;
        fields += ended;
        match result {
            csv_core::ReadRecordResult::InputEmpty => {}
            csv_core::ReadRecordResult::OutputFull => output.resize(output.len() * 2, 0),
            csv_core::ReadRecordResult::OutputEndsFull => ends.resize(ends.len() * 2, 0),
            csv_core::ReadRecordResult::Record => {
                let mut record = Vec::with_capacity(fields);
                let mut start = 0;
                for &end in &ends[..fields] {
                    let bytes = output.get(start..end).unwrap_or_default();
                    let text = std::str::from_utf8(bytes).map_err(|_| BadLine {
                        line,
                        reason: "not UTF-8 text".into(),
                    })?;
                    record.push(text.to_string());
                    start = end;
                }
                records.push((line, record));
                line = reader.line();
                (written, fields) = (0, 0);
            }
            csv_core::ReadRecordResult::End => return Ok(records),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHOPIFY: &str = "Name,Email,Financial Status,Paid at,Fulfillment Status,Fulfilled at,Accepts Marketing,Currency,Subtotal,Shipping,Taxes,Total,Discount Code,Discount Amount,Shipping Method,Created at,Lineitem quantity,Lineitem name,Lineitem price,Lineitem compare at price,Lineitem sku,Lineitem requires shipping,Lineitem taxable,Lineitem fulfillment status,Billing Name,Notes,Cancelled at,Refunded Amount,Id,Tags
#1001,ann@example.com,paid,2026-05-01 10:00:00 +0200,fulfilled,,no,EUR,100.90,0.00,8.33,100.90,,0.00,Standard,2026-05-01 09:59:00 +0200,1,Tent,62.95,,TENT-2P,true,true,fulfilled,Ann,,,,5551,backorder
#1001,,,,,,,,,,,,,,,,1,Lamp,37.95,,LAMP-01,true,true,fulfilled,,,,,,
#1002,\"bo@example.com\",partially_refunded,2026-05-02 10:00:00 +0200,fulfilled,,no,EUR,50.00,0.00,0.00,50.00,,0.00,Standard,2026-05-02 09:00:00 +0200,1,\"Lamp, brass\",50.00,,LAMP-01,true,true,fulfilled,Bo,\"a note
on two lines\",,20.00,5552,\"vip, Backorder\"
#1003,cy@example.com,voided,,,,no,EUR,9.00,0.00,0.00,9.00,,0.00,Standard,2026-05-03 09:00:00 +0200,1,Mug,9.00,,MUG,true,true,,Cy,,2026-05-03 10:00:00 +0200,,5553,
";

    #[test]
    fn a_shopify_export_is_read_by_order_with_refunds_tags_and_cancellations() {
        let export = read_export(ExportFormat::Shopify, SHOPIFY.as_bytes(), None, "backorder");
        let export = export.expect("a good file");
        let eur = Currency::parse("EUR").expect("EUR");
        let day = |text: &str| text.parse::<Date>().expect("a date");
        assert_eq!(
            export.orders,
            [
                HistoricOrder {
                    id: "5551".into(),
                    placed: day("2026-05-01"),
                    currency: eur,
                    kept_minor: 10_090,
                    email: Some("ann@example.com".into()),
                    customer: None,
                    backorder: true,
                    lines: vec![("TENT-2P".into(), 1), ("LAMP-01".into(), 1)],
                },
                HistoricOrder {
                    id: "5552".into(),
                    placed: day("2026-05-02"),
                    currency: eur,
                    kept_minor: 3_000,
                    email: Some("bo@example.com".into()),
                    customer: None,
                    backorder: true,
                    lines: vec![("LAMP-01".into(), 1)],
                },
            ]
        );
        assert_eq!(export.not_sales, 1);
    }

    #[test]
    fn a_woocommerce_export_is_read_by_its_column_keys() {
        let csv = "order_id,order_number,order_date,status,order_total,refunded_total,order_currency,customer_id,billing_email\n\
                   4993,4993,2016-05-31 00:37:00,completed,30.00,0,USD,12,ann@example.com\n\
                   4994,4994,2016-05-31 01:00:00,cancelled,10.00,0,USD,0,bo@example.com\n\
                   4995,4995,2016-06-01 02:00:00,processing,12.50,2.50,USD,0,\n";
        let export = read_export(ExportFormat::WooCommerce, csv.as_bytes(), None, "backorder")
            .expect("a good file");
        assert_eq!(export.orders.len(), 2);
        assert_eq!(export.orders[0].customer.as_deref(), Some("12"));
        assert_eq!(export.orders[1].kept_minor, 1_000);
        assert_eq!(export.orders[1].customer, None, "customer 0 is a guest");
        assert_eq!(export.not_sales, 1);
        // The older format: `date` as M/D/YYYY, no currency column.
        let legacy = "order_id,date,status,order_total,customer_user,billing_email\n4993,5/31/2016 0:37,completed,30,5,ann@example.com\n";
        let export = read_export(
            ExportFormat::WooCommerce,
            legacy.as_bytes(),
            Some(Currency::parse("USD").expect("USD")),
            "backorder",
        )
        .expect("a good file");
        assert_eq!(
            export.orders[0].placed,
            "2016-05-31".parse().expect("a date")
        );
        assert_eq!(export.orders[0].kept_minor, 3_000);
    }

    #[track_caller]
    fn check_bad(format: ExportFormat, csv: &str, line: u64, reason: &str) {
        let bad = read_export(format, csv.as_bytes(), None, "backorder").expect_err("a bad file");
        assert_eq!(bad.line, line, "{bad:?}");
        assert!(bad.reason.contains(reason), "{bad:?}");
    }

    #[test]
    fn a_bad_line_is_named_and_fails_the_file() {
        use ExportFormat::{Shopify, WooCommerce};
        check_bad(Shopify, "", 1, "empty");
        check_bad(
            Shopify,
            "Name,Email\n#1,a@b.c\n",
            1,
            "no Created at, Total column",
        );
        check_bad(
            WooCommerce,
            "order_id,order_date,order_total\n1,2026-01-01,5\n",
            2,
            "no currency",
        );
        check_bad(
            WooCommerce,
            "order_id,order_date,order_total,order_currency\n1,2026-01-01,5,EUR\n2,yesterday,5,EUR\n",
            3,
            "order_date: not a date (yesterday)",
        );
        check_bad(
            WooCommerce,
            "order_id,order_date,order_total,order_currency\n1,2026-01-01,5,EUR\n2,2026-01-01,-5,EUR\n",
            3,
            "order_total: not an amount (-5)",
        );
        check_bad(
            WooCommerce,
            "order_id,order_date,order_total,order_currency\n1,2026-01-01,5,EURO\n",
            2,
            "EURO is not a currency code",
        );
        // A quoted field over two lines: the next record's line is right.
        check_bad(
            WooCommerce,
            "order_id,order_date,order_total,order_currency,note\n1,2026-01-01,5,EUR,\"a\nb\"\n,2026-01-01,5,EUR,\n",
            4,
            "order_id is empty",
        );
        check_bad(
            Shopify,
            "Name,Created at,Total\n#1,2026-01-01,\u{0}\n",
            2,
            "no currency",
        );
        assert!(
            read_export(
                WooCommerce,
                b"order_id,order_date,order_total\n1,2026-01-01,\xff\n",
                None,
                "x"
            )
            .is_err()
        );
    }
}
