//! A local mail provider for the tests, the demo and the mail benchmark: it
//! speaks Resend's, Postmark's and SendGrid's wire formats on one port
//! (`/emails`, `/email`, `/v3/mail/send`), checks every request against
//! that provider's published schema in `../shared/fixtures/mail` (fields,
//! headers, auth), and injects faults on demand: a 5xx, a 429 with
//! `Retry-After`, an answer after the client gave up (the email *was*
//! accepted), a dropped connection, a permanent refusal.
//!
//! Resend's `Idempotency-Key` is honoured as Resend documents it: the same
//! key and body give the first answer again, without a second email.
//! Postmark's outbound message search (`GET /messages/outbound`, with
//! `count`, `offset` and a `metadata_<name>` filter) finds what it accepted,
//! at once: the real search may lag a little behind the send.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::repo_root;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Provider {
    Resend,
    Postmark,
    Sendgrid,
}

impl Provider {
    pub fn name(self) -> &'static str {
        match self {
            Provider::Resend => "resend",
            Provider::Postmark => "postmark",
            Provider::Sendgrid => "sendgrid",
        }
    }
}

/// What the server does with one request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Accept it.
    None,
    /// 500 (503 for Postmark) before accepting.
    ServerError,
    /// 429 with `Retry-After: 1` (and each provider's rate-limit headers).
    RateLimited,
    /// Accept it, but answer only after `late_ms`: the client has given up.
    AcceptedLate,
    /// Close the connection without an answer, before accepting.
    Drop,
    /// A permanent refusal: Postmark 422 ErrorCode 406 (inactive
    /// recipient), a 400 from Resend and SendGrid.
    Refuse,
}

/// One email the provider accepted.
#[derive(Clone, Debug)]
pub struct Delivered {
    pub provider: Provider,
    /// Our key: Resend's `Idempotency-Key`, Postmark's `Metadata.key`,
    /// SendGrid's `custom_args.key`.
    pub key: String,
    pub to: String,
    pub subject: String,
    pub html: String,
    pub text: String,
    /// The extra headers the email asked for (`List-Unsubscribe` …).
    pub headers: HashMap<String, String>,
    pub body: Value,
    /// The id the provider gave it.
    pub message_id: String,
}

#[derive(Default)]
struct Inbox {
    delivered: Vec<Delivered>,
    /// Requests that broke the provider's spec, with why.
    violations: Vec<String>,
    requests: u64,
    /// Postmark outbound searches answered.
    searches: u64,
    faults_injected: u64,
    scripted: Vec<Fault>,
    /// Resend: key → (body, answer).
    idempotency: HashMap<String, (Value, Value)>,
    /// When each try of each email (by our key) arrived.
    arrivals: HashMap<String, Vec<std::time::Instant>>,
    next_id: u64,
}

/// The faults drawn at random, as a share of requests (0.0 to 1.0).
#[derive(Clone, Copy, Debug)]
pub struct FaultMix {
    pub rate: f64,
    pub seed: u64,
}

struct Shared {
    inbox: Mutex<Inbox>,
    api_key: String,
    late_ms: u64,
    mix: Mutex<Option<(FaultMix, fastrand::Rng)>>,
    specs: Specs,
}

/// A running mail server; it stops when dropped.
pub struct MailServer {
    pub base_url: String,
    pub api_key: String,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
}

struct Specs {
    resend: jsonschema::Validator,
    resend_fields: Vec<String>,
    postmark: jsonschema::Validator,
    postmark_fields: Vec<String>,
    sendgrid: jsonschema::Validator,
    sendgrid_fields: Vec<String>,
}

fn yaml_to_json(value: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match value {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => serde_json::to_value(n).unwrap_or(Value::Null),
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let key = match key {
                        Y::String(s) => s,
                        other => serde_norway::to_string(&other)
                            .unwrap_or_default()
                            .trim()
                            .to_owned(),
                    };
                    (key, yaml_to_json(value))
                })
                .collect(),
        ),
        Y::Tagged(tagged) => yaml_to_json(tagged.value),
    }
}

