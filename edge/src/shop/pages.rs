//! The pages behind every link in an email: confirming an option of an
//! offer and unsubscribing. A GET shows, in the customer's language, what
//! will happen and a button; only the button's POST changes anything.

use serde::Serialize;
use serde_json::{Value, json};
use shared::lifecycle::{Choice, Email, EmailKind, Locale, OrderView, RejectionCode};
use shared::{OrderId, ShopId};
use worker::{Method, Request, Response};

use super::mail::address_hash;
use super::sql::{Row, text_value};
use super::{MAX_SETTING_BYTES, MAX_WEBHOOK_BYTES, ShopRecords, invalid};
use crate::calls::queue::{self, EmailJob, Job};
use crate::error::EdgeError;
use crate::mail::facts::{choice_words, option_words};
use crate::mail::render::{self, say};
use crate::{clock, http, storage};

/// A customer-facing HTML page: no caching, no referrer (the link holds a
/// token), nothing but our own inline style, never in a frame.
fn page_response(html: String, status: u16) -> Result<Response, EdgeError> {
    secured(
        html,
        status,
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )
}

/// The order's page: as `page_response`, and our widget's script, its
/// wasm and its connections to this origin; framed by nothing but our own
/// console (same origin), where support sees what the customer sees.
fn order_page_response(html: String) -> Result<Response, EdgeError> {
    secured(
        html,
        200,
        "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; connect-src 'self'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'self'; base-uri 'none'",
    )
}

fn secured(html: String, status: u16, policy: &str) -> Result<Response, EdgeError> {
    let mut response = Response::from_html(html)?.with_status(status);
    let headers = response.headers_mut();
    headers.set("Cache-Control", "no-store")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set("Content-Security-Policy", policy)?;
    Ok(response)
}

/// A page behind a link, as its own form's action: the same link's token,
/// in the page's language.
pub(super) fn self_url(token: &str, locale: Locale) -> String {
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("t", token)
        .append_pair("lang", locale.code());
    format!("?{}", query.finish())
}

/// A page's way back to the order: its own page, with the link's token.
#[derive(Debug, Serialize)]
pub(super) struct Back {
    href: String,
    text: String,
    contact: String,
}

impl Back {
    /// The order's page: the merchant's (`template`), else the edge's,
    /// relative to the page at `…/orders/{order}/{action}`.
    fn to_order(
        t: &Value,
        template: Option<&str>,
        order: &OrderId,
        token: &str,
        locale: Locale,
    ) -> Back {
        let href = match template {
            Some(template) => {
                crate::links::order_page_url(template, order.as_str(), token, locale.code())
            }
            None => {
                let mut query = form_urlencoded::Serializer::new(String::new());
                query
                    .append_pair("t", token)
                    .append_pair("lang", locale.code());
                format!("page?{}", query.finish())
            }
        };
        Back {
            href,
            text: say(t, "see_order"),
            contact: say(t, "page.contact"),
        }
    }
}

/// One form on a page: what will happen and the button that makes it so.
#[derive(Debug, Serialize)]
pub(super) struct Form {
    pub what: Option<String>,
    pub label: String,
    pub terms: String,
    pub action: String,
    pub fields: Vec<(String, String)>,
    pub button: String,
}

/// The order and the answer it holds, in a sentence: "Order 1001: You chose
/// to keep waiting. …"; `None` when nothing was chosen.
fn recap(t: &Value, locale: Locale, view: &OrderView) -> Option<String> {
    let rtl = render::is_rtl(locale.code());
    let choice = view.chosen.as_ref()?;
    let order = render::fill_str(
        &say(t, "order_label"),
        &[("order", view.order.as_str())],
        rtl,
    );
    Some(format!(
        "{order}: {}",
        choice_words(t, &view.names, choice, rtl)
    ))
}

/// A fresh link is emailed at most once in this long per order.
const RELINK_SECS: i64 = 15 * 60;

