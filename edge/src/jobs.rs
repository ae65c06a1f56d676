//! Slow work, through two Queues (fan-out apart, so that it never waits
//! behind mail): emails to the customer (`mail`), outbound
//! webhooks to the merchant's endpoint (signed, retried with backoff), and
//! the restock and delay fan-out to every waiting order. Every job is keyed,
//! and every consumer step is idempotent, so a redelivered job does nothing
//! twice. The handler never returns `Err` (PLATFORM.md, pitfall 4): each
//! message is acked or retried by itself.

use serde::{Deserialize, Serialize};
use shared::lifecycle::{Effect, Email, Event, Order, RawShopPolicy, Stage};
use shared::{CustomerId, OrderId, ShipWindow, ShopId, Sku, Timestamp};
use worker::{
    BatchMessageBuilder, Env, Fetch, Headers, Message, MessageBatch, MessageExt, Method,
    QueueRetryOptionsBuilder, Request, RequestInit, Stub,
};

use crate::error::EdgeError;
use crate::order::{Answer, Command, News, Outcome};
use crate::webhooks::Contact;
use crate::{bindings, clock, crypto, http, mail};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    Email(EmailJob),
    Action(ActionJob),
    FanOut(FanOutJob),
}

impl Job {
    /// Whose job it is: the order it is for (a fan-out is its own owner).
    fn owner(&self) -> String {
        match self {
            Job::Email(email) => format!("{}/{}", email.shop, email.order),
            Job::Action(action) => format!("{}/{}", action.shop, action.order),
            Job::FanOut(fan_out) => format!("fan-out/{}", fan_out.key),
        }
    }
}

/// One email to one customer, keyed by order, sequence and index.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EmailJob {
    pub key: String,
    pub shop: ShopId,
    pub order: OrderId,
    pub email: Email,
    pub to: Contact,
    pub locale: String,
}

/// Money, fulfilment or tagging work for the merchant's back office.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ActionJob {
    pub key: String,
    pub shop: ShopId,
    pub order: OrderId,
    pub effect: Effect,
}

/// One event for a batch of orders waiting for one SKU.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FanOutJob {
    /// Shared by every batch of one fan-out: an order applies it once.
    pub key: String,
    pub shop: ShopId,
    pub policy: RawShopPolicy,
    pub event: Event,
    pub orders: Vec<OrderId>,
}

/// What the shop's records keep of an order: no PII.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OrderIndex {
    pub order: OrderId,
    pub seq: u64,
    pub stage: Stage,
    pub customer: CustomerId,
    pub placed_at: Timestamp,
    pub waiting: Vec<Sku>,
    pub window: Option<ShipWindow>,
    pub tags: Vec<String>,
}

impl OrderIndex {
    pub fn of(order: &Order, tags: &[String]) -> OrderIndex {
        let mut waiting: Vec<Sku> = order.waiting_lines().map(|line| line.sku.clone()).collect();
        waiting.sort();
        waiting.dedup();
        OrderIndex {
            order: order.id().clone(),
            seq: order.seq(),
            stage: order.stage(),
            customer: order.customer().clone(),
            placed_at: order.placed_at(),
            waiting,
            window: order.window(),
            tags: tags.to_vec(),
        }
    }
}

