//! The shop's one alarm, shared by the work that must happen later without
//! anyone asking for it:
//! - **the day turn**: backorder products read as of the new day;
//! - **the sweep**: work whose queue message may be lost (a restart, a
//!   dead letter) is found from what is stored and queued again: emails
//!   the log still owes (queued, or held by a lease long run out), actions
//!   still pending, and restocks that some waiting order has not taken.
//!
//! Each task keeps its own due time in `settings`; the alarm is set to the
//! earliest. Queueing again is always safe: every job is keyed, an email is
//! claimed before it is sent, and an order takes a fan-out's key once.

use serde::Deserialize;
use shared::lifecycle::Event;
use shared::{OrderId, ShopId, Sku};
use worker::Env;

use super::ShopRecords;
use super::sql::text_value;
use crate::calls::queue::{self, EmailJob, FAN_OUT_BATCH, Job};
use crate::calls::shop::{ActionState, EmailState, Taken};
use crate::calls::{Command, News, OrderStub};
use crate::error::EdgeError;
use crate::{clock, mail};

/// Work the sweep finds this long after it was last touched is taken as
/// lost and queued again (`SWEEP_AFTER_SECS`; the tests shorten it). It is
/// well above the longest wait between an email's tries.
const SWEEP_AFTER_SECS: i64 = 900;
/// The most emails one sweep queues again; the rest wait for the next.
const SWEEP_BATCH: i64 = 200;
/// A restock is sent again to the orders that have not taken it this many
/// times, then given up (with a log line): an order that keeps refusing it
/// is not waiting for it any more.
const MAX_RESTOCK_SWEEPS: i64 = 24;
/// Waiting orders one sweep tells of a restock itself.
const SWEEP_DIRECT_ORDERS: usize = 100;
/// While orders still wait for a restock, the sweep comes back this soon.
const RESTOCK_SWEEP_SECS: i64 = 30;
/// A command to an order whose answer this object has not kept this long
/// after sending it (the call failed, or the object stopped) is looked up
/// by the sweep, which comes this soon after any command.
pub(super) const PENDING_CHECK_SECS: i64 = 30;
/// Orders one sweep asks for a lost answer; the rest wait for the next.
const PENDING_BATCH: i64 = 100;

/// What the shop's alarm does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Task {
    DayTurn,
    Sweep,
}

impl Task {
    const ALL: [Task; 2] = [Task::DayTurn, Task::Sweep];

    fn setting(self) -> &'static str {
        match self {
            Task::DayTurn => "due:day_turn",
            Task::Sweep => "due:sweep",
        }
    }
}

/// How long after its last touch the sweep takes work as lost.
pub(super) fn sweep_after_secs(env: &Env) -> i64 {
    env.var("SWEEP_AFTER_SECS")
        .ok()
        .and_then(|value| value.to_string().parse().ok())
        .filter(|secs: &i64| *secs > 0)
        .unwrap_or(SWEEP_AFTER_SECS)
}

impl ShopRecords {
    fn due(&self, task: Task) -> Result<Option<i64>, EdgeError> {
        Ok(self
            .setting(task.setting())?
            .and_then(|text| text.parse().ok()))
    }

    /// Makes sure `task` runs at `at` (Unix milliseconds) or sooner.
    pub(super) async fn schedule(&self, task: Task, at: i64) -> Result<(), EdgeError> {
        if self.due(task)?.is_some_and(|due| due <= at) {
            return Ok(());
        }
        self.set_setting(task.setting(), &at.to_string())?;
        let storage = self.state.storage();
        if storage.get_alarm().await?.is_none_or(|alarm| alarm > at) {
            storage.set_alarm(at - clock::now_millis()).await?;
        }
        Ok(())
    }

    /// The alarm: runs every task that is due, then sets the alarm for the
    /// earliest one left.
    pub(super) async fn wake(&self) -> Result<(), EdgeError> {
        let now = clock::now_millis();
        for task in Task::ALL {
            if self.due(task)?.is_some_and(|due| due <= now) {
                self.run(
                    "DELETE FROM settings WHERE name = ?",
                    vec![text_value(task.setting())],
                )?;
                match task {
                    Task::DayTurn => self.turn_the_day().await?,
                    Task::Sweep => self.sweep().await?,
                }
            }
        }
        let next = Task::ALL
            .into_iter()
            .filter_map(|task| self.due(task).ok().flatten())
            .min();
        if let Some(at) = next {
            self.state
                .storage()
                .set_alarm((at - clock::now_millis()).max(0))
                .await?;
        }
        Ok(())
    }

    /// After a request that may have left work behind (an email to send, a
    /// restock to carry out): the sweep is due one grace period from now,
    /// unless it is due sooner already.
    pub(super) async fn keep_sweep(&self) -> Result<(), EdgeError> {
        if let Some(due) = self.due(Task::Sweep)? {
            // Due already: make sure an alarm stands for it.
            let storage = self.state.storage();
            if storage.get_alarm().await?.is_none() {
                storage
                    .set_alarm((due - clock::now_millis()).max(0))
                    .await?;
            }
            return Ok(());
        }
        if !self.work_pending()? {
            return Ok(());
        }
        let at = clock::now_millis() + sweep_after_secs(&self.env) * 1000;
        self.schedule(Task::Sweep, at).await
    }

