//! Who is asking, and what they may do. The owner holds the shop's API key;
//! a support agent holds an agent key the owner made. Either key opens a
//! console session: a cookie (HttpOnly, SameSite=Strict, 8 hours) whose
//! token is kept here only as a hash, ended by signing out, by rotating the
//! shop's key, or by revoking the agent. A write made with a session must
//! come from the edge's own pages. Every change, and every look at a
//! customer's contact, goes into the audit log the owner reads.

use serde::Deserialize;
use serde_json::json;
use shared::ShopId;
use worker::{Method, Request, Response};

use super::ShopRecords;
use super::sql::text_value;
use crate::error::{EdgeError, invalid};
use crate::{clock, crypto, http};

/// The cookie that carries a console session.
pub(super) const SESSION_COOKIE: &str = "bk_session";
/// How long a session lasts from sign-in: a working day.
const SESSION_SECS: i64 = 8 * 3600;
/// An agent's name: who the audit log says did something.
const MAX_AGENT_NAME_CHARS: usize = 60;
const MAX_AUDIT_PAGE: usize = 500;
/// The largest whole number a JSON reader keeps exactly (2^53 - 1).
const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

pub(super) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS agents (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, key_hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL, revoked_at INTEGER);
CREATE TABLE IF NOT EXISTS sessions (
  hash TEXT PRIMARY KEY, agent TEXT, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, who TEXT NOT NULL,
  what TEXT NOT NULL, status INTEGER NOT NULL);
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Role {
    Owner,
    Agent,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Agent => "agent",
        }
    }
}

/// Whoever a request comes from, once their key or session is checked.
#[derive(Clone, Debug)]
pub(super) struct Caller {
    pub(super) role: Role,
    /// The agent's id, for an agent.
    agent: Option<String>,
    /// The agent's name, for an agent.
    name: Option<String>,
    /// The session's hash, when the request came with one (not a key).
    session: Option<String>,
    /// When that session ends (Unix seconds).
    expires_at: Option<i64>,
}

impl Caller {
    /// As the audit log names them: `owner`, or `agent ag_… (name)`.
    pub(super) fn who(&self) -> String {
        match (&self.agent, &self.name) {
            (Some(id), Some(name)) => format!("agent {id} ({name})"),
            (Some(id), None) => format!("agent {id}"),
            _ => "owner".to_owned(),
        }
    }
}

/// What an agent may do: read and search orders with what support needs
/// beside them, send an email again, make a customer link, add a note, and
/// sign in and out. Everything else is the owner's. `rest` is the path
/// after `/v1/shops/{shop}/`.
fn agent_may(method: &Method, rest: &[&str]) -> bool {
    matches!(
        (method, rest),
        (
            Method::Get,
            ["orders"]
                | ["orders", _, "support"]
                | ["emails"]
                | ["emails", "one"]
                | ["actions"]
                | ["sessions", "current"]
                | ["support", "lookup"]
        ) | (
            Method::Post,
            ["emails", "send-again"] | ["links"] | ["orders", _, "notes"] | ["sessions"]
        ) | (Method::Delete, ["sessions", "current"])
    )
}

/// The value of the cookie `name` in a `Cookie` header, if sent.
fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("Cookie").ok().flatten()?;
    header.split(';').find_map(|pair| {
        let (key, value) = pair.trim().split_once('=')?;
        (key == name && !value.is_empty()).then(|| value.to_owned())
    })
}

/// Whether a browser says the request comes from a page of this origin:
/// `Sec-Fetch-Site: same-origin`, or else an `Origin` equal to the URL's.
/// A request that says neither is not taken as the edge's own page's.
fn from_own_page(req: &Request) -> bool {
    let header = |name: &str| req.headers().get(name).ok().flatten();
    if let Some(site) = header("Sec-Fetch-Site") {
        return site == "same-origin";
    }
    let Some(origin) = header("Origin") else {
        return false;
    };
    let url = req.inner().url();
    let own = url
        .split_once("://")
        .map(|(scheme, rest)| format!("{scheme}://{}", rest.split('/').next().unwrap_or_default()));
    own.is_some_and(|own| own == origin)
}

