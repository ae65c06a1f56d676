//! The mail providers, each in its documented wire format (the specs are in
//! `../shared/fixtures/mail`): Resend `POST /emails` (Bearer, with
//! `Idempotency-Key`), Postmark `POST /email` (`X-Postmark-Server-Token`, a
//! message stream), SendGrid `POST /v3/mail/send` (Bearer, 202 and no body).
//! `outbox` sends nothing: the email log is the mailbox (demo, development).
//! Each answer is sorted into sent, try again (and when), or refused for good.
//!
//! A try whose outcome is unknown (no answer in time, a connection cut after
//! the request left) may have been accepted. Before trying again, the
//! provider is asked where its API can say: Resend by the same
//! `Idempotency-Key`, Postmark by searching its outbound messages for our
//! metadata key (`earlier_try`). SendGrid's v3 send API has neither; its
//! Email Activity search is a paid add-on, so a late acceptance there can
//! still give a second email (measured by `bench_mail`).

use futures_util::future::{Either, select};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use worker::{AbortController, Delay, Fetch, Headers, Method, Request, RequestInit, Response};

use crate::clock;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Provider {
    Outbox,
    Resend,
    Postmark,
    Sendgrid,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Outbox => "outbox",
            Provider::Resend => "resend",
            Provider::Postmark => "postmark",
            Provider::Sendgrid => "sendgrid",
        }
    }
}

/// A shop's mail settings, secret included: only the shop's object and the
/// mail consumer ever hold this.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MailConfig {
    pub provider: Provider,
    #[serde(default)]
    pub api_key: Option<String>,
    pub from_email: String,
    pub from_name: String,
    /// Postmark's message stream ("outbound" unless set).
    #[serde(default)]
    pub message_stream: Option<String>,
}

impl MailConfig {
    pub fn outbox(shop_name: &str) -> MailConfig {
        MailConfig {
            provider: Provider::Outbox,
            api_key: None,
            from_email: "outbox@localhost".to_owned(),
            from_name: shop_name.to_owned(),
            message_stream: None,
        }
    }

    /// `"Name" <address>`, with the name quoted as RFC 5322 wants.
    fn sender(&self) -> String {
        let name = self.from_name.replace(['\\', '"'], "");
        format!("\"{name}\" <{}>", self.from_email)
    }
}

/// One email, ready to go.
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub key: String,
    pub kind: String,
    pub to_email: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub html: String,
    pub text: String,
    pub headers: Vec<(String, String)>,
}