    fn work_pending(&self) -> Result<bool, EdgeError> {
        #[derive(Deserialize)]
        struct Pending {
            n: i64,
        }
        // Pending actions are owed a message only when there is an
        // endpoint to post them to.
        let actions_state = if self.endpoint()?.is_some() {
            ActionState::Pending.code()
        } else {
            "(none)"
        };
        let rows: Vec<Pending> = self.rows(
            "SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM mails WHERE state IN (?, ?) LIMIT 1))
               + (SELECT COUNT(*) FROM (SELECT 1 FROM actions WHERE state = ? LIMIT 1))
               + (SELECT COUNT(*) FROM restocks)
               + (SELECT COUNT(*) FROM (SELECT 1 FROM pending_commands LIMIT 1)) AS n",
            vec![
                text_value(EmailState::Queued.code()),
                text_value(EmailState::Sending.code()),
                text_value(actions_state),
            ],
        )?;
        Ok(rows.first().is_some_and(|row| row.n > 0))
    }

    /// Queues again what is owed and untouched for a grace period, and
    /// comes back while anything is still owed.
    async fn sweep(&self) -> Result<(), EdgeError> {
        let shop = self.shop_id()?;
        let grace = sweep_after_secs(&self.env);
        let now = clock::now().unix_seconds();
        let emails = self.sweep_emails(now - grace, now).await?;
        let actions = self.sweep_actions(now - grace, now).await?;
        let restocks = self.sweep_restocks(&shop, now - grace, now).await?;
        let answers = self
            .sweep_pending(&shop, now - PENDING_CHECK_SECS.min(grace))
            .await?;
        if emails + actions + restocks + answers > 0 {
            worker::console_log!(
                "sweep of {shop}: {emails} emails, {actions} actions and {restocks} restocks queued again, {answers} orders' lost answers kept"
            );
        }
        if self.work_pending()? {
            // Orders still waiting for a restock, or for their answer to
            // be kept, are seen to sooner.
            let next = if restocks > 0 || self.has_pending_commands()? {
                grace.min(RESTOCK_SWEEP_SECS)
            } else {
                grace
            };
            self.schedule(Task::Sweep, (now + next) * 1000).await?;
        }
        Ok(())
    }

    /// Emails still queued, or held by a lease that ran out, and untouched
    /// since `stale`: their message is lost. Each is queued again and
    /// touched, so the next sweep waits another grace period for it.
    async fn sweep_emails(&self, stale: i64, now: i64) -> Result<usize, EdgeError> {
        #[derive(Deserialize)]
        struct Owed {
            key: String,
            job: String,
        }
        let owed: Vec<Owed> = self.rows(
            "SELECT key, job FROM mails
             WHERE state IN (?, ?) AND updated_at <= ? AND COALESCE(claimed_at, 0) <= ?
             ORDER BY updated_at LIMIT ?",
            vec![
                text_value(EmailState::Queued.code()),
                text_value(EmailState::Sending.code()),
                stale.into(),
                (now - mail::LEASE_SECONDS).into(),
                SWEEP_BATCH.into(),
            ],
        )?;
        let mut queued = 0;
        for row in owed {
            let Ok(job) = serde_json::from_str::<EmailJob>(&row.job) else {
                worker::console_error!("sweep: the stored job of email {} is unreadable", row.key);
                continue;
            };
            queue::send(&self.env, &Job::Email(job)).await?;
            self.run(
                "UPDATE mails SET updated_at = ?, requeued = requeued + 1 WHERE key = ?",
                vec![now.into(), text_value(row.key)],
            )?;
            queued += 1;
        }
        Ok(queued)
    }

    /// Restocks some waiting order has not taken since `stale`: sent again,
    /// under the same key, to the orders still waiting for the SKU (the
    /// ones that took it are no longer waiting for it). A restock is done
    /// when no order waits for its SKU, or when the SKU is on backorder
    /// again.
    async fn sweep_restocks(
        &self,
        shop: &ShopId,
        stale: i64,
        now: i64,
    ) -> Result<usize, EdgeError> {
        #[derive(Deserialize)]
        struct Restock {
            sku: String,
            key: String,
            sweeps: i64,
        }
        let restocks: Vec<Restock> = self.rows(
            "SELECT sku, key, sweeps FROM restocks WHERE at <= ?",
            vec![stale.into()],
        )?;
        let mut sent = 0;
        for restock in restocks {
            let Ok(sku) = Sku::parse(&restock.sku) else {
                self.forget_restock(&restock.sku)?;
                continue;
            };
            let waiting = self.waiting_orders(&sku)?;
            let on_backorder = matches!(
                self.product(&sku)?,
                Some(shared::ProductSetting::Backorder { .. })
            );
            if waiting.is_empty() || on_backorder {
                self.forget_restock(&restock.sku)?;
                continue;
            }
            if restock.sweeps >= MAX_RESTOCK_SWEEPS {
                worker::console_error!(
                    "sweep: {} orders never took the restock of {sku}; given up",
                    waiting.len()
                );
                self.forget_restock(&restock.sku)?;
                continue;
            }
            // The first orders are told from here, so that recovery never
            // waits on the fan-out queue (a crash loses its messages, and
            // its local consumer has been seen to stop delivering); the
            // rest go through the queue, and the next sweep comes sooner.
            let event = Event::StockArrived { sku: sku.clone() };
            let (now_told, rest) = waiting.split_at(waiting.len().min(SWEEP_DIRECT_ORDERS));
            self.tell(shop, &restock.key, now_told, &event).await?;
            self.send_fan_out(shop, &restock.key, rest, event).await?;
            self.run(
                "UPDATE restocks SET at = ?, sweeps = sweeps + 1 WHERE sku = ?",
                vec![now.into(), text_value(restock.sku)],
            )?;
            sent += 1;
        }
        Ok(sent)
    }