impl ShopRecords {
    /// What a page behind a link starts from: its language, that
    /// language's words, and the shop when the link's token checks for `id`
    /// (an order, or a watcher).
    pub(super) fn behind_link(
        &self,
        req: &Request,
        id: &OrderId,
    ) -> (Locale, Value, Option<ShopId>) {
        let locale = self.page_locale(req);
        let shop = match (self.shop_id(), self.check_link(req, id)) {
            (Ok(shop), Ok(_)) => Some(shop),
            _ => None,
        };
        (locale, render::catalog(locale), shop)
    }

    pub(super) fn page_locale(&self, req: &Request) -> Locale {
        http::query_param(req, "lang")
            .and_then(|tag| Locale::from_tag(&tag))
            .or_else(|| self.raw_policy().ok().map(|policy| policy.locale))
            .unwrap_or(Locale::En)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn page(
        &self,
        shop: &str,
        locale: Locale,
        title: &str,
        message: Option<String>,
        forms: Vec<Form>,
        back: Option<Back>,
        status: u16,
    ) -> Result<Response, EdgeError> {
        let html = render::page(&json!({
            "lang": locale.code(),
            "dir": render::direction(locale),
            "shop": render::outside_text(shop, 100),
            "title": title,
            "message": message,
            "forms": forms,
            "back": back,
        }))
        .map_err(|err| EdgeError::Internal(format!("page template: {err}")))?;
        page_response(html, status)
    }

    /// What a link whose token does not check opens: a page that says so,
    /// nothing of the order, and a form to have a new link emailed.
    fn invalid_link_page(&self, locale: Locale, t: &Value) -> Result<Response, EdgeError> {
        let title = say(t, "page.invalid_link");
        self.relink_page(locale, t, &title, true, 403)
    }

    /// A page about a link: `title`, and the form that asks for a new one
    /// (`ask`) or what came of asking.
    fn relink_page(
        &self,
        locale: Locale,
        t: &Value,
        title: &str,
        ask: bool,
        status: u16,
    ) -> Result<Response, EdgeError> {
        let html = render::page(&json!({
            "lang": locale.code(),
            "dir": render::direction(locale),
            "shop": "",
            "title": title,
            "message": if ask { say(t, "page.new_link_how") } else { say(t, "page.new_link_sent") },
            "forms": [],
            "relink": ask.then(|| json!({
                // Relative to `…/orders/{order}/{page}`.
                "action": format!("link?lang={}", locale.code()),
                "label": say(t, "page.new_link_label"),
                "button": say(t, "page.new_link_button"),
            })),
        }))
        .map_err(|err| EdgeError::Internal(format!("page template: {err}")))?;
        page_response(html, status)
    }

    /// `POST …/orders/{order}/link`, `{"email"}` as JSON or as the form of
    /// the expired-link page: emails a fresh link to the order's page if
    /// the address is the one the order's emails go to, at most once in
    /// `RELINK_SECS` per order. The answer is the same whether the order
    /// exists, the address matches or the limit held it back: it reveals
    /// nothing about the order.
    pub(super) async fn fresh_link(
        &self,
        req: &mut Request,
        order: &OrderId,
    ) -> Result<Response, EdgeError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Ask {
            email: String,
            #[serde(default, deserialize_with = "shared::present")]
            lang: Option<String>,
        }
        let form = req
            .headers()
            .get("Content-Type")?
            .is_some_and(|kind| kind.starts_with("application/x-www-form-urlencoded"));
        let body = http::body_bytes(req, MAX_SETTING_BYTES).await?;
        let ask: Ask = if form {
            let mut fields = form_urlencoded::parse(&body);
            Ask {
                email: fields
                    .find(|(name, _)| name == "email")
                    .map(|(_, value)| value.into_owned())
                    .ok_or_else(|| invalid("email", "the order's email address"))?,
                lang: http::query_param(req, "lang"),
            }
        } else {
            http::from_json_text(&body)?
        };
        let email = crate::mail::plain_mailbox(&ask.email)
            .map_err(|why| invalid("email", why))?
            .to_owned();
        let locale = ask.lang.as_deref().and_then(Locale::from_tag);
        self.send_fresh_link(order, &email, locale).await?;
        if form {
            let locale = locale.unwrap_or_else(|| self.page_locale(req));
            let t = render::catalog(locale);
            return self.relink_page(locale, &t, &say(&t, "page.new_link_sent"), false, 200);
        }
        let t = render::catalog(locale.unwrap_or(Locale::En));
        http::json(
            &json!({ "status": "accepted", "message": say(&t, "page.new_link_sent") }),
            202,
        )
    }

