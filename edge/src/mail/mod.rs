//! Email: each `Send` effect reaches its customer once, in their language.
//!
//! The order's object queues an `EmailJob` keyed `{shop}/{order}/{seq}/{index}`.
//! The consumer here **claims** a queue batch's emails of one shop in one
//! call to its object (which records each, counts the attempt, and holds a
//! lease so that two deliveries of one job never send at once),
//! **renders** each (`render`, `facts`, `intl`), **sends** it (`provider`),
//! and **reports** the outcomes in one more call; the shop's object keeps
//! them in the email log: sent with the provider's id, queued for another
//! try (with backoff), refused for good, or given up after the last try.

pub mod facts;
pub mod intl;
pub mod provider;
pub mod render;

use shared::lifecycle::{
    Bill, CancelCause, Choice, DelayNotice, Email, EmailKind, Locale, OfferId, OfferedOption,
    UsRuleTerms,
};
use shared::text::MerchantText;
use shared::{Currency, Date, Money, OrderId, ShipWindow, ShopId, Sku, Timestamp};
use worker::Env;

use crate::calls::shop::{EmailClaim, EmailReport, EmailSettled, EmailState};
use crate::calls::{EmailJob, ShopStub};
use crate::clock;
use crate::error::EdgeError;
use facts::Addressing;
use provider::{Attempt, EarlierTry, Endpoints, MailConfig, Outgoing};
use render::{Rendered, TemplateError};

/// Tries per email before it is given up and shown as dead to the merchant.
pub const MAX_ATTEMPTS: u32 = 12;
/// Tries whose connection failed before any answer, on top of those: with
/// the wait capped at a minute, about half an hour of a provider that
/// cannot be reached.
pub const MAX_UNREACHED: u32 = 36;
/// How long one claim holds an email against a second delivery of its job.
pub const LEASE_SECONDS: i64 = 60;

pub fn endpoints(env: &Env) -> Endpoints {
    let var = |name: &str, default: &str| {
        env.var(name)
            .map(|value| value.to_string())
            .ok()
            .filter(|value| !value.is_empty())
            .unwrap_or_else(|| default.to_owned())
    };
    Endpoints {
        resend: var("RESEND_API_URL", "https://api.resend.com"),
        postmark: var("POSTMARK_API_URL", "https://api.postmarkapp.com"),
        sendgrid: var("SENDGRID_API_URL", "https://api.sendgrid.com"),
        timeout_ms: var("MAIL_TIMEOUT_MS", "10000").parse().unwrap_or(10_000),
    }
}

/// The edge's public origin, for links in emails.
pub fn public_url(env: &Env) -> String {
    env.var("PUBLIC_URL")
        .map(|value| value.to_string())
        .unwrap_or_else(|_| "http://127.0.0.1:8787".to_owned())
}

/// One plain mailbox (`name@example.com`), as providers put it in `To`:
/// no display name, no list, no quoted local part or bracketed domain, no
/// line break. Anything else is refused with the reason, since a comma or
/// a line break in an address sends the email, with its links, to someone
/// else as well.
pub fn plain_mailbox(text: &str) -> Result<&str, String> {
    use email_address::{EmailAddress, Options};
    let text = text.trim();
    let options = Options::default()
        .with_required_tld()
        .without_domain_literal()
        .without_display_text();
    match EmailAddress::parse_with_options(text, options) {
        Ok(_) if text.starts_with('"') => Err("a quoted local part is not taken".to_owned()),
        Ok(_) => Ok(text),
        Err(err) => Err(format!("not one plain email address: {err}")),
    }
}

/// The language an email is written in: the order's, else the shop's.
pub fn locale_of(job: &EmailJob, shop_locale: Locale) -> Locale {
    Locale::from_tag(&job.locale).unwrap_or(shop_locale)
}

/// Renders `job` with the shop's templates, falling back to ours when one of
/// theirs fails on these facts (the failure is kept in the log).
pub fn render_job(
    job: &EmailJob,
    to: &Addressing,
    overrides: &[(String, String)],
) -> Result<(Rendered, Option<TemplateError>), TemplateError> {
    let kind = job.email.kind().code();
    let facts = facts::facts(&job.email, to);
    match render::render(kind, &facts, overrides) {
        Ok(rendered) => Ok((rendered, None)),
        Err(err) if !overrides.is_empty() => {
            render::render(kind, &facts, &[]).map(|rendered| (rendered, Some(err)))
        }
        Err(err) => Err(err),
    }
}

