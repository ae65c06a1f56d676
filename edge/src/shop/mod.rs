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

mod access;
mod actions;
mod analytics;
mod banner;
mod customers;
mod dead;
mod desk;
mod faq;
mod flags;
mod history;
mod inbound;
mod mail;
mod orders;
mod pages;
mod products;
mod sql;
mod templates;
mod upkeep;
mod watchers;

use serde::Deserialize;
use serde_json::json;
use shared::lifecycle::{RawShopPolicy, ShopPolicy};
use shared::{OrderId, ShopId, Sku};
use worker::{DurableObject, Env, Method, Request, Response, State, durable_object};

use crate::calls::shop::{ActionResult, CreateShop, EmailReport, Taken};
use crate::calls::{ActionJob, EmailJob, ShopCall};
use crate::error::{EdgeError, invalid};
use crate::webhooks::Source;
use crate::{clock, crypto, http, logs};
use sql::to_text;

const MAX_WEBHOOK_BYTES: usize = 512 * 1024;
const MAX_SETTING_BYTES: usize = 16 * 1024;
/// A queue batch of emails or actions claimed or reported in one call: up
/// to 50 jobs, each email with its rendered copy when reported.
const MAX_EMAIL_BATCH_BYTES: usize = 16 * 1024 * 1024;
const MAX_DELIVERY_BYTES: usize = 256 * 1024;
const MAX_DELIVERY_RECORDS: usize = 1000;
/// A customer link made through the API lasts this long unless asked.
const DEFAULT_LINK_DAYS: i64 = 90;
/// Links signed with a rotated-out secret keep opening this long, unless
/// the merchant says otherwise when rotating.
const LINK_SECRET_GRACE_DAYS: i64 = 30;
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
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  requeued INTEGER NOT NULL DEFAULT 0, unreached INTEGER NOT NULL DEFAULT 0,
  tries INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS mails_by_state ON mails (state);
