//! The shop's own records: one SQLite-backed Durable Object per shop.
//!
//! It holds the shop's credentials (its API key only as a hash), settings
//! and secrets, its products (KV keeps the public copy the widget reads), its
//! supplier delivery history, the index of its backorder orders and which
//! SKU each waits for, the email outbox and the list of actions for the back
//! office. SQL statements run synchronously inside the object, so two
//! requests can never interleave between a read and its write: two delivery
//! batches at once both count. Every public route that reaches it is
//! authenticated here, in one place.

mod front;
mod mail;

pub use front::ShopFront;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::estimate::{Delivery, DeliveryHistory};
use shared::lifecycle::{Choice, Event, NewLine, NewOrder, RawShopPolicy, ShopPolicy};
use shared::{
    Availability, CustomerId, OrderId, ProductSetting, ShipWindow, ShopId, Sku, StoredProduct,
};
use worker::{
    DurableObject, Env, Method, Request, RequestInit, Response, SqlStorage, SqlStorageValue, State,
    durable_object,
};

use crate::error::EdgeError;
use crate::jobs::{
    self, ActionClaim, ActionJob, ActionResult, ActionState, EmailJob, Endpoint, FanOutJob, Job,
    OrderIndex,
};
use crate::order::{Answer, Command, News, Outcome};
use crate::webhooks::{self, DraftOrder, Inbound, Source};
use crate::{clock, crypto, http, links, storage};