impl ShopRecords {
    /// Who the request comes from: a key in `Authorization: Bearer`, or
    /// else a session cookie. A write with a session must come from the
    /// edge's own page (a cross-site form or script is refused, 403).
    pub(super) fn caller(&self, req: &Request) -> Result<Caller, EdgeError> {
        let presented = crate::auth::bearer(req);
        if !presented.is_empty() {
            return self.key_holder(&presented);
        }
        let Some(token) = cookie(req, SESSION_COOKIE) else {
            return Err(EdgeError::Unauthorized);
        };
        let caller = self.session_holder(&token)?;
        if !matches!(req.method(), Method::Get | Method::Head) && !from_own_page(req) {
            return Err(EdgeError::CrossSite);
        }
        Ok(caller)
    }

    fn key_holder(&self, key: &str) -> Result<Caller, EdgeError> {
        #[derive(Deserialize)]
        struct Agent {
            id: String,
            name: String,
        }
        let hash = crypto::sha256_hex(key.as_bytes());
        let owner = self.setting("api_key_hash")?.unwrap_or_default();
        if !owner.is_empty() && crypto::same(&hash, &owner) {
            return Ok(Caller {
                role: Role::Owner,
                agent: None,
                name: None,
                session: None,
                expires_at: None,
            });
        }
        let agents: Vec<Agent> = self.rows(
            "SELECT id, name FROM agents WHERE key_hash = ? AND revoked_at IS NULL",
            vec![text_value(hash)],
        )?;
        let agent = agents.into_iter().next().ok_or(EdgeError::Unauthorized)?;
        Ok(Caller {
            role: Role::Agent,
            agent: Some(agent.id),
            name: Some(agent.name),
            session: None,
            expires_at: None,
        })
    }

    fn session_holder(&self, token: &str) -> Result<Caller, EdgeError> {
        #[derive(Deserialize)]
        struct Session {
            agent: Option<String>,
            name: Option<String>,
            expires_at: i64,
        }
        let hash = crypto::sha256_hex(token.as_bytes());
        let sessions: Vec<Session> = self.rows(
            "SELECT s.agent AS agent, a.name AS name, s.expires_at AS expires_at
               FROM sessions s LEFT JOIN agents a ON a.id = s.agent
              WHERE s.hash = ? AND s.expires_at > ?
                AND (s.agent IS NULL OR (a.id IS NOT NULL AND a.revoked_at IS NULL))",
            vec![text_value(hash.clone()), clock::now().unix_seconds().into()],
        )?;
        let session = sessions.into_iter().next().ok_or(EdgeError::Unauthorized)?;
        Ok(Caller {
            role: match session.agent {
                Some(_) => Role::Agent,
                None => Role::Owner,
            },
            agent: session.agent,
            name: session.name,
            session: Some(hash),
            expires_at: Some(session.expires_at),
        })
    }

    /// Refuses (403) what the caller's role may not do, and writes the
    /// refusal in the audit log. `rest` is the path after the shop.
    pub(super) fn check_role(
        &self,
        caller: &Caller,
        method: &Method,
        rest: &[&str],
    ) -> Result<(), EdgeError> {
        if caller.role == Role::Owner || agent_may(method, rest) {
            return Ok(());
        }
        self.audit(caller, &format!("{method} /{}", rest.join("/")), 403)?;
        Err(EdgeError::Forbidden)
    }

    /// Writes one line of the audit log.
    pub(super) fn audit(&self, caller: &Caller, what: &str, status: u16) -> Result<(), EdgeError> {
        self.run(
            "INSERT INTO audit (at, who, what, status) VALUES (?, ?, ?, ?)",
            vec![
                clock::now().unix_seconds().into(),
                text_value(caller.who()),
                text_value(what),
                i64::from(status).into(),
            ],
        )?;
        Ok(())
    }

    /// Sessions, agents and the audit log; `None` for other paths.
    pub(super) async fn access_routes(
        &self,
        method: &Method,
        parts: &[&str],
        req: &mut Request,
        shop: &ShopId,
        caller: &Caller,
    ) -> Option<Result<Response, EdgeError>> {
        Some(match (method, parts) {
            (Method::Post, ["v1", "shops", _, "sessions"]) => self.sign_in(req, shop, caller),
            (Method::Get, ["v1", "shops", _, "sessions", "current"]) => {
                http::json(&session_view(caller), 200)
            }
            (Method::Delete, ["v1", "shops", _, "sessions", "current"]) => {
                self.sign_out(shop, caller)
            }
            (Method::Post, ["v1", "shops", _, "agents"]) => self.add_agent(req).await,
            (Method::Get, ["v1", "shops", _, "agents"]) => self.list_agents(),
            (Method::Delete, ["v1", "shops", _, "agents", id]) => self.revoke_agent(id),
            (Method::Get, ["v1", "shops", _, "audit"]) => self.audit_page(req),
            (
                _,
                ["v1", "shops", _, "sessions" | "agents" | "audit"]
                | ["v1", "shops", _, "sessions", "current"]
                | ["v1", "shops", _, "agents", _],
            ) => Err(EdgeError::MethodNotAllowed),
            _ => return None,
        })
    }