CREATE INDEX IF NOT EXISTS mails_by_order ON mails (order_id);
CREATE TABLE IF NOT EXISTS suppressed (address TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS templates (
  locale TEXT NOT NULL, name TEXT NOT NULL, source TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (locale, name));
CREATE TABLE IF NOT EXISTS restocks (
  sku TEXT PRIMARY KEY, key TEXT NOT NULL, at INTEGER NOT NULL, sweeps INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS actions (
  key TEXT PRIMARY KEY, order_id TEXT NOT NULL, kind TEXT NOT NULL, body TEXT NOT NULL,
  state TEXT NOT NULL, attempts INTEGER NOT NULL, last_error TEXT,
  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, deadline INTEGER);
CREATE TABLE IF NOT EXISTS product_names (sku TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS watchers (
  id TEXT PRIMARY KEY, sku TEXT NOT NULL, email TEXT NOT NULL, locale TEXT NOT NULL,
  state TEXT NOT NULL, asked_at INTEGER NOT NULL, confirmed_at INTEGER);
CREATE INDEX IF NOT EXISTS watchers_by_sku ON watchers (sku, state);
CREATE INDEX IF NOT EXISTS watchers_by_email ON watchers (email, asked_at);
CREATE TABLE IF NOT EXISTS pending_commands (
  id TEXT PRIMARY KEY, order_id TEXT NOT NULL, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS usage (
  month TEXT NOT NULL, what TEXT NOT NULL, n INTEGER NOT NULL, PRIMARY KEY (month, what));
CREATE TABLE IF NOT EXISTS order_facts (
  id TEXT PRIMARY KEY, customer INTEGER NOT NULL, placed TEXT NOT NULL, currency TEXT NOT NULL,
  total_minor INTEGER NOT NULL, backorder INTEGER NOT NULL, source TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS order_facts_by_placed ON order_facts (placed);
CREATE INDEX IF NOT EXISTS order_facts_by_customer
  ON order_facts (currency, customer, placed, id, total_minor, backorder);
CREATE TABLE IF NOT EXISTS deliveries (
  supplier TEXT NOT NULL, mode TEXT NOT NULL, promised TEXT NOT NULL, received TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stock (
  sku TEXT PRIMARY KEY, on_hand INTEGER NOT NULL, in_transit INTEGER, at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS order_lines (
  order_id TEXT NOT NULL, sku TEXT NOT NULL, units INTEGER NOT NULL, day TEXT NOT NULL,
  PRIMARY KEY (order_id, sku));
CREATE INDEX IF NOT EXISTS order_lines_by_day ON order_lines (day, sku, units);
CREATE TABLE IF NOT EXISTS product_supply (
  sku TEXT PRIMARY KEY, supplier TEXT NOT NULL, lead_time_days INTEGER);
CREATE TABLE IF NOT EXISTS dead_letters (
  letter TEXT PRIMARY KEY, kind TEXT NOT NULL, order_id TEXT, job TEXT NOT NULL,
  at INTEGER NOT NULL, replays INTEGER NOT NULL, replayed_at INTEGER);
";

/// The first moment of `day`'s month (UTC), in Unix seconds.
fn month_start(day: shared::Date) -> i64 {
    shared::Date::from_ymd(day.year(), day.month(), 1)
        .map_or(0, |first| shared::Timestamp::start_of(first).unix_seconds())
}

/// `YYYY-MM`, the month a usage count is kept under.
fn month_of(day: shared::Date) -> String {
    day.to_string().chars().take(7).collect()
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
        let sql = state.storage().sql();
        for schema in [SCHEMA, access::SCHEMA, desk::SCHEMA] {
            if let Err(err) = sql.exec(schema, None) {
                worker::console_error!("shop schema: {err}");
            }
        }
        // Columns added since a table was first made; SQLite has no
        // `ADD COLUMN IF NOT EXISTS`, and a second add fails harmlessly.
        for added in [
            "ALTER TABLE mails ADD COLUMN requeued INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE actions ADD COLUMN deadline INTEGER",
            "ALTER TABLE mails ADD COLUMN unreached INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE mails ADD COLUMN tries INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE orders ADD COLUMN facts TEXT",
            "ALTER TABLE orders ADD COLUMN settled_at INTEGER",
            "ALTER TABLE orders ADD COLUMN needs_decision INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE orders ADD COLUMN consent_by INTEGER",
            "ALTER TABLE orders ADD COLUMN chosen TEXT",
            // The console's list pages through orders oldest first.
            "CREATE INDEX IF NOT EXISTS orders_by_placed ON orders (placed_at, id)",
            "CREATE INDEX IF NOT EXISTS orders_by_stage ON orders (stage, placed_at, id)",
        ] {
            let _ = sql.exec(added, None);
        }
        Self { state, env }
    }

    async fn fetch(&self, req: Request) -> worker::Result<Response> {
        let changes = req.method() != Method::Get;
        if let Err(err) = self.count_request(&req) {
            worker::console_error!("counting a request: {err}");
        }
        let answer = self.route(req).await;
        // Whatever the request left to do later (an email, a restock) is
        // found by the sweep if its queue message is lost.
        if changes && let Err(err) = self.keep_sweep().await {
            worker::console_error!("scheduling the shop's sweep: {err}");
        }
        match answer {
            Ok(response) => Ok(response),
            Err(err) => err.into_response(),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let started = logs::start();
        let outcome = match self.wake().await {
            Ok(()) => "done",
            Err(err) => {
                worker::console_error!("shop alarm: {err}");
                let _ = self.state.storage().set_alarm(products::RETRY_MS).await;
                "retry"
            }
        };
        let shop = self.setting("shop").ok().flatten();
        logs::Line {
            kind: "alarm",
            what: "shop",
            shop: shop.as_deref(),
            order: None,
            outcome,
            ms: 0,
        }
        .write(started);
        Response::ok("")
    }
}

impl ShopRecords {
    /// Counts each request to this object by kind, per month (UTC): what
    /// the shop costs on the platform (`scripts/cost`) and how often the
    /// fan-out calls it (the fan-out benchmark) are read from these.
    fn count_request(&self, req: &Request) -> Result<(), EdgeError> {
        let path = req.path();
        let what = match ShopCall::parse(&path) {
            Some(call) => call.path().trim_start_matches("/internal/"),
            None if path.contains("/webhooks/") => "webhook",
            None => "api",
        };
        self.run(
            "INSERT INTO usage (month, what, n) VALUES (?, ?, 1)
             ON CONFLICT(month, what) DO UPDATE SET n = n + 1",
            vec![
                sql::text_value(month_of(clock::today())),
                sql::text_value(what),
            ],
        )?;
        Ok(())
    }

    /// Backorder orders placed since `since` (Unix seconds).
    fn orders_since(&self, since: i64) -> Result<i64, EdgeError> {
        #[derive(Deserialize)]
        struct Count {
            n: i64,
        }
        let rows: Vec<Count> = self.rows(
            "SELECT COUNT(*) AS n FROM orders WHERE placed_at >= ?",
            vec![since.into()],
        )?;
        Ok(rows.first().map_or(0, |row| row.n))
    }

    fn shop_id(&self) -> Result<ShopId, EdgeError> {
        let Some(shop) = self.setting("shop")? else {
            return Err(EdgeError::Unauthorized);
        };
        ShopId::parse(&shop).map_err(|err| EdgeError::Internal(format!("stored shop id: {err}")))
    }

    /// The policy as the merchant wrote it (what `GET …/policy` shows).
    fn raw_policy(&self) -> Result<RawShopPolicy, EdgeError> {
        match self.setting("policy")? {
            Some(text) => serde_json::from_str(&text)
                .map_err(|err| EdgeError::Internal(format!("stored policy: {err}"))),
            None => Ok(RawShopPolicy::default()),
        }
    }

    /// The policy as the lifecycle takes it, parsed once when it was set
    /// (a shop that set it before that is parsed here, as it was).
    fn policy(&self) -> Result<ShopPolicy, EdgeError> {
        if let Some(text) = self.setting("parsed_policy")? {
            return serde_json::from_str(&text)
                .map_err(|err| EdgeError::Internal(format!("stored parsed policy: {err}")));
        }
        ShopPolicy::parse(self.raw_policy()?)
            .map_err(|err| EdgeError::Internal(format!("stored policy is invalid: {err}")))
    }

    async fn route(&self, mut req: Request) -> Result<Response, EdgeError> {
        if let Some(call) = ShopCall::parse(&req.path()) {
            return match req.method() {
                Method::Post => self.internal(call, &mut req).await,
                _ => Err(EdgeError::MethodNotAllowed),
            };
        }
        let segments = http::segments(&req);
        let parts: Vec<&str> = segments.iter().map(String::as_str).collect();
        let method = req.method();
        // A customer's routes carry their own proof (the link's token).
        if let Some(answer) = self.customer_routes(&method, &parts, &mut req).await {
            return answer;
        }
        // A shopper asking to hear of a product, and the links of those emails.
        if let Some(answer) = self.watcher_routes(&method, &parts, &mut req).await {
            return answer;
        }
        // The FAQ is public: a help centre shows it to anyone.
        if let (Method::Get, ["v1", "shops", _, "faq"]) = (&method, parts.as_slice()) {
            return self.faq(&req, &self.shop_id()?);
        }
        if let (Method::Post, ["v1", "shops", _, "webhooks", source]) = (&method, parts.as_slice())
        {
            let source = Source::parse(source).ok_or(EdgeError::NotFound)?;
            return self.webhook(req, source).await;
        }
        let caller = self.caller(&req)?;
        let shop = self.shop_id()?;
        let rest = parts.get(3..).unwrap_or_default();
        self.check_role(&caller, &method, rest)?;
        let what = format!("{method} /{}", rest.join("/"));
        let answer = match self
            .access_routes(&method, &parts, &mut req, &shop, &caller)
            .await
        {
            Some(answer) => answer,
            None => match self
                .desk_routes(&method, &parts, &mut req, &shop, &caller)
                .await
            {
                Some(answer) => answer,
                None => self.merchant(method.clone(), &parts, req, shop).await,
            },
        };
        // Every change that was made goes into the audit log; a refused
        // one changed nothing. (A draft's preview is a POST that keeps nothing.)
        if let Ok(response) = &answer
            && method != Method::Get
            && rest != ["emails", "preview"]
            && response.status_code() < 400
        {
            self.audit(&caller, &what, response.status_code())?;
        }
        answer
    }

    /// The worker's own calls (see `calls/`): never forwarded from outside.
    async fn internal(&self, call: ShopCall, req: &mut Request) -> Result<Response, EdgeError> {
        match call {
            ShopCall::Create => self.create(http::json_body(req, MAX_SETTING_BYTES).await?),
            ShopCall::Index => {
                let taken: Taken = http::json_body(req, MAX_WEBHOOK_BYTES).await?;
                http::json(
                    &self.keep(&taken.orders, &taken.emails, &taken.actions)?,
                    200,
                )
            }
            ShopCall::ClaimEmails => {
                let jobs: Vec<EmailJob> = http::json_body(req, MAX_EMAIL_BATCH_BYTES).await?;
                self.claim_emails(&jobs)
            }
            ShopCall::ReportEmails => {
                let reports: Vec<EmailReport> = http::json_body(req, MAX_EMAIL_BATCH_BYTES).await?;
                self.report_emails(&reports)
            }
            ShopCall::ClaimActions => {
                let actions: Vec<ActionJob> = http::json_body(req, MAX_EMAIL_BATCH_BYTES).await?;
                self.claim_actions(&actions)
            }
            ShopCall::ActionResults => {
                let results: Vec<ActionResult> =
                    http::json_body(req, MAX_EMAIL_BATCH_BYTES).await?;
                self.action_results(&results)
            }
            ShopCall::DeadLetter => {
                self.dead_letter(&http::json_body(req, MAX_WEBHOOK_BYTES * 4).await?)
            }
        }
    }

    /// The merchant's back-office routes, all behind the shop's API key:
    /// the shop's own settings here, each room's routes in its file.
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
        if let Some(answer) = self.product_routes(&method, parts, &mut req, &shop).await {
            return answer;
        }
        if let Some(answer) = self.order_routes(&method, parts, &mut req, &shop).await {
            return answer;
        }
        if let Some(answer) = self.action_routes(&method, parts, &mut req).await {
            return answer;
        }
        if let Some(answer) = self.dead_letter_routes(&method, parts, &mut req).await {
            return answer;
        }
        if let Some(answer) = self.analytics_routes(&method, parts, &mut req).await {
            return answer;
        }
        if let Some(answer) = self.flag_routes(&method, parts, &mut req).await {
            return answer;
        }
        match (method, parts) {
            (Method::Get, ["v1", "shops", _]) => self.summary(&shop),
            (Method::Post, ["v1", "shops", _, "api-key"]) => self.rotate_key(),
            (Method::Post, ["v1", "shops", _, "link-secret"]) => {
                self.rotate_link_secret(&mut req).await
            }
            (Method::Get, ["v1", "shops", _, "policy"]) => http::json(&self.raw_policy()?, 200),
            (Method::Put, ["v1", "shops", _, "policy"]) => self.put_policy(&mut req, &shop).await,
            (Method::Put, ["v1", "shops", _, "webhook-secrets", source]) => {
                let source = Source::parse(source).ok_or(EdgeError::NotFound)?;
                self.put_webhook_secret(&mut req, source).await
            }
            (
                _,
                ["v1", "shops", _]
                | ["v1", "shops", _, "api-key" | "link-secret" | "policy"]
                | ["v1", "shops", _, "webhook-secrets", _],
            ) => Err(EdgeError::MethodNotAllowed),
            _ => Err(EdgeError::NotFound),
        }
    }

    async fn put_policy(&self, req: &mut Request, shop: &ShopId) -> Result<Response, EdgeError> {
        let raw: RawShopPolicy = http::json_body(req, MAX_SETTING_BYTES).await?;
        let policy = ShopPolicy::parse(raw.clone()).map_err(|err| EdgeError::InvalidInput {
            field: err.field,
            reason: err.reason,
        })?;
        self.set_setting("policy", &to_text(&raw)?)?;
        self.set_setting("parsed_policy", &to_text(&policy)?)?;
        // The shop's language is public: pages that name none use it.
        self.publish_front(shop).await?;
        http::json(&policy, 200)
    }

    async fn put_webhook_secret(
        &self,
        req: &mut Request,
        source: Source,
    ) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Secret {
            secret: String,
        }
        let body: Secret = http::json_body(req, MAX_SETTING_BYTES).await?;
        inbound::check_secret(source, &body.secret)?;
        self.set_setting(&format!("secret:{}", source.as_str()), &body.secret)?;
        Ok(Response::empty()?.with_status(204))
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
                "orders_this_month": self.orders_since(month_start(clock::today()))?,
                "requests_this_month": self.counts(&format!(
                    "SELECT what AS name, n FROM usage WHERE month = '{}'",
                    month_of(clock::today())
                ))?,
            }),
            200,
        )
    }

    /// `POST …/api-key`: a new key, shown once; the old one and every
    /// console session end now.
    fn rotate_key(&self) -> Result<Response, EdgeError> {
        let key = new_api_key()?;
        self.set_setting("api_key_hash", &crypto::sha256_hex(key.as_bytes()))?;
        self.end_all_sessions()?;
        http::json(&json!({ "api_key": key }), 200)
    }

    /// `POST …/link-secret [{"grace_days": 0..=90}]`: a new secret for
    /// customer links. Links the old one signed (in emails already sent)
    /// keep opening for `grace_days` (30 unless said; 0 ends them now, for
    /// a leaked secret), and the answer says until when.
    async fn rotate_link_secret(&self, req: &mut Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Rotation {
            grace_days: Option<u8>,
        }
        let body = http::body_bytes(req, MAX_SETTING_BYTES).await?;
        let grace_days = match body.is_empty() {
            true => None,
            false => http::from_json_text::<Rotation>(&body)?.grace_days,
        }
        .map_or(LINK_SECRET_GRACE_DAYS, i64::from);
        if grace_days > DEFAULT_LINK_DAYS {
            return Err(invalid(
                "grace_days",
                format!("0 to {DEFAULT_LINK_DAYS} days"),
            ));
        }
        let old = self.setting("link_secret")?.unwrap_or_default();
        let until = clock::now().plus_days(grace_days).unix_seconds();
        self.set_setting("previous_link_secret", &old)?;
        self.set_setting("previous_link_secret_until", &until.to_string())?;
        let secret = crypto::random_hex(32)?;
        self.set_setting("link_secret", &secret)?;
        http::json(
            &json!({ "link_secret": secret, "previous_valid_until": until }),
            200,
        )
    }

    /// The secrets a customer link may be signed with now: the current one,
    /// and the one before it while its grace lasts.
    fn link_secrets(&self) -> Result<Vec<String>, EdgeError> {
        let mut secrets: Vec<String> = self.setting("link_secret")?.into_iter().collect();
        let until: i64 = self
            .setting("previous_link_secret_until")?
            .and_then(|text| text.parse().ok())
            .unwrap_or(0);
        if clock::now().unix_seconds() < until {
            secrets.extend(self.setting("previous_link_secret")?);
        }
        secrets.retain(|secret| !secret.is_empty());
        Ok(secrets)
    }
}

fn parse_sku(sku: &str) -> Result<Sku, EdgeError> {
    Sku::parse(sku).map_err(|err| invalid("sku", err.to_string()))
}

fn parse_order(order: &str) -> Result<OrderId, EdgeError> {
    OrderId::parse(order).map_err(|err| invalid("order", err.to_string()))
}

/// A new API key: shown once, stored only as its SHA-256.
pub fn new_api_key() -> Result<String, EdgeError> {
    Ok(format!("bk_{}", crypto::random_hex(24)?))
}