/// A validator for the schema at `pointer` inside a whole spec document, so
/// that its `$ref`s resolve; and the top-level fields that schema names.
fn validator(mut document: Value, pointer: &str) -> (jsonschema::Validator, Vec<String>) {
    let schema = document
        .pointer(pointer)
        .cloned()
        .expect("the spec has the schema");
    let fields = schema["properties"]
        .as_object()
        .map(|props| props.keys().cloned().collect())
        .unwrap_or_default();
    document["$ref"] = Value::String(format!("#{pointer}"));
    let validator = jsonschema::validator_for(&document).expect("the spec is a valid schema");
    (validator, fields)
}

fn specs() -> Specs {
    let fixtures = repo_root().join("../shared/fixtures/mail");
    let read = |path: &str| {
        std::fs::read_to_string(fixtures.join(path)).unwrap_or_else(|err| {
            panic!("{path}: {err} (../shared/fixtures must be beside the repo)")
        })
    };
    let yaml =
        |path: &str| yaml_to_json(serde_norway::from_str(&read(path)).expect("the spec is YAML"));
    let (resend, resend_fields) = validator(
        yaml("resend/resend-openapi.yaml"),
        "/components/schemas/SendEmailRequest",
    );
    let (postmark, mut postmark_fields) = validator(
        yaml("postmark/postmark-server-api-swagger2.yml"),
        "/definitions/SendEmailRequest",
    );
    // The Swagger copy predates these two; postmark.js's Message.ts has them.
    postmark_fields.extend(["MessageStream".to_owned(), "Metadata".to_owned()]);
    let sendgrid_doc: Value =
        serde_json::from_str(&read("sendgrid/tsg_mail_v3.json")).expect("the spec is JSON");
    let (sendgrid, sendgrid_fields) = validator(
        sendgrid_doc,
        "/components/requestBodies/PostMailSend/content/application~1json/schema",
    );
    Specs {
        resend,
        resend_fields,
        postmark,
        postmark_fields,
        sendgrid,
        sendgrid_fields,
    }
}

impl MailServer {
    /// Starts on a free loopback port. `late_ms` is how late an
    /// `AcceptedLate` answer comes (longer than the worker's timeout).
    pub async fn start(late_ms: u64) -> MailServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let address: SocketAddr = listener.local_addr().expect("a bound address");
        let api_key = format!("test-key-{}", fastrand::u64(..));
        let shared = Arc::new(Shared {
            inbox: Mutex::new(Inbox::default()),
            api_key: api_key.clone(),
            late_ms,
            mix: Mutex::new(None),
            specs: specs(),
        });
        let (stop, mut stopped) = oneshot::channel::<()>();
        let serving = shared.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => break,
                    accepted = listener.accept() => {
                        let Ok((stream, _)) = accepted else { continue };
                        let shared = serving.clone();
                        tokio::spawn(async move {
                            let service = service_fn(move |req| handle(shared.clone(), req));
                            // A dropped connection ends here with an error: expected.
                            let _ = http1::Builder::new()
                                .serve_connection(TokioIo::new(stream), service)
                                .await;
                        });
                    }
                }
            }
        });
        MailServer {
            base_url: format!("http://{address}"),
            api_key,
            shared,
            stop: Some(stop),
        }
    }

    /// The next requests meet these faults, in order.
    pub fn script(&self, faults: &[Fault]) {
        let mut inbox = self.shared.inbox.lock().expect("inbox");
        inbox.scripted = faults.iter().rev().copied().collect();
    }

    /// From now on, this share of requests meets a random fault.
    pub fn random_faults(&self, mix: FaultMix) {
        *self.shared.mix.lock().expect("mix") = Some((mix, fastrand::Rng::with_seed(mix.seed)));
    }

    pub fn delivered(&self) -> Vec<Delivered> {
        self.shared.inbox.lock().expect("inbox").delivered.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.shared.inbox.lock().expect("inbox").violations.clone()
    }

    pub fn requests(&self) -> u64 {
        self.shared.inbox.lock().expect("inbox").requests
    }

    /// The time between one try of an email and the next, for every email
    /// tried more than once.
    pub fn retry_gaps(&self) -> Vec<Duration> {
        let inbox = self.shared.inbox.lock().expect("inbox");
        inbox
            .arrivals
            .values()
            .flat_map(|times| times.windows(2).map(|pair| pair[1] - pair[0]))
            .collect()
    }

    /// Postmark outbound searches made (not counted in `requests`).
    pub fn searches(&self) -> u64 {
        self.shared.inbox.lock().expect("inbox").searches
    }

    pub fn faults_injected(&self) -> u64 {
        self.shared.inbox.lock().expect("inbox").faults_injected
    }
}

