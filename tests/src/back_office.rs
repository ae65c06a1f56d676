//! The demo's store side: a small back office that does what a store does,
//! through the same signed webhooks a real store sends (Shopify's for
//! orders, stock and fulfilment, a Standard Webhook for supplier news), and
//! shows what the edge made of it: the shop's backorder orders, each
//! customer's order page (through its capability link), the outbox of
//! emails and the actions waiting for the back office.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;

use serde_json::{Value, json};
use tokio::runtime::Handle;

use crate::admin::AdminApi;
use crate::payloads;
use crate::sample_history;
use crate::shop::{BACKORDER_SKU, IN_STOCK_SKU};
use crate::store::Store;

/// The Shopify inventory item the demo's tent is stocked as.
pub const TENT_INVENTORY_ITEM: u64 = 808_950_810;

/// The back office, served over HTTP until dropped.
pub struct BackOffice {
    url: String,
    server: Arc<tiny_http::Server>,
    thread: Option<JoinHandle<()>>,
}

struct Desk {
    admin: AdminApi,
    store: Store,
    shop_url: String,
    /// Restores the tent's backorder setting after a restock.
    sell_out: Value,
    next_order: AtomicU64,
}

impl BackOffice {
    /// Serves the back office on 127.0.0.1:`port`. `sell_out` is the tent's
    /// backorder setting, put back by the "sold out again" button.
    pub async fn serve(port: u16, admin: AdminApi, shop_url: &str, sell_out: Value) -> BackOffice {
        let store = Store::connect(&admin).await;
        // Shopify names stock by inventory item: map the tent's once.
        let product = payloads::shopify_product(BACKORDER_SKU, TENT_INVENTORY_ITEM, 0);
        let mapped = store.shopify("products/update", &product).await;
        assert!(
            mapped.status().is_success(),
            "mapping the tent's inventory item"
        );
        // A sale from before the demo: lanterns only, so no order to track,
        // but the shop learns what its customers call them (emails about a
        // product, such as "it is back", name it). Once, however often the
        // demo starts: the webhook's id is its own.
        let sale = payloads::standard(
            "order.placed",
            json!({"id": "DEMO-PAST-1", "currency": "GBP", "total": "48.00",
                   "lines": [{"sku": IN_STOCK_SKU, "quantity": 2, "unit_price": "24.00",
                              "name": payloads::product_name(IN_STOCK_SKU)}],
                   "customer": {"id": "demo-past-1"}}),
        );
        let learnt = store.standard("msg_demo_past_sale", &sale).await;
        assert!(learnt.status().is_success(), "the past sale");
        let first = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_secs() % 100_000)
            * 10;
        let desk = Arc::new(Desk {
            admin,
            store,
            shop_url: shop_url.to_owned(),
            sell_out,
            next_order: AtomicU64::new(1_000_000 + first),
        });
        let server = tiny_http::Server::http(("127.0.0.1", port)).unwrap_or_else(|err| {
            panic!("the back office cannot listen on 127.0.0.1:{port}: {err}")
        });
        let server = Arc::new(server);
        let serving = Arc::clone(&server);
        let runtime = Handle::current();
        let thread = std::thread::spawn(move || {
            for request in serving.incoming_requests() {
                let method = request.method().clone();
                let url = request.url().to_owned();
                let response = runtime.block_on(desk.answer(&method, &url));
                let _ = request.respond(response);
            }
        });
        BackOffice {
            url: format!("http://127.0.0.1:{port}/"),
            server,
            thread: Some(thread),
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }
}

type Page = tiny_http::Response<std::io::Cursor<Vec<u8>>>;

fn html(body: String) -> Page {
    let header = tiny_http::Header::from_bytes("Content-Type", "text/html; charset=utf-8")
        .expect("a valid header");
    tiny_http::Response::from_string(body).with_header(header)
}

fn redirect(to: &str) -> Page {
    let header = tiny_http::Header::from_bytes("Location", to).expect("a valid header");
    tiny_http::Response::from_string("")
        .with_status_code(303)
        .with_header(header)
}

