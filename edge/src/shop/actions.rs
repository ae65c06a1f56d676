//! The list of actions for the back office: each claimed here before it is
//! posted to the merchant's endpoint, its result recorded, and listed; and
//! the endpoint itself, with its signing secret.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::Deserialize;
use serde_json::{Value, json};
use worker::{Method, Request, Response, SqlStorageValue};

use super::sql::{text_value, to_text};
use super::{MAX_SETTING_BYTES, ShopRecords, invalid};
use shared::lifecycle::Effect;

use crate::calls::ActionJob;
use crate::calls::queue::{self, Job};
use crate::calls::shop::{ActionClaim, ActionResult, ActionState, ActionStatus, Endpoint};
use crate::error::EdgeError;
use crate::{clock, crypto, http};

/// How long an action without a deadline of its own is tried.
const ACTION_PATIENCE_SECS: i64 = 7 * 86_400;

/// Until when an action is tried (Unix seconds): a refund until the end of
/// its legal day (16 CFR 435.1), anything else a week from `now`.
fn deadline(effect: &Effect, now: i64) -> i64 {
    match effect {
        Effect::Refund { by, .. } => (by.days_since_epoch() + 1) * 86_400,
        _ => now + ACTION_PATIENCE_SECS,
    }
}

/// Where actions may go: https, since they carry refunds and the customer's
/// order; plain http only to this machine (127.0.0.1, localhost, [::1]),
/// for development.
fn is_endpoint_url(url: &str) -> bool {
    let loopback = ["http://127.0.0.1", "http://localhost", "http://[::1]"]
        .iter()
        .any(|origin| {
            url.strip_prefix(origin)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', '/']))
        });
    let https = url
        .strip_prefix("https://")
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    (https || loopback)
        && url.len() <= 2000
        && !url.chars().any(|ch| ch.is_whitespace() || ch.is_control())
}