/// Where each provider lives; tests point these at a local server.
#[derive(Clone, Debug)]
pub struct Endpoints {
    pub resend: String,
    pub postmark: String,
    pub sendgrid: String,
    pub timeout_ms: u32,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Attempt {
    Sent {
        message_id: Option<String>,
    },
    /// Worth another try: 429, 5xx, no answer in time.
    Retry {
        after_seconds: Option<u32>,
        reason: String,
    },
    /// The connection failed before any answer: tried again, but not
    /// counted against the email's tries (a provider that cannot be reached
    /// has its own, larger, budget).
    Unreached {
        reason: String,
    },
    /// Refused for good (bad address, inactive recipient, bad key): no retry.
    Refused {
        reason: String,
    },
}

pub async fn send(config: &MailConfig, endpoints: &Endpoints, mail: &Outgoing) -> Attempt {
    let (url, headers, body) = match config.provider {
        Provider::Outbox => {
            return Attempt::Sent {
                message_id: Some(format!("outbox:{}", mail.key)),
            };
        }
        Provider::Resend => resend(config, endpoints, mail),
        Provider::Postmark => postmark(config, endpoints, mail),
        Provider::Sendgrid => sendgrid(config, endpoints, mail),
    };
    let response = match call(
        Method::Post,
        &url,
        &headers,
        Some(&body),
        endpoints.timeout_ms,
    )
    .await
    {
        Ok(response) => response,
        Err(Failure::Late(reason)) => {
            return Attempt::Retry {
                after_seconds: None,
                reason,
            };
        }
        Err(Failure::Unreached(reason)) => return Attempt::Unreached { reason },
    };
    classify(config.provider, response).await
}

/// What the provider knows of an earlier try of one email.
#[derive(Debug, PartialEq, Eq)]
pub enum EarlierTry {
    /// It was accepted: this is its id. Nothing is sent again.
    Accepted(Option<String>),
    /// Not found, or the provider cannot be asked: send.
    NotFound,
    /// The question went unanswered: ask again later, send nothing.
    Unknown(String),
}

/// Asks the provider whether it accepted an earlier try of the email keyed
/// `key`. Only Postmark is asked (`GET /messages/outbound` filtered by
/// `metadata_key`); Resend answers a repeated key with the first answer
/// anyway, and SendGrid cannot be asked.
pub async fn earlier_try(config: &MailConfig, endpoints: &Endpoints, key: &str) -> EarlierTry {
    if config.provider != Provider::Postmark {
        return EarlierTry::NotFound;
    }
    let base = format!(
        "{}/messages/outbound",
        endpoints.postmark.trim_end_matches('/')
    );
    let url = match worker::Url::parse_with_params(
        &base,
        &[("count", "1"), ("offset", "0"), ("metadata_key", key)],
    ) {
        Ok(url) => url,
        Err(err) => return EarlierTry::Unknown(format!("postmark search URL: {err}")),
    };
    let headers = postmark_headers(config);
    let mut response = match call(
        Method::Get,
        url.as_str(),
        &headers,
        None,
        endpoints.timeout_ms,
    )
    .await
    {
        Ok(response) => response,
        Err(Failure::Late(reason) | Failure::Unreached(reason)) => {
            return EarlierTry::Unknown(format!("postmark search: {reason}"));
        }
    };
    let status = response.status_code();
    let body = response.text().await.unwrap_or_default();
    found_in_search(status, &body)
}

/// Reads Postmark's outbound search answer (`OutboundSearchResponse`).
fn found_in_search(status: u16, body: &str) -> EarlierTry {
    if !(200..300).contains(&status) {
        return EarlierTry::Unknown(format!("postmark search {status}: {}", short(body)));
    }
    let json: Value = match serde_json::from_str(body) {
        Ok(json) => json,
        Err(err) => return EarlierTry::Unknown(format!("postmark search: not JSON: {err}")),
    };
    match json["Messages"].as_array().and_then(|found| found.first()) {
        Some(message) => EarlierTry::Accepted(message["MessageID"].as_str().map(str::to_owned)),
        None if json["TotalCount"].as_u64() == Some(0) => EarlierTry::NotFound,
        None => EarlierTry::Unknown("postmark search: no Messages in its answer".to_owned()),
    }
}

fn resend(
    config: &MailConfig,
    endpoints: &Endpoints,
    mail: &Outgoing,
) -> (String, Vec<(String, String)>, Value) {
    let headers = header_object(mail);
    let mut body = json!({
        "from": config.sender(),
        "to": [mail.to_email],
        "subject": mail.subject,
        "html": mail.html,
        "text": mail.text,
        "tags": [{ "name": "kind", "value": mail.kind }],
    });
    if !headers.is_empty() {
        body["headers"] = Value::Object(headers);
    }
    (
        format!("{}/emails", endpoints.resend.trim_end_matches('/')),
        vec![
            (
                "authorization".into(),
                format!("Bearer {}", config.api_key.as_deref().unwrap_or("")),
            ),
            // Resend keeps a key 24 hours: the same key and body return the
            // first answer instead of a second email.
            ("idempotency-key".into(), mail.key.clone()),
        ],
        body,
    )
}

fn postmark(
    config: &MailConfig,
    endpoints: &Endpoints,
    mail: &Outgoing,
) -> (String, Vec<(String, String)>, Value) {
    let headers: Vec<Value> = mail
        .headers
        .iter()
        .map(|(name, value)| json!({ "Name": name, "Value": value }))
        .collect();
    let to = match &mail.to_name {
        Some(name) => format!("\"{}\" <{}>", name.replace(['\\', '"'], ""), mail.to_email),
        None => mail.to_email.clone(),
    };
    let body = json!({
        "From": config.sender(),
        "To": to,
        "Subject": mail.subject,
        "HtmlBody": mail.html,
        "TextBody": mail.text,
        "Tag": mail.kind,
        "Headers": headers,
        "MessageStream": config.message_stream.as_deref().unwrap_or("outbound"),
        "Metadata": { "key": mail.key },
    });
    (
        format!("{}/email", endpoints.postmark.trim_end_matches('/')),
        postmark_headers(config),
        body,
    )
}

fn postmark_headers(config: &MailConfig) -> Vec<(String, String)> {
    vec![
        (
            "x-postmark-server-token".into(),
            config.api_key.clone().unwrap_or_default(),
        ),
        ("accept".into(), "application/json".into()),
    ]
}

fn sendgrid(
    config: &MailConfig,
    endpoints: &Endpoints,
    mail: &Outgoing,
) -> (String, Vec<(String, String)>, Value) {
    let mut to = json!({ "email": mail.to_email });
    if let Some(name) = &mail.to_name {
        to["name"] = Value::String(name.clone());
    }
    let headers = header_object(mail);
    let mut body = json!({
        // The spec types the top-level `custom_args` as a string; the object
        // form belongs to the personalization.
        "personalizations": [{ "to": [to], "custom_args": { "key": mail.key } }],
        "from": { "email": config.from_email, "name": config.from_name },
        "subject": mail.subject,
        "content": [
            { "type": "text/plain", "value": mail.text },
            { "type": "text/html", "value": mail.html },
        ],
        "categories": [mail.kind],
    });
    if !headers.is_empty() {
        body["headers"] = Value::Object(headers);
    }
    (
        format!("{}/v3/mail/send", endpoints.sendgrid.trim_end_matches('/')),
        vec![(
            "authorization".into(),
            format!("Bearer {}", config.api_key.as_deref().unwrap_or("")),
        )],
        body,
    )
}

/// The email's extra headers as a JSON object (Resend's and SendGrid's form).
fn header_object(mail: &Outgoing) -> serde_json::Map<String, Value> {
    mail.headers
        .iter()
        .map(|(name, value)| (name.clone(), Value::String(value.clone())))
        .collect()
}

/// Why a call got no answer.
enum Failure {
    /// None in time: the request may have been taken.
    Late(String),
    /// The connection failed (or the request could not be made).
    Unreached(String),
}

async fn call(
    method: Method,
    url: &str,
    headers: &[(String, String)],
    body: Option<&Value>,
    timeout_ms: u32,
) -> Result<Response, Failure> {
    let unmade = |e: worker::Error| Failure::Unreached(e.to_string());
    let set = Headers::new();
    if body.is_some() {
        set.set("content-type", "application/json")
            .map_err(unmade)?;
    }
    for (name, value) in headers {
        set.set(name, value).map_err(unmade)?;
    }
    let mut init = RequestInit::new();
    init.with_method(method)
        .with_headers(set)
        .with_body(body.map(|body| body.to_string().into()));
    let request = Request::new_with_init(url, &init).map_err(unmade)?;
    let controller = AbortController::default();
    let signal = controller.signal();
    let fetch = Fetch::Request(request);
    let call = Box::pin(fetch.send_with_signal(&signal));
    let timer = Box::pin(Delay::from(std::time::Duration::from_millis(u64::from(
        timeout_ms,
    ))));
    match select(call, timer).await {
        Either::Left((Ok(response), _)) => Ok(response),
        Either::Left((Err(err), _)) => {
            Err(Failure::Unreached(format!("the connection failed: {err}")))
        }
        Either::Right(((), _)) => {
            controller.abort();
            Err(Failure::Late(format!("no answer within {timeout_ms} ms")))
        }
    }
}

/// Seconds until the provider lets us try again: `Retry-After` (seconds),
/// else a rate-limit reset (Resend: seconds from now; SendGrid: a Unix time).
fn retry_after(response: &Response) -> Option<u32> {
    let header = |name: &str| response.headers().get(name).ok().flatten();
    if let Some(seconds) = header("retry-after").and_then(|v| v.trim().parse::<u32>().ok()) {
        return Some(seconds);
    }
    if let Some(seconds) = header("ratelimit-reset").and_then(|v| v.trim().parse::<u32>().ok()) {
        return Some(seconds);
    }
    header("x-ratelimit-reset")
        .and_then(|v| v.trim().parse::<i64>().ok())
        .map(|at| u32::try_from((at - clock::now().unix_seconds()).max(1)).unwrap_or(60))
}

fn short(text: &str) -> String {
    text.chars().take(300).collect()
}

async fn classify(provider: Provider, mut response: Response) -> Attempt {
    let status = response.status_code();
    let after = retry_after(&response);
    let message_id_header = response.headers().get("x-message-id").ok().flatten();
    let body = response.text().await.unwrap_or_default();
    sort_answer(provider, status, after, message_id_header, &body)
}

/// Sorts a provider's answer into sent (with its id), try again (with the
/// wait it asked for) or refused for good, by its documented status codes
/// and error bodies.
fn sort_answer(
    provider: Provider,
    status: u16,
    after: Option<u32>,
    message_id_header: Option<String>,
    body: &str,
) -> Attempt {
    let json: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let reason = || match provider {
        Provider::Postmark => format!(
            "postmark {status}: ErrorCode {} {}",
            json["ErrorCode"],
            json["Message"].as_str().unwrap_or("")
        ),
        Provider::Sendgrid => {
            let messages: Vec<&str> = json["errors"]
                .as_array()
                .map(|errors| {
                    errors
                        .iter()
                        .filter_map(|e| e["message"].as_str())
                        .collect()
                })
                .unwrap_or_default();
            format!("sendgrid {status}: {}", messages.join("; "))
        }
        _ => format!(
            "{} {status}: {} {}",
            provider.name(),
            json["name"].as_str().unwrap_or(""),
            json["message"].as_str().unwrap_or(&short(body))
        ),
    };
    match (provider, status) {
        (Provider::Resend, 200..=299) => Attempt::Sent {
            message_id: json["id"].as_str().map(str::to_owned),
        },
        (Provider::Postmark, 200..=299) if json["ErrorCode"].as_i64().unwrap_or(0) == 0 => {
            Attempt::Sent {
                message_id: json["MessageID"].as_str().map(str::to_owned),
            }
        }
        (Provider::Sendgrid, 200..=299) => Attempt::Sent {
            message_id: message_id_header,
        },
        // Resend: the key was used with another body, so an email already
        // went with it; a concurrent request with the key is still running.
        (Provider::Resend, 409) if json["name"] == "invalid_idempotent_request" => {
            Attempt::Sent { message_id: None }
        }
        (_, 409 | 429 | 500..=599) | (_, 408) => Attempt::Retry {
            after_seconds: after,
            reason: reason(),
        },
        _ => Attempt::Refused { reason: reason() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(provider: Provider, status: u16, body: &str, expect: &str) {
        let got = match sort_answer(provider, status, Some(7), Some("sg-id".into()), body) {
            Attempt::Sent { message_id } => format!("sent {}", message_id.unwrap_or_default()),
            Attempt::Retry {
                after_seconds,
                reason,
            } => format!("retry {} {reason}", after_seconds.unwrap_or(0)),
            Attempt::Unreached { reason } => format!("unreached {reason}"),
            Attempt::Refused { reason } => format!("refused {reason}"),
        };
        assert!(got.starts_with(expect), "{got:?} should start {expect:?}");
    }

    #[test]
    fn a_success_is_sent_with_the_providers_own_id() {
        check(Provider::Resend, 200, r#"{"id":"re_1"}"#, "sent re_1");
        check(
            Provider::Postmark,
            200,
            r#"{"ErrorCode":0,"MessageID":"pm-1"}"#,
            "sent pm-1",
        );
        check(Provider::Sendgrid, 202, "", "sent sg-id");
    }

    #[test]
    fn a_postmark_error_code_in_a_success_is_refused() {
        check(
            Provider::Postmark,
            200,
            r#"{"ErrorCode":406,"Message":"Inactive recipient"}"#,
            "refused postmark 200: ErrorCode 406 Inactive recipient",
        );
        check(
            Provider::Postmark,
            422,
            r#"{"ErrorCode":300,"Message":"Invalid email request"}"#,
            "refused postmark 422: ErrorCode 300",
        );
    }

    #[test]
    fn rate_limits_timeouts_conflicts_and_server_errors_are_tried_again() {
        for status in [408, 409, 429, 500, 503] {
            check(
                Provider::Sendgrid,
                status,
                r#"{"errors":[]}"#,
                "retry 7 sendgrid",
            );
        }
        check(
            Provider::Resend,
            409,
            r#"{"name":"concurrent_idempotent_requests","message":"busy"}"#,
            "retry 7 resend 409: concurrent_idempotent_requests busy",
        );
    }

    /// Resend refuses a key used with another body: an email already went
    /// with that key, so it counts as sent, never as a second try.
    #[test]
    fn a_resend_key_already_used_counts_as_sent() {
        check(
            Provider::Resend,
            409,
            r#"{"name":"invalid_idempotent_request"}"#,
            "sent ",
        );
    }

    #[test]
    fn a_postmark_search_finds_an_earlier_try_or_says_it_cannot_tell() {
        assert_eq!(
            found_in_search(
                200,
                r#"{"TotalCount":1,"Messages":[{"MessageID":"pm-7","Status":"Sent"}]}"#
            ),
            EarlierTry::Accepted(Some("pm-7".into()))
        );
        assert_eq!(
            found_in_search(200, r#"{"TotalCount":0,"Messages":[]}"#),
            EarlierTry::NotFound
        );
        for (status, body) in [
            (503, r#"{"ErrorCode":503}"#),
            (200, "not json"),
            (200, r#"{"TotalCount":3}"#),
        ] {
            assert!(
                matches!(found_in_search(status, body), EarlierTry::Unknown(_)),
                "{status} {body}"
            );
        }
    }

    #[test]
    fn other_client_errors_are_refused_with_the_providers_words() {
        check(
            Provider::Sendgrid,
            400,
            r#"{"errors":[{"message":"bad from"},{"message":"bad to"}]}"#,
            "refused sendgrid 400: bad from; bad to",
        );
        check(
            Provider::Resend,
            403,
            "not json",
            "refused resend 403:  not json",
        );
    }
}
