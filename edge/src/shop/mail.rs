//! The shop's side of email: its mail settings (secret kept here) and the
//! email log (claim, report, list, send again). Its templates and previews
//! are in `templates.rs`; the pages behind the links in an email in
//! `pages.rs`.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use shared::ShopId;
use worker::{Method, Request, Response};

use super::sql::{Row, text_value, to_text};
use super::templates::{locale_param, template_name};
use super::{DEFAULT_LINK_DAYS, MAX_SETTING_BYTES, ShopRecords, invalid};
use crate::calls::queue::{self, EmailJob, Job};
use crate::calls::shop::{EmailClaim, EmailReport, EmailSettled, EmailState};
use crate::error::EdgeError;
use crate::mail::facts;
use crate::mail::provider::{self, Attempt, MailConfig, Outgoing, Provider};
use crate::mail::{self, LEASE_SECONDS, MAX_ATTEMPTS, MAX_UNREACHED};
use crate::{clock, crypto, http, links};

/// The email log's columns, as `LogRow` reads them.
const LOG_COLUMNS: &str = "key, order_id, kind, recipient, locale, job, state, attempts, provider,
    message_id, last_error, template_error, subject, created_at, updated_at, requeued, unreached";

#[derive(Debug, Deserialize)]
struct Claimed {
    state: EmailState,
    /// Tries counted against `MAX_ATTEMPTS` (since it was last sent again).
    attempts: u32,
    /// Tries whose connection failed before any answer, not counted above.
    unreached: u32,
    /// Every try ever made, sent again or not.
    tries: u32,
    claimed_at: Option<i64>,
}

/// Why a job stopped: its queue gave up on it.
pub(super) const DEAD_LETTERED: &str =
    "its queue message ran out of the queue's retries (dead-lettered); it can be replayed";

const CLAIMED_COLUMNS: &str = "state, attempts, unreached, tries, claimed_at";

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
    /// How often the sweep queued it again after its message was lost.
    requeued: u32,
    unreached: u32,
}

/// What a merchant sends to set the mail provider.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MailSettings {
    provider: Provider,
    #[serde(default, deserialize_with = "shared::present")]
    api_key: Option<String>,
    from_email: String,
    from_name: String,
    #[serde(default, deserialize_with = "shared::present")]
    message_stream: Option<String>,
}

pub(super) fn address_hash(address: &str) -> String {
    crypto::sha256_hex(address.trim().to_lowercase().as_bytes())
}