    /// Gives `event` under `key` to `orders` from the shop's own object,
    /// `FAN_OUT_BATCH` at once, and keeps what each now is, as a fan-out
    /// batch would. An order that cannot be reached now is told by a later
    /// sweep.
    async fn tell(
        &self,
        shop: &ShopId,
        key: &str,
        orders: &[OrderId],
        event: &Event,
    ) -> Result<(), EdgeError> {
        let command = Command {
            shop: shop.clone(),
            policy: self.policy()?,
            news: News::Event {
                event: event.clone(),
            },
            key: Some(key.to_owned()),
            // Only restocks are swept (see `sweep_restocks`).
            swept: true,
        };
        let mut taken = Taken::default();
        for batch in orders.chunks(FAN_OUT_BATCH) {
            let answers = futures_util::future::join_all(batch.iter().map(|order| async {
                OrderStub::get(&self.env, shop, order)?
                    .apply(&command)
                    .await
            }))
            .await;
            for answer in answers {
                match answer {
                    Ok(answer) => taken.add(answer),
                    Err(err) => worker::console_error!("sweep: an order missed a restock: {err}"),
                }
            }
        }
        self.keep(&taken.orders, &taken.emails, &taken.actions)?;
        Ok(())
    }

    /// Commands sent to orders before `stale` whose answer was never kept
    /// here: each order is asked what it is now (applying nothing) and
    /// that is kept, with the emails and actions it queued. Returns how
    /// many orders were caught up.
    async fn sweep_pending(&self, shop: &ShopId, stale: i64) -> Result<usize, EdgeError> {
        #[derive(Deserialize)]
        struct Pending {
            order_id: String,
        }
        let pending: Vec<Pending> = self.rows(
            "SELECT DISTINCT order_id FROM pending_commands WHERE at <= ? LIMIT ?",
            vec![stale.into(), PENDING_BATCH.into()],
        )?;
        let mut caught_up = 0;
        for row in pending {
            let forget = || {
                self.run(
                    "DELETE FROM pending_commands WHERE order_id = ? AND at <= ?",
                    vec![text_value(row.order_id.as_str()), stale.into()],
                )
            };
            let Ok(order) = OrderId::parse(&row.order_id) else {
                forget()?;
                continue;
            };
            match OrderStub::get(&self.env, shop, &order)?.report().await {
                Ok(answer) => {
                    self.keep_answer(&answer)?;
                    forget()?;
                    caught_up += 1;
                }
                Err(err) => worker::console_error!("sweep: order {order} did not say: {err}"),
            }
        }
        Ok(caught_up)
    }

    fn has_pending_commands(&self) -> Result<bool, EdgeError> {
        #[derive(Deserialize)]
        struct Pending {
            n: i64,
        }
        let rows: Vec<Pending> = self.rows(
            "SELECT COUNT(*) AS n FROM (SELECT 1 FROM pending_commands LIMIT 1)",
            Vec::new(),
        )?;
        Ok(rows.first().is_some_and(|row| row.n > 0))
    }

    /// Keeps a restock until every order waiting for its SKU has taken it.
    pub(super) fn remember_restock(&self, sku: &Sku, key: &str) -> Result<(), EdgeError> {
        self.run(
            "INSERT INTO restocks (sku, key, at, sweeps) VALUES (?, ?, ?, 0)
             ON CONFLICT(sku) DO UPDATE SET key = excluded.key, at = excluded.at, sweeps = 0",
            vec![
                text_value(sku.as_str()),
                text_value(key),
                clock::now().unix_seconds().into(),
            ],
        )?;
        Ok(())
    }

    /// The key of the restock still being carried out for `sku`, if any.
    pub(super) fn restock_key(&self, sku: &Sku) -> Result<Option<String>, EdgeError> {
        #[derive(Deserialize)]
        struct Key {
            key: String,
        }
        let rows: Vec<Key> = self.rows(
            "SELECT key FROM restocks WHERE sku = ?",
            vec![text_value(sku.as_str())],
        )?;
        Ok(rows.into_iter().next().map(|row| row.key))
    }

    fn forget_restock(&self, sku: &str) -> Result<(), EdgeError> {
        self.run("DELETE FROM restocks WHERE sku = ?", vec![text_value(sku)])?;
        Ok(())
    }
}
