//! Shoppers who asked to be told when a sold-out product is back: a form on
//! the product page asks (`POST …/products/{sku}/watchers`), an email with a
//! link confirms (double opt-in), and when the product is in stock again
//! every confirmed watcher gets one email, through the same mail pipeline as
//! an order's. Every email has a way to stop the watch. A watcher is keyed
//! by a hash of the product and the address; the address itself stays in
//! this object and its email log, never in KV or a log line.

use serde::Deserialize;
use serde_json::json;
use shared::lifecycle::{Email, Locale};
use shared::{OrderId, ProductSetting, Sku};
use worker::{Method, Request, Response};

use super::pages::{Form, self_url};
use super::sql::{Row, text_value};
use super::{MAX_SETTING_BYTES, ShopRecords, invalid, parse_sku};
use crate::calls::queue::{self, EmailJob, Job};
use crate::error::EdgeError;
use crate::mail::render::{self, say};
use crate::webhooks::Contact;
use crate::{clock, crypto, http};

/// A watch's confirmation is emailed at most once in this long.
const ASK_AGAIN_SECS: i64 = 15 * 60;
/// At most this many confirmations a day go to one address, over every
/// product, so that the form cannot be used to flood someone's inbox.
const MAX_ASKS_PER_ADDRESS_A_DAY: i64 = 5;

/// Where a watch is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum WatchState {
    /// Asked; the confirmation email is out.
    Asked,
    /// Confirmed: told once when the product is back.
    Watching,
    /// Told: the back-in-stock email is queued or sent.
    Told,
    /// Stopped by its reader.
    Stopped,
}

impl WatchState {
    fn code(self) -> &'static str {
        match self {
            WatchState::Asked => "asked",
            WatchState::Watching => "watching",
            WatchState::Told => "told",
            WatchState::Stopped => "stopped",
        }
    }
}

#[derive(Deserialize)]
struct Watcher {
    id: String,
    sku: String,
    email: String,
    locale: String,
    state: String,
    asked_at: i64,
    confirmed_at: Option<i64>,
}

const WATCHER_COLUMNS: &str = "id, sku, email, locale, state, asked_at, confirmed_at";