/// The extra headers an email carries: RFC 8058 one-click unsubscribe, for
/// every email that can be stopped.
pub fn headers_for(email: &Email, to: &Addressing) -> Vec<(String, String)> {
    if !facts::can_unsubscribe(email) {
        return Vec::new();
    }
    vec![
        (
            "List-Unsubscribe".to_owned(),
            format!("<{}>", to.unsubscribe_url(email)),
        ),
        (
            "List-Unsubscribe-Post".to_owned(),
            "List-Unsubscribe=One-Click".to_owned(),
        ),
    ]
}

/// What the queue should do with the job's message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    Done,
    RetryIn(u32),
}

/// Claims, renders, sends and reports a queue batch's emails for one shop:
/// one call to the shop's object claims them all and one reports them; one
/// order's emails go in turn, different orders' at once. Answers what to
/// do with each job's message, in the order given.
pub async fn deliver_all(
    env: &Env,
    shop: &ShopId,
    jobs: &[&EmailJob],
) -> Result<Vec<Next>, EdgeError> {
    let stub = ShopStub::get(env, shop)?;
    let claims = stub.claim_emails(jobs).await?;
    let mut by_order: Vec<(&OrderId, Vec<usize>)> = Vec::new();
    for (position, job) in jobs.iter().enumerate() {
        match by_order.iter_mut().find(|(order, _)| **order == job.order) {
            Some((_, positions)) => positions.push(position),
            None => by_order.push((&job.order, vec![position])),
        }
    }
    let (jobs_ref, claims_ref) = (jobs, &claims);
    let tried =
        futures_util::future::join_all(by_order.into_iter().map(|(_, positions)| async move {
            let mut tried = Vec::with_capacity(positions.len());
            for position in positions {
                let report = attempt(env, jobs_ref[position], &claims_ref[position]).await;
                tried.push((position, report));
            }
            tried
        }))
        .await;
    let mut next: Vec<Next> = claims
        .iter()
        .map(|claim| claim.retry_in.map_or(Next::Done, Next::RetryIn))
        .collect();
    let (positions, reports): (Vec<usize>, Vec<EmailReport>) = tried
        .into_iter()
        .flatten()
        .filter_map(|(position, report)| report.map(|report| (position, report)))
        .unzip();
    if reports.is_empty() {
        return Ok(next);
    }
    let settled = stub.report_emails(&reports).await?;
    for ((position, report), settled) in positions.into_iter().zip(&reports).zip(settled) {
        next[position] = match settled {
            Some(settled) => after_try(report, &settled),
            None => {
                worker::console_error!("email {}: not in the shop's log", report.key);
                Next::Done
            }
        };
    }
    Ok(next)
}

/// A customer waits for this news: a minute between tries at most, unless
/// the provider asks for longer.
fn after_try(report: &EmailReport, settled: &EmailSettled) -> Next {
    if settled.state != EmailState::Queued {
        return Next::Done;
    }
    let asked = match &report.sent {
        Attempt::Retry { after_seconds, .. } => *after_seconds,
        _ => None,
    };
    Next::RetryIn(
        asked
            .unwrap_or(0)
            .max(clock::backoff_seconds(settled.tries, 60))
            .min(3600),
    )
}