impl ShopRecords {
    /// The merchant's action routes; `None` when the path is not one of them.
    pub(super) async fn action_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Get, ["v1", "shops", _, "actions"]) => self.list_actions(req),
            (Method::Post, ["v1", "shops", _, "actions", "send-again"]) => {
                self.send_action_again(req).await
            }
            (Method::Put, ["v1", "shops", _, "endpoint"]) => self.put_endpoint(req).await,
            (_, ["v1", "shops", _, "actions" | "endpoint"]) => Err(EdgeError::MethodNotAllowed),
            _ => return None,
        })
    }

    pub(super) fn endpoint(&self) -> Result<Option<Endpoint>, EdgeError> {
        Ok(self
            .setting("endpoint")?
            .and_then(|text| serde_json::from_str(&text).ok()))
    }

    async fn put_endpoint(&self, req: &mut Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Url {
            url: String,
        }
        let body: Url = http::json_body(req, MAX_SETTING_BYTES).await?;
        if !is_endpoint_url(&body.url) {
            return Err(invalid(
                "url",
                "an https URL of at most 2000 characters (http only to this machine, for development)",
            ));
        }
        let secret = format!("whsec_{}", STANDARD.encode(crypto::random_bytes(32)?));
        let endpoint = Endpoint {
            url: body.url,
            secret: secret.clone(),
        };
        self.set_setting("endpoint", &to_text(&endpoint)?)?;
        // The signing secret is shown this once.
        http::json(
            &json!({ "url": endpoint.url, "signing_secret": secret }),
            200,
        )
    }

    fn action_status(&self, key: &str) -> Result<Option<ActionStatus>, EdgeError> {
        #[derive(Deserialize)]
        struct Stored {
            state: String,
            attempts: u32,
        }
        let rows: Vec<Stored> = self.rows(
            "SELECT state, attempts FROM actions WHERE key = ?",
            vec![text_value(key)],
        )?;
        rows.into_iter()
            .next()
            .map(|row| {
                let state = ActionState::from_code(&row.state).ok_or_else(|| {
                    EdgeError::Internal(format!("stored action state {}", row.state))
                })?;
                Ok(ActionStatus {
                    state,
                    attempts: row.attempts,
                })
            })
            .transpose()
    }

    /// Lists the action (once): whoever comes second, the order's answer
    /// or the job's delivery, finds the first's row.
    pub(super) fn record_action(&self, action: &ActionJob, now: i64) -> Result<(), EdgeError> {
        self.run(
            "INSERT OR IGNORE INTO actions (key, order_id, kind, body, state, attempts,
                   created_at, updated_at, deadline) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
            vec![
                text_value(action.key.as_str()),
                text_value(action.order.as_str()),
                text_value(action.effect.code()),
                text_value(to_text(&action.effect)?),
                text_value(ActionState::Pending.code()),
                SqlStorageValue::from(now),
                SqlStorageValue::from(now),
                SqlStorageValue::from(deadline(&action.effect, now)),
            ],
        )?;
        Ok(())
    }

    /// Claims each action of a queue batch (one call for the batch): each
    /// is listed if it was not, and answered with its state and the
    /// merchant's endpoint, if any.
    pub(super) fn claim_actions(&self, actions: &[ActionJob]) -> Result<Response, EdgeError> {
        let endpoint = self.endpoint()?;
        let mut claims = Vec::with_capacity(actions.len());
        for action in actions {
            self.record_action(action, clock::now().unix_seconds())?;
            let state = self
                .action_status(&action.key)?
                .map_or(ActionState::Pending, |status| status.state);
            claims.push(ActionClaim {
                state,
                endpoint: endpoint.clone(),
            });
        }
        http::json(&claims, 200)
    }

    /// Keeps each try's outcome (one call for the batch).
    pub(super) fn action_results(&self, results: &[ActionResult]) -> Result<Response, EdgeError> {
        let statuses = results
            .iter()
            .map(|result| self.action_result(result))
            .collect::<Result<Vec<_>, _>>()?;
        http::json(&statuses, 200)
    }

    fn action_result(&self, result: &ActionResult) -> Result<ActionStatus, EdgeError> {
        let now = clock::now().unix_seconds();
        // Tried until its deadline, then given up and shown as failed.
        self.run(
            "UPDATE actions SET attempts = attempts + 1, updated_at = ?, last_error = ?,
                   state = CASE WHEN ? THEN ? WHEN ? >= COALESCE(deadline, 0) THEN ? ELSE ? END
                 WHERE key = ? AND state = ?",
            vec![
                SqlStorageValue::from(now),
                result.error.clone().into(),
                // An integer: a JS boolean binding is not truthy in SQL here.
                SqlStorageValue::from(i64::from(result.ok)),
                text_value(ActionState::Done.code()),
                SqlStorageValue::from(now),
                text_value(ActionState::Failed.code()),
                text_value(ActionState::Pending.code()),
                text_value(result.key.as_str()),
                text_value(ActionState::Pending.code()),
            ],
        )?;
        Ok(self.action_status(&result.key)?.unwrap_or(ActionStatus {
            state: ActionState::Failed,
            attempts: 0,
        }))
    }

    /// `POST …/actions/send-again`: a failed action is tried again, with a
    /// new week (or, for a refund, until its own deadline if still ahead).
    async fn send_action_again(&self, req: &mut Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Again {
            key: String,
        }
        let again: Again = http::json_body(req, MAX_SETTING_BYTES).await?;
        self.action_again(&again.key).await?;
        http::json(
            &json!({ "key": again.key, "state": ActionState::Pending }),
            202,
        )
    }

    /// Queues the failed action keyed `key` once more, with a new week (or,
    /// for a refund, until its own deadline if still ahead).
    pub(super) async fn action_again(&self, key: &str) -> Result<(), EdgeError> {
        #[derive(Deserialize)]
        struct Stored {
            order_id: String,
            body: String,
            state: String,
        }
        let rows: Vec<Stored> = self.rows(
            "SELECT order_id, body, state FROM actions WHERE key = ?",
            vec![text_value(key)],
        )?;
        let Some(row) = rows.into_iter().next() else {
            return Err(EdgeError::NotFound);
        };
        if ActionState::from_code(&row.state) != Some(ActionState::Failed) {
            return Err(invalid(
                "key",
                format!(
                    "only a failed action is sent again; this one is {}",
                    row.state
                ),
            ));
        }
        let effect: Effect = serde_json::from_str(&row.body)
            .map_err(|err| EdgeError::Internal(format!("stored action: {err}")))?;
        let order = super::parse_order(&row.order_id)?;
        let now = clock::now().unix_seconds();
        let until = deadline(&effect, now).max(now + ACTION_PATIENCE_SECS);
        self.run(
            "UPDATE actions SET state = ?, attempts = 0, last_error = NULL, updated_at = ?,
                   deadline = ? WHERE key = ?",
            vec![
                text_value(ActionState::Pending.code()),
                SqlStorageValue::from(now),
                SqlStorageValue::from(until),
                text_value(key),
            ],
        )?;
        let job = Job::Action(ActionJob {
            key: key.to_owned(),
            shop: self.shop_id()?,
            order,
            effect,
        });
        queue::send(&self.env, &job).await
    }

    /// An action whose queue message was dead-lettered is shown as failed,
    /// with why, unless it was done.
    pub(super) fn action_dead_lettered(&self, key: &str) -> Result<(), EdgeError> {
        self.run(
            "UPDATE actions SET state = ?, last_error = ?, updated_at = ? WHERE key = ? AND state = ?",
            vec![
                text_value(ActionState::Failed.code()),
                text_value(super::mail::DEAD_LETTERED),
                SqlStorageValue::from(clock::now().unix_seconds()),
                text_value(key),
                text_value(ActionState::Pending.code()),
            ],
        )?;
        Ok(())
    }

    /// Pending actions untouched since `stale` (their queue message is
    /// lost): queued again, and touched.
    pub(super) async fn sweep_actions(&self, stale: i64, now: i64) -> Result<usize, EdgeError> {
        // Without an endpoint, a pending action waits in the list for the
        // back office to read: no message of it is owed.
        if self.endpoint()?.is_none() {
            return Ok(0);
        }
        #[derive(Deserialize)]
        struct Owed {
            key: String,
            order_id: String,
            body: String,
        }
        let owed: Vec<Owed> = self.rows(
            "SELECT key, order_id, body FROM actions WHERE state = ? AND updated_at <= ?
             ORDER BY updated_at LIMIT 200",
            vec![text_value(ActionState::Pending.code()), stale.into()],
        )?;
        let shop = self.shop_id()?;
        let mut queued = 0;
        for row in owed {
            let (Ok(effect), Ok(order)) = (
                serde_json::from_str::<Effect>(&row.body),
                super::parse_order(&row.order_id),
            ) else {
                worker::console_error!("sweep: action {} is unreadable", row.key);
                continue;
            };
            let job = Job::Action(ActionJob {
                key: row.key.clone(),
                shop: shop.clone(),
                order,
                effect,
            });
            queue::send(&self.env, &job).await?;
            self.run(
                "UPDATE actions SET updated_at = ? WHERE key = ?",
                vec![SqlStorageValue::from(now), text_value(row.key)],
            )?;
            queued += 1;
        }
        Ok(queued)
    }

    fn list_actions(&self, req: &Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        struct ActionRow {
            key: String,
            order_id: String,
            kind: String,
            body: String,
            state: String,
            attempts: i64,
            last_error: Option<String>,
            created_at: i64,
        }
        let state = match http::query_param(req, "state") {
            Some(state) => Some(
                ActionState::from_code(&state)
                    .ok_or_else(|| invalid("state", "one of pending, done, failed"))?
                    .code(),
            ),
            None => None,
        };
        let rows: Vec<ActionRow> = self.rows(
            "SELECT key, order_id, kind, body, state, attempts, last_error, created_at
                 FROM actions WHERE (? IS NULL OR state = ?) ORDER BY created_at, key",
            vec![state.into(), state.into()],
        )?;
        let actions: Vec<Value> = rows
            .into_iter()
            .map(|row| {
                json!({
                    "key": row.key, "order": row.order_id, "kind": row.kind,
                    "action": serde_json::from_str::<Value>(&row.body).unwrap_or(Value::Null),
                    "state": row.state, "attempts": row.attempts,
                    "last_error": row.last_error, "created_at": row.created_at,
                })
            })
            .collect();
        http::json(&json!({ "actions": actions }), 200)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refund_is_tried_until_the_end_of_its_legal_day_and_the_rest_for_a_week() {
        let by = shared::Date::from_ymd(2030, 1, 10).expect("a date");
        let refund = Effect::Refund {
            amount: shared::Money::new(shared::Currency::parse("USD").expect("USD"), 1000),
            by,
        };
        let end_of_day = (by.days_since_epoch() + 1) * 86_400;
        assert_eq!(deadline(&refund, 0), end_of_day);
        let tag = Effect::TagOrder {
            tag: "backorder".into(),
        };
        assert_eq!(deadline(&tag, 1_000), 1_000 + 7 * 86_400);
    }

    #[test]
    fn actions_go_over_https_or_to_this_machine() {
        for good in [
            "https://shop.example/backorder",
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://[::1]:9000",
        ] {
            assert!(is_endpoint_url(good), "{good}");
        }
        for bad in [
            "http://shop.example/backorder",
            "http://127.0.0.1.evil.example/hook",
            "http://localhost.evil.example",
            "ftp://shop.example",
            "https://",
            "https://shop.example/a b",
        ] {
            assert!(!is_endpoint_url(bad), "{bad}");
        }
    }
}