    /// `POST …/sessions` with a key: a session for its holder, in a cookie.
    fn sign_in(
        &self,
        req: &Request,
        shop: &ShopId,
        caller: &Caller,
    ) -> Result<Response, EdgeError> {
        if caller.session.is_some() {
            return Err(invalid(
                "Authorization",
                "sign in with the shop's API key or an agent key",
            ));
        }
        let now = clock::now().unix_seconds();
        self.run(
            "DELETE FROM sessions WHERE expires_at <= ?",
            vec![now.into()],
        )?;
        let token = crypto::random_hex(32)?;
        let expires_at = now + SESSION_SECS;
        self.run(
            "INSERT INTO sessions (hash, agent, created_at, expires_at) VALUES (?, ?, ?, ?)",
            vec![
                text_value(crypto::sha256_hex(token.as_bytes())),
                caller.agent.clone().into(),
                now.into(),
                expires_at.into(),
            ],
        )?;
        let mut session = caller.clone();
        session.expires_at = Some(expires_at);
        let secure = req.inner().url().starts_with("https://");
        let mut response = http::json(&session_view(&session), 201)?;
        response.headers_mut().set(
            "Set-Cookie",
            &session_cookie(shop, &token, SESSION_SECS, secure),
        )?;
        Ok(response)
    }

    /// `DELETE …/sessions/current`: the session ends here, and the browser
    /// is told to forget its cookie.
    fn sign_out(&self, shop: &ShopId, caller: &Caller) -> Result<Response, EdgeError> {
        if let Some(hash) = &caller.session {
            self.run(
                "DELETE FROM sessions WHERE hash = ?",
                vec![text_value(hash.clone())],
            )?;
        }
        let mut response = Response::empty()?.with_status(204);
        response
            .headers_mut()
            .set("Set-Cookie", &session_cookie(shop, "", 0, false))?;
        Ok(response)
    }

    /// Every session ends: the shop's key was rotated.
    pub(super) fn end_all_sessions(&self) -> Result<(), EdgeError> {
        self.run("DELETE FROM sessions", Vec::new())?;
        Ok(())
    }

    /// `POST …/agents {"name"}`: a new agent key, shown only in this answer.
    async fn add_agent(&self, req: &mut Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct NewAgent {
            name: String,
        }
        let body: NewAgent = http::json_body(req, 4096).await?;
        let name = body.name.trim().to_owned();
        if !shared::text::fits(&name, MAX_AGENT_NAME_CHARS)
            || shared::text::has_hidden_controls(&name)
        {
            return Err(invalid(
                "name",
                format!("1 to {MAX_AGENT_NAME_CHARS} visible characters"),
            ));
        }
        let id = format!("ag_{}", crypto::random_hex(6)?);
        let key = format!("bka_{}", crypto::random_hex(24)?);
        let now = clock::now().unix_seconds();
        self.run(
            "INSERT INTO agents (id, name, key_hash, created_at) VALUES (?, ?, ?, ?)",
            vec![
                text_value(id.clone()),
                text_value(name.clone()),
                text_value(crypto::sha256_hex(key.as_bytes())),
                now.into(),
            ],
        )?;
        http::json(
            &json!({
                "id": id, "name": name, "key": key,
                "created_at": shared::Timestamp::from_unix_seconds(now).to_string(),
            }),
            201,
        )
    }