/// What the shop says about an action before it is sent.
#[derive(Debug, Serialize, Deserialize)]
pub struct ActionClaim {
    pub state: String,
    pub endpoint: Option<Endpoint>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Endpoint {
    pub url: String,
    pub secret: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ActionResult {
    pub key: String,
    pub ok: bool,
    pub error: Option<String>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct ActionState {
    pub state: String,
    pub attempts: u32,
}

/// An outbound webhook is tried this many times, then given up (and shown
/// as failed in the shop's action list).
pub const MAX_ACTION_ATTEMPTS: u32 = 8;
/// Orders per fan-out message: small enough to finish well within a
/// consumer's time, large enough to keep the message count low.
pub const FAN_OUT_BATCH: usize = 25;

pub fn shop_stub(env: &Env, shop: &ShopId) -> Result<Stub, EdgeError> {
    Ok(env
        .durable_object(bindings::SHOPS)?
        .get_by_name(shop.as_str())?)
}

pub fn order_stub(env: &Env, shop: &ShopId, order: &OrderId) -> Result<Stub, EdgeError> {
    Ok(env
        .durable_object(bindings::ORDERS)?
        .get_by_name(&format!("{shop}/{order}"))?)
}

pub async fn send(env: &Env, job: &Job) -> Result<(), EdgeError> {
    env.queue(bindings::JOBS)?.send(job).await?;
    Ok(())
}

/// Sends fan-out jobs on their own queue, so that they never wait behind
/// emails.
pub async fn send_fan_out(env: &Env, jobs: Vec<Job>) -> Result<(), EdgeError> {
    let queue = env.queue(bindings::FANOUT)?;
    // A queue takes at most 100 messages a batch.
    let mut jobs = jobs;
    while !jobs.is_empty() {
        let rest = jobs.split_off(jobs.len().min(100));
        queue
            .send_batch(BatchMessageBuilder::new().messages(jobs).build())
            .await?;
        jobs = rest;
    }
    Ok(())
}

/// What to do with a message once its job ran.
enum Verdict {
    Done,
    RetryIn(u32),
}

pub async fn consume(batch: MessageBatch<Job>, env: Env) {
    let messages = match batch.messages() {
        Ok(messages) => messages,
        Err(err) => {
            worker::console_error!("unreadable queue batch: {err}");
            batch.retry_all();
            return;
        }
    };
    // Jobs of different orders run at once; one order's jobs run in the
    // order they were queued, so its emails go out in sequence.
    let mut by_order: Vec<(String, Vec<&Message<Job>>)> = Vec::new();
    for message in &messages {
        let owner = message.body().owner();
        match by_order.iter_mut().find(|(key, _)| *key == owner) {
            Some((_, group)) => group.push(message),
            None => by_order.push((owner, vec![message])),
        }
    }
    let env = &env;
    futures_util::future::join_all(by_order.into_iter().map(|(_, group)| async move {
        for message in group {
            let verdict = match run(env, message.body()).await {
                Ok(verdict) => verdict,
                Err(err) => {
                    worker::console_error!("queue job failed, retrying: {err}");
                    Verdict::RetryIn(2)
                }
            };
            settle(message, verdict);
        }
    }))
    .await;
}

fn settle(message: &Message<Job>, verdict: Verdict) {
    match verdict {
        Verdict::Done => message.ack(),
        Verdict::RetryIn(seconds) => message.retry_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(seconds)
                .build(),
        ),
    }
}

async fn run(env: &Env, job: &Job) -> Result<Verdict, EdgeError> {
    match job {
        Job::Email(email) => Ok(match mail::deliver(env, email).await? {
            mail::Next::Done => Verdict::Done,
            mail::Next::RetryIn(seconds) => Verdict::RetryIn(seconds),
        }),
        Job::Action(action) => deliver_action(env, action).await,
        Job::FanOut(fan_out) => {
            let mut failed = 0;
            for order in &fan_out.orders {
                let command = Command {
                    shop: fan_out.shop.clone(),
                    policy: fan_out.policy.clone(),
                    news: News::Event {
                        event: fan_out.event.clone(),
                    },
                    key: Some(fan_out.key.clone()),
                };
                let stub = order_stub(env, &fan_out.shop, order)?;
                match http::call_json::<_, Answer>(&stub, "/apply", &command).await {
                    Ok(answer) if answer.outcome != Outcome::Rejected => {}
                    // A refusal is final (the order stopped waiting): not retried.
                    Ok(_) => {}
                    Err(err) => {
                        worker::console_error!("fan-out to {order}: {err}");
                        failed += 1;
                    }
                }
            }
            // The orders that took it remember its key: a retry skips them.
            Ok(if failed == 0 {
                Verdict::Done
            } else {
                Verdict::RetryIn(2)
            })
        }
    }
}

/// Sends one action to the merchant's endpoint as a Standard Webhook,
/// signed with the shop's own secret. Without an endpoint it waits in the
/// action list for the back office to read.
async fn deliver_action(env: &Env, action: &ActionJob) -> Result<Verdict, EdgeError> {
    let stub = shop_stub(env, &action.shop)?;
    let claim: ActionClaim = http::call_json(&stub, "/internal/actions/claim", action).await?;
    let Some(endpoint) = claim.endpoint.filter(|_| claim.state == "pending") else {
        return Ok(Verdict::Done);
    };
    let sent = post_signed(&endpoint, action).await;
    let result = ActionResult {
        key: action.key.clone(),
        ok: sent.is_ok(),
        error: sent.err(),
    };
    let state: ActionState = http::call_json(&stub, "/internal/actions/result", &result).await?;
    Ok(if state.state == "pending" {
        Verdict::RetryIn(backoff_seconds(state.attempts, 300))
    } else {
        Verdict::Done
    })
}

/// Exponential backoff with jitter: about 2, 4, 8 … seconds, at most
/// `cap` seconds (plus up to half again of jitter, so that jobs that failed
/// together do not come back together).
pub fn backoff_seconds(attempts: u32, cap: u32) -> u32 {
    let base = 2u32.saturating_pow(attempts.min(16)).min(cap);
    let jitter = u32::try_from(clock::now_millis().rem_euclid(1000)).unwrap_or(0) * base / 2000;
    base + jitter
}

async fn post_signed(endpoint: &Endpoint, action: &ActionJob) -> Result<(), String> {
    let sent_at = clock::now();
    let now = sent_at.unix_seconds();
    let body = serde_json::json!({
        "type": format!("action.{}", action_kind(&action.effect)),
        "timestamp": sent_at.to_string(),
        "data": { "order": action.order, "action": action.effect },
    })
    .to_string();
    let key = crypto::standard_webhooks_key(&endpoint.secret)
        .ok_or_else(|| "the endpoint's secret is not a whsec_ secret".to_owned())?;
    let signature = crypto::sign_standard_webhook(&key, &action.key, now, body.as_bytes());
    let headers = Headers::new();
    let set = |name: &str, value: &str| headers.set(name, value).map_err(|e| e.to_string());
    set("content-type", "application/json")?;
    set("webhook-id", &action.key)?;
    set("webhook-timestamp", &now.to_string())?;
    set("webhook-signature", &signature)?;
    let mut init = RequestInit::new();
    init.with_method(Method::Post)
        .with_headers(headers)
        .with_body(Some(body.into()));
    let request = Request::new_with_init(&endpoint.url, &init).map_err(|e| e.to_string())?;
    let response = Fetch::Request(request)
        .send()
        .await
        .map_err(|e| format!("could not reach the endpoint: {e}"))?;
    let status = response.status_code();
    if (200..300).contains(&status) {
        Ok(())
    } else {
        Err(format!("the endpoint answered {status}"))
    }
}

/// The action's name on the wire: the effect's own tag.
pub fn action_kind(effect: &Effect) -> String {
    serde_tag(effect, "effect")
}

/// The email's kind on the wire: its own tag.
pub fn email_kind(email: &Email) -> String {
    serde_tag(email, "email")
}

/// The tag an internally tagged enum writes into `field`, so that no wire
/// name is typed a second time.
fn serde_tag<T: Serialize>(value: &T, field: &str) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|value| value[field].as_str().map(str::to_owned))
        .unwrap_or_else(|| "unknown".to_owned())
}
