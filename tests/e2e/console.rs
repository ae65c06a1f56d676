//! The console in Chromium, served by the worker at `/console/`: the owner
//! signs in with the shop's key, finds an order by its customer's email,
//! sees the customer's own page beside the contact, leaves a note and signs
//! out, in English and Arabic with axe finding nothing; an agent signs in
//! with one click, reaches no setting, and a page of another origin cannot
//! write with the owner's session.

use e2e::admin::AdminApi;
use e2e::browser::Browser;
use e2e::shop::ShopServer;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::World;
use crate::accessibility::violations;

pub(crate) const SHOP: &str = "console-shop";
pub(crate) const TENT: &str = "TENT-2P";

/// Runs `script` (its value returned) until it gives something other than
/// `null` or `false`.
pub(crate) async fn wait_js(client: &Client, what: &str, script: &str) -> Value {
    crate::eventually(what, || async {
        match client.execute(script, vec![]).await {
            Ok(Value::Null | Value::Bool(false)) | Err(_) => None,
            Ok(value) => Some(value),
        }
    })
    .await
}

/// The ids of the orders the list shows.
pub(crate) const SHOWN: &str = "const rows = document.querySelectorAll('table.orders tr[data-order]');\
     return rows.length ? Array.from(rows, r => r.dataset.order) : null;";

/// A `fetch` from the page; its status.
pub(crate) async fn fetch_status(client: &Client, url: &str, init: Value) -> Value {
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             fetch(arguments[0], arguments[1]).then(r => done(r.status)).catch(e => done(String(e)));",
            vec![json!(url), init],
        )
        .await
        .expect("the fetch runs")
}

pub(crate) async fn click(client: &Client, selector: &str) {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|err| panic!("{selector} is on the page: {err}"))
        .click()
        .await
        .unwrap_or_else(|err| panic!("{selector} takes a click: {err}"));
}

pub(crate) async fn type_into(client: &Client, selector: &str, text: &str) {
    client
        .find(Locator::Css(selector))
        .await
        .unwrap_or_else(|err| panic!("{selector} is on the page: {err}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|err| panic!("{selector} takes keys: {err}"));
}

pub(crate) async fn no_violations(client: &Client, page: &str) {
    let found = violations(client).await;
    assert!(found.is_empty(), "axe on {page}: {found:#?}");
}

pub(crate) async fn shop_with_orders(world: &World) -> AdminApi {
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let earliest = e2e::today().add_days(20).expect("a date");
    let latest = e2e::today().add_days(34).expect("a date");
    admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder",
                    "window": {"earliest": earliest.to_string(), "latest": latest.to_string()}}),
        )
        .await;
    let orders: Vec<Value> = (1..=3)
        .map(|n| {
            let email = if n == 2 {
                "ada@example.com"
            } else {
                "bo@example.com"
            };
            json!({"id": format!("C-{n}"), "currency": "EUR", "total": "199.00",
                   "lines": [{"sku": TENT, "quantity": 1, "unit_price": "199.00"}],
                   "customer": {"id": format!("c-{n}"), "email": email, "name": "Ada Rossi"}})
        })
        .collect();
    let (status, body) = admin.post("/orders", &json!({"orders": orders})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    admin
}