const MAX_WEBHOOK_BYTES: usize = 512 * 1024;
const MAX_SETTING_BYTES: usize = 16 * 1024;
const MAX_DELIVERY_BYTES: usize = 256 * 1024;
const MAX_DELIVERY_RECORDS: usize = 1000;
/// A customer link made through the API lasts this long unless asked.
const DEFAULT_LINK_DAYS: i64 = 90;
/// News for an order not placed yet is kept this long, then dropped.
const EARLY_NEWS_SECS: i64 = 7 * 86_400;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS products (sku TEXT PRIMARY KEY, setting TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS inventory_items (item TEXT PRIMARY KEY, sku TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS orders (
  id TEXT PRIMARY KEY, seq INTEGER NOT NULL, stage TEXT NOT NULL, customer TEXT NOT NULL,
  placed_at INTEGER NOT NULL, window_earliest TEXT, window_latest TEXT, tags TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS waiting (
  sku TEXT NOT NULL, order_id TEXT NOT NULL, PRIMARY KEY (sku, order_id));
CREATE TABLE IF NOT EXISTS early_news (
  id INTEGER PRIMARY KEY AUTOINCREMENT, order_id TEXT NOT NULL, news TEXT NOT NULL,
  key TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS mails (
  key TEXT PRIMARY KEY, order_id TEXT NOT NULL, kind TEXT NOT NULL, recipient TEXT,
  locale TEXT NOT NULL, job TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL,
  provider TEXT, message_id TEXT, last_error TEXT, template_error TEXT,
  subject TEXT, html TEXT, text TEXT, claimed_at INTEGER,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS mails_by_state ON mails (state);
CREATE INDEX IF NOT EXISTS mails_by_order ON mails (order_id);
CREATE TABLE IF NOT EXISTS suppressed (address TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS templates (
  locale TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (locale, name));
CREATE TABLE IF NOT EXISTS actions (
  key TEXT PRIMARY KEY, order_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
";

#[derive(Deserialize)]
pub struct CreateShop {
    pub shop: ShopId,
    pub api_key_hash: String,
    pub link_secret: String,
}

#[derive(Deserialize)]
struct Row<T> {
    value: T,
}

#[durable_object]
pub struct ShopRecords {
    state: State,
    env: Env,
}

impl std::fmt::Debug for ShopRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopRecords").finish_non_exhaustive()
    }
}

impl DurableObject for ShopRecords {
    fn new(state: State, env: Env) -> Self {
        if let Err(err) = state.storage().sql().exec(SCHEMA, None) {
            worker::console_error!("shop schema: {err}");
        }
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        match self.route(req).await {
            Ok(response) => Ok(response),
            Err(err) => err.into_response(),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        if let Err(err) = self.turn_the_day().await {
            worker::console_error!("shop day turn: {err}");
            let _ = self.state.storage().set_alarm(RETRY_MS).await;
        }
        Response::ok("")
    }
}

/// When the day-turn alarm failed, it tries again this soon.
const RETRY_MS: i64 = 60_000;
/// The day turns this long after midnight UTC: a clock a little behind
/// still sees the new day.
const DAY_TURN_SLACK_MS: i64 = 5_000;

/// Milliseconds from `now` (Unix milliseconds) to just after the next
/// midnight UTC.
fn day_turn_in_millis(now: i64) -> i64 {
    const DAY_MS: i64 = 86_400_000;
    DAY_MS - now.rem_euclid(DAY_MS) + DAY_TURN_SLACK_MS
}

fn text_value(text: impl Into<String>) -> SqlStorageValue {
    SqlStorageValue::String(text.into())
}

fn sql_err(err: worker::Error) -> EdgeError {
    EdgeError::Internal(format!("SQL: {err}"))
}

fn invalid(field: &'static str, reason: impl Into<String>) -> EdgeError {
    EdgeError::InvalidInput {
        field,
        reason: reason.into(),
    }
}

impl ShopRecords {
    fn sql(&self) -> SqlStorage {
        self.state.storage().sql()
    }

    /// Runs a query and reads every row it gives as a `T`.
    fn rows<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> Result<Vec<T>, EdgeError> {
        self.sql()
            .exec(query, bindings)
            .and_then(|cursor| cursor.to_array())
            .map_err(sql_err)
    }

    /// Runs a statement; how many rows it wrote.
    fn run(&self, query: &str, bindings: Vec<SqlStorageValue>) -> Result<usize, EdgeError> {
        Ok(self
            .sql()
            .exec(query, bindings)
            .map_err(sql_err)?
            .rows_written())
    }

    fn setting(&self, name: &str) -> Result<Option<String>, EdgeError> {
        let rows: Vec<Row<String>> = self.rows(
            "SELECT value FROM settings WHERE name = ?",
            vec![text_value(name)],
        )?;
        Ok(rows.into_iter().next().map(|row| row.value))
    }

    fn set_setting(&self, name: &str, value: &str) -> Result<(), EdgeError> {
        self.run(
            "INSERT INTO settings (name, value) VALUES (?, ?)
                 ON CONFLICT(name) DO UPDATE SET value = excluded.value",
            vec![text_value(name), text_value(value)],
        )?;
        Ok(())
    }

    fn shop_id(&self) -> Result<ShopId, EdgeError> {
        let Some(shop) = self.setting("shop")? else {
            return Err(EdgeError::Unauthorized);
        };
        ShopId::parse(&shop).map_err(|err| EdgeError::Internal(format!("stored shop id: {err}")))
    }

    /// Lets the request through only with this shop's API key.
    fn require_key(&self, req: &Request) -> Result<ShopId, EdgeError> {
        let presented = req
            .headers()
            .get("Authorization")
            .ok()
            .flatten()
            .unwrap_or_default();
        let presented = presented.strip_prefix("Bearer ").unwrap_or_default();
        let expected = self.setting("api_key_hash")?.unwrap_or_default();
        if presented.is_empty()
            || expected.is_empty()
            || !crypto::same(&crypto::sha256_hex(presented.as_bytes()), &expected)
        {
            return Err(EdgeError::Unauthorized);
        }
        self.shop_id()
    }

    fn raw_policy(&self) -> Result<RawShopPolicy, EdgeError> {
        match self.setting("policy")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|err| EdgeError::Internal(format!("stored policy: {err}"))),
            None => Ok(RawShopPolicy::default()),
        }
    }

    async fn route(&self, mut req: Request) -> Result<Response, EdgeError> {
        let segments = http::segments(&req);
        let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
        let method = req.method();
        match (method, parts.as_slice()) {
            (Method::Post, ["internal", "create"]) => {
                let create: CreateShop = http::json_body(&mut req, MAX_SETTING_BYTES).await?;
                self.create(create)
            }
            (Method::Post, ["internal", "index"]) => {
                let index: OrderIndex = http::json_body(&mut req, MAX_SETTING_BYTES).await?;
                self.index(&index)
            }
            (Method::Post, ["internal", "emails", "claim"]) => {
                let email: EmailJob = http::json_body(&mut req, MAX_WEBHOOK_BYTES).await?;
                self.claim_email(&email)
            }
            (Method::Post, ["internal", "emails", "report"]) => {
                let report: crate::mail::Report =
                    http::json_body(&mut req, MAX_WEBHOOK_BYTES * 4).await?;
                self.report_email(&report)
            }
            (Method::Post, ["internal", "actions", "claim"]) => {
                let action: ActionJob = http::json_body(&mut req, MAX_WEBHOOK_BYTES).await?;
                self.claim_action(&action)
            }
            (Method::Post, ["internal", "actions", "result"]) => {
                let result: ActionResult = http::json_body(&mut req, MAX_SETTING_BYTES).await?;
                self.action_result(&result)
            }
            (Method::Post, ["v1", "shops", _, "webhooks", source]) => {
                let source = Source::parse(source).ok_or(EdgeError::NotFound)?;
                self.webhook(req, source).await
            }
            (Method::Get, ["v1", "shops", _, "orders", order]) => {
                let order = parse_order(order)?;
                self.customer_view(&req, &order).await
            }
            (Method::Get, ["v1", "shops", _, "orders", order, "live"]) => {
                let order = parse_order(order)?;
                self.live(&req, &order).await
            }
            (Method::Post, ["v1", "shops", _, "orders", order, "choices"]) => {
                let order = parse_order(order)?;
                self.choose(req, &order).await
            }
            (
                _,
                [
                    "v1",
                    "shops",
                    _,
                    "orders",
                    order,
                    action @ ("confirm" | "unsubscribe"),
                ],
            ) => {
                let order = parse_order(order)?;
                let action = (*action).to_owned();
                self.customer_page(req, &order, &action).await
            }
            (method, rest) => {
                let shop = self.require_key(&req)?;
                self.merchant(method, rest, req, shop).await
            }
        }
    }

    /// The merchant's back-office routes, all behind the shop's API key.
    async fn merchant(
        &self,
        method: Method,
        parts: &[&str],
        mut req: Request,
        shop: ShopId,
    ) -> Result<Response, EdgeError> {
        if let Some(answer) = self.mail_routes(&method, parts, &mut req, &shop).await {
            return answer;
        }
        if let Some(answer) = self.front_routes(&method, parts, &mut req, &shop).await {
            return answer;
        }
        match (method, parts) {
            (Method::Get, ["v1", "shops", _]) => self.summary(&shop),
            (Method::Post, ["v1", "shops", _, "api-key"]) => self.rotate_key(),
            (Method::Post, ["v1", "shops", _, "link-secret"]) => self.rotate_link_secret(),
            (Method::Get, ["v1", "shops", _, "policy"]) => http::json(&self.raw_policy()?, 200),
            (Method::Put, ["v1", "shops", _, "policy"]) => {
                let raw: RawShopPolicy = http::json_body(&mut req, MAX_SETTING_BYTES).await?;
                let policy =
                    ShopPolicy::parse(raw.clone()).map_err(|err| EdgeError::InvalidInput {
                        field: err.field,
                        reason: err.reason,
                    })?;
                self.set_setting("policy", &to_text(&raw)?)?;
                // The shop's language is public: pages that name none use it.
                self.publish_front(&shop).await?;
                http::json(&policy, 200)
            }
            (Method::Put, ["v1", "shops", _, "webhook-secrets", source]) => {
                let source = Source::parse(source).ok_or(EdgeError::NotFound)?;
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Secret {
                    secret: String,
                }
                let body: Secret = http::json_body(&mut req, MAX_SETTING_BYTES).await?;
                check_secret(source, &body.secret)?;
                self.set_setting(&format!("secret:{}", source.as_str()), &body.secret)?;
                Ok(Response::empty()?.with_status(204))
            }
            (Method::Put, ["v1", "shops", _, "endpoint"]) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct Url {
                    url: String,
                }
                let body: Url = http::json_body(&mut req, MAX_SETTING_BYTES).await?;
                if !(body.url.starts_with("https://") || body.url.starts_with("http://"))
                    || body.url.len() > 2000
                    || body.url.chars().any(char::is_whitespace)
                {
                    return Err(invalid("url", "an http(s) URL of at most 2000 characters"));
                }
                let secret = format!("whsec_{}", STANDARD.encode(crypto::random_bytes(32)?));
                let endpoint = Endpoint {
                    url: body.url,
                    secret: secret.clone(),
                };
                self.set_setting("endpoint", &to_text(&endpoint)?)?;
                // The signing secret is shown this once.
                http::json(
                    &json!({ "url": endpoint.url, "signing_secret": secret }),
                    200,
                )
            }
            (Method::Put, ["v1", "shops", _, "products", sku]) => {
                let sku = parse_sku(sku)?;
                self.put_product(req, &shop, sku).await
            }
            (Method::Post, ["v1", "shops", _, "deliveries"]) => {
                self.post_deliveries(req, &shop).await
            }
            (Method::Get, ["v1", "shops", _, "deliveries"]) => {
                let history = self.history()?;
                http::json(
                    &json!({ "deliveries_in_history": history.deliveries() }),
                    200,
                )
            }
            (Method::Get, ["v1", "shops", _, "orders"]) => self.list_orders(&req),
            (Method::Post, ["v1", "shops", _, "links"]) => {
                #[derive(Deserialize)]
                #[serde(deny_unknown_fields)]
                struct LinkRequest {
                    order: OrderId,
                    expires_in_days: Option<u16>,
                }
                let body: LinkRequest = http::json_body(&mut req, MAX_SETTING_BYTES).await?;
                let days = body.expires_in_days.map_or(DEFAULT_LINK_DAYS, i64::from);
                let expires = clock::now().plus_days(days).unix_seconds();
                let secret = self.setting("link_secret")?.unwrap_or_default();
                let token = links::sign(&secret, shop.as_str(), body.order.as_str(), expires);
                let path = format!("/v1/shops/{shop}/orders/{}?t={token}", body.order);
                http::json(
                    &json!({ "token": token, "path": path, "expires": expires }),
                    200,
                )
            }
            (Method::Get, ["v1", "shops", _, "actions"]) => self.list_actions(&req),
            (_, ["v1", "shops", _, "products", _] | ["v1", "shops", _, "deliveries"]) => {
                Err(EdgeError::MethodNotAllowed)
            }
            _ => Err(EdgeError::NotFound),
        }
    }

    fn create(&self, create: CreateShop) -> Result<Response, EdgeError> {
        if self.setting("shop")?.is_some() {
            return Err(EdgeError::ShopExists(create.shop.to_string()));
        }
        self.set_setting("api_key_hash", &create.api_key_hash)?;
        self.set_setting("link_secret", &create.link_secret)?;
        self.set_setting("shop", create.shop.as_str())?;
        http::json(&json!({ "shop": create.shop }), 201)
    }

    fn summary(&self, shop: &ShopId) -> Result<Response, EdgeError> {
        let has = |name: &str| self.setting(name).map(|value| value.is_some());
        let endpoint = self.endpoint()?;
        http::json(
            &json!({
                "shop": shop,
                "webhook_secrets": {
                    "shopify": has("secret:shopify")?,
                    "woocommerce": has("secret:woocommerce")?,
                    "standard": has("secret:standard")?,
                },
                "endpoint": endpoint.map(|e| e.url),
                "policy": self.raw_policy()?,
                "orders_by_stage": self.counts("SELECT stage AS name, COUNT(*) AS n FROM orders GROUP BY stage")?,
                "emails_by_kind": self.counts("SELECT kind AS name, COUNT(*) AS n FROM mails GROUP BY kind")?,
                "emails_by_state": self.counts("SELECT state AS name, COUNT(*) AS n FROM mails GROUP BY state")?,
                "mail": self.mail_settings_view()?,
                "unsubscribed": self.counts("SELECT 'addresses' AS name, COUNT(*) AS n FROM suppressed")?["addresses"],
                "actions_by_state": self.counts("SELECT state AS name, COUNT(*) AS n FROM actions GROUP BY state")?,
            }),
            200,
        )
    }

    /// `{name: count}` from a query selecting `name` and `n`.
    fn counts(&self, query: &str) -> Result<Value, EdgeError> {
        #[derive(Deserialize)]
        struct Count {
            name: String,
            n: i64,
        }
        let rows: Vec<Count> = self.rows(query, Vec::new())?;
        Ok(Value::Object(
            rows.into_iter()
                .map(|row| (row.name, Value::from(row.n)))
                .collect(),
        ))
    }

    fn rotate_key(&self) -> Result<Response, EdgeError> {
        let key = new_api_key()?;
        self.set_setting("api_key_hash", &crypto::sha256_hex(key.as_bytes()))?;
        http::json(&json!({ "api_key": key }), 200)
    }

    fn rotate_link_secret(&self) -> Result<Response, EdgeError> {
        let secret = crypto::random_hex(32)?;
        self.set_setting("link_secret", &secret)?;
        http::json(&json!({ "link_secret": secret }), 200)
    }

    // ---- products, history ------------------------------------------------

    fn product(&self, sku: &Sku) -> Result<Option<ProductSetting>, EdgeError> {
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
    async fn save_product(
        &self,
        shop: &ShopId,
        sku: &Sku,
        setting: &ProductSetting,
        history: Option<&DeliveryHistory>,
    ) -> Result<(), EdgeError> {
        self.run(
            "INSERT INTO products (sku, setting) VALUES (?, ?)
                 ON CONFLICT(sku) DO UPDATE SET setting = excluded.setting",
            vec![text_value(sku.as_str()), text_value(to_text(setting)?)],
        )?;
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
        Ok(())
    }

    /// Works out again what products read as today and rewrites their KV
    /// copies: those estimated from the history when it changed (`estimated`),
    /// or every backorder when the day turned. The writes run at once.
    async fn refresh_shown(&self, shop: &ShopId, estimated: bool) -> Result<(), EdgeError> {
        #[derive(Deserialize)]
        struct Stored {
            sku: String,
            setting: String,
        }
        let rows: Vec<Stored> = self.rows("SELECT sku, setting FROM products", vec![])?;
        let history = self.history()?;
        let today = clock::today();
        let mut products = Vec::new();
        for row in rows {
            let (Ok(sku), Ok(setting)) = (
                Sku::parse(&row.sku),
                serde_json::from_str::<ProductSetting>(&row.setting),
            ) else {
                worker::console_error!("stored product {} is unreadable", row.sku);
                continue;
            };
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

    /// Sets the alarm for the next day turn (UTC) unless one is set: a
    /// stated window begins or passes, an estimate moves on with the day.
    async fn keep_day_turn_alarm(&self) {
        let storage = self.state.storage();
        if matches!(storage.get_alarm().await, Ok(Some(_))) {
            return;
        }
        let wait = day_turn_in_millis(clock::now_millis());
        if let Err(err) = storage.set_alarm(wait).await {
            worker::console_error!("setting the shop's day-turn alarm: {err}");
        }
    }

    /// The day turned: every backorder product reads as of the new day.
    async fn turn_the_day(&self) -> Result<(), EdgeError> {
        let shop = self.shop_id()?;
        self.refresh_shown(&shop, false).await?;
        let wait = day_turn_in_millis(clock::now_millis());
        self.state.storage().set_alarm(wait).await?;
        Ok(())
    }

    fn history(&self) -> Result<DeliveryHistory, EdgeError> {
        match self.setting("history")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|err| EdgeError::Internal(format!("stored history: {err}"))),
            None => Ok(DeliveryHistory::default()),
        }
    }

    /// Learns deliveries into the history, and refreshes KV's copy, which
    /// product reads estimate from.
    async fn learn(&self, shop: &ShopId, deliveries: &[Delivery]) -> Result<u64, EdgeError> {
        let mut history = self.history()?;
        for delivery in deliveries {
            history.record(delivery);
        }
        self.set_setting("history", &to_text(&history)?)?;
        storage::put_history(&self.env, shop, &history.for_reading()).await?;
        self.refresh_shown(shop, true).await?;
        Ok(history.deliveries())
    }

    async fn put_product(
        &self,
        mut req: Request,
        shop: &ShopId,
        sku: Sku,
    ) -> Result<Response, EdgeError> {
        let mut body: Value = http::json_body(&mut req, MAX_SETTING_BYTES).await?;
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
        let restocked = matches!(setting, ProductSetting::InStock)
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
        mut req: Request,
        shop: &ShopId,
    ) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Batch {
            deliveries: Vec<Value>,
        }
        let batch: Batch = http::json_body(&mut req, MAX_DELIVERY_BYTES).await?;
        if batch.deliveries.is_empty() || batch.deliveries.len() > MAX_DELIVERY_RECORDS {
            return Err(invalid(
                "deliveries",
                format!("send 1 to {MAX_DELIVERY_RECORDS} records"),
            ));
        }
        let mut deliveries = Vec::with_capacity(batch.deliveries.len());
        for (index, value) in batch.deliveries.into_iter().enumerate() {
            let delivery: Delivery = serde_json::from_value(value)
                .map_err(|err| EdgeError::InvalidBody(format!("deliveries[{index}]: {err}")))?;
            delivery.validate().map_err(|reason| {
                EdgeError::InvalidBody(format!("deliveries[{index}]: {reason}"))
            })?;
            deliveries.push(delivery);
        }
        // Learnt in the order they arrived, as the calibration expects.
        deliveries.sort_by_key(|delivery| delivery.received);
        let total = self.learn(shop, &deliveries).await?;
        http::json(
            &json!({ "recorded": deliveries.len(), "deliveries_in_history": total }),
            200,
        )
    }

    // ---- orders: index, fan-out ---------------------------------------------

    fn index(&self, index: &OrderIndex) -> Result<Response, EdgeError> {
        let (earliest, latest) = match index.window {
            Some(window) => (
                Some(window.earliest().to_string()),
                Some(window.latest().to_string()),
            ),
            None => (None, None),
        };
        let stage = serde_json::to_value(index.stage)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let changed = self.run(
            "INSERT INTO orders (id, seq, stage, customer, placed_at, window_earliest,
                   window_latest, tags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, stage = excluded.stage,
                   window_earliest = excluded.window_earliest,
                   window_latest = excluded.window_latest, tags = excluded.tags
                 WHERE excluded.seq > orders.seq",
            vec![
                text_value(index.order.as_str()),
                SqlStorageValue::from(i64::try_from(index.seq).unwrap_or(i64::MAX)),
                text_value(stage),
                text_value(index.customer.as_str()),
                SqlStorageValue::from(index.placed_at.unix_seconds()),
                earliest.into(),
                latest.into(),
                text_value(index.tags.join(",")),
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
        http::json(&json!({ "indexed": changed > 0 }), 200)
    }

    fn is_tracked(&self, order: &OrderId) -> Result<bool, EdgeError> {
        let rows: Vec<Row<i64>> = self.rows(
            "SELECT COUNT(*) AS value FROM orders WHERE id = ?",
            vec![text_value(order.as_str())],
        )?;
        Ok(rows.first().is_some_and(|row| row.value > 0))
    }

    fn waiting_orders(&self, sku: &Sku) -> Result<Vec<OrderId>, EdgeError> {
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
    async fn fan_out(&self, shop: &ShopId, sku: &Sku, event: Event) -> Result<usize, EdgeError> {
        let orders = self.waiting_orders(sku)?;
        if orders.is_empty() {
            return Ok(0);
        }
        let key = format!("fan/{}", crypto::random_hex(12)?);
        let policy = self.raw_policy()?;
        let jobs: Vec<Job> = orders
            .chunks(jobs::FAN_OUT_BATCH)
            .map(|chunk| {
                Job::FanOut(FanOutJob {
                    key: key.clone(),
                    shop: shop.clone(),
                    policy: policy.clone(),
                    event: event.clone(),
                    orders: chunk.to_vec(),
                })
            })
            .collect();
        jobs::send_fan_out(&self.env, jobs).await?;
        Ok(orders.len())
    }

    /// Stock arrived: the product is in stock, every waiting order hears it,
    /// and a delivery with a promised date is learnt into the history.
    async fn restock(
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
        self.fan_out(shop, sku, Event::StockArrived { sku: sku.clone() })
            .await
    }

    async fn window_changed(
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
    }

    /// The policy's alternatives that are in stock now.
    fn in_stock_alternatives(&self) -> Result<Vec<Sku>, EdgeError> {
        let mut in_stock = Vec::new();
        for alternative in self.raw_policy()?.alternatives {
            if matches!(
                self.product(&alternative.sku)?,
                Some(ProductSetting::InStock)
            ) {
                in_stock.push(alternative.sku);
            }
        }
        Ok(in_stock)
    }

    // ---- webhooks ---------------------------------------------------------------

    async fn webhook(&self, mut req: Request, source: Source) -> Result<Response, EdgeError> {
        let body = http::body_bytes(&mut req, MAX_WEBHOOK_BYTES).await?;
        let header = |name: &str| req.headers().get(name).ok().flatten();
        // WooCommerce pings a new webhook with an unsigned form post, and
        // shows an error unless it gets exactly 200. It changes nothing.
        if source == Source::WooCommerce
            && header("X-WC-Webhook-Signature").is_none()
            && body.starts_with(b"webhook_id=")
        {
            return http::json(&json!({ "ok": true, "ping": true }), 200);
        }
        let secret = self
            .setting(&format!("secret:{}", source.as_str()))?
            .ok_or(EdgeError::BadSignature("no secret is set for this source"))?;
        let (topic, key) = match source {
            Source::Shopify => {
                let signature = header("X-Shopify-Hmac-Sha256")
                    .ok_or(EdgeError::BadSignature("X-Shopify-Hmac-Sha256 is missing"))?;
                if !crypto::verify_base64_body_hmac(&secret, &body, &signature) {
                    return Err(EdgeError::BadSignature(
                        "X-Shopify-Hmac-Sha256 does not match",
                    ));
                }
                (header("X-Shopify-Topic").unwrap_or_default(), None)
            }
            Source::WooCommerce => {
                let signature = header("X-WC-Webhook-Signature")
                    .ok_or(EdgeError::BadSignature("X-WC-Webhook-Signature is missing"))?;
                let key = wp_specialchars_decode(&secret);
                if !crypto::verify_base64_body_hmac(&key, &body, &signature) {
                    return Err(EdgeError::BadSignature(
                        "X-WC-Webhook-Signature does not match",
                    ));
                }
                (header("X-WC-Webhook-Topic").unwrap_or_default(), None)
            }
            Source::Standard => {
                let (Some(id), Some(timestamp), Some(signature)) = (
                    header("webhook-id"),
                    header("webhook-timestamp"),
                    header("webhook-signature"),
                ) else {
                    return Err(EdgeError::BadSignature(
                        "webhook-id, webhook-timestamp and webhook-signature are required",
                    ));
                };
                crypto::verify_standard_webhook(
                    &secret,
                    &id,
                    &timestamp,
                    &signature,
                    &body,
                    clock::now().unix_seconds(),
                )
                .map_err(|refusal| match refusal {
                    crypto::StandardRefusal::Stale => {
                        EdgeError::BadSignature("webhook-timestamp is more than 5 minutes off")
                    }
                    crypto::StandardRefusal::BadTimestamp => {
                        EdgeError::BadSignature("webhook-timestamp is not a number of seconds")
                    }
                    crypto::StandardRefusal::NoValidSignature => {
                        EdgeError::BadSignature("no webhook-signature matches")
                    }
                })?;
                (String::new(), Some(format!("standard:{id}")))
            }
        };
        // Retries carry the original payload: the body names the delivery.
        let key = key
            .unwrap_or_else(|| format!("{}:{}", source.as_str(), &crypto::sha256_hex(&body)[..32]));
        let payload: Value = serde_json::from_slice(&body)
            .map_err(|err| EdgeError::InvalidBody(format!("not JSON: {err}")))?;
        let news = webhooks::read(source, &topic, &payload)
            .map_err(|unreadable| EdgeError::InvalidBody(unreadable.0))?;
        let shop = self.shop_id()?;
        let mut results = Vec::new();
        for item in news {
            results.push(self.take(&shop, item, &key).await?);
        }
        http::json(&json!({ "received": results }), 200)
    }

    /// Acts on one piece of news; returns a word for the store's log.
    async fn take(&self, shop: &ShopId, news: Inbound, key: &str) -> Result<String, EdgeError> {
        let today = clock::today();
        match news {
            Inbound::Order(draft) => self.place(shop, draft, key).await,
            Inbound::Cancelled { order } => {
                self.order_news(
                    shop,
                    &order,
                    News::Event {
                        event: Event::CancelledByStore,
                    },
                    key,
                )
                .await
            }
            Inbound::Processed { order } => {
                self.order_news(
                    shop,
                    &order,
                    News::Event {
                        event: Event::Processed,
                    },
                    key,
                )
                .await
            }
            Inbound::Shipped {
                order,
                carrier,
                tracking,
            } => {
                self.order_news(shop, &order, News::Ship { carrier, tracking }, key)
                    .await
            }
            Inbound::Delivered { order } => self.order_news(shop, &order, News::Deliver, key).await,
            Inbound::Restocked { sku } => {
                let Ok(sku) = Sku::parse(&sku) else {
                    return Ok("ignored: not a SKU we track".into());
                };
                self.restock_from_store(shop, &sku, today).await
            }
            Inbound::WindowChanged {
                sku,
                window,
                reason,
                fix,
            } => {
                let sku = parse_sku(&sku)?;
                let text = DelayText { reason, fix };
                text.check()?;
                if let Some(window) = window
                    && let Some(ProductSetting::Backorder {
                        window: Some(_),
                        reason,
                        ..
                    }) = self.product(&sku)?
                {
                    let setting = ProductSetting::Backorder {
                        window: Some(window),
                        supply: None,
                        reason,
                        confidence: None,
                    };
                    self.save_product(shop, &sku, &setting, None).await?;
                }
                let notified = self.window_changed(shop, &sku, window, text).await?;
                Ok(format!("window changed: {notified} orders told"))
            }
            Inbound::InventoryItem { item, sku } => {
                self.run(
                    "INSERT INTO inventory_items (item, sku) VALUES (?, ?)
                         ON CONFLICT(item) DO UPDATE SET sku = excluded.sku",
                    vec![text_value(item), text_value(sku)],
                )?;
                Ok("inventory item mapped".into())
            }
            Inbound::InventoryLevel { item, available } => {
                let rows: Vec<Row<String>> = self.rows(
                    "SELECT sku AS value FROM inventory_items WHERE item = ?",
                    vec![text_value(item)],
                )?;
                let sku = rows
                    .into_iter()
                    .next()
                    .and_then(|row| Sku::parse(&row.value).ok());
                match (sku, available) {
                    (Some(sku), Some(available)) if available > 0 => {
                        self.restock_from_store(shop, &sku, today).await
                    }
                    _ => Ok("ignored: no stock arrived for a known SKU".into()),
                }
            }
            Inbound::Ignored { topic } => Ok(format!("ignored: {topic}")),
        }
    }

    async fn restock_from_store(
        &self,
        shop: &ShopId,
        sku: &Sku,
        today: shared::Date,
    ) -> Result<String, EdgeError> {
        let old = self.product(sku)?;
        if !matches!(old, Some(ProductSetting::Backorder { .. })) {
            return Ok("ignored: not on backorder here".into());
        }
        self.save_product(shop, sku, &ProductSetting::InStock, None)
            .await?;
        let notified = self.restock(shop, sku, old.as_ref(), today).await?;
        Ok(format!("restocked: {notified} orders told"))
    }

    /// An order from the store: tracked if a line is on backorder here now.
    async fn place(
        &self,
        shop: &ShopId,
        draft: DraftOrder,
        key: &str,
    ) -> Result<String, EdgeError> {
        let order_id = parse_order(&draft.id)?;
        if self.is_tracked(&order_id)? {
            return Ok("known order".into());
        }
        let Some(new) = self.new_order(&order_id, &draft)? else {
            return Ok("not tracked: no line is on backorder".into());
        };
        let answer = self
            .command(
                shop,
                &order_id,
                News::Place {
                    order: new,
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
    fn new_order(&self, id: &OrderId, draft: &DraftOrder) -> Result<Option<NewOrder>, EdgeError> {
        let today = clock::today();
        let mut history = None;
        let mut lines: Vec<(Sku, u32, u64, Option<ShipWindow>)> = Vec::new();
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
        let lines_total: u128 = lines.iter().map(|line| u128::from(line.2)).sum();
        let mut new_lines = Vec::with_capacity(lines.len());
        let mut charged: u64 = 0;
        for (sku, quantity, total, window) in lines {
            // Scaled down when discounts outside the lines made the order
            // cheaper than its lines; never up.
            let total = if lines_total > u128::from(paid) {
                u64::try_from(u128::from(total) * u128::from(paid) / lines_total).unwrap_or(0)
            } else {
                total
            };
            let unit = total / u64::from(quantity);
            charged = charged.saturating_add(unit.saturating_mul(u64::from(quantity)));
            new_lines.push(NewLine {
                sku,
                quantity,
                unit_price_minor: unit,
                backorder: window,
            });
        }
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

    fn completed_backorders(&self, customer: &CustomerId) -> Result<u32, EdgeError> {
        let rows: Vec<Row<i64>> = self.rows(
            "SELECT COUNT(*) AS value FROM orders WHERE customer = ?
                   AND stage IN ('shipped', 'delivered')",
            vec![text_value(customer.as_str())],
        )?;
        Ok(rows
            .first()
            .map_or(0, |row| u32::try_from(row.value).unwrap_or(0)))
    }

    /// News for a tracked order goes to it; for an order not known yet it is
    /// kept, and replayed once the order is placed (webhooks arrive out of
    /// order). Untracked orders' news expires unused.
    async fn order_news(
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

    async fn replay_early_news(&self, shop: &ShopId, order: &OrderId) -> Result<(), EdgeError> {
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

    async fn command(
        &self,
        shop: &ShopId,
        order: &OrderId,
        news: News,
        key: &str,
    ) -> Result<Answer, EdgeError> {
        let command = Command {
            shop: shop.clone(),
            policy: self.raw_policy()?,
            news,
            key: Some(key.to_owned()),
        };
        let stub = jobs::order_stub(&self.env, shop, order)?;
        http::call_json(&stub, "/apply", &command).await
    }

    // ---- customers --------------------------------------------------------------

    fn check_link(&self, req: &Request, order: &OrderId) -> Result<ShopId, EdgeError> {
        let shop = self.shop_id().map_err(|_| EdgeError::InvalidLink)?;
        let token = http::query_param(req, "t").ok_or(EdgeError::InvalidLink)?;
        let secret = self.setting("link_secret")?.unwrap_or_default();
        if secret.is_empty() {
            return Err(EdgeError::InvalidLink);
        }
        links::verify(
            &secret,
            shop.as_str(),
            order.as_str(),
            &token,
            clock::now().unix_seconds(),
        )
        .map_err(|_| EdgeError::InvalidLink)?;
        Ok(shop)
    }

    async fn customer_view(&self, req: &Request, order: &OrderId) -> Result<Response, EdgeError> {
        let shop = self.check_link(req, order)?;
        let view = storage::order_view(&self.env, &shop, order)
            .await?
            .ok_or_else(|| EdgeError::UnknownOrder(order.to_string()))?;
        let mut response = Response::from_json(&view)?;
        response.headers_mut().set("Cache-Control", "no-store")?;
        Ok(response)
    }

    /// An order page's live connection: the link is checked here, and the
    /// WebSocket upgrade goes on to the order's own object, which pushes
    /// each new view to it.
    async fn live(&self, req: &Request, order: &OrderId) -> Result<Response, EdgeError> {
        let shop = self.check_link(req, order)?;
        let mut init = RequestInit::new();
        init.with_method(Method::Get)
            .with_headers(req.headers().clone());
        let upgrade = Request::new_with_init("https://internal/live", &init)?;
        let stub = jobs::order_stub(&self.env, &shop, order)?;
        Ok(stub.fetch_with_request(upgrade).await?)
    }

    async fn choose(&self, mut req: Request, order: &OrderId) -> Result<Response, EdgeError> {
        let shop = self.check_link(&req, order)?;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct ChoiceBody {
            offer: u32,
            choice: Choice,
        }
        let body: ChoiceBody = http::json_body(&mut req, MAX_SETTING_BYTES).await?;
        let view = self
            .apply_choice(&shop, order, body.offer, body.choice)
            .await?;
        http::json(&view, 200)
    }

    /// Records a customer's answer to an offer in the order's object; the
    /// view it produced, or why not.
    async fn apply_choice(
        &self,
        shop: &ShopId,
        order: &OrderId,
        offer: u32,
        choice: Choice,
    ) -> Result<Value, EdgeError> {
        let command = Command {
            shop: shop.clone(),
            policy: self.raw_policy()?,
            news: News::Event {
                event: Event::Chose {
                    offer: shared::lifecycle::OfferId(offer),
                    choice,
                },
            },
            key: None,
        };
        let stub = jobs::order_stub(&self.env, shop, order)?;
        let answer: Answer = http::call_json(&stub, "/apply", &command).await?;
        match (answer.outcome, answer.rejection) {
            (Outcome::Rejected, Some(rejection)) => Err(match rejection.code.as_str() {
                "already_chose" => EdgeError::AlreadyChosen {
                    chosen: rejection.chosen.unwrap_or(Value::Null),
                },
                "unknown_order" => EdgeError::UnknownOrder(order.to_string()),
                "not_offered" => EdgeError::NotOffered(rejection.message),
                _ => EdgeError::OfferClosed(rejection.message),
            }),
            _ => Ok(serde_json::to_value(&answer.view).unwrap_or(Value::Null)),
        }
    }

    // ---- the mail outbox and the action list -------------------------------

    fn endpoint(&self) -> Result<Option<Endpoint>, EdgeError> {
        Ok(self
            .setting("endpoint")?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }

    fn action_state(&self, key: &str) -> Result<Option<ActionState>, EdgeError> {
        let rows: Vec<ActionState> = self.rows(
            "SELECT state, attempts FROM actions WHERE key = ?",
            vec![text_value(key)],
        )?;
        Ok(rows.into_iter().next())
    }

    fn claim_action(&self, action: &ActionJob) -> Result<Response, EdgeError> {
        let now = clock::now().unix_seconds();
        self.run(
            "INSERT OR IGNORE INTO actions (key, order_id, kind, body, state, attempts,
                   created_at, updated_at) VALUES (?, ?, ?, ?, 'pending', 0, ?, ?)",
            vec![
                text_value(action.key.as_str()),
                text_value(action.order.as_str()),
                text_value(jobs::action_kind(&action.effect)),
                text_value(to_text(&action.effect)?),
                SqlStorageValue::from(now),
                SqlStorageValue::from(now),
            ],
        )?;
        let state = self
            .action_state(&action.key)?
            .map_or_else(|| "pending".to_owned(), |s| s.state);
        http::json(
            &ActionClaim {
                state,
                endpoint: self.endpoint()?,
            },
            200,
        )
    }

    fn action_result(&self, result: &ActionResult) -> Result<Response, EdgeError> {
        let now = clock::now().unix_seconds();
        let max = i64::from(jobs::MAX_ACTION_ATTEMPTS);
        self.run(
            "UPDATE actions SET attempts = attempts + 1, updated_at = ?, last_error = ?,
                   state = CASE WHEN ? THEN 'done' WHEN attempts + 1 >= ? THEN 'failed'
                                ELSE 'pending' END
                 WHERE key = ? AND state = 'pending'",
            vec![
                SqlStorageValue::from(now),
                result.error.clone().into(),
                // An integer: a JS boolean binding is not truthy in SQL here.
                SqlStorageValue::from(i64::from(result.ok)),
                SqlStorageValue::from(max),
                text_value(result.key.as_str()),
            ],
        )?;
        let state = self.action_state(&result.key)?.unwrap_or(ActionState {
            state: "failed".into(),
            attempts: 0,
        });
        http::json(&state, 200)
    }

    fn list_actions(&self, req: &Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        struct ActionRow {
            key: String,
            order_id: String,
            kind: String,
            body: String,
            state: String,
            attempts: i64,
            last_error: Option<String>,
            created_at: i64,
        }
        let state = http::query_param(req, "state");
        if let Some(state) = &state
            && !["pending", "done", "failed"].contains(&state.as_str())
        {
            return Err(invalid("state", "one of pending, done, failed"));
        }
        let rows: Vec<ActionRow> = self.rows(
            "SELECT key, order_id, kind, body, state, attempts, last_error, created_at
                 FROM actions WHERE (? IS NULL OR state = ?) ORDER BY created_at, key",
            vec![state.clone().into(), state.into()],
        )?;
        let actions: Vec<Value> = rows
            .into_iter()
            .map(|row| {
                json!({
                    "key": row.key, "order": row.order_id, "kind": row.kind,
                    "action": serde_json::from_str::<Value>(&row.body).unwrap_or(Value::Null),
                    "state": row.state, "attempts": row.attempts,
                    "last_error": row.last_error, "created_at": row.created_at,
                })
            })
            .collect();
        http::json(&json!({ "actions": actions }), 200)
    }

    fn list_orders(&self, req: &Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        struct OrderRow {
            id: String,
            stage: String,
            customer: String,
            placed_at: i64,
            window_earliest: Option<String>,
            window_latest: Option<String>,
            tags: String,
        }
        let stage = http::query_param(req, "stage");
        let tag = http::query_param(req, "tag");
        let rows: Vec<OrderRow> = self.rows(
            "SELECT id, stage, customer, placed_at, window_earliest, window_latest, tags
                 FROM orders WHERE (? IS NULL OR stage = ?)
                   AND (? IS NULL OR (',' || tags || ',') LIKE ('%,' || ? || ',%'))
                 ORDER BY placed_at, id",
            vec![
                stage.clone().into(),
                stage.into(),
                tag.clone().into(),
                tag.into(),
            ],
        )?;
        if http::query_param(req, "format").as_deref() == Some("csv") {
            let mut csv =
                String::from("order,stage,customer,placed_at,window_earliest,window_latest,tags\n");
            for row in &rows {
                let placed = shared::Timestamp::from_unix_seconds(row.placed_at);
                csv.push_str(&format!(
                    "{},{},{},{},{},{},\"{}\"\n",
                    row.id,
                    row.stage,
                    row.customer,
                    placed,
                    row.window_earliest.as_deref().unwrap_or_default(),
                    row.window_latest.as_deref().unwrap_or_default(),
                    row.tags.replace('"', "\"\""),
                ));
            }
            let mut response = Response::ok(csv)?;
            response
                .headers_mut()
                .set("Content-Type", "text/csv; charset=utf-8")?;
            return Ok(response);
        }
        let orders: Vec<Value> = rows
            .into_iter()
            .map(|row| {
                json!({
                    "order": row.id, "stage": row.stage, "customer": row.customer,
                    "placed_at": shared::Timestamp::from_unix_seconds(row.placed_at).to_string(),
                    "window": row.window_earliest.zip(row.window_latest)
                        .map(|(earliest, latest)| json!({"earliest": earliest, "latest": latest})),
                    "tags": row.tags.split(',').filter(|t| !t.is_empty()).collect::<Vec<_>>(),
                })
            })
            .collect();
        http::json(&json!({ "orders": orders }), 200)
    }
}

/// Days within which an order must ship when no time was stated
/// (16 CFR 435.1(a)(1)).
const NO_STATED_TIME_DAYS: i64 = 30;

fn default_window(today: shared::Date) -> Option<ShipWindow> {
    let earliest = today.add_days(1)?;
    let latest = today.add_days(NO_STATED_TIME_DAYS)?;
    ShipWindow::new(earliest, latest).ok()
}

/// What happened and what is done about it, for a window change.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DelayText {
    reason: String,
    fix: String,
}

impl DelayText {
    fn better_news() -> DelayText {
        DelayText {
            reason: "Our supplier gave us a new date.".into(),
            fix: "Nothing more is needed: your order ships within the new window.".into(),
        }
    }

    fn check(&self) -> Result<(), EdgeError> {
        for (field, text) in [("delay.reason", &self.reason), ("delay.fix", &self.fix)] {
            let count = text.trim().chars().count();
            if count == 0 || count > shared::lifecycle::MAX_TEXT_CHARS {
                return Err(invalid(
                    field,
                    format!("1 to {} characters", shared::lifecycle::MAX_TEXT_CHARS),
                ));
            }
            if shared::text::has_hidden_controls(text) {
                return Err(invalid(
                    field,
                    "must not hold control or bidi control characters",
                ));
            }
        }
        Ok(())
    }
}

fn to_text<T: Serialize>(value: &T) -> Result<String, EdgeError> {
    serde_json::to_string(value).map_err(|err| EdgeError::Internal(format!("serialising: {err}")))
}

fn parse_sku(sku: &str) -> Result<Sku, EdgeError> {
    Sku::parse(sku).map_err(|err| invalid("sku", err.to_string()))
}

fn parse_order(order: &str) -> Result<OrderId, EdgeError> {
    OrderId::parse(order).map_err(|err| invalid("order", err.to_string()))
}

/// WooCommerce keys its HMAC with `wp_specialchars_decode($secret,
/// ENT_QUOTES)`: the secret as typed in its admin, with these entities
/// decoded.
fn wp_specialchars_decode(secret: &str) -> String {
    secret
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#039;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

/// Webhook secrets as each source issues them.
fn check_secret(source: Source, secret: &str) -> Result<(), EdgeError> {
    if secret.is_empty() || secret.len() > 512 {
        return Err(invalid("secret", "1 to 512 characters"));
    }
    if source == Source::Standard && crypto::standard_webhooks_key(secret).is_none() {
        return Err(invalid(
            "secret",
            "a Standard Webhooks secret: whsec_ and base64",
        ));
    }
    Ok(())
}

/// A new API key: shown once, stored only as its SHA-256.
pub fn new_api_key() -> Result<String, EdgeError> {
    Ok(format!("bk_{}", crypto::random_hex(24)?))
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
}