/// Renders and sends one claimed email: the try's report, or `None` when
/// the claim said not to send now.
async fn attempt(env: &Env, job: &EmailJob, claim: &EmailClaim) -> Option<EmailReport> {
    if !claim.go {
        return None;
    }
    let config = claim
        .config
        .clone()
        .unwrap_or_else(|| MailConfig::outbox(&claim.shop_name));
    let to = Addressing {
        locale: locale_of(job, claim.shop_locale),
        shop: job.shop.clone(),
        shop_name: claim.shop_name.clone(),
        order: job.order.clone(),
        customer: job.to.name.clone(),
        base_url: public_url(env),
        token: claim.token.clone(),
        time_zone: claim.shop_time_zone.clone(),
        names: job.names.clone(),
        order_page: claim.order_page_url.clone(),
        shop_locale: claim.shop_locale,
    };
    let report = match render_job(job, &to, &claim.overrides) {
        Ok((rendered, template_error)) => {
            let headers = headers_for(&job.email, &to);
            let outgoing = Outgoing {
                key: job.key.clone(),
                kind: job.email.kind().code().to_owned(),
                // The claim checked it is one plain mailbox.
                to_email: job
                    .to
                    .email
                    .as_deref()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                to_name: to
                    .customer
                    .as_deref()
                    .map(|name| render::header_text(name, 100)),
                subject: rendered.subject.clone(),
                html: rendered.html.clone(),
                text: rendered.text.clone(),
                headers,
            };
            let endpoints = endpoints(env);
            // An earlier try may have been accepted with its answer lost:
            // where the provider can say so, it is asked first.
            let earlier = if claim.earlier_tries > 0 {
                provider::earlier_try(&config, &endpoints, &job.key).await
            } else {
                EarlierTry::NotFound
            };
            let sent = match earlier {
                EarlierTry::Accepted(message_id) => Attempt::Sent { message_id },
                EarlierTry::NotFound => provider::send(&config, &endpoints, &outgoing).await,
                EarlierTry::Unknown(reason) => Attempt::Retry {
                    after_seconds: None,
                    reason,
                },
            };
            EmailReport {
                key: job.key.clone(),
                provider: config.provider.name().to_owned(),
                sent,
                rendered: Some(rendered),
                template_error,
            }
        }
        Err(err) => EmailReport {
            key: job.key.clone(),
            provider: config.provider.name().to_owned(),
            sent: Attempt::Refused {
                reason: format!("the email could not be written: {err}"),
            },
            rendered: None,
            template_error: Some(err),
        },
    };
    Some(report)
}

/// Sample facts for previews and for checking a merchant's template: one
/// email of each kind, with every option, in the customer's currency.
pub fn sample(kind: EmailKind, locale: Locale) -> Option<Email> {
    let day = |m, d| Date::from_ymd(2030, m, d).ok();
    let window = |a: Option<Date>, b: Option<Date>| ShipWindow::new(a?, b?).ok();
    let currency = Currency::parse(match locale {
        Locale::En => "USD",
        Locale::It => "EUR",
        Locale::Ar => "AED",
    })
    .ok()?;
    let money = |minor| Money::new(currency, minor);
    let tent = Sku::parse("TENT-2P").ok()?;
    let stove = Sku::parse("STOVE-1").ok()?;
    let ship = window(day(6, 7), day(6, 11))?;
    Some(match kind {
        EmailKind::Receipt => Email::Receipt {
            lines: vec![(tent.clone(), ship)],
            ship: Some(ship),
            delivery: window(day(6, 10), day(6, 18)),
            bill: Some(Bill {
                items: vec![(tent, 1, money(18_900)), (stove, 2, money(4_800))],
                shipping: money(1_000),
                total: money(24_700),
            }),
        },
        EmailKind::Restocked => Email::Restocked {
            sku: tent,
            order_complete: true,
        },
        EmailKind::Processed => Email::Processed,
        EmailKind::Shipped => Email::Shipped {
            carrier: "UPS".to_owned(),
            tracking: "1Z999AA10123456784".to_owned(),
            expedited: true,
        },
        EmailKind::FollowUp => Email::FollowUp,
        EmailKind::WinBack => Email::WinBack,
        EmailKind::OrderLink => Email::OrderLink,
        EmailKind::WatchConfirm => Email::WatchConfirm { sku: tent },
        EmailKind::BackInStock => Email::BackInStock { sku: tent },
        EmailKind::Nurture => Email::Nurture {
            window: Some(ship),
            offer: None,
        },
        EmailKind::DelayNotice => Email::DelayNotice(DelayNotice {
            // Written in English and Italian: an Arabic email says the
            // shop's English, marked as such.
            reason: MerchantText::ByLanguage(
                [
                    (
                        Locale::En,
                        "The ship carrying our tents was held at the port.",
                    ),
                    (
                        Locale::It,
                        "La nave con le nostre tende è stata trattenuta in porto.",
                    ),
                ]
                .into_iter()
                .map(|(locale, text)| (locale, text.to_owned()))
                .collect(),
            ),
            fix: MerchantText::ByLanguage(
                [
                    (
                        Locale::En,
                        "We booked the next sailing and ship the day it lands.",
                    ),
                    (
                        Locale::It,
                        "Abbiamo prenotato la prossima nave e spediamo il giorno dell'arrivo.",
                    ),
                ]
                .into_iter()
                .map(|(locale, text)| (locale, text.to_owned()))
                .collect(),
            ),
            window: window(day(7, 1), day(7, 8)),
            offer: OfferId(1),
            options: vec![
                OfferedOption::KeepWaiting { expedited: true },
                OfferedOption::SwitchItem {
                    alternatives: vec![(tent.clone(), Sku::parse("TENT-3P").ok()?)],
                },
                OfferedOption::ShipAvailableNow { skus: vec![stove] },
                OfferedOption::StoreCredit {
                    value: money(12_900),
                    bonus: money(1_290),
                },
                OfferedOption::Cancel {
                    refund: money(12_900),
                },
            ],
            offer_expires_at: Timestamp::from_unix_seconds(1_907_755_200),
            us_rule: Some(UsRuleTerms {
                renewed: false,
                revised_ship_by: day(7, 8),
                silence_is_consent: true,
                consent_by: None,
                cancel_any_time_until_shipped: false,
            }),
        }),
        EmailKind::ChoiceConfirmed => Email::ChoiceConfirmed {
            choice: Choice::StoreCredit,
            credit: Some((money(18_900), money(1_890))),
            expedited: false,
        },
        EmailKind::Cancelled => Email::Cancelled {
            cause: CancelCause::CustomerChose,
            refund: money(12_900),
            refund_by: day(6, 14)?,
        },
    })
}

