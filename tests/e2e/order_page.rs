//! The customer's order page in headless Chromium: the widget follows the
//! order live over a WebSocket from the order's Durable Object while signed
//! webhooks drive it, pops up what changed, and records one choice from the
//! chooser, by mouse or keyboard alone.

use std::time::{Duration, Instant};

use e2e::admin::AdminApi;
use e2e::browser::Browser;
use e2e::cdp;
use e2e::payloads;
use e2e::shop::ShopServer;
use e2e::store::Store;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use reqwest::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{World, eventually, get_json};

const SHOP: &str = "demo-shop";
const TENT: &str = "TENT-2P";
const LAMP: &str = "LANTERN-01";
/// What the store calls them: the page and the emails say these.
const TENT_NAME: &str = "Trail tent, 2 person";
const LAMP_NAME: &str = "Storm lantern";
const REASON: &str = "The container was held at the port for inspection.";
const FIX: &str = "We booked it onto the first truck out.";

/// What the order page shows, read from the widget's shadow root.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shown {
    pub stage: Option<String>,
    pub live: Option<String>,
    pub lang: Option<String>,
    pub dir: Option<String>,
    pub current: Option<String>,
    pub status: Option<String>,
    pub steps: Option<String>,
    pub lines: Option<String>,
    pub bill: Option<String>,
    pub relink: Option<String>,
    pub consent: Option<String>,
    pub expires: Option<String>,
    pub delay: Option<String>,
    pub popup: Option<String>,
    /// The open offer's options.
    pub options: Vec<String>,
    /// The standing offer to cancel what has not shipped, when shown.
    pub cancel_rest: Option<String>,
    pub answer: Option<String>,
    pub chosen: Option<String>,
    /// The store credit an answer brought.
    pub credit: Option<String>,
    pub confirm: Option<String>,
    pub focus: Option<String>,
    pub track: Option<String>,
    pub merchant: Option<String>,
    pub loaded_at: Option<f64>,
}

const READ_ORDER: &str = r#"
const host = document.querySelector("[data-backorder-order]");
const root = host && host.shadowRoot;
const box = root && root.querySelector(".order");
const text = (selector) => {
  const element = root && root.querySelector(selector);
  return element ? element.innerText.replace(/\s+/g, " ").trim() : null;
};
const link = root && root.querySelector(".shipment a");
return {
  stage: box ? box.dataset.stage : null,
  live: box ? box.dataset.live : null,
  lang: box ? box.lang : null,
  dir: box ? box.dir : null,
  current: text(".steps li.current .step"),
  status: text(".status"),
  steps: text(".steps"),
  lines: text(".lines"),
  bill: text(".bill"),
  relink: text(".relink"),
  consent: text(".consent"),
  expires: text(".expires"),
  delay: text(".delay"),
  popup: text(".popup p"),
  options: root ? Array.from(root.querySelectorAll(".offer button.option")).map(b => b.innerText.trim()) : [],
  cancelRest: text(".cancel-rest button.option"),
  answer: text(".answer"),
  chosen: text(".chosen"),
  credit: text(".credit"),
  confirm: text(".confirm p"),
  focus: root && root.activeElement ? root.activeElement.getAttribute("data-key") : null,
  track: link ? link.href : null,
  merchant: !root || root.querySelector("slot") ? host.textContent.trim() : null,
  loadedAt: window.pageLoadedAt,
};
"#;

async fn read(client: &Client) -> Shown {
    let value = client
        .execute(READ_ORDER, vec![])
        .await
        .expect("the page runs scripts");
    serde_json::from_value(value).expect("the page's state")
}