impl std::fmt::Debug for MailServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailServer")
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl Drop for MailServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

type Answer = Result<Response<Full<Bytes>>, std::io::Error>;

fn answer(status: u16, body: &Value, headers: &[(&str, String)]) -> Answer {
    let mut response = Response::builder()
        .status(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR))
        .header("content-type", "application/json");
    for (name, value) in headers {
        response = response.header(*name, value.as_str());
    }
    let body = if body.is_null() {
        Bytes::new()
    } else {
        Bytes::from(body.to_string())
    };
    response
        .body(Full::new(body))
        .map_err(|err| std::io::Error::other(err.to_string()))
}

fn header(req: &Request<Incoming>, name: &str) -> Option<String> {
    req.headers()
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}

fn next_fault(shared: &Shared) -> Fault {
    let mut inbox = shared.inbox.lock().expect("inbox");
    if let Some(fault) = inbox.scripted.pop() {
        return fault;
    }
    drop(inbox);
    random_fault(shared)
}

/// A fault drawn from the random mix, if one is set.
fn random_fault(shared: &Shared) -> Fault {
    let mut mix = shared.mix.lock().expect("mix");
    let Some((mix, rng)) = mix.as_mut() else {
        return Fault::None;
    };
    if rng.f64() >= mix.rate {
        return Fault::None;
    }
    // Transient faults only: a refusal is final and would be a lost email.
    match rng.u8(0..4) {
        0 => Fault::ServerError,
        1 => Fault::RateLimited,
        2 => Fault::AcceptedLate,
        _ => Fault::Drop,
    }
}

