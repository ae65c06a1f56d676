//! The jobs on the worker's two queues, and the only code that sends them:
//! `JOBS` carries emails and actions, `FANOUT` a restock's or a delay's
//! batches of waiting orders, apart so that it never waits behind mail.

use serde::{Deserialize, Serialize};
use shared::lifecycle::{Effect, Email, Event, ShopPolicy};
use shared::{OrderId, ShopId, Sku};
use worker::{BatchMessageBuilder, Env};

use crate::bindings;
use crate::error::EdgeError;
use crate::webhooks::Contact;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "job", rename_all = "snake_case")]
pub enum Job {
    Email(EmailJob),
    Action(ActionJob),
    FanOut(FanOutJob),
}

impl Job {
    /// The shop it is for.
    pub fn shop(&self) -> &ShopId {
        match self {
            Job::Email(email) => &email.shop,
            Job::Action(action) => &action.shop,
            Job::FanOut(fan_out) => &fan_out.shop,
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
    /// The names of the items the email may mention, by SKU.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<(Sku, String)>,
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
    pub policy: ShopPolicy,
    pub event: Event,
    pub orders: Vec<OrderId>,
}

/// Orders per fan-out message: small enough to finish well within a
/// consumer's time, large enough to keep the message count low.
pub const FAN_OUT_BATCH: usize = 25;

/// Queues an email or an action.
pub async fn send(env: &Env, job: &Job) -> Result<(), EdgeError> {
    env.queue(bindings::JOBS)?.send(job).await?;
    Ok(())
}

/// Queues many emails or actions, in batches.
pub async fn send_all(env: &Env, jobs: Vec<Job>) -> Result<(), EdgeError> {
    send_batches(env, bindings::JOBS, jobs).await
}

/// Sends fan-out jobs on their own queue, so that they never wait behind
/// emails.
pub async fn send_fan_out(env: &Env, jobs: Vec<Job>) -> Result<(), EdgeError> {
    send_batches(env, bindings::FANOUT, jobs).await
}

async fn send_batches(env: &Env, binding: &str, jobs: Vec<Job>) -> Result<(), EdgeError> {
    let queue = env.queue(binding)?;
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