/// Waits until the page shows what `until` looks for; returns it and how
/// long it took.
async fn until(client: &Client, what: &str, until: impl Fn(&Shown) -> bool) -> (Shown, Duration) {
    let start = Instant::now();
    let deadline = start + Duration::from_secs(30);
    loop {
        let shown = read(client).await;
        if until(&shown) {
            return (shown, start.elapsed());
        }
        assert!(
            Instant::now() < deadline,
            "the order page never showed {what}: {shown:#?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn has(text: &Option<String>, part: &str) -> bool {
    text.as_deref().is_some_and(|text| text.contains(part))
}

/// A shop with the tent on backorder and the lantern in stock, and order
/// `id` placed by a signed Standard Webhook; returns the customer's token.
async fn placed(admin: &AdminApi, store: &Store, id: &str) -> String {
    admin
        .put_product_json(
            TENT,
            &json!({"status": "backorder", "window": {"earliest": "2030-02-01", "latest": "2030-02-14"}}),
        )
        .await;
    admin
        .put_product_json(LAMP, &json!({"status": "in_stock"}))
        .await;
    let order = payloads::standard(
        "order.placed",
        json!({"id": id, "currency": "EUR", "total": "224.00",
               "lines": [{"sku": TENT, "quantity": 1, "unit_price": "189.00", "name": TENT_NAME},
                         {"sku": LAMP, "quantity": 1, "unit_price": "25.00", "name": LAMP_NAME}],
               "customer": {"id": format!("c-{id}"), "email": "dee@example.com"}}),
    );
    let response = store.standard(&format!("msg_place_{id}"), &order).await;
    assert_eq!(response.status(), StatusCode::OK);
    admin.customer_token(id).await
}

/// The supplier's news that the tent is late, for every order waiting.
async fn slip(store: &Store, id: &str) {
    let news = payloads::standard(
        "window.changed",
        json!({"sku": TENT, "window": {"earliest": "2030-03-01", "latest": "2030-03-20"},
               "reason": REASON, "fix": FIX}),
    );
    let response = store.standard(&format!("msg_slip_{id}"), &news).await;
    assert_eq!(response.status(), StatusCode::OK);
}

fn page_url(shop: &ShopServer, id: &str, token: &str, lang: &str) -> String {
    format!("{}orders/{id}?t={token}&lang={lang}", shop.url())
}

/// The order's view as the edge has it, through the customer's link.
async fn edge_view(admin: &AdminApi, id: &str) -> Value {
    get_json(&admin.customer_link(id).await).await.1
}

/// Clicks the chooser's button named `title`, as a mouse does.
async fn click_option(client: &Client, title: &str) {
    let host = client
        .find(Locator::Css("[data-backorder-order]"))
        .await
        .expect("the order's div");
    let root = host.shadow_root().await.expect("the widget's shadow root");
    for button in root
        .find_all(Locator::Css("button.option"))
        .await
        .expect("buttons")
    {
        if button.text().await.expect("a label").trim() == title {
            button.click().await.expect("a click");
            return;
        }
    }
    panic!("no option {title}: {:?}", read(client).await);
}

async fn press(client: &Client, key: Key) {
    let actions = KeyActions::new("keyboard".to_owned())
        .then(KeyAction::Down { value: key.into() })
        .then(KeyAction::Up { value: key.into() });
    client.perform_actions(actions).await.expect("a key press");
}

/// Keeps the pages this tab loads from opening a socket: they poll.
async fn no_socket(client: &Client) {
    cdp::without_websockets(client).await;
}

/// Cuts the tab off from the order's news (socket and polling), leaving
/// the choices API reachable: a tab that has not heard yet.
async fn stop_hearing(client: &Client, id: &str) {
    cdp::block_urls(
        client,
        &[
            &format!("*/orders/{id}/live*"),
            &format!("*/orders/{id}?t=*"),
        ],
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_order_page_follows_a_journey_live_with_a_popup_at_each_step() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let token = placed(&admin, &store, "J-1").await;
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let client = &browser.client;
    // The customer is in New York: deadlines are said in their time.
    cdp::run(
        client,
        "Emulation.setTimezoneOverride",
        json!({"timezoneId": "America/New_York"}),
    )
    .await;
    client
        .goto(&page_url(&shop, "J-1", &token, "en-GB"))
        .await
        .expect("the order page loads");

    let (first, _) = until(client, "the order waiting", |s| {
        s.stage.as_deref() == Some("waiting")
    })
    .await;
    assert_eq!(first.current.as_deref(), Some("Waiting for stock"));
    assert!(has(&first.status, "Ships"), "{first:?}");
    assert!(has(&first.status, "2030"), "{first:?}");
    assert_eq!(first.popup, None, "the first view shows quietly");
    assert_eq!(first.merchant, None, "the widget replaced the theme's line");
    // Issue 19 #5 and #6: each line by its name with what it cost, then the
    // shipping and the total paid, in the order's currency.
    assert!(
        has(&first.lines, &format!("{TENT_NAME} × 1: ships"))
            && has(&first.lines, "€189.00")
            && has(&first.lines, &format!("{LAMP_NAME} × 1: in stock"))
            && has(&first.lines, "€25.00")
            && !has(&first.lines, TENT),
        "{first:?}"
    );
    assert!(
        has(&first.bill, "Shipping: €10.00") && has(&first.bill, "Total paid: €224.00"),
        "{first:?}"
    );
    let loaded_at = first.loaded_at;

    let mut latencies = Vec::new();
    // The supplier is late: the page says so, why, and what is being done.
    slip(&store, "J-1").await;
    let (late, took) = until(client, "the delay", |s| has(&s.popup, "late")).await;
    latencies.push(took);
    assert!(has(&late.popup, REASON), "{late:?}");
    assert!(
        has(&late.delay, REASON) && has(&late.delay, FIX),
        "{late:?}"
    );
    assert!(has(&late.status, "20 March 2030"), "{late:?}");
    // Issue 19 #4: both deadlines. A slip past 30 days of the first date
    // needs the customer's consent under the US rule, by the start of 17
    // March 2030 UTC: 20:00 on the 16th in New York, named, 24-hour.
    assert!(
        has(
            &late.consent,
            "please tell us by 16 March 2030 at 20:00 GMT-4"
        ),
        "{late:?}"
    );
    assert!(
        late.expires
            .as_deref()
            .is_some_and(|e| e.contains(" at ") && e.contains("GMT-5") && !e.contains("AM")),
        "the offer's own end, in the customer's zone: {late:?}"
    );
    assert!(
        late.options.iter().any(|o| o == "Keep waiting")
            && late.options.iter().any(|o| o == "Cancel and get a refund"),
        "{late:?}"
    );

    // The customer keeps waiting; the page says what that means.
    click_option(client, "Keep waiting").await;
    let (kept, _) = until(client, "the answer", |s| s.chosen.is_some()).await;
    assert!(kept.options.is_empty(), "{kept:?}");
    // Issue 19 #10: what waiting brought (the shop's free expedited
    // shipping) is confirmed on the page, as in the email.
    assert!(
        has(&kept.chosen, "expedited shipping, free of charge"),
        "{kept:?}"
    );

    // The stock arrives: the order moves on and the offer goes.
    let arrived = payloads::standard("stock.arrived", json!({"sku": TENT}));
    assert!(
        store
            .standard("msg_stock_j1", &arrived)
            .await
            .status()
            .is_success()
    );
    let (stocked, took) = until(client, "the restock", |s| {
        s.stage.as_deref() == Some("processing")
    })
    .await;
    latencies.push(took);
    assert!(
        has(
            &stocked.popup,
            &format!("Good news: {TENT_NAME} has arrived")
        ),
        "{stocked:?}"
    );
    assert!(stocked.options.is_empty(), "{stocked:?}");
    assert!(
        stocked.cancel_rest.is_some(),
        "cancellable until it ships: {stocked:?}"
    );
    // Issue 19 #2: one story. Being prepared, not waiting for stock; the
    // delay stays on the timeline; the lines are in stock.
    assert!(
        has(&stocked.status, "getting it ready to ship"),
        "{stocked:?}"
    );
    assert_eq!(stocked.chosen, None, "waiting is over: {stocked:?}");
    assert!(has(&stocked.steps, "Delayed"), "{stocked:?}");
    assert!(
        has(&stocked.lines, "in stock") && !has(&stocked.lines, "ships"),
        "{stocked:?}"
    );
    assert_eq!(stocked.delay, None);

    // The store ships it with UPS: carrier, number and a tracking link.
    let shipped = payloads::standard(
        "order.shipped",
        json!({"order": "J-1", "carrier": "UPS", "tracking": "1Z999AA10123456784"}),
    );
    assert!(
        store
            .standard("msg_ship_j1", &shipped)
            .await
            .status()
            .is_success()
    );
    let (out, took) = until(client, "the shipment", |s| {
        s.stage.as_deref() == Some("shipped")
    })
    .await;
    latencies.push(took);
    assert!(has(&out.popup, "shipped with UPS"), "{out:?}");
    assert_eq!(out.cancel_rest, None, "nothing left to cancel: {out:?}");
    assert!(has(&out.status, "1Z999AA10123456784"), "{out:?}");
    assert_eq!(
        out.track.as_deref(),
        Some("https://www.ups.com/track?tracknum=1Z999AA10123456784")
    );

    let delivered = payloads::standard("order.delivered", json!({"order": "J-1"}));
    assert!(
        store
            .standard("msg_deliver_j1", &delivered)
            .await
            .status()
            .is_success()
    );
    let (done, took) = until(client, "the delivery", |s| {
        s.stage.as_deref() == Some("delivered")
    })
    .await;
    latencies.push(took);
    assert!(has(&done.popup, "delivered"), "{done:?}");
    assert_eq!(done.current.as_deref(), Some("Delivered"));
    assert!(has(&done.status, "Delivered on"), "{done:?}");
    assert!(!has(&done.status, "On its way"), "{done:?}");
    assert!(
        has(&done.lines, "delivered") && !has(&done.lines, "shipped"),
        "{done:?}"
    );
    assert_eq!(done.loaded_at, loaded_at, "the page was never reloaded");
    assert_eq!(done.live.as_deref(), Some("online"));

    // The pop-up is a polite live region, and its button dismisses it
    // without the focus having moved to it.
    assert_ne!(done.focus.as_deref(), Some("dismiss"));
    let region: Value = client
        .execute(
            "const r = document.querySelector('[data-backorder-order]').shadowRoot.querySelector('.popup-region');\
             return [r.getAttribute('role'), r.getAttribute('aria-live')];",
            vec![],
        )
        .await
        .expect("runs");
    assert_eq!(region, json!(["status", "polite"]));
    let host = client
        .find(Locator::Css("[data-backorder-order]"))
        .await
        .expect("host");
    let root = host.shadow_root().await.expect("shadow root");
    root.find(Locator::Css("button.dismiss"))
        .await
        .expect("a dismiss button")
        .click()
        .await
        .expect("a click");
    until(client, "the pop-up gone", |s| s.popup.is_none()).await;

    let millis: Vec<u128> = latencies.iter().map(Duration::as_millis).collect();
    eprintln!("order page: webhook answered → page updated, ms: {millis:?}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_keyboard_alone_cancels_and_a_stale_tab_is_told_it_was_answered() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let token = placed(&admin, &store, "K-1").await;
    slip(&store, "K-1").await;
    eventually("the offer", || async {
        (!edge_view(&admin, "K-1").await["offer"].is_null()).then_some(())
    })
    .await;
    let before = edge_view(&admin, "K-1").await;
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let client = &browser.client;
    let url = page_url(&shop, "K-1", &token, "en-GB");

    // A second tab, opened first, that will not hear of the answer.
    no_socket(client).await;
    client.goto(&url).await.expect("loads");
    let stale_tab = client.window().await.expect("a window");
    until(client, "the options", |s| s.options.len() >= 3).await;
    stop_hearing(client, "K-1").await;
    let fresh = client.new_window(true).await.expect("a new tab");
    client
        .switch_to_window(fresh.handle)
        .await
        .expect("switches");
    client.goto(&url).await.expect("loads");
    let (shown, _) = until(client, "the options", |s| s.options.len() >= 3).await;
    let count = shown.options.len();

    // Tab through the options to "Cancel", Enter asks once more, Tab to
    // "Yes", Enter records it; focus follows each step.
    let mut seen = Vec::new();
    for _ in 0..count + 2 {
        press(client, Key::Tab).await;
        let focus = read(client).await.focus;
        seen.push(focus.clone());
        if focus.as_deref() == Some("cancel") {
            break;
        }
    }
    assert_eq!(
        seen.last().cloned().flatten().as_deref(),
        Some("cancel"),
        "{seen:?}"
    );
    assert_eq!(seen[0].as_deref(), Some("option-0"), "{seen:?}");
    press(client, Key::Enter).await;
    let (asking, _) = until(client, "the confirmation", |s| s.confirm.is_some()).await;
    assert!(has(&asking.confirm, "€224.00"), "{asking:?}");
    until(client, "the focus on the question", |s| {
        s.focus.as_deref() == Some("confirm")
    })
    .await;
    press(client, Key::Tab).await;
    assert_eq!(read(client).await.focus.as_deref(), Some("yes"));
    press(client, Key::Enter).await;
    let (answered, _) = until(client, "the answer", |s| {
        has(&s.answer, "we have your choice") && s.stage.as_deref() == Some("cancelled")
    })
    .await;
    assert_eq!(answered.focus.as_deref(), Some("answer"), "{answered:?}");
    assert!(has(&answered.status, "€224.00"), "{answered:?}");
    assert!(answered.options.is_empty());

    let after = edge_view(&admin, "K-1").await;
    assert_eq!(after["chosen"]["option"], "cancel");
    let seq = after["seq"].as_u64();
    assert!(seq > before["seq"].as_u64(), "{after}");

    // The stale tab still shows the offer; its click is told the answer.
    client
        .switch_to_window(stale_tab)
        .await
        .expect("switches back");
    assert!(read(client).await.options.len() >= 3);
    click_option(client, "Keep waiting").await;
    let (told, _) = until(client, "the refusal", |s| {
        s.answer.is_some() && !has(&s.answer, "Recording")
    })
    .await;
    assert!(
        has(&told.answer, "already answered") && has(&told.answer, "You chose to cancel"),
        "{told:?}"
    );
    assert!(
        told.options.is_empty(),
        "the closed offer is no longer shown"
    );
    let last = edge_view(&admin, "K-1").await;
    assert_eq!(last["seq"].as_u64(), seq, "nothing changed");
    assert_eq!(last["chosen"]["option"], "cancel");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_double_click_records_one_choice_and_a_closed_offer_says_so() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let token = placed(&admin, &store, "D-1").await;
    let second = payloads::standard(
        "order.placed",
        json!({"id": "D-2", "currency": "EUR", "total": "189.00",
               "lines": [{"sku": TENT, "quantity": 1, "unit_price": "189.00"}],
               "customer": {"id": "c-d2", "email": "eve@example.com"}}),
    );
    assert!(
        store
            .standard("msg_place_d2", &second)
            .await
            .status()
            .is_success()
    );
    let closed_token = admin.customer_token("D-2").await;
    slip(&store, "D").await;
    for id in ["D-1", "D-2"] {
        eventually("the offers", || async {
            (!edge_view(&admin, id).await["offer"].is_null()).then_some(())
        })
        .await;
    }
    let before = edge_view(&admin, "D-1").await;
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let client = &browser.client;

    client
        .goto(&page_url(&shop, "D-1", &token, "en-GB"))
        .await
        .expect("loads");
    until(client, "the options", |s| !s.options.is_empty()).await;
    // Two clicks in a row, as an impatient mouse does.
    let script = "const b = Array.from(document.querySelector('[data-backorder-order]').shadowRoot\
        .querySelectorAll('button.option')).find(b => b.innerText.trim() === 'Keep waiting');\
        b.click(); b.click(); return true;";
    client.execute(script, vec![]).await.expect("clicks");
    let (answered, _) = until(client, "the answer", |s| {
        has(&s.answer, "we have your choice")
    })
    .await;
    assert!(has(&answered.chosen, "keep waiting"), "{answered:?}");
    let after = edge_view(&admin, "D-1").await;
    assert_eq!(after["chosen"]["option"], "keep_waiting");
    assert_eq!(
        after["seq"].as_u64(),
        before["seq"].as_u64().map(|seq| seq + 1),
        "one choice, one change: {after}"
    );

    // D-2's page has not heard that the stock came and withdrew the offer.
    no_socket(client).await;
    client
        .goto(&page_url(&shop, "D-2", &closed_token, "en"))
        .await
        .expect("loads");
    until(client, "the options", |s| !s.options.is_empty()).await;
    stop_hearing(client, "D-2").await;
    let arrived = payloads::standard("stock.arrived", json!({"sku": TENT}));
    assert!(
        store
            .standard("msg_stock_d", &arrived)
            .await
            .status()
            .is_success()
    );
    eventually("the offer withdrawn", || async {
        edge_view(&admin, "D-2").await["offer"]
            .is_null()
            .then_some(())
    })
    .await;
    let withdrawn = edge_view(&admin, "D-2").await;
    click_option(client, "Take store credit").await;
    let (told, _) = until(client, "the refusal", |s| has(&s.answer, "no longer open")).await;
    assert!(told.options.is_empty(), "{told:?}");
    let last = edge_view(&admin, "D-2").await;
    assert_eq!(last["seq"], withdrawn["seq"], "nothing changed");
    assert!(last["chosen"].is_null());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_page_speaks_italian_and_arabic_and_falls_back_to_the_shops_language() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    // The shop writes Italian; each page says which language it is in.
    // The merchant names the swap it offers for the tent (issue 19 #6).
    admin
        .set_policy(&json!({"locale": "it", "alternatives": [
            {"for_sku": TENT, "sku": "TENT-3P", "name": "Tenda da trekking, 3 posti"}]}))
        .await;
    admin
        .put_product_json("TENT-3P", &json!({"status": "in_stock"}))
        .await;
    let store = Store::connect(&admin).await;
    let token = placed(&admin, &store, "L-1").await;
    // Issue 19 #7: the merchant writes the delay in English and Italian;
    // this Italian shop's customer reads the Italian, on every page.
    let news = payloads::standard(
        "window.changed",
        json!({"sku": TENT, "window": {"earliest": "2030-03-01", "latest": "2030-03-20"},
               "reason": {"en": REASON, "it": "Il container è stato trattenuto in porto."},
               "fix": {"en": FIX, "it": "L'abbiamo caricato sul primo camion."}}),
    );
    let response = store.standard("msg_slip_L-1", &news).await;
    assert_eq!(response.status(), StatusCode::OK);
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let client = &browser.client;

    // A German page: the widget does not speak German, so the shop's Italian.
    // The order is late, and its current step says so.
    client
        .goto(&page_url(&shop, "L-1", &token, "de"))
        .await
        .expect("loads");
    let (italian, _) = until(client, "Italian", |s| !s.options.is_empty()).await;
    assert_eq!(italian.lang.as_deref(), Some("it"));
    assert_eq!(italian.dir.as_deref(), Some("ltr"));
    assert_eq!(italian.current.as_deref(), Some("In ritardo"));
    assert!(has(&italian.status, "marzo 2030"), "{italian:?}");
    assert!(
        italian
            .options
            .iter()
            .any(|o| o == "Annullo e chiedo il rimborso"),
        "{italian:?}"
    );
    // Issue 19 #13: every Italian option speaks as the customer does
    // ("Continuo…", "Passo a…", "Preferisco…"), and days are not padded.
    assert!(
        italian.options.iter().any(|o| o == "Continuo ad aspettare")
            && italian.options.iter().any(|o| o.starts_with("Passo a ")),
        "{italian:?}"
    );
    assert!(has(&italian.status, " 1–20 marzo 2030"), "{italian:?}");
    assert!(
        has(&italian.delay, "Il container è stato trattenuto in porto.")
            && has(&italian.delay, "primo camion")
            && !has(&italian.delay, REASON),
        "{italian:?}"
    );
    assert!(
        italian
            .options
            .iter()
            .any(|o| o.contains("Tenda da trekking, 3 posti")),
        "the swap by its name: {italian:?}"
    );

    // An Arabic page: Arabic, right to left, whatever the shop writes.
    client
        .goto(&page_url(&shop, "L-1", &token, "ar"))
        .await
        .expect("loads");
    let (arabic, _) = until(client, "Arabic", |s| !s.options.is_empty()).await;
    assert_eq!(arabic.lang.as_deref(), Some("ar"));
    assert_eq!(arabic.dir.as_deref(), Some("rtl"));
    assert_eq!(arabic.current.as_deref(), Some("تأخّر"));
    assert!(has(&arabic.status, "مارس"), "{arabic:?}");
    assert!(
        arabic.options.iter().any(|o| o == "إلغاء واسترداد المبلغ"),
        "{arabic:?}"
    );
    // The customer's own language for the merchant's words, marked as
    // Italian inside the Arabic page.
    let marked: Value = client
        .execute(
            "return document.querySelector('[data-backorder-order]').shadowRoot.querySelector('.delay span[lang]').lang;",
            vec![],
        )
        .await
        .expect("runs");
    assert_eq!(marked, "it");
    // The store's names as the store wrote them; the money in Arabic.
    assert!(has(&arabic.lines, TENT_NAME), "{arabic:?}");
    assert!(has(&arabic.bill, "الشحن"), "{arabic:?}");
    let direction: Value = client
        .execute(
            "return getComputedStyle(document.querySelector('[data-backorder-order]').shadowRoot.querySelector('.order')).direction;",
            vec![],
        )
        .await
        .expect("runs");
    assert_eq!(direction, "rtl");

    // An English page: English.
    client
        .goto(&page_url(&shop, "L-1", &token, "en-GB"))
        .await
        .expect("loads");
    let (english, _) = until(client, "English", |s| !s.options.is_empty()).await;
    assert_eq!(english.current.as_deref(), Some("Delayed"));
    assert_eq!(english.credit, None, "no credit before it is chosen");

    // Issue 19 #10: the store credit chosen says how much (the tent's
    // EUR 189.00 and the shop's 10 % bonus) and how to spend it, on the
    // page as in the email, in the page's language.
    click_option(client, "Take store credit").await;
    let (credited, _) = until(client, "the credit", |s| s.credit.is_some()).await;
    assert!(
        has(&credited.credit, "€207.90")
            && has(&credited.credit, "€189.00 plus a €18.90 bonus")
            && has(&credited.credit, "at checkout"),
        "{credited:?}"
    );
    assert_eq!(
        edge_view(&admin, "L-1").await["credit"]["bonus"]["minor"],
        1890
    );
    client
        .goto(&page_url(&shop, "L-1", &token, "ar"))
        .await
        .expect("loads");
    let (arabic, _) = until(client, "the credit in Arabic", |s| s.credit.is_some()).await;
    assert!(
        arabic
            .credit
            .as_deref()
            .is_some_and(|credit| credit.contains("رصيد")),
        "{arabic:?}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_page_that_loses_the_edge_keeps_what_it_showed() {
    let mut world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let token = placed(&admin, &store, "E-1").await;
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let client = &browser.client;
    client
        .goto(&page_url(&shop, "E-1", &token, "en-GB"))
        .await
        .expect("loads");
    let (before, _) = until(client, "the status", |s| s.stage.is_some()).await;
    world.worker.stop();
    let (after, _) = until(client, "updates paused", |s| {
        s.live.as_deref() == Some("offline")
    })
    .await;
    assert_eq!(after.stage, before.stage);
    assert_eq!(after.status, before.status);
    assert_eq!(after.current, before.current);
    assert_eq!(after.merchant, None, "the last status stays on the page");
    assert_eq!(after.loaded_at, before.loaded_at);

    // When the edge is back, the page hears again without a reload.
    world.restart().await;
    slip(&store, "E-1").await;
    let (back, _) = until(client, "the news after the outage", |s| {
        s.live.as_deref() == Some("online") && has(&s.delay, REASON)
    })
    .await;
    assert_eq!(back.loaded_at, before.loaded_at);
    browser.close().await;
}

/// Types `email` into the expired-link form and sends it; returns what the
/// page then says.
async fn ask_for_a_new_link(client: &Client, email: &str) -> Shown {
    let host = client
        .find(Locator::Css("[data-backorder-order]"))
        .await
        .expect("the order's div");
    let root = host.shadow_root().await.expect("the widget's shadow root");
    let input = root
        .find(Locator::Css(".relink input[name=email]"))
        .await
        .expect("the form's address field");
    input.clear().await.expect("cleared");
    input.send_keys(email).await.expect("typed");
    root.find(Locator::Css(".relink button"))
        .await
        .expect("the form's button")
        .click()
        .await
        .expect("a click");
    until(client, "the request's answer", |s| {
        has(&s.relink, "on its way")
    })
    .await
    .0
}

/// Issue 19 #9: an expired or forged link says so and how to get a new
/// one; the new link goes only to the order's own address, once in a while,
/// and the answer never tells whether it did.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_link_says_so_and_a_new_one_goes_only_to_the_orders_address() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let token = placed(&admin, &store, "F-1").await;
    // The same order with its signature altered.
    let (expiry, mac) = token.split_once('.').expect("expiry.mac");
    let forged = format!("{expiry}.{}", mac.replace(|c| c != '0', "0"));
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let client = &browser.client;
    client
        .goto(&page_url(&shop, "F-1", &forged, "en-GB"))
        .await
        .expect("loads");
    // The loader says on the element that it has stopped asking: a
    // positive signal to wait for, rather than a pause.
    eventually("the widget stops asking", || async {
        let state = client
            .execute(
                "return document.querySelector('[data-backorder-order]').getAttribute('data-backorder-state');",
                vec![],
            )
            .await
            .expect("runs");
        (state == json!("refused")).then_some(())
    })
    .await;
    let (shown, _) = until(client, "the refusal said", |s| s.relink.is_some()).await;
    assert_eq!(shown.stage, None, "{shown:?}");
    assert!(
        has(&shown.relink, "This link is not valid or has expired")
            && has(&shown.relink, "we will email you a new link"),
        "{shown:?}"
    );
    assert_eq!(
        shown.merchant.as_deref(),
        Some("Thank you for your order."),
        "the theme's own words stay"
    );
    // One read, refused, and no socket or polling after it.
    let reads: Value = client
        .execute(
            "return performance.getEntriesByType('resource').filter(e => e.name.includes('/orders/F-1')).length;",
            vec![],
        )
        .await
        .expect("runs");
    assert_eq!(reads, json!(1));
    let before = admin.email_kinds("F-1").await;

    // Someone else's address: the same answer, and nothing is sent.
    let other = ask_for_a_new_link(client, "eve@example.com").await;
    assert_eq!(admin.email_kinds("F-1").await, before);

    // The order's own address, however it is capitalised: one new link.
    client
        .goto(&page_url(&shop, "F-1", &forged, "en-GB"))
        .await
        .expect("loads");
    until(client, "the form again", |s| s.relink.is_some()).await;
    let own = ask_for_a_new_link(client, "DEE@Example.com").await;
    assert_eq!(own.relink, other.relink, "the answer reveals nothing");
    let links = |kinds: Vec<String>| kinds.iter().filter(|k| *k == "order_link").count();
    assert_eq!(links(admin.email_kinds("F-1").await), 1);
    // Asked again at once: answered alike, and still one.
    client
        .goto(&page_url(&shop, "F-1", &forged, "en-GB"))
        .await
        .expect("loads");
    until(client, "the form again", |s| s.relink.is_some()).await;
    ask_for_a_new_link(client, "dee@example.com").await;
    assert_eq!(links(admin.email_kinds("F-1").await), 1);
    browser.close().await;

    // The edge's own page, without the widget: the same form in HTML.
    let base = format!("{}/v1/shops/{SHOP}/orders/F-1", world.worker.base_url());
    let page = e2e::http()
        .get(format!("{base}/page?t={forged}&lang=it"))
        .send()
        .await
        .expect("answers");
    assert_eq!(page.status(), StatusCode::FORBIDDEN);
    let html = page.text().await.unwrap_or_default();
    assert!(
        html.contains("action=\"link?lang=it\"") && html.contains("name=\"email\""),
        "{html}"
    );
    let sent = e2e::http()
        .post(format!("{base}/link?lang=it"))
        .form(&[("email", "nobody@example.com")])
        .send()
        .await
        .expect("answers");
    assert_eq!(sent.status(), StatusCode::OK);
    let html = sent.text().await.unwrap_or_default();
    assert!(html.contains("un nuovo link sta arrivando"), "{html}");
    // Not an address: a clear 400 that names the field, and nothing sent.
    let bad = e2e::http()
        .post(format!("{base}/link"))
        .json(&json!({"email": "dee@example.com, eve@example.com"}))
        .send()
        .await
        .expect("answers");
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let body: Value = bad.json().await.expect("a JSON error");
    assert_eq!(body["error"]["code"], "invalid_input", "{body}");
    assert_eq!(links(admin.email_kinds("F-1").await), 1);
}

/// Issue 19 #3: the delay email promises the right to cancel; after the
/// customer chose to keep waiting, the page still offers to cancel what
/// has not shipped, in en and ar, with its refund; cancelling again
/// changes nothing, and once the rest has shipped nothing is offered.
#[tokio::test(flavor = "multi_thread")]
async fn the_right_to_cancel_stays_after_an_answer_until_the_order_ships() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    let token = placed(&admin, &store, "C-1").await;
    slip(&store, "C-1").await;
    let offer = eventually("the offer", || async {
        let view = edge_view(&admin, "C-1").await;
        view["offer"]["id"].as_u64()
    })
    .await;
    let kept = e2e::http()
        .post(e2e::admin::choices_url(&admin.customer_link("C-1").await))
        .json(&json!({"offer": offer, "choice": {"option": "keep_waiting"}}))
        .send()
        .await
        .expect("answers");
    assert_eq!(kept.status(), StatusCode::OK);
    // Issue 19 #10: the confirmation says what waiting brought.
    let confirmation = eventually("the confirmation email", || async {
        let log = admin.get("/emails").await["emails"].clone();
        let key = log.as_array().into_iter().flatten().find_map(|e| {
            (e["order"] == "C-1" && e["kind"] == "choice_confirmed")
                .then(|| e["key"].as_str().unwrap_or_default().to_owned())
        })?;
        let key = form_urlencoded::byte_serialize(key.as_bytes()).collect::<String>();
        admin.get(&format!("/emails/one?key={key}")).await["text"]
            .as_str()
            .map(str::to_owned)
    })
    .await;
    assert!(
        confirmation.contains("expedited shipping, free of charge"),
        "{confirmation}"
    );

    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let browser = Browser::start().await;
    let client = &browser.client;
    // In Arabic first: the offer to cancel, with its refund, right to left.
    client
        .goto(&page_url(&shop, "C-1", &token, "ar"))
        .await
        .expect("loads");
    let (shown, _) = until(client, "the right to cancel in Arabic", |s| {
        s.cancel_rest.is_some() && s.chosen.is_some()
    })
    .await;
    assert_eq!(
        shown.cancel_rest.as_deref(),
        Some("ألغِ ما لم يُشحن بعد"),
        "{shown:?}"
    );
    assert!(
        shown.options.is_empty(),
        "the answered offer is gone: {shown:?}"
    );
    assert_eq!(shown.dir.as_deref(), Some("rtl"));

    client
        .goto(&page_url(&shop, "C-1", &token, "en-GB"))
        .await
        .expect("loads");
    until(client, "the right to cancel", |s| {
        s.cancel_rest.as_deref() == Some("Cancel what has not shipped")
    })
    .await;
    click_option(client, "Cancel what has not shipped").await;
    let (asking, _) = until(client, "the question", |s| s.confirm.is_some()).await;
    assert!(has(&asking.confirm, "€224.00"), "{asking:?}");
    let host = client
        .find(Locator::Css("[data-backorder-order]"))
        .await
        .expect("the order's div");
    let root = host.shadow_root().await.expect("the shadow root");
    root.find(Locator::Css("button.yes"))
        .await
        .expect("the yes button")
        .click()
        .await
        .expect("a click");
    let (done, _) = until(client, "the cancellation", |s| {
        s.stage.as_deref() == Some("cancelled") && has(&s.answer, "we have your choice")
    })
    .await;
    assert!(has(&done.status, "€224.00"), "{done:?}");
    assert_eq!(done.cancel_rest, None, "nothing left to cancel: {done:?}");

    // The refund is the store's to make, once; the customer is told once.
    let link = admin.customer_link("C-1").await;
    let cancel_url = |link: &str| match link.split_once('?') {
        Some((path, query)) => format!("{path}/cancel?{query}"),
        None => format!("{link}/cancel"),
    };
    let seq = edge_view(&admin, "C-1").await["seq"].clone();
    let again = e2e::http()
        .post(cancel_url(&link))
        .send()
        .await
        .expect("answers");
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(
        edge_view(&admin, "C-1").await["seq"],
        seq,
        "changed nothing"
    );
    let refunds = eventually("the refund action", || async {
        let actions = admin.get("/actions").await["actions"].clone();
        let refunds: Vec<Value> = actions
            .as_array()
            .into_iter()
            .flatten()
            .filter(|a| a["order"] == "C-1" && a["kind"] == "refund")
            .cloned()
            .collect();
        (!refunds.is_empty()).then_some(refunds)
    })
    .await;
    assert_eq!(refunds.len(), 1, "{refunds:?}");

    // A shipped order has nothing left to cancel: refused, and not offered.
    let token = placed(&admin, &store, "C-2").await;
    for (key, event, data) in [
        ("s1", "stock.arrived", json!({"sku": TENT})),
        ("s2", "order.processed", json!({"order": "C-2"})),
        (
            "s3",
            "order.shipped",
            json!({"order": "C-2", "carrier": "UPS", "tracking": "1Z9"}),
        ),
    ] {
        let response = store.standard(key, &payloads::standard(event, data)).await;
        assert_eq!(response.status(), StatusCode::OK, "{event}");
    }
    let view = eventually("shipped", || async {
        let view = edge_view(&admin, "C-2").await;
        (view["stage"] == "shipped").then_some(view)
    })
    .await;
    assert!(view.get("cancellable").is_none(), "{view}");
    let refused = e2e::http()
        .post(cancel_url(&admin.customer_link("C-2").await))
        .send()
        .await
        .expect("answers");
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    client
        .goto(&page_url(&shop, "C-2", &token, "en-GB"))
        .await
        .expect("loads");
    let (shipped, _) = until(client, "the shipment", |s| {
        s.stage.as_deref() == Some("shipped")
    })
    .await;
    assert_eq!(shipped.cancel_rest, None, "{shipped:?}");
}

/// Issue 19 #8: every email links to the order's own page, which the edge
/// serves with the live widget in it (in the customer's language); the
/// shipped email links to the carrier's tracking page; each says how to
/// reach the shop. A link whose token does not check shows no order.
#[tokio::test(flavor = "multi_thread")]
async fn every_email_leads_back_to_the_order_page_the_edge_serves() {
    let world = World::start().await;
    let admin = AdminApi::create_shop(&world.worker, SHOP).await;
    let store = Store::connect(&admin).await;
    placed(&admin, &store, "E-1").await;
    for (key, event, data) in [
        ("e1", "stock.arrived", json!({"sku": TENT})),
        ("e2", "order.processed", json!({"order": "E-1"})),
        (
            "e3",
            "order.shipped",
            json!({"order": "E-1", "carrier": "UPS", "tracking": "1Z999AA10123456784"}),
        ),
    ] {
        let response = store.standard(key, &payloads::standard(event, data)).await;
        assert_eq!(response.status(), StatusCode::OK, "{event}");
    }
    // Every email sent (a queued one has no body yet), the shipped one too.
    let log = eventually("the shipped email, and every email sent", || async {
        let log = admin.get("/emails").await["emails"].clone();
        let mine: Vec<&Value> = log
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["order"] == "E-1")
            .collect();
        let shipped = mine.iter().any(|e| e["kind"] == "shipped");
        let all_sent = mine.iter().all(|e| e["state"] == "sent");
        (shipped && all_sent).then_some(log)
    })
    .await;
    let mut order_links = Vec::new();
    for entry in log.as_array().into_iter().flatten() {
        let key = entry["key"].as_str().expect("a key");
        let email = admin.get(&format!("/emails/one?key={key}")).await;
        let (html, text) = (
            email["html"].as_str().unwrap_or_default(),
            email["text"].as_str().unwrap_or_default(),
        );
        let link = html
            .split("href=\"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(|href| href.replace("&#x2f;", "/").replace("&amp;", "&"))
            .find(|href| href.contains("/orders/E-1/page?"))
            .unwrap_or_else(|| panic!("{} links to the order: {html}", entry["kind"]));
        assert!(text.contains("/orders/E-1/page?"), "{text}");
        assert!(text.contains("reply to this email"), "{text}");
        if entry["kind"] == "shipped" {
            assert!(
                html.replace("&#x2f;", "/")
                    .contains("href=\"https://www.ups.com/track?tracknum=1Z999AA10123456784\""),
                "{html}"
            );
        }
        order_links.push(link);
    }
    assert!(order_links.len() >= 3, "{order_links:?}");

    // The page is the order, live: in Chromium, in the email's language
    // and in Arabic.
    let browser = Browser::start().await;
    let client = &browser.client;
    client.goto(&order_links[0]).await.expect("loads");
    let (shown, _) = until(client, "the order on the edge's page", |s| {
        s.stage.as_deref() == Some("shipped")
    })
    .await;
    assert_eq!(shown.lang.as_deref(), Some("en"));
    assert!(has(&shown.status, "1Z999AA10123456784"), "{shown:?}");
    let arabic = order_links[0].replace("lang=en", "lang=ar");
    client.goto(&arabic).await.expect("loads");
    let (shown, _) = until(client, "the order in Arabic", |s| {
        s.stage.as_deref() == Some("shipped") && s.dir.as_deref() == Some("rtl")
    })
    .await;
    assert_eq!(shown.lang.as_deref(), Some("ar"));

    // A forged token: refused, and no order in the page.
    let forged = order_links[0].replace("t=", "t=9");
    let response = e2e::http().get(&forged).send().await.expect("answers");
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let html = response.text().await.unwrap_or_default();
    assert!(!html.contains("data-backorder-order"), "{html}");

    // Issue 19 #8: a merchant with an order page of their own (the widget
    // on it) has every email link there instead, token and language filled.
    let shop = ShopServer::serve(e2e::free_port(), world.worker.base_url());
    let template = format!("{}orders/{{order}}?t={{token}}&lang={{lang}}", shop.url());
    admin.set_policy(&json!({"order_page_url": template})).await;
    placed(&admin, &store, "E-2").await;
    let receipt = eventually("E-2's receipt, sent", || async {
        let log = admin.get("/emails?order=E-2").await["emails"].clone();
        let key = log.as_array()?.first()?["key"].as_str()?.to_owned();
        let email = admin.get(&format!("/emails/one?key={key}")).await;
        email["text"]
            .as_str()
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    })
    .await;
    let own = format!("{}orders/E-2?t=", shop.url());
    let link = receipt
        .split_whitespace()
        .find(|word| word.starts_with(&own))
        .unwrap_or_else(|| panic!("the merchant's page in the receipt: {receipt}"));
    assert!(link.ends_with("&lang=en"), "{link}");
    assert!(!receipt.contains("/orders/E-2/page?"), "{receipt}");
    client.goto(link).await.expect("loads");
    let (shown, _) = until(client, "the order on the merchant's page", |s| {
        s.stage.as_deref() == Some("waiting")
    })
    .await;
    assert!(has(&shown.lines, TENT_NAME), "{shown:?}");
    browser.close().await;
}