    async fn send_fresh_link(
        &self,
        order: &OrderId,
        email: &str,
        locale: Option<Locale>,
    ) -> Result<(), EdgeError> {
        let now = clock::now().unix_seconds();
        let recent: Vec<Row<i64>> = self.rows(
            "SELECT COUNT(*) AS value FROM mails WHERE order_id = ? AND kind = ? AND created_at > ?",
            vec![
                text_value(order.as_str()),
                text_value(EmailKind::OrderLink.code()),
                (now - RELINK_SECS).into(),
            ],
        )?;
        if recent.first().is_some_and(|row| row.value > 0) {
            return Ok(());
        }
        // The order's newest email says where its emails go, and in which
        // language; the address stays in the log and the order's object.
        let jobs: Vec<Row<String>> = self.rows(
            "SELECT job AS value FROM mails WHERE order_id = ? AND recipient IS NOT NULL
                 AND kind != ? ORDER BY created_at DESC LIMIT 1",
            vec![
                text_value(order.as_str()),
                text_value(EmailKind::OrderLink.code()),
            ],
        )?;
        let Some(row) = jobs.into_iter().next() else {
            return Ok(());
        };
        let Ok(last) = serde_json::from_str::<EmailJob>(&row.value) else {
            return Ok(());
        };
        let matches = last
            .to
            .email
            .as_deref()
            .is_some_and(|known| known.trim().eq_ignore_ascii_case(email));
        if !matches {
            return Ok(());
        }
        let job = EmailJob {
            key: format!("{}/link/{now}", order.as_str()),
            email: Email::OrderLink,
            locale: locale.map_or(last.locale.clone(), |locale| locale.code().to_owned()),
            ..last
        };
        self.record_email(&job, now)?;
        queue::send(&self.env, &Job::Email(job)).await
    }

    /// `…/orders/{order}/confirm` (an option from an email) and
    /// `…/orders/{order}/unsubscribe`: GET shows, POST from the button does.
    pub(super) async fn customer_page(
        &self,
        req: &mut Request,
        order: &OrderId,
        action: &str,
    ) -> Result<Response, EdgeError> {
        let (locale, t, shop) = self.behind_link(req, order);
        let Some(shop) = shop else {
            return self.invalid_link_page(locale, &t);
        };
        let shop_name = self.shop_name(&shop)?;
        let token = http::query_param(req, "t").unwrap_or_default();
        let self_url = self_url(&token, locale);
        let template = self.policy()?.order_page_url().map(str::to_owned);
        let back = Back::to_order(&t, template.as_deref(), order, &token, locale);
        let method = req.method();
        match (method, action) {
            (Method::Get, "unsubscribe") => self.page(
                &shop_name,
                locale,
                &say(&t, "page.unsubscribe_title"),
                None,
                vec![Form {
                    what: None,
                    label: say(&t, "page.unsubscribe_title"),
                    terms: say(&t, "page.unsubscribe_what"),
                    action: self_url,
                    fields: Vec::new(),
                    button: say(&t, "page.unsubscribe_button"),
                }],
                Some(back),
                200,
            ),
            (Method::Post, "unsubscribe") => {
                // RFC 8058: a mail client posts `List-Unsubscribe=One-Click`;
                // our page's button posts an empty form. Both mean the same.
                let _ = req.bytes().await;
                self.unsubscribe(order)?;
                self.page(
                    &shop_name,
                    locale,
                    &say(&t, "page.unsubscribed"),
                    None,
                    Vec::new(),
                    Some(back),
                    200,
                )
            }
            (Method::Get, "confirm") => {
                self.confirm_page(req, &shop, &shop_name, order, locale, &t, &self_url, back)
                    .await
            }
            (Method::Post, "confirm") => {
                let body = req.bytes().await?;
                let (title, status, chosen) = self.confirm(&shop, order, &body).await?;
                // What was just chosen, or the answer the order already had.
                let recap = self.answer_recap(&shop, order, chosen, locale, &t).await?;
                self.page(
                    &shop_name,
                    locale,
                    &say(&t, title),
                    recap,
                    Vec::new(),
                    Some(back),
                    status,
                )
            }
            _ => Err(EdgeError::MethodNotAllowed),
        }
    }