/// Who a sample is addressed to.
pub fn sample_addressing(
    locale: Locale,
    shop: &ShopId,
    shop_name: &str,
    base_url: &str,
    time_zone: &str,
) -> Option<Addressing> {
    Some(Addressing {
        locale,
        shop: shop.clone(),
        shop_name: shop_name.to_owned(),
        order: OrderId::parse("1001").ok()?,
        customer: Some(
            match locale {
                Locale::En => "Ada Lovelace",
                Locale::It => "Grazia Deledda",
                Locale::Ar => "مريم الأسطرلابي",
            }
            .to_owned(),
        ),
        base_url: base_url.to_owned(),
        token: "preview".to_owned(),
        time_zone: time_zone.to_owned(),
        order_page: None,
        shop_locale: Locale::En,
        // The store's names, in the store's language, whatever the email's.
        names: [
            ("TENT-2P", "Trail tent, 2 person"),
            ("TENT-3P", "Trail tent, 3 person"),
            ("STOVE-1", "Camp stove"),
        ]
        .into_iter()
        .filter_map(|(sku, name)| Some((Sku::parse(sku).ok()?, name.to_owned())))
        .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_plain_mailbox_is_an_address() {
        for good in ["ann@example.com", " ann.o'neil+tag@mail.example.co.uk "] {
            assert!(plain_mailbox(good).is_ok(), "{good}");
        }
        for bad in [
            "solo@example.com, extra@evil.example",
            "solo@example.com\r\nBcc: extra@evil.example",
            "Solo <solo@example.com>",
            "notanemail",
            "\"a,b\"@example.com",
            "solo@[127.0.0.1]",
            "solo@localhost",
            "",
        ] {
            assert!(plain_mailbox(bad).is_err(), "{bad:?}");
        }
    }

    /// Each kind's wire code is `Email`'s serde tag, and every kind has a
    /// sample to preview and to check a merchant's template against.
    #[test]
    fn every_kind_has_a_sample_tagged_with_its_code() {
        for kind in EmailKind::ALL {
            for locale in [Locale::En, Locale::It, Locale::Ar] {
                let email = sample(kind, locale).expect("a sample");
                assert_eq!(email.kind(), kind);
                let json = serde_json::to_value(&email).expect("serialises");
                assert_eq!(json["email"], kind.code());
            }
            assert_eq!(EmailKind::from_code(kind.code()), Some(kind));
        }
    }
}
