//! Store payloads shaped like the real ones in `../shared/fixtures`: each
//! starts from a fixture and changes only what a scenario needs (ids, SKUs,
//! prices), so that nulls, string money and big ids stay as stores send them.

use serde_json::{Value, json};

fn fixture(path: &str) -> Value {
    let full = crate::repo_root().join("../shared/fixtures").join(path);
    let text = std::fs::read_to_string(&full).unwrap_or_else(|err| {
        panic!(
            "{} is missing ({err}): ../shared must sit beside the repo",
            full.display()
        )
    });
    serde_json::from_str(&text).expect("fixtures are JSON")
}

/// A Shopify `orders/create` body: Shopify's REST example order with our
/// id (may be above 2^53), and lines of `(sku, quantity, unit price)`.
/// What the tests' store (and the demo's page) calls its products; others
/// have no name.
pub fn product_name(sku: &str) -> Option<&'static str> {
    match sku {
        "TENT-2P" => Some("Ridge Two-Person Tent"),
        "TENT-3P" => Some("Ridge Three-Person Tent"),
        "LANTERN-01" => Some("Storm Lantern"),
        "LAMP-01" => Some("Camp Lamp"),
        _ => None,
    }
}

pub fn shopify_order(id: u64, lines: &[(Option<&str>, u32, &str)], email: &str) -> String {
    let mut order =
        fixture("shopify/rest-example_order-450789469_2026-07.shopify-app-js.json")["order"].take();
    let template = order["line_items"][0].clone();
    let mut total: u64 = 0;
    let items: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(index, (sku, quantity, price))| {
            let mut item = template.clone();
            item["id"] = json!(id * 10 + index as u64);
            item["sku"] = json!(sku);
            item["quantity"] = json!(quantity);
            item["current_quantity"] = json!(quantity);
            item["fulfillable_quantity"] = json!(quantity);
            item["price"] = json!(price);
            item["total_discount"] = json!("0.00");
            // Shopify's `name` is the product's title and the variant's.
            let name = sku.and_then(product_name);
            item["name"] = json!(name);
            item["title"] = json!(name);
            item["variant_title"] = Value::Null;
            let cents: u64 = price.replace('.', "").parse().expect("prices like 12.50");
            total += cents * u64::from(*quantity);
            item
        })
        .collect();
    total += 1000; // shipping
    let money = format!("{}.{:02}", total / 100, total % 100);
    order["id"] = json!(id);
    order["line_items"] = Value::Array(items);
    order["total_price"] = json!(money);
    order["current_total_price"] = json!(money);
    order["email"] = json!(email);
    order["cancelled_at"] = Value::Null;
    order["refunds"] = json!([]);
    order["fulfillments"] = json!([]);
    serde_json::to_string(&order).expect("serialises")
}

/// A Shopify `fulfillments/create` (or `/update`) body for `order`.
pub fn shopify_fulfillment(order: u64, shipment_status: Option<&str>) -> String {
    let mut fulfillment =
        fixture("shopify/docs-sample_fulfillments-create_2026-04.gadget-metadata.json")["response"]
            .take();
    fulfillment["order_id"] = json!(order);
    fulfillment["status"] = json!("success");
    fulfillment["shipment_status"] = json!(shipment_status);
    serde_json::to_string(&fulfillment).expect("serialises")
}

/// A Shopify `products/update` body whose one variant maps `item` to `sku`.
pub fn shopify_product(sku: &str, item: u64, quantity: i64) -> String {
    let mut product =
        fixture("shopify/docs-sample_products-update_2026-04.gadget-metadata.json")["response"]
            .take();
    let mut variant = product["variants"][0].clone();
    variant["sku"] = json!(sku);
    variant["inventory_item_id"] = json!(item);
    variant["inventory_quantity"] = json!(quantity);
    product["variants"] = json!([variant]);
    serde_json::to_string(&product).expect("serialises")
}

/// A Shopify `inventory_levels/update` body.
pub fn shopify_inventory_level(item: u64, available: i64) -> String {
    let mut level = fixture(
        "shopify/docs-sample_inventory_levels-update_2024-01.gadget-metadata.json",
    )["response"]
        .take();
    level["inventory_item_id"] = json!(item);
    level["available"] = json!(available);
    serde_json::to_string(&level).expect("serialises")
}

/// A WooCommerce order body as WooCommerce sends it: PHP's JSON, with `/`
/// escaped as `\/` and non-ASCII as `\uXXXX`.
pub fn woocommerce_order(id: u64, status: &str, sku: &str, email: &str) -> String {
    let mut order = fixture("woocommerce/docs-example_order-create-response_v3.json");
    order["id"] = json!(id);
    order["status"] = json!(status);
    order["line_items"][1]["sku"] = json!(sku);
    order["billing"]["email"] = json!(email);
    order["billing"]["first_name"] = json!("Zoë");
    php_json(&order)
}

/// A WooCommerce `product.updated` body for `sku` with `stock_status`.
/// A product whose stock WooCommerce manages, with `quantity` on hand.
pub fn woocommerce_stocked_product(sku: &str, quantity: i64) -> String {
    let mut product = fixture("woocommerce/docs-example_product-retrieve-response_v3.json");
    product["sku"] = json!(sku);
    product["manage_stock"] = json!(true);
    product["stock_quantity"] = json!(quantity);
    product["stock_status"] = json!(if quantity > 0 {
        "instock"
    } else {
        "outofstock"
    });
    php_json(&product)
}

pub fn woocommerce_product(sku: &str, stock_status: &str) -> String {
    let mut product = fixture("woocommerce/docs-example_product-retrieve-response_v3.json");
    product["sku"] = json!(sku);
    product["stock_status"] = json!(stock_status);
    php_json(&product)
}

/// `wp_json_encode`'s escaping of a compact JSON text.
fn php_json(value: &Value) -> String {
    let compact = serde_json::to_string(value).expect("serialises");
    let mut out = String::with_capacity(compact.len());
    for c in compact.chars() {
        match c {
            '/' => out.push_str("\\/"),
            c if !c.is_ascii() => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// A Standard Webhooks event of our documented set (README).
pub fn standard(event: &str, data: Value) -> String {
    json!({ "type": event, "timestamp": "2026-11-23T10:00:00Z", "data": data }).to_string()
}