    fn list_agents(&self) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        struct Agent {
            id: String,
            name: String,
            created_at: i64,
            revoked_at: Option<i64>,
        }
        let agents: Vec<Agent> = self.rows(
            "SELECT id, name, created_at, revoked_at FROM agents ORDER BY created_at, id",
            Vec::new(),
        )?;
        let time = |at: i64| shared::Timestamp::from_unix_seconds(at).to_string();
        let agents: Vec<_> = agents
            .into_iter()
            .map(|agent| {
                json!({
                    "id": agent.id, "name": agent.name,
                    "created_at": time(agent.created_at),
                    "revoked_at": agent.revoked_at.map(time),
                })
            })
            .collect();
        http::json(&json!({ "agents": agents }), 200)
    }

    /// `DELETE …/agents/{id}`: the key stops opening anything, and the
    /// agent's sessions end. The agent stays listed, as revoked.
    fn revoke_agent(&self, id: &str) -> Result<Response, EdgeError> {
        let changed = self.run(
            "UPDATE agents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
            vec![clock::now().unix_seconds().into(), text_value(id)],
        )?;
        if changed == 0 {
            let known: Vec<super::sql::Row<String>> = self.rows(
                "SELECT id AS value FROM agents WHERE id = ?",
                vec![text_value(id)],
            )?;
            if known.is_empty() {
                return Err(EdgeError::NotFound);
            }
        }
        self.run("DELETE FROM sessions WHERE agent = ?", vec![text_value(id)])?;
        Ok(Response::empty()?.with_status(204))
    }

    /// `GET …/audit[?before=ID&limit=N]`: the newest lines first, N (100
    /// unless said, at most 500) a page; `next_before` pages on.
    fn audit_page(&self, req: &Request) -> Result<Response, EdgeError> {
        #[derive(Deserialize)]
        struct Line {
            id: i64,
            at: i64,
            who: String,
            what: String,
            status: i64,
        }
        let number = |name: &'static str| -> Result<Option<i64>, EdgeError> {
            http::query_param(req, name)
                .map(|text| {
                    text.parse::<i64>()
                        .ok()
                        .filter(|n| (1..=MAX_SAFE_INTEGER).contains(n))
                        .ok_or_else(|| invalid(name, "a whole number from 1 to 2^53 - 1"))
                })
                .transpose()
        };
        let before = number("before")?.unwrap_or(i64::MAX);
        let limit = number("limit")?.unwrap_or(100);
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        if limit > MAX_AUDIT_PAGE {
            return Err(invalid("limit", format!("1 to {MAX_AUDIT_PAGE}")));
        }
        let lines: Vec<Line> = self.rows(
            "SELECT id, at, who, what, status FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?",
            vec![before.into(), i64::try_from(limit).unwrap_or(100).into()],
        )?;
        let next_before = (lines.len() == limit)
            .then(|| lines.last().map(|line| line.id))
            .flatten();
        let lines: Vec<_> = lines
            .into_iter()
            .map(|line| {
                json!({
                    "id": line.id,
                    "at": shared::Timestamp::from_unix_seconds(line.at).to_string(),
                    "who": line.who, "what": line.what, "status": line.status,
                })
            })
            .collect();
        http::json(
            &json!({ "entries": lines, "next_before": next_before }),
            200,
        )
    }
}

/// What the console learns of who is signed in.
fn session_view(caller: &Caller) -> serde_json::Value {
    json!({
        "role": caller.role.as_str(),
        "agent": caller.agent,
        "name": caller.name,
        "expires_at": caller
            .expires_at
            .map(|at| shared::Timestamp::from_unix_seconds(at).to_string()),
    })
}

/// The session cookie, sent only to this shop's API and never to a script.
fn session_cookie(shop: &ShopId, token: &str, max_age: i64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={token}; Path=/v1/shops/{shop}/; Max-Age={max_age}; HttpOnly; SameSite=Strict{secure}",
        shop = shop.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_agent_reads_orders_and_helps_but_touches_no_setting() {
        for (method, path) in [
            (Method::Get, "orders"),
            (Method::Get, "orders/1001/support"),
            (Method::Post, "orders/1001/notes"),
            (Method::Post, "emails/send-again"),
            (Method::Post, "links"),
            (Method::Get, "support/lookup"),
            (Method::Delete, "sessions/current"),
        ] {
            let rest: Vec<&str> = path.split('/').collect();
            assert!(agent_may(&method, &rest), "{method} {path}");
        }
        for (method, path) in [
            (Method::Get, ""),
            (Method::Get, "policy"),
            (Method::Put, "policy"),
            (Method::Post, "api-key"),
            (Method::Get, "agents"),
            (Method::Post, "agents"),
            (Method::Get, "audit"),
            (Method::Get, "mail"),
            (Method::Put, "templates/en/delay"),
            (Method::Put, "products/TENT"),
            (Method::Post, "orders"),
            (Method::Get, "analytics"),
            (Method::Delete, "orders/1001/support"),
        ] {
            let rest: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
            assert!(!agent_may(&method, &rest), "{method} {path}");
        }
    }
}