/// The provider's own error for a fault, as its API sends it.
fn fault_answer(provider: Provider, fault: Fault) -> Answer {
    match (provider, fault) {
        (Provider::Resend, Fault::RateLimited) => answer(
            429,
            &json!({"name": "rate_limit_exceeded", "message": "Too many requests", "statusCode": 429}),
            &[("retry-after", "1".into()), ("ratelimit-reset", "1".into())],
        ),
        (Provider::Postmark, Fault::RateLimited) => answer(
            429,
            &json!({"ErrorCode": 429, "Message": "Rate limit exceeded"}),
            &[("retry-after", "1".into())],
        ),
        (Provider::Sendgrid, Fault::RateLimited) => answer(
            429,
            &json!({"errors": [{"message": "too many requests", "field": null, "help": null}]}),
            &[
                ("retry-after", "1".into()),
                ("x-ratelimit-reset", (crate::now_unix() + 1).to_string()),
            ],
        ),
        (Provider::Resend, Fault::Refuse) => answer(
            400,
            &json!({"name": "validation_error", "message": "The `to` address is invalid.", "statusCode": 400}),
            &[],
        ),
        (Provider::Postmark, Fault::Refuse) => answer(
            422,
            &json!({"ErrorCode": 406, "Message": "You tried to send to recipient(s) that have been marked as inactive."}),
            &[],
        ),
        (Provider::Sendgrid, Fault::Refuse) => answer(
            400,
            &json!({"errors": [{"message": "Does not contain a valid address.", "field": "personalizations.0.to.0.email", "help": null}]}),
            &[],
        ),
        (Provider::Postmark, _) => answer(
            503,
            &json!({"ErrorCode": 503, "Message": "Service unavailable"}),
            &[],
        ),
        (Provider::Sendgrid, _) => answer(
            500,
            &json!({"errors": [{"message": "internal error", "field": null, "help": null}]}),
            &[],
        ),
        (Provider::Resend, _) => answer(
            500,
            &json!({"name": "internal_server_error", "message": "An unexpected error occurred.", "statusCode": 500}),
            &[],
        ),
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Answer {
    if (req.method().as_str(), req.uri().path()) == ("GET", "/messages/outbound") {
        return postmark_search(&shared, &req).await;
    }
    let provider = match (req.method().as_str(), req.uri().path()) {
        ("POST", "/emails") => Provider::Resend,
        ("POST", "/email") => Provider::Postmark,
        ("POST", "/v3/mail/send") => Provider::Sendgrid,
        _ => return answer(404, &json!({"message": "not found"}), &[]),
    };
    shared.inbox.lock().expect("inbox").requests += 1;
    let auth = match provider {
        Provider::Postmark => header(&req, "x-postmark-server-token"),
        _ => {
            header(&req, "authorization").and_then(|v| v.strip_prefix("Bearer ").map(str::to_owned))
        }
    };
    let idempotency_key = header(&req, "idempotency-key");
    let content_type = header(&req, "content-type").unwrap_or_default();
    let accept = header(&req, "accept");
    let bytes = req
        .into_body()
        .collect()
        .await
        .map(|body| body.to_bytes())
        .unwrap_or_default();
    if auth.as_deref() != Some(shared.api_key.as_str()) {
        return match provider {
            Provider::Postmark => answer(
                401,
                &json!({"ErrorCode": 10, "Message": "Bad or missing Server API token."}),
                &[],
            ),
            Provider::Sendgrid => answer(
                401,
                &json!({"errors": [{"message": "The provided authorization grant is invalid, expired, or revoked", "field": null, "help": null}]}),
                &[],
            ),
            Provider::Resend => answer(
                401,
                &json!({"name": "missing_api_key", "message": "Missing API key in the authorization header.", "statusCode": 401}),
                &[],
            ),
        };
    }
    let body: Value = match serde_json::from_slice(&bytes) {
        Ok(body) => body,
        Err(err) => {
            shared
                .inbox
                .lock()
                .expect("inbox")
                .violations
                .push(format!("{}: not JSON: {err}", provider.name()));
            return answer(400, &json!({"message": "invalid JSON"}), &[]);
        }
    };
    let key = match provider {
        Provider::Resend => idempotency_key.clone().unwrap_or_default(),
        Provider::Postmark => body["Metadata"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        Provider::Sendgrid => body["personalizations"][0]["custom_args"]["key"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    };
    shared
        .inbox
        .lock()
        .expect("inbox")
        .arrivals
        .entry(key)
        .or_default()
        .push(std::time::Instant::now());
    let mut problems = check_spec(&shared.specs, provider, &body);
    if !content_type.starts_with("application/json") {
        problems.push(format!("content-type {content_type:?}"));
    }
    if provider == Provider::Postmark && accept.as_deref() != Some("application/json") {
        problems.push("Postmark wants Accept: application/json".into());
    }
    if provider == Provider::Resend && idempotency_key.as_ref().is_some_and(|key| key.len() > 256) {
        problems.push("Idempotency-Key longer than 256".into());
    }
    if !problems.is_empty() {
        let why = violation(&shared, provider.name(), &problems);
        return answer(400, &json!({"message": why}), &[]);
    }
    // Resend: a key seen before with the same body answers as the first time.
    if let (Provider::Resend, Some(key)) = (provider, &idempotency_key) {
        let inbox = shared.inbox.lock().expect("inbox");
        if let Some((first_body, first_answer)) = inbox.idempotency.get(key) {
            return if *first_body == body {
                answer(200, first_answer, &[])
            } else {
                answer(
                    409,
                    &json!({"name": "invalid_idempotent_request", "message": "Same idempotency key used with a different request payload.", "statusCode": 409}),
                    &[],
                )
            };
        }
    }
    let fault = next_fault(&shared);
    if fault != Fault::None {
        shared.inbox.lock().expect("inbox").faults_injected += 1;
    }
    match fault {
        Fault::Drop => return Err(std::io::Error::other("connection dropped on purpose")),
        Fault::ServerError | Fault::RateLimited | Fault::Refuse => {
            return fault_answer(provider, fault);
        }
        Fault::None | Fault::AcceptedLate => {}
    }
    let (delivered, ok, headers) =
        accept_email(&shared, provider, &body, idempotency_key.as_deref());
    {
        let mut inbox = shared.inbox.lock().expect("inbox");
        if let (Provider::Resend, Some(key)) = (provider, &idempotency_key) {
            inbox
                .idempotency
                .insert(key.clone(), (body.clone(), ok.clone()));
        }
        inbox.delivered.push(delivered);
    }
    if fault == Fault::AcceptedLate {
        tokio::time::sleep(Duration::from_millis(shared.late_ms)).await;
    }
    let status = if provider == Provider::Sendgrid {
        202
    } else {
        200
    };
    answer(status, &ok, &headers)
}

/// Keeps a request's breaches of its provider's spec; the words for the
/// answer.
fn violation(shared: &Shared, what: &str, problems: &[String]) -> String {
    let why = format!("{what}: {}", problems.join("; "));
    shared
        .inbox
        .lock()
        .expect("inbox")
        .violations
        .push(why.clone());
    why
}

/// Postmark's outbound message search, as its Messages API documents it:
/// the server token, `count` (1 to 500) and `offset` required, and one
/// `metadata_<name>=<value>` filter. Searches meet the random faults (not
/// the scripted ones, which are for sends).
async fn postmark_search(shared: &Shared, req: &Request<Incoming>) -> Answer {
    let mut problems = Vec::new();
    if header(req, "x-postmark-server-token").as_deref() != Some(shared.api_key.as_str()) {
        return answer(
            401,
            &json!({"ErrorCode": 10, "Message": "Bad or missing Server API token."}),
            &[],
        );
    }
    if header(req, "accept").as_deref() != Some("application/json") {
        problems.push("Postmark wants Accept: application/json".to_owned());
    }
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let number = |name: &str| {
        query
            .iter()
            .find(|(key, _)| key == name)
            .and_then(|(_, value)| value.parse::<usize>().ok())
    };
    let count = number("count");
    if !count.is_some_and(|count| (1..=500).contains(&count)) {
        problems.push("count (1 to 500) is required".to_owned());
    }
    if number("offset").is_none() {
        problems.push("offset is required".to_owned());
    }
    let filters: Vec<(&str, &str)> = query
        .iter()
        .filter_map(|(key, value)| Some((key.strip_prefix("metadata_")?, value.as_str())))
        .collect();
    if filters.len() > 1 {
        problems.push("Postmark searches one metadata field at a time".to_owned());
    }
    if !problems.is_empty() {
        let why = violation(shared, "postmark search", &problems);
        return answer(422, &json!({"ErrorCode": 300, "Message": why}), &[]);
    }
    let fault = random_fault(shared);
    {
        let mut inbox = shared.inbox.lock().expect("inbox");
        inbox.searches += 1;
        if fault != Fault::None {
            inbox.faults_injected += 1;
        }
    }
    match fault {
        Fault::Drop => return Err(std::io::Error::other("connection dropped on purpose")),
        Fault::AcceptedLate => tokio::time::sleep(Duration::from_millis(shared.late_ms)).await,
        Fault::ServerError | Fault::RateLimited | Fault::Refuse => {
            return fault_answer(Provider::Postmark, fault);
        }
        Fault::None => {}
    }
    let found: Vec<Value> = shared
        .inbox
        .lock()
        .expect("inbox")
        .delivered
        .iter()
        .filter(|email| email.provider == Provider::Postmark)
        .filter(|email| {
            filters
                .iter()
                .all(|(name, value)| email.body["Metadata"][*name].as_str() == Some(*value))
        })
        .rev()
        .map(|email| {
            json!({
                "MessageID": email.message_id,
                "To": [{"Email": email.to, "Name": null}],
                "Recipients": [email.to],
                "Subject": email.subject,
                "Tag": email.body["Tag"],
                "Status": "Sent",
                "Metadata": email.body["Metadata"],
            })
        })
        .collect();
    let total = found.len();
    let page: Vec<Value> = found
        .into_iter()
        .skip(number("offset").unwrap_or(0))
        .take(count.unwrap_or(0))
        .collect();
    answer(200, &json!({"TotalCount": total, "Messages": page}), &[])
}

fn check_spec(specs: &Specs, provider: Provider, body: &Value) -> Vec<String> {
    let (validator, fields) = match provider {
        Provider::Resend => (&specs.resend, &specs.resend_fields),
        Provider::Postmark => (&specs.postmark, &specs.postmark_fields),
        Provider::Sendgrid => (&specs.sendgrid, &specs.sendgrid_fields),
    };
    let mut problems: Vec<String> = validator
        .iter_errors(body)
        .map(|err| format!("{} at {}", err, err.instance_path))
        .collect();
    if let Some(object) = body.as_object() {
        for name in object.keys() {
            if !fields.contains(name) {
                problems.push(format!("{name} is not a field of the spec"));
            }
        }
    }
    let required: &[&str] = match provider {
        Provider::Resend => &["from", "to", "subject"],
        Provider::Postmark => &["From", "To", "Subject"],
        Provider::Sendgrid => &["personalizations", "from", "subject", "content"],
    };
    for name in required {
        if body.get(*name).is_none() {
            problems.push(format!("{name} is missing"));
        }
    }
    problems
}

fn accept_email(
    shared: &Shared,
    provider: Provider,
    body: &Value,
    idempotency_key: Option<&str>,
) -> (Delivered, Value, Vec<(&'static str, String)>) {
    let id = {
        let mut inbox = shared.inbox.lock().expect("inbox");
        inbox.next_id += 1;
        format!("{}-{:08}", provider.name(), inbox.next_id)
    };
    let text = |value: &Value| value.as_str().unwrap_or_default().to_owned();
    let mut headers = HashMap::new();
    let delivered = match provider {
        Provider::Resend => {
            for (name, value) in body["headers"].as_object().into_iter().flatten() {
                headers.insert(name.to_lowercase(), text(value));
            }
            Delivered {
                provider,
                key: idempotency_key.unwrap_or_default().to_owned(),
                to: body["to"][0]
                    .as_str()
                    .map_or_else(|| text(&body["to"]), str::to_owned),
                subject: text(&body["subject"]),
                html: text(&body["html"]),
                text: text(&body["text"]),
                headers,
                body: body.clone(),
                message_id: id.clone(),
            }
        }
        Provider::Postmark => {
            for header in body["Headers"].as_array().into_iter().flatten() {
                headers.insert(text(&header["Name"]).to_lowercase(), text(&header["Value"]));
            }
            Delivered {
                provider,
                key: text(&body["Metadata"]["key"]),
                to: text(&body["To"]),
                subject: text(&body["Subject"]),
                html: text(&body["HtmlBody"]),
                text: text(&body["TextBody"]),
                headers,
                body: body.clone(),
                message_id: id.clone(),
            }
        }
        Provider::Sendgrid => {
            for (name, value) in body["headers"].as_object().into_iter().flatten() {
                headers.insert(name.to_lowercase(), text(value));
            }
            let content = |kind: &str| {
                body["content"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|part| part["type"] == kind)
                    .map(|part| text(&part["value"]))
                    .unwrap_or_default()
            };
            Delivered {
                provider,
                key: text(&body["personalizations"][0]["custom_args"]["key"]),
                to: text(&body["personalizations"][0]["to"][0]["email"]),
                subject: text(&body["subject"]),
                html: content("text/html"),
                text: content("text/plain"),
                headers,
                body: body.clone(),
                message_id: id.clone(),
            }
        }
    };
    let (ok, extra) = match provider {
        Provider::Resend => (json!({ "id": id }), vec![]),
        Provider::Postmark => (
            json!({"To": delivered.to, "SubmittedAt": "2026-11-23T10:00:00Z", "MessageID": id, "ErrorCode": 0, "Message": "OK"}),
            vec![],
        ),
        Provider::Sendgrid => (Value::Null, vec![("x-message-id", id)]),
    };
    (delivered, ok, extra)
}