impl ShopRecords {
    /// The public routes of watches: `None` when the path is not one.
    pub(super) async fn watcher_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
    ) -> Option<Result<Response, EdgeError>> {
        match (method, parts) {
            (Method::Post, ["v1", "shops", _, "products", sku, "watchers"]) => {
                Some(self.ask_to_watch(req, sku).await)
            }
            (_, ["v1", "shops", _, "products", _, "watchers"]) => {
                Some(Err(EdgeError::MethodNotAllowed))
            }
            (
                _,
                [
                    "v1",
                    "shops",
                    _,
                    "watchers",
                    id,
                    action @ ("confirm" | "unsubscribe"),
                ],
            ) => Some(self.watcher_page(req, id, action).await),
            _ => None,
        }
    }

    /// `POST …/products/{sku}/watchers {"email", "lang"}` (JSON, or the form
    /// of a page without scripts): for a product that cannot be ordered now,
    /// emails the address a link to confirm. The answer is the same whether
    /// an email went, the limits held it back or the address already
    /// watches: it says nothing about anyone's address.
    async fn ask_to_watch(&self, req: &mut Request, sku: &str) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Ask {
            email: String,
            #[serde(default, deserialize_with = "shared::present")]
            lang: Option<String>,
        }
        let sku = parse_sku(sku)?;
        let ask: Ask = http::json_body(req, MAX_SETTING_BYTES).await?;
        let email = crate::mail::plain_mailbox(&ask.email)
            .map_err(|why| invalid("email", why))?
            .to_lowercase();
        let locale = match ask.lang.as_deref() {
            None => self.policy()?.locale(),
            Some(tag) => Locale::from_tag(tag)
                .ok_or_else(|| invalid("lang", "a language the shop writes: en, it or ar"))?,
        };
        match self.product(&sku)? {
            Some(ProductSetting::Unavailable {}) => {}
            Some(_) => {
                return Err(invalid(
                    "sku",
                    "the product can be ordered now: there is nothing to wait for",
                ));
            }
            None => {
                return Err(EdgeError::UnknownProduct {
                    sku: sku.to_string(),
                });
            }
        }
        self.ask(&sku, &email, locale).await?;
        let t = render::catalog(locale);
        http::json(
            &json!({ "status": "accepted", "message": say(&t, "notify.sent") }),
            202,
        )
    }

    async fn ask(&self, sku: &Sku, email: &str, locale: Locale) -> Result<(), EdgeError> {
        let now = clock::now().unix_seconds();
        let id = self.watcher_id(sku, email)?;
        let known = self.watcher(id.as_str())?;
        if known.as_ref().is_some_and(|watcher| {
            watcher.state == WatchState::Watching.code()
                || (watcher.state == WatchState::Asked.code()
                    && now - watcher.asked_at < ASK_AGAIN_SECS)
        }) {
            return Ok(());
        }
        let asked_today: Vec<Row<i64>> = self.rows(
            "SELECT COUNT(*) AS value FROM watchers WHERE email = ? AND asked_at > ?",
            vec![text_value(email), (now - 86_400).into()],
        )?;
        if asked_today
            .first()
            .is_some_and(|row| row.value >= MAX_ASKS_PER_ADDRESS_A_DAY)
        {
            return Ok(());
        }
        self.run(
            "INSERT INTO watchers (id, sku, email, locale, state, asked_at) VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT(id) DO UPDATE SET locale = excluded.locale, state = excluded.state,
                 asked_at = excluded.asked_at, confirmed_at = NULL",
            vec![
                text_value(id.as_str()),
                text_value(sku.as_str()),
                text_value(email),
                text_value(locale.code()),
                text_value(WatchState::Asked.code()),
                now.into(),
            ],
        )?;
        let job = self.watcher_job(
            &id,
            email,
            locale,
            format!("{id}/confirm/{now}"),
            Email::WatchConfirm { sku: sku.clone() },
            self.names_of(sku)?,
        )?;
        self.record_email(&job, now)?;
        queue::send(&self.env, &Job::Email(job)).await
    }

    /// A product came back: every confirmed watcher of it is told, once.
    /// Each email is in the log (and so found again by the sweep if its
    /// queue message is lost) before the watch is marked told.
    pub(super) async fn tell_watchers(&self, sku: &Sku) -> Result<usize, EdgeError> {
        let watchers: Vec<Watcher> = self.rows(
            &format!("SELECT {WATCHER_COLUMNS} FROM watchers WHERE sku = ? AND state = ?"),
            vec![
                text_value(sku.as_str()),
                text_value(WatchState::Watching.code()),
            ],
        )?;
        let now = clock::now().unix_seconds();
        let names = self.names_of(sku)?;
        let mut jobs = Vec::with_capacity(watchers.len());
        for watcher in &watchers {
            let id = OrderId::parse(&watcher.id)
                .map_err(|err| EdgeError::Internal(format!("stored watcher id: {err}")))?;
            let locale = Locale::from_tag(&watcher.locale).unwrap_or(Locale::En);
            let job = self.watcher_job(
                &id,
                &watcher.email,
                locale,
                // One per confirmed watch: asking again later is a new one.
                format!("{}/back/{}", watcher.id, watcher.confirmed_at.unwrap_or(0)),
                Email::BackInStock { sku: sku.clone() },
                names.clone(),
            )?;
            self.record_email(&job, now)?;
            self.run(
                "UPDATE watchers SET state = ? WHERE id = ?",
                vec![
                    text_value(WatchState::Told.code()),
                    text_value(watcher.id.as_str()),
                ],
            )?;
            jobs.push(Job::Email(job));
        }
        let told = jobs.len();
        queue::send_all(&self.env, jobs).await?;
        Ok(told)
    }

    /// `…/watchers/{id}/confirm` and `…/watchers/{id}/unsubscribe`, behind a
    /// signed link: GET shows what the button does; only its POST (or a mail
    /// client's RFC 8058 one-click POST) changes anything.
    async fn watcher_page(
        &self,
        req: &mut Request,
        id: &str,
        action: &str,
    ) -> Result<Response, EdgeError> {
        let Ok(id) = OrderId::parse(id) else {
            let locale = self.page_locale(req);
            return self.invalid_watch_link_page(locale, &render::catalog(locale));
        };
        let (locale, t, shop) = self.behind_link(req, &id);
        let Some(shop) = shop else {
            return self.invalid_watch_link_page(locale, &t);
        };
        let Some(watcher) = self.watcher(id.as_str())? else {
            return self.invalid_watch_link_page(locale, &t);
        };
        let shop_name = self.shop_name(&shop)?;
        let product = self.product_name(&watcher.sku)?;
        let token = http::query_param(req, "t").unwrap_or_default();
        let self_url = self_url(&token, locale);
        let rtl = render::is_rtl(locale.code());
        let about = |key: &str| render::fill_str(&say(&t, key), &[("product", &product)], rtl);
        let (title, message, forms) = match (req.method(), action) {
            (Method::Get, "confirm") => (
                say(&t, "page.watch_confirm_title"),
                Some(about("watch_confirm.headline")),
                vec![Form {
                    what: None,
                    label: say(&t, "page.watch_confirm_title"),
                    terms: about("watch_confirm.body"),
                    action: self_url,
                    fields: Vec::new(),
                    button: say(&t, "watch_confirm.button"),
                }],
            ),
            (Method::Post, "confirm") => {
                let _ = req.bytes().await;
                self.confirm_watch(&watcher)?;
                (
                    say(&t, "page.watch_confirm_title"),
                    Some(about("page.watch_confirmed")),
                    Vec::new(),
                )
            }
            (Method::Get, "unsubscribe") => (
                say(&t, "page.unsubscribe_title"),
                None,
                vec![Form {
                    what: None,
                    label: say(&t, "page.unsubscribe_title"),
                    terms: about("page.watch_stopped"),
                    action: self_url,
                    fields: Vec::new(),
                    button: say(&t, "page.unsubscribe_button"),
                }],
            ),
            (Method::Post, "unsubscribe") => {
                // A mail client posts `List-Unsubscribe=One-Click`; the
                // page's button an empty form: both stop the watch.
                let _ = req.bytes().await;
                self.run(
                    "UPDATE watchers SET state = ? WHERE id = ?",
                    vec![
                        text_value(WatchState::Stopped.code()),
                        text_value(id.as_str()),
                    ],
                )?;
                (
                    say(&t, "page.unsubscribed"),
                    Some(about("page.watch_stopped")),
                    Vec::new(),
                )
            }
            _ => return Err(EdgeError::MethodNotAllowed),
        };
        self.page(&shop_name, locale, &title, message, forms, None, 200)
    }

    /// Confirms an asked watch; a watch already confirmed or told stays as
    /// it is, and a stopped one is not brought back by an old link.
    fn confirm_watch(&self, watcher: &Watcher) -> Result<(), EdgeError> {
        if watcher.state != WatchState::Asked.code() {
            return Ok(());
        }
        let now = clock::now().unix_seconds();
        self.run(
            "UPDATE watchers SET state = ?, confirmed_at = ? WHERE id = ? AND state = ?",
            vec![
                text_value(WatchState::Watching.code()),
                now.into(),
                text_value(watcher.id.as_str()),
                text_value(WatchState::Asked.code()),
            ],
        )?;
        Ok(())
    }

    /// A link whose token does not check: it says so, and nothing else.
    fn invalid_watch_link_page(
        &self,
        locale: Locale,
        t: &serde_json::Value,
    ) -> Result<Response, EdgeError> {
        let title = say(t, "page.invalid_link");
        self.page("", locale, &title, None, Vec::new(), None, 403)
    }

    fn watcher(&self, id: &str) -> Result<Option<Watcher>, EdgeError> {
        let rows: Vec<Watcher> = self.rows(
            &format!("SELECT {WATCHER_COLUMNS} FROM watchers WHERE id = ?"),
            vec![text_value(id)],
        )?;
        Ok(rows.into_iter().next())
    }

    /// A watcher's id: the same for one address and product, and telling
    /// neither (a keyed hash, its key this shop's own).
    fn watcher_id(&self, sku: &Sku, email: &str) -> Result<OrderId, EdgeError> {
        let key = match self.setting("watch_key")? {
            Some(key) => key,
            None => {
                let key = crypto::random_hex(32)?;
                self.set_setting("watch_key", &key)?;
                key
            }
        };
        let mac = crypto::hmac_sha256(
            key.as_bytes(),
            format!("{}\n{}", sku.as_str(), email).as_bytes(),
        );
        let hex: String = mac
            .iter()
            .take(12)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        OrderId::parse(&format!("w-{hex}"))
            .map_err(|err| EdgeError::Internal(format!("a watcher id: {err}")))
    }

    /// The email job for a watcher: its `order` is the watcher's id, which
    /// the links in it are signed for.
    fn watcher_job(
        &self,
        id: &OrderId,
        email: &str,
        locale: Locale,
        key: String,
        kind: Email,
        names: Vec<(Sku, String)>,
    ) -> Result<EmailJob, EdgeError> {
        Ok(EmailJob {
            key,
            shop: self.shop_id()?,
            order: id.clone(),
            email: kind,
            to: Contact {
                email: Some(email.to_owned()),
                ..Contact::default()
            },
            locale: locale.code().to_owned(),
            names,
        })
    }

    /// The product's name by its SKU, for an email's `names`.
    fn names_of(&self, sku: &Sku) -> Result<Vec<(Sku, String)>, EdgeError> {
        Ok(vec![(sku.clone(), self.product_name(sku.as_str())?)])
    }

    /// What the shop's customers call a product: the name its orders gave
    /// it, else its SKU.
    fn product_name(&self, sku: &str) -> Result<String, EdgeError> {
        let rows: Vec<Row<String>> = self.rows(
            "SELECT name AS value FROM product_names WHERE sku = ?",
            vec![text_value(sku)],
        )?;
        Ok(rows
            .into_iter()
            .next()
            .map_or_else(|| sku.to_owned(), |row| row.value))
    }

    /// Keeps the names a store's order gave its products, for emails that
    /// are about a product rather than an order.
    pub(super) fn learn_names(&self, names: &[(Sku, String)]) -> Result<(), EdgeError> {
        for (sku, name) in names {
            self.run(
                "INSERT INTO product_names (sku, name) VALUES (?, ?)
                     ON CONFLICT(sku) DO UPDATE SET name = excluded.name",
                vec![text_value(sku.as_str()), text_value(name.as_str())],
            )?;
        }
        Ok(())
    }
}