    /// `GET …/orders/{order}/page`: the order's own page, where every email
    /// links. The widget in it shows the order live (status, chooser,
    /// cancelling), as on the merchant's order page; the link's token goes
    /// into the page only once it has been checked.
    pub(super) fn order_page(&self, req: &Request, order: &OrderId) -> Result<Response, EdgeError> {
        let (locale, t, shop) = self.behind_link(req, order);
        let Some(shop) = shop else {
            return self.invalid_link_page(locale, &t);
        };
        let token = http::query_param(req, "t").unwrap_or_default();
        let title = render::fill_str(
            &say(&t, "order_label"),
            &[("order", order.as_str())],
            render::is_rtl(locale.code()),
        );
        let html = render::order_page(&json!({
            "lang": locale.code(),
            "dir": render::direction(locale),
            "shop": render::outside_text(&self.shop_name(&shop)?, 100),
            "title": title,
            "order": order.as_str(),
            "token": token,
            "loading": say(&t, "page.order_loading"),
            "no_script": say(&t, "page.order_no_script"),
            "contact": say(&t, "reply"),
            "script": format!("/widget/backorder.js?shop={shop}"),
        }))
        .map_err(|err| EdgeError::Internal(format!("order page template: {err}")))?;
        order_page_response(html)
    }

    /// Records the choice a confirmation page's button posted; the page's
    /// title and status for what came of it.
    async fn confirm(
        &self,
        shop: &ShopId,
        order: &OrderId,
        body: &[u8],
    ) -> Result<(&'static str, u16, Option<Choice>), EdgeError> {
        if body.len() > MAX_WEBHOOK_BYTES {
            return Err(EdgeError::BodyTooLarge {
                max: MAX_WEBHOOK_BYTES,
            });
        }
        let fields: std::collections::HashMap<String, String> =
            form_urlencoded::parse(body).into_owned().collect();
        let offer: u32 = fields
            .get("offer")
            .and_then(|offer| offer.parse().ok())
            .ok_or_else(|| invalid("offer", "the offer's number"))?;
        let choice: Choice = serde_json::from_value(json!({
            "option": fields.get("option").cloned().unwrap_or_default(),
            "sku": fields.get("sku"),
        }))
        .map_err(|_| invalid("option", "one of the offer's options"))?;
        match self.apply_choice(shop, order, offer, choice.clone()).await {
            Ok(_) => Ok(("page.recorded", 200, Some(choice))),
            Err(EdgeError::Rejected { code, .. }) => Ok(match code {
                RejectionCode::AlreadyChosen => ("page.already_chosen", 409, None),
                RejectionCode::NotOffered => ("page.not_offered", 400, None),
                _ => ("page.offer_closed", 409, None),
            }),
            Err(err) => Err(err),
        }
    }

