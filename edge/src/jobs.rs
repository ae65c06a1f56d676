//! Slow work, through two Queues (fan-out apart, so that it never waits
//! behind mail): emails to the customer (`mail`), outbound
//! webhooks to the merchant's endpoint (signed, retried with backoff), and
//! the restock and delay fan-out to every waiting order. Every job is keyed,
//! and every consumer step is idempotent, so a redelivered job does nothing
//! twice. The handler never returns `Err` (PLATFORM.md, pitfall 4): each
//! message is acked or retried by itself.

use worker::{
    Env, Fetch, Headers, Message, MessageBatch, MessageExt, Method, QueueRetryOptionsBuilder,
    Request, RequestInit,
};

use shared::ShopId;
use shared::lifecycle::Event;

use crate::calls::shop::{ActionResult, ActionState, Endpoint, Taken};
use crate::calls::{ActionJob, Command, EmailJob, FanOutJob, Job, News, OrderStub, ShopStub};
use crate::error::EdgeError;
use crate::{clock, crypto, logs, mail};

/// The longest wait between two tries of an outbound webhook: an endpoint
/// that is down is tried about hourly until the action's deadline.
const ACTION_BACKOFF_CAP_SECS: u32 = 3600;

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
    // A shop's emails are claimed and reported together, and so are its
    // actions (two calls to its object for each); fan-out batches run at
    // once, one fan-out's in the order they were queued.
    let mut emails: Groups<&ShopId, &Message<Job>> = Vec::new();
    let mut actions: Groups<&ShopId, &Message<Job>> = Vec::new();
    let mut fan_outs: Groups<&str, (&Message<Job>, &FanOutJob)> = Vec::new();
    for message in &messages {
        let (groups, shop) = match message.body() {
            Job::Email(email) => (&mut emails, &email.shop),
            Job::Action(action) => (&mut actions, &action.shop),
            Job::FanOut(fan_out) => {
                let key = fan_out.key.as_str();
                match fan_outs.iter_mut().find(|(known, _)| *known == key) {
                    Some((_, group)) => group.push((message, fan_out)),
                    None => fan_outs.push((key, vec![(message, fan_out)])),
                }
                continue;
            }
        };
        match groups.iter_mut().find(|(known, _)| *known == shop) {
            Some((_, group)) => group.push(message),
            None => groups.push((shop, vec![message])),
        }
    }
    let env = &env;
    let mail = futures_util::future::join_all(emails.into_iter().map(|(shop, group)| async move {
        let started = logs::start();
        let jobs: Vec<&EmailJob> = group
            .iter()
            .filter_map(|message| match message.body() {
                Job::Email(email) => Some(email),
                _ => None,
            })
            .collect();
        let verdicts = mail::deliver_all(env, shop, &jobs)
            .await
            .map(|next| next.into_iter().map(Verdict::from).collect());
        settle_group(group, verdicts, started);
    }));
    let actions =
        futures_util::future::join_all(actions.into_iter().map(|(shop, group)| async move {
            let started = logs::start();
            let jobs: Vec<&ActionJob> = group
                .iter()
                .filter_map(|message| match message.body() {
                    Job::Action(action) => Some(action),
                    _ => None,
                })
                .collect();
            let verdicts = deliver_actions(env, shop, &jobs).await;
            settle_group(group, verdicts, started);
        }));
    let fan_outs =
        futures_util::future::join_all(fan_outs.into_iter().map(|(_, group)| async move {
            for (message, fan_out) in group {
                let started = logs::start();
                let verdict = match fan_out_batch(env, fan_out).await {
                    Ok(verdict) => verdict,
                    Err(err) => {
                        worker::console_error!("fan-out batch failed, retrying: {err}");
                        Verdict::RetryIn(2)
                    }
                };
                settle(message, verdict, started);
            }
        }));
    futures_util::future::join3(mail, actions, fan_outs).await;
}

/// Items grouped by a key, the groups in the order their keys came.
type Groups<K, T> = Vec<(K, Vec<T>)>;

/// Settles each message of a group with its verdict, or all of them for
/// another try when the group failed as a whole.
fn settle_group(
    group: Vec<&Message<Job>>,
    verdicts: Result<Vec<Verdict>, EdgeError>,
    started: logs::Started,
) {
    match verdicts {
        Ok(verdicts) => {
            for (message, verdict) in group.into_iter().zip(verdicts) {
                settle(message, verdict, started);
            }
        }
        Err(err) => {
            worker::console_error!("a batch of {} jobs failed, retrying: {err}", group.len());
            for message in group {
                settle(message, Verdict::RetryIn(2), started);
            }
        }
    }
}

impl From<mail::Next> for Verdict {
    fn from(next: mail::Next) -> Verdict {
        match next {
            mail::Next::Done => Verdict::Done,
            mail::Next::RetryIn(seconds) => Verdict::RetryIn(seconds),
        }
    }
}

/// The dead-letter queue's consumer: each job is kept in its shop's object,
/// where the merchant sees it and can replay it. One that cannot be kept
/// now comes back.
pub async fn keep_dead_letters(batch: MessageBatch<Job>, env: Env) {
    let messages = match batch.messages() {
        Ok(messages) => messages,
        Err(err) => {
            worker::console_error!("unreadable dead-letter batch: {err}");
            batch.retry_all();
            return;
        }
    };
    for message in &messages {
        let started = logs::start();
        let job = message.body();
        let kept = match ShopStub::get(&env, job.shop()) {
            Ok(shop) => shop.dead_letter(job).await,
            Err(err) => Err(err),
        };
        match kept {
            Ok(()) => message.ack(),
            Err(err) => {
                worker::console_error!("keeping a dead letter failed, retrying: {err}");
                settle(message, Verdict::RetryIn(10), started);
            }
        }
    }
}