#[tokio::test(flavor = "multi_thread")]
async fn the_owner_signs_in_finds_an_order_sees_its_page_notes_it_and_signs_out() {
    let world = World::start().await;
    let admin = shop_with_orders(&world).await;
    let browser = Browser::start().await;
    let client = &browser.client;
    let console = format!("{}/console/?shop={SHOP}&lang=en", world.worker.base_url());

    // The sign-in form, the shop already filled in from the address.
    client.goto(&console).await.expect("loads");
    wait_js(
        client,
        "the sign-in form",
        "return document.querySelector('#key');",
    )
    .await;
    no_violations(client, "the sign-in form").await;
    let key = client
        .find(Locator::Css("#key"))
        .await
        .expect("a key field");
    key.send_keys("bk_not_the_key").await.expect("types");
    click(client, ".sign-in button[type=submit]").await;
    let refused = wait_js(
        client,
        "a refusal",
        "const e = document.querySelector('.sign-in .error'); return e && e.innerText;",
    )
    .await;
    assert!(
        refused.as_str().is_some_and(|text| !text.is_empty()),
        "{refused}"
    );
    key.clear().await.expect("clears");
    key.send_keys(admin.api_key()).await.expect("types");
    click(client, ".sign-in button[type=submit]").await;

    // Every order, who has waited longest first; the owner named; the key
    // is not in the page.
    let mut shown = wait_js(client, "the order list", SHOWN).await;
    assert_eq!(shown, json!(["C-1", "C-2", "C-3"]));
    let role = wait_js(
        client,
        "who",
        "const w = document.querySelector('.who'); return w && w.dataset.role;",
    )
    .await;
    assert_eq!(role, "owner");
    let html = client.source().await.expect("a page");
    assert!(
        !html.contains(admin.api_key()),
        "the key stays out of the page"
    );
    no_violations(client, "the order list (en)").await;

    // Search by the customer's email, in any case.
    let q = client.find(Locator::Css("#q")).await.expect("a search box");
    q.send_keys("ADA@example.com").await.expect("types");
    click(client, ".filters button[type=submit]").await;
    shown = wait_js(
        client,
        "the search's result",
        "const r = Array.from(document.querySelectorAll('table.orders tr[data-order]'), r => r.dataset.order);\
         return r.length === 1 ? r : null;",
    )
    .await;
    assert_eq!(shown, json!(["C-2"]));

    // The order: its contact, and its customer's own page in the frame.
    click(client, "tr[data-order='C-2'] a").await;
    let email = wait_js(
        client,
        "the contact",
        "const e = document.querySelector('.contact-email'); return e && e.innerText;",
    )
    .await;
    assert_eq!(email, "ada@example.com");
    let stage = wait_js(
        client,
        "the customer's page in its frame",
        "const f = document.querySelector('iframe.customer');\
         const host = f && f.contentDocument && f.contentDocument.querySelector('[data-backorder-order]');\
         const box = host && host.shadowRoot && host.shadowRoot.querySelector('.order');\
         return box && box.dataset.stage;",
    )
    .await;
    assert_eq!(stage, "waiting");

    // A note, kept on the order with who wrote it.
    type_into(client, "#note", "Called her: she keeps waiting.").await;
    click(client, ".notes + form button[type=submit]").await;
    wait_js(
        client,
        "the note shown",
        "return Array.from(document.querySelectorAll('.note-text')).some(n => n.innerText.includes('keeps waiting'));",
    )
    .await;
    let support = admin.get("/orders/C-2/support").await;
    assert_eq!(
        support["notes"][0]["text"], "Called her: she keeps waiting.",
        "{support}"
    );
    assert_eq!(support["notes"][0]["who"], "owner", "{support}");
    no_violations(client, "an order (en)").await;

    // Arabic: the whole console turns right to left, and stays accessible.
    client
        .execute(
            "const s = document.querySelector('.lang select'); s.value = 'ar';\
             s.dispatchEvent(new Event('change'));",
            vec![],
        )
        .await
        .expect("runs");
    let dir = wait_js(
        client,
        "right to left",
        "return document.documentElement.dir === 'rtl' && document.documentElement.lang === 'ar' \
         && document.title;",
    )
    .await;
    assert_ne!(dir, "Backorder console", "the title is in Arabic too");
    // The order's own part is drawn again in Arabic, its contact still there.
    let heading = wait_js(
        client,
        "the order's contact in Arabic",
        "const h = document.querySelector('h3#contact');\
         const e = document.querySelector('.contact-email');\
         return h && e && e.innerText === 'ada@example.com' && h.innerText;",
    )
    .await;
    assert_eq!(heading, "التواصل");
    wait_js(
        client,
        "the customer's page in Arabic",
        "const f = document.querySelector('iframe.customer');\
         const host = f && f.contentDocument && f.contentDocument.querySelector('[data-backorder-order]');\
         const box = host && host.shadowRoot && host.shadowRoot.querySelector('.order');\
         return box && box.lang === 'ar';",
    )
    .await;
    no_violations(client, "an order (ar)").await;
    client
        .execute("location.hash = '#/orders';", vec![])
        .await
        .expect("runs");
    wait_js(client, "the list again", SHOWN).await;
    no_violations(client, "the order list (ar)").await;

    // Signing out ends the session on the edge, not only in the page.
    click(client, ".sign-out").await;
    wait_js(
        client,
        "the sign-in form again",
        "return document.querySelector('#key');",
    )
    .await;
    let status = fetch_status(
        client,
        &format!("/v1/shops/{SHOP}/sessions/current"),
        json!({"credentials": "same-origin"}),
    )
    .await;
    assert_eq!(status, 401);
    client.goto(&console).await.expect("reloads");
    wait_js(
        client,
        "still signed out after a reload",
        "return document.querySelector('#key');",
    )
    .await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_agent_reaches_no_setting_and_another_origin_cannot_write_with_a_session() {
    let world = World::start().await;
    let admin = shop_with_orders(&world).await;
    let (status, agent) = admin.post("/agents", &json!({"name": "Luca"})).await;
    assert_eq!(status, StatusCode::CREATED, "{agent}");
    let agent_key = agent["key"].as_str().expect("a key").to_owned();
    let base = world.worker.base_url().to_owned();

    // The page is never cached nor framed; its assets, named by content,
    // are cached for a year.
    let http = e2e::http();
    let page = http
        .get(format!("{base}/console/"))
        .send()
        .await
        .expect("the page");
    let header = |response: &reqwest::Response, name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header(&page, "cache-control"), "no-cache");
    assert!(header(&page, "content-security-policy").contains("frame-ancestors 'none'"));
    let html = page.text().await.expect("HTML");
    let script = html
        .split("src=\"assets/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the page names its script");
    let asset = http
        .get(format!("{base}/console/assets/{script}"))
        .send()
        .await
        .expect("the script");
    assert_eq!(asset.status(), StatusCode::OK);
    assert_eq!(
        header(&asset, "cache-control"),
        "public, max-age=31536000, immutable"
    );

    let browser = Browser::start().await;
    let client = &browser.client;

    // One click (the demo's link): the key in the fragment signs in, and
    // leaves the address at once.
    client
        .goto(&format!("{base}/console/?shop={SHOP}#signin={agent_key}"))
        .await
        .expect("loads");
    wait_js(client, "the order list", SHOWN).await;
    let who = wait_js(
        client,
        "the agent named",
        "const w = document.querySelector('.who'); return w && w.dataset.role === 'agent' && w.innerText;",
    )
    .await;
    assert!(
        who.as_str().is_some_and(|text| text.contains("Luca")),
        "{who}"
    );
    let address = client.current_url().await.expect("a URL");
    assert!(!address.as_str().contains(&agent_key), "{address}");

    // The agent's session reads orders, and no setting, key or agent.
    for (path, expected) in [
        ("/orders", 200),
        ("/policy", 403),
        ("/agents", 403),
        ("/mail", 403),
    ] {
        let status = fetch_status(
            client,
            &format!("/v1/shops/{SHOP}{path}"),
            json!({"credentials": "same-origin"}),
        )
        .await;
        assert_eq!(status, expected, "an agent's GET {path}");
    }
    let made = fetch_status(
        client,
        &format!("/v1/shops/{SHOP}/agents"),
        json!({"method": "POST", "credentials": "same-origin",
               "headers": {"Content-Type": "application/json"}, "body": "{\"name\":\"Eve\"}"}),
    )
    .await;
    assert_eq!(made, 403);

    // The owner's session, then a page of another origin (the shop's, on
    // the same host: the cookie is sent) writes with it: refused.
    client
        .execute("document.querySelector('.sign-out').click();", vec![])
        .await
        .expect("runs");
    wait_js(
        client,
        "signed out",
        "return document.querySelector('#key');",
    )
    .await;
    client
        .goto(&format!(
            "{base}/console/?shop={SHOP}#signin={}",
            admin.api_key()
        ))
        .await
        .expect("loads");
    wait_js(client, "the owner's list", SHOWN).await;
    let shop = ShopServer::serve(e2e::free_port(), &base);
    client
        .goto(shop.url())
        .await
        .expect("the shop's page loads");
    let forged = fetch_status(
        client,
        &format!("{base}/v1/shops/{SHOP}/agents"),
        json!({"method": "POST", "mode": "no-cors", "credentials": "include",
               "headers": {"Content-Type": "text/plain"}, "body": "{\"name\":\"Mallory\"}"}),
    )
    .await;
    // An opaque answer: the page cannot even read what the edge said.
    assert_eq!(forged, 0, "no-cors gives an opaque response");
    let agents = admin.get("/agents").await;
    let names: Vec<&str> = agents["agents"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(names, ["Luca"], "{agents}");

    // The same write from the console's own page is the owner's to make.
    client
        .goto(&format!("{base}/console/?shop={SHOP}"))
        .await
        .expect("loads");
    wait_js(client, "the owner's list", SHOWN).await;
    let made = fetch_status(
        client,
        &format!("/v1/shops/{SHOP}/agents"),
        json!({"method": "POST", "credentials": "same-origin",
               "headers": {"Content-Type": "application/json"}, "body": "{\"name\":\"Marta\"}"}),
    )
    .await;
    assert_eq!(made, 201);
    let agents = admin.get("/agents").await;
    assert_eq!(
        agents["agents"].as_array().map(Vec::len),
        Some(2),
        "{agents}"
    );
    browser.close().await;
}