    /// "Order 1001: you chose to keep waiting…": `chosen` if just recorded,
    /// else the answer in the order's view; `None` when there is none.
    async fn answer_recap(
        &self,
        shop: &ShopId,
        order: &OrderId,
        chosen: Option<Choice>,
        locale: Locale,
        t: &Value,
    ) -> Result<Option<String>, EdgeError> {
        let view: Option<OrderView> = storage::order_view(&self.env, shop, order).await?;
        Ok(view.and_then(|mut view| {
            if chosen.is_some() {
                view.chosen = chosen;
            }
            recap(t, locale, &view)
        }))
    }

    #[allow(clippy::too_many_arguments)]
    async fn confirm_page(
        &self,
        req: &Request,
        shop: &ShopId,
        shop_name: &str,
        order: &OrderId,
        locale: Locale,
        t: &Value,
        self_url: &str,
        back: Back,
    ) -> Result<Response, EdgeError> {
        let view: OrderView = storage::order_view(&self.env, shop, order)
            .await?
            .ok_or_else(|| EdgeError::UnknownOrder(order.to_string()))?;
        let wanted: Option<u32> =
            http::query_param(req, "offer").and_then(|offer| offer.parse().ok());
        let now = clock::now();
        let Some(offer) = view
            .offer
            .clone()
            .filter(|offer| Some(offer.id.0) == wanted && offer.expires_at > now)
        else {
            let title = if view.chosen.is_some() {
                "page.already_chosen"
            } else {
                "page.offer_closed"
            };
            // As the button's POST would answer: the offer is no longer open;
            // and what was chosen, if anything.
            let recap = recap(t, locale, &view);
            return self.page(
                shop_name,
                locale,
                &say(t, title),
                recap,
                Vec::new(),
                Some(back),
                409,
            );
        };
        let option = http::query_param(req, "option");
        let sku = http::query_param(req, "sku");
        let forms: Vec<Form> = option_words(t, locale.code(), &view.names, &offer.options)
            .into_iter()
            .filter(|words| {
                option.as_deref().is_none_or(|option| option == words.kind)
                    && (sku.is_none()
                        || words
                            .fields
                            .iter()
                            .any(|(name, value)| name == "sku" && Some(value) == sku.as_ref()))
            })
            .map(|words| {
                let mut fields = words.fields.clone();
                fields.push(("offer".to_owned(), offer.id.0.to_string()));
                Form {
                    what: Some(say(t, "page.confirm_what")),
                    label: words.label,
                    terms: words.terms,
                    action: self_url.to_owned(),
                    fields,
                    button: say(t, "page.confirm_button"),
                }
            })
            .collect();
        if forms.is_empty() {
            return self.page(
                shop_name,
                locale,
                &say(t, "page.not_offered"),
                None,
                Vec::new(),
                Some(back),
                400,
            );
        }
        let title = if forms.len() == 1 {
            "page.confirm_title"
        } else {
            "page.pick_title"
        };
        self.page(
            shop_name,
            locale,
            &say(t, title),
            None,
            forms,
            Some(back),
            200,
        )
    }

    /// Stops optional emails to the address this order's emails go to, at
    /// once: every later claim checks it.
    fn unsubscribe(&self, order: &OrderId) -> Result<(), EdgeError> {
        let rows: Vec<Row<String>> = self.rows(
            "SELECT recipient AS value FROM mails WHERE order_id = ? AND recipient IS NOT NULL
                 AND recipient != '' LIMIT 1",
            vec![text_value(order.as_str())],
        )?;
        if let Some(row) = rows.into_iter().next() {
            self.run(
                "INSERT OR IGNORE INTO suppressed (address, at) VALUES (?, ?)",
                vec![
                    text_value(address_hash(&row.value)),
                    clock::now().unix_seconds().into(),
                ],
            )?;
        }
        Ok(())
    }
}
