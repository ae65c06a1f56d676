//! The shop's side of email: its mail settings (secret kept here), its
//! templates per language, the email log (claim, report, list, send again),
//! previews, unsubscribes, and the confirmation pages behind every link in
//! an email, where only a POST from the page's button changes anything.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::lifecycle::{Choice, Locale, OrderView};
use shared::{OrderId, ShopId};
use worker::{Method, Request, Response};

use super::{
    DEFAULT_LINK_DAYS, MAX_SETTING_BYTES, MAX_WEBHOOK_BYTES, Row, ShopRecords, invalid, text_value,
};
use crate::error::EdgeError;
use crate::jobs::{self, EmailJob, Job};
use crate::mail::facts::{self, option_words};
use crate::mail::provider::{Attempt, MailConfig, Provider};
use crate::mail::render::{self, KINDS, MAX_TEMPLATE_BYTES, TemplateError, say};
use crate::mail::{self, Claim, LEASE_SECONDS, MAX_ATTEMPTS, Report, Settled};
use crate::{clock, crypto, http, links, storage};

/// The email log's columns, as `LogRow` reads them.
const LOG_COLUMNS: &str = "key, order_id, kind, recipient, locale, job, state, attempts, provider,
    message_id, last_error, template_error, subject, created_at, updated_at";

/// States an email never leaves by itself.
const FINAL: [&str; 5] = ["sent", "failed", "dead", "suppressed", "skipped"];

#[derive(Debug, Deserialize)]
struct Claimed {
    state: String,
    attempts: u32,
    claimed_at: Option<i64>,
}

#[derive(Debug, Deserialize, Serialize)]
struct LogRow {
    key: String,
    order_id: String,
    kind: String,
    recipient: Option<String>,
    locale: String,
    job: String,
    state: String,
    attempts: u32,
    provider: Option<String>,
    message_id: Option<String>,
    last_error: Option<String>,
    template_error: Option<String>,
    subject: Option<String>,
    created_at: i64,
    updated_at: i64,
}

/// What a merchant sends to set the mail provider.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MailSettings {
    provider: Provider,
    #[serde(default)]
    api_key: Option<String>,
    from_email: String,
    from_name: String,
    #[serde(default)]
    message_stream: Option<String>,
}

fn locale_param(locale: &str) -> Result<Locale, EdgeError> {
    Locale::from_tag(locale)
        .filter(|known| known.code() == locale)
        .ok_or_else(|| invalid("locale", "one of en, it, ar"))
}

fn template_name(name: &str) -> Result<&str, EdgeError> {
    if render::built_in(name).is_some() {
        Ok(name)
    } else {
        Err(invalid(
            "name",
            "a template we ship: layout.html, layout.txt, or {kind}.html / {kind}.txt",
        ))
    }
}

fn address_hash(address: &str) -> String {
    crypto::sha256_hex(address.trim().to_lowercase().as_bytes())
}

fn check_address(address: &str) -> Result<(), EdgeError> {
    let ok = address.len() <= 254
        && address.split('@').count() == 2
        && !address.starts_with('@')
        && !address.ends_with('@')
        && !address
            .chars()
            .any(|ch| ch.is_whitespace() || ch.is_control() || "<>\",;\\".contains(ch));
    if ok {
        Ok(())
    } else {
        Err(invalid("from_email", "one plain email address"))
    }
}

/// The name customers know the shop by: the sender's, else the shop's id.
fn name_of(config: Option<&MailConfig>, shop: &ShopId) -> String {
    config
        .map(|config| config.from_name.clone())
        .filter(|name| !name.trim().is_empty())
        .unwrap_or_else(|| shop.to_string())
}

/// A customer-facing HTML page: no caching, no referrer (the link holds a
/// token), nothing but our own inline style, never in a frame.
fn page_response(html: String, status: u16) -> Result<Response, EdgeError> {
    let mut response = Response::from_html(html)?.with_status(status);
    let headers = response.headers_mut();
    headers.set("Cache-Control", "no-store")?;
    headers.set("Referrer-Policy", "no-referrer")?;
    headers.set("X-Content-Type-Options", "nosniff")?;
    headers.set(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    )?;
    Ok(response)
}

/// One form on a page: what will happen and the button that makes it so.
#[derive(Debug, Serialize)]
struct Form {
    what: Option<String>,
    label: String,
    terms: String,
    action: String,
    fields: Vec<(String, String)>,
    button: String,
}

impl ShopRecords {
    // ---- settings ------------------------------------------------------------