/// `text` made safe inside a query string.
fn form_urlencoded_key(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The value of `name` in a form body or query (`a=1&b=2`), decoded.
fn field(form: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(form.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Desk {
    async fn answer(&self, method: &tiny_http::Method, url: &str) -> Page {
        use tiny_http::Method::{Get, Post};
        let (path, query) = url.split_once('?').unwrap_or((url, ""));
        let outcome = match (method, path) {
            (Get, "/") => return html(self.home(field(query, "done")).await),
            (Get, path) if path.starts_with("/orders/") => {
                let lang = field(query, "lang").unwrap_or_else(|| "en-GB".into());
                return redirect(&self.order_page_url(&path["/orders/".len()..], &lang).await);
            }
            (Get, "/email") => return html(self.email_page(query).await),
            (Get, "/insights") => return html(self.insights().await),
            (Post, "/history") => self.history().await,
            (Post, "/place") => {
                self.place(&field(query, "lang").unwrap_or_else(|| "en".into()))
                    .await
            }
            (Post, "/supplier-news") => self.supplier_news().await,
            (Post, "/restock") => self.restock().await,
            (Post, "/sell-out") => {
                self.admin
                    .put_product_json(BACKORDER_SKU, &self.sell_out)
                    .await;
                "The tent is sold out again: new orders for it are backorders.".to_owned()
            }
            // Issue 19 #12: a product sold out with no backorder, for
            // "Tell me when it's back", and its return.
            (Post, "/lantern-out") => {
                self.admin
                    .put_product_json(IN_STOCK_SKU, &json!({"status": "unavailable"}))
                    .await;
                "The lanterns are sold out, not on backorder: their card offers \"Tell me when it is back\"."
                    .to_owned()
            }
            (Post, "/lantern-in") => {
                let answer = self
                    .admin
                    .put_product_json(IN_STOCK_SKU, &json!({"status": "in_stock"}))
                    .await;
                format!(
                    "The lanterns are back in stock ({}): whoever confirmed hears it, once (see the outbox).",
                    answer["setting"]["status"].as_str().unwrap_or("?")
                )
            }
            (Post, "/banner-on") => self.banner(true).await,
            (Post, "/banner-off") => self.banner(false).await,
            (Post, "/ship") => self.fulfil(query, None).await,
            (Post, "/deliver") => self.fulfil(query, Some("delivered")).await,
            _ => return tiny_http::Response::from_string("not found").with_status_code(404),
        };
        redirect(&format!("/?done={}", outcome.replace(' ', "+")))
    }

    /// Places a Shopify order from a customer who reads `lang` (en, it, ar).
    async fn place(&self, lang: &str) -> String {
        let id = self.next_order.fetch_add(1, Ordering::Relaxed);
        let body = payloads::shopify_order(
            id,
            &[
                (Some(BACKORDER_SKU), 1, "189.00"),
                (Some(IN_STOCK_SKU), 2, "24.00"),
            ],
            &format!("customer{id}@example.com"),
        );
        let (locale, name) = match lang {
            "it" => ("it-IT", "Grazia"),
            "ar" => ("ar", "مريم"),
            _ => ("en-US", "Ada"),
        };
        let mut order: Value = serde_json::from_str(&body).expect("a JSON order");
        order["customer_locale"] = json!(locale);
        order["customer"]["first_name"] = json!(name);
        // The demo shop sells in pounds (its page says £), and each order
        // is a customer of its own.
        order["currency"] = json!("GBP");
        order["presentment_currency"] = json!("GBP");
        order["customer"]["id"] = json!(900_000 + id);
        let body = order.to_string();
        let response = self.store.shopify("orders/create", &body).await;
        format!(
            "Shopify sent orders/create for order {id} ({locale}): the edge answered {}.",
            response.status()
        )
    }

    /// One email as the customer sees it: the HTML in a sandboxed frame
    /// (links open in a new tab), the plain text, and what the log says.
    async fn email_page(&self, query: &str) -> String {
        let key = field(query, "key").unwrap_or_default();
        let encoded: String = form_urlencoded_key(&key);
        let email = self.admin.get(&format!("/emails/one?key={encoded}")).await;
        let html_body = email["html"].as_str().unwrap_or("(not written yet)");
        let framed = html_body.replacen("<head>", "<head><base target=\"_blank\">", 1);
        page(
            "Email",
            &format!(
                "<p><a href=\"/\">← back office</a></p>\
                 <table><tr><th>to</th><td>{to}</td></tr><tr><th>subject</th><td dir=auto>{subject}</td></tr>\
                 <tr><th>kind</th><td>{kind} ({locale})</td></tr>\
                 <tr><th>state</th><td>{state} after {attempts} tries, via {provider}, id {id}</td></tr>\
                 <tr><th>last error</th><td>{error}</td></tr></table>\
                 <h2>As the customer sees it</h2>\
                 <iframe title=\"the email\" sandbox=\"allow-popups allow-popups-to-escape-sandbox\" \
                 style=\"width:100%;height:760px;border:1px solid #ccc;background:#fff\" srcdoc=\"{framed}\"></iframe>\
                 <h2>Plain text</h2><pre dir=auto style=\"white-space:pre-wrap\">{text}</pre>",
                to = escape(email["to"].as_str().unwrap_or("(no address)")),
                subject = escape(email["subject"].as_str().unwrap_or_default()),
                kind = escape(email["kind"].as_str().unwrap_or_default()),
                locale = escape(email["locale"].as_str().unwrap_or_default()),
                state = escape(email["state"].as_str().unwrap_or_default()),
                attempts = email["attempts"],
                provider = escape(email["provider"].as_str().unwrap_or("-")),
                id = escape(email["message_id"].as_str().unwrap_or("-")),
                error = escape(email["error"].as_str().unwrap_or("none")),
                framed = escape(&framed),
                text = escape(email["text"].as_str().unwrap_or_default()),
            ),
        )
    }

    async fn supplier_news(&self) -> String {
        let today = crate::today();
        let (earliest, latest) = (
            today.add_days(60).unwrap_or(today),
            today.add_days(75).unwrap_or(today),
        );
        let body = payloads::standard(
            "window.changed",
            json!({"sku": BACKORDER_SKU,
                   "window": {"earliest": earliest.to_string(), "latest": latest.to_string()},
                   // The merchant writes the news in each language the
                   // shop's customers read; each reads their own.
                   "reason": {
                       "en": "The container with our tents was held at the port for inspection.",
                       "it": "Il container con le nostre tende è stato trattenuto in porto per un controllo.",
                       "ar": "احتُجزت الحاوية التي تحمل خيامنا في الميناء للتفتيش."},
                   "fix": {
                       "en": "We booked it onto the first truck once it is released, and we will write again as soon as it moves.",
                       "it": "L'abbiamo prenotata sul primo camion appena sarà rilasciata, e vi scriveremo di nuovo appena si muove.",
                       "ar": "حجزنا لها أول شاحنة فور الإفراج عنها، وسنكتب إليكم مجددًا حالما تتحرك."}}),
        );
        let id = format!(
            "msg_news_{}",
            self.next_order.fetch_add(1, Ordering::Relaxed)
        );
        let response = self.store.standard(&id, &body).await;
        format!(
            "The supplier's news went out as a Standard Webhook: {}.",
            response.status()
        )
    }

    async fn restock(&self) -> String {
        let level = payloads::shopify_inventory_level(TENT_INVENTORY_ITEM, 40);
        let response = self.store.shopify("inventory_levels/update", &level).await;
        format!(
            "Shopify sent inventory_levels/update (40 tents): {}.",
            response.status()
        )
    }

    /// The site-wide banner a merchant turns on when backorders pile up,
    /// for a week, in the three languages; or off.
    async fn banner(&self, on: bool) -> String {
        if !on {
            let response = crate::http()
                .delete(self.admin.url("/banner"))
                .bearer_auth(self.admin.api_key())
                .send()
                .await;
            return format!(
                "The banner is off: {}.",
                response.map_or_else(|err| err.to_string(), |r| r.status().to_string())
            );
        }
        let ends_on = crate::today().add_days(7).unwrap_or_else(crate::today);
        let (status, _) = self
            .admin
            .put(
                "/banner",
                &json!({"messages": {
                    "en": "Tents are in high demand: many ship later than usual. Each product shows its honest ship date.",
                    "it": "Le tende sono molto richieste: molte partono più tardi del solito. Ogni prodotto indica la sua data di spedizione.",
                    "ar": "الطلب على الخيام كبير: كثير منها يُشحن متأخرًا عن المعتاد. كل منتج يذكر موعد شحنه الحقيقي."},
                    "ends_on": ends_on.to_string()}),
            )
            .await;
        format!("The banner is on until {ends_on}: {status}.")
    }

    async fn fulfil(&self, query: &str, shipment_status: Option<&str>) -> String {
        let Some(order) = field(query, "order").and_then(|o| o.parse::<u64>().ok()) else {
            return "No order given.".to_owned();
        };
        let body = payloads::shopify_fulfillment(order, shipment_status);
        let topic = if shipment_status.is_some() {
            "fulfillments/update"
        } else {
            "fulfillments/create"
        };
        let response = self.store.shopify(topic, &body).await;
        format!(
            "Shopify sent {topic} for order {order}: {}.",
            response.status()
        )
    }

    /// What one order's customer chose last, read through their link.
    async fn chosen(&self, order: &str) -> String {
        let link = self.admin.customer_link(order).await;
        let view: Value = match crate::http().get(&link).send().await {
            Ok(response) => response.json().await.unwrap_or_default(),
            Err(_) => Value::Null,
        };
        match view["chosen"]["option"].as_str() {
            Some(option) => option.replace('_', " "),
            None if !view["offer"].is_null() => "(offer open)".to_owned(),
            None => "—".to_owned(),
        }
    }

    /// The back office, with what the last button did (`done`) on top.
    async fn home(&self, done: Option<String>) -> String {
        let orders = self.admin.get("/orders").await;
        let outbox = self.admin.get("/outbox").await;
        let actions = self.admin.get("/actions").await;
        let dead = self.admin.get("/dead-letters").await;
        let console = self.console_url();
        let mut rows = String::new();
        for order in orders["orders"].as_array().into_iter().flatten() {
            let id = order["order"].as_str().unwrap_or_default();
            let window = window_words(
                &order["window"],
                order["stage"].as_str().unwrap_or_default(),
            );
            let tags: Vec<&str> = order["tags"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let chosen = self.chosen(id).await;
            rows.push_str(&format!(
                "<tr><td>#{id}<br><small>customer's page: <a href=\"/orders/{id}?lang=en-GB\">en</a> · \
                 <a href=\"/orders/{id}?lang=it\">it</a> · <a href=\"/orders/{id}?lang=ar\">ar</a> · \
                 <a href=\"{console}#/orders/{id}\">in the console</a></small></td><td>{}</td><td>{window}</td><td>{}</td><td>{}</td>\
                 <td><form method=post action=\"/ship?order={id}\"><button>Ship</button></form>\
                 <form method=post action=\"/deliver?order={id}\"><button>Delivered</button></form></td></tr>",
                escape(order["stage"].as_str().unwrap_or_default()),
                escape(&chosen),
                escape(&tags.join(", ")),
            ));
        }
        if rows.is_empty() {
            rows = "<tr><td colspan=6>No backorder orders yet: place one above.</td></tr>".into();
        }
        let mut emails = String::new();
        for email in outbox["emails"].as_array().into_iter().flatten().rev() {
            let key = email["key"].as_str().unwrap_or_default();
            emails.push_str(&format!(
                "<li><a href=\"/email?key={}\"><b>{}</b></a> <span dir=auto>{}</span> — to {} ({}) for order #{}, {}</li>",
                form_urlencoded_key(key),
                escape(email["kind"].as_str().unwrap_or_default()),
                escape(email["subject"].as_str().unwrap_or("")),
                escape(email["to"].as_str().unwrap_or("(no address)")),
                escape(email["locale"].as_str().unwrap_or_default()),
                escape(email["order"].as_str().unwrap_or_default()),
                escape(email["state"].as_str().unwrap_or_default()),
            ));
        }
        let mut todo = String::new();
        for action in actions["actions"].as_array().into_iter().flatten().rev() {
            // What the store is asked to do, in words: its fields but the kind.
            let details: Vec<String> = action["action"]
                .as_object()
                .into_iter()
                .flatten()
                .filter(|(name, _)| name.as_str() != "effect")
                .map(|(name, value)| match value {
                    Value::String(text) => format!("{name}: {text}"),
                    other => format!("{name}: {other}"),
                })
                .collect();
            todo.push_str(&format!(
                "<li><b>{}</b> for order #{}: {}{}</li>",
                escape(
                    &action["kind"]
                        .as_str()
                        .unwrap_or_default()
                        .replace('_', " ")
                ),
                escape(action["order"].as_str().unwrap_or_default()),
                escape(action["state"].as_str().unwrap_or_default()),
                escape(&if details.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", details.join("; "))
                }),
            ));
        }
        let mut letters = String::new();
        for letter in dead["dead_letters"].as_array().into_iter().flatten() {
            letters.push_str(&format!(
                "<li>{} {} for order #{} ({} replays)</li>",
                escape(letter["kind"].as_str().unwrap_or_default()),
                escape(letter["letter"].as_str().unwrap_or_default()),
                escape(letter["order"].as_str().unwrap_or("-")),
                letter["replays"],
            ));
        }
        if letters.is_empty() {
            letters = "<li>None: every job the queues took was done or is still being tried. \
                       A job the queues give up on is listed here, and replayed with \
                       <code>POST …/dead-letters/replay</code>.</li>"
                .into();
        }
        let done = done
            .map(|done| {
                format!(
                    "<p class=done role=status><b>Done:</b> {}</p>",
                    escape(&done)
                )
            })
            .unwrap_or_default();
        page(
            "Back office",
            &format!(
                "{done}<p>This is the store's side. Each button sends the webhook a real store sends, \
                 signed with the shop's secret, to the edge. The <a href=\"{shop}\">shop page</a> \
                 shows the widget.</p>\
                 <div class=actions>\
                 <form method=post action=\"/place?lang=en\"><button>Place an order (tent on backorder + 2 lanterns)</button></form>\
                 <form method=post action=\"/place?lang=it\"><button>… from an Italian customer</button></form>\
                 <form method=post action=\"/place?lang=ar\"><button>… from an Arabic-speaking customer</button></form>\
                 <form method=post action=/supplier-news><button>Supplier news: the tent is late</button></form>\
                 <form method=post action=/restock><button>Tents arrive at the warehouse</button></form>\
                 <form method=post action=/sell-out><button>Tent sold out again</button></form>\
                 <form method=post action=/lantern-out><button>Lanterns sold out (no backorder)</button></form>\
                 <form method=post action=/lantern-in><button>Lanterns back in stock</button></form>\
                 <form method=post action=/banner-on><button>Turn on the shop's backorder banner</button></form>\
                 <form method=post action=/banner-off><button>… and off</button></form>\
                 <form method=post action=/history><button>Hand over last year's orders and today's stock levels</button></form></div>\
                 <p><a href=\"{console}#signin={key}\">Open the console</a> (signs the shop's owner in with one click): \
                 every backorder order, searchable by email, each beside its customer's own page, with its emails, actions and notes.</p>\
                 <p><a href=/insights>Insights: does selling on backorder pay? Which products will run out? Which suppliers slip?</a></p>\
                 <h2>Backorder orders</h2><table><tr><th>order</th><th>stage</th><th>ships</th><th>customer chose</th><th>tags</th><th>fulfilment</th></tr>{rows}</table>\
                 <h2>Outbox: emails sent to customers (click one to read it)</h2><ul>{emails}</ul>\
                 <h2>Actions for the back office</h2><ul>{todo}</ul>\
                 <h2>Dead letters: jobs the queues gave up on</h2><ul>{letters}</ul>",
                shop = escape(&self.shop_url),
                key = escape(self.admin.api_key()),
            ),
        )
    }

    /// The edge's console for the demo's shop (a fragment names the page).
    fn console_url(&self) -> String {
        format!(
            "{}/console/?shop={}",
            self.admin.base_url(),
            self.admin.shop()
        )
    }

    /// What a store hands over when it connects: a year of orders as its
    /// own export, today's stock levels (as webhooks), who supplies what.
    async fn history(&self) -> String {
        let today = crate::today();
        let response = crate::http()
            .post(self.admin.url("/order-history?format=shopify"))
            .bearer_auth(self.admin.api_key())
            .header("Content-Type", "text/csv")
            .body(sample_history::shopify_export(today))
            .send()
            .await;
        let imported = match response {
            Ok(response) => response.json::<Value>().await.unwrap_or_default(),
            Err(err) => return format!("The import failed: {err}"),
        };
        for (sku, on_hand) in sample_history::stock_levels() {
            let level = payloads::standard("stock.level", json!({"sku": sku, "on_hand": on_hand}));
            let id = format!("msg_level_{sku}_{on_hand}");
            self.store.standard(&id, &level).await;
        }
        for (sku, supplier, days) in sample_history::supply() {
            self.admin
                .put(
                    &format!("/products/{sku}/supply"),
                    &json!({"supplier": supplier, "lead_time_days": days}),
                )
                .await;
        }
        format!(
            "The store handed over {} past orders ({} on backorder, {} not sales) and the stock of {} products: see Insights.",
            imported["orders"],
            imported["with_backorder"],
            imported["not_sales"],
            sample_history::stock_levels().len()
        )
    }

    /// The shop's figures, its suppliers and the products likely to run
    /// out, as the edge's API gives them.
    async fn insights(&self) -> String {
        let today = crate::today();
        let from = today.add_days(-365).unwrap_or(today);
        let to = today.add_days(1).unwrap_or(today);
        let figures = self
            .admin
            .get(&format!("/analytics?from={from}&to={to}"))
            .await;
        let suppliers = self.admin.get("/suppliers").await;
        let flags = self.admin.get("/flags").await;
        let money = |minor: &Value| {
            minor
                .as_f64()
                .map_or("—".to_owned(), |minor| format!("£{:.2}", minor / 100.0))
        };
        let share = |share: &Value| match share["share"].as_f64() {
            Some(value) => format!(
                "{:.0} % <small>({:.0}–{:.0} %, of {})</small>",
                value * 100.0,
                share["low"].as_f64().unwrap_or(0.0) * 100.0,
                share["high"].as_f64().unwrap_or(0.0) * 100.0,
                share["of"]
            ),
            None => "— <small>(none yet)</small>".to_owned(),
        };
        let mean = |mean: &Value, as_money: bool| match mean["mean"].as_f64() {
            Some(value) if as_money => format!(
                "{} <small>({}–{})</small>",
                money(&json!(value)),
                money(&mean["low"]),
                money(&mean["high"])
            ),
            Some(value) => format!(
                "{value:.2} <small>({:.2}–{:.2})</small>",
                mean["low"].as_f64().unwrap_or(0.0),
                mean["high"].as_f64().unwrap_or(0.0)
            ),
            None => "—".to_owned(),
        };
        let cohorts = &figures["customers"];
        let mut cohort_rows = String::new();
        for (label, key) in [
            ("Customers", "customers"),
            ("Orders per customer", "orders_per_customer"),
            ("Came back within 90 days", "back_within_90_days"),
            ("Came back within 365 days", "back_within_365_days"),
            ("Revenue per customer", "revenue_per_customer_minor"),
        ] {
            let cell = |cohort: &Value| match key {
                "customers" => cohort[key].to_string(),
                "orders_per_customer" => mean(&cohort[key], false),
                "revenue_per_customer_minor" => mean(&cohort[key], true),
                _ => share(&cohort[key]),
            };
            cohort_rows.push_str(&format!(
                "<tr><th scope=row>{label}</th><td>{}</td><td>{}</td></tr>",
                cell(&cohorts["backorder"]),
                cell(&cohorts["others"])
            ));
        }
        let backorders = &figures["backorders"];
        let mut cancellations = String::new();
        for band in backorders["cancelled_by_lateness"]
            .as_array()
            .into_iter()
            .flatten()
        {
            cancellations.push_str(&format!(
                "<tr><th scope=row>{} days late</th><td>{}</td></tr>",
                escape(band["days_late"].as_str().unwrap_or_default()),
                share(&band["cancelled"])
            ));
        }
        let mut flagged = String::new();
        for product in flags["products"].as_array().into_iter().flatten() {
            let reasons: Vec<String> = product["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|reason| {
                    format!(
                        "{} = {}",
                        escape(
                            &reason["signal"]
                                .as_str()
                                .unwrap_or_default()
                                .replace('_', " ")
                        ),
                        reason["value"]
                            .as_f64()
                            .map_or("unknown".to_owned(), |v| format!("{v:.1}"))
                    )
                })
                .collect();
            flagged.push_str(&format!(
                "<tr><td>{}</td><td>{:.0} %{}</td><td>{}</td><td>{}</td></tr>",
                escape(product["sku"].as_str().unwrap_or_default()),
                product["probability"].as_f64().unwrap_or(0.0) * 100.0,
                if product["flagged"] == true {
                    " <b>likely to run out</b>"
                } else {
                    ""
                },
                escape(product["supplier"].as_str().unwrap_or("—")),
                reasons.join("; ")
            ));
        }
        if flagged.is_empty() {
            flagged = "<tr><td colspan=4>No stock levels yet: hand over the store's data on the back office.</td></tr>".into();
        }
        let mut cards = String::new();
        for card in suppliers["suppliers"].as_array().into_iter().flatten() {
            let slipping = match card["slipping"]["since"].as_str() {
                Some(since) => format!(
                    "<b>slipping</b> since {} ({} of the last ten late)",
                    escape(since),
                    card["slipping"]["late_of_last_ten"]
                ),
                None => "keeping its dates".to_owned(),
            };
            cards.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{:.0} % <small>(at least {:.0} %)</small></td><td>{:.1} days</td><td>{slipping}</td></tr>",
                escape(card["supplier"].as_str().unwrap_or_default()),
                card["deliveries"],
                card["on_time_rate"].as_f64().unwrap_or(0.0) * 100.0,
                card["on_time_lower_95"].as_f64().unwrap_or(0.0) * 100.0,
                card["mean_slip_days"].as_f64().unwrap_or(0.0),
            ));
        }
        page(
            "Insights",
            &format!(
                "<p><a href=/>Back office</a> · the last 365 days ({from} to {today}), {orders} orders in {currency}. \
                 The year's orders are made-up sample data the back office hands over as a Shopify export.</p> \
                 <h2>Does selling on backorder pay?</h2> \
                 <p>Customers whose first order of the period was on backorder, against the others (95 % intervals).</p> \
                 <table><tr><th></th><th scope=col>backorder customers</th><th scope=col>the others</th></tr>{cohort_rows}</table> \
                 <p>Of the backorder orders the edge tracked ({tracked}): revenue kept <b>{kept}</b>, given back (refunds and credit) <b>{returned}</b>. \
                 Promises kept (shipped by the first date promised): {accuracy}.</p> \
                 <h2>Cancellations by how late</h2><table>{cancellations}</table> \
                 <h2>Likely to go on backorder</h2> \
                 <p>From today's stock, the year's sales, the supplier's lead time and record (trees measured at ROC-AUC {auc} on public data).</p> \
                 <table><tr><th scope=col>product</th><th scope=col>chance</th><th scope=col>supplier</th><th scope=col>why</th></tr>{flagged}</table> \
                 <h2>Suppliers</h2> \
                 <table><tr><th scope=col>supplier</th><th scope=col>deliveries</th><th scope=col>on time</th><th scope=col>mean slip</th><th scope=col>flag</th></tr>{cards}</table>",
                orders = figures["orders"]["all"],
                currency = escape(figures["currency"].as_str().unwrap_or("—")),
                tracked = backorders["orders"],
                kept = money(&backorders["revenue_kept_minor"]),
                returned = money(&backorders["revenue_returned_minor"]),
                accuracy = share(&backorders["promise_accuracy"]["on_time"]),
                auc = flags["model"]["held_out_roc_auc"],
            ),
        )
    }

    /// The customer's order page in the shop, with the token the theme
    /// would put on the widget's div, in the language the page is written in.
    async fn order_page_url(&self, order: &str, lang: &str) -> String {
        let token = self.admin.customer_token(order).await;
        format!(
            "{}orders/{order}?t={token}&lang={}",
            self.shop_url,
            form_urlencoded_key(lang)
        )
    }
}

