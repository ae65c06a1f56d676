//! The console's and support desk's API, as a browser and a help desk call
//! it: sessions in cookies, agent keys and what they may not do, the audit
//! log, one order as support sees it, notes, and the order list's filters,
//! search and pages.

use e2e::admin::AdminApi;
use reqwest::header::{COOKIE, ORIGIN, SET_COOKIE};
use reqwest::{Client, Method, StatusCode};
use serde_json::{Value, json};

use crate::World;

const SHOP: &str = "desk-shop";
const TENT: &str = "TENT-2P";

/// Sends a request and reads its status and JSON body (`null` for none).
async fn send(request: reqwest::RequestBuilder) -> (StatusCode, Value) {
    let response = request.send().await.expect("the edge answers");
    let status = response.status();
    let text = response.text().await.expect("a body");
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Signs in with `key`; the session cookie (`name=value`) it set, after
/// checking that a script can never read it nor another site send it.
async fn sign_in(http: &Client, admin: &AdminApi, key: &str) -> (String, Value) {
    let response = http
        .post(admin.url("/sessions"))
        .bearer_auth(key)
        .send()
        .await
        .expect("the edge answers");
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .and_then(|value| value.to_str().ok())
        .expect("a session cookie")
        .to_owned();
    for part in [
        "HttpOnly",
        "SameSite=Strict",
        &format!("Path=/v1/shops/{SHOP}/"),
        "Max-Age=28800",
    ] {
        assert!(cookie.contains(part), "{cookie} lacks {part}");
    }
    let body: Value = response.json().await.expect("JSON");
    let pair = cookie.split(';').next().unwrap_or_default().to_owned();
    assert!(pair.starts_with("bk_session=") && pair.len() > 40, "{pair}");
    (pair, body)
}

/// A request of `method` to `rest` with a session cookie, from the edge's
/// own page (its `Origin`) unless `origin` says another.
fn with_session(
    http: &Client,
    admin: &AdminApi,
    method: Method,
    rest: &str,
    cookie: &str,
    origin: Option<&str>,
) -> reqwest::RequestBuilder {
    let request = http.request(method, admin.url(rest)).header(COOKIE, cookie);
    match origin {
        Some(origin) => request.header(ORIGIN, origin),
        None => request,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn sessions_end_on_sign_out_and_rotation_and_an_agent_reaches_no_setting() {
    let world = World::start().await;
    let mut admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let http = e2e::http();
    let own = admin.base_url().to_owned();

    // The owner signs in; the cookie alone then reads.
    let (owner, who) = sign_in(&http, &admin, admin.api_key()).await;
    assert_eq!(who["role"], "owner", "{who}");
    let (status, _) = send(with_session(
        &http,
        &admin,
        Method::GET,
        "/policy",
        &owner,
        None,
    ))
    .await;
    assert_eq!(status, StatusCode::OK);

    // A change with the cookie must come from the edge's own page: a
    // cross-site form or script (another Origin, or none) changes nothing.
    let policy = json!({"offer_lifetime_days": 9});
    for origin in [None, Some("https://evil.example")] {
        let (status, body) =
            send(with_session(&http, &admin, Method::PUT, "/policy", &owner, origin).json(&policy))
                .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{origin:?}: {body}");
        assert_eq!(body["error"]["code"], "cross_site", "{body}");
    }
    assert_ne!(admin.get("/policy").await["offer_lifetime_days"], 9);
    let (status, body) =
        send(with_session(&http, &admin, Method::PUT, "/policy", &owner, Some(&own)).json(&policy))
            .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(admin.get("/policy").await["offer_lifetime_days"], 9);

    // An agent key, shown once; a bad name is refused and makes none.
    for bad in [
        json!({"name": " "}),
        json!({"nam": "Maria"}),
        json!({"name": "a\u{202E}b"}),
    ] {
        let (status, body) = admin.post("/agents", &bad).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, agent) = admin.post("/agents", &json!({"name": "Maria"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent_key = agent["key"].as_str().expect("a key").to_owned();
    let agent_id = agent["id"].as_str().expect("an id").to_owned();
    let listed = admin.get("/agents").await;
    assert_eq!(
        listed["agents"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert!(
        listed["agents"][0].get("key").is_none(),
        "never shown again: {listed}"
    );

    // The agent reads orders; settings, keys and the log are refused (403)
    // by the API itself, and nothing changes.
    let as_agent = |method: Method, rest: &str| {
        http.request(method, admin.url(rest))
            .bearer_auth(&agent_key)
    };
    let (status, _) = send(as_agent(Method::GET, "/orders")).await;
    assert_eq!(status, StatusCode::OK);
    for (method, rest) in [
        (Method::GET, "/policy"),
        (Method::GET, "/mail"),
        (Method::GET, "/agents"),
        (Method::GET, "/audit"),
        (Method::GET, ""),
        (Method::POST, "/api-key"),
        (Method::POST, "/agents"),
    ] {
        let (status, body) = send(as_agent(method.clone(), rest)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {rest}: {body}");
        assert_eq!(body["error"]["code"], "forbidden", "{body}");
    }
    let (status, _) =
        send(as_agent(Method::PUT, "/policy").json(&json!({"offer_lifetime_days": 3}))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(admin.get("/policy").await["offer_lifetime_days"], 9);

    // The agent's own session says who they are, and ends when the owner
    // revokes them, as does their key.
    let (agent_session, who) = sign_in(&http, &admin, &agent_key).await;
    assert_eq!(
        (who["role"].as_str(), who["name"].as_str()),
        (Some("agent"), Some("Maria")),
        "{who}"
    );
    let (status, _) = send(with_session(
        &http,
        &admin,
        Method::GET,
        "/orders",
        &agent_session,
        None,
    ))
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = send(
        http.delete(admin.url(&format!("/agents/{agent_id}")))
            .bearer_auth(admin.api_key()),
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(as_agent(Method::GET, "/orders")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = send(with_session(
        &http,
        &admin,
        Method::GET,
        "/orders",
        &agent_session,
        None,
    ))
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Signing out ends the session here, not only in the browser.
    let (status, _) = send(with_session(
        &http,
        &admin,
        Method::DELETE,
        "/sessions/current",
        &owner,
        Some(&own),
    ))
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = send(with_session(
        &http,
        &admin,
        Method::GET,
        "/policy",
        &owner,
        None,
    ))
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Rotating the shop's key ends every session.
    let (again, _) = sign_in(&http, &admin, admin.api_key()).await;
    let (status, rotated) = admin.post("/api-key", &json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let (status, _) = send(with_session(
        &http,
        &admin,
        Method::GET,
        "/policy",
        &again,
        None,
    ))
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    admin.use_key(rotated["api_key"].as_str().expect("a new key"));

    // The audit log: who changed what, and what an agent was refused.
    let audit = admin.get("/audit").await;
    let lines: Vec<String> = audit["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{} | {} | {}",
                e["who"].as_str().unwrap_or_default(),
                e["what"].as_str().unwrap_or_default(),
                e["status"]
            )
        })
        .collect();
    for expected in [
        "owner | PUT /policy | 200".to_owned(),
        "owner | POST /agents | 201".to_owned(),
        format!("agent {agent_id} (Maria) | PUT /policy | 403"),
        format!("owner | DELETE /agents/{agent_id} | 204"),
        "owner | POST /api-key | 200".to_owned(),
    ] {
        assert!(lines.contains(&expected), "{expected} not in {lines:#?}");
    }
    assert_eq!(
        lines
            .iter()
            .filter(|line| line.contains("PUT /policy | 200"))
            .count(),
        1,
        "refused changes are not logged as made: {lines:#?}"
    );
}

/// An order placed for `email`, in the Standard Webhooks form the import takes.
fn order(id: &str, email: &str) -> Value {
    json!({"id": id, "currency": "EUR", "total": "199.00",
           "lines": [{"sku": TENT, "quantity": 1, "unit_price": "199.00"}],
           "customer": {"id": format!("c-{id}"), "email": email, "name": "Ada Rossi"}})
}

#[tokio::test(flavor = "multi_thread")]
async fn support_finds_an_order_by_email_and_sees_what_its_customer_sees() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let http = e2e::http();
    let window = e2e::today().add_days(20).expect("a date");
    let latest = e2e::today().add_days(34).expect("a date");
    admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder", "window": {"earliest": window.to_string(), "latest": latest.to_string()}}),
        )
        .await;
    let orders: Vec<Value> = (1..=5)
        .map(|n| {
            order(
                &format!("D-{n}"),
                if n % 2 == 0 {
                    "ada@example.com"
                } else {
                    "bo@example.com"
                },
            )
        })
        .collect();
    let (status, body) = admin.post("/orders", &json!({"orders": orders})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, agent) = admin.post("/agents", &json!({"name": "Luca"})).await;
    let agent_key = agent["key"].as_str().expect("a key").to_owned();
    let as_agent = |method: Method, rest: &str| {
        http.request(method, admin.url(rest))
            .bearer_auth(&agent_key)
    };

    // Search by exact address, in any case; a near miss finds nothing.
    let ids = |list: &Value| -> Vec<String> {
        list["orders"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|o| o["order"].as_str().map(str::to_owned))
            .collect()
    };
    let (status, found) = send(as_agent(Method::GET, "/orders?q=ADA@example.com")).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    let mut found_ids = ids(&found);
    found_ids.sort();
    assert_eq!(found_ids, ["D-2", "D-4"], "{found}");
    assert_eq!(found["total"], 2);
    let (_, none) = send(as_agent(Method::GET, "/orders?q=ada@example.co")).await;
    assert_eq!(ids(&none), Vec::<String>::new(), "{none}");
    let (_, one) = send(as_agent(Method::GET, "/orders?q=D-3")).await;
    assert_eq!(ids(&one), ["D-3"], "{one}");

    // Pages: two at a time, oldest first, nothing skipped or repeated.
    let mut seen = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let rest = match &next {
            Some(after) => format!("/orders?limit=2&after={after}"),
            None => "/orders?limit=2".to_owned(),
        };
        let page = admin.get(&rest).await;
        assert_eq!(page["total"], 5, "{page}");
        seen.extend(ids(&page));
        match page["next"].as_str() {
            Some(after) => next = Some(after.to_owned()),
            None => break,
        }
    }
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 5, "{seen:?}");
    for bad in [
        "/orders?limit=0",
        "/orders?limit=1001",
        "/orders?after=x",
        "/orders?needs_decision=maybe",
    ] {
        let (status, body) = send(as_agent(Method::GET, bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }

    // One order as support sees it: the customer's own view, the contact,
    // the emails; the look at the contact is in the audit log.
    let support = loop {
        let (status, support) = send(as_agent(Method::GET, "/orders/D-2/support")).await;
        assert_eq!(status, StatusCode::OK, "{support}");
        if support["emails"].as_array().is_some_and(|e| !e.is_empty()) {
            break support;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(support["contact"]["email"], "ada@example.com", "{support}");
    assert_eq!(support["stage"], "waiting");
    let customer_view: Value = e2e::http()
        .get(admin.customer_link("D-2").await)
        .send()
        .await
        .expect("answers")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        support["view"], customer_view,
        "support sees the customer's own view"
    );
    assert_eq!(support["emails"][0]["kind"], "receipt", "{support}");
    let (status, body) = send(as_agent(Method::GET, "/orders/NOPE/support")).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");

    // A note, signed with who wrote it; a blank one is refused.
    let (status, body) =
        send(as_agent(Method::POST, "/orders/D-2/notes").json(&json!({"text": "  "}))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, note) = send(
        as_agent(Method::POST, "/orders/D-2/notes")
            .json(&json!({"text": "Called: happy to wait.\nWill call again on the 20th."})),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{note}");
    let (_, support) = send(as_agent(Method::GET, "/orders/D-2/support")).await;
    assert_eq!(
        support["notes"][0]["text"],
        "Called: happy to wait.\nWill call again on the 20th."
    );
    assert!(
        support["notes"][0]["who"]
            .as_str()
            .unwrap_or_default()
            .ends_with("(Luca)"),
        "{support}"
    );
    // Any channel asks by email: each order's status in one sentence, in
    // the customer's language or the one asked for.
    let (status, found) = send(as_agent(
        Method::GET,
        "/support/lookup?email=Ada@Example.com",
    ))
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(found["orders"].as_array().map(Vec::len), Some(2), "{found}");
    let sentence = found["orders"][0]["status"].as_str().unwrap_or_default();
    assert!(
        sentence.starts_with("Order ") && sentence.contains("Waiting for stock. Ships "),
        "{sentence}"
    );
    let (_, arabic) = send(as_agent(Method::GET, "/support/lookup?order=D-4&lang=ar")).await;
    assert_eq!(arabic["orders"][0]["dir"], "rtl", "{arabic}");
    assert!(
        arabic["orders"][0]["status"]
            .as_str()
            .unwrap_or_default()
            .contains("بانتظار البضاعة"),
        "{arabic}"
    );
    let (_, nobody) = send(as_agent(
        Method::GET,
        "/support/lookup?email=nobody@example.com",
    ))
    .await;
    assert_eq!(nobody["orders"], json!([]), "{nobody}");
    for bad in [
        "/support/lookup",
        "/support/lookup?email=x&order=D-1",
        "/support/lookup?order=D-1&lang=fr",
    ] {
        let (status, body) = send(as_agent(Method::GET, bad)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }

    let audit = admin.get("/audit").await;
    assert!(
        audit["entries"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| e["what"] == "looked up orders by email"
                && e["who"].as_str().unwrap_or_default().ends_with("(Luca)")),
        "{audit}"
    );
    assert!(
        !audit.to_string().contains("ada@example.com"),
        "no address in the log: {audit}"
    );
    let looks = audit["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["what"] == "read the contact of order D-2")
        .count();
    assert_eq!(looks, 2, "{audit}");
}