    pub(super) fn mail_config(&self) -> Result<Option<MailConfig>, EdgeError> {
        match self.setting("mail")? {
            Some(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|err| EdgeError::Internal(format!("stored mail settings: {err}"))),
            None => Ok(None),
        }
    }

    fn shop_name(&self, shop: &ShopId) -> Result<String, EdgeError> {
        Ok(name_of(self.mail_config()?.as_ref(), shop))
    }

    pub(super) fn mail_settings_view(&self) -> Result<Value, EdgeError> {
        Ok(match self.mail_config()? {
            Some(config) => json!({
                "provider": config.provider,
                "from_email": config.from_email,
                "from_name": config.from_name,
                "message_stream": config.message_stream,
                "has_api_key": config.api_key.is_some(),
            }),
            None => json!({ "provider": "outbox", "has_api_key": false }),
        })
    }

    async fn put_mail_settings(&self, req: &mut Request) -> Result<Response, EdgeError> {
        let body: MailSettings = http::json_body(req, MAX_SETTING_BYTES).await?;
        check_address(&body.from_email)?;
        if body.from_name.trim().is_empty()
            || body.from_name.chars().count() > 100
            || body
                .from_name
                .chars()
                .any(|ch| ch.is_control() || ch == '"')
        {
            return Err(invalid(
                "from_name",
                "1 to 100 characters, no control characters or quotes",
            ));
        }
        // Keep the stored key when a change leaves it out.
        let kept = self.mail_config()?.and_then(|old| old.api_key);
        let api_key = body.api_key.filter(|key| !key.is_empty()).or(kept);
        if body.provider != Provider::Outbox && api_key.is_none() {
            return Err(invalid("api_key", "the provider's API key is required"));
        }
        if api_key.as_deref().is_some_and(|key| {
            key.len() > 500 || key.chars().any(|ch| ch.is_control() || ch.is_whitespace())
        }) {
            return Err(invalid("api_key", "at most 500 characters, no spaces"));
        }
        let config = MailConfig {
            provider: body.provider,
            api_key,
            from_email: body.from_email,
            from_name: body.from_name,
            message_stream: body.message_stream.filter(|stream| !stream.is_empty()),
        };
        self.set_setting("mail", &super::to_text(&config)?)?;
        http::json(&self.mail_settings_view()?, 200)
    }

    // ---- templates -----------------------------------------------------------

    fn overrides(&self, locale: Locale) -> Result<Vec<(String, String)>, EdgeError> {
        #[derive(Deserialize)]
        struct Override {
            name: String,
            source: String,
        }
        let rows: Vec<Override> = self.rows(
            "SELECT name, source FROM templates WHERE locale = ?",
            vec![text_value(locale.code())],
        )?;
        Ok(rows.into_iter().map(|row| (row.name, row.source)).collect())
    }

    /// Renders every sample the template takes part in, in its language.
    fn try_templates(
        &self,
        shop: &ShopId,
        locale: Locale,
        name: &str,
        overrides: &[(String, String)],
    ) -> Result<(), TemplateError> {
        let kinds: Vec<&str> = if name.starts_with("layout.") {
            KINDS.to_vec()
        } else {
            KINDS
                .iter()
                .copied()
                .filter(|kind| name.split('.').next() == Some(kind))
                .collect()
        };
        let shop_name = self.shop_name(shop).unwrap_or_else(|_| shop.to_string());
        for kind in kinds {
            let (Some(email), Some(to)) = (
                mail::sample(kind, locale),
                mail::sample_addressing(locale, shop, &shop_name, &mail::public_url(&self.env)),
            ) else {
                continue;
            };
            render::render(kind, &facts::facts(&email, &to), overrides)?;
        }
        Ok(())
    }