fn check_address(address: &str) -> Result<(), EdgeError> {
    if address.len() <= 254 && mail::plain_mailbox(address).is_ok() {
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

    pub(super) fn shop_name(&self, shop: &ShopId) -> Result<String, EdgeError> {
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
        if !shared::text::fits(&body.from_name, 100)
            || shared::text::has_hidden_controls(&body.from_name)
            || body.from_name.contains('"')
        {
            return Err(invalid(
                "from_name",
                "1 to 100 characters, no quotes, control, bidi control or other invisible characters",
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

    /// `POST …/mail/test {to, locale?}`: a sample receipt, as the shop's
    /// templates write it, sent at once through the shop's provider to
    /// `to`; the answer is the provider's (sent with its id, or why not).
    /// Nothing is kept but the audit line.
    async fn send_test_email(
        &self,
        req: &mut Request,
        shop: &ShopId,
    ) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Test {
            to: String,
            #[serde(default, deserialize_with = "shared::present")]
            locale: Option<String>,
        }
        let test: Test = http::json_body(req, MAX_SETTING_BYTES).await?;
        check_address(&test.to).map_err(|_| invalid("to", "an email address"))?;
        let locale = match test.locale.as_deref() {
            Some(locale) => locale_param(locale)?,
            None => self.policy()?.locale(),
        };
        // No provider chosen yet: the outbox, as for every email.
        let config = self
            .mail_config()?
            .unwrap_or_else(|| MailConfig::outbox(&name_of(None, shop)));
        let kind = shared::lifecycle::EmailKind::Receipt;
        let sample = self.render_sample(shop, kind, locale, &self.overrides(locale)?)?;
        let text = |name: &str| sample[name].as_str().unwrap_or_default().to_owned();
        let outgoing = Outgoing {
            key: format!("test-{}", clock::now_millis()),
            kind: kind.code().to_owned(),
            to_email: test.to,
            to_name: None,
            subject: text("subject"),
            html: text("html"),
            text: text("text"),
            headers: Vec::new(),
        };
        let attempt = provider::send(&config, &mail::endpoints(&self.env), &outgoing).await;
        let mut answer = serde_json::to_value(&attempt)
            .map_err(|err| EdgeError::Internal(format!("the attempt: {err}")))?;
        if let Some(object) = answer.as_object_mut() {
            object.insert("provider".into(), json!(config.provider));
        }
        http::json(&answer, 200)
    }

    // ---- the email log ---------------------------------------------------------

    fn is_suppressed(&self, address: &str) -> Result<bool, EdgeError> {
        let rows: Vec<Row<i64>> = self.rows(
            "SELECT at AS value FROM suppressed WHERE address = ?",
            vec![text_value(address_hash(address))],
        )?;
        Ok(!rows.is_empty())
    }

    fn set_mail_state(&self, key: &str, state: EmailState) -> Result<(), EdgeError> {
        self.run(
            "UPDATE mails SET state = ?, updated_at = ? WHERE key = ?",
            vec![
                text_value(state.code()),
                clock::now().unix_seconds().into(),
                text_value(key),
            ],
        )?;
        Ok(())
    }

    /// Keeps the job in the email log, once: whoever comes second (the
    /// order's answer or the job's delivery, in either order) finds the
    /// first's row.
    pub(super) fn record_email(&self, job: &EmailJob, now: i64) -> Result<(), EdgeError> {
        let kind = job.email.kind().code();
        self.run(
            "INSERT OR IGNORE INTO mails (key, order_id, kind, recipient, locale, job, state,
                 attempts, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
            vec![
                text_value(job.key.as_str()),
                text_value(job.order.as_str()),
                text_value(kind),
                job.to.email.clone().into(),
                text_value(job.locale.as_str()),
                text_value(to_text(job)?),
                text_value(EmailState::Queued.code()),
                now.into(),
                now.into(),
            ],
        )?;
        Ok(())
    }

    /// Records the job (once), and lets one delivery at a time send it.
    /// SQL here is synchronous, so the check and the claim are one step.
    /// Claims each email of a queue batch (one call for the batch), in the
    /// order given.
    pub(super) fn claim_emails(&self, jobs: &[EmailJob]) -> Result<Response, EdgeError> {
        let claims = jobs
            .iter()
            .map(|job| self.claim_email(job))
            .collect::<Result<Vec<_>, _>>()?;
        http::json(&claims, 200)
    }

    /// Keeps each try's outcome (one call for the batch); an email not
    /// known here is answered `None`.
    pub(super) fn report_emails(&self, reports: &[EmailReport]) -> Result<Response, EdgeError> {
        let settled = reports
            .iter()
            .map(|report| self.report_email(report))
            .collect::<Result<Vec<_>, _>>()?;
        http::json(&settled, 200)
    }

    fn claim_email(&self, job: &EmailJob) -> Result<EmailClaim, EdgeError> {
        let now = clock::now().unix_seconds();
        let policy = self.policy()?;
        let policy_locale = policy.locale();
        self.record_email(job, now)?;
        let current: Vec<Claimed> = self.rows(
            &format!("SELECT {CLAIMED_COLUMNS} FROM mails WHERE key = ?"),
            vec![text_value(job.key.as_str())],
        )?;
        let current = current
            .into_iter()
            .next()
            .ok_or_else(|| EdgeError::Internal("a claimed email vanished".into()))?;
        let shop = self.shop_id()?;
        let config = self.mail_config()?;
        let mut claim = EmailClaim {
            go: false,
            state: current.state,
            retry_in: None,
            attempts: current.attempts,
            earlier_tries: current.tries,
            config: None,
            overrides: Vec::new(),
            shop_name: name_of(config.as_ref(), &shop),
            token: String::new(),
            shop_locale: policy_locale,
            shop_time_zone: policy.time_zone().to_owned(),
            order_page_url: policy.order_page_url().map(str::to_owned),
        };
        if current.state.is_settled() {
            return Ok(claim);
        }
        if let Some(at) = current
            .claimed_at
            .filter(|at| current.state == EmailState::Sending && now - at < LEASE_SECONDS)
        {
            claim.retry_in = u32::try_from(LEASE_SECONDS - (now - at)).ok();
            return Ok(claim);
        }
        let address = job.to.email.as_deref().map(str::trim).unwrap_or_default();
        let unusable = if address.is_empty() {
            Some("no address".to_owned())
        } else {
            mail::plain_mailbox(address).err()
        };
        if let Some(reason) = unusable {
            self.run(
                "UPDATE mails SET state = ?, last_error = ?, updated_at = ? WHERE key = ?",
                vec![
                    text_value(EmailState::Skipped.code()),
                    text_value(reason),
                    now.into(),
                    text_value(job.key.as_str()),
                ],
            )?;
            claim.state = EmailState::Skipped;
            return Ok(claim);
        }
        if facts::is_optional(&job.email) && self.is_suppressed(address)? {
            self.set_mail_state(&job.key, EmailState::Suppressed)?;
            claim.state = EmailState::Suppressed;
            return Ok(claim);
        }
        self.run(
            "UPDATE mails SET state = ?, attempts = attempts + 1, tries = tries + 1,
                 claimed_at = ?, updated_at = ? WHERE key = ?",
            vec![
                text_value(EmailState::Sending.code()),
                now.into(),
                now.into(),
                text_value(job.key.as_str()),
            ],
        )?;
        let expires = clock::now().plus_days(DEFAULT_LINK_DAYS).unix_seconds();
        let secret = self.setting("link_secret")?.unwrap_or_default();
        claim.go = true;
        claim.state = EmailState::Sending;
        claim.attempts = current.attempts + 1;
        claim.config = config;
        claim.overrides = self.overrides(mail::locale_of(job, policy_locale))?;
        claim.token = links::sign(&secret, shop.as_str(), job.order.as_str(), expires);
        Ok(claim)
    }

    fn report_email(&self, report: &EmailReport) -> Result<Option<EmailSettled>, EdgeError> {
        let now = clock::now().unix_seconds();
        let current: Vec<Claimed> = self.rows(
            &format!("SELECT {CLAIMED_COLUMNS} FROM mails WHERE key = ?"),
            vec![text_value(report.key.as_str())],
        )?;
        let Some(current) = current.into_iter().next() else {
            return Ok(None);
        };
        let (state, message_id, error) = match &report.sent {
            Attempt::Sent { message_id } => (EmailState::Sent, message_id.clone(), None),
            Attempt::Refused { reason } => (EmailState::Failed, None, Some(reason.clone())),
            Attempt::Retry { reason, .. } if current.attempts >= MAX_ATTEMPTS => (
                EmailState::Dead,
                None,
                Some(format!("gave up after {MAX_ATTEMPTS} tries: {reason}")),
            ),
            Attempt::Retry { reason, .. } => (EmailState::Queued, None, Some(reason.clone())),
            Attempt::Unreached { reason } if current.unreached + 1 >= MAX_UNREACHED => (
                EmailState::Dead,
                None,
                Some(format!(
                    "gave up after {MAX_UNREACHED} tries that could not reach the provider: {reason}"
                )),
            ),
            Attempt::Unreached { reason } => (EmailState::Queued, None, Some(reason.clone())),
        };
        // A try that reached no one is not one of the email's tries.
        let (attempts, unreached) = match &report.sent {
            Attempt::Unreached { .. } => {
                (current.attempts.saturating_sub(1), current.unreached + 1)
            }
            _ => (current.attempts, current.unreached),
        };
        // A report for an email already settled (a late duplicate) changes
        // nothing, except that "sent" always wins.
        if current.state != EmailState::Sending && state != EmailState::Sent {
            return Ok(Some(EmailSettled {
                state: current.state,
                tries: current.attempts + current.unreached,
            }));
        }
        let rendered = report.rendered.as_ref();
        self.run(
            "UPDATE mails SET state = ?, attempts = ?, unreached = ?, provider = ?,
                 message_id = COALESCE(?, message_id), last_error = ?, template_error = ?,
                 subject = COALESCE(?, subject), html = COALESCE(?, html),
                 text = COALESCE(?, text), claimed_at = NULL, updated_at = ? WHERE key = ?",
            vec![
                text_value(state.code()),
                i64::from(attempts).into(),
                i64::from(unreached).into(),
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
        Ok(Some(EmailSettled {
            state,
            tries: attempts + unreached,
        }))
    }

    pub(super) fn list_emails(&self, req: &Request) -> Result<Response, EdgeError> {
        let state = http::query_param(req, "state");
        if state
            .as_deref()
            .is_some_and(|state| EmailState::from_code(state).is_none())
        {
            return Err(invalid(
                "state",
                "one of queued, sending, sent, failed, dead, suppressed, skipped",
            ));
        }
        let order = http::query_param(req, "order")
            .map(|order| super::parse_order(&order).map(String::from))
            .transpose()?;
        let limit: i64 = http::query_param(req, "limit")
            .map(|limit| {
                limit
                    .parse()
                    .ok()
                    .filter(|limit| (1..=10_000).contains(limit))
                    .ok_or_else(|| invalid("limit", "a number from 1 to 10000"))
            })
            .transpose()?
            .unwrap_or(1000);
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

    /// Every email of one order, oldest first, as the log lists them.
    pub(super) fn emails_of(&self, order: &str) -> Result<Vec<Value>, EdgeError> {
        let rows: Vec<LogRow> = self.rows(
            &format!("SELECT {LOG_COLUMNS} FROM mails WHERE order_id = ? ORDER BY rowid"),
            vec![text_value(order)],
        )?;
        Ok(rows.iter().map(log_entry).collect())
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
        self.email_again(&body.key).await?;
        http::json(
            &json!({ "key": body.key, "state": EmailState::Queued }),
            202,
        )
    }

    /// Queues the email keyed `key` once more. A failed or given-up email
    /// starts afresh; a queued one (its queue message may be lost) is queued
    /// once more as it is: its claim keeps a second delivery from sending it
    /// twice.
    pub(super) async fn email_again(&self, key: &str) -> Result<(), EdgeError> {
        let row = self.log_row(key)?;
        let query = match EmailState::from_code(&row.state) {
            Some(EmailState::Failed | EmailState::Dead) => {
                "UPDATE mails SET state = ?, attempts = 0, unreached = 0, last_error = NULL,
                     claimed_at = NULL, updated_at = ? WHERE key = ?"
            }
            Some(EmailState::Queued) => "UPDATE mails SET state = ?, updated_at = ? WHERE key = ?",
            _ => {
                return Err(invalid(
                    "key",
                    format!(
                        "only a failed, given-up or queued email is sent again; this one is {}",
                        row.state
                    ),
                ));
            }
        };
        let job: EmailJob = serde_json::from_str(&row.job)
            .map_err(|err| EdgeError::Internal(format!("stored email job: {err}")))?;
        self.run(
            query,
            vec![
                text_value(EmailState::Queued.code()),
                clock::now().unix_seconds().into(),
                text_value(key),
            ],
        )?;
        queue::send(&self.env, &Job::Email(job)).await
    }

    /// An email whose queue message was dead-lettered (the queue's own
    /// retries ran out) is shown as given up, with why, unless it settled.
    pub(super) fn email_dead_lettered(&self, key: &str) -> Result<(), EdgeError> {
        self.run(
            "UPDATE mails SET state = ?, last_error = ?, claimed_at = NULL, updated_at = ?
                 WHERE key = ? AND state IN (?, ?)",
            vec![
                text_value(EmailState::Dead.code()),
                text_value(DEAD_LETTERED),
                clock::now().unix_seconds().into(),
                text_value(key),
                text_value(EmailState::Queued.code()),
                text_value(EmailState::Sending.code()),
            ],
        )?;
        Ok(())
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
            (Method::Post, ["v1", "shops", _, "mail", "test"]) => {
                self.send_test_email(req, shop).await
            }
            (Method::Post, ["v1", "shops", _, "emails", "preview"]) => {
                self.preview_draft(req, shop).await
            }
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
        "unreached": row.unreached,
        "provider": row.provider,
        "message_id": row.message_id,
        "error": row.last_error,
        "template_error": row.template_error,
        "subject": row.subject,
        "email": job["email"],
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "requeued": row.requeued,
    })
}