/// Acks or retries the message, and logs the job's line.
fn settle(message: &Message<Job>, verdict: Verdict, started: logs::Started) {
    let job = message.body();
    let (what, order) = match job {
        Job::Email(email) => ("email", Some(email.order.as_str())),
        Job::Action(action) => ("action", Some(action.order.as_str())),
        Job::FanOut(_) => ("fan_out", None),
    };
    let outcome = match verdict {
        Verdict::Done => "done".to_owned(),
        Verdict::RetryIn(seconds) => format!("retry in {seconds} s"),
    };
    logs::Line {
        kind: "job",
        what,
        shop: Some(job.shop().as_str()),
        order,
        outcome: &outcome,
        ms: 0,
    }
    .write(started);
    match verdict {
        Verdict::Done => message.ack(),
        Verdict::RetryIn(seconds) => message.retry_with_options(
            &QueueRetryOptionsBuilder::new()
                .with_delay_seconds(seconds)
                .build(),
        ),
    }
}

/// Gives one batch of waiting orders the fan-out's event, all at once, then
/// keeps in one call to the shop what each order now is and the emails it
/// queued. An order that failed makes the message come back; the orders
/// that took it remember its key and answer a retry as a duplicate, with
/// their index again.
async fn fan_out_batch(env: &Env, fan_out: &FanOutJob) -> Result<Verdict, EdgeError> {
    let command = Command {
        shop: fan_out.shop.clone(),
        policy: fan_out.policy.clone(),
        news: News::Event {
            event: fan_out.event.clone(),
        },
        key: Some(fan_out.key.clone()),
        // The shop's sweep sends a restock again to every order its
        // records still show waiting for the SKU (`sweep_restocks`).
        swept: matches!(fan_out.event, Event::StockArrived { .. }),
    };
    let command = &command;
    let answers = futures_util::future::join_all(fan_out.orders.iter().map(|order| async move {
        let answer = OrderStub::get(env, &fan_out.shop, order)?
            .apply(command)
            .await;
        answer.map_err(|err| EdgeError::Internal(format!("fan-out to {order}: {err}")))
    }))
    .await;
    let mut failed = 0;
    let mut taken = Taken::default();
    for answer in answers {
        match answer {
            // A refusal is final (the order stopped waiting): not retried.
            Ok(answer) => taken.add(answer),
            Err(err) => {
                worker::console_error!("{err}");
                failed += 1;
            }
        }
    }
    if !taken.orders.is_empty() {
        ShopStub::get(env, &fan_out.shop)?.index(&taken).await?;
    }
    Ok(if failed == 0 {
        Verdict::Done
    } else {
        Verdict::RetryIn(2)
    })
}

/// Sends a queue batch's actions of one shop to the merchant's endpoint as
/// Standard Webhooks, signed with the shop's own secret: one call to the
/// shop's object claims them all and one keeps the tries; one order's go in
/// turn, different orders' at once. Without an endpoint they wait in the
/// action list for the back office to read. Answers each message's verdict,
/// in the order given.
async fn deliver_actions(
    env: &Env,
    shop: &ShopId,
    actions: &[&ActionJob],
) -> Result<Vec<Verdict>, EdgeError> {
    let stub = ShopStub::get(env, shop)?;
    let claims = stub.claim_actions(actions).await?;
    let mut by_order: Vec<(&str, Vec<(usize, Endpoint)>)> = Vec::new();
    for (position, (action, claim)) in actions.iter().zip(claims).enumerate() {
        let Some(endpoint) = claim
            .endpoint
            .filter(|_| claim.state == ActionState::Pending)
        else {
            continue;
        };
        let order = action.order.as_str();
        match by_order.iter_mut().find(|(known, _)| *known == order) {
            Some((_, group)) => group.push((position, endpoint)),
            None => by_order.push((order, vec![(position, endpoint)])),
        }
    }
    let tried = futures_util::future::join_all(by_order.into_iter().map(|(_, group)| async move {
        let mut tried = Vec::with_capacity(group.len());
        for (position, endpoint) in group {
            let action = actions[position];
            let sent = post_signed(&endpoint, action).await;
            tried.push((
                position,
                ActionResult {
                    key: action.key.clone(),
                    ok: sent.is_ok(),
                    error: sent.err(),
                },
            ));
        }
        tried
    }))
    .await;
    let mut verdicts: Vec<Verdict> = actions.iter().map(|_| Verdict::Done).collect();
    let (positions, results): (Vec<usize>, Vec<ActionResult>) = tried.into_iter().flatten().unzip();
    if results.is_empty() {
        return Ok(verdicts);
    }
    let statuses = stub.action_results(&results).await?;
    for (position, status) in positions.into_iter().zip(statuses) {
        if status.state == ActionState::Pending {
            verdicts[position] = Verdict::RetryIn(clock::backoff_seconds(
                status.attempts,
                ACTION_BACKOFF_CAP_SECS,
            ));
        }
    }
    Ok(verdicts)
}

async fn post_signed(endpoint: &Endpoint, action: &ActionJob) -> Result<(), String> {
    let sent_at = clock::now();
    let now = sent_at.unix_seconds();
    let body = serde_json::json!({
        "type": format!("action.{}", action.effect.code()),
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