    async fn put_template(
        &self,
        req: &mut Request,
        shop: &ShopId,
        locale: Locale,
        name: &str,
    ) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Source {
            source: String,
        }
        let body: Source = http::json_body(req, MAX_TEMPLATE_BYTES + 1024).await?;
        if body.source.len() > MAX_TEMPLATE_BYTES {
            return Err(invalid(
                "source",
                format!("at most {MAX_TEMPLATE_BYTES} bytes"),
            ));
        }
        render::compile(name, &body.source).map_err(EdgeError::InvalidTemplate)?;
        let mut overrides: Vec<(String, String)> = self
            .overrides(locale)?
            .into_iter()
            .filter(|(other, _)| other != name)
            .collect();
        overrides.push((name.to_owned(), body.source.clone()));
        self.try_templates(shop, locale, name, &overrides)
            .map_err(EdgeError::InvalidTemplate)?;
        self.run(
            "INSERT INTO templates (locale, name, source, updated_at) VALUES (?, ?, ?, ?)
                 ON CONFLICT(locale, name) DO UPDATE SET source = excluded.source,
                 updated_at = excluded.updated_at",
            vec![
                text_value(locale.code()),
                text_value(name),
                text_value(body.source),
                clock::now().unix_seconds().into(),
            ],
        )?;
        self.template_view(locale, name)
    }

    fn template_view(&self, locale: Locale, name: &str) -> Result<Response, EdgeError> {
        let own = self
            .overrides(locale)?
            .into_iter()
            .find(|(other, _)| other == name)
            .map(|(_, source)| source);
        http::json(
            &json!({
                "locale": locale.code(),
                "name": name,
                "overridden": own.is_some(),
                "source": own.unwrap_or_else(|| render::built_in(name).unwrap_or_default().to_owned()),
            }),
            200,
        )
    }

    fn preview(&self, req: &Request, shop: &ShopId) -> Result<Response, EdgeError> {
        let kind = http::query_param(req, "kind").unwrap_or_default();
        let locale =
            locale_param(&http::query_param(req, "locale").unwrap_or_else(|| "en".into()))?;
        let Some(email) = mail::sample(&kind, locale) else {
            return Err(invalid("kind", format!("one of {}", KINDS.join(", "))));
        };
        let shop_name = self.shop_name(shop)?;
        let to = mail::sample_addressing(locale, shop, &shop_name, &mail::public_url(&self.env))
            .ok_or_else(|| EdgeError::Internal("sample addressing".into()))?;
        let facts = facts::facts(&email, &to);
        let rendered = render::render(&kind, &facts, &self.overrides(locale)?)
            .map_err(EdgeError::InvalidTemplate)?;
        let headers: serde_json::Map<String, Value> = mail::headers_for(&email, &to)
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        http::json(
            &json!({
                "subject": rendered.subject,
                "html": rendered.html,
                "text": rendered.text,
                "headers": headers,
            }),
            200,
        )
    }

    // ---- the email log ---------------------------------------------------------

    fn is_suppressed(&self, address: &str) -> Result<bool, EdgeError> {
        let rows: Vec<Row<i64>> = self.rows(
            "SELECT at AS value FROM suppressed WHERE address = ?",
            vec![text_value(address_hash(address))],
        )?;
        Ok(!rows.is_empty())
    }

    fn set_mail_state(&self, key: &str, state: &str) -> Result<(), EdgeError> {
        self.run(
            "UPDATE mails SET state = ?, updated_at = ? WHERE key = ?",
            vec![
                text_value(state),
                clock::now().unix_seconds().into(),
                text_value(key),
            ],
        )?;
        Ok(())
    }

    /// Records the job (once), and lets one delivery at a time send it.
    /// SQL here is synchronous, so the check and the claim are one step.
    pub(super) fn claim_email(&self, job: &EmailJob) -> Result<Response, EdgeError> {
        let now = clock::now().unix_seconds();
        let kind = jobs::email_kind(&job.email);
        let policy_locale = self.raw_policy()?.locale;
        self.run(
            "INSERT OR IGNORE INTO mails (key, order_id, kind, recipient, locale, job, state,
                 attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)",
            vec![
                text_value(job.key.as_str()),
                text_value(job.order.as_str()),
                text_value(kind.as_str()),
                job.to.email.clone().into(),
                text_value(job.locale.as_str()),
                text_value(super::to_text(job)?),
                now.into(),
                now.into(),
            ],
        )?;
        let current: Vec<Claimed> = self.rows(
            "SELECT state, attempts, claimed_at FROM mails WHERE key = ?",
            vec![text_value(job.key.as_str())],
        )?;
        let current = current
            .into_iter()
            .next()
            .ok_or_else(|| EdgeError::Internal("a claimed email vanished".into()))?;
        let shop = self.shop_id()?;
        let config = self.mail_config()?;
        let mut claim = Claim {
            go: false,
            state: current.state.clone(),
            retry_in: None,
            attempts: current.attempts,
            config: None,
            overrides: Vec::new(),
            shop_name: name_of(config.as_ref(), &shop),
            token: String::new(),
            shop_locale: policy_locale,
        };
        if FINAL.contains(&current.state.as_str()) {
            return http::json(&claim, 200);
        }
        if let Some(at) = current
            .claimed_at
            .filter(|at| current.state == "sending" && now - at < LEASE_SECONDS)
        {
            claim.retry_in = u32::try_from(LEASE_SECONDS - (now - at)).ok();
            return http::json(&claim, 200);
        }
        let address = job.to.email.as_deref().map(str::trim).unwrap_or_default();
        if address.is_empty() {
            self.set_mail_state(&job.key, "skipped")?;
            claim.state = "skipped".into();
            return http::json(&claim, 200);
        }
        if facts::is_optional(&job.email) && self.is_suppressed(address)? {
            self.set_mail_state(&job.key, "suppressed")?;
            claim.state = "suppressed".into();
            return http::json(&claim, 200);
        }
        self.run(
            "UPDATE mails SET state = 'sending', attempts = attempts + 1, claimed_at = ?,
                 updated_at = ? WHERE key = ?",
            vec![now.into(), now.into(), text_value(job.key.as_str())],
        )?;
        let expires = clock::now().plus_days(DEFAULT_LINK_DAYS).unix_seconds();
        let secret = self.setting("link_secret")?.unwrap_or_default();
        claim.go = true;
        claim.state = "sending".into();
        claim.attempts = current.attempts + 1;
        claim.config = config;
        claim.overrides = self.overrides(mail::locale_of(job, policy_locale))?;
        claim.token = links::sign(&secret, shop.as_str(), job.order.as_str(), expires);
        http::json(&claim, 200)
    }

    pub(super) fn report_email(&self, report: &Report) -> Result<Response, EdgeError> {
        let now = clock::now().unix_seconds();
        let current: Vec<Claimed> = self.rows(
            "SELECT state, attempts, claimed_at FROM mails WHERE key = ?",
            vec![text_value(report.key.as_str())],
        )?;
        let Some(current) = current.into_iter().next() else {
            return Err(EdgeError::NotFound);
        };
        let (state, message_id, error) = match &report.sent {
            Attempt::Sent { message_id } => ("sent", message_id.clone(), None),
            Attempt::Refused { reason } => ("failed", None, Some(reason.clone())),
            Attempt::Retry { reason, .. } if current.attempts >= MAX_ATTEMPTS => (
                "dead",
                None,
                Some(format!("gave up after {MAX_ATTEMPTS} tries: {reason}")),
            ),
            Attempt::Retry { reason, .. } => ("queued", None, Some(reason.clone())),
        };
        // A report for an email already settled (a late duplicate) changes
        // nothing, except that "sent" always wins.
        if current.state != "sending" && state != "sent" {
            return http::json(
                &Settled {
                    state: current.state,
                    attempts: current.attempts,
                },
                200,
            );
        }
        let rendered = report.rendered.as_ref();
        self.run(
            "UPDATE mails SET state = ?, provider = ?, message_id = COALESCE(?, message_id),
                 last_error = ?, template_error = ?, subject = COALESCE(?, subject),
                 html = COALESCE(?, html), text = COALESCE(?, text), claimed_at = NULL,
                 updated_at = ? WHERE key = ?",
            vec![
                text_value(state),
                text_value(report.provider.as_str()),
                message_id.into(),
                error.into(),
                report
                    .template_error
                    .as_ref()
                    .map(ToString::to_string)
                    .into(),
                rendered.map(|r| r.subject.clone()).into(),
                rendered.map(|r| r.html.clone()).into(),
                rendered.map(|r| r.text.clone()).into(),
                now.into(),
                text_value(report.key.as_str()),
            ],
        )?;
        http::json(
            &Settled {
                state: state.to_owned(),
                attempts: current.attempts,
            },
            200,
        )
    }

    pub(super) fn list_emails(&self, req: &Request) -> Result<Response, EdgeError> {
        let state = http::query_param(req, "state");
        let order = http::query_param(req, "order");
        let limit: i64 = http::query_param(req, "limit")
            .map(|limit| {
                limit
                    .parse()
                    .map_err(|_| invalid("limit", "a number from 1 to 10000"))
            })
            .transpose()?
            .unwrap_or(1000)
            .clamp(1, 10_000);
        let rows: Vec<LogRow> = self.rows(
            &format!(
                "SELECT {LOG_COLUMNS} FROM mails
                 WHERE (?1 IS NULL OR state = ?1) AND (?2 IS NULL OR order_id = ?2)
                 ORDER BY rowid LIMIT ?3"
            ),
            vec![state.into(), order.into(), limit.into()],
        )?;
        let emails: Vec<Value> = rows.into_iter().map(|row| log_entry(&row)).collect();
        http::json(&json!({ "emails": emails }), 200)
    }

    /// One email of the log by its key, or 404.
    fn log_row(&self, key: &str) -> Result<LogRow, EdgeError> {
        let rows: Vec<LogRow> = self.rows(
            &format!("SELECT {LOG_COLUMNS} FROM mails WHERE key = ?"),
            vec![text_value(key)],
        )?;
        rows.into_iter().next().ok_or(EdgeError::NotFound)
    }

    fn email_detail(&self, req: &Request) -> Result<Response, EdgeError> {
        let key = http::query_param(req, "key").ok_or_else(|| invalid("key", "required"))?;
        #[derive(Deserialize)]
        struct Body {
            html: Option<String>,
            text: Option<String>,
        }
        let row = self.log_row(&key)?;
        let bodies: Vec<Body> = self.rows(
            "SELECT html, text FROM mails WHERE key = ?",
            vec![text_value(key.as_str())],
        )?;
        let mut entry = log_entry(&row);
        if let Some(body) = bodies.into_iter().next() {
            entry["html"] = body.html.into();
            entry["text"] = body.text.into();
        }
        http::json(&entry, 200)
    }

    async fn send_again(&self, req: &mut Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Again {
            key: String,
        }
        let body: Again = http::json_body(req, MAX_SETTING_BYTES).await?;
        let row = self.log_row(&body.key)?;
        if !matches!(row.state.as_str(), "failed" | "dead") {
            return Err(invalid(
                "key",
                format!(
                    "only a failed or given-up email is sent again; this one is {}",
                    row.state
                ),
            ));
        }
        let job: EmailJob = serde_json::from_str(&row.job)
            .map_err(|err| EdgeError::Internal(format!("stored email job: {err}")))?;
        self.run(
            "UPDATE mails SET state = 'queued', attempts = 0, last_error = NULL, claimed_at = NULL,
                 updated_at = ? WHERE key = ?",
            vec![
                clock::now().unix_seconds().into(),
                text_value(body.key.as_str()),
            ],
        )?;
        jobs::send(&self.env, &Job::Email(job)).await?;
        http::json(&json!({ "key": body.key, "state": "queued" }), 202)
    }

    // ---- routes ------------------------------------------------------------------

    /// The merchant's mail routes; `None` when the path is not one of them.
    pub(super) async fn mail_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
        shop: &ShopId,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Get, ["v1", "shops", _, "emails" | "outbox"]) => self.list_emails(req),
            (Method::Get, ["v1", "shops", _, "emails", "one"]) => self.email_detail(req),
            (Method::Get, ["v1", "shops", _, "emails", "preview"]) => self.preview(req, shop),
            (Method::Post, ["v1", "shops", _, "emails", "send-again"]) => {
                self.send_again(req).await
            }
            (Method::Get, ["v1", "shops", _, "mail"]) => self
                .mail_settings_view()
                .and_then(|view| http::json(&view, 200)),
            (Method::Put, ["v1", "shops", _, "mail"]) => self.put_mail_settings(req).await,
            (method, ["v1", "shops", _, "templates", locale, name]) => {
                let checked =
                    locale_param(locale).and_then(|locale| Ok((locale, template_name(name)?)));
                match (method, checked) {
                    (_, Err(err)) => Err(err),
                    (Method::Get, Ok((locale, name))) => self.template_view(locale, name),
                    (Method::Put, Ok((locale, name))) => {
                        self.put_template(req, shop, locale, name).await
                    }
                    (Method::Delete, Ok((locale, name))) => self
                        .run(
                            "DELETE FROM templates WHERE locale = ? AND name = ?",
                            vec![text_value(locale.code()), text_value(name)],
                        )
                        .and_then(|_| Ok(Response::empty()?.with_status(204))),
                    _ => Err(EdgeError::MethodNotAllowed),
                }
            }
            _ => return None,
        })
    }

    // ---- the customer's pages ------------------------------------------------------

    fn page_locale(&self, req: &Request) -> Locale {
        http::query_param(req, "lang")
            .and_then(|tag| Locale::from_tag(&tag))
            .or_else(|| self.raw_policy().ok().map(|policy| policy.locale))
            .unwrap_or(Locale::En)
    }

    fn page(
        &self,
        shop: &str,
        locale: Locale,
        title: &str,
        message: Option<String>,
        forms: Vec<Form>,
        status: u16,
    ) -> Result<Response, EdgeError> {
        let html = render::page(&json!({
            "lang": locale.code(),
            "dir": render::direction(locale),
            "shop": render::outside_text(shop, 100),
            "title": title,
            "message": message,
            "forms": forms,
        }))
        .map_err(|err| EdgeError::Internal(format!("page template: {err}")))?;
        page_response(html, status)
    }

    /// `…/orders/{order}/confirm` (an option from an email) and
    /// `…/orders/{order}/unsubscribe`: GET shows, POST from the button does.
    pub(super) async fn customer_page(
        &self,
        mut req: Request,
        order: &OrderId,
        action: &str,
    ) -> Result<Response, EdgeError> {
        let locale = self.page_locale(&req);
        let t = render::catalog(locale);
        let (Ok(shop), Ok(_)) = (self.shop_id(), self.check_link(&req, order)) else {
            return self.page(
                "",
                locale,
                &say(&t, "page.invalid_link"),
                None,
                Vec::new(),
                403,
            );
        };
        let shop_name = self.shop_name(&shop)?;
        let token = http::query_param(&req, "t").unwrap_or_default();
        let mut query = form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("t", &token)
            .append_pair("lang", locale.code());
        let self_url = format!("?{}", query.finish());
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
                    200,
                )
            }
            (Method::Get, "confirm") => {
                self.confirm_page(&req, &shop, &shop_name, order, locale, &t, &self_url)
                    .await
            }
            (Method::Post, "confirm") => {
                let body = req.bytes().await?;
                if body.len() > MAX_WEBHOOK_BYTES {
                    return Err(EdgeError::BodyTooLarge {
                        max: MAX_WEBHOOK_BYTES,
                    });
                }
                let fields: std::collections::HashMap<String, String> =
                    form_urlencoded::parse(&body).into_owned().collect();
                let offer: u32 = fields
                    .get("offer")
                    .and_then(|offer| offer.parse().ok())
                    .ok_or_else(|| invalid("offer", "the offer's number"))?;
                let choice: Choice = serde_json::from_value(json!({
                    "option": fields.get("option").cloned().unwrap_or_default(),
                    "sku": fields.get("sku"),
                }))
                .map_err(|_| invalid("option", "one of the offer's options"))?;
                let (title, status) = match self.apply_choice(&shop, order, offer, choice).await {
                    Ok(_) => ("page.recorded", 200),
                    Err(EdgeError::AlreadyChosen { .. }) => ("page.already_chosen", 409),
                    Err(EdgeError::OfferClosed(_)) => ("page.offer_closed", 409),
                    Err(EdgeError::NotOffered(_)) => ("page.not_offered", 400),
                    Err(err) => return Err(err),
                };
                self.page(
                    &shop_name,
                    locale,
                    &say(&t, title),
                    None,
                    Vec::new(),
                    status,
                )
            }
            _ => Err(EdgeError::MethodNotAllowed),
        }
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
    ) -> Result<Response, EdgeError> {
        let view: OrderView = storage::order_view(&self.env, shop, order)
            .await?
            .ok_or_else(|| EdgeError::UnknownOrder(order.to_string()))?;
        let wanted: Option<u32> =
            http::query_param(req, "offer").and_then(|offer| offer.parse().ok());
        let now = clock::now();
        let Some(offer) = view
            .offer
            .filter(|offer| Some(offer.id.0) == wanted && offer.expires_at > now)
        else {
            let title = if view.chosen.is_some() {
                "page.already_chosen"
            } else {
                "page.offer_closed"
            };
            return self.page(shop_name, locale, &say(t, title), None, Vec::new(), 200);
        };
        let option = http::query_param(req, "option");
        let sku = http::query_param(req, "sku");
        let forms: Vec<Form> = option_words(t, locale.code(), &offer.options)
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
                200,
            );
        }
        let title = if forms.len() == 1 {
            "page.confirm_title"
        } else {
            "page.pick_title"
        };
        self.page(shop_name, locale, &say(t, title), None, forms, 200)
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

fn log_entry(row: &LogRow) -> Value {
    let job: Value = serde_json::from_str(&row.job).unwrap_or(Value::Null);
    json!({
        "key": row.key,
        "order": row.order_id,
        "kind": row.kind,
        "to": row.recipient,
        "locale": row.locale,
        "state": row.state,
        "attempts": row.attempts,
        "provider": row.provider,
        "message_id": row.message_id,
        "error": row.last_error,
        "template_error": row.template_error,
        "subject": row.subject,
        "email": job["email"],
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    })
}
