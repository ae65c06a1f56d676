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
use crate::calls::ActionJob;
use crate::calls::shop::{ActionClaim, ActionResult, ActionState, ActionStatus, Endpoint};
use crate::error::EdgeError;
use crate::jobs::MAX_ACTION_ATTEMPTS;
use crate::{clock, crypto, http};

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
        if !(body.url.starts_with("https://") || body.url.starts_with("http://"))
            || body.url.len() > 2000
            || body.url.chars().any(char::is_whitespace)
        {
            return Err(invalid("url", "an http(s) URL of at most 2000 characters"));
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

    pub(super) fn claim_action(&self, action: &ActionJob) -> Result<Response, EdgeError> {
        let now = clock::now().unix_seconds();
        self.run(
            "INSERT OR IGNORE INTO actions (key, order_id, kind, body, state, attempts,
                   created_at, updated_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            vec![
                text_value(action.key.as_str()),
                text_value(action.order.as_str()),
                text_value(action.effect.code()),
                text_value(to_text(&action.effect)?),
                text_value(ActionState::Pending.code()),
                SqlStorageValue::from(now),
                SqlStorageValue::from(now),
            ],
        )?;
        let state = self
            .action_status(&action.key)?
            .map_or(ActionState::Pending, |status| status.state);
        http::json(
            &ActionClaim {
                state,
                endpoint: self.endpoint()?,
            },
            200,
        )
    }

    pub(super) fn action_result(&self, result: &ActionResult) -> Result<Response, EdgeError> {
        let now = clock::now().unix_seconds();
        let max = i64::from(MAX_ACTION_ATTEMPTS);
        self.run(
            "UPDATE actions SET attempts = attempts + 1, updated_at = ?, last_error = ?,
                   state = CASE WHEN ? THEN ? WHEN attempts + 1 >= ? THEN ? ELSE ? END
                 WHERE key = ? AND state = ?",
            vec![
                SqlStorageValue::from(now),
                result.error.clone().into(),
                // An integer: a JS boolean binding is not truthy in SQL here.
                SqlStorageValue::from(i64::from(result.ok)),
                text_value(ActionState::Done.code()),
                SqlStorageValue::from(max),
                text_value(ActionState::Failed.code()),
                text_value(ActionState::Pending.code()),
                text_value(result.key.as_str()),
                text_value(ActionState::Pending.code()),
            ],
        )?;
        let status = self.action_status(&result.key)?.unwrap_or(ActionStatus {
            state: ActionState::Failed,
            attempts: 0,
        });
        http::json(&status, 200)
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
