//! Dead letters: a job whose queue message ran out of the queue's own
//! retries lands on the dead-letter queue, whose consumer keeps it here, so
//! that nothing is lost silently. Its email or action is shown as given up
//! (with why) in the email log or the action list; the merchant lists the
//! letters (`GET …/dead-letters`) and replays one (`POST …/dead-letters/
//! replay {"letter"}`): an email or an action is queued afresh as `send-
//! again` would, a fan-out batch goes back on its queue as it was.

use serde::Deserialize;
use serde_json::json;
use worker::{Method, Request, Response};

use super::sql::text_value;
use super::{MAX_SETTING_BYTES, ShopRecords, invalid};
use crate::calls::{Job, queue};
use crate::error::EdgeError;
use crate::{clock, http};

/// Letters listed at most, newest first.
const LIST_LIMIT: i64 = 1000;

#[derive(Debug, Deserialize)]
struct Letter {
    letter: String,
    kind: String,
    order_id: Option<String>,
    job: String,
    at: i64,
    replays: u32,
    replayed_at: Option<i64>,
}

/// One letter per job: an email's or an action's key, or for a fan-out
/// batch (whose key all batches of one fan-out share) its key and first order.
fn letter_of(job: &Job) -> String {
    match job {
        Job::Email(email) => email.key.clone(),
        Job::Action(action) => action.key.clone(),
        Job::FanOut(fan_out) => format!(
            "{}@{}",
            fan_out.key,
            fan_out.orders.first().map(|o| o.as_str()).unwrap_or("")
        ),
    }
}

fn kind_of(job: &Job) -> &'static str {
    match job {
        Job::Email(_) => "email",
        Job::Action(_) => "action",
        Job::FanOut(_) => "fan_out",
    }
}

impl ShopRecords {
    pub(super) async fn dead_letter_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Get, ["v1", "shops", _, "dead-letters"]) => self.list_dead_letters(),
            (Method::Post, ["v1", "shops", _, "dead-letters", "replay"]) => self.replay(req).await,
            (_, ["v1", "shops", _, "dead-letters", ..]) => Err(EdgeError::MethodNotAllowed),
            _ => return None,
        })
    }

    /// Keeps a dead-lettered job (a second copy of it replaces the first),
    /// and marks its email or action given up.
    pub(super) fn dead_letter(&self, job: &Job) -> Result<Response, EdgeError> {
        let now = clock::now().unix_seconds();
        let text = serde_json::to_string(job)
            .map_err(|err| EdgeError::Internal(format!("a dead job: {err}")))?;
        let order = match job {
            Job::Email(email) => Some(email.order.to_string()),
            Job::Action(action) => Some(action.order.to_string()),
            Job::FanOut(_) => None,
        };
        self.run(
            "INSERT INTO dead_letters (letter, kind, order_id, job, at, replays)
                 VALUES (?, ?, ?, ?, ?, 0)
                 ON CONFLICT (letter) DO UPDATE SET job = excluded.job, at = excluded.at,
                 replayed_at = NULL",
            vec![
                text_value(letter_of(job)),
                text_value(kind_of(job)),
                order.into(),
                text_value(text),
                now.into(),
            ],
        )?;
        match job {
            Job::Email(email) => {
                self.record_email(email, now)?;
                self.email_dead_lettered(&email.key)?;
            }
            Job::Action(action) => self.action_dead_lettered(&action.key)?,
            // The sweep sends a restock again to every order still waiting.
            Job::FanOut(_) => {}
        }
        worker::console_warn!("dead-lettered {} job {}", kind_of(job), letter_of(job));
        http::json(&json!({ "letter": letter_of(job) }), 200)
    }

    fn list_dead_letters(&self) -> Result<Response, EdgeError> {
        let letters: Vec<Letter> = self.rows(
            "SELECT letter, kind, order_id, job, at, replays, replayed_at FROM dead_letters
                 ORDER BY at DESC LIMIT ?",
            vec![LIST_LIMIT.into()],
        )?;
        let letters: Vec<_> = letters
            .iter()
            .map(|letter| {
                json!({
                    "letter": letter.letter,
                    "kind": letter.kind,
                    "order": letter.order_id,
                    "at": letter.at,
                    "replays": letter.replays,
                    "replayed_at": letter.replayed_at,
                })
            })
            .collect();
        http::json(&json!({ "dead_letters": letters }), 200)
    }

    async fn replay(&self, req: &mut Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Replay {
            letter: String,
        }
        let body: Replay = http::json_body(req, MAX_SETTING_BYTES).await?;
        let letters: Vec<Letter> = self.rows(
            "SELECT letter, kind, order_id, job, at, replays, replayed_at FROM dead_letters
                 WHERE letter = ?",
            vec![text_value(body.letter.as_str())],
        )?;
        let Some(letter) = letters.into_iter().next() else {
            return Err(EdgeError::NotFound);
        };
        if letter.replayed_at.is_some() {
            return Err(invalid(
                "letter",
                "this letter was replayed already; it comes back here if it is dead-lettered again",
            ));
        }
        let job: Job = serde_json::from_str(&letter.job)
            .map_err(|err| EdgeError::Internal(format!("a stored dead job: {err}")))?;
        match &job {
            Job::Email(email) => self.email_again(&email.key).await?,
            Job::Action(action) => self.action_again(&action.key).await?,
            Job::FanOut(_) => queue::send_fan_out(&self.env, vec![job.clone()]).await?,
        }
        let now = clock::now().unix_seconds();
        self.run(
            "UPDATE dead_letters SET replays = replays + 1, replayed_at = ? WHERE letter = ?",
            vec![now.into(), text_value(body.letter.as_str())],
        )?;
        http::json(
            &json!({ "letter": body.letter, "replays": letter.replays + 1 }),
            202,
        )
    }
}