/// When it ships, said for the order's stage: only a waiting order has a
/// window, and one without a date says so.
fn window_words(window: &Value, stage: &str) -> String {
    match (
        stage,
        window["earliest"].as_str(),
        window["latest"].as_str(),
    ) {
        ("waiting", Some(from), Some(to)) => format!("between {from} and {to}"),
        ("waiting", _, _) => "no date yet".to_owned(),
        ("processing" | "processed", _, _) => "being prepared now".to_owned(),
        _ => "—".to_owned(),
    }
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>{title} — Trailhead Outfitters</title>\
         <style>body{{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:1rem 2rem;color:#222;background:#f6f4ef}}\
         h1{{color:#2f4f3a}} .done{{background:#e6f0e8;border-inline-start:4px solid #2f4f3a;padding:.5rem .8rem}} table{{border-collapse:collapse;width:100%;background:#fff}} td,th{{border-bottom:1px solid #ddd;padding:.4rem;text-align:left}}\
         .actions{{display:flex;gap:.5rem;flex-wrap:wrap}} form{{display:inline}} button{{background:#2f4f3a;color:#fff;border:0;border-radius:4px;padding:.5rem .8rem;cursor:pointer}}\
         li{{margin:.3rem 0}} pre{{background:#fff;padding:.5rem;overflow:auto}}</style></head>\
         <body><h1>{title}</h1>{body}</body></html>"
    )
}

impl std::fmt::Debug for BackOffice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackOffice")
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl Drop for BackOffice {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
